/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Transfers on the CCID endpoints: see gadget_loop.h.
 *
 * At most one request is in flight per endpoint. A bulk-OUT read is sized
 * by the engine and armed only while it can take more; bulk-IN and
 * interrupt-IN messages are popped from the engine only when their write
 * (and the bulk ZLP after it) has completed: a write that fails is sent
 * again from the same message, its ZLP follows it, and --pcap records the
 * data the host got at completion. (Not for the kernel's sake: it copied
 * the data at submit, see ffs_io.h.)
 *
 * With p->sync_write (CCID_GADGET_OUT_THREAD=2), the bulk-OUT transfer
 * thread writes an answer itself with a blocking write() (sync_answer
 * says which), so the host's answer wakes no loop. While it waits for the
 * host to take it, the thread reads no command; a host that writes before
 * it reads (an Abort, a storm, a command for another slot) would wait for
 * us as we wait for it. So the loop interrupts the write on every ep0
 * event (gadget_loop.c: an Abort starts there; DISABLE, UNBIND and
 * ENABLE cancel it anyway) and after one to two ticks of the timer
 * (sync_write_tick), and the same message goes again by AIO. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "gadget_int.h"
#include "log.h"
#include "pcap_writer.h"

static const char *const ep_names[FFS_EP_COUNT] = {
	[FFS_EP_BULK_OUT] = "bulk-OUT",
	[FFS_EP_BULK_IN] = "bulk-IN",
	[FFS_EP_INTR_IN] = "interrupt-IN",
};

/* Errors that mean "the endpoint is disabled / the host went away": the
 * DISABLE or ENABLE event that follows sorts it out. */
static bool host_gone_error(int err)
{
	return err == -ESHUTDOWN || err == -ECONNRESET || err == -ENODEV ||
	       err == -EAGAIN;
}

static void ep_failed(struct gadget_loop *l, enum ffs_ep_index ep, int err,
		      const char *what)
{
	l->ep_down[ep] = true;
	gadget_log(host_gone_error(err) ? LOG_DEBUG : LOG_WARNING, "ffs",
		   "%s %s: %s (retry on the next enable or in %d ms)",
		   ep_names[ep], what, strerror(-err),
		   GADGET_RETRY_TICKS * CCID_TICK_MS);
}

static bool can_submit(struct gadget_loop *l, enum ffs_ep_index ep)
{
	return l->usb.enabled && !l->ep_down[ep] && !l->io.ep[ep].busy;
}

/* An ep0 event the loop has not read yet. FunctionFS re-enables the
 * endpoints for a new host session (bus reset, SET_CONFIGURATION) and only
 * then queues ENABLE (f_fs's ffs_func_set_alt); a DISABLE before it may be
 * merged away, so the loop can still think the old session is on. A read
 * submitted in that gap is the new session's and takes its first command,
 * which enable() then drops with the old session (ffs_io_cancel_all marks
 * the read stale; or the engine reset drops the command's answer): the
 * host waits for an answer that never comes. So nothing is submitted while
 * an event waits; ep0 is readable, so the loop reads it at once. */
