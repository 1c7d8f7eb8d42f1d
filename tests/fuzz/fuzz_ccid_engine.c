/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the CCID engine. The input is a program: two bytes
 * of configuration, then operations (bulk-OUT chunks of various sizes,
 * well-formed messages, ticks, ABORT requests, card completions of any
 * length, presence changes, attach/detach, IN pops, reset, enable).
 *
 * Invariants checked (abort() on violation):
 *   - every bulk-IN message is a known RDR_to_PC type, >= 10 bytes, with
 *     dwLength == len - 10, a valid bStatus, and ZLP flagged exactly when
 *     len is a multiple of the IN packet size;
 *   - a time extension (bmCommandStatus 2) carries no data;
 *   - interrupt messages are NotifySlotChange of 1 + ceil(2n/8) bytes or
 *     4-byte HardwareError;
 *   - out_ready() is false once 16 messages are queued, and the queue
 *     never holds more than 16 + 3 * nslots;
 *   - out_read_size() never exceeds max_msg_len rounded up to a packet. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "vcg_testcard.h"
#include "fuzz_target.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned word(struct in *in)
{
	unsigned lo = byte(in);   /* two statements: the order of the reads */

	return lo | byte(in) << 8;
}

/* A card whose behaviour the input picks. */
struct fcard {
	struct ccid_engine *eng;
	unsigned slot;
	uint8_t mode;     /* 0 deferred, 1 sync, 2 -ENOMEDIUM, 3 -EIO */
	bool present;
	uint32_t tag;
	bool pending;
};

static const uint8_t atr_t01[] = { 0x3B, 0x9A, 0x11, 0x80, 0x31, 0xFE, 0x45,
	0x63, 0x63, 0x69, 0x64, 0x67, 0x61, 0x64, 0x67, 0x65, 0x74, 0x98 };

static int fc_start(struct fcard *c, uint32_t tag, const uint8_t *d, size_t n)
{
	c->tag = tag;
	c->pending = true;
	switch (c->mode & 3) {
	case 1:
		c->pending = false;
		ccid_engine_card_done(c->eng, c->slot, tag, 0, d, n);
		return 0;
	case 2:
		c->pending = false;
		return -ENOMEDIUM;
	case 3:
		c->pending = false;
		return -EIO;
	default:
		return 0;
	}
}

static int fc_power_on(void *ctx, uint32_t tag)
{
	return fc_start(ctx, tag, atr_t01, sizeof(atr_t01));
}

static void fc_power_off(void *ctx)
{
	((struct fcard *)ctx)->pending = false;
}

static int fc_transmit(void *ctx, uint32_t tag, const uint8_t *apdu,
		       size_t len)
{
	/* sync mode echoes at most 64 bytes of the APDU */
	return fc_start(ctx, tag, apdu, len > 64 ? 64 : len);
}

static void fc_cancel(void *ctx, uint32_t tag)
{
	struct fcard *c = ctx;

	if (c->tag == tag)
		c->pending = false;
}

static bool fc_present(void *ctx)
{
	return ((struct fcard *)ctx)->present;
}

static const struct ccid_card_ops fc_ops = {
	fc_power_on, fc_power_off, fc_transmit, fc_cancel, fc_present,
};
static const struct ccid_card_ops fc_ops_nocancel = {
	fc_power_on, fc_power_off, fc_transmit, NULL, fc_present,
};

struct ctx {
	struct ccid_engine *eng;
	struct ccid_reader_config cfg;
	uint16_t out_mps, in_mps;
	struct fcard cards[CCID_MAX_SLOTS];
	struct vcg_testcard *tc;
};

static void check_bulk(const struct ctx *c, const struct ccid_msg *m)
{
	uint32_t dwlen;
	uint8_t st;

	if (m->len < 10 || m->data[0] < 0x80 || m->data[0] > 0x84)
		abort();
	dwlen = (uint32_t)m->data[1] | (uint32_t)m->data[2] << 8 |
		(uint32_t)m->data[3] << 16 | (uint32_t)m->data[4] << 24;
	if (dwlen != m->len - 10 || m->len > c->cfg.max_msg_len)
		abort();
	st = m->data[7];
	if ((st & 3) == 3 || (st >> 6) == 3 || (st & 0x3C))
		abort();
	if ((st >> 6) == 2 && (dwlen != 0 || m->data[0] != 0x80))
		abort();
	if (m->zlp != (c->in_mps && m->len % c->in_mps == 0))
		abort();
}

static void check_state(struct ctx *c)
{
	const struct ccid_msg *m = ccid_engine_peek_bulk_in(c->eng);
	size_t rs = ccid_engine_out_read_size(c->eng);
	size_t cap = c->cfg.max_msg_len;

	if (m)
		check_bulk(c, m);
	if (c->out_mps)
		cap = (cap + c->out_mps - 1) / c->out_mps * c->out_mps;
	if (rs == 0 || rs > cap)
		abort();
}

static void pop_bulk(struct ctx *c, unsigned count)
{
	const struct ccid_msg *m;

	while (count-- && (m = ccid_engine_peek_bulk_in(c->eng))) {
		check_bulk(c, m);
		ccid_engine_pop_bulk_in(c->eng);
	}
}

