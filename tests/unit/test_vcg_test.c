/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "test" card driver (vcard-glue/test/vcg_test.c) through the engine:
 * plain, delay_ms (deferred answers on a timerfd, time extensions while
 * waiting), absent, insert/remove, and its SPEC errors. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/timerfd.h>

#include "ccid_proto.h"
#include "ccid_fake.h"
#include "tap.h"
#include "vcg_card.h"

/* The test card's ATR (vcard-glue/test/vcg_testcard.c). */
static const uint8_t test_atr[] = {
	0x3B, 0x9A, 0x11, 0x80, 0x31, 0xFE, 0x45, 0x63, 0x63, 0x69,
	0x64, 0x67, 0x61, 0x64, 0x67, 0x65, 0x74, 0x98,
};
static const uint8_t select_tc[] = {
	0x00, 0xA4, 0x04, 0x00, 0x08,
	0xF0, 0x43, 0x43, 0x49, 0x44, 0x54, 0x43, 0x01,
};

static uint8_t in[1024];
static char err[512];

/* Wait (poll, 10 s cap) until the card's fd is readable, then dispatch. */
static int wait_dispatch(struct vcg_card *card)
{
	struct pollfd p = { .fd = vcg_card_fd(card), .events = POLLIN };
	int n = poll(&p, 1, 10000);

	if (n != 1)
		return -1;
	vcg_card_dispatch(card);
	return 0;
}

