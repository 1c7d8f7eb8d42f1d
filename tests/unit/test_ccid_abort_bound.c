/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ABORT handshake is bounded (ccid_abort.c): a half alone for
 * CCID_ABORT_TIMEOUT_TICKS ticks ends (a lone PC_to_RDR_Abort completes,
 * a lone ABORT request is forgotten), a new host session forgets it, and
 * each ending is one log line; both orders still complete normally within
 * the bound. */
#include <stdio.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

#define T CCID_ABORT_TIMEOUT_TICKS

static struct ccid_fake_card card;
static uint8_t got[512];
static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };

static char log_lines[64][256];
static unsigned log_count;

static void capture_log(void *ctx, int level, const char *line)
{
	(void)ctx;
	(void)level;
	if (log_count < 64)
		snprintf(log_lines[log_count++], sizeof(log_lines[0]), "%s",
			 line);
}

static unsigned count_log(const char *needle)
{
	unsigned n = 0;

	for (unsigned i = 0; i < log_count; i++)
		n += strstr(log_lines[i], needle) != NULL;
	return n;
}

/* A powered card, idle, logging into log_lines. */
static struct ccid_engine *idle_engine(void)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, 0, NULL);

	ccid_engine_set_log(eng, capture_log, NULL);
	log_count = 0;
	return eng;
}

static void ticks(struct ccid_engine *eng, unsigned n)
{
	while (n--)
		ccid_engine_tick(eng);
}

/* GetSlotStatus on slot 0 answered with bError `error` (0: success,
 * bmICCStatus active). */
static void slot_status(struct ccid_engine *eng, uint8_t seq, uint8_t error)
{
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, seq, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, seq,
		    error ? CCID_STATUS(CCID_ICC_STATUS_ACTIVE,
					CCID_CMD_STATUS_FAILED) : 0x00,
		    error);
}

static void test_lone_request_forgotten(void)
{
	struct ccid_engine *eng = idle_engine();

	CHECK(!ccid_engine_busy(eng));
	CHECK_EQ(ccid_engine_abort_request(eng, 0, 7), 0);
	/* busy: the transport keeps ticking while the half waits */
	CHECK(ccid_engine_busy(eng));
	slot_status(eng, 1, CCID_ERR_CMD_ABORTED);
	ticks(eng, T - 1);
	slot_status(eng, 2, CCID_ERR_CMD_ABORTED);
	CHECK_EQ(count_log("forgotten"), 0);
	ticks(eng, 1);
	CHECK_EQ(count_log("ABORT request without its PC_to_RDR_Abort"), 1);
	CHECK_EQ(count_log("forgotten"), 1);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK(!ccid_engine_busy(eng));
	slot_status(eng, 3, 0);
	/* the request is gone: an Abort with its bSeq is a new lone half */
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 7, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void test_lone_message_completed(void)
{
	struct ccid_engine *eng = idle_engine();
	uint32_t tag;

	card.deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 20, 0, 0, 0, apdu,
		       sizeof(apdu));
	tag = card.tag;
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 21, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);   /* held */
	for (unsigned i = 1; i < T; i++) {
		ccid_engine_tick(eng);
		/* only the time extensions of the XfrBlock still running */
		if (i % CCID_FAKE_TE_TICKS == 0)
			CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 20,
				    CCID_STATUS(CCID_ICC_STATUS_ACTIVE,
						CCID_CMD_STATUS_TIME_EXT), 1);
		CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	}
	CHECK_EQ(count_log("completed"), 0);
	ticks(eng, 1);
	CHECK_EQ(count_log("PC_to_RDR_Abort without its ABORT request"), 1);
	CHECK_EQ(count_log("completed"), 1);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 20, 0x40,
		    CCID_ERR_CMD_ABORTED);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 21, 0x00, 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK_EQ(card.cancel_calls, 1);
	CHECK_EQ(card.cancelled_tag, tag);
	CHECK(!ccid_engine_busy(eng));
	/* the late completion is dropped; the slot works again */
	ccid_engine_card_done(eng, 0, tag, 0, (const uint8_t *)"\x90\x00", 2);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	card.deferred = false;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 22, 0, 0, 0, apdu,
		       sizeof(apdu));
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 22, 0x00, 0);
	ccid_engine_free(eng);
}