static void drain_bounded(struct ctx *c)
{
	unsigned n = 0;
	bool ready = ccid_engine_out_ready(c->eng);

	while (ccid_engine_peek_bulk_in(c->eng)) {
		check_bulk(c, ccid_engine_peek_bulk_in(c->eng));
		ccid_engine_pop_bulk_in(c->eng);
		n++;
	}
	if ((ready && n >= 16) || (!ready && n < 16) ||
	    n > 16 + 3 * c->cfg.nslots)
		abort();
}

static void pop_intr(struct ctx *c)
{
	const struct ccid_msg *m = ccid_engine_peek_intr_in(c->eng);

	if (!m)
		return;
	if (m->data[0] == 0x50) {
		if (m->len != 1 + (2 * c->cfg.nslots + 7) / 8)
			abort();
	} else if (m->data[0] != 0x51 || m->len != 4) {
		abort();
	}
	ccid_engine_pop_intr_in(c->eng);
}

static void send_chunk(struct ctx *c, struct in *in, size_t len)
{
	if (len > in->n)
		len = in->n;
	ccid_engine_bulk_out(c->eng, in->p, len);
	in->p += len;
	in->n -= len;
}

/* A well-formed header around input bytes: reaches deep states fast. */
static void send_message(struct ctx *c, struct in *in)
{
	static const uint8_t types[] = { 0x62, 0x63, 0x65, 0x6F, 0x6C, 0x6D,
		0x61, 0x6B, 0x6E, 0x6A, 0x69, 0x71, 0x72, 0x73 };
	uint8_t msg[10 + 600];
	size_t dlen = byte(in) % 64;
	unsigned sel = byte(in);

	if (sel & 0x80)
		dlen += 256 + byte(in);   /* up to 575: chains at 271 */
	msg[0] = types[sel % sizeof(types)];
	msg[1] = (uint8_t)dlen;
	msg[2] = (uint8_t)(dlen >> 8);
	msg[3] = msg[4] = 0;
	msg[5] = (uint8_t)(byte(in) % (c->cfg.nslots + 1));
	msg[6] = (uint8_t)byte(in);
	msg[7] = (uint8_t)byte(in);
	msg[8] = (uint8_t)byte(in) & 0x13;   /* wLevelParameter 0..3, 0x10 */
	msg[9] = 0;
	/* The input's next bytes, then their offsets where the input runs
	 * out (one copy and one fill: a per-byte loop here was a third of
	 * the target's time, in comparison hooks of the harness itself). */
	size_t have = dlen < in->n ? dlen : in->n;

	memcpy(msg + 10, in->p, have);
	for (size_t i = have; i < dlen; i++)
		msg[10 + i] = (uint8_t)i;
	ccid_engine_bulk_out(c->eng, msg, 10 + dlen);
}

/* The card's answer bytes: big[i] = i * 31, filled once (a per-call fill
 * of up to 70000 bytes cost most of the target's time); only big[0]
 * changes per call: 0x3B (an ATR's TS) when len >= 2, else 0. */
static uint8_t big[70000];

static void fill_big_once(void)
{
	static bool filled;

	if (filled)
		return;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31);
	filled = true;
}

static void complete(struct ctx *c, struct in *in)
{
	unsigned slot = byte(in) % c->cfg.nslots, sel = byte(in);
	struct fcard *fc = &c->cards[slot];
	static const int errs[] = { 0, 0, 0, -ENOMEDIUM, -ETIMEDOUT, -EIO };
	size_t len = word(in);

	if (sel & 0x80)
		len += (size_t)word(in);   /* up to 131070: oversized too */
	if (len > sizeof(big))
		len = sizeof(big);
	fill_big_once();
	big[0] = len >= 2 ? 0x3B : 0;
	ccid_engine_card_done(c->eng, slot, (sel & 0x40) ? fc->tag + 1 : fc->tag,
			      errs[sel % 6], big, len);
	fc->pending = false;
}

static void attach(struct ctx *c, unsigned slot, unsigned sel)
{
	struct fcard *fc = &c->cards[slot];

	if (sel & 0x10) {
		ccid_engine_attach_card(c->eng, slot, NULL, NULL);
		return;
	}
	fc->eng = c->eng;
	fc->slot = slot;
	fc->mode = (uint8_t)(sel & 3);
	fc->present = !(sel & 4);
	ccid_engine_attach_card(c->eng, slot,
				(sel & 8) ? &fc_ops_nocancel : &fc_ops, fc);
}

/* The class descriptor depends on the configuration alone, which is fixed
 * for the whole input: checked once per input (it was built at every
 * introspect op, a fifth of the target's time, for no new path), and once
 * per process for each of the 1024 configurations the first two bytes pick
 * (building it lists the data rates again: 15% of the time per input).
 * The first input with a configuration checks it, so a crash there still
 * replays from that one input. */
