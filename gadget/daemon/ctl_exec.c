/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control requests run on the loop thread: see gadget_loop.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfs.h"
#include "ctl_status.h"
#include "gadget_loop.h"

static const char *icc_name(enum ccid_icc_state s)
{
	switch (s) {
	case CCID_ICC_ACTIVE:
		return "powered";
	case CCID_ICC_INACTIVE:
		return "present";
	default:
		return "absent";
	}
}

/* The snapshot both renderings read (ctl_status.h). */
static void status(const struct gadget_loop_params *p,
		   const struct gadget_usb_state *usb, bool json, FILE *out)
{
	struct ctl_status st = { 0 };
	char state[64];
	unsigned i;

	st.gadget = p->gadget_name;
	st.udc = p->udc_name;
	if (p->udc_name && cfs_udc_state(p->udc_class, p->udc_name, state,
					 sizeof(state)) == 0)
		st.udc_state = state;
	st.bound = usb->bound;
	st.configured = usb->enabled;
	st.suspended = usb->suspended;
	if (usb->enabled)
		st.speed = usb->speed == FFS_SPEED_SUPER ? "super" :
			   usb->speed == FFS_SPEED_HIGH ? "high" : "full";
	st.hosts_served = usb->enables;
	for (i = 0; i < p->nslots && i < CCID_MAX_SLOTS; i++) {
		struct ctl_slot_status *s = &st.slots[st.nslots];
		struct ccid_slot_stats cs;

		if (ccid_engine_slot_stats(p->eng, i, &cs) < 0)
			continue;
		s->slot = i;
		s->card = p->cards[i] ? vcg_card_describe(p->cards[i]) : NULL;
		s->icc = icc_name(cs.icc);
		s->busy = cs.busy;
		s->apdus = cs.apdus;
		s->errors = cs.errors;
		st.nslots++;
	}
	if (json)
		ctl_status_json(&st, out);
	else
		ctl_status_text(&st, out);
}

/* "insert 1" / "remove" (slot 0). */
static int presence(const struct gadget_loop_params *p, const char *arg,
		    bool present, FILE *out, const char **why)
{
	static char msg[96];
	unsigned long slot = 0;
	char *end;
	int ret;

	while (*arg == ' ')
		arg++;
	if (*arg) {
		slot = strtoul(arg, &end, 10);
		if (*end || end == arg) {
			*why = "SLOT must be a number";
			return -EINVAL;
		}
	}
	if (slot >= p->nslots) {
		snprintf(msg, sizeof(msg), "no slot %lu (the reader has %u)",
			 slot, p->nslots);
		*why = msg;
		return -EINVAL;
	}
	if (!p->cards[slot]) {
		snprintf(msg, sizeof(msg), "slot %lu has no card (give it one "
			 "with --card)", slot);
		*why = msg;
		return -ENOENT;
	}
	ret = vcg_card_set_present(p->cards[slot], present);
	if (ret < 0)
		return ret;
	fprintf(out, "slot %lu: card %s\n", slot,
		present ? "inserted" : "removed");
	return 0;
}

/* Unbind / bind the UDC, as unplugging and replugging the cable would.
 * The UNBIND / BIND events then arrive on ep0 like any other; FunctionFS
 * keeps its descriptors, so binding again needs nothing else. */
static int attachment(const struct gadget_loop_params *p, bool attach,
		      FILE *out, const char **why)
{
	static char msg[256];
	const struct gadget_attach *a = p->attach;

	if (!a) {
		*why = "the UDC is managed outside the daemon (--ffs): bind or "
		       "unbind it there";
		return -EOPNOTSUPP;
	}
	if (!attach) {
		if (a->unbind(a->ctx, msg, sizeof(msg)) < 0) {
			*why = msg;
			return -EIO;
		}
		fprintf(out, "reader detached from %s\n", a->udc);
		return 0;
	}
	if (a->bind(a->ctx, msg, sizeof(msg)) < 0) {
		*why = msg;
		return -EIO;
	}
	fprintf(out, "reader attached to %s\n", a->udc);
	return 0;
}

int gadget_ctl_exec(const struct gadget_loop_params *p,
		    const struct gadget_usb_state *usb, const char *line,
		    FILE *out, const char **why)
{
	if (!strcmp(line, "status") || !strcmp(line, "status json")) {
		status(p, usb, line[6] != '\0', out);
		return 0;
	}
	if (!strncmp(line, "insert", 6) && (line[6] == ' ' || !line[6]))
		return presence(p, line + 6, true, out, why);
	if (!strncmp(line, "remove", 6) && (line[6] == ' ' || !line[6]))
		return presence(p, line + 6, false, out, why);
	if (!strcmp(line, "detach"))
		return attachment(p, false, out, why);
	if (!strcmp(line, "attach"))
		return attachment(p, true, out, why);
	*why = "unknown request (status, status json, insert SLOT, remove "
	       "SLOT, detach, attach)";
	return -EINVAL;
}
