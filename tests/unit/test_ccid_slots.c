/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Several slots, presence changes and NotifySlotChange (Section 6.3.1),
 * HardwareError (6.3.2), card errors, busy limits, reset, and the bulk-IN
 * bound under a flood of commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

static struct ccid_fake_card cards[8];
static uint8_t got[512];
static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };

static void expect_intr(struct ccid_engine *eng, const uint8_t *want,
			size_t len)
{
	const struct ccid_msg *m = ccid_engine_peek_intr_in(eng);

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(m->len, len);
	if (m->len == len)
		CHECK_MEM(m->data, want, len);
	ccid_engine_pop_intr_in(eng);
}

static struct ccid_engine *engine(unsigned nslots, unsigned busy_max)
{
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;

	ccid_reader_config_default(&cfg);
	cfg.nslots = nslots;
	cfg.max_busy_slots = (uint8_t)busy_max;
	eng = ccid_engine_new(&cfg);
	ccid_engine_set_log(eng, ccid_fake_log, NULL);
	return eng;
}

static void attach(struct ccid_engine *eng, unsigned slot, bool present)
{
	ccid_fake_card_init(&cards[slot], eng, slot);
	cards[slot].present = present;
	CHECK_EQ(ccid_engine_attach_card(eng, slot, &ccid_fake_ops,
					 &cards[slot]), 0);
}

static void power_on(struct ccid_engine *eng, unsigned slot)
{
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, (uint8_t)slot, 0xF0, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, (uint8_t)slot, 0xF0, 0x00, 0);
}

static void test_notify_slot_change(void)
{
	struct ccid_engine *eng = engine(3, 3);

	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	attach(eng, 0, true);
	attach(eng, 2, true);
	/* 1 + ceil(2 * 3 / 8) = 2 bytes; slot n: bit 2n present, 2n+1 changed */
	expect_intr(eng, (const uint8_t *)"\x50\x33", 2);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_engine_enabled(eng);
	expect_intr(eng, (const uint8_t *)"\x50\x33", 2);
	ccid_engine_card_presence(eng, 2, false);
	expect_intr(eng, (const uint8_t *)"\x50\x21", 2);
	/* changes coalesce until peeked */
	ccid_engine_card_presence(eng, 2, true);
	ccid_engine_card_presence(eng, 2, false);
	ccid_engine_card_presence(eng, 2, true);
	expect_intr(eng, (const uint8_t *)"\x50\x31", 2);
	/* no change, no message; enabled() reports even so */
	ccid_engine_card_presence(eng, 2, true);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_engine_card_presence(eng, 1, true);   /* no card attached */
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_engine_free(eng);

	eng = engine(1, 1);
	ccid_engine_enabled(eng);   /* empty reader: one message, all absent */
	expect_intr(eng, (const uint8_t *)"\x50\x00", 2);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void test_notify_sizes_and_frozen(void)
{
	struct ccid_engine *eng = engine(8, 8);
	const struct ccid_msg *m;

	attach(eng, 7, true);
	attach(eng, 4, true);
	/* 8 slots: 3 bytes; slot 4 -> byte 2 bits 0-1, slot 7 -> bits 6-7 */
	m = ccid_engine_peek_intr_in(eng);
	CHECK(m && m->len == 3);
	CHECK_MEM(m->data, "\x50\x00\xC3", 3);
	/* frozen while in flight */
	ccid_engine_card_presence(eng, 7, false);
	CHECK(ccid_engine_peek_intr_in(eng) == m);
	CHECK_MEM(m->data, "\x50\x00\xC3", 3);
	ccid_engine_pop_intr_in(eng);
	expect_intr(eng, (const uint8_t *)"\x50\x00\x81", 3);
	ccid_engine_free(eng);

	eng = engine(5, 5);   /* 1 + ceil(10 / 8) = 3 bytes */
	attach(eng, 4, true);
	expect_intr(eng, (const uint8_t *)"\x50\x00\x03", 3);
	ccid_engine_free(eng);
}

static void test_slots_independent(void)
{
	struct ccid_engine *eng = engine(2, 2);
	struct ccid_slot_stats st;

	attach(eng, 0, true);
	attach(eng, 1, true);
	power_on(eng, 0);
	power_on(eng, 1);
	cards[0].deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, apdu, sizeof(apdu));
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 1, 2, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 1, 2, 0x00, 0);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 3, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 3, 0x40, CCID_ERR_CMD_SLOT_BUSY);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_OFF, 1, 4, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 1, 4, 0x01, 0);
	CHECK_EQ(cards[1].power_off_calls, 1);
	ccid_fake_complete(&cards[0], 0, (const uint8_t *)"\x90\x00", 2);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 1, 0x00, 0);
	CHECK_EQ(ccid_engine_slot_stats(eng, 0, &st), 0);
	CHECK_EQ(st.icc, CCID_ICC_ACTIVE);
	CHECK(!st.busy);
	CHECK_EQ(st.apdus, 1);
	CHECK_EQ(st.errors, 1);
	CHECK_EQ(ccid_engine_slot_stats(eng, 1, &st), 0);
	CHECK_EQ(st.icc, CCID_ICC_INACTIVE);
	CHECK_EQ(ccid_engine_slot_stats(eng, 2, &st), -EINVAL);
	ccid_engine_free(eng);
}

