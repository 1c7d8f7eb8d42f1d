/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Slot state: bmICCStatus, the plain answers (success / failure),
 * deactivation, presence changes.
 *
 * Slot state machine (one struct ccid_slot per slot):
 *
 *   ABSENT --insert--> INACTIVE --IccPowerOn ok--> ACTIVE
 *     ^                  ^   ^                       |
 *     |                  |   +------IccPowerOff------+
 *     +------remove------+-----------remove----------+
 *
 * Every way down from ACTIVE goes through ccid_slot_deactivate().
 * Orthogonal to it, `op` says whether a card operation (power on or
 * transmit, ccid_op.c) is in flight. */
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

/* The paired response with no data; bClockStatus for a SlotStatus. */
static void answer(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
		   uint8_t seq, uint8_t cmd_status, uint8_t error)
{
	uint8_t rsp = ccid_response_type(pc_type);

	ccid_respond(eng, &(struct ccid_rdr_header){
			     .type = rsp,
			     .slot = slot,
			     .seq = seq,
			     .status = CCID_STATUS(ccid_slot_status_for(eng, slot),
						   cmd_status),
			     .error = error,
			     .b9 = rsp == CCID_RDR_SLOT_STATUS
					   ? clock_status(eng, slot) : 0,
		     }, NULL, 0);
}

void ccid_ok(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
	     uint8_t seq)
{
	answer(eng, pc_type, slot, seq, CCID_CMD_STATUS_OK, 0);
}

void ccid_fail(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
	       uint8_t seq, uint8_t error)
{
	if (slot < eng->cfg.nslots)
		eng->slots[slot].stats.errors++;
	answer(eng, pc_type, slot, seq, CCID_CMD_STATUS_FAILED, error);
}

void ccid_reject(struct ccid_engine *eng, const uint8_t *hdr, uint8_t error)
{
	ccid_fail(eng, hdr[0], hdr[5], hdr[6], error);
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

void ccid_slot_mark_changed(struct ccid_engine *eng, unsigned slot)
{
	eng->slots[slot].changed = true;
	ccid_log(eng, CCID_LOG_NOTICE, (int)slot, -1, "card %s",
		 eng->slots[slot].present ? "present" : "absent");
}

/* ISO/IEC 7816-3 6.4 deactivation, for every reason a slot goes down:
 *
 *   why        pending op          card power_off        ATR parameters
 *   POWER_OFF  none (dispatch)     if it was on          kept
 *   HOST_GONE  dropped, no answer  if on or powering on  kept
 *   CARD_GONE  answered ICC_MUTE   no (card is gone)     forgotten
 *   BAD_ATR    ended already       yes (it answered)     forgotten
 *
 * Chaining state is dropped and the parameters go back to the ATR's
 * (Section 6.1.6 defaults once the ATR is forgotten). */
void ccid_slot_deactivate(struct ccid_engine *eng, unsigned slot,
			  enum ccid_deactivation why)
{
	struct ccid_slot *s = &eng->slots[slot];
	bool card_on = s->powered || s->op != CCID_OP_NONE ||
		       why == CCID_DEACT_BAD_ATR;

	if (why == CCID_DEACT_CARD_GONE)
		ccid_op_cancel(eng, slot, CCID_ERR_ICC_MUTE);
	else
		ccid_op_drop(s);
	ccid_slot_drop_chains(s);
	if (card_on && s->ops && why != CCID_DEACT_CARD_GONE)
		s->ops->power_off(s->ctx);
	s->powered = false;
	if (why == CCID_DEACT_CARD_GONE || why == CCID_DEACT_BAD_ATR)
		ccid_params_default(&s->atr_params);
	s->params = s->atr_params;
}

void ccid_slot_card_left(struct ccid_engine *eng, unsigned slot)
{
	struct ccid_slot *s = &eng->slots[slot];
	bool was = s->present;

	s->present = false;   /* answers below report the card absent */
	ccid_slot_deactivate(eng, slot, CCID_DEACT_CARD_GONE);
	if (was)
		ccid_slot_mark_changed(eng, slot);
}
