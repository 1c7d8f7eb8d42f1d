/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's command line: see vscc_args.h. */
#include "vscc_args.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
"usage: ccid-vscclient [-c CERT]... [-e EMUL_ARGS] [-d LEVEL] [-n] [--tls-creds DIR] HOST PORT\n"
"       ccid-vscclient [options] unix:PATH [PORT]\n"
"       ccid-vscclient --help | -p\n"
"\n"
"A VSCard (QEMU ccid-card-passthru) client, with libcacard's vscclient's command line:\n"
"it connects to HOST:PORT (TCP, TCP_NODELAY) or to the Unix socket PATH (PORT, if\n"
"given, is ignored), sends VSC_Init, and passes libcacard's reader and card to the\n"
"server: ReaderAdd, ATR, APDUs, CardRemove, ReaderRemove.\n"
"\n"
"  -c CERT         NSS certificate nickname; repeat (CAC cards use three). Builds a soft\n"
"                  card: EMUL_ARGS + ' soft=(,Test,CAC,,CERT1,CERT2,...)'\n"
"  -e EMUL_ARGS    libcacard options for vcard_emul_options(), e.g.\n"
"                  -e 'db=\"sql:/path\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)'\n"
"                  (default with -c: db=\"sql:/etc/pki/nssdb\"; without -c or -e:\n"
"                  libcacard's default, the hardware cards NSS reaches)\n"
"  -d LEVEL        debug: 1 logs every message, 2 adds hex dumps (0..99)\n"
"  -n, --no-stdin  read no commands from stdin\n"
"  --tls-creds DIR TLS (mutual certificates) with QEMU's tls-creds-x509 client layout:\n"
"                  DIR/ca-cert.pem, client-cert.pem, client-key.pem; over TCP the\n"
"                  server's certificate must name HOST (scripts/make-tls-certs)\n"
"  -p, --help      this text\n"
"\n"
"Commands on stdin, one a line (EOF on stdin stops reading commands, it is not quit;\n"
"SIGINT/SIGTERM quit like 'quit'):\n"
"  insert          insert the card (libcacard: force card insert -> VSC_ATR)\n"
"  remove          remove the card (-> VSC_CardRemove)\n"
"  reader-remove   detach the reader from the server (-> VSC_ReaderRemove)\n"
"  reader-add      attach it again (-> VSC_ReaderAdd, then VSC_ATR if a card is in)\n"
"  list            the readers libcacard has, their ids and cards\n"
"  select N        the reader the commands act on (the first one by default)\n"
"  debug [N]       show or set the debug level\n"
"  quit, exit      CardRemove, ReaderRemove, close, exit 0\n"
"  help            this list\n"
"\n"
"The server's answer to ReaderAdd: Error(success) with the reader id it assigned;\n"
"Error(cannot add more readers) ends the client (exit 3). Exit status: 0 after quit,\n"
"1 when the server closes or breaks the protocol, 2 bad command line, 3 refused or\n"
"libcacard could not start.\n"
"\n"
"Waits: a TCP connect and the TLS handshake give up after 10 s each, a message the\n"
"server takes none of after 30 s (exit 1); a server that stops in the middle of a\n"
"TLS record holds up neither the commands nor the signals, which work throughout.\n";

const char *vscc_args_usage(void)
{
	return usage_text;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int build_options(struct vscc_args *a, char *err, size_t errlen)
{
	size_t used;
	int n;

	a->options[0] = '\0';
	if (a->n_certs == 0) {
		if (a->emul_args != NULL &&
		    snprintf(a->options, sizeof(a->options), "%s",
			     a->emul_args) >= (int)sizeof(a->options))
			return fail(err, errlen,
				    "ccid-vscclient: -e is too long (at most 4095 bytes)");
		return 0;
	}
	n = snprintf(a->options, sizeof(a->options), "%s soft=(,%s,CAC,,",
		     a->emul_args ? a->emul_args : "db=\"" VSCC_DEFAULT_DB "\"",
		     VSCC_SOFT_READER);
	used = n < 0 ? sizeof(a->options) : (size_t)n;
	for (size_t i = 0; i < a->n_certs && used < sizeof(a->options); i++) {
		n = snprintf(a->options + used, sizeof(a->options) - used,
			     "%s%s", a->certs[i], i + 1 < a->n_certs ? "," : ")");
		used += n < 0 ? sizeof(a->options) : (size_t)n;
	}
	if (used >= sizeof(a->options))
		return fail(err, errlen,
			    "ccid-vscclient: -e and -c together are too long (at most 4095 bytes)");
	return 0;
}

/* getopt_long's val for the long-only option. */
enum { OPT_TLS_CREDS = 0x100 };

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'p' },
	{ "no-stdin", no_argument, NULL, 'n' },
	{ "tls-creds", required_argument, NULL, OPT_TLS_CREDS },
	{ NULL, 0, NULL, 0 },
};

/* '-': words in order wherever they stand (vscclient takes options after
 * HOST PORT too), whatever POSIXLY_CORRECT says; ':': a missing value is
 * returned as ':' for our own message, nothing is printed. */
static const char short_opts[] = "-:c:e:d:pnh";

/* A missing value: what the option needs, with an example. */
static int missing(int opt, char *err, size_t errlen)
{
	switch (opt) {
	case 'c':
		return fail(err, errlen, "ccid-vscclient: -c needs a certificate nickname (-c id-cert)");
	case 'e':
		return fail(err, errlen, "ccid-vscclient: -e needs libcacard's options (-e 'db=\"sql:/path\" use_hw=no soft=(...)')");
	case 'd':
		return fail(err, errlen, "ccid-vscclient: -d needs a level (-d 1)");
	default:
		return fail(err, errlen, "ccid-vscclient: --tls-creds needs a directory (with ca-cert.pem, client-cert.pem, client-key.pem)");
	}
}

