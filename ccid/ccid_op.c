/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card operation in flight on a slot: at most one per slot (Section
 * 4, "one command at a time per slot"), and at most bMaxCCIDBusySlots in
 * all. Two kinds exist, each with its own home:
 *
 *   CCID_OP_POWER_ON  IccPowerOn (6.1.1)  ccid_power.c
 *   CCID_OP_TRANSMIT  XfrBlock (6.1.4)    ccid_transmit.c
 *
 * This file holds what they share: the pending state and its tag, the
 * start (the card may complete from inside its call), the completion
 * router, the card-error -> bError mapping and cancellation. While an
 * operation is pending the dispatcher answers every other command on the
 * slot CMD_SLOT_BUSY, and ticks send time extensions for a transmit. */
#include <errno.h>

#include "ccid_internal.h"
#include "ccid_proto.h"

unsigned ccid_busy_count(const struct ccid_engine *eng)
{
	unsigned n = 0;

	for (unsigned i = 0; i < eng->cfg.nslots; i++)
		n += eng->slots[i].op != CCID_OP_NONE;
	return n;
}

/* The command a pending operation answers. */
static uint8_t op_command(enum ccid_pending_op op)
{
	return op == CCID_OP_POWER_ON ? CCID_PC_ICC_POWER_ON : CCID_PC_XFR_BLOCK;
}

static uint32_t new_tag(struct ccid_engine *eng)
{
	if (++eng->next_tag == 0)
		eng->next_tag = 1;
	return eng->next_tag;
}

/* The pending state is set before the card is called: the card may
 * complete from inside power_on/transmit. A start error goes through the
 * operation's completion, as if the card had answered it. */
void ccid_op_start(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		   enum ccid_pending_op op)
{
	struct ccid_slot *s = &eng->slots[slot];
	uint32_t tag = new_tag(eng);
	int rc;

	s->op = op;
	s->tag = tag;
	s->op_seq = seq;
	s->te_queued = false;
	s->te_ticks = 0;
	if (op == CCID_OP_POWER_ON)
		rc = ccid_power_on_call(eng, slot, tag);
	else
		rc = ccid_transmit_call(eng, slot, seq, tag);
	if (rc != 0 && s->op == op && s->tag == tag)
		ccid_op_done(eng, slot, tag, rc < 0 ? rc : -EIO, NULL, 0);
}

void ccid_op_done(struct ccid_engine *eng, unsigned slot, uint32_t tag,
		  int err, const uint8_t *data, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];
	enum ccid_pending_op op = s->op;
	uint8_t seq = s->op_seq;
	/* Section 5.3.1: the host is aborting whatever runs on the slot. */
	bool aborted = s->abort_req || s->abort_msg;

	if (op == CCID_OP_NONE || s->tag != tag) {
		ccid_log(eng, CCID_LOG_DEBUG, (int)slot, -1,
			 "stale completion (tag %u) dropped", tag);
		return;
	}
	s->op = CCID_OP_NONE;
	s->te_queued = false;
	if (!data)
		len = 0;
	if (op == CCID_OP_POWER_ON)
		ccid_power_on_done(eng, slot, seq, aborted, err, data, len);
	else
		ccid_transmit_done(eng, slot, seq, aborted, err, data, len);
}

/* Card error -> bError: -ENOMEDIUM card gone (absent, ICC_MUTE),
 * -ETIMEDOUT mute (ICC_MUTE), anything else a hardware error (HW_ERROR,
 * plus an interrupt-IN HardwareError, Section 6.3.2: the only defined
 * bHardwareErrorCode is overcurrent, the closest to "the card
 * interface failed"). */
void ccid_op_failed(struct ccid_engine *eng, unsigned slot, uint8_t cmd,
		    uint8_t seq, bool aborted, int err)
{
	struct ccid_slot *s = &eng->slots[slot];
	uint8_t berr = CCID_ERR_ICC_MUTE;

	if (aborted) {
		ccid_fail(eng, cmd, (uint8_t)slot, seq, CCID_ERR_CMD_ABORTED);
		return;
	}
	ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq, "%s: card error %d",
		 ccid_msg_name(cmd), err);
	if (err == -ENOMEDIUM) {
		ccid_slot_card_left(eng, slot);
	} else if (err != -ETIMEDOUT) {
		berr = CCID_ERR_HW_ERROR;
		s->hw_error = true;
		s->hw_error_seq = seq;
	}
	ccid_fail(eng, cmd, (uint8_t)slot, seq, berr);
}

void ccid_op_drop(struct ccid_slot *s)
{
	if (s->op == CCID_OP_NONE)
		return;
	s->op = CCID_OP_NONE;
	s->te_queued = false;
	if (s->ops && s->ops->cancel)
		s->ops->cancel(s->ctx, s->tag);
}

void ccid_op_cancel(struct ccid_engine *eng, unsigned slot, uint8_t error)
{
	struct ccid_slot *s = &eng->slots[slot];
	uint8_t cmd, seq;

	if (s->op == CCID_OP_NONE)
		return;
	cmd = op_command(s->op);
	seq = s->op_seq;
	ccid_op_drop(s);
	ccid_fail(eng, cmd, (uint8_t)slot, seq, error);
}
