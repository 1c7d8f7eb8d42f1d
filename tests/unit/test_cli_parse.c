/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: what is accepted, and the one-line error for the rest. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "tap.h"

static struct gadget_opts o;
static char err[512];

#define ARGV(...) ((char *[]){ "ccid-gadget", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "ccid-gadget", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(...) gadget_cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), &o, err, sizeof(err))

/* Expect a failure whose message mentions `needle`. */
#define BAD(needle, ...) do { \
	CHECK_EQ(PARSE(__VA_ARGS__), -EINVAL); \
	if (!strstr(err, needle)) { \
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle); \
		tap_failed_now = 1; \
	} \
	CHECK(strchr(err, '\n') == NULL); \
} while (0)

static void defaults(void)
{
	char *argv[] = { "ccid-gadget", NULL };

	CHECK_EQ(gadget_cli_parse(1, argv, &o, err, sizeof(err)), 0);
	CHECK_EQ(o.mode, GADGET_MODE_DAEMON);
	CHECK_EQ(o.vid, 0x08e6);
	CHECK_EQ(o.pid, 0x4433);
	CHECK_EQ(o.bcd_device, 0x0100);
	CHECK(o.udc == NULL);
	CHECK(o.serial == NULL);
	CHECK(o.ffs_dir == NULL);
	CHECK_EQ(o.ncards, 0);
	CHECK_EQ(gadget_cli_slots(&o), 1);
	CHECK(!strcmp(o.ctl_path, "/run/ccid-gadget.sock"));
}

static void everything(void)
{
	CHECK_EQ(PARSE("--udc", "dummy_udc.0", "--card", "test", "--card=test,absent",
		       "--slots", "3", "--vid", "0x1d6b", "--pid=0104",
		       "--bcd-device", "0x0215",
		       "--manufacturer", "ACME", "--product", "Reader X",
		       "--serial", "S123", "--max-message", "271", "-vv",
		       "--ctl", "/tmp/x.sock"), 0);
	CHECK(!strcmp(o.udc, "dummy_udc.0"));
	CHECK_EQ(o.ncards, 2);
	CHECK(!strcmp(o.cards[0], "test"));
	CHECK(!strcmp(o.cards[1], "test,absent"));
	CHECK_EQ(o.slots, 3);
	CHECK_EQ(gadget_cli_slots(&o), 3);
	CHECK_EQ(o.vid, 0x1d6b);
	CHECK_EQ(o.pid, 0x0104);
	CHECK_EQ(o.bcd_device, 0x0215);
	CHECK(!strcmp(o.manufacturer, "ACME"));
	CHECK(!strcmp(o.product, "Reader X"));
	CHECK(!strcmp(o.serial, "S123"));
	CHECK_EQ(o.max_message, 271);
	CHECK_EQ(o.verbose, 2);
	CHECK(!strcmp(o.ctl_path, "/tmp/x.sock"));
}

static void slots_follow_cards(void)
{
	CHECK_EQ(PARSE("--card", "test", "--card", "test", "--card", "test"), 0);
	CHECK_EQ(gadget_cli_slots(&o), 3);
	CHECK_EQ(PARSE("--slots", "2"), 0);
	CHECK_EQ(gadget_cli_slots(&o), 2);
	BAD("--slots 1 but 2 --card", "--slots", "1", "--card", "test",
	    "--card", "test");
	BAD("from 1 to 8", "--slots", "0");
	BAD("from 1 to 8", "--slots", "9");
	BAD("from 1 to 8", "--slots", "two");
	BAD("at most 8", "--card", "test", "--card", "test", "--card", "test",
	    "--card", "test", "--card", "test", "--card", "test", "--card",
	    "test", "--card", "test", "--card", "test");
}

