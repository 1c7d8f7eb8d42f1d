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
 * request keeps waiting for its own. A reset forgets a half-done abort. */
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
	if (s->op != CCID_OP_NONE) {
		uint8_t cmd = ccid_op_command(s->op), seq = s->op_seq;

		ccid_slot_drop_op(s);
		ccid_fail(eng, cmd, (uint8_t)slot, seq, CCID_ERR_CMD_ABORTED);
	}
	ccid_slot_drop_chains(s);
	s->abort_req = false;
	s->abort_msg = false;
	ccid_log(eng, CCID_LOG_NOTICE, (int)slot, s->abort_req_seq,
		 "abort done");
	ccid_ok(eng, CCID_PC_ABORT, (uint8_t)slot, s->abort_req_seq);
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
	ccid_abort_try_complete(eng, slot);
	return 0;
}