static void plain_card(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	int rc = 1;
	struct vcg_card *card = vcg_card_create("test", eng, 0, &rc, err, sizeof(err));
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	CHECK_EQ(rc, 0);
	CHECK_EQ(err[0], '\0');
	CHECK_EQ(vcg_card_fd(card), -1);
	CHECK(strcmp(vcg_card_describe(card), "test") == 0);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(test_atr));
	CHECK_EQ(in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(in[6], 1);
	CHECK_EQ(in[7], 0x00);
	CHECK_MEM(in + 10, test_atr, sizeof(test_atr));
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_tc,
		       sizeof(select_tc));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 12);
	CHECK_EQ(in[10], 0x90);
	CHECK_EQ(in[11], 0x00);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void delayed_card_time_extension(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		vcg_card_create("test,delay_ms=30", eng, 0, NULL, err, sizeof(err));
	struct itimerspec its;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	CHECK(strcmp(vcg_card_describe(card), "test delay_ms=30") == 0);
	CHECK(vcg_card_fd(card) >= 0);
	/* Nothing pending: the timer is disarmed. */
	CHECK_EQ(timerfd_gettime(vcg_card_fd(card), &its), 0);
	CHECK_EQ(its.it_value.tv_sec + its.it_value.tv_nsec, 0);

	/* A delayed power-on: held until the timer fires. (The engine sends
	 * time extensions for XfrBlock only; see ccid_engine_tick.) */
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 7, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 0);   /* held */
	CHECK(ccid_engine_busy(eng));
	CHECK_EQ(timerfd_gettime(vcg_card_fd(card), &its), 0);
	CHECK(its.it_value.tv_sec + its.it_value.tv_nsec > 0);

	CHECK_EQ(wait_dispatch(card), 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(test_atr));
	CHECK_EQ(in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(in[6], 7);
	CHECK_EQ(in[7] & 0xC0, 0);
	CHECK_MEM(in + 10, test_atr, sizeof(test_atr));
	CHECK(!ccid_engine_busy(eng));

	/* A delayed APDU: the engine is busy and each tick while the timer
	 * runs gives the host a time extension (Section 6.2.6). */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 8, 0, 0, 0, select_tc,
		       sizeof(select_tc));
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 0);
	CHECK(ccid_engine_busy(eng));
	for (unsigned i = 0; i < CCID_FAKE_TE_TICKS; i++)
		ccid_engine_tick(eng);   /* the first time extension is due */
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(in[6], 8);
	CHECK_EQ(in[7] & 0xC0, CCID_STATUS(0, CCID_CMD_STATUS_TIME_EXT));
	CHECK(ccid_engine_busy(eng));
	CHECK_EQ(wait_dispatch(card), 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 12);
	CHECK_EQ(in[6], 8);
	CHECK_EQ(in[10], 0x90);
	CHECK(!ccid_engine_busy(eng));
	/* Done: disarmed again, and a dispatch without an expiry is a no-op. */
	CHECK_EQ(timerfd_gettime(vcg_card_fd(card), &its), 0);
	CHECK_EQ(its.it_value.tv_sec + its.it_value.tv_nsec, 0);
	vcg_card_dispatch(card);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 0);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void absent_then_inserted(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		vcg_card_create("test,absent", eng, 0, NULL, err, sizeof(err));
	const struct ccid_msg *m;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	CHECK(strcmp(vcg_card_describe(card), "test absent") == 0);
	/* Starting empty is no change: nothing on the interrupt pipe. */
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 1, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[0], CCID_RDR_SLOT_STATUS);
	CHECK_EQ(in[7] & 0x03, 2);   /* bmICCStatus: no ICC present */
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 2, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(in[7] & 0xC0, CCID_STATUS(0, CCID_CMD_STATUS_FAILED));

	CHECK_EQ(vcg_card_set_present(card, true), 0);
	m = ccid_engine_peek_intr_in(eng);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(m->len, 2);
		CHECK_EQ(m->data[0], CCID_RDR_NOTIFY_SLOT_CHANGE);
		CHECK_EQ(m->data[1], 0x03);   /* slot 0 present, changed */
		ccid_engine_pop_intr_in(eng);
	}
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 3, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(test_atr));
	CHECK_MEM(in + 10, test_atr, sizeof(test_atr));

	CHECK_EQ(vcg_card_set_present(card, false), 0);
	m = ccid_engine_peek_intr_in(eng);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(m->data[1], 0x02);   /* absent, changed */
		ccid_engine_pop_intr_in(eng);
	}
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void removal_while_delayed(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		vcg_card_create("test,delay_ms=60000", eng, 0, NULL, err, sizeof(err));
	struct itimerspec its;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 4, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_busy(eng));
	CHECK_EQ(vcg_card_set_present(card, false), 0);
	/* The engine answers the pending power-on itself... */
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[6], 4);
	CHECK_EQ(in[7] & 0xC0, CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
	CHECK(!ccid_engine_busy(eng));
	/* ...and the timer for the dropped answer is disarmed. */
	CHECK_EQ(timerfd_gettime(vcg_card_fd(card), &its), 0);
	CHECK_EQ(its.it_value.tv_sec + its.it_value.tv_nsec, 0);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void abort_while_delayed(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		vcg_card_create("test,delay_ms=60000", eng, 0, NULL, err, sizeof(err));
	struct itimerspec its;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_busy(eng));
	/* Section 5.3.1: the ABORT request, then PC_to_RDR_Abort (6.1.13). */
	CHECK_EQ(ccid_engine_abort_request(eng, 0, 2), 0);
	ccid_fake_send(eng, CCID_PC_ABORT, 0, 2, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[6], 1);                       /* the power-on, aborted */
	CHECK_EQ(in[7] & 0xC0, CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
	CHECK_EQ(in[8], CCID_ERR_CMD_ABORTED);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(in[0], CCID_RDR_SLOT_STATUS);         /* the abort, done */
	CHECK_EQ(in[6], 2);
	CHECK(!ccid_engine_busy(eng));
	/* The card's cancel disarmed the timer for the dropped answer. */
	CHECK_EQ(timerfd_gettime(vcg_card_fd(card), &its), 0);
	CHECK_EQ(its.it_value.tv_sec + its.it_value.tv_nsec, 0);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void destroy_with_pending_answer(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		vcg_card_create("test,delay_ms=60000", eng, 0, NULL, err, sizeof(err));

	CHECK(card != NULL);
	if (!card)
		return;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CHECK(ccid_engine_busy(eng));
	vcg_card_destroy(card);   /* detaches: the engine answers */
	CHECK(!ccid_engine_busy(eng));
	CHECK(ccid_fake_drain(eng) >= 1);
	ccid_engine_free(eng);
}

static void two_slots(void)
{
	struct ccid_engine *eng = ccid_fake_engine(2, 0);
	struct vcg_card *a = vcg_card_create("test", eng, 0, NULL, err, sizeof(err));
	struct vcg_card *b = vcg_card_create("test,delay_ms=5", eng, 1, NULL, err,
					     sizeof(err));
	struct vcg_card *c = vcg_card_create("test", eng, 2, NULL, err, sizeof(err));
	size_t n;

	CHECK(a != NULL && b != NULL);
	CHECK(c == NULL);
	CHECK(strcmp(err, "card spec 'test': cannot attach to slot 2: Invalid argument") == 0);
	if (a && b) {
		ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 1, 1, 0, 0, 0, NULL, 0);
		ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 2, 0, 0, 0, NULL, 0);
		n = ccid_fake_pop(eng, in, sizeof(in));
		CHECK_EQ(in[5], 0);   /* slot 0 answers at once */
		CHECK_EQ(n, 10 + sizeof(test_atr));
		CHECK_EQ(wait_dispatch(b), 0);
		n = ccid_fake_pop(eng, in, sizeof(in));
		CHECK_EQ(in[5], 1);
		CHECK_EQ(n, 10 + sizeof(test_atr));
	}
	vcg_card_destroy(a);
	vcg_card_destroy(b);
	ccid_engine_free(eng);
}

