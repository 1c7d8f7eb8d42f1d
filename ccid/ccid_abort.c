/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ABORT handshake, Section 5.3.1 (class request ABORT, wValue = bSeq <<
 * 8 | bSlot) and Section 6.1.13 (PC_to_RDR_Abort). Section 5.3.1, in
 * short: if the last Bulk-OUT message for the slot was a PC_to_RDR_Abort
 * with the same bSlot and bSeq as the ABORT request, the CCID answers that
 * message with RDR_to_PC_SlotStatus; if not, it fails every Bulk-OUT
 * command to that slot (bmCommandStatus = Failed, bError = CMD_ABORTED)
 * until that PC_to_RDR_Abort arrives. So, in either order, once both
 * halves are here:
 *
 *   - the card operation in flight on the slot (if any) is cancelled
 *     (ops->cancel; its completion is then dropped by tag) and that
 *     command is answered failed with CMD_ABORTED;
 *   - the chaining state of the slot is dropped (6.1.13: "return to a
 *     state where the slot is ready to accept a new command");
 *   - the PC_to_RDR_Abort is answered with RDR_to_PC_SlotStatus, success.
 *
 * While only one half has arrived, every other command on that slot is
 * answered CMD_ABORTED, and so is a card completion that races in (the
 * host asked to drop that command). A PC_to_RDR_Abort whose bSeq differs
 * from the ABORT request's fails with bError 6 (the bSeq field) and the
 * request keeps waiting for its own.
 *
 * Bounded (not in the spec): a host that dies between the two halves, or
 * a buggy or hostile one, must not leave the slot failing every command
 * for every later host. A half still alone after
 * CCID_ABORT_TIMEOUT_TICKS ticks (ccid_engine.h: about 4.5 s) ends:
 *
 *   - a lone PC_to_RDR_Abort completes as if its request had come (the
 *     command in flight fails CMD_ABORTED, the Abort gets its SlotStatus);
 *   - a lone ABORT request is forgotten (its control transfer was
 *     answered already; a command in flight runs on).
 *
 * Ticks come only while ccid_engine_busy(), which a waiting half keeps
 * true. A new host session (ccid_engine_reset / ccid_engine_enabled: USB
 * reset, SET_CONFIGURATION, endpoints re-enabled) forgets a half-done
 * abort. Each ending is one log line.
 *
 * A GetSlotStatus while a half waits is failed like any other command (a
 * pcscd started in that window gets CMD_ABORTED and gives up until the
 * bound ends it): answering it normally is not the spec's. After the ABORT
 * request, 5.3.1 fails every Bulk-OUT command to the slot with CMD_ABORTED
 * until the PC_to_RDR_Abort, GetSlotStatus included. Before it, the
 * PC_to_RDR_Abort is the slot's command in progress, so a second command
 * could at best be CMD_SLOT_BUSY (6.2.6), and answering one would leave the
 * Abort no longer the last Bulk-OUT message that 5.3.1 pairs the request
 * with. */
#include <errno.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

bool ccid_abort_intercept(struct ccid_engine *eng, const uint8_t *msg)
{
	uint8_t type = msg[CCID_OFF_TYPE];
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];
	struct ccid_slot *s = &eng->slots[slot];

	if (type == CCID_PC_ABORT) {
		ccid_log(eng, CCID_LOG_NOTICE, slot, seq, "PC_to_RDR_Abort");
		s->abort_msg = true;
		s->abort_msg_seq = seq;
		s->abort_ticks = 0;
		ccid_abort_try_complete(eng, slot);
		return true;
	}
	if (!s->abort_req && !s->abort_msg)
		return false;
	ccid_log(eng, CCID_LOG_INFO, slot, seq, "%s during abort",
		 ccid_msg_name(type));
	ccid_fail(eng, type, slot, seq, CCID_ERR_CMD_ABORTED);
	return true;
}

/* Both halves here (or the Abort's wait is over): cancel, answer. */
static void complete(struct ccid_engine *eng, unsigned slot)
{
	struct ccid_slot *s = &eng->slots[slot];

	ccid_op_cancel(eng, slot, CCID_ERR_CMD_ABORTED);
	ccid_slot_drop_chains(s);
	s->abort_req = false;
	s->abort_msg = false;
	ccid_ok(eng, CCID_PC_ABORT, (uint8_t)slot, s->abort_msg_seq);
}

void ccid_abort_try_complete(struct ccid_engine *eng, unsigned slot)
{
	struct ccid_slot *s = &eng->slots[slot];

	if (!s->abort_req || !s->abort_msg)
		return;
	if (s->abort_req_seq != s->abort_msg_seq) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, s->abort_msg_seq,
			 "PC_to_RDR_Abort does not match ABORT bSeq %u",
			 s->abort_req_seq);
		s->abort_msg = false;
		ccid_fail(eng, CCID_PC_ABORT, (uint8_t)slot, s->abort_msg_seq,
			  CCID_OFF_SEQ);
		return;
	}
	ccid_log(eng, CCID_LOG_NOTICE, (int)slot, s->abort_req_seq,
		 "abort done");
	complete(eng, slot);
}

int ccid_engine_abort_request(struct ccid_engine *eng, uint8_t slot,
			      uint8_t seq)
{
	struct ccid_slot *s;

	if (slot >= eng->cfg.nslots) {
		ccid_log(eng, CCID_LOG_WARNING, slot, seq,
			 "ABORT request for a slot that does not exist");
		return -EINVAL;
	}
	s = &eng->slots[slot];
	ccid_log(eng, CCID_LOG_NOTICE, slot, seq, "ABORT request");
	s->abort_req = true;
	s->abort_req_seq = seq;
	s->abort_ticks = 0;
	ccid_abort_try_complete(eng, slot);
	return 0;
}

bool ccid_abort_waiting(const struct ccid_slot *s)
{
	return s->abort_req || s->abort_msg;
}

void ccid_abort_tick(struct ccid_engine *eng, unsigned slot)
{
	struct ccid_slot *s = &eng->slots[slot];

	if (!ccid_abort_waiting(s) || ++s->abort_ticks < CCID_ABORT_TIMEOUT_TICKS)
		return;
	if (s->abort_msg) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, s->abort_msg_seq,
			 "PC_to_RDR_Abort without its ABORT request for about %u ms: "
			 "completed", CCID_ABORT_TIMEOUT_TICKS * CCID_TICK_MS);
		complete(eng, slot);
		return;
	}
	ccid_log(eng, CCID_LOG_WARNING, (int)slot, s->abort_req_seq,
		 "ABORT request without its PC_to_RDR_Abort for about %u ms: "
		 "forgotten", CCID_ABORT_TIMEOUT_TICKS * CCID_TICK_MS);
	s->abort_req = false;
}

void ccid_abort_forget(struct ccid_engine *eng, unsigned slot,
		       const char *why)
{
	struct ccid_slot *s = &eng->slots[slot];

	if (!ccid_abort_waiting(s))
		return;
	ccid_log(eng, CCID_LOG_NOTICE, (int)slot,
		 s->abort_msg ? s->abort_msg_seq : s->abort_req_seq,
		 "%s forgets a half-done abort (%s)", why,
		 s->abort_msg ? "PC_to_RDR_Abort without its ABORT request"
			      : "ABORT request without its PC_to_RDR_Abort");
	s->abort_req = false;
	s->abort_msg = false;
}
