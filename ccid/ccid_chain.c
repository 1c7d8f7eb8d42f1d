/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PC_to_RDR_XfrBlock (Section 6.1.4) at the extended APDU level: the
 * chaining in both directions (wLevelParameter, Table 6.1-4; bChainParameter
 * of RDR_to_PC_DataBlock, Section 6.2.1):
 *
 *   command longer than dwMaxCCIDMessageLength - 10: the host sends
 *     0x01 (begins), 0x03 (continues)..., 0x02 (ends); each non-final
 *     piece is answered with an empty DataBlock, bChainParameter 0x10;
 *     the assembled APDU (at most CCID_APDU_CMD_MAX bytes, checked before
 *     every append: CVE-2017-5898 was an unchecked length here) goes to
 *     the card after 0x02.
 *   response longer than dwMaxCCIDMessageLength - 10: the first piece
 *     goes out with bChainParameter 0x01, and each empty XfrBlock with
 *     wLevelParameter 0x10 gets the next piece, 0x03 while more follow,
 *     0x02 for the last (libccid's CmdXfrBlockAPDU_extended does exactly
 *     this).
 *
 * Errors point at the field (Table 6.2-2): 1 = dwLength (empty APDU,
 * assembled APDU too long, data with 0x10), 8 = wLevelParameter (unknown
 * value, or a continuation with nothing to continue). */
#include <string.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

static size_t piece_max(const struct ccid_engine *eng)
{
	return eng->cfg.max_msg_len - CCID_HEADER_LEN;
}

static void data_block(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		       uint8_t chain, const uint8_t *data, size_t len)
{
	ccid_respond(eng, &(struct ccid_rdr_header){
			     .type = CCID_RDR_DATA_BLOCK,
			     .slot = (uint8_t)slot,
			     .seq = seq,
			     .status = CCID_STATUS(
				     ccid_icc_status(&eng->slots[slot]),
				     CCID_CMD_STATUS_OK),
			     .b9 = chain,
		     }, data, len);
}

static void send_next_piece(struct ccid_engine *eng, unsigned slot,
			    uint8_t seq)
{
	struct ccid_slot *s = &eng->slots[slot];
	size_t n = s->rsp_len - s->rsp_off;
	bool last = n <= piece_max(eng);
	uint8_t chain = s->rsp_off == 0 ? CCID_CHAIN_BEGIN_MORE
			: last ? CCID_CHAIN_CONT_END : CCID_CHAIN_CONT_MORE;

	if (!last)
		n = piece_max(eng);
	data_block(eng, slot, seq, chain, s->rsp + s->rsp_off, n);
	s->rsp_off += n;
	if (last)
		s->rsp_len = s->rsp_off = 0;
}

void ccid_chain_card_response(struct ccid_engine *eng, unsigned slot,
			      uint8_t seq, const uint8_t *data, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];

	ccid_log_response_apdu(eng, (int)slot, seq, data, len);
	if (len <= piece_max(eng)) {
		data_block(eng, slot, seq, CCID_CHAIN_BEGIN_END, data, len);
		return;
	}
	if (ccid_slot_reserve(&s->rsp, &s->rsp_cap, len) != 0) {
		ccid_log(eng, CCID_LOG_ERR, (int)slot, seq,
			 "no memory for a %zu-byte response", len);
		ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
			  CCID_ERR_HW_ERROR);
		return;
	}
	memcpy(s->rsp, data, len);
	s->rsp_len = len;
	s->rsp_off = 0;
	send_next_piece(eng, slot, seq);
}

/* Append a piece of command APDU; false (answered) if it does not fit. */
static bool append(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		   const uint8_t *data, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];

	if (len > CCID_APDU_CMD_MAX - s->apdu_len) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
			 "command APDU over %u bytes", CCID_APDU_CMD_MAX);
		ccid_slot_drop_chains(s);
		ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
			  CCID_ERR_BAD_LENGTH);
		return false;
	}
	if (ccid_slot_reserve(&s->apdu, &s->apdu_cap, s->apdu_len + len)) {
		ccid_slot_drop_chains(s);
		ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
			  CCID_ERR_HW_ERROR);
		return false;
	}
	if (len)
		memcpy(s->apdu + s->apdu_len, data, len);
	s->apdu_len += len;
	return true;
}

static void send_to_card(struct ccid_engine *eng, unsigned slot, uint8_t seq)
{
	struct ccid_slot *s = &eng->slots[slot];

	s->cmd_chaining = false;
	if (ccid_busy_count(eng) >= eng->cfg.max_busy_slots) {
		ccid_slot_drop_chains(s);
		ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
			  CCID_ERR_CMD_SLOT_BUSY);
		return;
	}
	ccid_op_start(eng, slot, seq, CCID_OP_TRANSMIT);
}

void ccid_chain_xfr(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		    uint16_t level, const uint8_t *data, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];
	bool begins = level == CCID_CHAIN_BEGIN_END ||
		      level == CCID_CHAIN_BEGIN_MORE;

	if (begins && (s->cmd_chaining || s->rsp_len)) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
			 "new APDU drops an unfinished chain");
		ccid_slot_drop_chains(s);
	}
	switch (level) {
	case CCID_CHAIN_BEGIN_END:
		if (len == 0) {
			ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
				  CCID_ERR_BAD_LENGTH);
			return;
		}
		s->apdu_len = 0;
		if (append(eng, slot, seq, data, len))
			send_to_card(eng, slot, seq);
		return;
	case CCID_CHAIN_BEGIN_MORE:
	case CCID_CHAIN_CONT_MORE:
	case CCID_CHAIN_CONT_END:
		if (!begins && !s->cmd_chaining)
			break;
		if (begins)
			s->apdu_len = 0;
		if (!append(eng, slot, seq, data, len))
			return;
		if (level == CCID_CHAIN_CONT_END) {
			send_to_card(eng, slot, seq);
		} else {
			s->cmd_chaining = true;
			data_block(eng, slot, seq, CCID_CHAIN_EMPTY_CONTINUE,
				   NULL, 0);
		}
		return;
	case CCID_CHAIN_EMPTY_CONTINUE:
		if (!s->rsp_len)
			break;
		if (len != 0) {
			ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
				  CCID_ERR_BAD_LENGTH);
			return;
		}
		send_next_piece(eng, slot, seq);
		return;
	default:
		break;
	}
	ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
		 "XfrBlock: wLevelParameter 0x%04X out of place", level);
	ccid_fail(eng, CCID_PC_XFR_BLOCK, (uint8_t)slot, seq,
		  CCID_OFF_LEVEL_PARAM);
}
