/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsc_tls_peer.c: see vsc_tls_peer.h. */
#include "vsc_tls_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int connect_tcp(int port, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int stream_next(struct vcg_stream *s, struct vsc_decoder *dec,
		struct vsc_msg *m)
{
	static __thread uint8_t buf[4096];
	static __thread size_t have, off;

	for (;;) {
		size_t used = 0;
		int rc = vsc_decoder_next(dec, m);
		ssize_t n;

		if (rc != 0)
			return rc;
		if (off < have) {
			if (vsc_decoder_feed(dec, buf + off, have - off, &used) < 0)
				return -1;
			off += used;
			continue;
		}
		n = vcg_stream_recv(s, buf, sizeof(buf));
		if (n <= 0)
			return n == 0 ? 0 : (int)n;
		have = (size_t)n;
		off = 0;
	}
}

int stream_send_msg(struct vcg_stream *s, const uint8_t *buf, int n)
{
	return n > 0 && vcg_stream_send(s, buf, (size_t)n) == n ? 0 : -1;
}

struct vcg_stream *tls_stream_open(struct vcg_tls_client *cli, int port,
				   char *why, size_t whylen)
{
	struct timeval tv = { .tv_sec = 10 };
	struct vcg_stream *s;
	int fd = connect_tcp(port, 0);

	if (cli == NULL || fd < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s = vcg_stream_tls_client(cli, fd, "localhost", "server");
	if (s == NULL || vcg_stream_handshake(s) < 0) {
		snprintf(why, whylen, "handshake: %s",
			 s ? s->why : "out of memory");
		vcg_stream_free(s);
		return NULL;
	}
	return s;
}
