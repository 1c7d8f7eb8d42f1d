/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plain-socket vcg_stream: see vcg_stream.h. */
#include "vcg_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int plain_handshake(struct vcg_stream *s)
{
	(void)s;
	return 0;
}

static ssize_t plain_recv(struct vcg_stream *s, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(s->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	s->want_write = false;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	snprintf(s->why, sizeof(s->why), "recv: %s", strerror(errno));
	return -errno;
}

static ssize_t plain_send(struct vcg_stream *s, const void *buf, size_t len)
{
	ssize_t n;

	/* MSG_NOSIGNAL: a peer that hung up is an error, not SIGPIPE. */
	do
		n = send(s->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		s->want_write = true;
		return -EAGAIN;
	}
	snprintf(s->why, sizeof(s->why), "send: %s", strerror(errno));
	return -errno;
}

static bool plain_pending(const struct vcg_stream *s)
{
	(void)s;
	return false;
}

static void plain_free(struct vcg_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static const struct vcg_stream_ops plain_ops = {
	.handshake = plain_handshake,
	.recv = plain_recv,
	.send = plain_send,
	.pending = plain_pending,
	.free = plain_free,
};

struct vcg_stream *vcg_stream_plain(int fd, const char *peer)
{
	struct vcg_stream *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		close(fd);
		return NULL;
	}
	s->ops = &plain_ops;
	s->fd = fd;
	snprintf(s->peer, sizeof(s->peer), "%s", peer ? peer : "?");
	return s;
}
