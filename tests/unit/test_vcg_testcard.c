/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The built-in test card through the engine: its ATR, its command table
 * (vcg_testcard.c), deferred mode and presence. */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "vcg_testcard.h"
#include "tap.h"

static uint8_t got[70000];

static struct ccid_engine *eng;
static struct vcg_testcard *tc;

static void setup(void)
{
	eng = ccid_fake_engine(1, 0);
	tc = vcg_testcard_new(eng, 0);
	ccid_engine_attach_card(eng, 0, &vcg_testcard_ops, tc);
	ccid_fake_send(eng, 0x62, 0, 0, 0, 0, 0, NULL, 0);
}

static void teardown(void)
{
	ccid_engine_attach_card(eng, 0, NULL, NULL);
	vcg_testcard_free(tc);
	ccid_engine_free(eng);
}

/* Send one APDU, return the response APDU length (data + SW) in got+10. */
static size_t transmit(const uint8_t *apdu, size_t len)
{
	size_t n;

	ccid_fake_send(eng, 0x6F, 0, 1, 0, 0, 0, apdu, len);
	n = ccid_fake_pop(eng, got, sizeof(got));
	CHECK(n >= 12 && n != (size_t)-1);
	CHECK_EQ(got[7], 0);
	return n >= 12 && n != (size_t)-1 ? n - 10 : 0;
}

static void check_sw(const uint8_t *apdu, size_t len, uint8_t sw1,
		     uint8_t sw2)
{
	size_t n = transmit(apdu, len);

	CHECK(n >= 2);
	if (n >= 2) {
		CHECK_EQ(got[10 + n - 2], sw1);
		CHECK_EQ(got[10 + n - 1], sw2);
	}
}

static void test_atr(void)
{
	static const uint8_t atr[] = { 0x3B, 0x9A, 0x11, 0x80, 0x31, 0xFE,
		0x45, 0x63, 0x63, 0x69, 0x64, 0x67, 0x61, 0x64, 0x67, 0x65,
		0x74, 0x98 };
	uint8_t x = 0;
	size_t n;

	eng = ccid_fake_engine(1, 0);
	tc = vcg_testcard_new(eng, 0);
	ccid_engine_attach_card(eng, 0, &vcg_testcard_ops, tc);
	ccid_fake_send(eng, 0x62, 0, 7, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, got, sizeof(got));
	CHECK_EQ(n, 10 + sizeof(atr));
	CHECK_EQ(got[7], 0);
	CHECK_MEM(got + 10, atr, sizeof(atr));
	for (size_t i = 1; i < sizeof(atr); i++)
		x ^= atr[i];
	CHECK_EQ(x, 0);   /* TCK */
	teardown();
}

static void test_commands(void)
{
	static const uint8_t sel_ok[] = { 0x00, 0xA4, 0x04, 0x00, 0x08, 0xF0,
		0x43, 0x43, 0x49, 0x44, 0x54, 0x43, 0x01, 0x00 };
	static const uint8_t sel_other[] = { 0x00, 0xA4, 0x04, 0x00, 0x05,
		0xA0, 0x00, 0x00, 0x00, 0x03 };
	static const uint8_t sel_p1[] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F,
		0x00 };
	static const uint8_t serial[] = { 0x00, 0xCA, 0x01, 0x00, 0x00 };
	static const uint8_t serial_short[] = { 0x00, 0xCA, 0x01, 0x00, 0x04 };
	static const uint8_t getdata_other[] = { 0x00, 0xCA, 0x9F, 0x7F, 0x00 };
	static const uint8_t unknown_ins[] = { 0x80, 0x10, 0x00, 0x00 };
	static const uint8_t unknown_cla[] = { 0xA0, 0xA4, 0x04, 0x00 };
	static const uint8_t bad_lc[] = { 0x80, 0xEE, 0x00, 0x00, 0x05, 0x01 };
	static const uint8_t too_short[] = { 0x80, 0xEE, 0x00 };
	size_t n;

	setup();
	ccid_fake_drain(eng);
	check_sw(sel_ok, sizeof(sel_ok), 0x90, 0x00);
	check_sw(sel_other, sizeof(sel_other), 0x6A, 0x82);
	check_sw(sel_p1, sizeof(sel_p1), 0x6A, 0x86);
	n = transmit(serial, sizeof(serial));
	CHECK_EQ(n, 10);
	CHECK_MEM(got + 10, "CCID\x00\x00\x00\x01\x90\x00", 10);
	check_sw(serial_short, sizeof(serial_short), 0x6C, 0x08);
	check_sw(getdata_other, sizeof(getdata_other), 0x6A, 0x88);
	check_sw(unknown_ins, sizeof(unknown_ins), 0x6D, 0x00);
	check_sw(unknown_cla, sizeof(unknown_cla), 0x6E, 0x00);
	check_sw(bad_lc, sizeof(bad_lc), 0x67, 0x00);
	check_sw(too_short, sizeof(too_short), 0x67, 0x00);
	/* An empty XfrBlock (dwLength 0): failed, in step, with bError
	 * pointing at dwLength (offset 1, Section 6.2.6). (An empty APDU
	 * that reaches the card through chaining, apdu == NULL: the
	 * ccid_engine fuzz corpus replays it under UBSan.) */
	ccid_fake_send(eng, 0x6F, 0, 2, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, got, sizeof(got));
	CHECK_EQ(n, 10);
	CHECK_EQ(got[0], 0x80);   /* RDR_to_PC_DataBlock */
	CHECK_EQ(got[6], 2);
	CHECK_EQ(got[7] & 0xC0, 0x40);
	CHECK_EQ(got[8], 1);
	teardown();
}

