/* The command line: see cli.h. A small hand-written parser (no getopt:
 * no global state, and every error names the option and the fix). */
#include "cli.h"
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

enum opt_id {
	OPT_UDC, OPT_CARD, OPT_SLOTS, OPT_VID, OPT_PID, OPT_MANUFACTURER,
	OPT_PRODUCT, OPT_SERIAL, OPT_FFS, OPT_MAX_MESSAGE, OPT_CTL, OPT_PCAP,
	OPT_CONFIG, OPT_USER,
	OPT_COUNT
};

struct opt_def {
	const char *name;
	enum opt_id id;
	const char *metavar;
	bool with_ffs;       /* meaningful with --ffs DIR */
};

static const struct opt_def opt_defs[] = {
	{ "--udc", OPT_UDC, "NAME", false },
	{ "--card", OPT_CARD, "SPEC", true },
	{ "--slots", OPT_SLOTS, "N", true },
	{ "--vid", OPT_VID, "HEX", false },
	{ "--pid", OPT_PID, "HEX", false },
	{ "--manufacturer", OPT_MANUFACTURER, "STRING", false },
	{ "--product", OPT_PRODUCT, "STRING", false },
	{ "--serial", OPT_SERIAL, "STRING", false },
	{ "--ffs", OPT_FFS, "DIR", true },
	{ "--max-message", OPT_MAX_MESSAGE, "N", true },
	{ "--ctl", OPT_CTL, "PATH", true },
	{ "--pcap", OPT_PCAP, "FILE", true },
	{ "--config", OPT_CONFIG, "FILE", true },
	{ "--user", OPT_USER, "USER[:GROUP]", true },
};

#define NOPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_hex16(const char *s, uint16_t *out)
{
	size_t i, n;
	unsigned long v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0 || n > 4)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	v = strtoul(s, NULL, 16);
	*out = (uint16_t)v;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
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
static const char *usb_string_problem(const char *s)
{
	const unsigned char *p;

	if (!*s)
		return "is empty";
	if (strlen(s) > GADGET_MAX_USB_STRING)
		return "is longer than 126 bytes";
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "contains a control character";
	return NULL;
}

static const struct opt_def *find_opt(const char *arg, size_t namelen)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strlen(opt_defs[i].name) == namelen &&
		    !strncmp(opt_defs[i].name, arg, namelen))
			return &opt_defs[i];
	return NULL;
}