/* bMaxCCIDBusySlots = 1: a second slot cannot start a card operation. */
static void test_max_busy_slots(void)
{
	struct ccid_engine *eng = engine(2, 1);

	attach(eng, 0, true);
	attach(eng, 1, true);
	power_on(eng, 0);
	power_on(eng, 1);
	cards[0].deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, apdu, sizeof(apdu));
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 1, 2, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 1, 2, 0x40, CCID_ERR_CMD_SLOT_BUSY);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 1, 3, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 1, 3, 0x40, CCID_ERR_CMD_SLOT_BUSY);
	/* no card op */
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 1, 4, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 1, 4, 0x00, 0);
	ccid_fake_complete(&cards[0], 0, (const uint8_t *)"\x90\x00", 2);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 1, 0x00, 0);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 1, 5, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 1, 5, 0x00, 0);
	ccid_engine_free(eng);
}

static void test_removal_during_op(void)
{
	struct ccid_engine *eng = engine(1, 1);
	uint32_t tag;

	attach(eng, 0, true);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	power_on(eng, 0);
	cards[0].deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 40, 0, 0, 0, apdu, sizeof(apdu));
	tag = cards[0].tag;
	cards[0].present = false;
	ccid_engine_card_presence(eng, 0, false);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 40, 0x42, CCID_ERR_ICC_MUTE);
	CHECK_EQ(cards[0].cancel_calls, 1);
	expect_intr(eng, (const uint8_t *)"\x50\x02", 2);
	ccid_engine_card_done(eng, 0, tag, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 41, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 41, 0x42, CCID_ERR_ICC_MUTE);
	cards[0].present = true;
	cards[0].deferred = false;
	ccid_engine_card_presence(eng, 0, true);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 42, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 42, 0x01, 0);
	power_on(eng, 0);
	/* detaching the card is a removal too */
	ccid_engine_attach_card(eng, 0, NULL, NULL);
	expect_intr(eng, (const uint8_t *)"\x50\x02", 2);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 43, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 43, 0x42, CCID_ERR_ICC_MUTE);
	CHECK_EQ(ccid_engine_attach_card(eng, 1, &ccid_fake_ops, &cards[0]),
		 -EINVAL);
	ccid_engine_free(eng);
}

