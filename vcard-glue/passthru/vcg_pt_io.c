/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's socket half and its backend entry points: see
 * vcg_pt.h. Everything runs on the loop thread, non-blocking, behind one
 * epoll fd (listening socket, connections in their handshake, the
 * admitted client's socket, the timer, a wake-up eventfd).
 *
 * One client at a time per card holds the slot (vcg_pt_accept.c admits
 * it); a second connection gets VSC_Init and VSC_Error "cannot add more
 * readers" and is closed (each slot has its own listen=, so several
 * clients use several slots). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vcg_pt.h"
#include "vcg_spice_abi.h"
#include "vcg_stream.h"
#include "mono_ms.h"
#include "vcg_tls.h"

/* recv() calls per dispatch, at most (with VCG_PT_READ_BUDGET): a TLS
 * client sending tiny records costs a decryption each. */
#define READ_CALLS_MAX 16

/* An admitted client that has not sent its Init yet. */
static bool awaiting_hello(const struct vcg_pt *pt)
{
	return pt->conn != NULL && !pt->got_init;
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
	return a == 0 || (b != 0 && b < a) ? b : a;
}

static void arm_timer(struct vcg_pt *pt)
{
	struct itimerspec its = { 0 };
	uint64_t next = earlier(vcg_pt_next_deadline(pt),
				vcg_pt_hs_next_deadline(pt));

	next = earlier(next, vcg_pt_log_next_due(pt));

	if (awaiting_hello(pt))
		next = earlier(next, pt->hello_deadline_ms);
	if (next != 0) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000L;
	}
	if (timerfd_settime(pt->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: timerfd_settime: %s",
			 pt->slot, strerror(errno));
}

/* EPOLLOUT only while something waits to be written. */
static void watch_conn(struct vcg_pt *pt)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = VCG_PT_EV_CONN };
	bool out;

	if (pt->conn == NULL)
		return;
	out = pt->out != NULL && vcg_stream_wants_write(pt->conn);
	if (out == pt->conn_out_watched)
		return;
	if (out)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(pt->epfd, EPOLL_CTL_MOD, pt->conn->fd, &ev) == 0)
		pt->conn_out_watched = out;
}

static void drop_conn(struct vcg_pt *pt, const char *why)
{
	if (pt->conn == NULL)
		return;
	vcg_pt_logk(pt, VCG_PT_LOG_CONN, LOG_NOTICE,
		    "passthru slot %u: %s disconnected: %s",
		    pt->slot, pt->conn->peer, why);
	epoll_ctl(pt->epfd, EPOLL_CTL_DEL, pt->conn->fd, NULL);
	vcg_stream_free(pt->conn);
	pt->conn = NULL;
	pt->conn_out_watched = false;
	pt->conn_broken = false;
	pt->broken_why = NULL;
	vcg_pt_disconnected(pt);
	arm_timer(pt);
}

/* Send queued messages, each with one send() (a plain socket that takes
 * part of one gets the rest next time; TLS takes all or nothing). */
static void flush(struct vcg_pt *pt)
{
	while (pt->out != NULL && !pt->conn_broken) {
		struct vcg_pt_msg *m = pt->out;
		ssize_t n = vcg_stream_send(pt->conn, m->data + m->off,
					    m->len - m->off);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			/* Dropped by dispatch, never from inside an engine
			 * callback (kick runs in transmit). */
			vcg_pt_io_break(pt, NULL);
			break;
		}
		m->off += (size_t)n;
		if (m->off < m->len)
			continue;
		pt->out = m->next;
		if (pt->out == NULL)
			pt->out_tail = &pt->out;
		pt->out_bytes -= m->len;
		free(m);
	}
}

/* Make the card's fd readable, so that the loop dispatches us even when
 * no socket is ready. */
static void wake(struct vcg_pt *pt)
{
	uint64_t one = 1;

	if (pt->wakefd >= 0 && write(pt->wakefd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: eventfd: %s",
			 pt->slot, strerror(errno));
}

void vcg_pt_io_break(struct vcg_pt *pt, const char *why)
{
	if (pt->conn_broken)
		return;   /* the first reason is the one logged */
	pt->conn_broken = true;
	pt->broken_why = why;
	wake(pt);
}

void vcg_pt_io_kick(struct vcg_pt *pt)
{
	/* SPICE: the server reads at the next dispatch, never from inside
	 * an engine callback. */
	if (pt->spice != NULL && pt->out != NULL)
		wake(pt);
	if (pt->conn != NULL) {
		flush(pt);
		watch_conn(pt);
	}
	if (pt->tfd >= 0)
		arm_timer(pt);
}

void vcg_pt_io_admit(struct vcg_pt *pt, struct vcg_stream *s,
		     uint64_t hello_deadline_ms)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = VCG_PT_EV_CONN };

	if (epoll_ctl(pt->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: epoll_ctl: %s",
			 pt->slot, strerror(errno));
		vcg_stream_free(s);
		return;
	}
	pt->conn = s;
	pt->conn_out_watched = false;
	pt->conn_broken = false;
	pt->broken_why = NULL;
	pt->hello_deadline_ms = hello_deadline_ms;
	vcg_pt_logk(pt, VCG_PT_LOG_CONN, LOG_NOTICE,
		    "passthru slot %u: %s connected%s",
		    pt->slot, s->peer, pt->tls ? " (TLS)" : "");
	vcg_pt_connected(pt, s->peer);
	vcg_pt_io_kick(pt);
}