/* Request, then the Abort one tick before the bound: a normal abort. */
static void test_request_then_message_in_time(void)
{
	struct ccid_engine *eng = idle_engine();

	ccid_engine_abort_request(eng, 0, 30);
	ticks(eng, T - 1);
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 30, 0, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 30, 0x00, 0);
	CHECK_EQ(count_log("abort done"), 1);
	CHECK(!ccid_engine_busy(eng));
	ticks(eng, T);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK_EQ(count_log("forgotten") + count_log("completed"), 0);
	slot_status(eng, 31, 0);
	ccid_engine_free(eng);
}

/* The Abort, then the request one tick before the bound. */
static void test_message_then_request_in_time(void)
{
	struct ccid_engine *eng = idle_engine();

	ccid_fake_send(eng, CCID_PC_ABORT, 0, 40, 0, 0, 0, NULL, 0);
	ticks(eng, T - 1);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_abort_request(eng, 0, 40);
	CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 40, 0x00, 0);
	CHECK_EQ(count_log("abort done"), 1);
	ticks(eng, T);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK_EQ(count_log("forgotten") + count_log("completed"), 0);
	ccid_engine_free(eng);
}

/* A half arriving again starts its wait again. */
static void test_wait_counts_from_last_half(void)
{
	struct ccid_engine *eng = idle_engine();

	ccid_engine_abort_request(eng, 0, 50);
	ticks(eng, T - 1);
	ccid_engine_abort_request(eng, 0, 51);
	ticks(eng, T - 1);
	CHECK_EQ(count_log("forgotten"), 0);
	slot_status(eng, 52, CCID_ERR_CMD_ABORTED);
	ticks(eng, 1);
	CHECK_EQ(count_log("forgotten"), 1);
	ccid_engine_free(eng);
}

/* A new host session forgets either half: reset (the card is powered
 * off by it) and enable. One log line each; the other half arriving
 * afterwards is a new lone half, not a completion. */
static void test_new_session_forgets(void)
{
	for (unsigned kind = 0; kind < 4; kind++) {
		struct ccid_engine *eng = idle_engine();
		bool reset = kind & 1, request_half = kind & 2;
		int before = tap_failed_now;

		tap_failed_now = 0;
		if (request_half)
			ccid_engine_abort_request(eng, 0, 60);
		else
			ccid_fake_send(eng, CCID_PC_ABORT, 0, 60, 0, 0, 0,
				       NULL, 0);
		if (reset) {
			ccid_engine_reset(eng);
		} else {
			ccid_engine_enabled(eng);
			CHECK(ccid_engine_peek_intr_in(eng) != NULL);
		}
		CHECK_EQ(count_log("forgets a half-done abort"), 1);
		CHECK(!ccid_engine_busy(eng));
		CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
		if (reset) {
			ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 61, 0,
				       0, 0, NULL, 0);
			CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 61,
				    CCID_ICC_STATUS_INACTIVE, 0);
		} else {
			slot_status(eng, 61, 0);
		}
		if (request_half)
			ccid_fake_send(eng, CCID_PC_ABORT, 0, 60, 0, 0, 0,
				       NULL, 0);
		else
			ccid_engine_abort_request(eng, 0, 60);
		CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
		CHECK(ccid_engine_busy(eng));
		if (tap_failed_now)
			fprintf(stderr, "  ^ %s, %s half\n",
				reset ? "reset" : "enabled",
				request_half ? "request" : "message");
		tap_failed_now |= before;
		ccid_engine_free(eng);
	}
}

int main(void)
{
	RUN(test_lone_request_forgotten);
	RUN(test_lone_message_completed);
	RUN(test_request_then_message_in_time);
	RUN(test_message_then_request_in_time);
	RUN(test_wait_counts_from_last_half);
	RUN(test_new_session_forgets);
	TAP_EXIT();
}
