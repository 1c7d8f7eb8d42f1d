/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's connection: see vscc_connect.h. */
#include "vscc_connect.h"

#include "vcg_tls.h"
#include "mono_ms.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Wait until fd is ready for `events`, stop_fd is readable (a signal:
 * -EINTR, nothing read from it) or the monotonic deadline passes
 * (-ETIMEDOUT). */
static int wait_fd(int fd, short events, int stop_fd, uint64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = events },
			{ .fd = stop_fd, .events = POLLIN },
		};
		uint64_t now = mono_ms();
		int n;

		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(p, 2, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (p[1].revents & POLLIN))
			return -EINTR;
		if (n > 0 && p[0].revents)
			return 0;
	}
}

static int connect_unix(const char *path, char *peer, size_t peerlen,
			char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "unix:%.4000s: the path is too long (at most %zu bytes)",
			 path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		snprintf(why, whylen, "cannot connect to unix:%s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	snprintf(peer, peerlen, "unix:%s", path);
	return fd;   /* a local connect: done or refused at once */
}

static int connect_tcp(const char *host, const char *port, int stop_fd,
		       char *peer, size_t peerlen, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	int fd = -1, e = ECONNREFUSED, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "cannot resolve %s port %s: %s", host, port,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL && e != EINTR; ai = ai->ai_next) {
		socklen_t elen = sizeof(e);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		/* Non-blocking, so that a signal or the deadline ends the
		 * wait (a SYN to nowhere is retried for minutes). */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, stop_fd,
				     mono_ms() + VSCC_CONNECT_TIMEOUT_MS);
			if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 &&
			    e == 0)
				break;
			if (rc < 0)
				e = -rc;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (e == EINTR)
			snprintf(why, whylen, "interrupted while connecting to %s port %s",
				 host, port);
		else
			snprintf(why, whylen, "cannot connect to %s port %s: %s", host, port,
				 e == ETIMEDOUT ? "no answer (timed out)" : strerror(e));
		return -e;
	}
	/* One message per write and no Nagle: an APDU answer must not wait
	 * for a delayed ACK (~40 ms). */
	rc = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &rc, sizeof(rc)) < 0) {
		snprintf(why, whylen, "setsockopt TCP_NODELAY: %s", strerror(errno));
		close(fd);
		return -EIO;
	}
	snprintf(peer, peerlen, "%s:%s", host, port);
	return fd;
}

/* The TLS handshake on the non-blocking fd, polled with the signals and
 * a deadline of its own (GnuTLS's handshake timeout is off for such an
 * fd: it would wait for the rest of a record inside GnuTLS). */
static int handshake(struct vcg_stream *s, int stop_fd)
{
	uint64_t deadline = mono_ms() + VSCC_HANDSHAKE_TIMEOUT_MS;
	int rc;

	while ((rc = vcg_stream_handshake(s)) == -EAGAIN) {
		rc = wait_fd(s->fd, vcg_stream_wants_write(s) ? POLLOUT : POLLIN,
			     stop_fd, deadline);
		if (rc < 0)
			return rc;
	}
	return rc;
}

int vscc_connect(const struct vscc_args *a, int stop_fd, struct vcg_stream **out,
		 struct vcg_tls_client **tls, char *why, size_t whylen)
{
	struct vcg_tls_client *cli = NULL;
	struct vcg_stream *s;
	char peer[160];
	int fd, rc, fl;

	*out = NULL;
	*tls = NULL;
	if (a->tls_creds != NULL) {
		cli = vcg_tls_client_new(a->tls_creds, why, whylen);
		if (cli == NULL)
			return -EINVAL;
	}
	if (a->unix_path != NULL)
		fd = connect_unix(a->unix_path, peer, sizeof(peer), why, whylen);
	else
		fd = connect_tcp(a->host, a->port, stop_fd, peer, sizeof(peer), why,
				 whylen);
	if (fd < 0) {
		vcg_tls_client_free(cli);
		return fd;
	}
	/* Non-blocking from here: a server that sends part of a TLS record
	 * and stops must not hold the client in a read (vscc_session.h). */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = -errno;
		snprintf(why, whylen, "fcntl O_NONBLOCK: %s", strerror(errno));
		close(fd);
		vcg_tls_client_free(cli);
		return rc;
	}
	if (cli == NULL)
		s = vcg_stream_plain(fd, peer);
	else   /* TCP: the server certificate must name HOST */
		s = vcg_stream_tls_client(cli, fd, a->unix_path ? NULL : a->host, peer);
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		vcg_tls_client_free(cli);
		return -ENOMEM;
	}
	rc = handshake(s, stop_fd);
	if (rc < 0) {
		if (rc == -EINTR)
			snprintf(why, whylen, "interrupted during the TLS handshake with %s",
				 peer);
		else if (rc == -ETIMEDOUT)
			snprintf(why, whylen, "TLS with %s failed: the server did not finish the TLS handshake within %d s",
				 peer, VSCC_HANDSHAKE_TIMEOUT_MS / 1000);
		else
			snprintf(why, whylen, "TLS with %s failed: %s", peer,
				 s->why[0] ? s->why : strerror(-rc));
		vscc_connect_free(s, cli);
		return rc;
	}
	*out = s;
	*tls = cli;
	return 0;
}

void vscc_connect_free(struct vcg_stream *s, struct vcg_tls_client *tls)
{
	vcg_stream_free(s);
	vcg_tls_client_free(tls);
}