static bool ep0_event_waiting(const struct gadget_loop *l)
{
	struct pollfd pfd;

	if (!l->p->fds)
		return false;
	pfd.fd = l->p->fds->ep0;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* The check above, made once per kick and only when something is about
 * to be submitted: most kicks (a write's completion, with the next read
 * already armed) submit nothing, and the poll() was a syscall per APDU
 * (bench/README.md, "Transport candidates"). */
struct ep0_check {
	bool done;
	bool waiting;
};

static bool ep0_blocks(const struct gadget_loop *l, struct ep0_check *c)
{
	if (!c->done) {
		c->waiting = ep0_event_waiting(l);
		c->done = true;
	}
	return c->waiting;
}

static void kick_out(struct gadget_loop *l, struct ep0_check *c)
{
	size_t n, cap = l->io.ep[FFS_EP_BULK_OUT].cap;
	int ret;

	if (!can_submit(l, FFS_EP_BULK_OUT) || !ccid_engine_out_ready(l->eng))
		return;
	/* bed trap 6 (tests/vm/README.md): one packet first, then the rest of dwLength
	 * rounded up to the packet size; the engine computes both. */
	n = ccid_engine_out_read_size(l->eng);
	if (n == 0 || ep0_blocks(l, c))
		return;
	if (n > cap)
		n = cap - cap % l->out_mps;
	ret = ffs_io_read(&l->io, FFS_EP_BULK_OUT, n);
	if (ret < 0)
		ep_failed(l, FFS_EP_BULK_OUT, ret, "read submit");
}

/* An answer the transfer thread writes itself: the engine gave it for the
 * command the thread has just read (in_sync_next: not a resend, not an
 * answer that came later from a card's worker), nothing else waits for
 * bulk-IN, and it is one short packet: no ZLP to follow, and a write that
 * is interrupted has sent all of it or nothing (ffs_out_thread.c). */
static bool sync_answer(const struct gadget_loop *l, const struct ccid_msg *msg)
{
	return l->in_sync_next && !l->in_resubmit && msg->len > 0 &&
	       msg->len <= l->in_mps && !msg->zlp &&
	       ccid_engine_bulk_in_queued(l->eng) == 1;
}

static void kick_bulk_in(struct gadget_loop *l, struct ep0_check *c)
{
	const struct ccid_msg *msg;
	bool sync;
	int ret;

	if (!can_submit(l, FFS_EP_BULK_IN))
		return;
	if (l->in_phase == IN_ZLP_DUE) {
		if (ep0_blocks(l, c))
			return;
		/* bed trap 7 (tests/vm/README.md): a reply that fills its last packet needs a
		 * zero-length packet to end the transfer. */
		ret = ffs_io_write(&l->io, FFS_EP_BULK_IN, NULL, 0);
		if (ret < 0)
			ep_failed(l, FFS_EP_BULK_IN, ret, "ZLP submit");
		else
			l->in_phase = IN_ZLP;
		return;
	}
	if (l->in_phase != IN_IDLE)
		return;
	msg = ccid_engine_peek_bulk_in(l->eng);
	if (!msg || ep0_blocks(l, c))
		return;
	sync = sync_answer(l, msg);
	gadget_log_hex(LOG_DEBUG, "ffs",
		       sync ? "bulk-IN (blocking write)" : "bulk-IN", msg->data,
		       msg->len);
	if (sync)
		ret = ffs_io_write_sync(&l->io, FFS_EP_BULK_IN, msg->data,
					msg->len);
	else
		ret = ffs_io_write(&l->io, FFS_EP_BULK_IN, msg->data, msg->len);
	if (ret < 0) {
		ep_failed(l, FFS_EP_BULK_IN, ret, "write submit");
		return;
	}
	l->in_phase = IN_DATA;
	if (sync) {
		l->sync_writes++;
		l->sync_timer = true;
	}
	if (l->in_resubmit)
		l->in_resubmit = false;
	else
		pcapw_in_submit(l->p->pcap, FFS_EP_BULK_IN, msg->len);
}

static void kick_intr_in(struct gadget_loop *l, struct ep0_check *c)
{
	const struct ccid_msg *msg;
	int ret;

	if (!can_submit(l, FFS_EP_INTR_IN))
		return;
	msg = ccid_engine_peek_intr_in(l->eng);
	if (!msg || ep0_blocks(l, c))
		return;
	gadget_log_hex(LOG_DEBUG, "ffs", "interrupt-IN", msg->data, msg->len);
	ret = ffs_io_write(&l->io, FFS_EP_INTR_IN, msg->data, msg->len);
	if (ret < 0)
		ep_failed(l, FFS_EP_INTR_IN, ret, "write submit");
	else
		pcapw_in_submit(l->p->pcap, FFS_EP_INTR_IN, msg->len);
}

static void update_timer(struct gadget_loop *l)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	bool want, down = false;
	int ep;

	for (ep = 0; ep < FFS_EP_COUNT; ep++)
		down |= l->ep_down[ep];
	want = l->usb.enabled &&
	       (down || ccid_engine_busy(l->eng) || l->sync_timer);
	if (want == l->timer_armed)
		return;
	if (want) {
		its.it_value.tv_nsec = CCID_TICK_MS * 1000000L;
		its.it_interval.tv_nsec = CCID_TICK_MS * 1000000L;
		l->retry_ticks = 0;
	}
	if (timerfd_settime(l->timerfd, 0, &its, NULL) < 0) {
		gadget_log(LOG_ERR, "loop", "timerfd: %s", strerror(errno));
		return;
	}
	l->timer_armed = want;
}

