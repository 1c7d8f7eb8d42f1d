/* Slot state: bmICCStatus, failure answers, and starting card operations.
 *
 * Slot state machine (one struct ccid_slot per slot):
 *
 *   ABSENT --insert--> INACTIVE --IccPowerOn ok--> ACTIVE
 *     ^                  ^   ^                       |
 *     |                  |   +------IccPowerOff------+
 *     +------remove------+-----------remove----------+
 *
 * orthogonal to it, `op` says whether a card operation (power_on or
 * transmit) is in flight; while it is, every command but Abort on that
 * slot is answered CMD_SLOT_BUSY (Section 6.2.6), and ticks send time
 * extensions while it is a transmit. */
#include <errno.h>
#include <stdlib.h>

#include "ccid_internal.h"
#include "ccid_proto.h"

uint8_t ccid_icc_status(const struct ccid_slot *s)
{
	if (!s->ops || !s->present)
		return CCID_ICC_STATUS_ABSENT;
	return s->powered ? CCID_ICC_STATUS_ACTIVE : CCID_ICC_STATUS_INACTIVE;
}

/* bmICCStatus for a slot number from the wire (absent if no such slot). */
uint8_t ccid_slot_status_for(const struct ccid_engine *eng, unsigned slot)
{
	if (slot >= eng->cfg.nslots)
		return CCID_ICC_STATUS_ABSENT;
	return ccid_icc_status(&eng->slots[slot]);
}

static uint8_t clock_status(const struct ccid_engine *eng, unsigned slot)
{
	return ccid_slot_status_for(eng, slot) == CCID_ICC_STATUS_ACTIVE
		       ? CCID_CLOCK_RUNNING
		       : CCID_CLOCK_STOPPED_UNKNOWN;
}

/* The RDR_to_PC message Section 6.2 pairs with each command; an unknown
 * command gets a SlotStatus (QEMU and libccid do the same). */
uint8_t ccid_response_type(uint8_t pc_type)
{
	switch (pc_type) {
	case CCID_PC_ICC_POWER_ON:
	case CCID_PC_XFR_BLOCK:
	case CCID_PC_SECURE:
		return CCID_RDR_DATA_BLOCK;
	case CCID_PC_GET_PARAMETERS:
	case CCID_PC_RESET_PARAMETERS:
	case CCID_PC_SET_PARAMETERS:
		return CCID_RDR_PARAMETERS;
	case CCID_PC_ESCAPE:
		return CCID_RDR_ESCAPE;
	case CCID_PC_SET_RATE_AND_CLOCK:
		return CCID_RDR_RATE_AND_CLOCK;
	default:   /* PowerOff, GetSlotStatus, IccClock, T0APDU, Mechanical,
		      Abort, unknown */
		return CCID_RDR_SLOT_STATUS;
	}
}

/* Answer with success: the paired response, no data. */
void ccid_ok(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
	     uint8_t seq)
{
	uint8_t rsp = ccid_response_type(pc_type);

	ccid_respond(eng, rsp, slot, seq,
		     CCID_STATUS(ccid_slot_status_for(eng, slot),
				 CCID_CMD_STATUS_OK),
		     0, rsp == CCID_RDR_SLOT_STATUS ? clock_status(eng, slot) : 0,
		     NULL, 0);
}

void ccid_fail(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
	       uint8_t seq, uint8_t error)
{
	uint8_t rsp = ccid_response_type(pc_type);

	if (slot < eng->cfg.nslots)
		eng->slots[slot].stats.errors++;
	ccid_respond(eng, rsp, slot, seq,
		     CCID_STATUS(ccid_slot_status_for(eng, slot),
				 CCID_CMD_STATUS_FAILED),
		     error,
		     rsp == CCID_RDR_SLOT_STATUS ? clock_status(eng, slot) : 0,
		     NULL, 0);
}

void ccid_reject(struct ccid_engine *eng, const uint8_t *hdr, uint8_t error)
{
	ccid_fail(eng, hdr[0], hdr[5], hdr[6], error);
}

unsigned ccid_busy_count(const struct ccid_engine *eng)
{
	unsigned n = 0;

	for (unsigned i = 0; i < eng->cfg.nslots; i++)
		n += eng->slots[i].op != CCID_OP_NONE;
	return n;
}

uint8_t ccid_op_command(enum ccid_pending_op op)
{
	return op == CCID_OP_POWER_ON ? CCID_PC_ICC_POWER_ON : CCID_PC_XFR_BLOCK;
}

void ccid_slot_drop_op(struct ccid_slot *s)
{
	if (s->op == CCID_OP_NONE)
		return;
	s->op = CCID_OP_NONE;
	s->te_queued = false;
	if (s->ops && s->ops->cancel)
		s->ops->cancel(s->ctx, s->tag);
}

void ccid_slot_drop_chains(struct ccid_slot *s)
{
	s->cmd_chaining = false;
	s->apdu_len = 0;
	s->rsp_len = 0;
	s->rsp_off = 0;
}

/* Grow *buf to hold `need` bytes (callers bound `need`). */
int ccid_slot_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *nb;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 512;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(*buf, ncap);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

static uint32_t new_tag(struct ccid_engine *eng)
{
	if (++eng->next_tag == 0)
		eng->next_tag = 1;
	return eng->next_tag;
}

/* The card may complete from inside power_on/transmit, so the pending
 * state is set first; a start error goes through the completion path. */
static void start(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		  enum ccid_pending_op op)
{
	struct ccid_slot *s = &eng->slots[slot];
	uint32_t tag = new_tag(eng);
	int rc;

	s->op = op;
	s->tag = tag;
	s->op_seq = seq;
	s->te_queued = false;
	if (op == CCID_OP_POWER_ON) {
		rc = s->ops->power_on(s->ctx, tag);
	} else {
		ccid_log_hex(eng, (int)slot, seq, "C-APDU", s->apdu, s->apdu_len);
		if (eng->apdu_fn)
			eng->apdu_fn(eng->apdu_ctx, slot, seq, false, 0,
				     s->apdu, s->apdu_len);
		rc = s->ops->transmit(s->ctx, tag, s->apdu, s->apdu_len);
	}
	if (rc != 0 && s->op == op && s->tag == tag)
		ccid_engine_card_done(eng, slot, tag, rc < 0 ? rc : -EIO,
				      NULL, 0);
}

void ccid_slot_start_power_on(struct ccid_engine *eng, unsigned slot,
			      uint8_t seq)
{
	start(eng, slot, seq, CCID_OP_POWER_ON);
}

void ccid_slot_start_transmit(struct ccid_engine *eng, unsigned slot,
			      uint8_t seq)
{
	start(eng, slot, seq, CCID_OP_TRANSMIT);
}

void ccid_slot_mark_changed(struct ccid_engine *eng, unsigned slot)
{
	eng->slots[slot].changed = true;
	ccid_log(eng, CCID_LOG_NOTICE, (int)slot, -1, "card %s",
		 eng->slots[slot].present ? "present" : "absent");
}
