/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's command line, parsed into a struct. Pure: no I/O, no
 * libcacard (unit-tested). The syntax is libcacard's vscclient's:
 *
 *   ccid-vscclient [-c CERT]... [-e EMUL_ARGS] [-d LEVEL] [-p] [-n]
 *                  [--tls-creds DIR] HOST PORT
 *   ccid-vscclient [options] unix:PATH [PORT]      (PORT is ignored)
 *   ccid-vscclient --help
 *
 * -c NICK (repeatable) builds a soft card from NSS certificates:
 *   EMUL_ARGS + " soft=(,Test,CAC,,NICK1,NICK2,...)", EMUL_ARGS defaulting
 *   to db="sql:/etc/pki/nssdb" (libcacard's own default db).
 * -e EMUL_ARGS goes to vcard_emul_options() unchanged (with -c, the soft
 *   list is appended to it). */
#ifndef VSCC_ARGS_H
#define VSCC_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define VSCC_MAX_CERTS 16
#define VSCC_OPTIONS_MAX 4096
#define VSCC_DEFAULT_DB "sql:/etc/pki/nssdb"
#define VSCC_SOFT_READER "Test"

struct vscc_args {
	bool help;                 /* --help / -p: print usage, exit 0 */
	int debug;                 /* -d LEVEL, 0..99 */
	bool no_stdin;             /* -n: never read commands from stdin */
	const char *tls_creds;     /* --tls-creds DIR, or NULL */
	/* where to connect: unix_path set, or host + port */
	const char *unix_path;
	const char *host;
	const char *port;
	size_t n_certs;
	const char *certs[VSCC_MAX_CERTS];
	const char *emul_args;     /* -e as given, or NULL */
	/* What vcard_emul_options() gets; "" means NULL (libcacard's
	 * default: hardware cards through /etc/pki/nssdb). */
	char options[VSCC_OPTIONS_MAX];
};

/* Parse argv (not modified; the struct points into it) with getopt_long
 * (whole long names only; options and words in any order, "--" ends the
 * options). getopt's globals are reset on each call: not thread-safe.
 * Returns 0, or -EINVAL with one line in err saying what is wrong and how
 * to fix it. */
int vscc_args_parse(int argc, char *const argv[], struct vscc_args *a,
		    char *err, size_t errlen);

/* The --help text (static). */
const char *vscc_args_usage(void);

#endif
