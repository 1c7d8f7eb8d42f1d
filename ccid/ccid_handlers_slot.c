/* Handlers for the slot/ICC power family: IccPowerOn (6.1.1), IccPowerOff
 * (6.1.2), GetSlotStatus (6.1.3), IccClock (6.1.9).
 *
 * Card absent: the command fails with bmICCStatus 2 and ICC_MUTE, the way
 * readers answer and libccid expects (its CmdGetSlotStatus treats bError
 * 0xFE as "absent or mute", not as a communication error). IccPowerOff
 * always succeeds: there is nothing to refuse. */
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
	ccid_slot_start_power_on(eng, slot, seq);
}

void ccid_handle_icc_power_off(struct ccid_engine *eng, const uint8_t *msg,
			       size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];
	struct ccid_slot *s = &eng->slots[slot];

	(void)len;
	ccid_slot_drop_chains(s);
	if (s->powered && s->ops)
		s->ops->power_off(s->ctx);
	s->powered = false;
	s->params = s->atr_params;
	ccid_log(eng, CCID_LOG_INFO, slot, seq, "power off");
	ccid_ok(eng, CCID_PC_ICC_POWER_OFF, slot, seq);
}

void ccid_handle_get_slot_status(struct ccid_engine *eng, const uint8_t *msg,
				 size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];

	(void)len;
	if (ccid_icc_status(&eng->slots[slot]) == CCID_ICC_STATUS_ABSENT)
		ccid_fail(eng, CCID_PC_GET_SLOT_STATUS, slot, seq,
			  CCID_ERR_ICC_MUTE);
	else
		ccid_ok(eng, CCID_PC_GET_SLOT_STATUS, slot, seq);
}

/* The clock is automatic (dwFeatures 0x10): accept both commands. */
void ccid_handle_icc_clock(struct ccid_engine *eng, const uint8_t *msg,
			   size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];

	(void)len;
	if (msg[CCID_OFF_CLOCK_COMMAND] > CCID_CLOCK_CMD_STOP)
		ccid_fail(eng, CCID_PC_ICC_CLOCK, slot, seq,
			  CCID_OFF_CLOCK_COMMAND);
	else if (ccid_icc_status(&eng->slots[slot]) == CCID_ICC_STATUS_ABSENT)
		ccid_fail(eng, CCID_PC_ICC_CLOCK, slot, seq, CCID_ERR_ICC_MUTE);
	else
		ccid_ok(eng, CCID_PC_ICC_CLOCK, slot, seq);
}
