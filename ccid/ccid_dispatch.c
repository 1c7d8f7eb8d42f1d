/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One complete PC_to_RDR message -> the checks every command shares, then
 * its ccid_handle_<message>().
 *
 * Order of the checks (bError is the offset of the first bad field,
 * Table 6.2-2): unknown type -> CMD_NOT_SUPPORTED; dwLength (1) for the
 * commands with a fixed length; bSlot (5); an ABORT in progress on the
 * slot (CMD_ABORTED, Section 5.3.1); a card operation in flight on the
 * slot (CMD_SLOT_BUSY); then the handler checks its own fields. */
#include <stddef.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

typedef void (*ccid_handler)(struct ccid_engine *eng, const uint8_t *msg,
			     size_t len);

#define VAR_LEN (-1)

static const struct {
	uint8_t type;
	int dw_length;          /* exact dwLength, or VAR_LEN */
	ccid_handler fn;
} handlers[] = {
	/* Section 6.1.1 .. 6.1.14 */
	{ CCID_PC_ICC_POWER_ON, 0, ccid_handle_icc_power_on },
	{ CCID_PC_ICC_POWER_OFF, 0, ccid_handle_icc_power_off },
	{ CCID_PC_GET_SLOT_STATUS, 0, ccid_handle_get_slot_status },
	{ CCID_PC_XFR_BLOCK, VAR_LEN, ccid_handle_xfr_block },
	{ CCID_PC_GET_PARAMETERS, 0, ccid_handle_get_parameters },
	{ CCID_PC_RESET_PARAMETERS, 0, ccid_handle_reset_parameters },
	{ CCID_PC_SET_PARAMETERS, VAR_LEN, ccid_handle_set_parameters },
	{ CCID_PC_ESCAPE, VAR_LEN, ccid_handle_not_supported },
	{ CCID_PC_ICC_CLOCK, 0, ccid_handle_icc_clock },
	/* APDU-level reader: T0APDU only matters for TPDU/character level */
	{ CCID_PC_T0_APDU, VAR_LEN, ccid_handle_not_supported },
	{ CCID_PC_SECURE, VAR_LEN, ccid_handle_not_supported },  /* no PIN pad */
	{ CCID_PC_MECHANICAL, VAR_LEN, ccid_handle_not_supported },
	{ CCID_PC_ABORT, 0, NULL },   /* ccid_abort.c */
	{ CCID_PC_SET_RATE_AND_CLOCK, 8, ccid_handle_set_rate_and_clock },
};

void ccid_dispatch(struct ccid_engine *eng, const uint8_t *msg, size_t len)
{
	uint8_t type = msg[CCID_OFF_TYPE];
	uint8_t slot = msg[CCID_OFF_SLOT];
	uint8_t seq = msg[CCID_OFF_SEQ];
	size_t dwlen = len - CCID_HEADER_LEN;
	size_t i, n = sizeof(handlers) / sizeof(handlers[0]);

	ccid_log(eng, CCID_LOG_DEBUG, slot, seq, "<- %s, %zu data bytes",
		 ccid_msg_name(type), dwlen);
	for (i = 0; i < n && handlers[i].type != type; i++)
		;
	if (i == n) {
		ccid_log(eng, CCID_LOG_WARNING, slot, seq,
			 "unknown message type 0x%02X", type);
		ccid_fail(eng, type, slot, seq, CCID_ERR_CMD_NOT_SUPPORTED);
		return;
	}
	if (handlers[i].dw_length != VAR_LEN &&
	    dwlen != (size_t)handlers[i].dw_length) {
		ccid_log(eng, CCID_LOG_WARNING, slot, seq,
			 "%s: dwLength %zu, expected %d", ccid_msg_name(type),
			 dwlen, handlers[i].dw_length);
		ccid_fail(eng, type, slot, seq, CCID_ERR_BAD_LENGTH);
		return;
	}
	if (slot >= eng->cfg.nslots) {
		ccid_log(eng, CCID_LOG_WARNING, slot, seq, "%s: no such slot",
			 ccid_msg_name(type));
		ccid_fail(eng, type, slot, seq, CCID_ERR_BAD_SLOT);
		return;
	}
	if (ccid_abort_intercept(eng, msg))
		return;
	if (type != CCID_PC_GET_SLOT_STATUS)
		eng->slots[slot].renotify = false;   /* the host is past it */
	if (eng->slots[slot].op != CCID_OP_NONE) {
		ccid_log(eng, CCID_LOG_WARNING, slot, seq,
			 "%s: slot busy with bSeq %u", ccid_msg_name(type),
			 eng->slots[slot].op_seq);
		ccid_fail(eng, type, slot, seq, CCID_ERR_CMD_SLOT_BUSY);
		return;
	}
	handlers[i].fn(eng, msg, len);
}

void ccid_handle_not_supported(struct ccid_engine *eng, const uint8_t *msg,
			       size_t len)
{
	(void)len;
	ccid_log(eng, CCID_LOG_INFO, msg[CCID_OFF_SLOT], msg[CCID_OFF_SEQ],
		 "%s: not supported", ccid_msg_name(msg[CCID_OFF_TYPE]));
	ccid_fail(eng, msg[CCID_OFF_TYPE], msg[CCID_OFF_SLOT],
		  msg[CCID_OFF_SEQ], CCID_ERR_CMD_NOT_SUPPORTED);
}