/* ---- reading ---- */

/* At most VCG_PT_READ_BUDGET bytes in READ_CALLS_MAX calls, then back to
 * the loop: a client streaming messages (Flush after Flush) would keep
 * USB, time extensions and ctl waiting. What is left is read at the next
 * dispatch: the socket stays readable; bytes a TLS stream has already
 * decrypted do not make it readable, so the eventfd stands in for them. */
static void on_readable(struct vcg_pt *pt)
{
	uint8_t buf[VCG_PT_READ_BUDGET];
	size_t budget = sizeof(buf);

	for (unsigned calls = 0;; calls++) {
		ssize_t n;
		int rc;

		if (budget == 0 || calls == READ_CALLS_MAX) {
			if (vcg_stream_pending(pt->conn))
				wake(pt);
			break;
		}
		n = vcg_stream_recv(pt->conn, buf, budget);
		if (n == -EAGAIN) {
			if (vcg_stream_pending(pt->conn))
				continue;
			break;
		}
		if (n == 0) {
			drop_conn(pt, "the client closed the connection");
			return;
		}
		if (n < 0) {
			drop_conn(pt, pt->conn->why[0] ? pt->conn->why : strerror((int)-n));
			return;
		}
		budget -= (size_t)n;
		rc = vcg_pt_feed(pt, buf, (size_t)n);
		if (rc < 0) {
			char why[160];

			snprintf(why, sizeof(why), "protocol error: %s (%s)",
				 pt->why, strerror(-rc));
			drop_conn(pt, why);
			return;
		}
		if (pt->conn_broken)
			break;
	}
	vcg_pt_io_kick(pt);
}

static void on_conn(struct vcg_pt *pt, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(pt);
	if (pt->conn != NULL && (events & EPOLLOUT))
		vcg_pt_io_kick(pt);
}