static void bad_values(void)
{
	BAD("--vid 'zz'", "--vid", "zz");
	BAD("16-bit hex", "--pid", "12345");
	BAD("16-bit hex", "--pid", "");
	BAD("needs a value", "--card");
	BAD("--card needs a SPEC", "--card", "");
	BAD("given twice", "--vid", "1", "--vid", "2");
	/* bcdDevice is BCD (USB 2.0 9.6.1): hex digits A-F are refused. */
	BAD("--bcd-device '00a0': give 1 to 4 decimal digits", "--bcd-device",
	    "00a0");
	BAD("in BCD (USB 2.0 9.6.1", "--bcd-device", "0xFFFF");
	BAD("--bcd-device '12345'", "--bcd-device", "12345");
	BAD("--bcd-device '1.02'", "--bcd-device", "1.02");
	BAD("--bcd-device ''", "--bcd-device", "");
	BAD("--bcd-device '0x'", "--bcd-device", "0x");
	BAD("--bcd-device '-1'", "--bcd-device", "-1");
	CHECK_EQ(PARSE("--bcd-device", "9999"), 0);
	CHECK_EQ(o.bcd_device, 0x9999);
	CHECK_EQ(PARSE("--bcd-device", "0"), 0);
	CHECK_EQ(o.bcd_device, 0x0000);
	CHECK_EQ(PARSE("--bcd-device=0X0102"), 0);
	CHECK_EQ(o.bcd_device, 0x0102);
	BAD("is longer than 126", "--product",
	    "0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123456789");
	BAD("control character", "--serial", "a\nb");
	BAD("is empty", "--manufacturer", "");
	BAD("not a UDC name", "--udc", "../x");
	BAD("dwMaxCCIDMessageLength", "--max-message", "-5");
	BAD("dwMaxCCIDMessageLength", "--max-message", "0");
	BAD("dwMaxCCIDMessageLength", "--max-message", "99999999999");
	BAD("socket path", "--ctl",
	    "/tmp/0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789");
}

static void user_option(void)
{
	CHECK_EQ(PARSE("--user", "ccid-gadget", "--card", "test"), 0);
	CHECK(o.user && !strcmp(o.user, "ccid-gadget"));
	CHECK_EQ(PARSE("--user=nobody:nogroup", "--ffs", "/x"), 0);
	CHECK(o.user && !strcmp(o.user, "nobody:nogroup"));
	BAD("--user '': give USER or USER:GROUP", "--user", "");
	BAD("--user ':g': give USER", "--user", ":g");
	BAD("--user 'u:': give USER", "--user", "u:");
	BAD("--user 'a:b:c': give USER", "--user", "a:b:c");
	BAD("--user given twice", "--user", "a", "--user", "b");
}

/* --pcap-max-bytes: bytes, or K/M/G of them; never a cap too small for
 * the file header and a record, never a wrapped one. */
static void pcap_max_bytes(void)
{
	CHECK_EQ(PARSE("--card", "test"), 0);
	CHECK_EQ(o.pcap_max_bytes, 0);   /* the writer's default */
	CHECK_EQ(PARSE("--pcap", "/tmp/x", "--pcap-max-bytes", "4096"), 0);
	CHECK_EQ(o.pcap_max_bytes, 4096);
	CHECK_EQ(PARSE("--pcap-max-bytes", "64M"), 0);
	CHECK_EQ(o.pcap_max_bytes, 64ull << 20);
	CHECK_EQ(PARSE("--pcap-max-bytes=2G"), 0);
	CHECK_EQ(o.pcap_max_bytes, 2ull << 30);
	CHECK_EQ(PARSE("--pcap-max-bytes", "8K"), 0);
	CHECK_EQ(o.pcap_max_bytes, 8192);
	BAD("--pcap-max-bytes '0': give a size", "--pcap-max-bytes", "0");
	BAD("at least 4096", "--pcap-max-bytes", "4095");
	BAD("at least 4096", "--pcap-max-bytes", "1K");
	BAD("--pcap-max-bytes '-1'", "--pcap-max-bytes", "-1");
	BAD("--pcap-max-bytes '5T'", "--pcap-max-bytes", "5T");
	BAD("--pcap-max-bytes '1MB'", "--pcap-max-bytes", "1MB");
	BAD("--pcap-max-bytes '99999999999999999999'", "--pcap-max-bytes",
	    "99999999999999999999");
	BAD("--pcap-max-bytes '17179869184G'", "--pcap-max-bytes",
	    "17179869184G");
}

static void unknown_and_stray(void)
{
	BAD("unknown option '--frobnicate'", "--frobnicate");
	BAD("unknown option '--card-x'", "--card-x=1");
	BAD("unexpected argument 'test'", "test");
	BAD("unknown option '-x'", "-x");
	BAD("unknown option '-x'", "-vx");
	BAD("unexpected argument '-'", "-");
	/* after "--" every word is an argument */
	BAD("unexpected argument '--vid'", "--", "--vid");
	BAD("--verbose takes no value", "--verbose=2");
	BAD("--help takes no value", "--help=yes");
	BAD("--vid needs a value (--vid HEX)", "--vid");
}

/* getopt_long would take --ca for --card; the config file cannot, and
 * a new option would make an abbreviation ambiguous: whole names only. */
