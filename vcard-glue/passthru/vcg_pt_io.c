/* The passthru card's socket half and its backend entry points: see
 * vcg_pt.h. Everything runs on the loop thread, non-blocking, behind one
 * epoll fd (listening socket, the client's socket, the APDU timer).
 *
 * One client at a time per card: a second connection gets VSC_Init and
 * VSC_Error "cannot add more readers" and is closed (each slot has its own
 * listen=, so several clients use several slots). TCP keepalive finds a
 * client that vanished without a FIN (a laptop closed mid-session) within
 * about 25 s, so a reconnecting client is not refused for long. */
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
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vcg_pt.h"
#include "vcg_stream.h"
#include "vcg_tls.h"

enum { EV_LISTEN = 1, EV_TIMER, EV_CONN };

#define LISTEN_BACKLOG 4
#define KEEPALIVE_IDLE_S 10
#define KEEPALIVE_INTVL_S 5
#define KEEPALIVE_COUNT 3
/* A client that connects and says nothing (no TLS handshake, no Init)
 * would hold the slot against everyone else: it gets this long. */
#define HELLO_TIMEOUT_MS 10000

uint64_t vcg_pt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A connected client that has not said hello yet. */
static bool awaiting_hello(const struct vcg_pt *pt)
{
	return pt->conn != NULL && !(pt->conn_ready && pt->got_init);
}

static void arm_timer(struct vcg_pt *pt)
{
	struct itimerspec its = { 0 };
	uint64_t next = vcg_pt_next_deadline(pt);

	if (awaiting_hello(pt) && (next == 0 || pt->hello_deadline_ms < next))
		next = pt->hello_deadline_ms;
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
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_CONN };
	bool out;

	if (pt->conn == NULL)
		return;
	out = pt->conn_ready ? pt->out != NULL && vcg_stream_wants_write(pt->conn) :
			       vcg_stream_wants_write(pt->conn);
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
	vcg_logf(pt->log, LOG_NOTICE, "passthru slot %u: %s disconnected: %s",
		 pt->slot, pt->conn->peer, why);
	epoll_ctl(pt->epfd, EPOLL_CTL_DEL, pt->conn->fd, NULL);
	vcg_stream_free(pt->conn);
	pt->conn = NULL;
	pt->conn_ready = false;
	pt->conn_out_watched = false;
	pt->conn_broken = false;
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
			pt->conn_broken = true;
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

void vcg_pt_io_kick(struct vcg_pt *pt)
{
	if (pt->conn != NULL && pt->conn_ready) {
		flush(pt);
		watch_conn(pt);
	}
	if (pt->tfd >= 0)
		arm_timer(pt);
}

/* ---- accepting ---- */

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

	vcg_logf(pt->log, LOG_WARNING,
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

static void handshake(struct vcg_pt *pt)
{
	int rc = vcg_stream_handshake(pt->conn);

	if (rc == -EAGAIN) {
		watch_conn(pt);
		return;
	}
	if (rc < 0) {
		char why[sizeof(pt->conn->why) + 16];

		snprintf(why, sizeof(why), "TLS: %s", pt->conn->why[0] ?
			 pt->conn->why : strerror(-rc));
		drop_conn(pt, why);
		return;
	}
	pt->conn_ready = true;
	vcg_logf(pt->log, LOG_NOTICE, "passthru slot %u: %s connected%s",
		 pt->slot, pt->conn->peer, pt->tls ? " (TLS)" : "");
	vcg_pt_connected(pt, pt->conn->peer);
	vcg_pt_io_kick(pt);
}

static void on_listen(struct vcg_pt *pt)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_CONN };
	char peer[96];
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
	pt->conn = pt->tls ? vcg_stream_tls_server(pt->tls, fd, peer) :
			     vcg_stream_plain(fd, peer);
	if (pt->conn == NULL) {
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: %s: out of memory",
			 pt->slot, peer);
		return;
	}
	if (epoll_ctl(pt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: epoll_ctl: %s",
			 pt->slot, strerror(errno));
		vcg_stream_free(pt->conn);
		pt->conn = NULL;
		return;
	}
	pt->conn_out_watched = false;
	pt->conn_ready = false;
	pt->hello_deadline_ms = vcg_pt_now_ms() + HELLO_TIMEOUT_MS;
	handshake(pt);
	arm_timer(pt);
}

/* ---- reading ---- */

static void on_readable(struct vcg_pt *pt)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n = vcg_stream_recv(pt->conn, buf, sizeof(buf));
		int rc;

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
	if (!pt->conn_ready) {
		handshake(pt);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(pt);
	if (pt->conn != NULL && (events & EPOLLOUT))
		vcg_pt_io_kick(pt);
}

static void on_timer(struct vcg_pt *pt)
{
	uint64_t expirations;

	if (read(pt->tfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: timerfd: %s",
			 pt->slot, strerror(errno));
	if (awaiting_hello(pt) && vcg_pt_now_ms() >= pt->hello_deadline_ms) {
		drop_conn(pt, pt->conn_ready ? "no VSC_Init within 10 s" :
			  "no TLS handshake within 10 s");
		return;
	}
	vcg_pt_expire(pt, vcg_pt_now_ms());
	arm_timer(pt);
}

static void pt_dispatch(void *impl)
{
	struct vcg_pt *pt = impl;
	struct epoll_event evs[4];
	int n = epoll_wait(pt->epfd, evs, 4, 0);

	for (int i = 0; i < n; i++) {
		switch (evs[i].data.u32) {
		case EV_LISTEN:
			on_listen(pt);
			break;
		case EV_TIMER:
			on_timer(pt);
			break;
		case EV_CONN:
			if (pt->conn != NULL)
				on_conn(pt, evs[i].events);
			break;
		}
		if (pt->conn != NULL && pt->conn_broken)
			drop_conn(pt, pt->conn->why[0] ? pt->conn->why : "send failed");
	}
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(pt->cfg.path, 0600) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
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
		return -EINVAL;
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
	if (pt->lfd >= 0) {
		close(pt->lfd);
		if (pt->cfg.unix_socket)
			unlink(pt->cfg.path);
	}
	if (pt->tfd >= 0)
		close(pt->tfd);
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
	pt->now_ms = vcg_pt_now_ms;
	pt->epfd = pt->lfd = pt->tfd = -1;
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
	if (pt->epfd < 0 || pt->tfd < 0) {
		rc = vcg_spec_fail(spec, err, errlen, "epoll/timerfd: %s", strerror(errno));
		goto fail;
	}
	rc = pt->cfg.unix_socket ? listen_unix(pt, why, sizeof(why)) :
				   listen_tcp(pt, why, sizeof(why));
	if (rc < 0) {
		/* The socket's own line: the address is in it. */
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	rc = watch_fd(pt, pt->lfd, EV_LISTEN);
	if (!rc)
		rc = watch_fd(pt, pt->tfd, EV_TIMER);
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
