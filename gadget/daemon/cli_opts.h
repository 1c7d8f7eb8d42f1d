/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-gadget's options, once: the one table the command line (cli.c,
 * through getopt_long), the configuration file (conf.h: `key = value`
 * with the long name as the key) and --help (gadget_cli_usage) all read.
 * Private to cli.c and cli_opts.c. */
#ifndef GADGET_CLI_OPTS_H
#define GADGET_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

enum opt_id {
	OPT_CARD, OPT_SLOTS, OPT_MAX_MESSAGE,
	OPT_UDC, OPT_NAME, OPT_VID, OPT_PID, OPT_BCD_DEVICE, OPT_MANUFACTURER, OPT_PRODUCT, OPT_SERIAL,
	OPT_FFS,
	OPT_CTL, OPT_JSON, OPT_USER, OPT_CONFIG, OPT_PCAP, OPT_PCAP_MAX_BYTES, OPT_VERBOSE,
	OPT_HELP,
	OPT_COUNT
};

/* Flags of an option. */
#define OPTF_WITH_FFS  0x01   /* meaningful with --ffs DIR */
#define OPTF_CTL       0x02   /* `ccid-gadget ctl` takes it too */
#define OPTF_REPEAT    0x04   /* may be given more than once */
#define OPTF_NO_FILE   0x08   /* not a config file key */

/* Set what the option sets from its value: the argument on the command
 * line (NULL for an option without one), the value of a config line.
 * Returns 0, or -EINVAL with one line in err. */
typedef int (*opt_set_fn)(struct gadget_opts *o, const char *value,
			  char *err, size_t errlen);

struct opt_def {
	const char *name;     /* --NAME, and the config file's key */
	char short_name;      /* -X, or 0 */
	int has_arg;          /* getopt_long's no_argument / required_argument */
	opt_set_fn set;       /* what it sets, and its checks */
	unsigned flags;       /* OPTF_* */
	const char *metavar;  /* the value in --help and errors */
	const char *help;     /* --help lines ('\n' starts an indented one) */
};

/* Indexed by enum opt_id. */
extern const struct opt_def gadget_opt_defs[OPT_COUNT];

/* By long name (exact match), or NULL. */
const struct opt_def *gadget_opt_find(const char *name);

/* A decimal number 0..max, digits only. Returns 0 or -EINVAL. */
int gadget_opt_parse_uint(const char *s, unsigned long max,
			  unsigned long *out);

/* The one-line error every parser failure goes through; returns -EINVAL. */
int gadget_opt_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
