/* Engine lifecycle and the card-side entry points: create/free, attach,
 * card completions and presence, reset/enable, ticks, stats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

struct ccid_engine *ccid_engine_new(const struct ccid_reader_config *cfg)
{
	struct ccid_engine *eng;

	if (ccid_reader_config_check(cfg, NULL) != 0)
		return NULL;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->cfg = *cfg;
	eng->log_max = CCID_LOG_DEBUG;
	eng->slots = calloc(cfg->nslots, sizeof(*eng->slots));
	if (!eng->slots ||
	    ccid_reasm_init(&eng->reasm, cfg->max_msg_len) != 0 ||
	    ccid_inq_init(&eng->inq, CCID_INQ_CAP(cfg->nslots))) {
		ccid_engine_free(eng);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->nslots; i++) {
		ccid_params_default(&eng->slots[i].atr_params);
		eng->slots[i].params = eng->slots[i].atr_params;
	}
	return eng;
}

/* Pending operations are cancelled (the card must not touch the APDU
 * buffer afterwards); cards are not powered off, and a card must not
 * complete into a freed engine: detach or destroy cards first. */
void ccid_engine_free(struct ccid_engine *eng)
{
	if (!eng)
		return;
	if (eng->slots) {
		for (unsigned i = 0; i < eng->cfg.nslots; i++) {
			ccid_slot_drop_op(&eng->slots[i]);
			free(eng->slots[i].apdu);
			free(eng->slots[i].rsp);
		}
	}
	if (eng->inq.ring)
		ccid_inq_free(&eng->inq);
	ccid_reasm_free(&eng->reasm);
	free(eng->slots);
	free(eng);
}

void ccid_engine_set_log_level(struct ccid_engine *eng, int max)
{
	eng->log_max = max;
}

void ccid_engine_set_log(struct ccid_engine *eng, ccid_log_fn fn, void *ctx)
{
	eng->log_fn = fn;
	eng->log_ctx = ctx;
}

void ccid_engine_set_apdu_hook(struct ccid_engine *eng, ccid_apdu_fn fn,
			       void *ctx)
{
	eng->apdu_fn = fn;
	eng->apdu_ctx = ctx;
}

/* The card left: answer what it was doing, forget its state. */
static void card_gone(struct ccid_engine *eng, unsigned slot)
{
	struct ccid_slot *s = &eng->slots[slot];

	if (s->op != CCID_OP_NONE) {
		uint8_t cmd = ccid_op_command(s->op), seq = s->op_seq;

		ccid_slot_drop_op(s);
		ccid_fail(eng, cmd, (uint8_t)slot, seq, CCID_ERR_ICC_MUTE);
	}
	ccid_slot_drop_chains(s);
	s->powered = false;
	s->atr_len = 0;
	ccid_params_default(&s->atr_params);
	s->params = s->atr_params;
}

int ccid_engine_attach_card(struct ccid_engine *eng, unsigned slot,
			    const struct ccid_card_ops *ops, void *ctx)
{
	struct ccid_slot *s;
	bool was;

	if (slot >= eng->cfg.nslots)
		return -EINVAL;
	if (ops && (!ops->power_on || !ops->power_off || !ops->transmit))
		return -EINVAL;
	s = &eng->slots[slot];
	was = s->ops && s->present;
	s->present = false;   /* answers below report the old card absent */
	card_gone(eng, slot);
	s->ops = ops;
	s->ctx = ctx;
	s->present = ops && (!ops->present || ops->present(ctx));
	if (was || s->present)   /* a swapped card is a change too */
		ccid_slot_mark_changed(eng, slot);
	return 0;
}

void ccid_engine_card_presence(struct ccid_engine *eng, unsigned slot,
			       bool present)
{
	struct ccid_slot *s;
	bool was;

	if (slot >= eng->cfg.nslots)
		return;
	s = &eng->slots[slot];
	was = s->present;
	s->present = present && s->ops;
	if (!s->present)
		card_gone(eng, slot);
	if (was != s->present)
		ccid_slot_mark_changed(eng, slot);
}

