/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: see cli.h. getopt_long over the option table
 * (cli_opts.h), which the config file's keys map onto too; every error is
 * one line naming the option and the fix. getopt keeps its state in
 * globals (optind, optarg): gadget_cli_parse() resets them and is not
 * reentrant, which a command line does not need. */
#include "cli.h"
#include "cli_opts.h"
#include "conf.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define fail gadget_opt_fail
#define defs gadget_opt_defs

/* getopt_long's val for the long option of table entry `id`: above every
 * character, so a short option's letter cannot collide with it. */
#define LONG_VAL(id) (0x100 + (id))

/* An option of the command line, kept until the config file is read
 * (the command line wins, so it is applied after the file). */
struct cli_arg {
	const struct opt_def *d;
	const char *value;   /* NULL for an option without one */
};

struct cli_scan {
	struct cli_arg *args;   /* owned; argc entries at most */
	int nargs;
	const char *words[3];   /* ctl: the command and its SLOT */
	int nwords;
	const char *config;     /* the last --config FILE */
	bool help;
};

static void make_longopts(struct option *lo, char *shorts)
{
	size_t i, n = 0;

	/* '-': non-options in order (ctl's words), whatever POSIXLY_CORRECT
	 * says; ':': a missing value is reported as ':', not printed. */
	shorts[n++] = '-';
	shorts[n++] = ':';
	for (i = 0; i < OPT_COUNT; i++) {
		lo[i] = (struct option){ defs[i].name, defs[i].has_arg, NULL,
					 LONG_VAL(i) };
		if (defs[i].short_name) {
			shorts[n++] = defs[i].short_name;
			if (defs[i].has_arg == required_argument)
				shorts[n++] = ':';
		}
	}
	lo[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	shorts[n] = '\0';
}

static const struct opt_def *by_short(int c)
{
	size_t i;

	for (i = 0; i < OPT_COUNT; i++)
		if (defs[i].short_name && defs[i].short_name == c)
			return &defs[i];
	return NULL;
}

/* The argv element getopt_long just consumed for an option (the one
 * before its separate value, if it had one). */
static const char *consumed(char **argv, const char *value)
{
	return value && value == argv[optind - 1] ? argv[optind - 2] :
						    argv[optind - 1];
}

/* getopt_long takes unique abbreviations (--ca for --card); the config
 * file cannot, and a new option would make today's abbreviation
 * ambiguous tomorrow: only whole names. */
static bool whole_name(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, "--", 2) && !strncmp(arg + 2, name, n) &&
	       (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

static int unknown(const char *arg, char *err, size_t errlen)
{
	return fail(err, errlen, "unknown option '%.*s' (see --help)",
		    (int)strcspn(arg, "="), arg);
}

/* A word that is not an option: ctl's command and SLOT, an error
 * otherwise. */
static int word(const char *w, bool ctl, struct cli_scan *sc, char *err,
		size_t errlen)
{
	if (!ctl)
		return fail(err, errlen, "unexpected argument '%s' (options "
			    "start with --; see --help)", w);
	if (sc->nwords == 3)
		return fail(err, errlen, "ctl: too many arguments (ctl status "
			    "| insert [SLOT] | remove [SLOT])");
	sc->words[sc->nwords++] = w;
	return 0;
}

/* Syntax only: which options, with which values, in order. */
static int scan(int argc, char **argv, bool ctl, struct cli_scan *sc,
		char *err, size_t errlen)
{
	struct option lo[OPT_COUNT + 1];
	char shorts[2 + 2 * OPT_COUNT + 1];
	const struct opt_def *d;
	int c, li, ret;

	make_longopts(lo, shorts);
	optind = 0;   /* glibc: start over, a new argv */
	opterr = 0;
	for (;;) {
		li = -1;
		c = getopt_long(argc, argv, shorts, lo, &li);
		if (c == -1) {   /* the end, or "--" and words after it */
			for (; optind < argc; optind++) {
				ret = word(argv[optind], ctl, sc, err, errlen);
				if (ret)
					return ret;
			}
			return 0;
		}
		if (c == 1) {   /* a word that is not an option */
			ret = word(optarg, ctl, sc, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (c == ':' || c == '?') {
			d = optopt >= LONG_VAL(0) ? &defs[optopt - LONG_VAL(0)]
						  : by_short(optopt);
			if (!d && optopt)
				return fail(err, errlen, "unknown option '-%c' "
					    "(see --help)", optopt);
			if (!d)   /* unknown or ambiguous long option */
				return unknown(argv[optind - 1], err, errlen);
			if (c == ':')
				return fail(err, errlen, "--%s needs a value "
					    "(--%s %s)", d->name, d->name,
					    d->metavar);
			return fail(err, errlen, "--%s takes no value (give "
				    "--%s alone)", d->name, d->name);
		}
		d = c >= LONG_VAL(0) ? &defs[c - LONG_VAL(0)] : by_short(c);
		if (li >= 0 && !whole_name(consumed(argv, optarg), d->name))
			return unknown(consumed(argv, optarg), err, errlen);
		if (d == &defs[OPT_HELP]) {
			sc->help = true;   /* stops here: later errors too */
			return 0;
		}
		if (ctl && !(d->flags & OPTF_CTL))
			return fail(err, errlen, "--%s is not a ctl option (ctl "
				    "takes --name NAME, --ctl PATH, --config FILE, "
				    "--json and -v)",
				    d->name);
		if (d == &defs[OPT_CONFIG])
			sc->config = optarg;
		sc->args[sc->nargs++] = (struct cli_arg){ d, optarg };
	}
}

/* Set an option once (the cards and -v excepted). */
static int apply(struct gadget_opts *o, const struct opt_def *d,
		 const char *value, bool *seen, char *err, size_t errlen)
{
	if (!(d->flags & OPTF_REPEAT) && seen[d - defs])
		return fail(err, errlen, "--%s given twice: give it once",
			    d->name);
	seen[d - defs] = true;
	return d->set(o, value, err, errlen);
}

/* --config FILE: each `key = value` line is applied as --key value
 * would be (conf.h). */
struct conf_ctx {
	struct gadget_opts *o;
	bool *seen;
};

static int conf_setting(void *vctx, const char *key, const char *value,
			char *err, size_t errlen)
{
	struct conf_ctx *c = vctx;
	const struct opt_def *d = gadget_opt_find(key);
	char keys[256];
	size_t i, n = 0;

	if (d == &defs[OPT_CONFIG])
		return fail(err, errlen, "config: a config file cannot name "
			    "another one; drop the line");
	if (!d || (d->flags & OPTF_NO_FILE)) {
		for (i = 0; i < OPT_COUNT && n < sizeof(keys); i++)
			if (!(defs[i].flags & OPTF_NO_FILE))
				n += (size_t)snprintf(keys + n,
						      sizeof(keys) - n, "%s%s",
						      n ? ", " : "",
						      defs[i].name);
		return fail(err, errlen, "unknown key '%s' (keys are the long "
			    "options without --: %s)", key, keys);
	}
	if (c->o->mode == GADGET_MODE_CTL && !(d->flags & OPTF_CTL))
		return 0;   /* `ctl` only needs the socket path (and -v) */
	return apply(c->o, d, value, c->seen, err, errlen);
}

static int load_config(const char *path, struct gadget_opts *o,
		       bool *seen_conf, char *err, size_t errlen)
{
	struct conf_ctx c = { o, seen_conf };
	int ret;

	if (!*path)   /* the option's own message */
		return defs[OPT_CONFIG].set(o, path, err, errlen);
	ret = gadget_conf_load(path, &o->conf_text, err, errlen);
	if (ret < 0)
		return ret;
	return gadget_conf_parse(o->conf_text, path, conf_setting, &c, err,
				 errlen);
}

static int parse_ctl_words(struct gadget_opts *o, const char *const *words,
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
	if (o->ctl_json && o->ctl_cmd != GADGET_CTL_STATUS)
		return fail(err, errlen, "ctl %s: --json goes with ctl status "
			    "only", words[0]);
	if (nwords > 2 || (nwords == 2 && (o->ctl_cmd == GADGET_CTL_STATUS ||
					   o->ctl_cmd == GADGET_CTL_DETACH ||
					   o->ctl_cmd == GADGET_CTL_ATTACH)))
		return fail(err, errlen, "ctl %s: too many arguments (ctl "
			    "status | insert [SLOT] | remove [SLOT])",
			    words[0]);
	if (nwords == 2) {
		if (gadget_opt_parse_uint(words[1], CCID_MAX_SLOTS - 1, &n))
			return fail(err, errlen, "ctl %s '%s': SLOT is a "
				    "number from 0 to %d", words[0], words[1],
				    CCID_MAX_SLOTS - 1);
		o->ctl_slot = (unsigned)n;
	}
	return 0;
}

/* What no single option can check: --ffs against the gadget options,
 * --slots against the cards. */
static int cross_check(const struct gadget_opts *o, const bool *seen,
		       const bool *seen_conf, char *err, size_t errlen)
{
	size_t i;

	if (o->ctl_json)
		return fail(err, errlen, "--json is an option of ctl status "
			    "(ccid-gadget ctl status --json)");
	if (o->ffs_dir)
		for (i = 0; i < OPT_COUNT; i++)
			if ((seen[i] || seen_conf[i]) &&
			    !(defs[i].flags & OPTF_WITH_FFS))
				return fail(err, errlen, "--%s%s has no effect "
					    "with --ffs: whoever mounted %s set "
					    "up the gadget; drop one of them",
					    defs[i].name, seen_conf[i] ?
					    " (from --config)" : "",
					    o->ffs_dir);
	if (o->slots && o->ncards > o->slots)
		return fail(err, errlen, "--slots %u but %u --card options%s: "
			    "raise --slots or drop a --card", o->slots,
			    o->ncards, o->conf_text ? " (command line and "
			    "--config)" : "");
	return 0;
}

void gadget_cli_free(struct gadget_opts *o)
{
	free(o->conf_text);
	o->conf_text = NULL;
}

static int parse(int argc, char **argv, struct gadget_opts *o,
		 struct cli_scan *sc, char *err, size_t errlen)
{
	bool seen[OPT_COUNT] = { false }, seen_conf[OPT_COUNT] = { false };
	bool cli_cards = false;
	bool ctl = argc > 1 && !strcmp(argv[1], "ctl");
	int i, ret;

	if (ctl) {
		o->mode = GADGET_MODE_CTL;
		argc--;   /* "ctl" stands where getopt expects the program */
		argv++;
	}
	ret = scan(argc, argv, ctl, sc, err, errlen);
	if (ret || sc->help) {
		if (sc->help)
			o->mode = GADGET_MODE_HELP;
		return ret;
	}
	if (sc->config) {
		ret = load_config(sc->config, o, seen_conf, err, errlen);
		if (ret)
			return ret;
	}
	for (i = 0; i < sc->nargs; i++) {
		const struct opt_def *d = sc->args[i].d;

		if (d == &defs[OPT_CARD] && !cli_cards) {
			o->ncards = 0;   /* the command line's cards replace
			                    the file's */
			cli_cards = true;
		}
		ret = apply(o, d, sc->args[i].value, seen, err, errlen);
		if (ret)
			return ret;
	}
	if (ctl)
		return parse_ctl_words(o, sc->words, sc->nwords, err, errlen);
	return cross_check(o, seen, seen_conf, err, errlen);
}

/* The default socket, by address: --ctl's value is never this pointer. */
static const char default_ctl[] = GADGET_DEFAULT_CTL;

int gadget_cli_parse(int argc, char **argv, struct gadget_opts *o,
		     char *err, size_t errlen)
{
	struct cli_scan sc = { 0 };
	int ret;

	memset(o, 0, sizeof(*o));
	o->mode = GADGET_MODE_DAEMON;
	o->vid = GADGET_DEFAULT_VID;
	o->pid = GADGET_DEFAULT_PID;
	o->bcd_device = GADGET_DEFAULT_BCD_DEVICE;
	o->manufacturer = GADGET_DEFAULT_MANUFACTURER;
	o->product = GADGET_DEFAULT_PRODUCT;
	o->ctl_path = default_ctl;
	err[0] = '\0';
	sc.args = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*sc.args));
	if (!sc.args)
		return fail(err, errlen, "out of memory");
	ret = parse(argc, argv, o, &sc, err, errlen);
	free(sc.args);
	/* --name without --ctl: a socket of its own (cli.h) */
	if (!ret && o->name && o->ctl_path == default_ctl) {
		snprintf(o->ctl_path_buf, sizeof(o->ctl_path_buf),
			 GADGET_NAMED_CTL_FMT, o->name);
		o->ctl_path = o->ctl_path_buf;
	}
	return ret;
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
	/* One command in flight per slot, every slot at once
	 * (bMaxCCIDBusySlots = slots): the cards are independent. libccid
	 * copes: with bMaxCCIDBusySlots = bMaxSlotIndex + 1 it reports the
	 * slots thread safe (TAG_IFD_SLOT_THREAD_SAFE, ifdhandler.c), so
	 * pcscd gives each slot its own lock, and its multi-slot reader reads
	 * bulk-IN in one thread that hands each answer to its bSlot's waiter
	 * (Multi_ReadProc, ccid_usb.c), checking bSeq per slot. With 1, a
	 * slow card in one slot held every other slot's commands behind it. */
	cfg->max_busy_slots = (uint8_t)cfg->nslots;
	if (o->max_message)
		cfg->max_msg_len = o->max_message;
	if (ccid_reader_config_check(cfg, &why) < 0)
		return fail(err, errlen, "%s: %s",
			    o->max_message ? "--max-message" : "--slots",
			    why ? why : "invalid reader configuration");
	return 0;
}

