/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpcap, loaded only when --pcap is given: the daemon does not link it,
 * so a reader without a capture never maps libpcap and what it pulls in
 * (libdbus, libsystemd, libgcrypt, liblzma, libzstd, ...), about 1 MB of
 * RSS on the board (bench/README.md).
 *
 * pcap_lib_load() dlopen()s it once (util/dl_table.h) and fills pcap_lib
 * with typed pointers to the functions pcap_writer.c uses (libpcap's own
 * declarations, through __typeof__); call them as PL(pcap_dump)(...).
 * The library stays loaded until exit. Thread-safe. */
#ifndef PCAP_LIB_H
#define PCAP_LIB_H

#include <stddef.h>

#include <pcap/pcap.h>

/* Debian's soname, then upstream's */
#define PCAP_LIB_SONAMES { "libpcap.so.0.8", "libpcap.so.1" }

#define PCAP_LIB_FUNCS(X) \
	X(pcap_open_dead) X(pcap_dump_fopen) X(pcap_geterr) X(pcap_dump) \
	X(pcap_dump_flush) X(pcap_dump_close) X(pcap_close)

struct pcap_lib_api {
#define PCAP_LIB_PTR(f) __typeof__(f) *f;
	PCAP_LIB_FUNCS(PCAP_LIB_PTR)
#undef PCAP_LIB_PTR
};

/* Filled by a successful pcap_lib_load(); all NULL before. */
extern struct pcap_lib_api pcap_lib;
#define PL(f) (pcap_lib.f)

/* Load libpcap (once; later calls return the first result). 0, or
 * -ENOENT with one line in err (caller-owned, errlen bytes) naming the
 * library, its Debian package and why: dlerror()'s reason, or the symbol
 * it lacks. */
int pcap_lib_load(char *err, size_t errlen);

/* For tests: fill `api` from the first of `sonames` (n names) that
 * loads; 0 or -ENOENT (no library, or one without a needed symbol; `api`
 * all NULL then). */
int pcap_lib_load_from(const char *const *sonames, size_t n,
		       struct pcap_lib_api *api, char *err, size_t errlen);

#endif
