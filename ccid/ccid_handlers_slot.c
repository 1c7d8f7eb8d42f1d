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

/* The first command of a new host session on a slot with a card (USB
 * reset, new configuration: ccid_engine_enabled), a GetSlotStatus that
 * finds the card inactive (the session's start deactivated it), is
 * followed by one more NotifySlotChange (present, not changed). libccid
 * 1.5.2 answers that GetSlotStatus "card absent" when it last saw the card
 * powered ("removed and inserted between two polls"), and pcscd then waits
 * for the next slot event before it asks again: if the status poll in
 * flight at the reset had already failed (LIBUSB_ERROR_NO_DEVICE: "card
 * removed"), and our NotifySlotChange was what woke it, no event came and
 * the card stayed invisible until the next one (tests/vm/soak/reset-gap.sh,
 * the soak's port resets that hung). The message makes pcscd ask once
 * more: the card is then present to libccid. */
void ccid_handle_get_slot_status(struct ccid_engine *eng, const uint8_t *msg,
				 size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];
	struct ccid_slot *s = &eng->slots[slot];
	uint8_t status = ccid_icc_status(s);

	(void)len;
	if (status == CCID_ICC_STATUS_ABSENT)
		ccid_fail(eng, CCID_PC_GET_SLOT_STATUS, slot, seq,
			  CCID_ERR_ICC_MUTE);
	else
		ccid_ok(eng, CCID_PC_GET_SLOT_STATUS, slot, seq);
	if (s->renotify && status == CCID_ICC_STATUS_INACTIVE) {
		eng->intr.force = true;
		ccid_log(eng, CCID_LOG_INFO, slot, seq, "first status of the "
			 "session: card inactive, NotifySlotChange again");
	}
	s->renotify = false;
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
