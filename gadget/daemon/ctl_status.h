/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ctl status`: a snapshot of the daemon (taken on the loop thread by
 * ctl_exec.c) and its two renderings, the text lines people read and one
 * JSON object for scripts (`ctl status --json`). The JSON field names are
 * an interface: documented in docs/ccid-gadget.8 ("STATUS AS JSON"),
 * changed only by adding fields; "version" goes up if one ever has to
 * change meaning. */
#ifndef GADGET_CTL_STATUS_H
#define GADGET_CTL_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ccid_engine.h"

#define CTL_STATUS_JSON_VERSION 1

struct ctl_slot_status {
	unsigned slot;
	const char *card;       /* the card's description, NULL: no card */
	const char *icc;        /* "powered", "present" or "absent" */
	bool busy;              /* a command in flight */
	uint64_t apdus, errors;
};

/* All strings are borrowed: they must outlive the rendering call. */
struct ctl_status {
	const char *gadget;     /* configfs name; NULL: external (--ffs) */
	const char *udc;        /* NULL: external (--ffs) */
	const char *udc_state;  /* sysfs "state", NULL: unknown */
	bool bound, configured, suspended;
	const char *speed;      /* "full", "high", "super"; NULL unless
	                           configured */
	uint64_t hosts_served;  /* FunctionFS ENABLE events */
	unsigned nslots;
	struct ctl_slot_status slots[CCID_MAX_SLOTS];
};

void ctl_status_text(const struct ctl_status *st, FILE *out);
void ctl_status_json(const struct ctl_status *st, FILE *out);

/* s as a JSON string, quotes included (RFC 8259 section 7: '"', '\\' and
 * control characters escaped; other bytes as they are); NULL as null. */
void ctl_json_string(FILE *out, const char *s);

#endif
