/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handlers for the parameter family: GetParameters (6.1.5),
 * ResetParameters (6.1.6), SetParameters (6.1.7) -> RDR_to_PC_Parameters
 * (6.2.3); SetDataRateAndClockFrequency (6.1.14) ->
 * RDR_to_PC_DataRateAndClockFrequency (6.2.5).
 *
 * A Parameters answer carries bProtocolNum in byte 9 and the protocol
 * data structure as abData. A failed SetParameters answers the current
 * (unchanged) parameters; a failure for an absent card has no data. */
#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

static void answer_params(struct ccid_engine *eng, uint8_t slot, uint8_t seq,
			  uint8_t cmd_status, uint8_t error)
{
	const struct ccid_slot *s = &eng->slots[slot];
	size_t n;
	const uint8_t *d = ccid_params_data(&s->params, &n);

	if (cmd_status != CCID_CMD_STATUS_OK)
		eng->slots[slot].stats.errors++;
	ccid_respond(eng, &(struct ccid_rdr_header){
			     .type = CCID_RDR_PARAMETERS,
			     .slot = slot,
			     .seq = seq,
			     .status = CCID_STATUS(ccid_icc_status(s), cmd_status),
			     .error = error,
			     .b9 = s->params.protocol,   /* bProtocolNum */
		     }, d, n);
}

static bool card_absent(struct ccid_engine *eng, const uint8_t *msg)
{
	uint8_t slot = msg[CCID_OFF_SLOT];

	if (ccid_icc_status(&eng->slots[slot]) != CCID_ICC_STATUS_ABSENT)
		return false;
	ccid_fail(eng, msg[CCID_OFF_TYPE], slot, msg[CCID_OFF_SEQ],
		  CCID_ERR_ICC_MUTE);
	return true;
}

void ccid_handle_get_parameters(struct ccid_engine *eng, const uint8_t *msg,
				size_t len)
{
	(void)len;
	if (!card_absent(eng, msg))
		answer_params(eng, msg[CCID_OFF_SLOT], msg[CCID_OFF_SEQ],
			      CCID_CMD_STATUS_OK, 0);
}

/* Section 6.1.6: back to the values derived from the ATR (or ISO
 * defaults before any ATR). */
void ccid_handle_reset_parameters(struct ccid_engine *eng, const uint8_t *msg,
				  size_t len)
{
	struct ccid_slot *s = &eng->slots[msg[CCID_OFF_SLOT]];

	(void)len;
	if (card_absent(eng, msg))
		return;
	s->params = s->atr_params;
	answer_params(eng, msg[CCID_OFF_SLOT], msg[CCID_OFF_SEQ],
		      CCID_CMD_STATUS_OK, 0);
}

void ccid_handle_set_parameters(struct ccid_engine *eng, const uint8_t *msg,
				size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT], seq = msg[CCID_OFF_SEQ];
	uint8_t err;

	if (card_absent(eng, msg))
		return;
	err = ccid_params_set(&eng->slots[slot].params, msg, len, &eng->cfg);
	if (err)
		ccid_log(eng, CCID_LOG_WARNING, slot, seq,
			 "SetParameters refused, bError %u", err);
	answer_params(eng, slot, seq,
		      err ? CCID_CMD_STATUS_FAILED : CCID_CMD_STATUS_OK, err);
}

/* Clock and baud rate are automatic (dwFeatures 0x10 | 0x20): whatever
 * the host asks, answer the values in use (Section 6.2.5: dwClockFrequency
 * and dwDataRate are the "current setting"): the default clock, and the
 * rate the slot's bmFindexDindex gives at it, f x Di / Fi (one of the
 * rates GET_DATA_RATES lists when the card's parameters are within
 * them). No card needed. */
void ccid_handle_set_rate_and_clock(struct ccid_engine *eng,
				    const uint8_t *msg, size_t len)
{
	uint8_t slot = msg[CCID_OFF_SLOT];
	const struct ccid_params *p = &eng->slots[slot].params;
	uint8_t fidi = p->protocol == 1 ? p->t1[0] : p->t0[0];
	uint64_t rate = eng->cfg.default_data_rate;
	uint8_t data[8];

	(void)len;
	if (ccid_fi(fidi >> 4) && ccid_di(fidi))
		rate = (uint64_t)eng->cfg.default_clock_khz * 1000u *
		       ccid_di(fidi) / ccid_fi(fidi >> 4);
	ccid_put_le32(data, eng->cfg.default_clock_khz);   /* dwClockFrequency */
	ccid_put_le32(data + 4, (uint32_t)rate);           /* dwDataRate */
	ccid_respond(eng, &(struct ccid_rdr_header){
			     .type = CCID_RDR_RATE_AND_CLOCK,
			     .slot = slot,
			     .seq = msg[CCID_OFF_SEQ],
			     .status = CCID_STATUS(
				     ccid_icc_status(&eng->slots[slot]),
				     CCID_CMD_STATUS_OK),
		     }, data, sizeof(data));
}
