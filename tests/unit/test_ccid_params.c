/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Protocol parameters: defaults from the ATR and the SetParameters
 * validation offsets for T=0 and T=1 (Section 6.1.7, Tables 6.1-5/6.1-6,
 * bError = offset of the bad field, Table 6.2-2). */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "ccid_params.h"
#include "vcg_testcard.h"
#include "tap.h"

static uint8_t got[128];

struct set_case {
	uint8_t proto;
	const char *data;    /* abProtocolDataStructure, hex without spaces */
	uint8_t error;       /* 0 = accepted */
};

static const struct set_case set_cases[] = {
	{ 0, "1100000A00", 0 },
	{ 0, "1102FF0A03", 0 },
	{ 0, "9602FF0A03", 10 },   /* past the test card's TA1 (11) */
	{ 0, "7000000A00", 10 },   /* Fi index 7 is RFU */
	{ 0, "1000000A00", 10 },   /* Di index 0 is RFU */
	{ 0, "1A00000A00", 10 },   /* Di index 10 is RFU */
	{ 0, "F100000A00", 10 },   /* Fi index 15 is RFU */
	{ 0, "1101000A00", 11 },   /* bmTCCKST0: only 00 / 02 */
	{ 0, "1110000A00", 11 },
	{ 0, "1100000000", 13 },   /* WI = 0 is reserved */
	{ 0, "1100000A04", 14 },   /* bClockStop 0..3 */
	{ 0, "1100000A", 1 },      /* 4 bytes for T=0 */
	{ 0, "1100000A000000", 1 },/* 7 bytes for T=0 */
	{ 2, "1100000A00", 7 },    /* bProtocolNum */
	{ 0x80, "1100000A00", 7 },
	{ 1, "1110004D002000", 0 },
	{ 1, "1112FF9403FE00", 0 },
	{ 1, "1113FF9403FE00", 11 },  /* CRC: the test card's TC3 is absent, LRC */
	{ 1, "1110004D002055", 16 },  /* NAD: dwFeatures has no 0x200 */
	{ 1, "1114004D002000", 11 },  /* bmTCCKST1 0x10..0x13 */
	{ 1, "110F004D002000", 11 },
	{ 1, "111000A4002000", 13 },  /* BWI 10 is reserved */
	{ 1, "1110004D042000", 14 },
	{ 1, "1110004D000000", 15 },  /* IFSC 1..FE */
	{ 1, "1110004D00FF00", 15 },
	{ 1, "1110004D0020", 1 },     /* 6 bytes for T=1 */
	{ 1, "1100000A00", 1 },
};

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2)
		out[n++] = (uint8_t)strtoul((char[]){ s[0], s[1], 0 }, NULL, 16);
	return n;
}

static struct ccid_engine *testcard_engine(struct vcg_testcard **tc)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);

	*tc = vcg_testcard_new(eng, 0);
	ccid_engine_attach_card(eng, 0, &vcg_testcard_ops, *tc);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 0, 0, 0, 0, NULL, 0);
	ccid_fake_drain(eng);
	return eng;
}

static void test_set_parameters_table(void)
{
	struct vcg_testcard *tc;
	struct ccid_engine *eng = testcard_engine(&tc);
	uint8_t data[16];

	for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *c = &set_cases[i];
		size_t n = unhex(c->data, data), m;
		int before = tap_failed_now;

		tap_failed_now = 0;
		/* start from the ATR defaults each time */
		ccid_fake_send(eng, CCID_PC_RESET_PARAMETERS, 0, 1, 0, 0, 0, NULL, 0);
		ccid_fake_drain(eng);
		ccid_fake_send(eng, CCID_PC_SET_PARAMETERS, 0, (uint8_t)i, c->proto, 0, 0, data, n);
		m = ccid_fake_pop(eng, got, sizeof(got));
		CHECK_EQ(got[0], 0x82);
		CHECK_EQ(got[6], i);
		CHECK_EQ(got[8], c->error);
		if (c->error == 0) {
			CHECK_EQ(got[7], 0x00);
			CHECK_EQ(got[9], c->proto);
			CHECK_EQ(m, 10 + n);
			CHECK_MEM(got + 10, data, n);
		} else {
			/* refused: the unchanged (T=0 default) parameters */
			CHECK_EQ(got[7], 0x40);
			CHECK_EQ(got[9], 0);
			CHECK_EQ(m, 15);
			CHECK_MEM(got + 10, "\x11\x00\x00\x0A\x00", 5);
		}
		if (tap_failed_now)
			fprintf(stderr, "  ^ set case %zu (%s)\n", i, c->data);
		tap_failed_now |= before;
	}
	ccid_engine_attach_card(eng, 0, NULL, NULL);
	vcg_testcard_free(tc);
	ccid_engine_free(eng);
}

