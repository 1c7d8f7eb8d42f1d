/* ccid-vscclient's connection: see vscc_connect.h. */
#include "vscc_connect.h"

#include "vcg_tls.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
	return fd;
}

static int connect_tcp(const char *host, const char *port, char *peer,
		       size_t peerlen, char *why, size_t whylen)
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
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, whylen, "cannot connect to %s port %s: %s", host, port,
			 strerror(e));
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

struct vcg_stream *vscc_connect(const struct vscc_args *a,
				struct vcg_tls_client **tls, char *why,
				size_t whylen)
{
	struct vcg_tls_client *cli = NULL;
	struct vcg_stream *s;
	char peer[160];
	int fd, rc;

	*tls = NULL;
	if (a->tls_creds != NULL) {
		cli = vcg_tls_client_new(a->tls_creds, why, whylen);
		if (cli == NULL)
			return NULL;
	}
	if (a->unix_path != NULL)
		fd = connect_unix(a->unix_path, peer, sizeof(peer), why, whylen);
	else
		fd = connect_tcp(a->host, a->port, peer, sizeof(peer), why, whylen);
	if (fd < 0) {
		vcg_tls_client_free(cli);
		return NULL;
	}
	if (cli == NULL)
		s = vcg_stream_plain(fd, peer);
	else   /* TCP: the server certificate must name HOST */
		s = vcg_stream_tls_client(cli, fd, a->unix_path ? NULL : a->host, peer);
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		vcg_tls_client_free(cli);
		return NULL;
	}
	/* A blocking fd: the handshake runs to its end here. */
	do
		rc = vcg_stream_handshake(s);
	while (rc == -EAGAIN);
	if (rc < 0) {
		snprintf(why, whylen, "TLS with %s failed: %s", peer,
			 s->why[0] ? s->why : strerror(-rc));
		vscc_connect_free(s, cli);
		return NULL;
	}
	*tls = cli;
	return s;
}

void vscc_connect_free(struct vcg_stream *s, struct vcg_tls_client *tls)
{
	vcg_stream_free(s);
	vcg_tls_client_free(tls);
}
