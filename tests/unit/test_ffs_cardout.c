/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A clean stop takes the card out first (gadget_cardout.c), on the
 * transfer bed (xfer_bed.h: the real engine, the test card in slot 0,
 * socketpairs for the endpoints). The wait is run here as the loop runs
 * it (gadget_loop.c, gadget_loop_serve): wait for a completion or the
 * bound, reap, kick, check. */
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "ccid_proto.h"
#include "tap.h"
#include "xfer_bed.h"

static struct gadget_loop l;
static struct gadget_loop_params params;
static struct vcg_card *card;
static struct xfer_bed_files files;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Completions and kicks until nothing moves (test_ffs_xfer.c's). */
static void pump(void)
{
	struct pollfd pfd = { .fd = l.io.evfd, .events = POLLIN };
	int i;

	for (i = 0; i < 50; i++) {
		gadget_xfer_kick(&l);
		if (poll(&pfd, 1, 0) != 1)
			return;
		ffs_io_reap(&l.io, gadget_xfer_done, &l);
	}
}

static void drain(enum ffs_ep_index ep)
{
	uint8_t buf[256];

	while (read(files.peer[ep], buf, sizeof(buf)) > 0)
		;
}

/* Each case starts with the host here, the card in, no stop asked. */
static void fresh(void)
{
	gadget_cardout_close(&l.cardout);
	memset(&l.cardout, 0, sizeof(l.cardout));
	l.stop = false;
	l.usb.enabled = true;
	l.usb.suspended = false;
	ccid_engine_card_presence(l.eng, 0, true);
	pump();
	drain(FFS_EP_INTR_IN);
	drain(FFS_EP_BULK_IN);
}

static enum ccid_icc_state icc(void)
{
	struct ccid_slot_stats st;

	ccid_engine_slot_stats(l.eng, 0, &st);
	return st.icc;
}

/* The host sends a command of 10 bytes (type, slot 0, seq); returns the
 * answer's bStatus, or -1 if none came. */
static int host_sends(uint8_t type, uint8_t seq)
{
	uint8_t cmd[CCID_HEADER_LEN] = { type, 0, 0, 0, 0, 0, seq, 0, 0, 0 };
	uint8_t buf[64];

	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)),
		 (ssize_t)sizeof(cmd));
	l.ep_down[FFS_EP_BULK_OUT] = false;
	pump();
	if (read(files.peer[FFS_EP_BULK_IN], buf, sizeof(buf)) < 10 ||
	    buf[6] != seq)
		return -1;
	return buf[7];
}

/* The loop's wait after the signal, as gadget_loop_serve runs it, with a
 * guard of 3 s. Returns the ms it took. */
static long long run_wait(void)
{
	long long t0 = now_ms();
	struct pollfd pfd[2] = {
		{ .fd = l.io.evfd, .events = POLLIN },
		{ .fd = l.cardout.wake_fd, .events = POLLIN },
	};

	while (gadget_cardout_waiting(&l) && now_ms() - t0 < 3000) {
		poll(pfd, 2, gadget_cardout_timeout_ms(&l));
		ffs_io_reap(&l.io, gadget_xfer_done, &l);
		gadget_xfer_kick(&l);
		gadget_cardout_check(&l);
	}
	return now_ms() - t0;
}

/* A stop, then one command of the host's, answered "no ICC present":
 * the wait goes on after it. */
static void stop_then_host_sends(uint8_t type, uint8_t seq)
{
	fresh();
	CHECK(gadget_cardout_signal(&l));
	pump();
	CHECK_EQ(host_sends(type, seq) & 0x03, CCID_ICC_STATUS_ABSENT);
	gadget_cardout_check(&l);
	CHECK(gadget_cardout_waiting(&l));
}

/* The host is told (NotifySlotChange, 6.3.1: slot 0 absent, changed),
 * asks (GetSlotStatus, 6.1.3), hears "no ICC present" (6.2.6), asks
 * again (pcscd's power-down check, then its poll): done at once, the
 * loop woken. */
static void host_that_looks(void)
{
	uint8_t buf[16];
	struct pollfd wake;

	fresh();
	CHECK(gadget_cardout_signal(&l));
	CHECK(l.stop);
	CHECK(gadget_cardout_waiting(&l));
	pump();
	CHECK_EQ(read(files.peer[FFS_EP_INTR_IN], buf, sizeof(buf)), 2);
	CHECK_EQ(buf[0], CCID_RDR_NOTIFY_SLOT_CHANGE);
	CHECK_EQ(buf[1], 0x02);
	CHECK_EQ(host_sends(CCID_PC_GET_SLOT_STATUS, 0x31) & 0x03,
		 CCID_ICC_STATUS_ABSENT);
	CHECK_EQ(host_sends(CCID_PC_GET_SLOT_STATUS, 0x32) & 0x03,
		 CCID_ICC_STATUS_ABSENT);
	wake.fd = l.cardout.wake_fd;
	wake.events = POLLIN;
	CHECK_EQ(poll(&wake, 1, 0), 1); /* a transfer thread wakes the loop */
	CHECK(run_wait() < 100);
	CHECK(!gadget_cardout_waiting(&l));
	CHECK_EQ(l.cardout.phase, CARDOUT_DONE);
}