/* After every event: start what can start. */
void gadget_xfer_kick(struct gadget_loop *l)
{
	struct ep0_check c = { false, false };

	kick_intr_in(l, &c);
	kick_bulk_in(l, &c);
	l->in_sync_next = false; /* only the kick right after the read */
	kick_out(l, &c);
	update_timer(l);
}

static void out_done(struct gadget_loop *l, long res)
{
	const struct ffs_ep_io *e = &l->io.ep[FFS_EP_BULK_OUT];
	const uint8_t *buf = e->buf;
	size_t got = (size_t)res;
	unsigned queued = ccid_engine_bulk_in_queued(l->eng);

	gadget_log_hex(LOG_DEBUG, "ffs", "bulk-OUT", buf, got);
	/* a read at a message boundary has the command's header (the engine
	 * reads one packet first) */
	if (ccid_engine_out_idle(l->eng))
		gadget_cardout_command(l, buf, got);
	ccid_engine_bulk_out(l->eng, buf, got);
	/* A read comes back with less than it asked for only when a short
	 * packet ended the host's transfer. If what came is whole packets,
	 * that short packet was a zero-length one, hidden in this completion:
	 * the engine gets it as the empty chunk it stands for, or a message
	 * cut short there would wait for bytes that never come and swallow
	 * the host's next command (found by tests/vm/suites/21-random.sh). */
	if (got > 0 && l->out_mps && got < e->iocb.u.c.nbytes &&
	    got % l->out_mps == 0)
		ccid_engine_bulk_out(l->eng, buf, 0);
	/* the engine's framing says whether the host's transfer is over */
	pcapw_bulk_out(l->p->pcap, buf, got, ccid_engine_out_idle(l->eng));
	/* Answered at once, on the transfer thread (the only reader of
	 * bulk-OUT when it runs): the kick that follows may have the thread
	 * write it (sync_answer). */
	if (l->p->sync_write && l->io.out_thread && queued == 0 &&
	    l->in_phase == IN_IDLE && ccid_engine_bulk_in_queued(l->eng) == 1)
		l->in_sync_next = true;
}

static void bulk_in_done(struct gadget_loop *l, long res)
{
	const struct ccid_msg *msg = ccid_engine_peek_bulk_in(l->eng);

	if (l->in_phase == IN_DATA && msg) {
		pcapw_in_done(l->p->pcap, FFS_EP_BULK_IN, 0, msg->data,
			      (size_t)res);
		if ((size_t)res != msg->len)
			gadget_log(LOG_WARNING, "ffs", "bulk-IN wrote %ld of "
				   "%zu bytes", res, msg->len);
		else
			gadget_cardout_answer(l, msg->data, msg->len);
		if (msg->zlp) {
			l->in_phase = IN_ZLP_DUE;
			return;
		}
	}
	if (msg)
		ccid_engine_pop_bulk_in(l->eng);
	l->in_phase = IN_IDLE;
}

