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
	struct ccid_engine *eng = ccid_fake_engine(1, 0);

	ccid_fake_card_init(&card, eng, 0);
	ccid_engine_attach_card(eng, 0, ops, &card);
	ccid_fake_send(eng, 0x62, 0, 0xF0, 0, 0, 0, NULL, 0);
	ccid_fake_drain(eng);
	card.deferred = true;
	ccid_fake_send(eng, 0x6F, 0, seq, 0, 0, 0, apdu, sizeof(apdu));
	return eng;
}

/* Pop one message and compare its first 10 bytes. */
static void expect(struct ccid_engine *eng, uint8_t type, uint8_t seq,
		   uint8_t status, uint8_t error)
{
	size_t n = ccid_fake_pop(eng, got, sizeof(got));

	CHECK(n >= 10 && n != (size_t)-1);
	CHECK_EQ(got[0], type);
	CHECK_EQ(got[5], 0);
	CHECK_EQ(got[6], seq);
	CHECK_EQ(got[7], status);
	CHECK_EQ(got[8], error);
}

static void test_time_extension(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 5);

	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK(ccid_engine_busy(eng));
	ccid_engine_tick(eng);
	ccid_engine_tick(eng);   /* one outstanding at most */
	expect(eng, 0x80, 5, 0x80, 1);
	CHECK_EQ(got[1] | got[2] | got[3] | got[4], 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_tick(eng);   /* popped: the next one may go */
	expect(eng, 0x80, 5, 0x80, 1);
	ccid_engine_tick(eng);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	expect(eng, 0x80, 5, 0x80, 1);   /* the queued one, still in order */
	expect(eng, 0x80, 5, 0x00, 0);
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
	ccid_fake_send(eng, 0x62, 0, 9, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_busy(eng));
	ccid_engine_tick(eng);
	/* none for IccPowerOn: libccid's CmdPowerOn would take it for an
	 * empty ATR (see ccid_engine_tick) */
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_fake_complete(&card, 0, card.atr, card.atr_len);
	expect(eng, 0x80, 9, 0x00, 0);
	ccid_engine_free(eng);
}

static void test_abort_request_first(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 10);
	uint32_t tag = card.tag;

	CHECK_EQ(ccid_engine_abort_request(eng, 0, 11), 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_fake_send(eng, 0x65, 0, 12, 0, 0, 0, NULL, 0);
	expect(eng, 0x81, 12, 0x40, 0xFF);   /* other commands: CMD_ABORTED */
	ccid_fake_send(eng, 0x72, 0, 11, 0, 0, 0, NULL, 0);
	expect(eng, 0x80, 10, 0x40, 0xFF);   /* the aborted XfrBlock */
	expect(eng, 0x81, 11, 0x00, 0x00);   /* the Abort */
	CHECK_EQ(card.cancel_calls, 1);
	CHECK_EQ(card.cancelled_tag, tag);
	CHECK(!ccid_engine_busy(eng));
	/* the late completion is dropped by tag */
	ccid_engine_card_done(eng, 0, tag, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	/* the slot works again */
	card.deferred = false;
	ccid_fake_send(eng, 0x6F, 0, 13, 0, 0, 0, apdu, sizeof(apdu));
	expect(eng, 0x80, 13, 0x00, 0x00);
	ccid_engine_free(eng);
}

static void test_abort_message_first(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops_nocancel, 20);
	uint32_t tag = card.tag;

	ccid_fake_send(eng, 0x72, 0, 21, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);   /* waits */
	ccid_fake_send(eng, 0x6F, 0, 22, 0, 0, 0, apdu, sizeof(apdu));
	expect(eng, 0x80, 22, 0x40, 0xFF);
	CHECK_EQ(ccid_engine_abort_request(eng, 0, 21), 0);
	expect(eng, 0x80, 20, 0x40, 0xFF);
	expect(eng, 0x81, 21, 0x00, 0x00);
	CHECK_EQ(card.cancel_calls, 0);   /* no cancel op: just forgotten */
	ccid_engine_card_done(eng, 0, tag, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void test_abort_mismatch(void)
{
	struct ccid_engine *eng = pending_xfr(&ccid_fake_ops, 30);

	ccid_engine_abort_request(eng, 0, 31);
	ccid_fake_send(eng, 0x72, 0, 32, 0, 0, 0, NULL, 0);
	expect(eng, 0x81, 32, 0x40, 6);   /* bSeq does not match */
	CHECK(ccid_engine_busy(eng));
	ccid_fake_send(eng, 0x72, 0, 31, 0, 0, 0, NULL, 0);
	expect(eng, 0x80, 30, 0x40, 0xFF);
	expect(eng, 0x81, 31, 0x00, 0x00);
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
	ccid_fake_send(eng, 0x72, 0, 5, 0, 0, 0, NULL, 0);
	expect(eng, 0x81, 5, 0x00, 0x00);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	/* Abort for a slot that does not exist */
	ccid_fake_send(eng, 0x72, 3, 6, 0, 0, 0, NULL, 0);
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
	expect(eng, 0x80, 40, 0x40, 0xFF);
	ccid_fake_send(eng, 0x72, 0, 41, 0, 0, 0, NULL, 0);
	expect(eng, 0x81, 41, 0x00, 0x00);
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
	expect(eng, 0x80, 1, 0x00, 0x00);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	card.deferred = false;
	card.start_rc = -5;   /* -EIO */
	ccid_fake_send(eng, 0x6F, 0, 2, 0, 0, 0, apdu, sizeof(apdu));
	expect(eng, 0x80, 2, 0x40, 0xFB);
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