static void test_get_reset_after_set(void)
{
	struct vcg_testcard *tc;
	struct ccid_engine *eng = testcard_engine(&tc);
	uint8_t t1[] = { 0x11, 0x10, 0x02, 0x4D, 0x00, 0x80, 0x00 };

	ccid_fake_send(eng, CCID_PC_SET_PARAMETERS, 0, 1, 1, 0, 0, t1, sizeof(t1));
	ccid_fake_drain(eng);
	ccid_fake_send(eng, CCID_PC_GET_PARAMETERS, 0, 2, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 17);
	CHECK_EQ(got[9], 1);
	CHECK_MEM(got + 10, t1, sizeof(t1));
	/* ResetParameters: back to the testcard ATR's values (T=0 first) */
	ccid_fake_send(eng, CCID_PC_RESET_PARAMETERS, 0, 3, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 15);
	CHECK_EQ(got[9], 0);
	CHECK_MEM(got + 10, "\x11\x00\x00\x0A\x00", 5);
	ccid_engine_attach_card(eng, 0, NULL, NULL);
	vcg_testcard_free(tc);
	ccid_engine_free(eng);
}

/* A card whose ATR offers only T=0 refuses T=1: bError 7, the
 * bProtocolNum field (Table 6.2-2, "protocol invalid or not supported"). */
static void test_protocol_not_offered(void)
{
	static struct ccid_fake_card card;
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	uint8_t t1[] = { 0x11, 0x10, 0x00, 0x4D, 0x00, 0x20, 0x00 };

	ccid_fake_card_init(&card, eng, 0);   /* ATR 3B 00 */
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 0, 0, 0, 0, NULL, 0);
	ccid_fake_drain(eng);
	ccid_fake_send(eng, CCID_PC_SET_PARAMETERS, 0, 1, 1, 0, 0, t1, sizeof(t1));
	ccid_fake_pop(eng, got, sizeof(got));
	CHECK_EQ(got[7], 0x40);
	CHECK_EQ(got[8], 7);
	ccid_engine_free(eng);
}

static void test_atr_defaults(void)
{
	struct ccid_params p;
	size_t n;
	const uint8_t *d;
	/* testcard ATR: TA1 11, T=0 then T=1 with TA3 FE, TB3 45 */
	static const uint8_t tc_atr[] = { 0x3B, 0x9A, 0x11, 0x80, 0x31, 0xFE,
		0x45, 0x63, 0x63, 0x69, 0x64, 0x67, 0x61, 0x64, 0x67, 0x65,
		0x74, 0x98 };
	/* inverse convention, TA1 96, TC1 05, T=1 only, TA3 80 TB3 75 TC3 01 */
	uint8_t inv[] = { 0x3F, 0xD0, 0x96, 0x05, 0x81, 0x71, 0x80, 0x75,
			  0x01, 0x00 };

	for (size_t i = 1; i + 1 < sizeof(inv); i++)
		inv[sizeof(inv) - 1] ^= inv[i];
	CHECK_EQ(ccid_params_from_atr(&p, tc_atr, sizeof(tc_atr)), CCID_ATR_OK);
	CHECK_EQ(p.protocol, 0);
	CHECK_EQ(p.offered, CCID_OFFER_T0 | CCID_OFFER_T1);
	CHECK_MEM(p.t0, "\x11\x00\x00\x0A\x00", 5);
	CHECK_MEM(p.t1, "\x11\x10\x00\x45\x00\xFE\x00", 7);
	d = ccid_params_data(&p, &n);
	CHECK_EQ(n, 5);
	CHECK(d == p.t0);

	CHECK_EQ(ccid_params_from_atr(&p, inv, sizeof(inv)), CCID_ATR_OK);
	CHECK_EQ(p.protocol, 1);
	CHECK_EQ(p.offered, CCID_OFFER_T1);
	CHECK_MEM(p.t0, "\x96\x02\x05\x0A\x00", 5);
	CHECK_MEM(p.t1, "\x96\x13\x05\x75\x00\x80\x00", 7);
	d = ccid_params_data(&p, &n);
	CHECK_EQ(n, 7);

	inv[sizeof(inv) - 1] ^= 1;
	CHECK_EQ(ccid_params_from_atr(&p, inv, sizeof(inv)), CCID_ATR_BAD_TCK);
	CHECK_EQ(ccid_params_from_atr(&p, inv, 5), CCID_ATR_TRUNCATED);
	CHECK_EQ(ccid_params_from_atr(&p, (const uint8_t *)"\x3B\x80", 2),
		 CCID_ATR_TRUNCATED);
	CHECK_EQ(ccid_params_from_atr(&p, (const uint8_t *)"\x3B\x02\x41", 3),
		 CCID_ATR_TRUNCATED);   /* K = 2, one historical byte */
	CHECK_EQ(ccid_params_from_atr(&p, (const uint8_t *)"\x3B\x00", 2),
		 CCID_ATR_OK);
	CHECK_EQ(p.offered, CCID_OFFER_T0);
	CHECK_EQ(ccid_params_from_atr(&p, (const uint8_t *)"\x3A\x00", 2),
		 CCID_ATR_BAD_TS);
	CHECK_EQ(ccid_params_from_atr(&p, (const uint8_t *)"\x3B", 1),
		 CCID_ATR_BAD_TS);
}

int main(void)
{
	RUN(test_set_parameters_table);
	RUN(test_get_reset_after_set);
	RUN(test_protocol_not_offered);
	RUN(test_atr_defaults);
	TAP_EXIT();
}