static void no_abbreviations(void)
{
	BAD("unknown option '--ca'", "--ca", "test");
	BAD("unknown option '--ca'", "--ca=test");
	BAD("unknown option '--verb'", "--verb");
	BAD("unknown option '--p'", "--p", "1");   /* ambiguous */
	CHECK_EQ(PARSE("--card", "test", "--verbose", "-v"), 0);
	CHECK_EQ(o.verbose, 2);
}

/* The parser starts over on every call (getopt's globals). */
static void parses_twice(void)
{
	CHECK_EQ(PARSE("--vid", "1", "--card", "test"), 0);
	CHECK_EQ(PARSE("--vid", "2"), 0);
	CHECK_EQ(o.vid, 2);
	CHECK_EQ(o.ncards, 0);
}

static void ffs_mode(void)
{
	CHECK_EQ(PARSE("--ffs", "/dev/ffs-ccid", "--card", "test", "--slots",
		       "2", "--max-message", "1000"), 0);
	CHECK(!strcmp(o.ffs_dir, "/dev/ffs-ccid"));
	BAD("--vid has no effect with --ffs", "--ffs", "/x", "--vid", "1234");
	BAD("--udc has no effect with --ffs", "--udc", "u", "--ffs", "/x");
	BAD("--serial has no effect", "--ffs", "/x", "--serial", "1");
	BAD("--bcd-device has no effect with --ffs", "--ffs", "/x",
	    "--bcd-device", "0200");
}

static void help(void)
{
	CHECK_EQ(PARSE("--card", "test", "--help"), 0);
	CHECK_EQ(o.mode, GADGET_MODE_HELP);
	CHECK_EQ(PARSE("-h"), 0);
	CHECK_EQ(o.mode, GADGET_MODE_HELP);
	/* --help wins over a later bad option: it stops parsing */
	CHECK_EQ(PARSE("--help", "--bogus"), 0);
}

