/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The AIO plumbing (libaio + eventfd, one request per endpoint, stale
 * completions) against socketpairs standing in for the endpoint files: AIO
 * on a socket completes at once, with the same result convention. Then
 * the bulk-OUT transfer thread (ffs_io_out_thread_start) on the same
 * files: a read handed over under the lock, a read the loop cancels while
 * the thread is blocked in read(), a stop with a read pending. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ffs_io.h"
#include "tap.h"

static struct ffs_io io;
static int peer[FFS_EP_COUNT];   /* the "host" end of each endpoint */

struct done_log {
	int calls;
	enum ffs_ep_index ep;
	long res;
};
static struct done_log last;

static void done(void *ctx, enum ffs_ep_index ep, long res)
{
	(void)ctx;
	last.calls++;
	last.ep = ep;
	last.res = res;
}

static bool evfd_readable(void)
{
	struct pollfd pfd = { .fd = io.evfd, .events = POLLIN };

	return poll(&pfd, 1, 1000) == 1;
}

static bool evfd_readable_now(void)
{
	struct pollfd pfd = { .fd = io.evfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void write_then_reap(void)
{
	char buf[16];

	memset(&last, 0, sizeof(last));
	CHECK_EQ(ffs_io_write(&io, FFS_EP_BULK_IN, "hello", 5), 0);
	CHECK(io.ep[FFS_EP_BULK_IN].busy);
	/* one request per endpoint: busy until reaped */
	CHECK_EQ(ffs_io_write(&io, FFS_EP_BULK_IN, "x", 1), -EBUSY);
	CHECK(evfd_readable());
	CHECK_EQ(ffs_io_reap(&io, done, NULL), 0);
	CHECK_EQ(last.calls, 1);
	CHECK_EQ(last.ep, FFS_EP_BULK_IN);
	CHECK_EQ(last.res, 5);
	CHECK(!io.ep[FFS_EP_BULK_IN].busy);
	CHECK_EQ(read(peer[FFS_EP_BULK_IN], buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "hello", 5);
}

static void zero_length_write(void)
{
	memset(&last, 0, sizeof(last));
	CHECK_EQ(ffs_io_write(&io, FFS_EP_BULK_IN, NULL, 0), 0);
	CHECK(evfd_readable());
	CHECK_EQ(ffs_io_reap(&io, done, NULL), 0);
	CHECK_EQ(last.calls, 1);
	CHECK_EQ(last.res, 0);
}

static void read_into_own_buffer(void)
{
	static const uint8_t msg[10] = { 0x65, 0, 0, 0, 0, 0, 7, 0, 0, 0 };

	memset(&last, 0, sizeof(last));
	CHECK_EQ(write(peer[FFS_EP_BULK_OUT], msg, sizeof(msg)), 10);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	CHECK(evfd_readable());
	CHECK_EQ(ffs_io_reap(&io, done, NULL), 0);
	CHECK_EQ(last.calls, 1);
	CHECK_EQ(last.ep, FFS_EP_BULK_OUT);
	CHECK_EQ(last.res, 10);
	CHECK_MEM(io.ep[FFS_EP_BULK_OUT].buf, msg, sizeof(msg));
	/* never past the buffer; IN endpoints have none */
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 4097), -EINVAL);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_IN, 10), -EINVAL);
}

static void errors_are_negative(void)
{
	/* nothing to read on a non-blocking socket: -EAGAIN, not a length */
	memset(&last, 0, sizeof(last));
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	CHECK(evfd_readable());
	CHECK_EQ(ffs_io_reap(&io, done, NULL), 0);
	CHECK_EQ(last.calls, 1);
	CHECK_EQ(last.res, -EAGAIN);
}

static void stale_completions_dropped(void)
{
	char buf[8];

	memset(&last, 0, sizeof(last));
	CHECK_EQ(ffs_io_write(&io, FFS_EP_INTR_IN, "\x50\x03", 2), 0);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	/* the host went away before we looked */
	ffs_io_cancel_all(&io);
	CHECK(io.ep[FFS_EP_INTR_IN].stale);
	CHECK(io.ep[FFS_EP_BULK_OUT].stale);
	/* still busy: a new request must wait for the old completion */
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), -EBUSY);
	CHECK_EQ(ffs_io_reap(&io, done, NULL), 0);
	CHECK_EQ(last.calls, 0);
	CHECK(!io.ep[FFS_EP_INTR_IN].busy && !io.ep[FFS_EP_INTR_IN].stale);
	CHECK(!io.ep[FFS_EP_BULK_OUT].busy && !io.ep[FFS_EP_BULK_OUT].stale);
	CHECK_EQ(read(peer[FFS_EP_INTR_IN], buf, sizeof(buf)), 2);
	/* and the endpoint is usable again */
	CHECK_EQ(ffs_io_write(&io, FFS_EP_INTR_IN, "\x50\x02", 2), 0);
	CHECK_EQ(ffs_io_reap(&io, done, NULL), 0);
	CHECK_EQ(last.calls, 1);
	CHECK_EQ(last.res, 2);
}

/* ---- the bulk-OUT transfer thread ---- */

static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ffs_out_thread ot;
static int afters;

