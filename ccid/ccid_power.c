/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Powering the card: PC_to_RDR_IccPowerOn (Section 6.1.1) from the
 * command to the RDR_to_PC_DataBlock with the ATR, and
 * PC_to_RDR_IccPowerOff (6.1.2).
 *
 * IccPowerOn: checks here, then the card operation CCID_OP_POWER_ON
 * (ccid_op.c) calls the card's power_on; its completion checks the ATR
 * (ccid_params.c) and activates the slot, or deactivates it again. Card
 * absent: failed with bmICCStatus 2 and ICC_MUTE, the way readers answer
 * and libccid expects (its CmdGetSlotStatus treats bError 0xFE as "absent
 * or mute", not as a communication error). IccPowerOff always succeeds:
 * there is nothing to refuse. */
#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

void ccid_handle_icc_power_on(struct ccid_engine *eng, const uint8_t *msg,
			      size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];
	struct ccid_slot *s = &eng->slots[slot];

	(void)len;
	if (msg[CCID_OFF_POWER_SELECT] > CCID_POWER_SELECT_MAX) {
		ccid_fail(eng, CCID_PC_ICC_POWER_ON, slot, seq,
			  CCID_OFF_POWER_SELECT);
		return;
	}
	if (ccid_icc_status(s) == CCID_ICC_STATUS_ABSENT) {
		ccid_fail(eng, CCID_PC_ICC_POWER_ON, slot, seq,
			  CCID_ERR_ICC_MUTE);
		return;
	}
	if (ccid_busy_count(eng) >= eng->cfg.max_busy_slots) {
		ccid_fail(eng, CCID_PC_ICC_POWER_ON, slot, seq,
			  CCID_ERR_CMD_SLOT_BUSY);
		return;
	}
	ccid_slot_drop_chains(s);
	s->powered = false;   /* a warm reset deactivates until the ATR */
	ccid_log(eng, CCID_LOG_INFO, slot, seq, "power on");
	ccid_op_start(eng, slot, seq, CCID_OP_POWER_ON);
}

int ccid_power_on_call(struct ccid_engine *eng, unsigned slot, uint32_t tag)
{
	struct ccid_slot *s = &eng->slots[slot];

	return s->ops->power_on(s->ctx, tag);
}

/* bError for an ATR the host cannot use, or 0. A wrong TCK or a truncated
 * ATR is passed on with a warning: the host decides. */
static uint8_t check_atr(struct ccid_engine *eng, unsigned slot, uint8_t seq,
			 const uint8_t *atr, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];
	enum ccid_atr_check chk;

	if (len == 0)
		return CCID_ERR_ICC_MUTE;
	if (len > CCID_ATR_MAX)
		return CCID_ERR_HW_ERROR;
	chk = ccid_params_from_atr(&s->atr_params, atr, len);
	if (chk == CCID_ATR_BAD_TS)
		return CCID_ERR_BAD_ATR_TS;
	if (chk != CCID_ATR_OK)
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq, "ATR %s",
			 chk == CCID_ATR_BAD_TCK ? "has a wrong TCK"
						 : "is truncated");
	return 0;
}

void ccid_power_on_done(struct ccid_engine *eng, unsigned slot, uint8_t seq,
			bool aborted, int err, const uint8_t *atr, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];
	uint8_t berr;

	if (aborted || err) {
		s->powered = false;
		ccid_op_failed(eng, slot, CCID_PC_ICC_POWER_ON, seq, aborted,
			       err);
		return;
	}
	berr = check_atr(eng, slot, seq, atr, len);
	if (berr) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
			 "unusable ATR (%zu bytes)", len);
		ccid_slot_deactivate(eng, slot, CCID_DEACT_BAD_ATR);
		ccid_fail(eng, CCID_PC_ICC_POWER_ON, (uint8_t)slot, seq, berr);
		return;
	}
	s->params = s->atr_params;
	s->powered = true;
	ccid_log_hex(eng, (int)slot, seq, "ATR", atr, len);
	ccid_respond(eng, &(struct ccid_rdr_header){
			     .type = CCID_RDR_DATA_BLOCK,
			     .slot = (uint8_t)slot,
			     .seq = seq,
			     .status = CCID_STATUS(CCID_ICC_STATUS_ACTIVE,
						   CCID_CMD_STATUS_OK),
			     .b9 = CCID_CHAIN_BEGIN_END,
		     }, atr, len);
}

void ccid_handle_icc_power_off(struct ccid_engine *eng, const uint8_t *msg,
			       size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];

	(void)len;
	ccid_slot_deactivate(eng, slot, CCID_DEACT_POWER_OFF);
	ccid_log(eng, CCID_LOG_INFO, slot, seq, "power off");
	ccid_ok(eng, CCID_PC_ICC_POWER_OFF, slot, seq);
}
