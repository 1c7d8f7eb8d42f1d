/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Extended APDU chaining (Section 6.1.4 wLevelParameter, 6.2.1
 * bChainParameter), both directions, with a small dwMaxCCIDMessageLength
 * of 271 (261 bytes of abData per message) and with the default. */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

static struct ccid_fake_card card;
static uint8_t apdu[70000], got[70000], rsp[70000];

/* The command APDU bytes every test sends (pieces of), never written. */
static void fill_apdu(void)
{
	for (size_t i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)(i * 13 + 1);
}

static void xfr(struct ccid_engine *eng, uint8_t seq, uint16_t level,
		const uint8_t *data, size_t len)
{
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, seq, 0, (uint8_t)level,
		       (uint8_t)(level >> 8), data, len);
}

/* Pop one DataBlock; check seq and status; returns its data length and
 * the chain parameter in *chain. */
static size_t pop_block(struct ccid_engine *eng, uint8_t seq, uint8_t *chain)
{
	size_t n = ccid_fake_pop(eng, got, sizeof(got));

	CHECK(n >= 10 && n != (size_t)-1);
	if (n < 10 || n == (size_t)-1)
		return 0;
	CHECK_EQ(got[0], 0x80);
	CHECK_EQ(got[6], seq);
	CHECK_EQ(got[7], 0x00);
	*chain = got[9];
	return n - 10;
}

static void test_command_and_response_chained(void)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, 271, NULL);
	uint8_t chain;
	size_t n, total = 0;

	xfr(eng, 1, 0x01, apdu, 261);
	CHECK_EQ(pop_block(eng, 1, &chain), 0);
	CHECK_EQ(chain, 0x10);
	/* an unrelated command in between does not break the chain */
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 2, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	xfr(eng, 3, 0x03, apdu + 261, 261);
	CHECK_EQ(pop_block(eng, 3, &chain), 0);
	CHECK_EQ(chain, 0x10);
	CHECK_EQ(card.transmit_calls, 0);
	xfr(eng, 4, 0x02, apdu + 522, 78);
	CHECK_EQ(card.transmit_calls, 1);
	CHECK_EQ(card.apdu_len, 600);
	CHECK_MEM(card.apdu, apdu, 600);
	/* the 602-byte echo comes back as 261 (01) + 261 (03) + 80 (02) */
	n = pop_block(eng, 4, &chain);
	CHECK_EQ(n, 261);
	CHECK_EQ(chain, 0x01);
	memcpy(rsp, got + 10, n);
	total = n;
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	xfr(eng, 5, 0x10, NULL, 0);
	n = pop_block(eng, 5, &chain);
	CHECK_EQ(n, 261);
	CHECK_EQ(chain, 0x03);
	memcpy(rsp + total, got + 10, n);
	total += n;
	xfr(eng, 6, 0x10, NULL, 0);
	n = pop_block(eng, 6, &chain);
	CHECK_EQ(n, 80);
	CHECK_EQ(chain, 0x02);
	memcpy(rsp + total, got + 10, n);
	total += n;
	CHECK_EQ(total, 602);
	CHECK_MEM(rsp, apdu, 600);
	CHECK_EQ(rsp[600], 0x90);
	/* nothing left to continue */
	xfr(eng, 7, 0x10, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[7], 0x40);
	CHECK_EQ(got[8], 8);
	ccid_engine_free(eng);
}

static void test_response_boundaries(void)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, 271, NULL);
	uint8_t chain;

	card.echo = false;
	card.rsp_len = 261;
	memset(card.rsp, 0xAB, card.rsp_len);
	xfr(eng, 1, 0x00, apdu, 4);
	CHECK_EQ(pop_block(eng, 1, &chain), 261);
	CHECK_EQ(chain, 0x00);
	card.rsp_len = 262;
	xfr(eng, 2, 0x00, apdu, 4);
	CHECK_EQ(pop_block(eng, 2, &chain), 261);
	CHECK_EQ(chain, 0x01);
	/* data with 0x10 is refused, the rest stays available */
	xfr(eng, 3, 0x10, apdu, 1);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[8], 1);
	xfr(eng, 4, 0x10, NULL, 0);
	CHECK_EQ(pop_block(eng, 4, &chain), 1);
	CHECK_EQ(chain, 0x02);
	/* a new APDU drops an unfinished response */
	xfr(eng, 5, 0x00, apdu, 4);
	CHECK_EQ(pop_block(eng, 5, &chain), 261);
	CHECK_EQ(chain, 0x01);
	card.rsp_len = 2;
	xfr(eng, 6, 0x00, apdu, 4);
	CHECK_EQ(pop_block(eng, 6, &chain), 2);
	CHECK_EQ(chain, 0x00);
	xfr(eng, 7, 0x10, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[8], 8);
	ccid_engine_free(eng);
}

/* The assembled command is bounded (CVE-2017-5898 territory). */
static void test_command_bound(void)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, 271, NULL);
	uint8_t chain, seq = 0;
	size_t sent = 0;

	xfr(eng, seq, 0x01, apdu, 261);
	pop_block(eng, seq++, &chain);
	sent = 261;
	while (sent + 261 <= 65545) {
		xfr(eng, seq, 0x03, apdu, 261);
		CHECK_EQ(pop_block(eng, seq++, &chain), 0);
		sent += 261;
	}
	xfr(eng, seq, 0x03, apdu, 261);   /* would exceed 65545 */
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[6], seq);
	CHECK_EQ(got[7], 0x40);
	CHECK_EQ(got[8], 1);
	seq++;
	xfr(eng, seq, 0x02, apdu, 10);    /* the chain is gone */
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[8], 8);
	CHECK_EQ(card.transmit_calls, 0);
	/* exactly 65545 is accepted */
	xfr(eng, 1, 0x01, apdu, 261);
	pop_block(eng, 1, &chain);
	for (sent = 261; sent + 261 < 65545; sent += 261) {
		xfr(eng, 2, 0x03, apdu + sent, 261);
		pop_block(eng, 2, &chain);
	}
	xfr(eng, 3, 0x02, apdu + sent, 65545 - sent);
	CHECK_EQ(card.transmit_calls, 1);
	CHECK_EQ(card.apdu_len, 65545);
	CHECK_MEM(card.apdu, apdu, 65545);
	ccid_fake_drain(eng);
	ccid_engine_free(eng);
}

static void test_default_size_no_chaining(void)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, 0, NULL);
	uint8_t chain;

	/* 4 + 3 + 65535 + 2: the largest extended APDU, one message */
	card.echo = false;
	xfr(eng, 1, 0x00, apdu, 65544);
	CHECK_EQ(card.apdu_len, 65544);
	CHECK_MEM(card.apdu, apdu, 65544);
	CHECK_EQ(pop_block(eng, 1, &chain), 2);
	CHECK_EQ(chain, 0x00);
	/* the largest response, 65536 + SW, in one message */
	card.rsp_len = 65538;
	memset(card.rsp, 0x5A, card.rsp_len);
	xfr(eng, 2, 0x00, apdu, 4);
	CHECK_EQ(pop_block(eng, 2, &chain), 65538);
	CHECK_EQ(chain, 0x00);
	/* longer than any APDU: refused, never cut */
	card.rsp_len = 65539;
	xfr(eng, 3, 0x00, apdu, 4);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[7], 0x40);
	CHECK_EQ(got[8], 0xFC);
	ccid_engine_free(eng);
}

int main(void)
{
	fill_apdu();
	RUN(test_command_and_response_chained);
	RUN(test_response_boundaries);
	RUN(test_command_bound);
	RUN(test_default_size_no_chaining);
	TAP_EXIT();
}