static void ctl(void)
{
	CHECK_EQ(PARSE("ctl", "status"), 0);
	CHECK_EQ(o.mode, GADGET_MODE_CTL);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_STATUS);
	CHECK_EQ(PARSE("ctl", "insert"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_INSERT);
	CHECK_EQ(o.ctl_slot, 0);
	CHECK_EQ(PARSE("ctl", "--ctl", "/tmp/s", "remove", "3"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_REMOVE);
	CHECK_EQ(o.ctl_slot, 3);
	CHECK(!strcmp(o.ctl_path, "/tmp/s"));
	BAD("ctl needs a command", "ctl");
	BAD("unknown command", "ctl", "eject");
	BAD("SLOT is a number", "ctl", "insert", "x");
	BAD("SLOT is a number", "ctl", "insert", "8");
	BAD("too many arguments", "ctl", "status", "1");
	CHECK_EQ(PARSE("ctl", "detach"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_DETACH);
	CHECK_EQ(PARSE("ctl", "attach"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_ATTACH);
	BAD("too many arguments", "ctl", "detach", "0");
	BAD("not a ctl option", "ctl", "status", "--card", "test");
	/* options and words in any order; "--" before a word */
	CHECK_EQ(PARSE("ctl", "insert", "-v", "2", "--ctl=/tmp/t"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_INSERT);
	CHECK_EQ(o.ctl_slot, 2);
	CHECK_EQ(o.verbose, 1);
	CHECK(!strcmp(o.ctl_path, "/tmp/t"));
	CHECK_EQ(PARSE("ctl", "--", "remove", "1"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_REMOVE);
	CHECK_EQ(o.ctl_slot, 1);
	BAD("too many arguments", "ctl", "insert", "1", "2", "3");
}

static void reader_config(void)
{
	struct ccid_reader_config cfg;

	CHECK_EQ(PARSE("--card", "test", "--card", "test"), 0);
	CHECK_EQ(gadget_cli_reader_config(&o, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nslots, 2);
	CHECK_EQ(cfg.max_busy_slots, 2);   /* one command per slot, both at once */
	CHECK_EQ(PARSE("--max-message", "271"), 0);
	CHECK_EQ(gadget_cli_reader_config(&o, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.max_msg_len, 271);
	/* too small for a header: the engine's check says why */
	CHECK_EQ(PARSE("--max-message", "5"), 0);
	CHECK_EQ(gadget_cli_reader_config(&o, &cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "--max-message") != NULL);
}

static void usage_text(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	static const char *const opts[] = {
		"--udc", "--card", "--slots", "--vid", "--pid", "--bcd-device",
		"--manufacturer",
		"--product", "--serial", "--ffs", "--max-message", "--ctl",
		"--user", "--pcap", "--pcap-max-bytes",
		"ctl status", "ctl insert", "ctl remove", "-v", "--help",
	};
	size_t i;

	char line[80];

	gadget_cli_usage(f);
	fclose(f);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strstr(text, opts[i])) {
			fprintf(stderr, "  --help lacks %s\n", opts[i]);
			tap_failed_now = 1;
		}
	/* The defaults the help text spells out are the ones used. */
	snprintf(line, sizeof(line), "idVendor (default %04x)",
		 GADGET_DEFAULT_VID);
	CHECK(strstr(text, line) != NULL);
	snprintf(line, sizeof(line), "idProduct (default %04x; %04x:%04x",
		 GADGET_DEFAULT_PID, GADGET_DEFAULT_VID, GADGET_DEFAULT_PID);
	CHECK(strstr(text, line) != NULL);
	snprintf(line, sizeof(line), "slots of the reader, 1..%d ",
		 CCID_MAX_SLOTS);
	CHECK(strstr(text, line) != NULL);
	/* Options line up: every option line's text starts at column 23. */
	CHECK(strstr(text, "\n  --card SPEC          a card") != NULL);
	CHECK(strstr(text, "\n  --user USER[:GROUP]  after set-up") != NULL);
	CHECK(strstr(text, "\n  -v, --verbose        one line") != NULL);
	CHECK(strstr(text, "\n  --pcap-max-bytes N   the capture") != NULL);
	free(text);
}

/* --name: the gadget's and FunctionFS instance's name, and the socket
 * it implies unless --ctl says otherwise; ctl takes it too. */
static void name_option(void)
{
	CHECK_EQ(PARSE("--name", "r1", "--udc", "dummy_udc.1"), 0);
	CHECK(o.name && !strcmp(o.name, "r1"));
	CHECK(!strcmp(o.ctl_path, "/run/ccid-gadget-r1.sock"));
	CHECK_EQ(PARSE("--name", "r1", "--ctl", "/tmp/r.sock"), 0);
	CHECK(!strcmp(o.ctl_path, "/tmp/r.sock"));
	CHECK_EQ(PARSE("--name", "A-b_9"), 0);
	CHECK_EQ(PARSE("--name", "abcdefghijklmnopqrstuvwxyz012345"), 0);
	BAD("1 to 32 letters", "--name", "abcdefghijklmnopqrstuvwxyz0123456");
	BAD("1 to 32 letters", "--name", "");
	BAD("1 to 32 letters", "--name", "-x");
	BAD("1 to 32 letters", "--name", "a/b");
	BAD("1 to 32 letters", "--name", "a.b");
	BAD("given twice", "--name", "a", "--name", "b");
	CHECK_EQ(PARSE("ctl", "--name", "r2", "insert", "1"), 0);
	CHECK_EQ(o.mode, GADGET_MODE_CTL);
	CHECK(!strcmp(o.ctl_path, "/run/ccid-gadget-r2.sock"));
	CHECK_EQ(PARSE("--ffs", "/run/x", "--name", "r3"), 0);
	CHECK(!strcmp(o.ctl_path, "/run/ccid-gadget-r3.sock"));
	/* without --name nothing changes */
	CHECK_EQ(PARSE("--udc", "dummy_udc.0"), 0);
	CHECK(o.name == NULL);
	CHECK(!strcmp(o.ctl_path, "/run/ccid-gadget.sock"));
}

/* ctl status --json; --json anywhere else is refused. */
static void json_option(void)
{
	CHECK_EQ(PARSE("ctl", "status", "--json"), 0);
	CHECK_EQ(o.ctl_cmd, GADGET_CTL_STATUS);
	CHECK(o.ctl_json);
	CHECK_EQ(PARSE("ctl", "--json", "status"), 0);
	CHECK(o.ctl_json);
	CHECK_EQ(PARSE("ctl", "status"), 0);
	CHECK(!o.ctl_json);
	BAD("--json goes with ctl status only", "ctl", "insert", "--json");
	BAD("--json is an option of ctl status", "--json");
	BAD("--json is an option of ctl status", "--ffs", "/x", "--json");
}

int main(void)
{
	RUN(defaults);
	RUN(everything);
	RUN(slots_follow_cards);
	RUN(bad_values);
	RUN(user_option);
	RUN(pcap_max_bytes);
	RUN(unknown_and_stray);
	RUN(no_abbreviations);
	RUN(parses_twice);
	RUN(ffs_mode);
	RUN(help);
	RUN(ctl);
	RUN(name_option);
	RUN(json_option);
	RUN(reader_config);
	RUN(usage_text);
	TAP_EXIT();
}
