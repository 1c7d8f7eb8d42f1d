/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's way in: the listening socket, accepting, and the
 * connections not admitted yet (see vcg_pt.h). On the loop thread.
 *
 * A connection gets the slot only once its handshake is done: with TLS,
 * the client's certificate has been checked (tls-allow included); plain,
 * at once. Until then it waits in one of VCG_PT_MAX_HANDSHAKES places for
 * at most HELLO_TIMEOUT_MS. When every place is taken, a newcomer replaces
 * the oldest connection that has sent nothing yet, or else the oldest. So
 * connections that connect and say nothing (a port scanner, or someone
 * holding the port against the real client: connect, wait for the 10 s
 * drop, reconnect) cost one place each, never the slot, and a client that
 * starts its handshake at once is never the one replaced while silent
 * ones wait. Once one is admitted the others are refused: one client per
 * listen= (each slot has its own). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "vcg_pt.h"
#include "vcg_stream.h"
#include "mono_ms.h"
#include "vcg_tls.h"

#define LISTEN_BACKLOG 4
/* TCP keepalive finds a client that vanished without a FIN (a laptop
 * closed mid-session) within about 25 s, so a reconnecting client is not
 * refused for long. */
#define KEEPALIVE_IDLE_S 10
#define KEEPALIVE_INTVL_S 5
#define KEEPALIVE_COUNT 3

static void peer_name(int fd, bool unix_socket, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (unix_socket) {
		snprintf(out, outlen, "unix client");
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "client");
		return;
	}
	snprintf(out, outlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

static void tune_tcp(int fd)
{
	int one = 1, idle = KEEPALIVE_IDLE_S, intvl = KEEPALIVE_INTVL_S,
	    cnt = KEEPALIVE_COUNT;

	/* One write per message is only worth it without Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* A second client: tell it why, close. Best effort, one send each. */
static void refuse(struct vcg_pt *pt, int fd, const char *peer)
{
	static const uint32_t caps[1] = { 0 };
	uint8_t buf[64];
	int n;

	vcg_pt_logk(pt, VCG_PT_LOG_REFUSED, LOG_WARNING,
		    "passthru slot %u: %s refused: %s already has this slot (one client per listen=)",
		    pt->slot, peer, pt->conn->peer);
	if (!pt->tls) {
		n = vsc_encode_init(buf, sizeof(buf), VSC_READER_UNDEFINED, caps, 1);
		if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			n = -1;
		n = vsc_encode_error(buf, sizeof(buf), VSC_READER_UNDEFINED,
				     VSC_ERR_CANNOT_ADD_MORE_READERS);
		if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			n = -1;
	}
	close(fd);
}

/* ---- connections in their handshake ---- */

/* EPOLLOUT only while the handshake waits to write. */
static void hs_watch(struct vcg_pt *pt, unsigned i)
{
	struct vcg_pt_hs *h = &pt->hs[i];
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = VCG_PT_EV_HS0 + i };
	bool out = vcg_stream_wants_write(h->s);

	if (out == h->out_watched)
		return;
	if (out)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(pt->epfd, EPOLL_CTL_MOD, h->s->fd, &ev) == 0)
		h->out_watched = out;
}

static void hs_close(struct vcg_pt *pt, unsigned i)
{
	struct vcg_pt_hs *h = &pt->hs[i];

	epoll_ctl(pt->epfd, EPOLL_CTL_DEL, h->s->fd, NULL);
	vcg_stream_free(h->s);
	memset(h, 0, sizeof(*h));
}

static void hs_drop(struct vcg_pt *pt, unsigned i, const char *why)
{
	if (pt->hs[i].s == NULL)
		return;
	vcg_pt_logk(pt, VCG_PT_LOG_REFUSED, LOG_NOTICE,
		    "passthru slot %u: %s dropped before its handshake was done: %s",
		    pt->slot, pt->hs[i].s->peer, why);
	hs_close(pt, i);
}

/* The place for a new connection: a free one, else the oldest silent
 * one's, else the oldest one's. */
static unsigned hs_place(const struct vcg_pt *pt)
{
	unsigned best = 0;
	bool best_heard = true;
	uint64_t best_seq = UINT64_MAX;

	for (unsigned i = 0; i < VCG_PT_MAX_HANDSHAKES; i++) {
		const struct vcg_pt_hs *h = &pt->hs[i];

		if (h->s == NULL)
			return i;
		if ((best_heard && !h->heard) ||
		    (best_heard == h->heard && h->seq < best_seq)) {
			best = i;
			best_heard = h->heard;
			best_seq = h->seq;
		}
	}
	return best;
}