static int set_cert(struct vscc_args *a, const char *v, char *err,
		    size_t errlen)
{
	if (*v == '\0')
		return missing('c', err, errlen);
	if (strpbrk(v, ",)") != NULL)
		return fail(err, errlen,
			    "ccid-vscclient: -c '%s': a nickname with ',' or ')' cannot go into libcacard's soft=(...) list; rename the certificate", v);
	if (a->n_certs == VSCC_MAX_CERTS)
		return fail(err, errlen,
			    "ccid-vscclient: too many -c (at most 16)");
	a->certs[a->n_certs++] = v;
	return 0;
}

static int set_debug(struct vscc_args *a, const char *v, char *err,
		     size_t errlen)
{
	char *end;
	long lv;

	errno = 0;
	lv = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || lv < 0 || lv > 99)
		return fail(err, errlen,
			    "ccid-vscclient: -d '%s': the level is a number 0..99", v);
	a->debug = (int)lv;
	return 0;
}

/* The argv element getopt_long just took an option from (the one before
 * its value when the value was a separate word). */
static const char *consumed(char *const argv[])
{
	return optarg && optarg == argv[optind - 1] ? argv[optind - 2] :
						      argv[optind - 1];
}

static bool whole_name(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, name, n) == 0 &&
	       (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

static int unknown(const char *arg, char *err, size_t errlen)
{
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	return fail(err, errlen,
		    "ccid-vscclient: unknown option '%s' (--help lists them)", name);
}

/* HOST, PORT or unix:PATH, checked once all are in. */
static int word(const char *w, const char **pos, int *npos, char *err,
		size_t errlen)
{
	if (*npos == 3)
		return fail(err, errlen,
			    "ccid-vscclient: too many arguments from '%s' on (give HOST PORT or unix:PATH; --help)", w);
	pos[(*npos)++] = w;
	return 0;
}

/* The options, in order; the words (HOST PORT or unix:PATH [PORT]) into
 * pos[]. getopt keeps its state in globals: reset here, not reentrant. */
static int scan(int argc, char *const argv[], struct vscc_args *a,
		const char **pos, int *npos, char *err, size_t errlen)
{
	int c, li, rc = 0;

	optind = 0;   /* glibc: start over, a new argv */
	opterr = 0;
	while (rc == 0) {
		li = -1;
		c = getopt_long(argc, argv, short_opts, long_opts, &li);
		if (c == -1) {   /* the end, or "--" and the words after it */
			for (; optind < argc && rc == 0; optind++)
				rc = word(argv[optind], pos, npos, err, errlen);
			break;
		}
		/* getopt_long takes --tls for --tls-creds: whole names only,
		 * as before, so a new option cannot make one ambiguous. */
		if (li >= 0 && !whole_name(consumed(argv), long_opts[li].name))
			return unknown(consumed(argv), err, errlen);
		switch (c) {
		case 1:
			rc = word(optarg, pos, npos, err, errlen);
			break;
		case 'p':
		case 'h':
			a->help = true;
			break;
		case 'n':
			a->no_stdin = true;
			break;
		case 'c':
			rc = set_cert(a, optarg, err, errlen);
			break;
		case 'e':
			a->emul_args = optarg;
			break;
		case 'd':
			rc = set_debug(a, optarg, err, errlen);
			break;
		case OPT_TLS_CREDS:
			if (*optarg == '\0')
				return missing(OPT_TLS_CREDS, err, errlen);
			a->tls_creds = optarg;
			break;
		case ':':
			return missing(optopt, err, errlen);
		default:   /* '?': unknown, or a value given to --help */
			if (optopt != 0 && optopt < 0x100 &&
			    strchr("pnh", optopt) == NULL) {
				char opt[3] = { '-', (char)optopt, '\0' };

				return fail(err, errlen,
					    "ccid-vscclient: unknown option '%s' (--help lists them)", opt);
			}
			return unknown(argv[optind - 1], err, errlen);
		}
	}
	return rc;
}

int vscc_args_parse(int argc, char *const argv[], struct vscc_args *a,
		    char *err, size_t errlen)
{
	const char *pos[3];
	int npos = 0, rc;

	memset(a, 0, sizeof(*a));
	rc = scan(argc, argv, a, pos, &npos, err, errlen);
	if (rc < 0)
		return rc;
	if (a->help)
		return 0;
	if (npos >= 1 && strncmp(pos[0], "unix:", 5) == 0) {
		if (pos[0][5] == '\0')
			return fail(err, errlen,
				    "ccid-vscclient: unix: needs a socket path (unix:/run/ccid.sock)");
		if (npos > 2)
			return fail(err, errlen,
				    "ccid-vscclient: too many arguments after '%s' (give unix:PATH alone)", pos[0]);
		a->unix_path = pos[0] + 5;
	} else {
		char *end;
		long p;

		if (npos != 2)
			return fail(err, errlen,
				    "ccid-vscclient: give the server as HOST PORT (e.g. 127.0.0.1 2001) or unix:PATH%s",
				    npos < 2 ? "" : "");
		if (pos[0][0] == '\0')
			return fail(err, errlen, "ccid-vscclient: HOST is empty");
		errno = 0;
		p = strtol(pos[1], &end, 10);
		if (pos[1][0] == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
			return fail(err, errlen,
				    "ccid-vscclient: PORT '%s' is not a TCP port (1..65535)", pos[1]);
		a->host = pos[0];
		a->port = pos[1];
	}
	return build_options(a, err, errlen);
}