static void transfer_failed(struct gadget_loop *l, enum ffs_ep_index ep,
			    int err)
{
	if (err == -EINTR && ep == FFS_EP_BULK_IN) {
		/* an interrupted blocking write: the host has nothing and its
		 * URB waits on; the same message goes again, by AIO */
		l->in_resubmit = true;
		goto redo;
	}
	if (ep != FFS_EP_BULK_OUT)   /* the host's URB ends with the error */
		pcapw_in_done(l->p->pcap, ep, err, NULL, 0);
	if (err == -EINTR)   /* nothing happened on the bus: just redo it */
		goto redo;
	if (!host_gone_error(err) && ep != FFS_EP_BULK_OUT) {
		/* The host saw an error on this message: do not send it
		 * again and again; the host's own timeout recovers. */
		gadget_log(LOG_WARNING, "ffs", "%s: %s, message dropped",
			   ep_names[ep], strerror(-err));
		if (ep == FFS_EP_BULK_IN) {
			ccid_engine_pop_bulk_in(l->eng);
			l->in_phase = IN_IDLE;
		} else {
			ccid_engine_pop_intr_in(l->eng);
		}
		return;
	}
	ep_failed(l, ep, err, "transfer");
redo:
	/* Resend from where it stood: the message, or only its ZLP. */
	if (ep == FFS_EP_BULK_IN)
		l->in_phase = l->in_phase == IN_ZLP ? IN_ZLP_DUE : IN_IDLE;
}

/* One completion from ffs_io_reap(); res is bytes or -errno. */
void gadget_xfer_done(void *ctx, enum ffs_ep_index ep, long res)
{
	struct gadget_loop *l = ctx;

	if (res < 0) {
		transfer_failed(l, ep, (int)res);
		return;
	}
	switch (ep) {
	case FFS_EP_BULK_OUT:
		out_done(l, res);
		break;
	case FFS_EP_BULK_IN:
		bulk_in_done(l, res);
		break;
	case FFS_EP_INTR_IN: {
		const struct ccid_msg *msg = ccid_engine_peek_intr_in(l->eng);

		if (msg) {
			pcapw_in_done(l->p->pcap, FFS_EP_INTR_IN, 0, msg->data,
				      (size_t)res);
			ccid_engine_pop_intr_in(l->eng);
		}
		break;
	}
	default:
		break;
	}
}

/* A blocking write the host has not taken for a whole tick (100 to 200 ms
 * since it started): interrupt it, the same message goes again by AIO and
 * the thread reads again. A host that reads its answer at once (libccid
 * reads right after its write) takes it within a few of dummy_hcd's 4 ms
 * frames, or 1 ms on a real bus; one that has not after 100 ms is doing
 * something else first, and 200 ms once is well inside its timeouts
 * (seconds) while a tick costs nothing per APDU: the timer ticks on
 * while writes follow each other and stops at the first tick with no
 * write since the one before. (Stopping it at every tick that found no
 * write in progress, as before, cost two timerfd_settime calls per tick
 * in a run of APDUs, each write arming it again: bench/README.md,
 * "Transport candidates".) */
static void sync_write_tick(struct gadget_loop *l)
{
	bool busy = ffs_io_sync_busy(&l->io);

	if (l->sync_seen == l->sync_writes) {
		if (busy) {
			gadget_log(LOG_DEBUG, "ffs",
				   "the host did not take the answer in a "
				   "tick: interrupted, it goes by AIO");
			ffs_io_interrupt_sync(&l->io);
		} else {
			l->sync_timer = false;
		}
	}
	l->sync_seen = l->sync_writes;
}

/* The timer: retry failed endpoints, send time extensions, bound a
 * blocking write. */
void gadget_xfer_tick(struct gadget_loop *l)
{
	uint64_t expirations;
	int ep;

	if (read(l->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	sync_write_tick(l);
	if (++l->retry_ticks >= GADGET_RETRY_TICKS) {
		l->retry_ticks = 0;
		for (ep = 0; ep < FFS_EP_COUNT; ep++)
			l->ep_down[ep] = false;
	}
	if (l->usb.enabled && ccid_engine_busy(l->eng))
		ccid_engine_tick(l->eng);
}
