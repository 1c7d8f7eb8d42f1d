/* ccid-vscclient's command line: see vscc_args.h. */
#include "vscc_args.h"

#include <errno.h>
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
"libcacard could not start.\n";

const char *vscc_args_usage(void)
{
	return usage_text;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg ? arg : "");
	return -EINVAL;
}

/* The value of an option: "-cNICK", "-c NICK", "--opt=V", "--opt V". */
static const char *value_of(int argc, char *const argv[], int *i,
			    size_t optlen)
{
	const char *a = argv[*i];

	if (a[optlen] == '=' && a[1] == '-')
		return a + optlen + 1;
	if (a[optlen] != '\0')
		return a[1] == '-' ? NULL : a + optlen;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
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
				    "ccid-vscclient: -e is too long (at most 4095 bytes)", NULL);
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
			    "ccid-vscclient: -e and -c together are too long (at most 4095 bytes)", NULL);
	return 0;
}

int vscc_args_parse(int argc, char *const argv[], struct vscc_args *a,
		    char *err, size_t errlen)
{
	const char *pos[3];
	int npos = 0;
	bool opts_done = false;

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v;

		if (opts_done || o[0] != '-' || o[1] == '\0') {
			if (npos == 3)
				return fail(err, errlen,
					    "ccid-vscclient: too many arguments from '%s' on (give HOST PORT or unix:PATH; --help)", o);
			pos[npos++] = o;
			continue;
		}
		if (strcmp(o, "--") == 0) {
			opts_done = true;
		} else if (strcmp(o, "--help") == 0 || strcmp(o, "-p") == 0 ||
			   strcmp(o, "-h") == 0) {
			a->help = true;
		} else if (strcmp(o, "-n") == 0 || strcmp(o, "--no-stdin") == 0) {
			a->no_stdin = true;
		} else if (strncmp(o, "-c", 2) == 0 && o[1] == 'c') {
			v = value_of(argc, argv, &i, 2);
			if (v == NULL || *v == '\0')
				return fail(err, errlen,
					    "ccid-vscclient: -c needs a certificate nickname (-c id-cert)", NULL);
			if (strpbrk(v, ",)") != NULL)
				return fail(err, errlen,
					    "ccid-vscclient: -c '%s': a nickname with ',' or ')' cannot go into libcacard's soft=(...) list; rename the certificate", v);
			if (a->n_certs == VSCC_MAX_CERTS)
				return fail(err, errlen,
					    "ccid-vscclient: too many -c (at most 16)", NULL);
			a->certs[a->n_certs++] = v;
		} else if (strncmp(o, "-e", 2) == 0) {
			v = value_of(argc, argv, &i, 2);
			if (v == NULL)
				return fail(err, errlen,
					    "ccid-vscclient: -e needs libcacard's options (-e 'db=\"sql:/path\" use_hw=no soft=(...)')", NULL);
			a->emul_args = v;
		} else if (strncmp(o, "-d", 2) == 0) {
			char *end;
			long lv;

			v = value_of(argc, argv, &i, 2);
			if (v == NULL)
				return fail(err, errlen,
					    "ccid-vscclient: -d needs a level (-d 1)", NULL);
			errno = 0;
			lv = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || errno != 0 || lv < 0 || lv > 99)
				return fail(err, errlen,
					    "ccid-vscclient: -d '%s': the level is a number 0..99", v);
			a->debug = (int)lv;
		} else if (strncmp(o, "--tls-creds", 11) == 0 &&
			   (o[11] == '\0' || o[11] == '=')) {
			v = value_of(argc, argv, &i, 11);
			if (v == NULL || *v == '\0')
				return fail(err, errlen,
					    "ccid-vscclient: --tls-creds needs a directory (with ca-cert.pem, client-cert.pem, client-key.pem)", NULL);
			a->tls_creds = v;
		} else {
			return fail(err, errlen,
				    "ccid-vscclient: unknown option '%s' (--help lists them)", o);
		}
	}
	if (a->help)
		return 0;
	if (npos >= 1 && strncmp(pos[0], "unix:", 5) == 0) {
		if (pos[0][5] == '\0')
			return fail(err, errlen,
				    "ccid-vscclient: unix: needs a socket path (unix:/run/ccid.sock)", NULL);
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
			return fail(err, errlen, "ccid-vscclient: HOST is empty", NULL);
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
