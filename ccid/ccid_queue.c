/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two IN directions.
 *
 * Bulk-IN: a bounded FIFO of engine-owned RDR_to_PC messages. The
 * transport stops arming OUT reads at CCID_INQ_SOFT_LIMIT queued messages
 * (ccid_engine_out_ready); the hard capacity adds three per slot for what
 * can arrive without a new OUT message (the pending command's answer, one
 * time extension, the SlotStatus of an Abort that the control request
 * completes), so a transport that honours out_ready never loses a
 * response. Past the hard capacity a response is dropped and logged as an
 * error: memory stays bounded whatever the host does.
 *
 * Interrupt-IN: nothing is queued. Presence changes set per-slot flags;
 * the NotifySlotChange (Section 6.3.1) is built when the transport peeks,
 * so any number of changes coalesce into one message; a HardwareError
 * (Section 6.3.2) is sent first if one is pending. The peeked message is
 * frozen until popped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

int ccid_inq_init(struct ccid_inq *q, unsigned cap)
{
	memset(q, 0, sizeof(*q));
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void ccid_inq_free(struct ccid_inq *q)
{
	for (unsigned i = 0; i < q->count; i++)
		free(q->ring[(q->head + i) % q->cap].buf);
	free(q->ring);
	q->ring = NULL;
	q->count = 0;
}

void ccid_inq_clear(struct ccid_engine *eng)
{
	struct ccid_inq *q = &eng->inq;

	while (q->count)
		ccid_engine_pop_bulk_in(eng);
	q->head = 0;
}

static void push(struct ccid_engine *eng, const struct ccid_rdr_header *h,
		 const uint8_t *data, size_t len, int te_slot)
{
	uint8_t type = h->type, slot = h->slot, seq = h->seq;
	uint8_t status = h->status, error = h->error;
	struct ccid_inq *q = &eng->inq;
	struct ccid_inq_entry *e;
	size_t total = CCID_HEADER_LEN + len;
	uint8_t *buf;

	if (q->count >= q->cap || !(buf = malloc(total))) {
		q->dropped++;
		ccid_log(eng, CCID_LOG_ERR, slot, seq,
			 "%s dropped: bulk-IN queue full (%u) or no memory",
			 ccid_msg_name(type), q->count);
		return;
	}
	buf[CCID_OFF_TYPE] = type;
	ccid_put_le32(buf + CCID_OFF_LENGTH, (uint32_t)len);
	buf[CCID_OFF_SLOT] = slot;
	buf[CCID_OFF_SEQ] = seq;
	buf[CCID_OFF_STATUS] = status;
	buf[CCID_OFF_ERROR] = error;
	buf[CCID_OFF_B9] = h->b9;
	if (len)
		memcpy(buf + CCID_OFF_DATA, data, len);
	e = &q->ring[(q->head + q->count) % q->cap];
	e->buf = buf;
	e->msg.data = buf;
	e->msg.len = total;
	e->msg.zlp = eng->in_mps && total % eng->in_mps == 0;
	e->te_slot = te_slot;
	q->count++;
	if (status & (CCID_CMD_STATUS_FAILED << 6))
		ccid_log(eng, CCID_LOG_INFO, slot, seq,
			 "-> %s failed, bStatus 0x%02X bError 0x%02X",
			 ccid_msg_name(type), status, error);
	else
		ccid_log(eng, CCID_LOG_DEBUG, slot, seq,
			 "-> %s bStatus 0x%02X, %zu data bytes",
			 ccid_msg_name(type), status, len);
}

void ccid_respond(struct ccid_engine *eng, const struct ccid_rdr_header *h,
		  const uint8_t *data, size_t len)
{
	push(eng, h, data, len, -1);
}

/* Section 6.2.6: bmCommandStatus = 2 asks for more time; bError carries
 * the multiplier (1 = one more BWT/WWT). Sent as the DataBlock that the
 * pending XfrBlock will be answered with (see ccid_time_ext.c). */
void ccid_respond_time_ext(struct ccid_engine *eng, unsigned slot,
			   uint8_t multiplier)
{
	struct ccid_slot *s = &eng->slots[slot];

	push(eng, &(struct ccid_rdr_header){
		     .type = CCID_RDR_DATA_BLOCK,
		     .slot = (uint8_t)slot,
		     .seq = s->op_seq,
		     .status = CCID_STATUS(ccid_icc_status(s),
					   CCID_CMD_STATUS_TIME_EXT),
		     .error = multiplier,   /* bError: the BWT/WWT multiplier */
	     }, NULL, 0, (int)slot);
	s->te_queued = true;
}

const struct ccid_msg *ccid_engine_peek_bulk_in(const struct ccid_engine *eng)
{
	const struct ccid_inq *q = &eng->inq;

	return q->count ? &q->ring[q->head].msg : NULL;
}

unsigned ccid_engine_bulk_in_queued(const struct ccid_engine *eng)
{
	return eng->inq.count;
}

void ccid_engine_pop_bulk_in(struct ccid_engine *eng)
{
	struct ccid_inq *q = &eng->inq;
	struct ccid_inq_entry *e;

	if (!q->count)
		return;
	e = &q->ring[q->head];
	if (e->te_slot >= 0 && (unsigned)e->te_slot < eng->cfg.nslots)
		eng->slots[e->te_slot].te_queued = false;
	free(e->buf);
	memset(e, 0, sizeof(*e));
	q->head = (q->head + 1) % q->cap;
	q->count--;
}

bool ccid_engine_out_ready(const struct ccid_engine *eng)
{
	return eng->inq.count < CCID_INQ_SOFT_LIMIT;
}

static bool build_hw_error(struct ccid_engine *eng)
{
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		struct ccid_slot *s = &eng->slots[i];

		if (!s->hw_error)
			continue;
		s->hw_error = false;
		/* Section 6.3.2: bMessageType, bSlot, bSeq, bHardwareErrorCode */
		eng->intr.buf[0] = CCID_RDR_HARDWARE_ERROR;
		eng->intr.buf[1] = (uint8_t)i;
		eng->intr.buf[2] = s->hw_error_seq;
		eng->intr.buf[3] = CCID_HW_ERROR_OVERCURRENT;
		eng->intr.msg.len = 4;
		return true;
	}
	return false;
}

