/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transfer thread writing an answer itself with a blocking write()
 * (gadget_loop_params.sync_write, CCID_GADGET_OUT_THREAD=2): the real
 * engine, test card, transfer state machine and thread, over socketpairs
 * standing in for the endpoint files, the test being the loop thread.
 * A bulk-IN socket whose buffer is full makes the write block as f_fs's
 * does until the host reads; interrupted, it returns -EINTR having sent
 * nothing, as f_fs's does for a one-packet request it took back
 * (ffs_out_thread.c). Checked: a short answer is written by the thread
 * and arrives once; an interrupted write (by the loop, or by the timer's
 * bound) goes again by AIO and arrives exactly once; the bound's timer
 * ticks on while writes follow each other and stops at the first tick
 * without one; a write the host never takes before it goes away is
 * dropped; an answer that needs a ZLP stays AIO. */
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "xfer_bed.h"
#include "tap.h"

static struct gadget_loop l;
static struct gadget_loop_params params;
static struct vcg_card *card;
static struct xfer_bed_files files;
static size_t junk; /* bytes filling the bulk-IN socket */

static void kick(void *ctx)
{
	gadget_xfer_kick(ctx);
}

/* Wait (lock released) up to 3 s for cond(); returns with the lock held. */
static bool wait_locked(bool (*cond)(void))
{
	for (int i = 0; i < 600; i++) {
		pthread_mutex_lock(&l.lock);
		if (cond())
			return true;
		pthread_mutex_unlock(&l.lock);
		usleep(5000);
	}
	pthread_mutex_lock(&l.lock);
	return false;
}

static bool in_write(void)
{
	return atomic_load(&l.out_thread.in_write);
}

static bool in_idle(void)
{
	return l.in_phase == IN_IDLE && !l.io.ep[FFS_EP_BULK_IN].busy &&
	       ccid_engine_peek_bulk_in(l.eng) == NULL;
}

static bool in_busy_aio(void)
{
	return l.io.ep[FFS_EP_BULK_IN].busy && !l.io.ep[FFS_EP_BULK_IN].sync;
}

/* One AIO completion on the eventfd, reaped and kicked as the loop does;
 * the lock is held on return. */
static bool reap_one(void)
{
	struct pollfd pfd = { .fd = l.io.evfd, .events = POLLIN };
	bool got = poll(&pfd, 1, 3000) == 1;

	pthread_mutex_lock(&l.lock);
	if (got) {
		ffs_io_reap(&l.io, gadget_xfer_done, &l);
		gadget_xfer_kick(&l);
	}
	return got;
}

static void set_blocking(int fd, bool blocking)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* Fill the bulk-IN socket so that the next write waits for the "host",
 * and make that write block instead of failing with EAGAIN. */
static void host_not_reading(void)
{
	static uint8_t chunk[4096];
	size_t size;
	ssize_t n;

	junk = 0;
	for (size = sizeof(chunk); size; size /= 2)
		while ((n = write(l.io.ep[FFS_EP_BULK_IN].fd, chunk, size)) > 0)
			junk += (size_t)n;
	set_blocking(l.io.ep[FFS_EP_BULK_IN].fd, true);
}

/* The "host" reads what filled the socket. */
static void host_drains(void)
{
	uint8_t buf[4096];
	ssize_t n;

	while (junk > 0) {
		n = read(files.peer[FFS_EP_BULK_IN], buf,
			 junk < sizeof(buf) ? junk : sizeof(buf));
		if (n <= 0)
			break;
		junk -= (size_t)n;
	}
	CHECK_EQ(junk, 0);
	set_blocking(l.io.ep[FFS_EP_BULK_IN].fd, false);
}

/* A SlotStatus command with bSeq `seq`: its answer is 10 bytes. */
static void host_sends_slot_status(uint8_t seq)
{
	const uint8_t cmd[10] = { 0x65, 0, 0, 0, 0, 0, seq, 0, 0, 0 };

	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)), 10);
}

