/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One command APDU to the card and its response: PC_to_RDR_XfrBlock
 * (Section 6.1.4) -> RDR_to_PC_DataBlock (6.2.1) at the extended APDU
 * level.
 *
 * The handler checks the slot; ccid_chain.c assembles the command APDU
 * (wLevelParameter chaining) and starts the card operation
 * CCID_OP_TRANSMIT (ccid_op.c), which calls the card's transmit here; the
 * completion below sends the response APDU back through ccid_chain.c (in
 * pieces if it is longer than one message). The APDU hook
 * (ccid_engine_set_apdu_hook) sees both ends. */
#include <errno.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

/* Section 6.1.4. bBWI is ignored: the card's own time runs, and time
 * extensions keep the host waiting. */
void ccid_handle_xfr_block(struct ccid_engine *eng, const uint8_t *msg,
			   size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];
	uint8_t icc = ccid_icc_status(&eng->slots[slot]);

	/* No card, or not powered: mute (as QEMU and readers answer). */
	if (icc != CCID_ICC_STATUS_ACTIVE) {
		ccid_fail(eng, CCID_PC_XFR_BLOCK, slot, seq, CCID_ERR_ICC_MUTE);
		return;
	}
	ccid_chain_xfr(eng, slot, seq, ccid_get_le16(msg + CCID_OFF_LEVEL_PARAM),
		       msg + CCID_OFF_DATA, len - CCID_HEADER_LEN);
}

int ccid_transmit_call(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		       uint32_t tag)
{
	struct ccid_slot *s = &eng->slots[slot];

	ccid_log_command_apdu(eng, (int)slot, seq, s->apdu, s->apdu_len);
	if (eng->apdu_fn)
		eng->apdu_fn(eng->apdu_ctx, slot, seq, false, 0, s->apdu,
			     s->apdu_len);
	return s->ops->transmit(s->ctx, tag, s->apdu, s->apdu_len);
}

void ccid_transmit_done(struct ccid_engine *eng, unsigned slot, uint8_t seq,
			bool aborted, int err, const uint8_t *rsp, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];
	bool failed = aborted || err;

	if (eng->apdu_fn)
		eng->apdu_fn(eng->apdu_ctx, slot, seq, true,
			     aborted ? -ECANCELED : err,
			     failed ? NULL : rsp, failed ? 0 : len);
	if (failed) {
		ccid_op_failed(eng, slot, CCID_PC_XFR_BLOCK, seq, aborted, err);
		return;
	}
	if (len > CCID_APDU_RSP_MAX) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
			 "card answered %zu bytes, more than an APDU", len);
		ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
			  CCID_ERR_XFR_OVERRUN);
		return;
	}
	s->stats.apdus++;
	ccid_chain_card_response(eng, slot, seq, rsp, len);
}