/* Section 6.3.1: bmSlotICCState, 2 bits per slot, slot n at bit 2n
 * (present) and 2n+1 (changed), padded to whole bytes. */
static bool build_slot_change(struct ccid_engine *eng)
{
	bool any = eng->intr.force;
	size_t nbytes = 1 + (2 * eng->cfg.nslots + 7) / 8;

	for (unsigned i = 0; i < eng->cfg.nslots; i++)
		any |= eng->slots[i].changed;
	if (!any)
		return false;
	memset(eng->intr.buf, 0, sizeof(eng->intr.buf));
	eng->intr.buf[0] = CCID_RDR_NOTIFY_SLOT_CHANGE;
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		struct ccid_slot *s = &eng->slots[i];
		unsigned bit = 2 * i;

		if (s->present)
			eng->intr.buf[1 + bit / 8] |= (uint8_t)(1u << (bit % 8));
		if (s->changed)
			eng->intr.buf[1 + bit / 8] |= (uint8_t)(2u << (bit % 8));
		s->changed = false;
	}
	eng->intr.force = false;
	eng->intr.msg.len = nbytes;
	return true;
}

const struct ccid_msg *ccid_engine_peek_intr_in(struct ccid_engine *eng)
{
	if (eng->intr.inflight)
		return &eng->intr.msg;
	if (!build_hw_error(eng) && !build_slot_change(eng))
		return NULL;
	eng->intr.msg.data = eng->intr.buf;
	eng->intr.msg.zlp = false;
	eng->intr.inflight = true;
	ccid_log(eng, CCID_LOG_DEBUG, -1, -1, "-> %s %02X %02X %02X",
		 ccid_msg_name(eng->intr.buf[0]), eng->intr.buf[1],
		 eng->intr.buf[2], eng->intr.buf[3]);
	return &eng->intr.msg;
}

void ccid_engine_pop_intr_in(struct ccid_engine *eng)
{
	eng->intr.inflight = false;
}