/* The "host" gets exactly one SlotStatus with bSeq `seq`, then nothing. */
static void host_gets_one_answer(uint8_t seq)
{
	struct pollfd pfd = { .fd = files.peer[FFS_EP_BULK_IN],
			      .events = POLLIN };
	uint8_t buf[64];

	CHECK_EQ(poll(&pfd, 1, 3000), 1);
	CHECK_EQ(read(files.peer[FFS_EP_BULK_IN], buf, sizeof(buf)), 10);
	CHECK_EQ(buf[0], 0x81); /* RDR_to_PC_SlotStatus */
	CHECK_EQ(buf[6], seq);
	usleep(20000);
	CHECK_EQ(read(files.peer[FFS_EP_BULK_IN], buf, sizeof(buf)), -1);
}

static void thread_writes_short_answer(void)
{
	unsigned writes = l.sync_writes;

	host_sends_slot_status(0x31);
	host_gets_one_answer(0x31);
	CHECK(wait_locked(in_idle));
	CHECK_EQ(l.sync_writes, writes + 1);
	CHECK(l.sync_timer); /* the bound's timer ticks */
	CHECK(l.timer_armed);
	pthread_mutex_unlock(&l.lock);
}

/* The loop interrupts the blocked write (as on an ep0 event): -EINTR, the
 * same message again by AIO, once. */
static void interrupted_write_goes_by_aio(void)
{
	unsigned writes = l.sync_writes;

	host_not_reading();
	host_sends_slot_status(0x32);
	CHECK(wait_locked(in_write));
	CHECK_EQ(l.sync_writes, writes + 1);
	ffs_io_interrupt_sync(&l.io);
	CHECK(!in_write());
	/* the thread waits for the lock with -EINTR: the host reads now */
	host_drains();
	pthread_mutex_unlock(&l.lock);
	CHECK(wait_locked(in_busy_aio)); /* the same message, by AIO */
	CHECK(!l.in_resubmit);
	pthread_mutex_unlock(&l.lock);
	CHECK(reap_one());
	CHECK(in_idle());
	CHECK_EQ(l.sync_writes, writes + 1); /* not blocking again */
	pthread_mutex_unlock(&l.lock);
	host_gets_one_answer(0x32);
}

/* Nobody interrupts: the timer's bound does, on its second tick. */
static void timer_bounds_the_write(void)
{
	struct pollfd pfd = { .fd = l.timerfd, .events = POLLIN };
	int ticks;

	host_not_reading();
	host_sends_slot_status(0x33);
	CHECK(wait_locked(in_write));
	CHECK(l.timer_armed);
	for (ticks = 0; ticks < 3 && in_write(); ticks++) {
		pthread_mutex_unlock(&l.lock);
		CHECK_EQ(poll(&pfd, 1, 1000), 1);
		pthread_mutex_lock(&l.lock);
		gadget_xfer_tick(&l);
	}
	CHECK_EQ(ticks, 2); /* a whole tick passed: 100 to 200 ms */
	CHECK(!in_write());
	host_drains();
	pthread_mutex_unlock(&l.lock);
	CHECK(wait_locked(in_busy_aio));
	pthread_mutex_unlock(&l.lock);
	CHECK(reap_one());
	CHECK(in_idle());
	pthread_mutex_unlock(&l.lock);
	host_gets_one_answer(0x33);
	/* the next tick without a blocking write stops the timer */
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	pthread_mutex_lock(&l.lock);
	gadget_xfer_tick(&l);
	gadget_xfer_kick(&l);
	CHECK(!l.sync_timer);
	CHECK(!l.timer_armed);
	pthread_mutex_unlock(&l.lock);
}

/* Writes that follow each other keep the timer ticking (no
 * timerfd_settime per tick in a run of APDUs); the first tick with no
 * write since the one before stops it. */