static void check_descriptor(const struct ctx *c, unsigned b0, unsigned b1)
{
	static uint8_t checked[1024 / 8];
	unsigned key = (b0 & 0x7F) << 3 | (b1 & 7); /* what picks the cfg */
	uint8_t desc[CCID_CLASS_DESC_LEN];

	if (checked[key / 8] & (1u << key % 8))
		return;
	checked[key / 8] |= (uint8_t)(1u << key % 8);
	ccid_class_descriptor(&c->cfg, desc);
	if (desc[0] != CCID_CLASS_DESC_LEN || desc[4] != c->cfg.nslots - 1)
		abort();
}

/* Stats and control-request answers, with any buffer size. */
static void introspect(struct ctx *c, struct in *in)
{
	struct ccid_slot_stats st;
	uint8_t buf[16];
	size_t cap = byte(in) % sizeof(buf);

	ccid_engine_slot_stats(c->eng, byte(in) % 9, &st);
	(void)ccid_engine_busy(c->eng);
	if (ccid_engine_clock_frequencies(c->eng, buf, cap) > cap ||
	    ccid_engine_data_rates(c->eng, buf, cap) > cap)
		abort();
}

/* Formats every log line (the default build has no hook). */
static void fuzz_log(void *ctx, int level, const char *line)
{
	size_t *total = ctx;

	if (level < 3 || level > 7 || strchr(line, '\n'))
		abort();
	*total += strlen(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t lens[] = { 271, 272, 300, 1034, 4096, 65554 };
	static const uint16_t mps[] = { 0, 8, 64, 512 };
	struct in in = { data, size };
	struct ctx c;
	size_t logged = 0;
	unsigned b0 = byte(&in), b1 = byte(&in);

	memset(&c, 0, sizeof(c));
	ccid_reader_config_default(&c.cfg);
	c.cfg.nslots = 1 + (b0 & 7);
	c.cfg.max_busy_slots = (uint8_t)(1 + (b0 >> 3) % c.cfg.nslots);
	c.cfg.max_msg_len = lens[(b1 & 7) % 6];
	c.out_mps = mps[(b1 >> 3) & 3];
	c.in_mps = mps[(b1 >> 5) & 3];
	c.eng = ccid_engine_new(&c.cfg);
	if (!c.eng)
		abort();
	ccid_engine_set_packet_sizes(c.eng, c.out_mps, c.in_mps);
	check_descriptor(&c, b0, b1);
	if (b1 & 0x40)
		ccid_engine_set_log(c.eng, fuzz_log, &logged);
	if (b0 & 0x80) {   /* slot 0: the built-in test card */
		c.tc = vcg_testcard_new(c.eng, 0);
		ccid_engine_attach_card(c.eng, 0, &vcg_testcard_ops, c.tc);
		vcg_testcard_set_deferred(c.tc, b1 & 0x80);
	}
	for (unsigned s = c.tc ? 1 : 0; s < c.cfg.nslots; s++)
		attach(&c, s, s);
	while (in.n) {
		unsigned op = byte(&in);

		switch (op % 16) {
		case 0: case 1: send_chunk(&c, &in, byte(&in)); break;
		case 2: send_chunk(&c, &in, ccid_engine_out_read_size(c.eng)); break;
		case 3: send_chunk(&c, &in, word(&in)); break;
		case 4: send_message(&c, &in); break;
		case 5: ccid_engine_tick(c.eng); break;
		case 6: {   /* slot, then seq (argument order is unspecified) */
			uint8_t slot = (uint8_t)byte(&in);

			ccid_engine_abort_request(c.eng, slot, (uint8_t)byte(&in));
			break;
		}
		case 7: complete(&c, &in); break;
		case 8: {
			unsigned s = byte(&in) % c.cfg.nslots;

			c.cards[s].present = op & 0x10;
			ccid_engine_card_presence(c.eng, s, op & 0x10);
			break;
		}
		case 9: pop_bulk(&c, 1 + (op >> 4)); break;
		case 10: pop_intr(&c); break;
		case 11: if ((op >> 4) == 0) ccid_engine_reset(c.eng);
			 else ccid_engine_enabled(c.eng);
			 break;
		case 12: {
			unsigned s = byte(&in) % c.cfg.nslots;

			if (c.tc && (op & 0x10))
				vcg_testcard_complete(c.tc);
			else if (c.tc && (op & 0x20))
				vcg_testcard_set_present(c.tc, op & 0x40);
			else if (!c.tc || s != 0)
				attach(&c, s, byte(&in));
			break;
		}
		case 13: drain_bounded(&c); break;
		case 14: introspect(&c, &in); break;
		default: c.out_mps = mps[(op >> 4) & 3];
			 c.in_mps = mps[(op >> 6) & 3];
			 ccid_engine_set_packet_sizes(c.eng, c.out_mps, c.in_mps);
			 break;
		}
		check_state(&c);
	}
	drain_bounded(&c);
	while (ccid_engine_peek_intr_in(c.eng))
		pop_intr(&c);
	if (c.tc)
		ccid_engine_attach_card(c.eng, 0, NULL, NULL);
	ccid_engine_free(c.eng);
	vcg_testcard_free(c.tc);
	return 0;
}
