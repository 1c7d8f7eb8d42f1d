/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --config FILE: the file's `key = value` lines mean what the long options
 * mean, the command line wins, and a bad line is one error naming
 * FILE:LINE. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "tap.h"

static struct gadget_opts o;
static char err[512];
static char path[64];

#define ARGV(...) ((char *[]){ "ccid-gadget", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "ccid-gadget", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(...) gadget_cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), &o, err, sizeof(err))

static void write_conf(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_conf.%d", (int)getpid());
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Expect a failure whose one-line message mentions `needle`. */
static void expect_bad(const char *text, const char *needle)
{
	write_conf(text);
	CHECK_EQ(PARSE("--config", path), -EINVAL);
	if (!strstr(err, needle)) {
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle);
		tap_failed_now = 1;
	}
	CHECK(strchr(err, '\n') == NULL);
	gadget_cli_free(&o);
	unlink(path);
}

static void every_key(void)
{
	write_conf("# /etc/ccid-gadget.conf\n"
		   "\n"
		   "card = test\n"
		   "  card=test,delay_ms=5  \n"
		   "slots = 3\n"
		   "udc = fe980000.usb\n"
		   "vid = 1d6b\n"
		   "pid = 0x0104\n"
		   "bcd-device = 0231\n"
		   "manufacturer = \"  Spaced Ltd  \"\n"
		   "product = Board reader\r\n"
		   "serial = 0123\n"
		   "max-message = 271\n"
		   "ctl = /run/x.sock\n"
		   "pcap = /tmp/x.pcap\n"
		   "verbose = 2\n");
	CHECK_EQ(PARSE("--config", path), 0);
	CHECK_EQ(o.ncards, 2);
	CHECK(o.ncards == 2 && !strcmp(o.cards[1], "test,delay_ms=5"));
	CHECK_EQ(o.slots, 3);
	CHECK(o.udc && !strcmp(o.udc, "fe980000.usb"));
	CHECK_EQ(o.vid, 0x1d6b);
	CHECK_EQ(o.pid, 0x0104);
	CHECK_EQ(o.bcd_device, 0x0231);
	CHECK(!strcmp(o.manufacturer, "  Spaced Ltd  "));
	CHECK(!strcmp(o.product, "Board reader"));
	CHECK(o.serial && !strcmp(o.serial, "0123"));
	CHECK_EQ(o.max_message, 271);
	CHECK(!strcmp(o.ctl_path, "/run/x.sock"));
	CHECK(o.pcap_path && !strcmp(o.pcap_path, "/tmp/x.pcap"));
	CHECK_EQ(o.verbose, 2);
	gadget_cli_free(&o);
	unlink(path);
}

/* A '#' after a space or tab starts a comment (the shipped config's
 * `udc = NAME   # default: ...` lines can be uncommented as they are);
 * one without stays in the value, and quotes keep a ' #'. */
static void inline_comments(void)
{
	write_conf("udc = 20980000.usb   # the Pi Zero's; 4: fe980000.usb\n"
		   "card = passthru,listen=unix:/run/a#b\t# a '#' in a path\n"
		   "product = \"Reader #1\"  # quoted\n"
		   "manufacturer = \"say \"hi\"\"\n"
		   "serial = S1\t#tab before\n"
		   "vid = 1d6b #\n");
	CHECK_EQ(PARSE("--config", path), 0);
	CHECK(o.udc && !strcmp(o.udc, "20980000.usb"));
	CHECK(o.ncards == 1 && !strcmp(o.cards[0],
				       "passthru,listen=unix:/run/a#b"));
	CHECK(!strcmp(o.product, "Reader #1"));
	CHECK(!strcmp(o.manufacturer, "say \"hi\""));
	CHECK(o.serial && !strcmp(o.serial, "S1"));
	CHECK_EQ(o.vid, 0x1d6b);
	gadget_cli_free(&o);
	unlink(path);
	/* a value that is only a comment is empty: the option says so */
	expect_bad("pcap = # none\n", "--pcap needs a file");
	expect_bad("product = \"x\" y\n", "closing");
}