static void power_on_done(struct ccid_engine *eng, unsigned slot, uint8_t seq,
			  const uint8_t *atr, size_t len)
{
	struct ccid_slot *s = &eng->slots[slot];
	enum ccid_atr_check chk;
	uint8_t err = 0;

	if (len == 0) {
		err = CCID_ERR_ICC_MUTE;
	} else if (len > CCID_ATR_MAX) {
		err = CCID_ERR_HW_ERROR;
	} else {
		chk = ccid_params_from_atr(&s->atr_params, atr, len);
		if (chk == CCID_ATR_BAD_TS)
			err = CCID_ERR_BAD_ATR_TS;
		else if (chk != CCID_ATR_OK)   /* passed on: the host decides */
			ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
				 "ATR %s", chk == CCID_ATR_BAD_TCK
					 ? "has a wrong TCK" : "is truncated");
	}
	if (err) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
			 "unusable ATR (%zu bytes)", len);
		s->ops->power_off(s->ctx);
		ccid_params_default(&s->atr_params);
		s->params = s->atr_params;
		ccid_fail(eng, CCID_PC_ICC_POWER_ON, (uint8_t)slot, seq, err);
		return;
	}
	memcpy(s->atr, atr, len);
	s->atr_len = len;
	s->params = s->atr_params;
	s->powered = true;
	ccid_log_hex(eng, (int)slot, seq, "ATR", atr, len);
	ccid_respond(eng, CCID_RDR_DATA_BLOCK, (uint8_t)slot, seq,
		     CCID_STATUS(CCID_ICC_STATUS_ACTIVE, CCID_CMD_STATUS_OK), 0,
		     CCID_CHAIN_BEGIN_END, atr, len);
}

/* Card error -> bError: -ENOMEDIUM card gone (absent, ICC_MUTE),
 * -ETIMEDOUT mute (ICC_MUTE), anything else a hardware error (HW_ERROR,
 * plus an interrupt-IN HardwareError, Section 6.3.2: the only defined
 * bHardwareErrorCode is overcurrent, the closest to "the card
 * interface failed"). */
static void op_failed(struct ccid_engine *eng, unsigned slot, uint8_t cmd,
		      uint8_t seq, int err)
{
	struct ccid_slot *s = &eng->slots[slot];
	uint8_t berr = CCID_ERR_ICC_MUTE;

	ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq, "%s: card error %d",
		 ccid_msg_name(cmd), err);
	if (cmd == CCID_PC_ICC_POWER_ON)
		s->powered = false;
	if (err == -ENOMEDIUM) {
		bool was = s->present;

		s->present = false;
		card_gone(eng, slot);
		if (was)
			ccid_slot_mark_changed(eng, slot);
	} else if (err != -ETIMEDOUT) {
		berr = CCID_ERR_HW_ERROR;
		s->hw_error = true;
		s->hw_error_seq = seq;
	}
	ccid_fail(eng, cmd, (uint8_t)slot, seq, berr);
}

void ccid_engine_card_done(struct ccid_engine *eng, unsigned slot,
			   uint32_t tag, int err, const uint8_t *data,
			   size_t len)
{
	struct ccid_slot *s;
	uint8_t cmd, seq;

	if (slot >= eng->cfg.nslots)
		return;
	s = &eng->slots[slot];
	if (s->op == CCID_OP_NONE || s->tag != tag) {
		ccid_log(eng, CCID_LOG_DEBUG, (int)slot, -1,
			 "stale completion (tag %u) dropped", tag);
		return;
	}
	cmd = ccid_op_command(s->op);
	seq = s->op_seq;
	s->op = CCID_OP_NONE;
	s->te_queued = false;
	if (!data)
		len = 0;
	if (eng->apdu_fn && cmd != CCID_PC_ICC_POWER_ON) {
		bool aborted = s->abort_req || s->abort_msg;

		eng->apdu_fn(eng->apdu_ctx, slot, seq, true,
			     aborted ? -ECANCELED : err,
			     aborted || err ? NULL : data,
			     aborted || err ? 0 : len);
	}
	if (s->abort_req || s->abort_msg) {
		/* Section 5.3.1: the host is aborting this command. */
		ccid_fail(eng, cmd, (uint8_t)slot, seq, CCID_ERR_CMD_ABORTED);
	} else if (err) {
		op_failed(eng, slot, cmd, seq, err);
	} else if (cmd == CCID_PC_ICC_POWER_ON) {
		power_on_done(eng, slot, seq, data, len);
	} else if (len > CCID_APDU_RSP_MAX) {
		ccid_log(eng, CCID_LOG_WARNING, (int)slot, seq,
			 "card answered %zu bytes, more than an APDU", len);
		ccid_fail(eng, cmd, (uint8_t)slot, seq, CCID_ERR_XFR_OVERRUN);
	} else {
		s->stats.apdus++;
		ccid_chain_card_response(eng, slot, seq, data, len);
	}
}

