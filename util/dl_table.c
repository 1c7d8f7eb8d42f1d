/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dlopen() into a table of typed pointers: see dl_table.h. */
#include "dl_table.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* dlsym()'s data pointer stored into a function pointer slot: the POSIX
 * guarantee dlsym() relies on */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function and data pointers differ in size");

int dl_table_load(const struct dl_lib *lib, void *table, char *err,
		  size_t errlen)
{
	unsigned char *slots = table;
	const char *soname = lib->n_sonames > 0 ? lib->sonames[0] : "?";
	void *h = NULL, *sym;
	char why[200];
	size_t i;

	for (i = 0; i < lib->n_syms; i++) {
		if (lib->table_size < sizeof(sym) ||
		    lib->syms[i].offset > lib->table_size - sizeof(sym)) {
			snprintf(err, errlen,
				 "%s: symbol %s's slot (offset %zu) "
				 "is outside its %zu-byte table",
				 lib->feature, lib->syms[i].name,
				 lib->syms[i].offset, lib->table_size);
			return -EINVAL;
		}
	}
	memset(table, 0, lib->table_size);
	snprintf(why, sizeof(why), "no soname to try");
	for (i = 0; i < lib->n_sonames && h == NULL; i++) {
		soname = lib->sonames[i];
		h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
		/* the reason the first (the packaged) soname failed, which
		 * dlerror() names, not a fallback's */
		if (h == NULL && i == 0)
			snprintf(why, sizeof(why), "%s", dlerror());
	}
	if (h == NULL) {
		snprintf(err, errlen,
			 "%s needs %s (%s): %s; install the Debian package %s",
			 lib->feature, lib->name,
			 lib->n_sonames > 0 ? lib->sonames[0] : "no soname",
			 why, lib->package);
		return -ENOENT;
	}
	for (i = 0; i < lib->n_syms; i++) {
		sym = dlsym(h, lib->syms[i].name);
		if (sym == NULL) {
			snprintf(err, errlen,
				 "%s: %s is not a usable %s (no symbol %s); "
				 "install the Debian package %s",
				 lib->feature, soname, lib->name,
				 lib->syms[i].name, lib->package);
			memset(table, 0, lib->table_size);
			dlclose(h);
			return -ENOENT;
		}
		memcpy(slots + lib->syms[i].offset, &sym, sizeof(sym));
	}
	return 0;
}

int dl_once_load(struct dl_once *once, const struct dl_lib *lib, void *table,
		 char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&once->lock);
	if (!once->done) {
		once->rc =
			dl_table_load(lib, table, once->err, sizeof(once->err));
		once->done = 1;
	}
	rc = once->rc;
	if (rc < 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", once->err);
	pthread_mutex_unlock(&once->lock);
	return rc;
}
