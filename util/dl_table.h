/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A library the binaries do not link, dlopen()ed when the feature that
 * needs it is configured, into a caller's table of typed pointers: libpcap
 * for --pcap (gadget/daemon/pcap_lib.h), GnuTLS for tls-creds=
 * (vcard-glue/stream/vcg_gnutls.h). Each user keeps its own table struct
 * (one pointer per symbol, typed by the library's own declarations) and
 * describes it here: the symbols' names and their slots' offsets.
 *
 * A loaded library stays loaded until exit (GnuTLS is not safe to
 * unload, and the table points into it). */
#ifndef DL_TABLE_H
#define DL_TABLE_H

#include <pthread.h>
#include <stddef.h>

/* One symbol: its name in the library and where its address goes in the
 * table (a pointer-sized slot; a function pointer, or for a variable a
 * data pointer to it). */
struct dl_sym {
	const char *name;
	size_t offset;
};
/* { "f", offsetof(table_type, f) }: for an X-macro over the symbols */
#define DL_SYM(table_type, f)                                 \
	{                                                     \
		.name = #f, .offset = offsetof(table_type, f) \
	}

/* What to load, and the words for the error line. */
struct dl_lib {
	const char *feature; /* what needs it, as configured: "--pcap" */
	const char *name;    /* the library as people know it: "libpcap" */
	const char *package; /* the Debian package that installs it */
	const char *const *sonames; /* tried in order; the first that loads */
	size_t n_sonames;
	const struct dl_sym *syms;
	size_t n_syms;
	size_t table_size; /* sizeof the caller's table struct */
};

/* Fill `table` (table_size bytes, caller-owned) from the first of
 * lib->sonames that loads. 0, every slot set; or -ENOENT with the table
 * all zero (NULL) and one line in err (caller-owned, errlen bytes):
 *   no library:  "FEATURE needs NAME (SONAME): dlerror()'s reason;
 *                 install the Debian package PKG" (the first soname,
 *                 the one the package installs)
 *   no symbol:   "FEATURE: SONAME is not a usable NAME (no symbol SYM);
 *                 install the Debian package PKG"
 * -EINVAL if a slot lies outside the table (a caller's bug). Thread-safe
 * as dlopen() is; writes only `table` and `err`. */
int dl_table_load(const struct dl_lib *lib, void *table, char *err,
		  size_t errlen);

/* The load a process does once: the first dl_once_load() on `once` loads,
 * every later one returns its result (and its error line again) without
 * trying again. Thread-safe; a thread that got 0 may read the table. */
struct dl_once {
	pthread_mutex_t lock;
	int done;
	int rc;
	char err[256];
};
#define DL_ONCE_INIT                                \
	{                                           \
		PTHREAD_MUTEX_INITIALIZER, 0, 0, "" \
	}

int dl_once_load(struct dl_once *once, const struct dl_lib *lib, void *table,
		 char *err, size_t errlen);

#endif
