/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bulk-OUT transfer thread: see ffs_io.h (ffs_io_out_thread_start).
 *
 * The thread sleeps on `armed` until ffs_io_read() asks for a read, reads
 * with blocking read() outside the lock, then handles the result under
 * the lock exactly as ffs_io_reap() would have (busy, stale, done()), and
 * calls after() so the next read, the answer's write and the timer start
 * without a trip through the loop.
 *
 * Cancelling: a read the loop no longer wants (ffs_io_cancel_all: DISABLE,
 * UNBIND, a new ENABLE, shutdown) is marked stale and interrupted with
 * SIGUSR1: f_fs's ffs_epfile_io() then dequeues its request and returns
 * -EINTR, or the data if it had already come (dropped as stale, as a
 * cancelled AIO read's would be). A signal sent just before the thread
 * enters read() would be lost, so the canceller repeats it until the
 * thread has left read() (in_read).
 *
 * The blocking write (ffs_io_write_sync): asked for under the lock, most
 * often by after() right behind a read's done(), and made before the next
 * read. ffs_io_interrupt_sync() and ffs_io_cancel_all() interrupt it with
 * the same signal, repeated until the thread has left write() (in_write).
 * What write() then returns, from the kernel's
 * drivers/usb/gadget/function/f_fs.c (Debian 12's 6.1; the same text since
 * the ep-safety fixes of 5.19, backported to the older stable trees):
 *   - ffs_epfile_write_iter() calls ffs_epfile_io() with a synchronous
 *     kiocb (io_data->aio false). O_NONBLOCK (the loop's AIO needs it on
 *     the same file) only changes two things there: "if (!ep) { if
 *     (file->f_flags & O_NONBLOCK) return -EAGAIN;" for a disabled
 *     endpoint, and ffs_mutex_lock(&epfile->mutex, O_NONBLOCK), a trylock
 *     of a mutex no other request holds (one request per endpoint). The
 *     wait for the host is "if (wait_for_completion_interruptible(
 *     &io_data->done))", with or without O_NONBLOCK: write() blocks until
 *     the host has taken the data.
 *   - Interrupted, it first checks "if (epfile->ep != ep) { ret =
 *     -ESHUTDOWN;": the endpoint was disabled meanwhile (the host is gone;
 *     its request was nuked). Otherwise "usb_ep_dequeue(ep->ep, req);
 *     ... wait_for_completion(&io_data->done); interrupted =
 *     io_data->status < 0;" then "if (interrupted) ret = -EINTR; ...
 *     else ret = io_data->status;". ffs_epfile_io_complete() sets status
 *     to req->status if non-zero, else to req->actual. So a request that
 *     completed before the dequeue returns its byte count (the host has
 *     the answer: it must not be sent again), and -EINTR means the dequeue
 *     took it back (-ECONNRESET in req->status).
 *   - A partial transfer would also come back as -EINTR (status is the
 *     dequeue's error, not req->actual). The daemon writes only messages
 *     of at most one packet (gadget_xfer.c): a packet is taken whole or
 *     not at all, and the same message is sent again by AIO.
 *
 * Whether -EINTR then means the host got nothing is the UDC driver's
 * usb_ep_dequeue() (Linux drivers/usb/gadget/udc/dummy_hcd.c and
 * drivers/usb/dwc2/gadget.c, read 2026-12-03; the same shape from 4.x to
 * 6.x):
 *   - dummy_hcd (the VM bed): dummy_queue() completes an IN request of at
 *     most FIFO_SIZE (64) bytes at once when the endpoint's queue and its
 *     one-request FIFO are empty ("implement an emulated single-request
 *     FIFO": status 0, actual = length), so such a write() returns its
 *     count before the host reads and no interrupt can take it back. Any
 *     other request stays on ep->queue until transfer(), run by the host
 *     side's timer under dum->lock, copies it into the host's URB and
 *     completes it in the same locked pass (a one-packet request whole);
 *     dummy_dequeue() takes the same lock, so it finds the request only
 *     while the host has none of it (-ECONNRESET), else -EINVAL and f_fs
 *     returns the count. On dummy_hcd -EINTR means the host got nothing.
 *   - dwc2 (the Raspberry Pi's UDC): dwc2_hsotg_ep_dequeue() takes
 *     hs->lock with interrupts off and, for a request still on the
 *     endpoint's list, stops the endpoint (dwc2_hsotg_ep_stop_xfr: NAK,
 *     wait for the NAK to take effect, disable, flush the TxFIFO) and
 *     completes it with dwc2_hsotg_complete_request(..., -ECONNRESET),
 *     without looking at what the core sent. A sent request is completed
 *     (taken off that list) only by dwc2_hsotg_complete_in(), from the
 *     XferCompl interrupt (dwc2_hsotg_epint), which reads DIEPTSIZ for
 *     req->actual. So a
 *     packet the host has already ACKed whose XferCompl is not handled yet
 *     (raised after the dequeue masked interrupts or before the NAK took
 *     effect; on a multi-core Pi, a handler waiting for hs->lock on
 *     another CPU) comes back as -ECONNRESET: f_fs returns -EINTR, the
 *     message goes again by AIO and the host gets the answer twice. The
 *     window is microseconds, and only a write interrupted by an ep0
 *     event or the tick bound (gadget_xfer.c) can fall in it, but on dwc2
 *     -EINTR means "most likely nothing", not "nothing". libccid's
 *     ReadUSB() drops an answer whose bSeq is older than the command's
 *     ("Duplicate frame detected"); other hosts are not known. This is why
 *     mode 2 is not the default (OUT_THREAD_DEFAULT, gadget/daemon/main.c).
 *     A cancelled write (stale: DISABLE, UNBIND, ENABLE, shutdown) is not
 *     sent again, so it cannot make a duplicate. */
#include "ffs_io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static void on_sigusr1(int sig)
{
	(void)sig;   /* only there to make read() return -EINTR */
}

/* The blocking write asked for by ffs_io_write_sync(), lock held on entry
 * and on return. */
static void blocking_write(struct ffs_io *io, struct ffs_out_thread *ot)
{
	struct ffs_ep_io *w = &io->ep[FFS_EP_BULK_IN];
	ssize_t n;
	long res = -EINTR;
	bool stale;

	if (!w->stale) {
		atomic_store(&ot->in_write, true);
		pthread_mutex_unlock(ot->lock);
		n = write(w->fd, ot->wbuf, ot->wlen);
		res = n < 0 ? -errno : n;
		atomic_store(&ot->in_write, false);
		pthread_mutex_lock(ot->lock);
	}
	stale = w->stale;
	w->busy = w->stale = w->sync = false;
	if (stale) {
		gadget_log(LOG_DEBUG, "ffs", "ep2: stale write %ld dropped",
			   res);
	} else {
		ot->done(ot->ctx, FFS_EP_BULK_IN, res);
	}
	ot->after(ot->ctx);
}

static void *out_thread_main(void *arg)
{
	struct ffs_io *io = arg;
	struct ffs_out_thread *ot = io->out_thread;
	struct ffs_ep_io *e = &io->ep[FFS_EP_BULK_OUT];
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	pthread_mutex_lock(ot->lock);
	while (!ot->quit) {
		size_t len;
		ssize_t n;
		long res;
		bool stale;

		if (ffs_io_sync_busy(io)) { /* the answer first */
			blocking_write(io, ot);
			continue;
		}
		if (!e->busy || e->stale) {
			/* nothing asked, or cancelled before it started */
			if (e->busy && e->stale) {
				e->busy = e->stale = false;
				ot->after(ot->ctx);
				continue;
			}
			pthread_cond_wait(&ot->armed, ot->lock);
			continue;
		}
		len = e->iocb.u.c.nbytes;
		atomic_store(&ot->in_read, true);
		pthread_mutex_unlock(ot->lock);
		n = read(e->fd, e->buf, len);
		res = n < 0 ? -errno : n;
		atomic_store(&ot->in_read, false);
		pthread_mutex_lock(ot->lock);
		stale = e->stale;
		e->busy = false;
		e->stale = false;
		if (stale) {
			gadget_log(LOG_DEBUG, "ffs", "ep1: stale read %ld "
				   "dropped", res);
			ot->after(ot->ctx);
			continue;
		}
		ot->done(ot->ctx, FFS_EP_BULK_OUT, res);
		ot->after(ot->ctx);
	}
	pthread_mutex_unlock(ot->lock);
	return NULL;
}

int ffs_io_out_thread_start(struct ffs_io *io, struct ffs_out_thread *ot,
			    pthread_mutex_t *lock, ffs_io_done_fn done,
			    void (*after)(void *ctx), void *ctx)
{
	struct sigaction sa;
	sigset_t usr1;
	int fd = io->ep[FFS_EP_BULK_OUT].fd, flags, ret;

	memset(ot, 0, sizeof(*ot));
	ot->lock = lock;
	ot->done = done;
	ot->after = after;
	ot->ctx = ctx;
	atomic_init(&ot->in_read, false);
	atomic_init(&ot->in_write, false);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;   /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return -errno;
	/* The thread alone uses bulk-OUT now: a blocking file. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return -errno;
	ret = pthread_cond_init(&ot->armed, NULL);
	if (ret)
		return -ret;
	/* SIGUSR1 only ever for the transfer thread: blocked elsewhere. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	io->out_thread = ot;
	ret = thread_create_sized(&ot->th, FFS_OUT_STACK, out_thread_main, io);
	if (ret) {
		io->out_thread = NULL;
		pthread_cond_destroy(&ot->armed);
		return -ret;
	}
	return 0;
}

/* Called by ffs_io_read() or ffs_io_write_sync() with the lock held: the
 * endpoint is busy with its request set. */
void ffs_out_thread_arm(struct ffs_io *io)
{
	pthread_cond_signal(&io->out_thread->armed);
}

/* Signal the thread until it has left the call `inside` says it is in. */
static void interrupt_call(struct ffs_out_thread *ot, atomic_bool *inside,
			   const char *what)
{
	struct timespec pause = { 0, 200 * 1000 };
	int i;

	pthread_cond_signal(&ot->armed);
	for (i = 0; i < 5000 && atomic_load(inside); i++) {
		pthread_kill(ot->th, SIGUSR1);
		nanosleep(&pause, NULL);
	}
	if (atomic_load(inside))
		gadget_log(LOG_WARNING, "ffs", "%s did not return in 1 s",
			   what);
}

/* With the lock held: make a read in progress return (see the top). */
void ffs_out_thread_interrupt(struct ffs_io *io)
{
	struct ffs_out_thread *ot = io->out_thread;

	interrupt_call(ot, &ot->in_read, "bulk-OUT read");
}

/* With the lock held: make a blocking write in progress return. */
void ffs_out_thread_interrupt_write(struct ffs_io *io)
{
	struct ffs_out_thread *ot = io->out_thread;

	interrupt_call(ot, &ot->in_write, "bulk-IN write");
}

/* With the lock held: stop and join the thread (the lock is released
 * while waiting). */
void ffs_out_thread_stop(struct ffs_io *io)
{
	struct ffs_out_thread *ot = io->out_thread;

	if (!ot)
		return;
	ot->quit = true;
	ffs_out_thread_interrupt(io);
	ffs_out_thread_interrupt_write(io);
	pthread_mutex_unlock(ot->lock);
	pthread_join(ot->th, NULL);
	pthread_mutex_lock(ot->lock);
	pthread_cond_destroy(&ot->armed);
	io->out_thread = NULL;
}
