/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helpers for the CCID engine: see ccid_fake.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ccid_fake.h"

static void fake_finish_sync(struct ccid_fake_card *c, bool power_on)
{
	uint8_t *r;
	size_t n;

	if (c->deferred)
		return;
	if (c->done_err) {
		ccid_engine_card_done(c->eng, c->slot, c->tag, c->done_err,
				      NULL, 0);
		return;
	}
	if (power_on) {
		ccid_engine_card_done(c->eng, c->slot, c->tag, 0, c->atr,
				      c->atr_len);
		return;
	}
	if (!c->echo) {
		ccid_engine_card_done(c->eng, c->slot, c->tag, 0, c->rsp,
				      c->rsp_len);
		return;
	}
	n = c->apdu_len + 2;
	r = malloc(n);
	if (!r)
		return;
	memcpy(r, c->apdu, c->apdu_len);
	r[n - 2] = 0x90;
	r[n - 1] = 0x00;
	ccid_engine_card_done(c->eng, c->slot, c->tag, 0, r, n);
	free(r);
}

static int fake_power_on(void *ctx, uint32_t tag)
{
	struct ccid_fake_card *c = ctx;

	c->power_on_calls++;
	c->tag = tag;
	if (c->start_rc)
		return c->start_rc;
	if (!c->present)
		return -ENOMEDIUM;
	fake_finish_sync(c, true);
	return 0;
}

static void fake_power_off(void *ctx)
{
	((struct ccid_fake_card *)ctx)->power_off_calls++;
}

static int fake_transmit(void *ctx, uint32_t tag, const uint8_t *apdu,
			 size_t len)
{
	struct ccid_fake_card *c = ctx;

	c->transmit_calls++;
	c->tag = tag;
	c->apdu_len = len < sizeof(c->apdu) ? len : sizeof(c->apdu);
	memcpy(c->apdu, apdu, c->apdu_len);
	if (c->start_rc)
		return c->start_rc;
	fake_finish_sync(c, false);
	return 0;
}

static void fake_cancel(void *ctx, uint32_t tag)
{
	struct ccid_fake_card *c = ctx;

	c->cancel_calls++;
	c->cancelled_tag = tag;
}

static bool fake_present(void *ctx)
{
	return ((struct ccid_fake_card *)ctx)->present;
}

const struct ccid_card_ops ccid_fake_ops = {
	.power_on = fake_power_on,
	.power_off = fake_power_off,
	.transmit = fake_transmit,
	.cancel = fake_cancel,
	.present = fake_present,
};

const struct ccid_card_ops ccid_fake_ops_nocancel = {
	.power_on = fake_power_on,
	.power_off = fake_power_off,
	.transmit = fake_transmit,
	.cancel = NULL,
	.present = fake_present,
};

void ccid_fake_card_init(struct ccid_fake_card *c, struct ccid_engine *eng,
			 unsigned slot)
{
	memset(c, 0, sizeof(*c));
	c->eng = eng;
	c->slot = slot;
	c->present = true;
	c->atr[0] = 0x3B;
	c->atr[1] = 0x00;
	c->atr_len = 2;
	c->rsp[0] = 0x90;
	c->rsp[1] = 0x00;
	c->rsp_len = 2;
}

void ccid_fake_complete(struct ccid_fake_card *c, int err,
			const uint8_t *data, size_t len)
{
	ccid_engine_card_done(c->eng, c->slot, c->tag, err, data, len);
}

size_t ccid_fake_msg(uint8_t *buf, uint8_t type, uint8_t slot, uint8_t seq,
		     uint8_t b7, uint8_t b8, uint8_t b9, const uint8_t *data,
		     size_t len)
{
	buf[0] = type;
	buf[1] = (uint8_t)len;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)(len >> 16);
	buf[4] = (uint8_t)(len >> 24);
	buf[5] = slot;
	buf[6] = seq;
	buf[7] = b7;
	buf[8] = b8;
	buf[9] = b9;
	if (len)
		memcpy(buf + 10, data, len);
	return 10 + len;
}

void ccid_fake_send(struct ccid_engine *eng, uint8_t type, uint8_t slot,
		    uint8_t seq, uint8_t b7, uint8_t b8, uint8_t b9,
		    const uint8_t *data, size_t len)
{
	uint8_t *buf = malloc(10 + len);

	if (!buf)
		return;
	ccid_engine_bulk_out(eng, buf,
			     ccid_fake_msg(buf, type, slot, seq, b7, b8, b9,
					   data, len));
	free(buf);
}

size_t ccid_fake_pop(struct ccid_engine *eng, uint8_t *out, size_t cap)
{
	const struct ccid_msg *m = ccid_engine_peek_bulk_in(eng);
	size_t n;

	if (!m)
		return 0;
	n = m->len;
	if (n > cap) {
		ccid_engine_pop_bulk_in(eng);
		return (size_t)-1;
	}
	memcpy(out, m->data, n);
	ccid_engine_pop_bulk_in(eng);
	return n;
}

unsigned ccid_fake_drain(struct ccid_engine *eng)
{
	unsigned n = 0;

	while (ccid_engine_peek_bulk_in(eng)) {
		ccid_engine_pop_bulk_in(eng);
		n++;
	}
	return n;
}

struct ccid_engine *ccid_fake_engine(unsigned nslots, uint32_t max_msg_len)
{
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;

	ccid_reader_config_default(&cfg);
	cfg.nslots = nslots;
	cfg.max_busy_slots = (uint8_t)nslots;
	if (max_msg_len)
		cfg.max_msg_len = max_msg_len;
	eng = ccid_engine_new(&cfg);
	if (eng)
		ccid_engine_set_log(eng, ccid_fake_log, NULL);
	return eng;
}

void ccid_fake_log(void *ctx, int level, const char *line)
{
	(void)ctx;
	if (getenv("CCID_TEST_LOG"))
		fprintf(stderr, "  ccid<%d> %s\n", level, line);
}

void ccid_fake_power_on(struct ccid_engine *eng, unsigned slot)
{
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, (uint8_t)slot, 0xF0, 0, 0, 0,
		       NULL, 0);
	ccid_fake_drain(eng);
}

struct ccid_engine *ccid_fake_active_engine(struct ccid_fake_card *card,
					    uint32_t max_msg_len,
					    const struct ccid_card_ops *ops)
{
	struct ccid_engine *eng = ccid_fake_engine(1, max_msg_len);

	if (!eng)
		return NULL;
	ccid_fake_card_init(card, eng, 0);
	card->echo = true;
	ccid_engine_attach_card(eng, 0, ops ? ops : &ccid_fake_ops, card);
	ccid_fake_power_on(eng, 0);
	return eng;
}

bool ccid_fake_expect(struct ccid_engine *eng, uint8_t *out, size_t cap,
		      const struct ccid_fake_want *want, const char *file,
		      int line)
{
	size_t n = ccid_fake_pop(eng, out, cap);

	if (n == 0 || n == (size_t)-1 || n < 10) {
		fprintf(stderr, "  %s:%d: no RDR_to_PC message (%zd)\n", file,
			line, (ssize_t)n);
		return false;
	}
	if (out[0] == want->type && out[5] == want->slot &&
	    out[6] == want->seq && out[7] == want->status &&
	    out[8] == want->error)
		return true;
	fprintf(stderr, "  %s:%d: got type %02X slot %u seq %u status %02X "
		"error %02X, want %02X %u %u %02X %02X\n", file, line, out[0],
		out[5], out[6], out[7], out[8], want->type, want->slot,
		want->seq, want->status, want->error);
	return false;
}