/* Card errors map to bError; a hardware error also raises HardwareError. */
static void test_card_errors(void)
{
	struct ccid_engine *eng = engine(1, 1);
	static const uint8_t long_atr[34] = { 0x3B, 0x0F };

	attach(eng, 0, true);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	cards[0].done_err = -ETIMEDOUT;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 1, 0x41, CCID_ERR_ICC_MUTE);
	cards[0].done_err = 0;
	cards[0].atr_len = 0;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 2, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 2, 0x41, CCID_ERR_ICC_MUTE);
	cards[0].atr[0] = 0x00;   /* bad TS */
	cards[0].atr_len = 2;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 3, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 3, 0x41, CCID_ERR_BAD_ATR_TS);
	memcpy(cards[0].atr, long_atr, sizeof(long_atr));
	cards[0].atr_len = sizeof(long_atr);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 4, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 4, 0x41, CCID_ERR_HW_ERROR);
	CHECK_EQ(cards[0].power_off_calls, 3);   /* refused ATRs power off */
	/* a wrong TCK is passed on (the host judges), T=1 offered */
	memcpy(cards[0].atr, "\x3B\x80\x01\x00", 4);
	cards[0].atr_len = 4;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 5, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 5, 0x00, 0);
	cards[0].done_err = -ETIMEDOUT;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 6, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 6, 0x40, CCID_ERR_ICC_MUTE);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	cards[0].done_err = -EIO;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 7, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 7, 0x40, CCID_ERR_HW_ERROR);
	expect_intr(eng, (const uint8_t *)"\x51\x00\x07\x01", 4);
	cards[0].done_err = -ENOMEDIUM;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 8, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 8, 0x42, CCID_ERR_ICC_MUTE);
	expect_intr(eng, (const uint8_t *)"\x50\x02", 2);
	ccid_engine_free(eng);
}

static void test_reset(void)
{
	struct ccid_engine *eng = engine(2, 2);
	uint8_t msg[20];

	attach(eng, 0, true);
	attach(eng, 1, true);
	power_on(eng, 0);
	power_on(eng, 1);
	cards[0].deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, apdu, sizeof(apdu));
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 1, 2, 0, 0, 0, NULL, 0);
	ccid_engine_abort_request(eng, 1, 9);
	ccid_fake_msg(msg, CCID_PC_GET_SLOT_STATUS, 0, 3, 0, 0, 0, NULL, 0);
	ccid_engine_bulk_out(eng, msg, 6);   /* partial message */
	ccid_engine_reset(eng);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	CHECK(!ccid_engine_busy(eng));
	CHECK_EQ(cards[0].cancel_calls, 1);
	CHECK_EQ(cards[0].power_off_calls, 1);
	CHECK_EQ(cards[1].power_off_calls, 1);
	/* the partial message is gone; presence kept, cards inactive; the
	 * half-done abort is forgotten */
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 4, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 4, 0x01, 0);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 1, 5, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 1, 5, 0x01, 0);
	ccid_engine_enabled(eng);
	expect_intr(eng, (const uint8_t *)"\x50\x0F", 2);
	ccid_engine_free(eng);
}

/* A new host session's first GetSlotStatus that finds the card inactive
 * is followed by one more NotifySlotChange (present, not changed: see
 * ccid_handle_get_slot_status); nothing more after that, nor when the
 * session starts with another command, nor for an empty slot. */
static void test_renotify_after_first_status(void)
{
	struct ccid_engine *eng = engine(2, 2);

	attach(eng, 0, true);
	attach(eng, 1, false);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	ccid_engine_enabled(eng);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 1, 1, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 1, 1, 0x42, 0xFE);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);   /* slot 1: no card */
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 2, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 2, 0x01, 0);
	expect_intr(eng, (const uint8_t *)"\x50\x01", 2);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 3, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 3, 0x01, 0);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);   /* once a session */

	/* a session that starts with PowerOn: no second message later */
	ccid_engine_enabled(eng);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	power_on(eng, 0);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_OFF, 0, 4, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 4, 0x01, 0);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 5, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 5, 0x01, 0);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);

	/* a card still active at the session's first status: none */
	power_on(eng, 0);
	ccid_engine_enabled(eng);
	expect_intr(eng, (const uint8_t *)"\x50\x03", 2);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 6, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 6, 0x00, 0);
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_engine_free(eng);
}

/* A host that writes without reading: out_ready() drops at 16 queued
 * messages and the queue never grows past its bound. */
