/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pending card operations: time extension (Section 6.2.6), the ABORT
 * handshake in both orders (Section 5.3.1 / 6.1.13), stale completions. */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

static struct ccid_fake_card card;
static uint8_t got[512];
static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };

static struct ccid_engine *pending_xfr(const struct ccid_card_ops *ops,
				       uint8_t seq)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, 0, ops);

	card.deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, seq, 0, 0, 0, apdu, sizeof(apdu));
	return eng;
}

static void ticks(struct ccid_engine *eng, unsigned n)
{
	while (n--)
		ccid_engine_tick(eng);
}

static void test_time_extension(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 5);

	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK(ccid_engine_busy(eng));
	ticks(eng, CCID_FAKE_TE_TICKS - 1);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);   /* not due yet */
	ticks(eng, CCID_FAKE_TE_TICKS + 1);   /* one outstanding at most */
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 5, 0x80, 1);
	CHECK_EQ(got[1] | got[2] | got[3] | got[4], 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_tick(eng);   /* popped and overdue: the next one goes */
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 5, 0x80, 1);
	ticks(eng, CCID_FAKE_TE_TICKS);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	/* the queued one, still in order */
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 5, 0x80, 1);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 5, 0x00, 0);
	CHECK(!ccid_engine_busy(eng));
	ccid_engine_tick(eng);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void test_no_time_extension_power_on(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);

	ccid_fake_card_init(&card, eng, 0);
	card.deferred = true;
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 9, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_busy(eng));
	ticks(eng, 3 * CCID_FAKE_TE_TICKS);
	/* none for IccPowerOn: libccid's CmdPowerOn would take it for an
	 * empty ATR (see ccid_engine_tick) */
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_fake_complete(&card, 0, card.atr, card.atr_len);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 9, 0x00, 0);
	ccid_engine_free(eng);
}

static void test_abort_request_first(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 10);
	uint32_t tag = card.tag;

	CHECK_EQ(ccid_engine_abort_request(eng, 0, 11), 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 12, 0, 0, 0, NULL, 0);
	/* other commands: CMD_ABORTED */
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 12, 0x40, CCID_ERR_CMD_ABORTED);
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 11, 0, 0, 0, NULL, 0);
	/* the aborted XfrBlock */
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 10, 0x40, CCID_ERR_CMD_ABORTED);
	/* the Abort */
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 11, 0x00, 0);
	CHECK_EQ(card.cancel_calls, 1);
	CHECK_EQ(card.cancelled_tag, tag);
	CHECK(!ccid_engine_busy(eng));
	/* the late completion is dropped by tag */
	ccid_engine_card_done(eng, 0, tag, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	/* the slot works again */
	card.deferred = false;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 13, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 13, 0x00, 0);
	ccid_engine_free(eng);
}

static void test_abort_message_first(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops_nocancel, 20);
	uint32_t tag = card.tag;

	ccid_fake_send(eng, CCID_PC_ABORT, 0, 21, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);   /* waits */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 22, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 22, 0x40, CCID_ERR_CMD_ABORTED);
	CHECK_EQ(ccid_engine_abort_request(eng, 0, 21), 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 20, 0x40, CCID_ERR_CMD_ABORTED);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 21, 0x00, 0);
	CHECK_EQ(card.cancel_calls, 0);   /* no cancel op: just forgotten */
	ccid_engine_card_done(eng, 0, tag, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void test_abort_mismatch(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 30);

	ccid_engine_abort_request(eng, 0, 31);
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 32, 0, 0, 0, NULL, 0);
	/* bSeq does not match */
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 32, 0x40, 6);
	CHECK(ccid_engine_busy(eng));
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 31, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 30, 0x40, CCID_ERR_CMD_ABORTED);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 31, 0x00, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void test_abort_idle_and_errors(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 1);

	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	ccid_fake_drain(eng);
	CHECK_EQ(ccid_engine_abort_request(eng, 1, 5), -22);
	CHECK_EQ(ccid_engine_abort_request(eng, 0, 5), 0);
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 5, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 5, 0x00, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	/* Abort for a slot that does not exist */
	ccid_fake_send(eng, CCID_PC_ABORT, 3, 6, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[7], 0x42);
	CHECK_EQ(got[8], 5);
	ccid_engine_free(eng);
}

/* A completion between the ABORT request and PC_to_RDR_Abort answers the
 * command CMD_ABORTED; the Abort then completes on its own. */
static void test_abort_completion_races(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 40);

	ccid_engine_abort_request(eng, 0, 41);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 40, 0x40, CCID_ERR_CMD_ABORTED);
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 41, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 41, 0x00, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

/* A card that completes from inside transmit, and one that fails to
 * start, are both handled; stale and foreign tags are ignored. */
static void test_sync_and_stale(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 1);
	uint32_t tag = card.tag;

	ccid_engine_card_done(eng, 0, tag + 100, 0, NULL, 0);
	ccid_engine_card_done(eng, 5, tag, 0, NULL, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 1, 0x00, 0);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	card.deferred = false;
	card.start_rc = -5;   /* -EIO */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, apdu, sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 2, 0x40, CCID_ERR_HW_ERROR);
	CHECK(!ccid_engine_busy(eng));
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(test_time_extension);
	RUN(test_no_time_extension_power_on);
	RUN(test_abort_request_first);
	RUN(test_abort_message_first);
	RUN(test_abort_mismatch);
	RUN(test_abort_idle_and_errors);
	RUN(test_abort_completion_races);
	RUN(test_sync_and_stale);
	TAP_EXIT();
}
