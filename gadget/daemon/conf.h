/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration file (--config FILE, e.g. /etc/ccid-gadget.conf): the
 * command line's long options as `key = value` lines.
 *
 *   # comment             blank lines and '#' lines are ignored
 *   card = test           one line per --card, in slot order
 *   vid = 08e6            any long option without its "--"
 *   udc = x.usb  # why    a '#' after a space or tab (or first) starts
 *                         a comment; one inside a word (a#b) does not
 *   product = "My reader" quotes keep leading/trailing spaces and a ' #';
 *                         no escapes (the value ends at the first '"'
 *                         followed by nothing or a comment)
 *
 * Parsing only splits lines; what a key means is the caller's (cli.c maps
 * keys to the same checks as the options). */
#ifndef GADGET_CONF_H
#define GADGET_CONF_H

#include <stddef.h>

#define GADGET_CONF_MAX_BYTES 65536

/* One `key = value` line; key and value are NUL-terminated inside the
 * text (valid while it lives). Return 0, or -EINVAL with the reason in
 * err (the parser adds "FILE:LINE: "). */
typedef int (*gadget_conf_fn)(void *ctx, const char *key, const char *value,
			      char *err, size_t errlen);

/* Read the whole file into a NUL-terminated buffer (*text, freed by the
 * caller). Returns 0 or -errno with one line in err. */
int gadget_conf_load(const char *path, char **text, char *err,
		     size_t errlen);

/* Split `text` (modified in place) into lines and call fn for each
 * setting, in file order. `path` names the file in errors. Returns 0 or
 * the first error (-EINVAL) with "PATH:LINE: why" in err. */
int gadget_conf_parse(char *text, const char *path, gadget_conf_fn fn,
		      void *ctx, char *err, size_t errlen);

#endif