static void after(void *ctx)
{
	(void)ctx;
	afters++;
}

/* Wait (lock released) up to 2 s until done() was called `calls` times
 * and the endpoint is idle; returns with the lock held. */
static bool wait_idle(int calls)
{
	for (int i = 0; i < 400; i++) {
		pthread_mutex_lock(&loop_lock);
		if (last.calls >= calls && !io.ep[FFS_EP_BULK_OUT].busy)
			return true;
		pthread_mutex_unlock(&loop_lock);
		usleep(5000);
	}
	pthread_mutex_lock(&loop_lock);
	return false;
}

static void thread_reads_and_hands_over(void)
{
	static const uint8_t msg[10] = { 0x6F, 2, 0, 0, 0, 0, 9, 0, 0, 0 };

	memset(&last, 0, sizeof(last));
	afters = 0;
	pthread_mutex_lock(&loop_lock);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	CHECK(io.ep[FFS_EP_BULK_OUT].busy);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), -EBUSY);
	pthread_mutex_unlock(&loop_lock);
	CHECK_EQ(write(peer[FFS_EP_BULK_OUT], msg, sizeof(msg)), 10);
	CHECK(wait_idle(1));
	CHECK_EQ(last.calls, 1);
	CHECK_EQ(last.ep, FFS_EP_BULK_OUT);
	CHECK_EQ(last.res, 10);
	CHECK_MEM(io.ep[FFS_EP_BULK_OUT].buf, msg, 10);
	CHECK_EQ(afters, 1);
	/* bulk-IN still goes by AIO through the eventfd */
	CHECK(!evfd_readable_now());
	pthread_mutex_unlock(&loop_lock);
}

static void thread_read_cancelled(void)
{
	static const uint8_t msg[10] = { 0x65, 0, 0, 0, 0, 0, 3, 0, 0, 0 };

	memset(&last, 0, sizeof(last));
	afters = 0;
	pthread_mutex_lock(&loop_lock);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	pthread_mutex_unlock(&loop_lock);
	usleep(50000);   /* the thread is blocked in read() */
	pthread_mutex_lock(&loop_lock);
	CHECK(atomic_load(&ot.in_read));
	ffs_io_cancel_all(&io);   /* the host went away */
	CHECK(!atomic_load(&ot.in_read));
	CHECK(io.ep[FFS_EP_BULK_OUT].stale);
	pthread_mutex_unlock(&loop_lock);
	CHECK(wait_idle(0));
	/* the interrupted read was dropped, not handed over */
	CHECK_EQ(last.calls, 0);
	CHECK(!io.ep[FFS_EP_BULK_OUT].stale);
	CHECK_EQ(afters, 1);
	/* and the next read takes the next message whole */
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	pthread_mutex_unlock(&loop_lock);
	CHECK_EQ(write(peer[FFS_EP_BULK_OUT], msg, sizeof(msg)), 10);
	CHECK(wait_idle(1));
	CHECK_EQ(last.res, 10);
	CHECK_MEM(io.ep[FFS_EP_BULK_OUT].buf, msg, 10);
	pthread_mutex_unlock(&loop_lock);
}

static void thread_stopped_with_a_read_pending(void)
{
	pthread_mutex_lock(&loop_lock);
	CHECK_EQ(ffs_io_read(&io, FFS_EP_BULK_OUT, 64), 0);
	pthread_mutex_unlock(&loop_lock);
	usleep(20000);
	pthread_mutex_lock(&loop_lock);
	ffs_io_destroy(&io);   /* joins the thread blocked in read() */
	CHECK(io.out_thread == NULL);
	CHECK(io.ep[FFS_EP_BULK_OUT].buf == NULL);
	pthread_mutex_unlock(&loop_lock);
}

int main(void)
{
	int fds[FFS_EP_COUNT], sp[2], i;

	for (i = 0; i < FFS_EP_COUNT; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) < 0) {
			printf("not ok - socketpair\n");
			return 1;
		}
		fds[i] = sp[0];
		peer[i] = sp[1];
	}
	if (ffs_io_init(&io, fds, 4096) < 0) {
		printf("not ok - ffs_io_init\n");
		return 1;
	}
	RUN(write_then_reap);
	RUN(zero_length_write);
	RUN(read_into_own_buffer);
	RUN(errors_are_negative);
	RUN(stale_completions_dropped);
	ffs_io_destroy(&io);
	if (ffs_io_init(&io, fds, 4096) < 0) {
		printf("not ok - ffs_io_init (transfer thread)\n");
		return 1;
	}
	pthread_mutex_lock(&loop_lock);
	i = ffs_io_out_thread_start(&io, &ot, &loop_lock, done, after, NULL);
	pthread_mutex_unlock(&loop_lock);
	if (i < 0) {
		printf("not ok - ffs_io_out_thread_start: %s\n", strerror(-i));
		return 1;
	}
	RUN(thread_reads_and_hands_over);
	RUN(thread_read_cancelled);
	RUN(thread_stopped_with_a_read_pending);
	for (i = 0; i < FFS_EP_COUNT; i++) {
		close(fds[i]);
		close(peer[i]);
	}
	TAP_EXIT();
}
