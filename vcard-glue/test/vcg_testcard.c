/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The built-in test card: a deterministic ISO 7816-4 card for the unit
 * tests, the VM bed and `--card test`.
 *
 * ATR (18 bytes), offering T=0 and T=1:
 *   3B            TS, direct convention
 *   9A            T0: TA1 and TD1 follow, K = 10 historical bytes
 *   11            TA1: Fi = 372, Di = 1 (the ISO default rate)
 *   80            TD1: TD2 follows, T=0
 *   31            TD2: TA3 and TB3 follow, T=1
 *   FE            TA3: IFSC 254
 *   45            TB3: BWI 4, CWI 5
 *   63 63 69 64 67 61 64 67 65 74   historical bytes "ccidgadget"
 *   98            TCK: XOR of T0 .. last historical byte (required since
 *                 T=1 is offered), so T0 ^ ... ^ TCK == 0
 *
 * Commands (CLA INS P1 P2 ...), stateless; answers are data + SW1 SW2:
 *   00 A4 04 00|0C Lc AID [Le]  SELECT by AID: 90 00 for the card's AID
 *                               F0 43 43 49 44 54 43 01 ("F0" proprietary
 *                               RID, "CCIDTC" 01), else 6A 82; other
 *                               P1/P2 6A 86
 *   00 CA 01 00 [Le]            GET DATA, serial number: 43 43 49 44 00 00
 *                               00 01 + 90 00 ("CCID" 00000001); Le 1..7
 *                               -> 6C 08; other P1 P2 -> 6A 88
 *   80 EE P1 P2 Lc data [Le]    ECHO: the data back + 90 00 (short or
 *                               extended Lc; no data -> 90 00)
 *   80 EF P1 P2 [Le]            GENERATE: N bytes 00 01 02 .. FF 00 01 ..
 *                               + 90 00; N = Ne (Le, short or extended,
 *                               00 / 0000 = 256 / 65536), or P1P2 when
 *                               there is no Le
 *   00|80 other INS             6D 00 (INS not supported)
 *   other CLA                   6E 00 (CLA not supported)
 *   malformed (len < 4, Lc disagreeing with the length)  67 00
 *
 * Deferred mode holds each answer until vcg_testcard_complete(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_apdu.h"
#include "ccid_proto.h"
#include "vcg_testcard.h"

static const uint8_t tc_atr[] = {
	0x3B, 0x9A, 0x11, 0x80, 0x31, 0xFE, 0x45,
	0x63, 0x63, 0x69, 0x64, 0x67, 0x61, 0x64, 0x67, 0x65, 0x74,
	0x98,
};
static const uint8_t tc_aid[] = {
	0xF0, 0x43, 0x43, 0x49, 0x44, 0x54, 0x43, 0x01,
};
static const uint8_t tc_serial[] = {
	0x43, 0x43, 0x49, 0x44, 0x00, 0x00, 0x00, 0x01,
};

enum tc_op { TC_NONE, TC_POWER_ON, TC_TRANSMIT };

struct vcg_testcard {
	struct ccid_engine *eng;
	unsigned slot;
	bool present;
	bool deferred;
	enum tc_op pending;
	uint32_t tag;
	uint8_t *apdu;          /* copy of the pending APDU (deferred mode) */
	size_t apdu_len;
	uint8_t *rsp;           /* CCID_APDU_RSP_MAX bytes */
};

static size_t sw(uint8_t *r, size_t n, uint8_t sw1, uint8_t sw2)
{
	r[n] = sw1;
	r[n + 1] = sw2;
	return n + 2;
}

/* Compute the answer to one APDU into r (CCID_APDU_RSP_MAX bytes). */
static size_t answer(const uint8_t *apdu, size_t len, uint8_t *r)
{
	struct ccid_apdu a;
	size_t n;

	if (ccid_apdu_parse(&a, apdu, len) != 0)
		return sw(r, 0, 0x67, 0x00);
	if (a.cla != 0x00 && a.cla != 0x80)
		return sw(r, 0, 0x6E, 0x00);
	if (a.cla == 0x00 && a.ins == 0xA4) {
		if (a.p1 != 0x04 || (a.p2 != 0x00 && a.p2 != 0x0C))
			return sw(r, 0, 0x6A, 0x86);
		if (a.nc == sizeof(tc_aid) && !memcmp(a.data, tc_aid, a.nc))
			return sw(r, 0, 0x90, 0x00);
		return sw(r, 0, 0x6A, 0x82);
	}
	if (a.cla == 0x00 && a.ins == 0xCA) {
		if (a.p1 != 0x01 || a.p2 != 0x00)
			return sw(r, 0, 0x6A, 0x88);
		if (a.has_le && a.ne < sizeof(tc_serial))
			return sw(r, 0, 0x6C, sizeof(tc_serial));
		memcpy(r, tc_serial, sizeof(tc_serial));
		return sw(r, sizeof(tc_serial), 0x90, 0x00);
	}
	if (a.cla == 0x80 && a.ins == 0xEE) {
		if (a.nc)
			memcpy(r, a.data, a.nc);
		return sw(r, a.nc, 0x90, 0x00);
	}
	if (a.cla == 0x80 && a.ins == 0xEF) {
		n = a.has_le ? a.ne : (size_t)(a.p1 << 8 | a.p2);
		/* r[i] = i mod 256: one period by hand, then doubling copies
		 * (a multiple of the period each), not 65536 byte stores */
		for (size_t i = 0; i < n && i < 256; i++)
			r[i] = (uint8_t)i;
		for (size_t k = 256; k < n; k *= 2)
			memcpy(r + k, r, n - k < k ? n - k : k);
		return sw(r, n, 0x90, 0x00);
	}
	return sw(r, 0, 0x6D, 0x00);
}

static void finish(struct vcg_testcard *tc)
{
	enum tc_op op = tc->pending;
	size_t n;

	tc->pending = TC_NONE;
	if (op == TC_POWER_ON) {
		ccid_engine_card_done(tc->eng, tc->slot, tc->tag, 0, tc_atr,
				      sizeof(tc_atr));
	} else if (op == TC_TRANSMIT) {
		n = answer(tc->apdu, tc->apdu_len, tc->rsp);
		ccid_engine_card_done(tc->eng, tc->slot, tc->tag, 0, tc->rsp, n);
	}
}

static int tc_power_on(void *ctx, uint32_t tag)
{
	struct vcg_testcard *tc = ctx;

	if (!tc->present)
		return -ENOMEDIUM;
	tc->pending = TC_POWER_ON;
	tc->tag = tag;
	if (!tc->deferred)
		finish(tc);
	return 0;
}

static void tc_power_off(void *ctx)
{
	struct vcg_testcard *tc = ctx;

	tc->pending = TC_NONE;
}

static int tc_transmit(void *ctx, uint32_t tag, const uint8_t *apdu,
		       size_t len)
{
	struct vcg_testcard *tc = ctx;
	uint8_t *copy;

	if (!tc->present)
		return -ENOMEDIUM;
	if (len > CCID_APDU_CMD_MAX)
		return -EINVAL;
	copy = realloc(tc->apdu, len ? len : 1);
	if (!copy)
		return -ENOMEM;
	tc->apdu = copy;
	if (len)   /* an empty XfrBlock passes apdu == NULL (C11 7.24.1) */
		memcpy(tc->apdu, apdu, len);
	tc->apdu_len = len;
	tc->pending = TC_TRANSMIT;
	tc->tag = tag;
	if (!tc->deferred)
		finish(tc);
	return 0;
}

static void tc_cancel(void *ctx, uint32_t tag)
{
	struct vcg_testcard *tc = ctx;

	if (tc->pending != TC_NONE && tc->tag == tag)
		tc->pending = TC_NONE;
}

static bool tc_present(void *ctx)
{
	return ((struct vcg_testcard *)ctx)->present;
}

const struct ccid_card_ops vcg_testcard_ops = {
	.power_on = tc_power_on,
	.power_off = tc_power_off,
	.transmit = tc_transmit,
	.cancel = tc_cancel,
	.present = tc_present,
};

struct vcg_testcard *vcg_testcard_new(struct ccid_engine *eng,
					unsigned slot)
{
	struct vcg_testcard *tc = calloc(1, sizeof(*tc));

	if (!tc)
		return NULL;
	tc->rsp = malloc(CCID_APDU_RSP_MAX);
	if (!tc->rsp) {
		free(tc);
		return NULL;
	}
	tc->eng = eng;
	tc->slot = slot;
	tc->present = true;
	return tc;
}

/* Does not touch the engine: detach the card (attach NULL) first. */
void vcg_testcard_free(struct vcg_testcard *tc)
{
	if (!tc)
		return;
	free(tc->apdu);
	free(tc->rsp);
	free(tc);
}

void vcg_testcard_set_deferred(struct vcg_testcard *tc, bool deferred)
{
	tc->deferred = deferred;
}

bool vcg_testcard_pending(const struct vcg_testcard *tc)
{
	return tc->pending != TC_NONE;
}

void vcg_testcard_complete(struct vcg_testcard *tc)
{
	finish(tc);
}

void vcg_testcard_set_present(struct vcg_testcard *tc, bool present)
{
	tc->present = present;
	if (!present)
		tc->pending = TC_NONE;
	ccid_engine_card_presence(tc->eng, tc->slot, present);
}
