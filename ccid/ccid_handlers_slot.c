/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handlers for the slot status family: GetSlotStatus (6.1.3), IccClock
 * (6.1.9). (IccPowerOn and IccPowerOff are in ccid_power.c.)
 *
 * Card absent: the command fails with bmICCStatus 2 and ICC_MUTE, the way
 * readers answer and libccid expects (its CmdGetSlotStatus treats bError
 * 0xFE as "absent or mute", not as a communication error). */
#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

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
