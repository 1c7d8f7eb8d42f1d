/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: `ccid-gadget [OPTIONS]` (the daemon) and
 * `ccid-gadget ctl status|insert|remove [SLOT]` (the control client).
 *
 * Parsing only checks syntax and ranges; card SPECs are checked by
 * vcg_card_create() and the reader config by ccid_reader_config_check().
 * All strings point into argv or into conf_text (--config FILE: the same
 * long options as `key = value` lines, conf.h); the command line wins over
 * the file, and --card on the command line replaces the file's cards.
 * gadget_cli_free() frees conf_text. */
#ifndef GADGET_CLI_H
#define GADGET_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ccid_engine.h"

#define GADGET_DEFAULT_VID 0x08e6   /* QEMU usb-ccid's identity, listed in */
#define GADGET_DEFAULT_PID 0x4433   /* libccid's Info.plist */
#define GADGET_DEFAULT_BCD_DEVICE 0x0100   /* release 1.00 */
#define GADGET_DEFAULT_MANUFACTURER "ccid-gadget"
#define GADGET_DEFAULT_PRODUCT "ccid-gadget CCID reader"
#define GADGET_DEFAULT_CTL "/run/ccid-gadget.sock"
/* --name NAME without --ctl: the socket is /run/ccid-gadget-NAME.sock, so
 * several daemons (one per UDC, e.g. dummy_hcd num=4) each have their own. */
#define GADGET_NAMED_CTL_FMT "/run/ccid-gadget-%s.sock"
#define GADGET_MAX_NAME 32   /* FunctionFS instance names: < 40 (f_fs.c) */
#define GADGET_MAX_USB_STRING 126   /* configfs's limit (USB_MAX_STRING_LEN) */

enum gadget_mode {
	GADGET_MODE_DAEMON,
	GADGET_MODE_CTL,
	GADGET_MODE_HELP,
};

enum gadget_ctl_cmd {
	GADGET_CTL_STATUS,
	GADGET_CTL_INSERT,
	GADGET_CTL_REMOVE,
	GADGET_CTL_DETACH,   /* unbind the UDC: the host sees the reader unplugged */
	GADGET_CTL_ATTACH,   /* bind it again */
};

struct gadget_opts {
	enum gadget_mode mode;
	const char *udc;                        /* NULL: the only UDC */
	const char *name;                       /* --name: the gadget's configfs
	                                           and FunctionFS instance name;
	                                           NULL: ccid-gadget / ccid */
	const char *cards[CCID_MAX_SLOTS];      /* --card SPEC, in slot order */
	unsigned ncards;
	unsigned slots;                         /* 0: max(1, ncards) */
	uint16_t vid, pid;
	uint16_t bcd_device;                    /* bcdDevice, BCD digits */
	const char *manufacturer, *product;
	const char *serial;                     /* NULL: derived per board */
	const char *ffs_dir;                    /* NULL: set up configfs */
	uint32_t max_message;                   /* 0: the engine's default */
	int verbose;                            /* count of -v */
	const char *ctl_path;
	char ctl_path_buf[108];                 /* --name's default ctl_path */
	const char *pcap_path;                  /* --pcap FILE or NULL */
	uint64_t pcap_max_bytes;                /* 0: pcap_writer.h's default */
	const char *config_path;                /* --config FILE or NULL */
	const char *user;                       /* --user USER[:GROUP] or NULL */
	char *conf_text;                        /* the file's text; owned */
	/* ctl mode */
	enum gadget_ctl_cmd ctl_cmd;
	unsigned ctl_slot;
	bool ctl_json;                          /* ctl status --json */
};

/* Parse argv. Returns 0, or -EINVAL with one line in err saying what is
 * wrong and how to fix it. */
int gadget_cli_parse(int argc, char **argv, struct gadget_opts *o,
		     char *err, size_t errlen);

/* Free what gadget_cli_parse() allocated (the config file's text); o's
 * strings from the file are invalid afterwards. */
void gadget_cli_free(struct gadget_opts *o);

/* The number of slots the options ask for (max(1, ncards) unless
 * --slots). */
unsigned gadget_cli_slots(const struct gadget_opts *o);

/* The reader config for these options (defaults + --slots and
 * --max-message). Returns 0 or -EINVAL with the reason in err. */
int gadget_cli_reader_config(const struct gadget_opts *o,
			     struct ccid_reader_config *cfg, char *err,
			     size_t errlen);

/* The complete --help text. */
void gadget_cli_usage(FILE *out);

#endif
