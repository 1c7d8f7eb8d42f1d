/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's event loop: see gadget_loop.h.
 *
 * Plain on purpose (the shape of the kernel's tools/usb/ffs-aio-example):
 * wait, handle what is ready (ep0 events in gadget_events.c, completed
 * transfers in gadget_xfer.c), then "kick": start whatever transfer can
 * start now, and arm or disarm the timer. */
#include "gadget_loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "gadget_int.h"
#include "log.h"

enum tag {
	TAG_EP0 = 1,
	TAG_AIO,
	TAG_TIMER,
	TAG_CARDOUT,
	TAG_SIGNAL,
	TAG_CTL_LISTEN,
	TAG_CTL_CONN, /* + index in the low 32 bits */
	TAG_CARD,     /* + slot in the low 32 bits */
};

#define TAG(t, i) (((uint64_t)(t) << 32) | (uint32_t)(i))

int gadget_signals_block(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);   /* a ctl client that hung up */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int watch(struct gadget_loop *l, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

static void handle_ep0(struct gadget_loop *l)
{
	struct usb_functionfs_event ev[4];
	int n, i;

	/* The transfer thread's blocking write of an answer, if any, goes
	 * back to AIO: the host may want bulk-OUT before it reads bulk-IN
	 * (an Abort starts with its control request; gadget_xfer.c). */
	ffs_io_interrupt_sync(&l->io);
	n = ffs_ep0_read_events(l->p->fds->ep0, ev, 4);
	if (n < 0) {
		gadget_log(LOG_ERR, "ffs", "reading ep0: %s (FunctionFS "
			   "instance gone?)", strerror(-n));
		l->fatal = n;
		return;
	}
	for (i = 0; i < n; i++)
		gadget_event(l, &ev[i]);
}

/* ---- what the cards want of the UDC ---- */

bool gadget_cards_want_usb(struct vcg_card *const *cards, unsigned nslots)
{
	bool any_card = false;

	for (unsigned i = 0; i < nslots; i++) {
		if (!cards[i])
			continue;
		any_card = true;
		if (vcg_card_wants_usb(cards[i]))
			return true;
	}
	return !any_card;
}

/* Bind or unbind the UDC when what the cards want changed, as QEMU's
 * usb-ccid attaches on a passthru client's VSC_ReaderAdd. */
static void follow_cards(struct gadget_loop *l)
{
	bool want = gadget_cards_want_usb(l->p->cards, l->p->nslots);
	const struct gadget_attach *a = l->p->attach;
	char err[256];

	if (want == l->usb_wanted)
		return;
	l->usb_wanted = want;
	if (!a) {
		gadget_log(LOG_NOTICE, "cfs", "the cards want the reader %s: "
			   "%s the UDC yourself (--ffs)", want ? "attached" :
			   "detached", want ? "bind" : "unbind");
		return;
	}
	if (!want) {
		if (a->unbind(a->ctx, err, sizeof(err)) < 0)
			gadget_log(LOG_ERR, "cfs", "%s", err);
		else
			gadget_log(LOG_NOTICE, "cfs", "reader detached from %s "
				   "(no passthru reader)", a->udc);
	} else if (a->bind(a->ctx, err, sizeof(err)) < 0) {
		gadget_log(LOG_ERR, "cfs", "%s", err);
	} else {
		gadget_log(LOG_NOTICE, "cfs", "reader attached to %s",
			   a->udc);
	}
}

/* ---- the other fds ---- */

static void handle_signal(struct gadget_loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	gadget_log(LOG_NOTICE, "loop", "%s: %s", strsignal((int)si.ssi_signo),
		   l->stop ? "again" : "shutting down");
	if (gadget_cardout_signal(l) &&
	    watch(l, l->cardout.wake_fd, TAG(TAG_CARDOUT, 0)) < 0)
		gadget_log(LOG_WARNING, "loop",
			   "stop: epoll: %s (the bound still ends the wait)",
			   strerror(errno));
}

static int ctl_exec(void *ctx, const char *line, FILE *out, const char **why)
{
	struct gadget_loop *l = ctx;

	return gadget_ctl_exec(l->p, &l->usb, line, out, why);
}

static void handle_ctl_listen(struct gadget_loop *l)
{
	struct gadget_ctl_conn *c;

	c = gadget_ctl_accept(l->p->ctl_fd, l->conns, GADGET_CTL_CLIENTS);
	if (c && watch(l, c->fd, TAG(TAG_CTL_CONN, c - l->conns)) < 0)
		gadget_ctl_conn_close(c);
}

static void dispatch(struct gadget_loop *l, uint64_t tag)
{
	uint32_t idx = (uint32_t)tag;
	int ret;

	switch ((enum tag)(tag >> 32)) {
	case TAG_EP0:
		handle_ep0(l);
		break;
	case TAG_AIO:
		ret = ffs_io_reap(&l->io, gadget_xfer_done, l);
		if (ret < 0)
			gadget_log(LOG_ERR, "ffs", "io_getevents: %s",
				   strerror(-ret));
		break;
	case TAG_TIMER:
		gadget_xfer_tick(l);
		break;
	case TAG_SIGNAL:
		handle_signal(l);
		break;
	case TAG_CTL_LISTEN:
		handle_ctl_listen(l);
		break;
	case TAG_CTL_CONN:
		/* Closing the fd also takes it out of the epoll set. */
		if (idx < GADGET_CTL_CLIENTS && l->conns[idx].fd >= 0)
			gadget_ctl_conn_readable(&l->conns[idx], ctl_exec, l);
		break;
	case TAG_CARD:
		if (idx < l->p->nslots && l->p->cards[idx]) {
			vcg_card_dispatch(l->p->cards[idx]);
			follow_cards(l);
		}
		break;
	case TAG_CARDOUT:
		/* the host looked, seen by the transfer thread
		 * (gadget_cardout.c): gadget_cardout_check() drains it */
		break;
	}
}

/* ---- set-up and the loop ---- */

/* The transfer thread's "after": what the loop does after an event. */
static void kick_from_thread(void *ctx)
{
	gadget_xfer_kick(ctx);
}

/* Everything the loop waits on, in its epoll set. */
static int gadget_loop_watch_fds(struct gadget_loop *l)
{
	unsigned i;
	int ret, fd;

	ret = watch(l, l->p->fds->ep0, TAG(TAG_EP0, 0));
	if (!ret)
		ret = watch(l, l->io.evfd, TAG(TAG_AIO, 0));
	if (!ret)
		ret = watch(l, l->timerfd, TAG(TAG_TIMER, 0));
	if (!ret)
		ret = watch(l, l->sigfd, TAG(TAG_SIGNAL, 0));
	if (!ret && l->p->ctl_fd >= 0)
		ret = watch(l, l->p->ctl_fd, TAG(TAG_CTL_LISTEN, 0));
	for (i = 0; !ret && i < l->p->nslots; i++) {
		if (!l->p->cards[i])
			continue;
		fd = vcg_card_fd(l->p->cards[i]);
		if (fd >= 0)
			ret = watch(l, fd, TAG(TAG_CARD, i));
	}
	return ret;
}

static int loop_open(struct gadget_loop *l)
{
	sigset_t set;
	int ret;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->timerfd < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -errno;
	ret = ffs_io_init(&l->io, l->p->fds->ep, l->p->out_buf_len);
	if (ret < 0)
		return ret;
	if (l->p->out_thread) {
		ret = ffs_io_out_thread_start(&l->io, &l->out_thread, &l->lock,
					      gadget_xfer_done,
					      kick_from_thread, l);
		if (ret < 0)
			return ret;
		if (l->p->sync_write)
			gadget_log(LOG_INFO, "ffs",
				   "bulk-OUT: transfer thread, blocking reads; "
				   "bulk-IN: it writes one-packet answers, "
				   "blocking write()");
		else
			gadget_log(LOG_INFO, "ffs",
				   "bulk-OUT: transfer thread, blocking reads");
	}

	return gadget_loop_watch_fds(l);
}

static void loop_close(struct gadget_loop *l)
{
	int i;

	for (i = 0; i < GADGET_CTL_CLIENTS; i++)
		gadget_ctl_conn_close(&l->conns[i]);
	ffs_io_destroy(&l->io);
	gadget_cardout_close(&l->cardout);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->epfd >= 0)
		close(l->epfd);
}

/* Serve the host until a signal (and the card-out wait after it:
 * gadget_cardout.c) or a fatal error. Called and returns with the lock. */
static void gadget_loop_serve(struct gadget_loop *l)
{
	struct epoll_event evs[16];
	int i, n;

	while (!l->fatal && (!l->stop || gadget_cardout_waiting(l))) {
		pthread_mutex_unlock(&l->lock);
		n = epoll_wait(l->epfd, evs, 16, gadget_cardout_timeout_ms(l));
		pthread_mutex_lock(&l->lock);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			l->fatal = -errno;
			gadget_log(LOG_ERR, "loop", "epoll_wait: %s",
				   strerror(errno));
			break;
		}
		for (i = 0; i < n && !l->fatal; i++)
			dispatch(l, evs[i].data.u64);
		gadget_xfer_kick(l);
		gadget_cardout_check(l);
	}
}

