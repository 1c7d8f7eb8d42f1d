/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's public front (ccid_engine.h): create/free, attach, the
 * card-side and USB-side entry points, ticks, stats. Each entry point
 * checks its arguments and hands over to the file that does the work:
 * card operations to ccid_op.c, slot state to ccid_slot.c, bulk-OUT to
 * ccid_reasm.c, the IN queues to ccid_queue.c, the ABORT request to
 * ccid_abort.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

struct ccid_engine *ccid_engine_new(const struct ccid_reader_config *cfg)
{
	struct ccid_engine *eng;
	uint32_t rates[CCID_MAX_DATA_RATES];
	size_t nrates;

	if (ccid_reader_config_check_rates(cfg, NULL, rates, &nrates) != 0)
		return NULL;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->cfg = *cfg;
	memcpy(eng->rates, rates, nrates * sizeof(rates[0]));
	eng->nrates = nrates;
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
			ccid_op_drop(&eng->slots[i]);
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
	ccid_slot_deactivate(eng, slot, CCID_DEACT_CARD_GONE);
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
	if (!present || !s->ops) {
		ccid_slot_card_left(eng, slot);
	} else if (!was) {
		s->present = true;
		ccid_slot_mark_changed(eng, slot);
	}
}

void ccid_engine_card_done(struct ccid_engine *eng, unsigned slot,
			   uint32_t tag, int err, const uint8_t *data,
			   size_t len)
{
	if (slot < eng->cfg.nslots)
		ccid_op_done(eng, slot, tag, err, data, len);
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

bool ccid_engine_out_idle(const struct ccid_engine *eng)
{
	return eng->reasm.len == 0 && !eng->reasm.discarding;
}

void ccid_engine_reset(struct ccid_engine *eng)
{
	ccid_log(eng, CCID_LOG_NOTICE, -1, -1, "reset");
	ccid_reasm_clear(&eng->reasm);
	ccid_inq_clear(eng);
	memset(&eng->intr, 0, sizeof(eng->intr));
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		struct ccid_slot *s = &eng->slots[i];

		ccid_slot_deactivate(eng, i, CCID_DEACT_HOST_GONE);
		ccid_abort_forget(eng, i, "reset");
		s->changed = false;
		s->renotify = false;
		s->hw_error = false;
	}
}

void ccid_engine_enabled(struct ccid_engine *eng)
{
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		ccid_abort_forget(eng, i, "new host session");
		if (eng->slots[i].present)
			eng->slots[i].changed = true;
		eng->slots[i].renotify = eng->slots[i].present;
	}
	eng->intr.force = true;
}

bool ccid_engine_busy(const struct ccid_engine *eng)
{
	for (unsigned i = 0; i < eng->cfg.nslots; i++)
		if (ccid_abort_waiting(&eng->slots[i]))
			return true;
	return ccid_busy_count(eng) > 0;
}

void ccid_engine_tick(struct ccid_engine *eng)
{
	for (unsigned i = 0; i < eng->cfg.nslots; i++) {
		ccid_abort_tick(eng, i);
		ccid_time_ext_tick(eng, i);
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
