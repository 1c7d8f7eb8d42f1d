/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-gadget's options: the table (cli_opts.h), each option's checks,
 * and --help printed from it. */
#include "cli_opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define STR_(x) #x
#define STR(x) STR_(x)

int gadget_opt_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define fail gadget_opt_fail

static int parse_hex16(const char *s, uint16_t *out)
{
	size_t i, n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0 || n > 4)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	*out = (uint16_t)strtoul(s, NULL, 16);
	return 0;
}

int gadget_opt_parse_uint(const char *s, unsigned long max,
			  unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A USB string: configfs stores up to 126 bytes; no control characters
 * (a newline would be cut by configfs and garble the descriptor). */
static int usb_string(const char *name, const char *v, const char **out,
		      char *err, size_t errlen)
{
	const unsigned char *p;
	const char *why = NULL;

	if (!*v)
		why = "is empty";
	else if (strlen(v) > GADGET_MAX_USB_STRING)
		why = "is longer than 126 bytes";
	for (p = (const unsigned char *)v; !why && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			why = "contains a control character";
	if (why)
		return fail(err, errlen, "--%s %s: give 1 to 126 printable "
			    "characters", name, why);
	*out = v;
	return 0;
}

static int set_card(struct gadget_opts *o, const char *v, char *err,
		    size_t errlen)
{
	if (!*v)
		return fail(err, errlen, "--card needs a SPEC, e.g. --card "
			    "test");
	if (o->ncards == CCID_MAX_SLOTS)
		return fail(err, errlen, "more than %d --card options: a "
			    "reader has at most %d slots", CCID_MAX_SLOTS,
			    CCID_MAX_SLOTS);
	o->cards[o->ncards++] = v;
	return 0;
}

static int set_slots(struct gadget_opts *o, const char *v, char *err,
		     size_t errlen)
{
	unsigned long n;

	if (gadget_opt_parse_uint(v, CCID_MAX_SLOTS, &n) || n == 0)
		return fail(err, errlen, "--slots '%s': give a number from 1 "
			    "to %d", v, CCID_MAX_SLOTS);
	o->slots = (unsigned)n;
	return 0;
}

static int set_max_message(struct gadget_opts *o, const char *v, char *err,
			   size_t errlen)
{
	unsigned long n;

	if (gadget_opt_parse_uint(v, UINT32_MAX, &n) || n == 0)
		return fail(err, errlen, "--max-message '%s': give "
			    "dwMaxCCIDMessageLength in bytes, e.g. 271", v);
	o->max_message = (uint32_t)n;
	return 0;
}

static int set_udc(struct gadget_opts *o, const char *v, char *err,
		   size_t errlen)
{
	if (!*v || strchr(v, '/'))
		return fail(err, errlen, "--udc '%s': not a UDC name (see ls "
			    "/sys/class/udc)", v);
	o->udc = v;
	return 0;
}

/* The gadget's name in configfs (usb_gadget/NAME) and its FunctionFS
 * instance (functions/ffs.NAME; FunctionFS instance names are global to
 * the kernel, so two gadgets cannot share one). Letters, digits, '-' and
 * '_' keep it a safe path component everywhere it is used. */
static int set_name(struct gadget_opts *o, const char *v, char *err,
		    size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0 || n > GADGET_MAX_NAME ||
	    !isalnum((unsigned char)v[0]) ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-_") != n)
		return fail(err, errlen, "--name '%s': give 1 to %d letters, "
			    "digits, '-' or '_', starting with a letter or "
			    "digit, e.g. --name reader1", v, GADGET_MAX_NAME);
	o->name = v;
	return 0;
}

static int set_vid(struct gadget_opts *o, const char *v, char *err,
		   size_t errlen)
{
	if (parse_hex16(v, &o->vid))
		return fail(err, errlen, "--vid '%s': not a 16-bit hex number "
			    "(e.g. %04x)", v, GADGET_DEFAULT_VID);
	return 0;
}

static int set_pid(struct gadget_opts *o, const char *v, char *err,
		   size_t errlen)
{
	if (parse_hex16(v, &o->pid))
		return fail(err, errlen, "--pid '%s': not a 16-bit hex number "
			    "(e.g. %04x)", v, GADGET_DEFAULT_PID);
	return 0;
}

/* bcdDevice is the device's release number in binary-coded decimal (USB
 * 2.0 9.6.1, Table 9-8): four digits 0-9, written like the hex number
 * they make (0100 is release 1.00). Windows keys its driver cache on
 * VID:PID:bcdDevice, so a new value makes it enumerate afresh. */
static int set_bcd_device(struct gadget_opts *o, const char *v, char *err,
			  size_t errlen)
{
	const char *digits = v;
	uint16_t bcd;

	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		digits += 2;
	if (parse_hex16(v, &bcd) || strspn(digits, "0123456789") != strlen(digits))
		return fail(err, errlen, "--bcd-device '%s': give 1 to 4 "
			    "decimal digits, the release number in BCD (USB "
			    "2.0 9.6.1; e.g. 0102 for 1.02)", v);
	o->bcd_device = bcd;
	return 0;
}

static int set_manufacturer(struct gadget_opts *o, const char *v, char *err,
			    size_t errlen)
{
	return usb_string("manufacturer", v, &o->manufacturer, err, errlen);
}

static int set_product(struct gadget_opts *o, const char *v, char *err,
		       size_t errlen)
{
	return usb_string("product", v, &o->product, err, errlen);
}

static int set_serial(struct gadget_opts *o, const char *v, char *err,
		      size_t errlen)
{
	return usb_string("serial", v, &o->serial, err, errlen);
}

static int set_ffs(struct gadget_opts *o, const char *v, char *err,
		   size_t errlen)
{
	if (!*v)
		return fail(err, errlen, "--ffs needs the directory where "
			    "FunctionFS is mounted");
	o->ffs_dir = v;
	return 0;
}

static int set_ctl(struct gadget_opts *o, const char *v, char *err,
		   size_t errlen)
{
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (!*v || strlen(v) > max)
		return fail(err, errlen, "--ctl '%s': give a socket path of 1 "
			    "to %zu bytes", v, max);
	o->ctl_path = v;
	return 0;
}

/* ctl status --json; cli.c refuses it anywhere else. */
static int set_json(struct gadget_opts *o, const char *v, char *err,
		    size_t errlen)
{
	(void)v;
	(void)err;
	(void)errlen;
	o->ctl_json = true;
	return 0;
}

/* Looked up when the daemon starts (privsep.h). */
static int set_user(struct gadget_opts *o, const char *v, char *err,
		    size_t errlen)
{
	if (!*v || *v == ':' || v[strlen(v) - 1] == ':' ||
	    strchr(v, ':') != strrchr(v, ':'))
		return fail(err, errlen, "--user '%s': give USER or "
			    "USER:GROUP, e.g. --user ccid-gadget", v);
	o->user = v;
	return 0;
}

/* cli.c reads the file before the other options; this only checks. */
static int set_config(struct gadget_opts *o, const char *v, char *err,
		      size_t errlen)
{
	if (!*v)
		return fail(err, errlen, "--config needs a file, e.g. "
			    "--config /etc/ccid-gadget.conf");
	o->config_path = v;
	return 0;
}

static int set_pcap(struct gadget_opts *o, const char *v, char *err,
		    size_t errlen)
{
	if (!*v)
		return fail(err, errlen, "--pcap needs a file to write the "
			    "capture to, e.g. --pcap /tmp/ccid.pcap");
	o->pcap_path = v;
	return 0;
}

/* N, NK, NM or NG (powers of 1024), at least a few records' worth. */
static int set_pcap_max_bytes(struct gadget_opts *o, const char *v,
			      char *err, size_t errlen)
{
	unsigned long long n;
	unsigned shift = 0;
	char *end;

	errno = 0;
	n = isdigit((unsigned char)v[0]) ? strtoull(v, &end, 10) : 0;
	if (n && !errno) {
		switch (*end) {
		case 'K': shift = 10; end++; break;
		case 'M': shift = 20; end++; break;
		case 'G': shift = 30; end++; break;
		}
	}
	if (!n || errno || *end || n > (UINT64_MAX >> shift) ||
	    (n << shift) < 4096)
		return fail(err, errlen, "--pcap-max-bytes '%s': give a size "
			    "of at least 4096 bytes, e.g. 64M (K, M, G: "
			    "1024, 1024^2, 1024^3 bytes)", v);
	o->pcap_max_bytes = (uint64_t)n << shift;
	return 0;
}

/* -v on the command line adds one; `verbose = N` in the file sets N. */
static int set_verbose(struct gadget_opts *o, const char *v, char *err,
		       size_t errlen)
{
	unsigned long n;

	if (!v) {
		o->verbose++;
		return 0;
	}
	if (gadget_opt_parse_uint(v, 3, &n))
		return fail(err, errlen, "verbose '%s': give 0 to 3 (as many "
			    "as -v)", v);
	o->verbose = (int)n;
	return 0;
}

static int set_help(struct gadget_opts *o, const char *v, char *err,
		    size_t errlen)
{
	(void)v;
	(void)err;
	(void)errlen;
	o->mode = GADGET_MODE_HELP;
	return 0;
}

#define ARG required_argument
#define NOARG no_argument

const struct opt_def gadget_opt_defs[OPT_COUNT] = {
	[OPT_CARD] = { "card", 0, ARG, set_card, OPTF_WITH_FFS | OPTF_REPEAT,
		"SPEC",
		"a card, QEMU property syntax (',,' is a literal comma):\n"
		"  test[,delay_ms=N][,absent]   the built-in test card\n"
		"  emulated,backend=certificates,db=sql:DIR,cert1=N[,cert2=N,cert3=N]\n"
		"  emulated,backend=nss-emulated[,db=sql:DIR]\n"
		"  passthru,listen=[HOST:]PORT|unix:PATH   a VSCard server\n"
		"    (QEMU ccid-card-passthru; clients: ccid-vscclient,\n"
		"    vscclient); HOST defaults to 127.0.0.1; options:\n"
		"    attach=reader|always  reader (default): the PC sees\n"
		"      the reader only while a client has added one\n"
		"    timeout=S  seconds a client may take per APDU\n"
		"      (default 30, 0 = no limit)\n"
		"    tls-creds=DIR  TLS, clients need a certificate of\n"
		"      DIR/ca-cert.pem (QEMU tls-creds-x509 layout)\n"
		"    tls-allow=FILE  only these clients (sha256:HEX or\n"
		"      a subject DN, one a line)" },
	[OPT_SLOTS] = { "slots", 0, ARG, set_slots, OPTF_WITH_FFS, "N",
		"slots of the reader, 1.." STR(CCID_MAX_SLOTS) " (default: the "
		"number of\n--card options, at least 1); extra slots stay "
		"empty" },
	[OPT_MAX_MESSAGE] = { "max-message", 0, ARG, set_max_message,
		OPTF_WITH_FFS, "N",
		"dwMaxCCIDMessageLength in bytes, header included\n"
		"(default: the engine's; smaller forces APDU chaining)" },
	[OPT_UDC] = { "udc", 0, ARG, set_udc, 0, "NAME",
		"the UDC to bind (default: the only entry of\n"
		"/sys/class/udc)" },
	[OPT_NAME] = { "name", 0, ARG, set_name, OPTF_WITH_FFS | OPTF_CTL,
		"NAME",
		"the gadget's name in configfs and its FunctionFS\n"
		"instance (default ccid-gadget, instance ccid); one\n"
		"per daemon: with dummy_hcd num=N run N daemons,\n"
		"each with its own --name and --udc; without --ctl\n"
		"the socket is /run/ccid-gadget-NAME.sock (ctl takes\n"
		"--name too)" },
	[OPT_VID] = { "vid", 0, ARG, set_vid, 0, "HEX",
		"idVendor (default 08e6)" },
	[OPT_PID] = { "pid", 0, ARG, set_pid, 0, "HEX",
		"idProduct (default 4433; 08e6:4433 is QEMU's usb-ccid,\n"
		"known to libccid; another ID needs an Info.plist entry)" },
	[OPT_BCD_DEVICE] = { "bcd-device", 0, ARG, set_bcd_device, 0, "BCD",
		"bcdDevice, the release number in BCD (default 0100);\n"
		"Windows caches drivers per VID:PID:bcdDevice: raise it\n"
		"to make it enumerate the reader afresh" },
	[OPT_MANUFACTURER] = { "manufacturer", 0, ARG, set_manufacturer, 0,
		"S", "iManufacturer (default \"" GADGET_DEFAULT_MANUFACTURER
		"\")" },
	[OPT_PRODUCT] = { "product", 0, ARG, set_product, 0, "S",
		"iProduct (default \"" GADGET_DEFAULT_PRODUCT "\")" },
	[OPT_SERIAL] = { "serial", 0, ARG, set_serial, 0, "S",
		"iSerialNumber (default: stable per board, from\n"
		"/proc/device-tree/serial-number or /etc/machine-id)" },
	[OPT_FFS] = { "ffs", 0, ARG, set_ffs, OPTF_WITH_FFS, "DIR",
		"serve a FunctionFS instance already mounted at DIR;\n"
		"configfs is not touched (bind the UDC yourself after\n"
		"the daemon has started)" },
	[OPT_CTL] = { "ctl", 0, ARG, set_ctl, OPTF_WITH_FFS | OPTF_CTL,
		"PATH", "control socket (default " GADGET_DEFAULT_CTL "); root "
		"only" },
	[OPT_JSON] = { "json", 0, NOARG, set_json, OPTF_CTL | OPTF_NO_FILE,
		NULL, "ctl status only: one JSON object (fields in\n"
		"ccid-gadget(8), STATUS AS JSON)" },
	[OPT_USER] = { "user", 0, ARG, set_user, OPTF_WITH_FFS,
		"USER[:GROUP]",
		"after set-up, run as USER (and GROUP, default USER's\n"
		"own): FunctionFS is mounted for it (uid=/gid=), and a\n"
		"small helper process keeps root only to bind and\n"
		"unbind the UDC and to remove the gadget at exit;\n"
		"card databases and ports are opened before the drop" },
	[OPT_CONFIG] = { "config", 0, ARG, set_config,
		OPTF_WITH_FFS | OPTF_CTL | OPTF_NO_FILE, "FILE",
		"read options from FILE first (e.g.\n"
		"/etc/ccid-gadget.conf): one `key = value` a line,\n"
		"keys are the long options without --, one\n"
		"`card = SPEC` line per card, `verbose = N`, '#'\n"
		"comments (also after a value, after a space);\n"
		"the command line overrides the file and\n"
		"its --card options replace the file's cards" },
	[OPT_PCAP] = { "pcap", 0, ARG, set_pcap, OPTF_WITH_FFS, "FILE",
		"write the reader's USB traffic to FILE as a pcap\n"
		"(usbmon link type, as QEMU usb-ccid's pcap=):\n"
		"Wireshark/tshark decode it as USB CCID. It holds\n"
		"PINs and decrypted data: FILE must not exist, is\n"
		"created 0600 and never follows a link" },
	[OPT_PCAP_MAX_BYTES] = { "pcap-max-bytes", 0, ARG, set_pcap_max_bytes,
		OPTF_WITH_FFS, "N",
		"the capture stops (one log line) before FILE would\n"
		"grow past N bytes; K, M, G suffixes (default 64M)" },
	[OPT_VERBOSE] = { "verbose", 'v', NOARG, set_verbose,
		OPTF_WITH_FFS | OPTF_CTL | OPTF_REPEAT, NULL,
		"one line per APDU (slot, command header, status\n"
		"word, time taken) and the protocol trace; -vv adds\n"
		"debug (every transfer)" },
	[OPT_HELP] = { "help", 'h', NOARG, set_help,
		OPTF_WITH_FFS | OPTF_CTL | OPTF_REPEAT | OPTF_NO_FILE, NULL,
		"this text" },
};

const struct opt_def *gadget_opt_find(const char *name)
{
	size_t i;

	for (i = 0; i < OPT_COUNT; i++)
		if (!strcmp(gadget_opt_defs[i].name, name))
			return &gadget_opt_defs[i];
	return NULL;
}

/* ---- --help ---- */

/* The sections of --help: a heading, the options from `first` up to the
 * next section's, and text after them. */
static const struct {
	enum opt_id first;
	const char *heading;
	const char *after;
} sections[] = {
	{ OPT_CARD, "Cards (each --card fills the next slot, from slot 0):",
	  NULL },
	{ OPT_UDC, "USB gadget (configfs, via libusbgx):", NULL },
	{ OPT_CTL, "Control:",
	  "  ctl status [--json]  UDC state, speed, slots, cards, APDU counts\n"
	  "  ctl insert [SLOT]    insert the card of SLOT (default 0)\n"
	  "  ctl remove [SLOT]    remove the card of SLOT (default 0)\n"
	  "  ctl detach           unbind the UDC: the PC sees the reader unplugged\n"
	  "  ctl attach           bind it again (the card keeps its state)\n"
	  "  ctl exit status: 0 done, 1 the daemon refused (its reason on\n"
	  "  stderr), 2 bad command line, 3 no daemon answers at the socket\n" },
	{ OPT_USER, "Privileges:", NULL },
	{ OPT_CONFIG, "Configuration file:", NULL },
	{ OPT_PCAP, "Field debugging:", NULL },
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))
#define HELP_COLUMN 23

static void print_option(FILE *out, const struct opt_def *d)
{
	const char *line = d->help, *nl;
	int n;

	if (d->short_name)
		n = fprintf(out, "  -%c, --%s", d->short_name, d->name);
	else
		n = fprintf(out, "  --%s %s", d->name, d->metavar);
	for (;;) {
		nl = strchr(line, '\n');
		fprintf(out, "%*s%.*s\n", n < HELP_COLUMN - 1 ?
			HELP_COLUMN - n : 1, "",
			nl ? (int)(nl - line) : (int)strlen(line), line);
		if (!nl)
			break;
		line = nl + 1;
		n = 0;
	}
}

void gadget_cli_usage(FILE *out)
{
	size_t s;
	int id, end;

	fputs("Usage: ccid-gadget [OPTIONS]\n"
	      "       ccid-gadget ctl status [--json] | insert [SLOT] | remove [SLOT] |\n"
	      "                       detach | attach  [--name NAME | --ctl PATH]\n"
	      "\n"
	      "A USB CCID smart-card reader on this board's USB device controller: the\n"
	      "daemon creates a configfs gadget with one FunctionFS function, serves the\n"
	      "CCID protocol on it and binds it to the UDC. SIGINT/SIGTERM unbind and\n"
	      "remove it again.\n", out);
	for (s = 0; s < NSECTIONS; s++) {
		end = s + 1 < NSECTIONS ? (int)sections[s + 1].first :
					   OPT_COUNT;
		fprintf(out, "\n%s\n", sections[s].heading);
		for (id = (int)sections[s].first; id < end; id++)
			print_option(out, &gadget_opt_defs[id]);
		if (sections[s].after)
			fputs(sections[s].after, out);
	}
	fputs("\n"
	      "Under systemd (Type=notify): READY=1 is sent on $NOTIFY_SOCKET once the\n"
	      "gadget is bound to the UDC (with --ffs, or a passthru reader bound later:\n"
	      "once the gadget can be bound), STATUS= on USB changes, STOPPING=1 on\n"
	      "SIGTERM.\n"
	      "\n"
	      "Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime error, 2 on a bad\n"
	      "command line, config file or card SPEC (reported before anything is\n"
	      "created).\n", out);
}