static void test_flood_bound(void)
{
	struct ccid_engine *eng = engine(1, 1);
	unsigned ready_at = 0, n;

	attach(eng, 0, true);
	for (unsigned i = 0; i < 1000; i++) {
		if (ccid_engine_out_ready(eng))
			ready_at = i + 1;
		ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, (uint8_t)i, 0, 0, 0, NULL, 0);
	}
	CHECK_EQ(ready_at, 16);
	CHECK(!ccid_engine_out_ready(eng));
	n = ccid_fake_drain(eng);
	CHECK_EQ(n, 16 + 3);   /* the hard bound for one slot */
	CHECK(ccid_engine_out_ready(eng));
	ccid_engine_free(eng);
}

/* A transport that stops reading OUT at out_ready() == false loses
 * nothing, even when every asynchronous source fires afterwards: time
 * extensions, an ABORT request completing a held Abort, a completion. */
static void test_no_loss_when_out_ready_honoured(void)
{
	struct ccid_engine *eng = engine(2, 2);
	unsigned answers[256] = { 0 }, te = 0, n = 0;
	uint8_t seq = 0;

	attach(eng, 0, true);
	attach(eng, 1, true);
	power_on(eng, 0);
	power_on(eng, 1);
	cards[0].deferred = cards[1].deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, seq++, 0, 0, 0, apdu, sizeof(apdu));
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 1, seq++, 0, 0, 0, apdu, sizeof(apdu));
	/* held */
	ccid_fake_send(eng, CCID_PC_ABORT, 1, 200, 0, 0, 0, NULL, 0);
	while (ccid_engine_out_ready(eng))
		ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, seq++, 0, 0, 0, NULL, 0);
	for (unsigned i = 0; i < CCID_FAKE_TE_TICKS; i++)
		ccid_engine_tick(eng);
	ccid_engine_abort_request(eng, 1, 200);
	ccid_fake_complete(&cards[0], 0, (const uint8_t *)"\x90\x00", 2);
	while (ccid_fake_pop(eng, got, sizeof(got)) >= 10) {
		n++;
		if ((got[7] >> 6) == 2)
			te++;
		else
			answers[got[6]]++;
	}
	CHECK_EQ(te, 2);
	for (unsigned i = 0; i < seq; i++)
		CHECK_EQ(answers[i], 1);
	CHECK_EQ(answers[200], 1);
	CHECK_EQ(n, seq + 1 + 2);
	ccid_engine_free(eng);
}

static void test_config_check(void)
{
	struct ccid_reader_config cfg;
	const char *why = NULL;

	ccid_reader_config_default(&cfg);
	CHECK_EQ(ccid_reader_config_check(&cfg, &why), 0);
	CHECK(why == NULL);
	cfg.nslots = 9;
	CHECK_EQ(ccid_reader_config_check(&cfg, &why), -EINVAL);
	CHECK(why && strstr(why, "nslots"));
	CHECK(ccid_engine_new(&cfg) == NULL);
	ccid_reader_config_default(&cfg);
	cfg.max_msg_len = 270;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), -EINVAL);
	cfg.max_msg_len = 65555;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), -EINVAL);
	cfg.max_msg_len = 271;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), 0);
	cfg.max_busy_slots = 2;
	CHECK_EQ(ccid_reader_config_check(&cfg, &why), -EINVAL);
	CHECK(why && strstr(why, "max_busy_slots"));
	cfg.max_busy_slots = 0;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), -EINVAL);
	ccid_reader_config_default(&cfg);
	cfg.max_ifsd = 255;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), -EINVAL);
	ccid_reader_config_default(&cfg);
	cfg.max_clock_khz = cfg.default_clock_khz - 1;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), -EINVAL);
	ccid_reader_config_default(&cfg);
	cfg.default_data_rate = 0;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), -EINVAL);
}

int main(void)
{
	RUN(test_notify_slot_change);
	RUN(test_notify_sizes_and_frozen);
	RUN(test_slots_independent);
	RUN(test_max_busy_slots);
	RUN(test_removal_during_op);
	RUN(test_card_errors);
	RUN(test_reset);
	RUN(test_renotify_after_first_status);
	RUN(test_flood_bound);
	RUN(test_no_loss_when_out_ready_honoured);
	RUN(test_config_check);
	TAP_EXIT();
}