int gadget_loop_run(const struct gadget_loop_params *p)
{
	struct gadget_loop l;
	int i, ret;

	memset(&l, 0, sizeof(l));
	l.p = p;
	l.eng = p->eng;
	l.epfd = l.timerfd = l.sigfd = -1;
	l.io.evfd = -1;
	l.out_mps = l.in_mps = 64;
	l.usb_wanted = gadget_cards_want_usb(p->cards, p->nslots);
	for (i = 0; i < GADGET_CTL_CLIENTS; i++)
		l.conns[i].fd = -1;

	pthread_mutex_init(&l.lock, NULL);
	pthread_mutex_lock(&l.lock);
	ret = loop_open(&l);
	if (ret < 0) {
		gadget_log(LOG_ERR, "loop", "set-up: %s", strerror(-ret));
		loop_close(&l);
		pthread_mutex_unlock(&l.lock);
		pthread_mutex_destroy(&l.lock);
		return ret;
	}
	gadget_log(LOG_INFO, "loop", "running");
	gadget_loop_serve(&l);
	if (p->on_stop)
		p->on_stop(p->on_stop_ctx);
	gadget_host_gone(&l);
	loop_close(&l);   /* joins the transfer thread */
	pthread_mutex_unlock(&l.lock);
	pthread_mutex_destroy(&l.lock);
	return l.fatal;
}