static void spec_errors(void)
{
	static const struct {
		const char *spec, *err;
	} cases[] = {
		{ "test,delay_ms=60001", "card spec 'test,delay_ms=60001': delay_ms=60001 is out of range (use 0..60000)" },
		{ "test,delay_ms=1s", "card spec 'test,delay_ms=1s': delay_ms='1s' is not a decimal number (use 0..60000)" },
		{ "test,delay_ms", "card spec 'test,delay_ms': 'delay_ms' needs a number (write delay_ms=N, N in 0..60000)" },
		{ "test,absent=maybe", "card spec 'test,absent=maybe': absent='maybe' is not a boolean (write absent, absent=on or absent=off)" },
		{ "test,delay=5", "card spec 'test,delay=5': unknown property 'delay' for test (known: delay_ms, absent)" },
		{ "tset", "card spec 'tset': unknown card driver 'tset' (use test, emulated or passthru)" },
		{ "", "card spec '': empty (use test, or emulated,backend=...)" },
	};
	struct ccid_engine *eng = ccid_fake_engine(1, 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = 1;
		struct vcg_card *card =
			vcg_card_create(cases[i].spec, eng, 0, &rc, err, sizeof(err));

		CHECK(card == NULL);
		CHECK_EQ(rc, -EINVAL);   /* the SPEC is wrong, and quoted */
		vcg_card_destroy(card);
		if (strcmp(err, cases[i].err) != 0) {
			fprintf(stderr, "  got:  %s\n  want: %s\n", err, cases[i].err);
			tap_failed_now = 1;
		}
	}
	/* Nothing was attached by the failures. */
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 1, 0, 0, 0, NULL, 0);
	ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(in[7] & 0x03, 2);
	ccid_engine_free(eng);
}

static void flags_off_and_zero_delay(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = vcg_card_create("test,absent=off,delay_ms=0",
						eng, 0, NULL, err, sizeof(err));

	CHECK(card != NULL);
	if (!card)
		return;
	CHECK(strcmp(vcg_card_describe(card), "test") == 0);
	CHECK_EQ(vcg_card_fd(card), -1);
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10 + sizeof(test_atr));
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(plain_card);
	RUN(delayed_card_time_extension);
	RUN(absent_then_inserted);
	RUN(removal_while_delayed);
	RUN(abort_while_delayed);
	RUN(destroy_with_pending_answer);
	RUN(two_slots);
	RUN(spec_errors);
	RUN(flags_off_and_zero_delay);
	TAP_EXIT();
}