static int set_value(struct gadget_opts *o, const struct opt_def *d,
		     const char *v, bool *seen, char *err, size_t errlen)
{
	unsigned long n;
	const char *why;

	if (d->id != OPT_CARD && seen[d->id])
		return fail(err, errlen, "%s given twice: give it once",
			    d->name);
	seen[d->id] = true;

	switch (d->id) {
	case OPT_UDC:
		if (!*v || strchr(v, '/'))
			return fail(err, errlen, "--udc '%s': not a UDC name "
				    "(see ls /sys/class/udc)", v);
		o->udc = v;
		return 0;
	case OPT_CARD:
		if (!*v)
			return fail(err, errlen, "--card needs a SPEC, e.g. "
				    "--card test");
		if (o->ncards == CCID_MAX_SLOTS)
			return fail(err, errlen, "more than %d --card options: "
				    "a reader has at most %d slots",
				    CCID_MAX_SLOTS, CCID_MAX_SLOTS);
		o->cards[o->ncards++] = v;
		return 0;
	case OPT_SLOTS:
		if (parse_uint(v, CCID_MAX_SLOTS, &n) || n == 0)
			return fail(err, errlen, "--slots '%s': give a number "
				    "from 1 to %d", v, CCID_MAX_SLOTS);
		o->slots = (unsigned)n;
		return 0;
	case OPT_VID:
	case OPT_PID:
		if (parse_hex16(v, d->id == OPT_VID ? &o->vid : &o->pid))
			return fail(err, errlen, "%s '%s': not a 16-bit hex "
				    "number (e.g. %s)", d->name, v,
				    d->id == OPT_VID ? "08e6" : "4433");
		return 0;
	case OPT_MANUFACTURER:
	case OPT_PRODUCT:
	case OPT_SERIAL:
		why = usb_string_problem(v);
		if (why)
			return fail(err, errlen, "%s %s: give 1 to 126 "
				    "printable characters", d->name, why);
		if (d->id == OPT_MANUFACTURER)
			o->manufacturer = v;
		else if (d->id == OPT_PRODUCT)
			o->product = v;
		else
			o->serial = v;
		return 0;
	case OPT_FFS:
		if (!*v)
			return fail(err, errlen, "--ffs needs the directory "
				    "where FunctionFS is mounted");
		o->ffs_dir = v;
		return 0;
	case OPT_MAX_MESSAGE:
		if (parse_uint(v, UINT32_MAX, &n) || n == 0)
			return fail(err, errlen, "--max-message '%s': give "
				    "dwMaxCCIDMessageLength in bytes, e.g. "
				    "271", v);
		o->max_message = (uint32_t)n;
		return 0;
	case OPT_CTL:
		if (!*v || strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return fail(err, errlen, "--ctl '%s': give a socket "
				    "path of 1 to %zu bytes", v,
				    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		o->ctl_path = v;
		return 0;
	case OPT_PCAP:
		if (!*v)
			return fail(err, errlen, "--pcap needs a file to write "
				    "the capture to, e.g. --pcap /tmp/ccid.pcap");
		o->pcap_path = v;
		return 0;
	case OPT_CONFIG:
		o->config_path = v;   /* read before the other options */
		return 0;
	case OPT_USER:
		/* Looked up when the daemon starts (privsep.h). */
		if (!*v || *v == ':' || v[strlen(v) - 1] == ':' ||
		    strchr(v, ':') != strrchr(v, ':'))
			return fail(err, errlen, "--user '%s': give USER or "
				    "USER:GROUP, e.g. --user ccid-gadget", v);
		o->user = v;
		return 0;
	case OPT_COUNT:
		break;
	}
	return fail(err, errlen, "internal: unhandled option %s", d->name);
}

/* "-v", "-vv", ...: returns the count, 0 if arg is not that. */
static int count_v(const char *arg)
{
	int n = 0;

	if (!strcmp(arg, "--verbose"))
		return 1;
	if (arg[0] != '-' || arg[1] != 'v')
		return 0;
	for (arg++; *arg == 'v'; arg++)
		n++;
	return *arg ? 0 : n;
}

static int parse_ctl_words(struct gadget_opts *o, const char **words,
			   int nwords, char *err, size_t errlen)
{
	unsigned long n;

	if (nwords == 0)
		return fail(err, errlen, "ctl needs a command: status, "
			    "insert [SLOT] or remove [SLOT]");
	if (!strcmp(words[0], "status"))
		o->ctl_cmd = GADGET_CTL_STATUS;
	else if (!strcmp(words[0], "insert"))
		o->ctl_cmd = GADGET_CTL_INSERT;
	else if (!strcmp(words[0], "remove"))
		o->ctl_cmd = GADGET_CTL_REMOVE;
	else if (!strcmp(words[0], "detach"))
		o->ctl_cmd = GADGET_CTL_DETACH;
	else if (!strcmp(words[0], "attach"))
		o->ctl_cmd = GADGET_CTL_ATTACH;
	else
		return fail(err, errlen, "ctl '%s': unknown command (status, "
			    "insert [SLOT], remove [SLOT], detach, attach)",
			    words[0]);
	if (nwords > 2 || (nwords == 2 && (o->ctl_cmd == GADGET_CTL_STATUS ||
					   o->ctl_cmd == GADGET_CTL_DETACH ||
					   o->ctl_cmd == GADGET_CTL_ATTACH)))
		return fail(err, errlen, "ctl %s: too many arguments (ctl "
			    "status | insert [SLOT] | remove [SLOT])",
			    words[0]);
	if (nwords == 2) {
		if (parse_uint(words[1], CCID_MAX_SLOTS - 1, &n))
			return fail(err, errlen, "ctl %s '%s': SLOT is a "
				    "number from 0 to %d", words[0], words[1],
				    CCID_MAX_SLOTS - 1);
		o->ctl_slot = (unsigned)n;
	}
	return 0;
}

/* --config FILE: each `key = value` line goes through set_value() as
 * --key value would (conf.h). */
struct conf_ctx {
	struct gadget_opts *o;
	bool *seen;
};

static int conf_setting(void *vctx, const char *key, const char *value,
			char *err, size_t errlen)
{
	struct conf_ctx *c = vctx;
	char name[64];
	const struct opt_def *d;
	unsigned long n;

	if (!strcmp(key, "verbose")) {
		if (parse_uint(value, 3, &n))
			return fail(err, errlen, "verbose '%s': give 0 to 3 "
				    "(as many as -v)", value);
		c->o->verbose = (int)n;
		return 0;
	}
	snprintf(name, sizeof(name), "--%s", key);
	d = find_opt(name, strlen(name));
	if (!d)
		return fail(err, errlen, "unknown key '%s' (keys are the long "
			    "options without --: card, slots, udc, vid, pid, "
			    "manufacturer, product, serial, ffs, max-message, "
			    "ctl, pcap, user, verbose)", key);
	if (d->id == OPT_CONFIG)
		return fail(err, errlen, "config: a config file cannot name "
			    "another one; drop the line");
	if (c->o->mode == GADGET_MODE_CTL && d->id != OPT_CTL)
		return 0;   /* `ctl` only needs the socket path */
	return set_value(c->o, d, value, c->seen, err, errlen);
}

/* The --config FILE of argv, read first so the command line overrides
 * it. Returns 0 (also when there is none) or -errno with err set. */
static int load_config(int argc, char **argv, int first,
		       struct gadget_opts *o, bool *seen_conf, char *err,
		       size_t errlen)
{
	struct conf_ctx c = { o, seen_conf };
	const char *path = NULL;
	int i, ret;

	for (i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
	}
	if (!path)
		return 0;
	if (!*path)
		return fail(err, errlen, "--config needs a file, e.g. "
			    "--config /etc/ccid-gadget.conf");
	ret = gadget_conf_load(path, &o->conf_text, err, errlen);
	if (ret < 0)
		return ret;
	return gadget_conf_parse(o->conf_text, path, conf_setting, &c, err,
				 errlen);
}

void gadget_cli_free(struct gadget_opts *o)
{
	free(o->conf_text);
	o->conf_text = NULL;
}

int gadget_cli_parse(int argc, char **argv, struct gadget_opts *o,
		     char *err, size_t errlen)
{
	bool seen[OPT_COUNT] = { false }, seen_conf[OPT_COUNT] = { false };
	bool cli_cards = false;
	const char *words[3];
	int i, nwords = 0, v, ret;

	memset(o, 0, sizeof(*o));
	o->mode = GADGET_MODE_DAEMON;
	o->vid = GADGET_DEFAULT_VID;
	o->pid = GADGET_DEFAULT_PID;
	o->manufacturer = GADGET_DEFAULT_MANUFACTURER;
	o->product = GADGET_DEFAULT_PRODUCT;
	o->ctl_path = GADGET_DEFAULT_CTL;
	err[0] = '\0';

	i = 1;
	if (argc > 1 && !strcmp(argv[1], "ctl")) {
		o->mode = GADGET_MODE_CTL;
		i = 2;
	}
	ret = load_config(argc, argv, i, o, seen_conf, err, errlen);
	if (ret)
		return ret;
	for (; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		const struct opt_def *d;
		size_t namelen;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			o->mode = GADGET_MODE_HELP;
			return 0;
		}
		v = count_v(arg);
		if (v) {
			o->verbose += v;
			continue;
		}
		if (arg[0] != '-') {
			if (o->mode != GADGET_MODE_CTL)
				return fail(err, errlen, "unexpected argument "
					    "'%s' (options start with --; see "
					    "--help)", arg);
			if (nwords == 3)
				return fail(err, errlen, "ctl: too many "
					    "arguments (ctl status | insert "
					    "[SLOT] | remove [SLOT])");
			words[nwords++] = arg;
			continue;
		}
		eq = strchr(arg, '=');
		namelen = eq ? (size_t)(eq - arg) : strlen(arg);
		d = find_opt(arg, namelen);
		if (!d)
			return fail(err, errlen, "unknown option '%.*s' (see "
				    "--help)", (int)namelen, arg);
		if (o->mode == GADGET_MODE_CTL && d->id != OPT_CTL &&
		    d->id != OPT_CONFIG)
			return fail(err, errlen, "%s is not a ctl option (ctl "
				    "takes --ctl PATH, --config FILE and -v)",
				    d->name);
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return fail(err, errlen, "%s needs a value (%s %s)",
				    d->name, d->name, d->metavar);
		}
		if (d->id == OPT_CARD && !cli_cards) {
			o->ncards = 0;   /* the command line's cards replace
			                    the config file's */
			cli_cards = true;
		}
		ret = set_value(o, d, val, seen, err, errlen);
		if (ret)
			return ret;
	}
	for (i = 0; i < OPT_COUNT; i++)
		seen[i] |= seen_conf[i];

	if (o->mode == GADGET_MODE_CTL)
		return parse_ctl_words(o, words, nwords, err, errlen);

	if (o->ffs_dir) {
		size_t k;

		for (k = 0; k < NOPTS; k++)
			if (seen[opt_defs[k].id] && !opt_defs[k].with_ffs)
				return fail(err, errlen, "%s%s has no effect "
					    "with --ffs: whoever mounted %s "
					    "set up the gadget; drop one of "
					    "them", opt_defs[k].name,
					    seen_conf[opt_defs[k].id] ?
					    " (from --config)" : "",
					    o->ffs_dir);
	}
	if (o->slots && o->ncards > o->slots)
		return fail(err, errlen, "--slots %u but %u --card options%s: "
			    "raise --slots or drop a --card", o->slots,
			    o->ncards, o->conf_text ? " (command line and "
			    "--config)" : "");
	return 0;
}