static void command_line_wins(void)
{
	write_conf("card = test\ncard = test\nvid = 1234\nproduct = file\n");
	/* --card replaces the file's cards; other options override */
	CHECK_EQ(PARSE("--config", path, "--card", "test,absent", "--vid",
		       "abcd", "-v"), 0);
	CHECK_EQ(o.ncards, 1);
	CHECK(!strcmp(o.cards[0], "test,absent"));
	CHECK_EQ(o.vid, 0xabcd);
	CHECK(!strcmp(o.product, "file"));
	CHECK_EQ(o.verbose, 1);
	gadget_cli_free(&o);
	/* --config=FILE, read first wherever it stands */
	char arg[80];

	snprintf(arg, sizeof(arg), "--config=%s", path);
	CHECK_EQ(PARSE("--pid", "1", arg), 0);
	CHECK_EQ(o.ncards, 2);
	CHECK_EQ(o.vid, 0x1234);
	CHECK_EQ(o.pid, 1);
	gadget_cli_free(&o);
	unlink(path);
}

static void ctl_takes_the_socket(void)
{
	write_conf("card = test\nctl = /run/other.sock\nverbose = 2\n");
	CHECK_EQ(gadget_cli_parse(5, ARGV("ctl", "status", "--config", path),
				  &o, err, sizeof(err)), 0);
	CHECK_EQ(o.mode, GADGET_MODE_CTL);
	CHECK(!strcmp(o.ctl_path, "/run/other.sock"));
	CHECK_EQ(o.ncards, 0);
	CHECK_EQ(o.verbose, 2);
	gadget_cli_free(&o);
	unlink(path);
}

static void bad_lines(void)
{
	expect_bad("card = test\nnonsense\n", ":2: expected 'key = value'");
	expect_bad("bogus = 1\n", ":1: unknown key 'bogus'");
	expect_bad("card test\n", "expected 'key = value'");
	expect_bad(" = x\n", "no key before '='");
	expect_bad("slots = 9\n", ":1: --slots '9': give a number from 1 to");
	expect_bad("vid = zz\n", "--vid 'zz': not a 16-bit hex");
	expect_bad("vid = 1\nvid = 2\n", ":2: --vid given twice");
	expect_bad("bcd-device = 0x1F\n",
		   ":1: --bcd-device '0x1F': give 1 to 4 decimal digits");
	expect_bad("config = /etc/x\n", "cannot name another one");
	expect_bad("help = 1\n", "unknown key 'help'");
	expect_bad("product = \"open\n", "closing");
	expect_bad("verbose = lots\n", "verbose 'lots'");
	expect_bad("pcap =\n", "--pcap needs a file");
	expect_bad("ffs = /dev/ffs\nvid = 1234\n",
		   "--vid (from --config) has no effect with --ffs");
	/* a missing file: the path and the fix */
	CHECK_EQ(PARSE("--config", "/nonexistent/ccid.conf"), -ENOENT);
	CHECK(strstr(err, "/nonexistent/ccid.conf") != NULL);
	CHECK(strstr(err, "readable file") != NULL);
	gadget_cli_free(&o);
	CHECK_EQ(PARSE("--config", ""), -EINVAL);
	gadget_cli_free(&o);
}

static int count_fn(void *ctx, const char *key, const char *value, char *e,
		    size_t elen)
{
	(void)key;
	(void)value;
	(void)e;
	(void)elen;
	(*(int *)ctx)++;
	return 0;
}

static void parser_alone(void)
{
	char text[] = "a = 1\n#x = 2\n\n\tb=\n c = \"\" \nlast = no newline";
	int n = 0;

	CHECK_EQ(gadget_conf_parse(text, "t", count_fn, &n, err, sizeof(err)),
		 0);
	CHECK_EQ(n, 4);
}

int main(void)
{
	RUN(every_key);
	RUN(inline_comments);
	RUN(command_line_wins);
	RUN(ctl_takes_the_socket);
	RUN(bad_lines);
	RUN(parser_alone);
	TAP_EXIT();
}