void ccid_engine_set_packet_sizes(struct ccid_engine *eng, uint16_t out_mps,
				  uint16_t in_mps)
{
	struct ccid_inq *q = &eng->inq;

	eng->reasm.out_mps = out_mps;
	eng->in_mps = in_mps;
	/* queued messages follow the new IN packet size */
	for (unsigned i = 0; i < q->count; i++) {
		struct ccid_msg *m = &q->ring[(q->head + i) % q->cap].msg;

		m->zlp = in_mps && m->len % in_mps == 0;
	}
}

size_t ccid_engine_out_read_size(const struct ccid_engine *eng)
{
	return ccid_reasm_read_size(&eng->reasm);
}

void ccid_engine_bulk_out(struct ccid_engine *eng, const uint8_t *buf,
			  size_t len)
{
	ccid_reasm_feed(eng, buf, len);
}

void ccid_engine_reset(struct ccid_engine *eng)
{
	ccid_log(eng, CCID_LOG_NOTICE, -1, -1, "reset");
	ccid_reasm_clear(&eng->reasm);
	ccid_inq_clear(eng);
	memset(&eng->intr, 0, sizeof(eng->intr));
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		struct ccid_slot *s = &eng->slots[i];
		bool was_on = s->powered || s->op != CCID_OP_NONE;

		ccid_slot_drop_op(s);
		ccid_slot_drop_chains(s);
		if (was_on && s->ops)
			s->ops->power_off(s->ctx);
		s->powered = false;
		s->params = s->atr_params;
		s->abort_req = s->abort_msg = false;
		s->changed = false;
		s->hw_error = false;
	}
}

void ccid_engine_enabled(struct ccid_engine *eng)
{
	for (unsigned i = 0; i < eng->cfg.nslots; i++)
		if (eng->slots[i].present)
			eng->slots[i].changed = true;
	eng->intr.force = true;
}

bool ccid_engine_busy(const struct ccid_engine *eng)
{
	return ccid_busy_count(eng) > 0;
}

/* Time extensions go to pending XfrBlocks only. Section 6.2.6 allows them
 * for any command, but libccid reads them only in CCID_Receive (XfrBlock,
 * Secure, Escape): its CmdPowerOn takes the first DataBlock as the answer,
 * and a time extension (bmCommandStatus 2, not "failed", dwLength 0) would
 * power the card on with an empty ATR. A slow power-on is instead bounded
 * by the host's own timeout. */
void ccid_engine_tick(struct ccid_engine *eng)
{
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		struct ccid_slot *s = &eng->slots[i];

		if (s->op == CCID_OP_TRANSMIT && !s->te_queued)
			ccid_respond_time_ext(eng, i);
	}
}

int ccid_engine_slot_stats(const struct ccid_engine *eng, unsigned slot,
			   struct ccid_slot_stats *out)
{
	if (slot >= eng->cfg.nslots)
		return -EINVAL;
	*out = eng->slots[slot].stats;
	out->icc = (enum ccid_icc_state)ccid_icc_status(&eng->slots[slot]);
	out->busy = eng->slots[slot].op != CCID_OP_NONE;
	return 0;
}