unsigned gadget_cli_slots(const struct gadget_opts *o)
{
	if (o->slots)
		return o->slots;
	return o->ncards ? o->ncards : 1;
}

int gadget_cli_reader_config(const struct gadget_opts *o,
			     struct ccid_reader_config *cfg, char *err,
			     size_t errlen)
{
	const char *why = NULL;

	ccid_reader_config_default(cfg);
	cfg->nslots = gadget_cli_slots(o);
	if (cfg->max_busy_slots > cfg->nslots)
		cfg->max_busy_slots = (uint8_t)cfg->nslots;
	if (o->max_message)
		cfg->max_msg_len = o->max_message;
	if (ccid_reader_config_check(cfg, &why) < 0)
		return fail(err, errlen, "%s: %s",
			    o->max_message ? "--max-message" : "--slots",
			    why ? why : "invalid reader configuration");
	return 0;
}

void gadget_cli_usage(FILE *out)
{
	fprintf(out,
"Usage: ccid-gadget [OPTIONS]\n"
"       ccid-gadget ctl status | insert [SLOT] | remove [SLOT] | detach | attach\n"
"                       [--ctl PATH]\n"
"\n"
"A USB CCID smart-card reader on this board's USB device controller: the\n"
"daemon creates a configfs gadget with one FunctionFS function, serves the\n"
"CCID protocol on it and binds it to the UDC. SIGINT/SIGTERM unbind and\n"
"remove it again.\n"
"\n"
"Cards (each --card fills the next slot, from slot 0):\n"
"  --card SPEC          a card, QEMU property syntax (',,' is a literal comma):\n"
"                         test[,delay_ms=N][,absent]   the built-in test card\n"
"                         emulated,backend=certificates,db=sql:DIR,cert1=N,cert2=N,cert3=N\n"
"                         emulated,backend=nss-emulated[,db=sql:DIR]\n"
"                         passthru,listen=[HOST:]PORT|unix:PATH   a VSCard server\n"
"                           (QEMU ccid-card-passthru; clients: ccid-vscclient,\n"
"                           vscclient); HOST defaults to 127.0.0.1; options:\n"
"                           attach=reader|always  reader (default): the PC sees\n"
"                             the reader only while a client has added one\n"
"                           timeout=S  seconds a client may take per APDU\n"
"                             (default 30, 0 = no limit)\n"
"                           tls-creds=DIR  TLS, clients need a certificate of\n"
"                             DIR/ca-cert.pem (QEMU tls-creds-x509 layout)\n"
"                           tls-allow=FILE  only these clients (sha256:HEX or\n"
"                             a subject DN, one a line)\n"
"  --slots N            slots of the reader, 1..%d (default: the number of\n"
"                       --card options, at least 1); extra slots stay empty\n"
"  --max-message N      dwMaxCCIDMessageLength in bytes, header included\n"
"                       (default: the engine's; smaller forces APDU chaining)\n"
"\n"
"USB gadget (configfs, via libusbgx):\n"
"  --udc NAME           the UDC to bind (default: the only entry of\n"
"                       /sys/class/udc)\n"
"  --vid HEX            idVendor (default %04x)\n"
"  --pid HEX            idProduct (default %04x; %04x:%04x is QEMU's usb-ccid,\n"
"                       known to libccid; another ID needs an Info.plist entry)\n"
"  --manufacturer S     iManufacturer (default \"%s\")\n"
"  --product S          iProduct (default \"%s\")\n"
"  --serial S           iSerialNumber (default: stable per board, from\n"
"                       /proc/device-tree/serial-number or /etc/machine-id)\n"
"  --ffs DIR            serve a FunctionFS instance already mounted at DIR;\n"
"                       configfs is not touched (bind the UDC yourself after\n"
"                       the daemon has started)\n"
"\n"
"Control:\n"
"  --ctl PATH           control socket (default %s); root only\n"
"  ctl status           UDC state, speed, slots, cards, APDU counts\n"
"  ctl insert [SLOT]    insert the card of SLOT (default 0)\n"
"  ctl remove [SLOT]    remove the card of SLOT (default 0)\n"
"  ctl detach           unbind the UDC: the PC sees the reader unplugged\n"
"  ctl attach           bind it again (the card keeps its state)\n"
"\n"
"Privileges:\n"
"  --user USER[:GROUP]  after set-up, run as USER (and GROUP, default USER's\n"
"                       own): FunctionFS is mounted for it (uid=/gid=), and a\n"
"                       small helper process keeps root only to bind and\n"
"                       unbind the UDC and to remove the gadget at exit;\n"
"                       card databases and ports are opened before the drop\n"
"\n"
"Configuration file:\n"
"  --config FILE        read options from FILE first (e.g.\n"
"                       /etc/ccid-gadget.conf): one `key = value` a line,\n"
"                       keys are the long options without --, one\n"
"                       `card = SPEC` line per card, `verbose = N`, '#'\n"
"                       comments; the command line overrides the file and\n"
"                       its --card options replace the file's cards\n"
"\n"
"Field debugging:\n"
"  --pcap FILE          write the reader's USB traffic to FILE as a pcap\n"
"                       (usbmon link type, as QEMU usb-ccid's pcap=):\n"
"                       Wireshark/tshark decode it as USB CCID\n"
"  -v, --verbose        one line per APDU (slot, command header, status\n"
"                       word, time taken) and the protocol trace; -vv adds\n"
"                       debug (every transfer)\n"
"  -h, --help           this text\n"
"\n"
"Under systemd (Type=notify): READY=1 is sent on $NOTIFY_SOCKET once the\n"
"gadget is bound to the UDC (with --ffs, or a passthru reader bound later:\n"
"once the gadget can be bound), STATUS= on USB changes, STOPPING=1 on\n"
"SIGTERM.\n"
"\n"
"Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime error, 2 on a bad\n"
"command line or card SPEC (reported before anything is created).\n",
		CCID_MAX_SLOTS, GADGET_DEFAULT_VID, GADGET_DEFAULT_PID,
		GADGET_DEFAULT_VID, GADGET_DEFAULT_PID,
		GADGET_DEFAULT_MANUFACTURER, GADGET_DEFAULT_PRODUCT,
		GADGET_DEFAULT_CTL);
}