static void timer_ticks_on_between_writes(void)
{
	struct pollfd pfd = { .fd = l.timerfd, .events = POLLIN };

	host_sends_slot_status(0x34);
	host_gets_one_answer(0x34);
	CHECK(wait_locked(in_idle));
	CHECK(l.timer_armed);
	pthread_mutex_unlock(&l.lock);
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	pthread_mutex_lock(&l.lock);
	gadget_xfer_tick(&l); /* a write since the last tick: on */
	gadget_xfer_kick(&l);
	CHECK(l.sync_timer);
	CHECK(l.timer_armed);
	pthread_mutex_unlock(&l.lock);
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	pthread_mutex_lock(&l.lock);
	gadget_xfer_tick(&l); /* none since: off */
	gadget_xfer_kick(&l);
	CHECK(!l.sync_timer);
	CHECK(!l.timer_armed);
	pthread_mutex_unlock(&l.lock);
}

/* The host goes away while the thread waits for it to read: the write is
 * dropped, not sent again; the next session is served. */
static void host_gone_drops_the_write(void)
{
	uint8_t buf[64];

	host_not_reading();
	host_sends_slot_status(0x34);
	CHECK(wait_locked(in_write));
	gadget_host_gone(&l);
	CHECK(!in_write());
	host_drains();
	pthread_mutex_unlock(&l.lock);
	CHECK(wait_locked(in_idle));
	CHECK(!l.in_resubmit);
	pthread_mutex_unlock(&l.lock);
	usleep(20000);
	CHECK_EQ(read(files.peer[FFS_EP_BULK_IN], buf, sizeof(buf)), -1);
	/* a new session */
	pthread_mutex_lock(&l.lock);
	l.usb.enabled = true;
	gadget_xfer_kick(&l);
	pthread_mutex_unlock(&l.lock);
	host_sends_slot_status(0x35);
	host_gets_one_answer(0x35);
}

/* An answer that fills its packet needs a ZLP: AIO, data then ZLP. */
static void zlp_answer_stays_aio(void)
{
	unsigned writes;
	uint8_t buf[64];

	pthread_mutex_lock(&l.lock);
	writes = l.sync_writes;
	l.in_mps = 10; /* a SlotStatus now ends on a packet edge */
	ccid_engine_set_packet_sizes(l.eng, l.out_mps, l.in_mps);
	pthread_mutex_unlock(&l.lock);
	host_sends_slot_status(0x36);
	CHECK(reap_one()); /* the data */
	pthread_mutex_unlock(&l.lock);
	CHECK(reap_one()); /* the ZLP */
	CHECK(in_idle());
	CHECK_EQ(l.sync_writes, writes);
	l.in_mps = 64;
	ccid_engine_set_packet_sizes(l.eng, l.out_mps, l.in_mps);
	pthread_mutex_unlock(&l.lock);
	CHECK_EQ(read(files.peer[FFS_EP_BULK_IN], buf, sizeof(buf)), 10);
	CHECK_EQ(buf[6], 0x36);
}

int main(void)
{
	params.out_thread = params.sync_write = true;
	if (xfer_bed_open(&l, &params, &files, &card) < 0)
		return 1;
	pthread_mutex_init(&l.lock, NULL);
	pthread_mutex_lock(&l.lock);
	if (ffs_io_out_thread_start(&l.io, &l.out_thread, &l.lock,
				    gadget_xfer_done, kick, &l) < 0) {
		printf("not ok - the transfer thread\n");
		return 1;
	}
	gadget_xfer_kick(&l); /* the first read, on the thread */
	pthread_mutex_unlock(&l.lock);

	RUN(thread_writes_short_answer);
	RUN(interrupted_write_goes_by_aio);
	RUN(timer_bounds_the_write);
	RUN(timer_ticks_on_between_writes);
	RUN(host_gone_drops_the_write);
	RUN(zlp_answer_stays_aio);

	pthread_mutex_lock(&l.lock);
	gadget_host_gone(&l);
	xfer_bed_close(&l, &files, card); /* joins the thread */
	pthread_mutex_unlock(&l.lock);
	TAP_EXIT();
}