static void hs_step(struct vcg_pt *pt, unsigned i)
{
	struct vcg_pt_hs *h = &pt->hs[i];
	struct vcg_stream *s;
	uint64_t deadline;
	int rc = vcg_stream_handshake(h->s);

	if (rc == -EAGAIN) {
		hs_watch(pt, i);
		return;
	}
	if (rc < 0) {
		char why[sizeof(h->s->why) + 16];

		snprintf(why, sizeof(why), "TLS: %s", h->s->why[0] ?
			 h->s->why : strerror(-rc));
		hs_drop(pt, i, why);
		return;
	}
	if (pt->conn != NULL) {
		hs_drop(pt, i, "another client has the slot (one client per listen=)");
		return;
	}
	/* Admitted: the connection leaves its place for the slot. */
	s = h->s;
	deadline = h->deadline_ms;
	epoll_ctl(pt->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	memset(h, 0, sizeof(*h));
	vcg_pt_io_admit(pt, s, deadline);
	for (unsigned j = 0; j < VCG_PT_MAX_HANDSHAKES; j++)
		hs_drop(pt, j, "another client has the slot (one client per listen=)");
}

void vcg_pt_hs_event(struct vcg_pt *pt, unsigned i, uint32_t events)
{
	if (i >= VCG_PT_MAX_HANDSHAKES || pt->hs[i].s == NULL)
		return;
	if (events & EPOLLIN)
		pt->hs[i].heard = true;
	hs_step(pt, i);
}

void vcg_pt_hs_expire(struct vcg_pt *pt, uint64_t now_ms)
{
	for (unsigned i = 0; i < VCG_PT_MAX_HANDSHAKES; i++)
		if (pt->hs[i].s != NULL && pt->hs[i].deadline_ms <= now_ms)
			hs_drop(pt, i, "no TLS handshake within 10 s");
}

uint64_t vcg_pt_hs_next_deadline(const struct vcg_pt *pt)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < VCG_PT_MAX_HANDSHAKES; i++)
		if (pt->hs[i].s != NULL &&
		    (next == 0 || pt->hs[i].deadline_ms < next))
			next = pt->hs[i].deadline_ms;
	return next;
}

void vcg_pt_hs_free_all(struct vcg_pt *pt)
{
	for (unsigned i = 0; i < VCG_PT_MAX_HANDSHAKES; i++)
		if (pt->hs[i].s != NULL)
			hs_close(pt, i);
}

void vcg_pt_accept(struct vcg_pt *pt)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct vcg_stream *s;
	char peer[96];
	unsigned i;
	int fd = accept4(pt->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			vcg_logf(pt->log, LOG_ERR, "passthru slot %u: accept: %s",
				 pt->slot, strerror(errno));
		return;
	}
	peer_name(fd, pt->cfg.unix_socket, peer, sizeof(peer));
	if (pt->conn != NULL) {
		refuse(pt, fd, peer);
		return;
	}
	if (!pt->cfg.unix_socket)
		tune_tcp(fd);
	i = hs_place(pt);
	if (pt->hs[i].s != NULL)
		hs_drop(pt, i, "replaced by a newer connection (every handshake place taken)");
	s = pt->tls ? vcg_stream_tls_server(pt->tls, fd, peer) :
		      vcg_stream_plain(fd, peer);
	if (s == NULL) {
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: %s: out of memory",
			 pt->slot, peer);
		return;
	}
	ev.data.u32 = VCG_PT_EV_HS0 + i;
	if (epoll_ctl(pt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: epoll_ctl: %s",
			 pt->slot, strerror(errno));
		vcg_stream_free(s);
		return;
	}
	pt->hs[i] = (struct vcg_pt_hs){
		.s = s,
		.deadline_ms = mono_ms() + VCG_PT_HELLO_TIMEOUT_MS,
		.seq = ++pt->accepts,
	};
	hs_step(pt, i);
	vcg_pt_io_kick(pt);   /* arms the timer for the deadline */
}

/* ---- listening socket ---- */

static int listen_unix(struct vcg_pt *pt, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", pt->cfg.path);
	if (lstat(pt->cfg.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "passthru listen=unix:%s: the path exists and is not a socket (remove it or pick another)",
				 pt->cfg.path);
			return -EEXIST;
		}
		unlink(pt->cfg.path);   /* a stale socket of an earlier run */
	}
	/* 0600 on the socket before bind(): the file is made with that
	 * mode. A chmod(path) after it would follow whatever link was put
	 * at path meanwhile, as root. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		int e = errno;

		snprintf(err, errlen, "passthru listen=unix:%s: %s (is the directory there and writable?)",
			 pt->cfg.path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	pt->lfd = fd;
	snprintf(pt->describe, sizeof(pt->describe), "%s", pt->cfg.describe);
	return 0;
}

static int listen_tcp(struct vcg_pt *pt, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addrinfo *ai = NULL;
	char port[8], host[NI_MAXHOST], serv[NI_MAXSERV];
	int fd = -1, one = 1, rc, e = 0;

	snprintf(port, sizeof(port), "%u", pt->cfg.port);
	rc = getaddrinfo(pt->cfg.host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "passthru listen=%s: cannot resolve '%s': %s",
			 pt->cfg.describe + 9, pt->cfg.host, gai_strerror(rc));
		/* Not -EINVAL: the SPEC is well-formed (vcg_card.h). */
		return -EADDRNOTAVAIL;
	}
	for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(err, errlen, "passthru listen=%s: %s%s", pt->cfg.describe + 9,
			 strerror(e), e == EADDRINUSE ?
			 " (another program has the port: pick another)" : "");
		return -e;
	}
	pt->lfd = fd;
	/* With port 0 the kernel picked one: say which. */
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(pt->describe, sizeof(pt->describe),
			 ss.ss_family == AF_INET6 ? "passthru [%s]:%s%s" : "passthru %s:%s%s",
			 host, serv, pt->tls ? " tls" : "");
	else
		snprintf(pt->describe, sizeof(pt->describe), "%s", pt->cfg.describe);
	return 0;
}

int vcg_pt_listen(struct vcg_pt *pt, char *err, size_t errlen)
{
	return pt->cfg.unix_socket ? listen_unix(pt, err, errlen) :
				     listen_tcp(pt, err, errlen);
}