/* GENERATE's data is i mod 256 at every offset i: 1 when all n bytes are. */
static int ramp_ok(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] != (uint8_t)i)
			return 0;
	return 1;
}

static void test_echo_and_generate(void)
{
	static uint8_t apdu[70000];
	size_t n;

	setup();
	ccid_fake_drain(eng);
	/* short ECHO */
	memcpy(apdu, "\x80\xEE\x00\x00\x03\x01\x02\x03\x00", 9);
	n = transmit(apdu, 9);
	CHECK_EQ(n, 5);
	CHECK_MEM(got + 10, "\x01\x02\x03\x90\x00", 5);
	/* extended ECHO, 1000 bytes, Le 0000 */
	memcpy(apdu, "\x80\xEE\x00\x00\x00\x03\xE8", 7);
	for (size_t i = 0; i < 1000; i++)
		apdu[7 + i] = (uint8_t)(i ^ 0x5A);
	apdu[1007] = 0;
	apdu[1008] = 0;
	n = transmit(apdu, 1009);
	CHECK_EQ(n, 1002);
	CHECK_MEM(got + 10, apdu + 7, 1000);
	/* GENERATE: short Le, Le 00 = 256, extended Le 0000 = 65536, P1P2 */
	n = transmit((const uint8_t *)"\x80\xEF\x00\x00\x10", 5);
	CHECK_EQ(n, 18);
	CHECK_EQ(got[10 + 15], 15);
	n = transmit((const uint8_t *)"\x80\xEF\x00\x00\x00", 5);
	CHECK_EQ(n, 258);
	n = transmit((const uint8_t *)"\x80\xEF\x00\x00\x00\x00\x00", 7);
	CHECK_EQ(n, 65538);
	CHECK_EQ(got[10 + 65535], 0xFF);
	CHECK_EQ(got[10 + 65536], 0x90);
	CHECK(ramp_ok(got + 10, 65536));
	n = transmit((const uint8_t *)"\x80\xEF\x01\x02", 4);
	CHECK_EQ(n, 0x102 + 2);
	CHECK(ramp_ok(got + 10, 0x102));
	/* 1001 bytes: the last doubling copy is a partial period */
	n = transmit((const uint8_t *)"\x80\xEF\x00\x00\x00\x03\xE9", 7);
	CHECK_EQ(n, 1001 + 2);
	CHECK(ramp_ok(got + 10, 1001));
	CHECK_EQ(got[10 + 1001], 0x90);
	teardown();
}

static void test_deferred_and_presence(void)
{
	setup();
	ccid_fake_drain(eng);
	vcg_testcard_set_deferred(tc, true);
	ccid_fake_send(eng, 0x6F, 0, 5, 0, 0, 0,
		       (const uint8_t *)"\x80\xEE\x00\x00\x01\x42", 6);
	CHECK(vcg_testcard_pending(tc));
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	vcg_testcard_complete(tc);
	CHECK(!vcg_testcard_pending(tc));
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 13);
	CHECK_MEM(got + 10, "\x42\x90\x00", 3);
	/* removal while pending: absent answer, notify, pending dropped */
	ccid_fake_send(eng, 0x6F, 0, 6, 0, 0, 0,
		       (const uint8_t *)"\x80\xEE\x00\x00\x01\x42", 6);
	ccid_engine_peek_intr_in(eng);
	ccid_engine_pop_intr_in(eng);
	vcg_testcard_set_present(tc, false);
	CHECK(!vcg_testcard_pending(tc));
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[7], 0x42);
	CHECK_EQ(got[8], 0xFE);
	CHECK(ccid_engine_peek_intr_in(eng) != NULL);
	ccid_engine_pop_intr_in(eng);
	ccid_fake_send(eng, 0x62, 0, 7, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[7], 0x42);
	vcg_testcard_set_present(tc, true);
	vcg_testcard_set_deferred(tc, false);
	ccid_fake_send(eng, 0x62, 0, 8, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 28);
	CHECK_EQ(got[7], 0);
	teardown();
}

int main(void)
{
	RUN(test_atr);
	RUN(test_commands);
	RUN(test_echo_and_generate);
	RUN(test_deferred_and_presence);
	TAP_EXIT();
}