/* Asked once (a card pcscd had powered down already: its poll alone):
 * done GADGET_CARDOUT_SETTLE_MS after the answer, well before the bound. */
static void host_that_looks_once(void)
{
	long long ms;

	stop_then_host_sends(CCID_PC_GET_SLOT_STATUS, 0x33);
	ms = run_wait();
	CHECK(ms >= 80);
	CHECK(ms < 400);
}

/* Nothing asked: the wait ends at the bound, GADGET_CARDOUT_WAIT_MS. */
static void host_that_never_looks(void)
{
	long long ms;

	fresh();
	CHECK(gadget_cardout_signal(&l));
	ms = run_wait();
	CHECK(ms >= 450);
	CHECK(ms <= 1500);
	CHECK_EQ(l.cardout.phase, CARDOUT_DONE);
}

/* An IccPowerOff (6.1.2) is answered with a SlotStatus too, "no ICC
 * present" once the card is out; pcscd sends it from its status thread
 * without looking at the status. It is not the host looking: the wait
 * goes on to the bound. */
static void power_off_is_not_looking(void)
{
	stop_then_host_sends(CCID_PC_ICC_POWER_OFF, 0x40);
	/* the bound, not the answer, ended it */
	CHECK(run_wait() >= 400);
}

/* A GetSlotStatus with the same bSeq as a later IccPowerOff: the
 * IccPowerOff's answer is not the GetSlotStatus's. */
static void answer_matches_its_own_command(void)
{
	fresh();
	CHECK(gadget_cardout_signal(&l));
	pump();
	/* noted, then replaced by the slot's next command, unanswered yet */
	gadget_cardout_command(
		&l, (const uint8_t[10]){ 0x65, 0, 0, 0, 0, 0, 0x50, 0, 0, 0 },
		10);
	CHECK_EQ(host_sends(CCID_PC_ICC_POWER_OFF, 0x50) & 0x03,
		 CCID_ICC_STATUS_ABSENT);
	gadget_cardout_check(&l);
	CHECK(gadget_cardout_waiting(&l));
	gadget_cardout_signal(&l); /* end it */
}

/* No host: no report, no wait; the card stays in as the engine sees it. */
static void no_host_no_wait(void)
{
	fresh();
	l.usb.enabled = false;
	CHECK(!gadget_cardout_signal(&l));
	CHECK(l.stop);
	CHECK(!gadget_cardout_waiting(&l));
	CHECK(icc() != CCID_ICC_ABSENT);
	fresh();
	l.usb.suspended = true;
	CHECK(!gadget_cardout_signal(&l));
	CHECK(!gadget_cardout_waiting(&l));
	CHECK(icc() != CCID_ICC_ABSENT);
}

static void no_card_no_wait(void)
{
	fresh();
	ccid_engine_card_presence(l.eng, 0, false);
	pump();
	CHECK(!gadget_cardout_signal(&l));
	CHECK(l.stop);
	CHECK(!gadget_cardout_waiting(&l));
}

/* A second SIGTERM/SIGINT ends the wait at once. */
static void second_signal_ends_the_wait(void)
{
	long long t0;

	fresh();
	CHECK(gadget_cardout_signal(&l));
	CHECK(gadget_cardout_waiting(&l));
	t0 = now_ms();
	CHECK(!gadget_cardout_signal(&l));
	CHECK(!gadget_cardout_waiting(&l));
	CHECK(run_wait() < 50);
	CHECK(now_ms() - t0 < 100);
}

/* The host leaves during the wait (a DISABLE, handled in the loop's
 * pass): the check after that pass ends the wait. */
static void host_gone_ends_the_wait(void)
{
	fresh();
	CHECK(gadget_cardout_signal(&l));
	gadget_host_gone(&l);
	gadget_cardout_check(&l);
	CHECK(!gadget_cardout_waiting(&l));
}

int main(void)
{
	if (xfer_bed_open(&l, &params, &files, &card) < 0)
		return 1;
	params.nslots = 1;

	RUN(host_that_looks);
	RUN(host_that_looks_once);
	RUN(host_that_never_looks);
	RUN(power_off_is_not_looking);
	RUN(answer_matches_its_own_command);
	RUN(no_host_no_wait);
	RUN(no_card_no_wait);
	RUN(second_signal_ends_the_wait);
	RUN(host_gone_ends_the_wait);

	gadget_cardout_close(&l.cardout);
	xfer_bed_close(&l, &files, card);
	TAP_EXIT();
}