static void on_timer(struct vcg_pt *pt)
{
	uint64_t expirations, now;

	if (read(pt->tfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: timerfd: %s",
			 pt->slot, strerror(errno));
	/* one reading of the clock for every deadline of this tick */
	now = mono_ms();
	vcg_pt_log_flush(pt, now);
	vcg_pt_hs_expire(pt, now);
	if (awaiting_hello(pt) && now >= pt->hello_deadline_ms) {
		drop_conn(pt, "no VSC_Init within 10 s");
		return;
	}
	vcg_pt_expire(pt, now);
	arm_timer(pt);
}

static void on_wake(struct vcg_pt *pt)
{
	uint64_t count;

	if (read(pt->wakefd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: eventfd: %s",
			 pt->slot, strerror(errno));
	vcg_pt_spice_service(pt);
	/* Decrypted bytes left behind by a read budget. */
	if (pt->conn != NULL && !pt->conn_broken &&
	    vcg_stream_pending(pt->conn))
		on_readable(pt);
}

static void pt_dispatch(void *impl)
{
	struct vcg_pt *pt = impl;
	struct epoll_event evs[8];
	int n = epoll_wait(pt->epfd, evs, 8, 0);
	bool accept_one = false;

	for (int i = 0; i < n; i++) {
		uint32_t what = evs[i].data.u32;

		switch (what) {
		case VCG_PT_EV_LISTEN:
			/* Last: an accept may reuse a place whose old
			 * connection still has an event in evs. */
			accept_one = true;
			break;
		case VCG_PT_EV_TIMER:
			on_timer(pt);
			break;
		case VCG_PT_EV_CONN:
			if (pt->conn != NULL)
				on_conn(pt, evs[i].events);
			break;
		case VCG_PT_EV_WAKE:
			on_wake(pt);
			break;
		default:
			if (what & VCG_SPICE_EV_FLAG)
				vcg_pt_spice_event(pt, what, evs[i].events);
			else if (what >= VCG_PT_EV_HS0)
				vcg_pt_hs_event(pt, what - VCG_PT_EV_HS0,
						evs[i].events);
			break;
		}
		if (pt->conn != NULL && pt->conn_broken)
			drop_conn(pt, pt->broken_why ? pt->broken_why :
				  pt->conn->why[0] ? pt->conn->why : "send failed");
	}
	if (accept_one)
		vcg_pt_accept(pt);
}

/* ---- the backend ---- */

static void pt_destroy(void *impl)
{
	struct vcg_pt *pt = impl;

	if (pt == NULL)
		return;
	ccid_engine_attach_card(pt->eng, pt->slot, NULL, NULL);
	if (pt->conn != NULL) {
		vcg_stream_free(pt->conn);
		pt->conn = NULL;
	}
	vcg_pt_hs_free_all(pt);
	vcg_pt_spice_stop(pt);
	if (pt->lfd >= 0) {
		close(pt->lfd);
		if (pt->cfg.unix_socket)
			unlink(pt->cfg.path);
	}
	if (pt->tfd >= 0)
		close(pt->tfd);
	if (pt->wakefd >= 0)
		close(pt->wakefd);
	if (pt->epfd >= 0)
		close(pt->epfd);
	vcg_tls_server_free(pt->tls);
	vcg_pt_proto_free(pt);
	free(pt);
}

static int watch_fd(struct vcg_pt *pt, int fd, uint32_t what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = what };

	return epoll_ctl(pt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int pt_create(struct vcg_spec *spec, struct ccid_engine *eng,
		     unsigned slot, const struct vcg_log *log, void **impl,
		     char *err, size_t errlen)
{
	char why[512] = "";
	struct vcg_pt *pt;
	int rc;

	pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		return vcg_spec_fail(spec, err, errlen, "out of memory");
	pt->eng = eng;
	pt->slot = slot;
	pt->log = log;
	pt->now_ms = mono_ms;
	pt->epfd = pt->lfd = pt->tfd = pt->wakefd = -1;
	rc = vcg_pt_config_from_spec(spec, &pt->cfg, err, errlen);
	if (rc < 0)
		goto fail;
	rc = vcg_pt_proto_init(pt);
	if (rc < 0) {
		vcg_spec_fail(spec, err, errlen, "out of memory");
		goto fail;
	}
	if (pt->cfg.tls_creds[0]) {
		pt->tls = vcg_tls_server_new(pt->cfg.tls_creds,
					     pt->cfg.tls_allow[0] ? pt->cfg.tls_allow : NULL,
					     why, sizeof(why));
		if (pt->tls == NULL) {
			rc = vcg_spec_fail(spec, err, errlen, "%s", why);
			goto fail;
		}
	}
	pt->epfd = epoll_create1(EPOLL_CLOEXEC);
	pt->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	pt->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pt->epfd < 0 || pt->tfd < 0 || pt->wakefd < 0) {
		rc = vcg_spec_fail(spec, err, errlen, "epoll/timerfd/eventfd: %s",
				   strerror(errno));
		goto fail;
	}
	rc = pt->cfg.spice ? vcg_pt_spice_start(pt, why, sizeof(why))
			   : vcg_pt_listen(pt, why, sizeof(why));
	if (rc < 0) {
		/* The socket's own line: the address is in it. */
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	rc = pt->cfg.spice ? 0 : watch_fd(pt, pt->lfd, VCG_PT_EV_LISTEN);
	if (!rc)
		rc = watch_fd(pt, pt->tfd, VCG_PT_EV_TIMER);
	if (!rc)
		rc = watch_fd(pt, pt->wakefd, VCG_PT_EV_WAKE);
	if (!rc)
		rc = ccid_engine_attach_card(eng, slot, &vcg_pt_card_ops, pt);
	if (rc < 0) {
		vcg_spec_fail(spec, err, errlen, "cannot attach to slot %u: %s", slot,
			      strerror(-rc));
		goto fail;
	}
	*impl = pt;
	return 0;
fail:
	ccid_engine_attach_card(eng, slot, NULL, NULL);
	pt_destroy(pt);
	return rc < 0 ? rc : -EINVAL;
}

static int pt_fd(const void *impl)
{
	const struct vcg_pt *pt = impl;

	return pt->epfd;
}

static int pt_set_present(void *impl, bool present)
{
	(void)impl;
	(void)present;
	/* The client inserts and removes a passthru card (its "insert" and
	 * "remove" commands). */
	return -EOPNOTSUPP;
}

static const char *pt_describe(const void *impl)
{
	const struct vcg_pt *pt = impl;

	return pt->describe;
}

static bool pt_wants_usb(const void *impl)
{
	return vcg_pt_wants_usb(impl);
}

const struct vcg_backend vcg_passthru_backend = {
	.driver = "passthru",
	.keys = vcg_pt_keys,
	.create = pt_create,
	.destroy = pt_destroy,
	.fd = pt_fd,
	.dispatch = pt_dispatch,
	.set_present = pt_set_present,
	.describe = pt_describe,
	.wants_usb = pt_wants_usb,
};
