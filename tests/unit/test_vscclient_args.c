/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's command line (vscc_args.c) and stdin commands
 * (vscc_cmd.c): vscclient's syntax, the options string built from -c/-e,
 * unix:PATH, and each refusal with its one-line message. */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "vscc_args.h"
#include "vscc_cmd.h"

static struct vscc_args a;
static char err[256];

#define PARSE(...) ({ \
	char *argv_[] = { "ccid-vscclient", __VA_ARGS__, NULL }; \
	err[0] = '\0'; \
	vscc_args_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &a, err, sizeof(err)); \
})

static void host_port(void)
{
	CHECK_EQ(PARSE("127.0.0.1", "2001"), 0);
	CHECK(strcmp(a.host, "127.0.0.1") == 0);
	CHECK(strcmp(a.port, "2001") == 0);
	CHECK(a.unix_path == NULL);
	CHECK_EQ(a.options[0], '\0');   /* libcacard's defaults */
	CHECK_EQ(a.debug, 0);
}

static void certs_build_a_soft_card_on_the_default_db(void)
{
	CHECK_EQ(PARSE("-c", "id-cert", "-csigning-cert", "-c", "encryption-cert", "h", "1"), 0);
	CHECK_EQ(a.n_certs, 3);
	CHECK(strcmp(a.options,
		     "db=\"sql:/etc/pki/nssdb\" soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)") == 0);
}

static void certs_with_e_append_the_soft_list(void)
{
	CHECK_EQ(PARSE("-e", "db=\"sql:/x\" use_hw=no", "-c", "a", "-c", "b", "h", "1"), 0);
	CHECK(strcmp(a.options, "db=\"sql:/x\" use_hw=no soft=(,Test,CAC,,a,b)") == 0);
}

static void e_alone_is_passed_unchanged(void)
{
	CHECK_EQ(PARSE("-e", "db=\"sql:/p\" use_hw=no soft=(,Test,CAC,,x,y,z)", "h", "9"), 0);
	CHECK(strcmp(a.options, "db=\"sql:/p\" use_hw=no soft=(,Test,CAC,,x,y,z)") == 0);
}

static void debug_no_stdin_tls(void)
{
	CHECK_EQ(PARSE("-d", "3", "-n", "--tls-creds", "/etc/ccid/tls", "h", "1"), 0);
	CHECK_EQ(a.debug, 3);
	CHECK(a.no_stdin);
	CHECK(strcmp(a.tls_creds, "/etc/ccid/tls") == 0);
	CHECK_EQ(PARSE("-d2", "--tls-creds=/d", "--no-stdin", "h", "1"), 0);
	CHECK_EQ(a.debug, 2);
	CHECK(strcmp(a.tls_creds, "/d") == 0);
}

static void unix_path_port_optional(void)
{
	CHECK_EQ(PARSE("unix:/run/ccid.sock"), 0);
	CHECK(strcmp(a.unix_path, "/run/ccid.sock") == 0);
	CHECK_EQ(PARSE("unix:/run/ccid.sock", "2001"), 0);
	CHECK(strcmp(a.unix_path, "/run/ccid.sock") == 0);
	CHECK_EQ(PARSE("unix:"), -EINVAL);
	CHECK(strstr(err, "socket path") != NULL);
}

static void help(void)
{
	CHECK_EQ(PARSE("--help"), 0);
	CHECK(a.help);
	CHECK_EQ(PARSE("-p"), 0);
	CHECK(a.help);
	CHECK(strstr(vscc_args_usage(), "reader-remove") != NULL);
}

static void refusals_say_what_and_how(void)
{
	CHECK_EQ(PARSE("h"), -EINVAL);
	CHECK(strstr(err, "HOST PORT") != NULL);
	CHECK_EQ(PARSE("h", "0"), -EINVAL);
	CHECK(strstr(err, "PORT '0'") != NULL);
	CHECK_EQ(PARSE("h", "70000"), -EINVAL);
	CHECK_EQ(PARSE("h", "12x"), -EINVAL);
	CHECK_EQ(PARSE("-d", "x", "h", "1"), -EINVAL);
	CHECK(strstr(err, "-d 'x'") != NULL);
	CHECK_EQ(PARSE("-c", "a,b", "h", "1"), -EINVAL);
	CHECK(strstr(err, "rename") != NULL);
	CHECK_EQ(PARSE("-c", "a)", "h", "1"), -EINVAL);
	CHECK_EQ(PARSE("h", "1", "-c"), -EINVAL);
	CHECK(strstr(err, "-c needs") != NULL);
	CHECK_EQ(PARSE("--bogus", "h", "1"), -EINVAL);
	CHECK(strstr(err, "'--bogus'") != NULL);
	CHECK_EQ(PARSE("a", "b", "c", "d"), -EINVAL);
	CHECK_EQ(PARSE("--tls-creds"), -EINVAL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK_EQ(PARSE("-nx", "h", "1"), -EINVAL);
	CHECK(strstr(err, "unknown option '-x'") != NULL);
	CHECK_EQ(PARSE("--help=yes"), -EINVAL);
	CHECK(strstr(err, "unknown option '--help'") != NULL);
	/* whole names only (getopt_long would take --tls for --tls-creds) */
	CHECK_EQ(PARSE("--tls", "/d", "h", "1"), -EINVAL);
	CHECK(strstr(err, "unknown option '--tls'") != NULL);
	CHECK_EQ(PARSE("--no-std", "h", "1"), -EINVAL);
	CHECK(strstr(err, "'--no-std'") != NULL);
	CHECK_EQ(PARSE("-d", "100", "h", "1"), -EINVAL);
	CHECK(strstr(err, "0..99") != NULL);
	CHECK_EQ(PARSE("-c", "", "h", "1"), -EINVAL);
	CHECK(strstr(err, "-c needs") != NULL);
}

/* vscclient's order: options before, between or after HOST PORT; "--"
 * makes the rest words; every parse starts over (getopt's globals). */
static void options_anywhere(void)
{
	CHECK_EQ(PARSE("h", "-c", "a", "1", "-d1", "-n"), 0);
	CHECK(strcmp(a.host, "h") == 0);
	CHECK(strcmp(a.port, "1") == 0);
	CHECK_EQ(a.n_certs, 1);
	CHECK_EQ(a.debug, 1);
	CHECK(a.no_stdin);
	CHECK_EQ(PARSE("-e", "", "--", "-h", "2"), 0);
	CHECK(!a.help);
	CHECK(strcmp(a.host, "-h") == 0);
	CHECK_EQ(a.n_certs, 0);
	CHECK_EQ(a.debug, 0);
	CHECK_EQ(PARSE("-h"), 0);
	CHECK(a.help);
}

static void commands(void)
{
	struct vscc_cmd c;

	CHECK_EQ(vscc_cmd_parse("insert\n").kind, VSCC_CMD_INSERT);
	CHECK_EQ(vscc_cmd_parse("  remove").kind, VSCC_CMD_REMOVE);
	CHECK_EQ(vscc_cmd_parse("reader-remove\n").kind, VSCC_CMD_READER_REMOVE);
	CHECK_EQ(vscc_cmd_parse("reader-add").kind, VSCC_CMD_READER_ADD);
	CHECK_EQ(vscc_cmd_parse("list").kind, VSCC_CMD_LIST);
	CHECK_EQ(vscc_cmd_parse("quit").kind, VSCC_CMD_QUIT);
	CHECK_EQ(vscc_cmd_parse("exit\n").kind, VSCC_CMD_QUIT);
	CHECK_EQ(vscc_cmd_parse("help").kind, VSCC_CMD_HELP);
	CHECK_EQ(vscc_cmd_parse("\n").kind, VSCC_CMD_EMPTY);
	CHECK_EQ(vscc_cmd_parse("insertx").kind, VSCC_CMD_UNKNOWN);
	c = vscc_cmd_parse("select 0\n");
	CHECK_EQ(c.kind, VSCC_CMD_SELECT);
	CHECK_EQ(c.arg, 0);
	c = vscc_cmd_parse("debug 12");
	CHECK_EQ(c.kind, VSCC_CMD_DEBUG);
	CHECK_EQ(c.arg, 12);
	c = vscc_cmd_parse("debug");
	CHECK_EQ(c.arg, -1);
	CHECK(!c.bad_arg);
	c = vscc_cmd_parse("debug x");
	CHECK(c.bad_arg);
	c = vscc_cmd_parse("insert 1 2");
	CHECK(c.bad_arg);
}

int main(void)
{
	RUN(host_port);
	RUN(certs_build_a_soft_card_on_the_default_db);
	RUN(certs_with_e_append_the_soft_list);
	RUN(e_alone_is_passed_unchanged);
	RUN(debug_no_stdin_tls);
	RUN(unix_path_port_optional);
	RUN(help);
	RUN(refusals_say_what_and_how);
	RUN(options_anywhere);
	RUN(commands);
	TAP_EXIT();
}
