/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TLS vcg_stream (vcard-glue/stream/vcg_tls_stream.c): a non-blocking server (as in
 * the daemon's loop) against a blocking client in a thread, over a
 * socketpair. Credentials come from scripts/make-tls-certs, run into a
 * temporary directory at start (the test runs from the repo root, as
 * tests/run-all does). Every wait has a timeout and alarm() guards the
 * whole run: no case can hang. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "tap.h"
#include "vcg_gnutls.h"
#include "vcg_tls.h"

#define BIG 65556                /* a VSCard header + the largest APDU */
#define WAIT_MS 10000

static char dir[64];             /* the temporary credentials root */
static char path_buf[8][512];
static int path_next;

/* dir + "/" + rel, in one of a few rotating buffers. */
static const char *P(const char *rel)
{
	char *p = path_buf[path_next++ % 8];

	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, rel);
	return p;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f == NULL || fgets(out, (int)len, f) == NULL) {
		perror(path);
		exit(1);
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* ---- the client thread ---------------------------------------------- */

enum mode {
	LIB_ECHO,       /* vcg_tls client: the echo conversation */
	LIB_WAIT,       /* vcg_tls client: handshake, then one recv */
	LIB_HOLD,       /* vcg_tls client: handshake, then wait for hold_pipe */
	RAW_TLS,        /* bare GnuTLS client (no or a chosen certificate) */
	RAW_JUNK,       /* not TLS at all */
	RAW_CLOSE,      /* closes at once */
};

struct run {
	enum mode mode;
	int fd;
	const char *cdir;         /* LIB_*: client creds dir */
	const char *host;         /* LIB_*: expected server name */
	bool raw_cert;            /* RAW_TLS: present DIR/client's certificate */
	const char *prio;         /* RAW_TLS: priority string */
	/* results */
	int hs_rc;
	ssize_t recv_rc;
	bool echo_ok;
	int version;
	char why[256], peer[160];
	pthread_t th;
};

static int hold_pipe[2];         /* LIB_HOLD clients wait on [0] */
static uint8_t big_out[BIG], big_in[BIG], big_srv[BIG];

static ssize_t recv_full(struct vcg_stream *s, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = vcg_stream_recv(s, buf + got, len - got);

		if (n <= 0)
			return n < 0 ? n : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void lib_client(struct run *r)
{
	char err[256];
	struct vcg_tls_client *cli = vcg_tls_client_new(r->cdir, err, sizeof(err));
	struct vcg_stream *s;
	uint8_t small[100], b;

	if (cli == NULL) {
		snprintf(r->why, sizeof(r->why), "%s", err);
		r->hs_rc = -999;
		close(r->fd);
		return;
	}
	s = vcg_stream_tls_client(cli, r->fd, r->host, "server");
	r->hs_rc = vcg_stream_handshake(s);
	snprintf(r->why, sizeof(r->why), "%s", s->why);
	snprintf(r->peer, sizeof(r->peer), "%s", s->peer);
	if (r->hs_rc == 0 && r->mode == LIB_ECHO) {
		bool ok = vcg_stream_send(s, big_out, BIG) == BIG;

		ok = ok && recv_full(s, big_in, BIG) == BIG && memcmp(big_in, big_out, BIG) == 0;
		memset(small, 0x5a, sizeof(small));
		ok = ok && vcg_stream_send(s, small, sizeof(small)) == (ssize_t)sizeof(small);
		r->echo_ok = ok;
	} else if (r->hs_rc == 0 && r->mode == LIB_HOLD) {
		if (read(hold_pipe[0], &b, 1) < 0)
			r->recv_rc = -errno;
	} else if (r->hs_rc == 0) {
		r->recv_rc = vcg_stream_recv(s, &b, 1);
		snprintf(r->why, sizeof(r->why), "%s", s->why);
	}
	vcg_stream_free(s);
	vcg_tls_client_free(cli);
}

static void raw_client(struct run *r)
{
	gnutls_certificate_credentials_t c;
	gnutls_session_t ss;
	char b;
	int rc;

	gnutls_certificate_allocate_credentials(&c);
	gnutls_certificate_set_x509_trust_file(c, P("client/ca-cert.pem"), GNUTLS_X509_FMT_PEM);
	if (r->raw_cert)
		gnutls_certificate_set_x509_key_file(c, P("client/client-cert.pem"),
						     P("client/client-key.pem"),
						     GNUTLS_X509_FMT_PEM);
	gnutls_init(&ss, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
	gnutls_priority_set_direct(ss, r->prio ? r->prio : "NORMAL", NULL);
	gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, c);
	gnutls_transport_set_int(ss, r->fd);
	do
		rc = gnutls_handshake(ss);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	r->hs_rc = rc;
	if (rc == 0) {
		r->version = gnutls_protocol_get_version(ss);
		r->recv_rc = gnutls_record_recv(ss, &b, 1);
	}
	gnutls_deinit(ss);
	gnutls_certificate_free_credentials(c);
	close(r->fd);
}

static void *client_main(void *arg)
{
	struct run *r = arg;
	char buf[256];
	const char junk[] = "GET / HTTP/1.0\r\n\r\n";

	switch (r->mode) {
	case LIB_ECHO:
	case LIB_WAIT:
	case LIB_HOLD:
		lib_client(r);
		break;
	case RAW_TLS:
		raw_client(r);
		break;
	case RAW_JUNK:
		if (write(r->fd, junk, sizeof(junk) - 1) < 0)
			r->hs_rc = -errno;
		while (read(r->fd, buf, sizeof(buf)) > 0)
			;
		close(r->fd);
		break;
	case RAW_CLOSE:
		close(r->fd);
		break;
	}
	return NULL;
}

/* A socketpair: the server end (returned) non-blocking, the other end
 * blocking with a receive timeout, handed to a client thread. */
static int start(struct run *r, int sndbuf)
{
	int sv[2];
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if (sndbuf > 0)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->fd = sv[1];
	if (pthread_create(&r->th, NULL, client_main, r) != 0) {
		perror("pthread_create");
		exit(1);
	}
	return sv[0];
}

/* ---- the non-blocking server side ----------------------------------- */

static int eagains;              /* -EAGAIN seen by srv_send */

static bool wait_fd(struct vcg_stream *s)
{
	struct pollfd p = { .fd = s->fd,
			    .events = vcg_stream_wants_write(s) ? POLLOUT : POLLIN };

	if (poll(&p, 1, WAIT_MS) != 1) {
		fprintf(stderr, "  poll timed out (%s)\n",
			vcg_stream_wants_write(s) ? "write" : "read");
		return false;
	}
	return true;
}

static int srv_handshake(struct vcg_stream *s)
{
	for (;;) {
		int rc = vcg_stream_handshake(s);

		if (rc != -EAGAIN)
			return rc;
		if (!wait_fd(s))
			return -ETIMEDOUT;
	}
}

/* Exactly len bytes (or fewer at a close): the count, or -errno. */
static ssize_t srv_recv(struct vcg_stream *s, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = vcg_stream_recv(s, buf + got, len - got);

		if (n == -EAGAIN) {
			if (!wait_fd(s))
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static ssize_t srv_send(struct vcg_stream *s, const uint8_t *buf, size_t len)
{
	for (;;) {
		ssize_t n = vcg_stream_send(s, buf, len);

		if (n != -EAGAIN)
			return n;
		eagains++;
		if (!wait_fd(s))
			return -ETIMEDOUT;
	}
}

/* One handshake: a server from sdir (+ allow) against the client r runs
 * in a thread. Returns the server's handshake result, its why in swhy. */
static int try_server(struct run *r, const char *sdir, const char *allow, char *swhy)
{
	char err[256];
	struct vcg_tls_server *srv;
	struct vcg_stream *s;
	int fd = start(r, 0);
	int rc;

	srv = vcg_tls_server_new(sdir, allow, err, sizeof(err));
	if (srv == NULL) {
		fprintf(stderr, "  server_new: %s\n", err);
		close(fd);
		pthread_join(r->th, NULL);
		return -999;
	}
	s = vcg_stream_tls_server(srv, fd, "client");
	rc = srv_handshake(s);
	snprintf(swhy, 160, "%s", s->why);
	vcg_stream_free(s);          /* the client's recv ends at our close */
	pthread_join(r->th, NULL);
	vcg_tls_server_free(srv);
	return rc;
}

/* ---- cases ---------------------------------------------------------- */

static void t_good_echo(void)
{
	char err[256];
	struct vcg_tls_server *srv = vcg_tls_server_new(P("server"), NULL, err, sizeof(err));
	struct run r = { .mode = LIB_ECHO, .cdir = P("client"), .host = "localhost" };
	struct vcg_stream *s;
	uint8_t small[100];
	int fd;

	CHECK(srv != NULL);
	if (srv == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	for (size_t i = 0; i < BIG; i++)
		big_out[i] = (uint8_t)(i * 7 + (i >> 8));
	/* A small send buffer: the 64 KiB echo must hit -EAGAIN mid-message. */
	fd = start(&r, 4096);
	s = vcg_stream_tls_server(srv, fd, "127.0.0.1:40512");
	CHECK(vcg_stream_send(s, "x", 1) == -ENOTCONN);
	CHECK_EQ(srv_handshake(s), 0);
	CHECK(strstr(s->peer, "127.0.0.1:40512 CN=ccid-vscclient") != NULL);
	if (strstr(s->peer, "CN=ccid-vscclient") == NULL)
		fprintf(stderr, "  server peer \"%s\" why \"%s\"\n", s->peer, s->why);
	CHECK_EQ(srv_recv(s, big_srv, BIG), BIG);
	CHECK_MEM(big_srv, big_out, BIG);
	eagains = 0;
	CHECK_EQ(srv_send(s, big_srv, BIG), BIG);
	CHECK(eagains > 0);
	fprintf(stderr, "  # echo of %d bytes: %d x -EAGAIN on send\n", BIG, eagains);
	/* A 100-byte record read 10 bytes at a time: the rest is pending. */
	CHECK_EQ(srv_recv(s, small, 10), 10);
	CHECK(vcg_stream_pending(s));
	CHECK_EQ(vcg_stream_recv(s, small + 10, 90), 90);
	CHECK(!vcg_stream_pending(s));
	CHECK_EQ(small[99], 0x5a);
	/* The client closes (close_notify): recv says 0. */
	CHECK_EQ(srv_recv(s, small, 1), 0);
	vcg_stream_free(s);
	pthread_join(r.th, NULL);
	CHECK_EQ(r.hs_rc, 0);
	CHECK(r.echo_ok);
	CHECK(strstr(r.peer, "server CN=localhost") != NULL);
	vcg_tls_server_free(srv);
}

static void t_send_same_len_rule(void)
{
	char err[256];
	struct vcg_tls_server *srv = vcg_tls_server_new(P("server"), NULL, err, sizeof(err));
	struct run r = { .mode = LIB_HOLD, .cdir = P("client"), .host = "localhost" };
	struct vcg_stream *s;
	int fd, n = 0;
	ssize_t rc;

	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	fd = start(&r, 4096);
	s = vcg_stream_tls_server(srv, fd, "c");
	CHECK_EQ(srv_handshake(s), 0);
	/* The client reads nothing: the send stalls with part on the wire. */
	memset(big_srv, 1, BIG);
	while ((rc = vcg_stream_send(s, big_srv, BIG)) == BIG && ++n < 100)
		;
	CHECK_EQ(rc, -EAGAIN);
	CHECK(vcg_stream_wants_write(s));
	CHECK_EQ(vcg_stream_send(s, big_srv, 10), -EINVAL);
	CHECK(strstr(s->why, "same") != NULL);
	CHECK_EQ(write(hold_pipe[1], "", 1), 1);
	vcg_stream_free(s);
	pthread_join(r.th, NULL);
	vcg_tls_server_free(srv);
}

static void t_tls12_client(void)
{
	struct run r = { .mode = RAW_TLS, .raw_cert = true,
			 .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2" };
	char why[160];

	CHECK_EQ(try_server(&r, P("server"), NULL, why), 0);
	CHECK_EQ(r.hs_rc, 0);
	CHECK_EQ(r.version, GNUTLS_TLS1_2);
	CHECK_EQ(r.recv_rc, 0);         /* our close_notify */
}

static void t_tls11_refused(void)
{
	struct run r = { .mode = RAW_TLS, .raw_cert = true,
			 .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.1:%VERIFY_ALLOW_SIGN_WITH_SHA1" };
	char why[160];
	int rc = try_server(&r, P("server"), NULL, why);

	CHECK(rc < 0 && rc != -EACCES && rc != -ETIMEDOUT);
	CHECK(r.hs_rc < 0);
	CHECK(why[0] != '\0');
	fprintf(stderr, "  # TLS 1.1 client: %d \"%s\"\n", rc, why);
}

static void t_other_ca_client_refused(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("mixed"), .host = "localhost" };
	char why[160];

	CHECK_EQ(try_server(&r, P("server"), NULL, why), -EACCES);
	CHECK(strstr(why, "client certificate CN=ccid-vscclient does not verify: ") != NULL);
	CHECK(strstr(why, "issuer") != NULL);
	fprintf(stderr, "  # server: \"%s\"\n", why);
	/* TLS 1.3: the client's handshake is done; its first recv sees the alert. */
	CHECK_EQ(r.hs_rc, 0);
	CHECK_EQ(r.recv_rc, -EACCES);
	CHECK(strstr(r.why, "the server refused our certificate") != NULL);
	fprintf(stderr, "  # client: \"%s\"\n", r.why);
}

static void t_expired_client_refused(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("expired/client"), .host = "localhost" };
	char why[160];

	CHECK_EQ(try_server(&r, P("server"), NULL, why), -EACCES);
	CHECK(strstr(why, "client certificate CN=ccid-vscclient does not verify: ") != NULL);
	CHECK(strstr(why, "expired") != NULL);
	fprintf(stderr, "  # server: \"%s\"\n", why);
	CHECK_EQ(r.recv_rc, -EACCES);
}

static void t_server_cert_as_client_refused(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("srvascli"), .host = "localhost" };
	char why[160];

	/* Chains to the CA, but its extendedKeyUsage is serverAuth only. */
	CHECK_EQ(try_server(&r, P("server"), NULL, why), -EACCES);
	CHECK(strstr(why, "client certificate CN=localhost does not verify: ") != NULL);
	fprintf(stderr, "  # server: \"%s\"\n", why);
}

static void t_revoked_client_refused(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	char why[160];

	/* revoked/server: ca-crl.pem (QEMU's name) revokes DIR/client's cert. */
	CHECK_EQ(try_server(&r, P("revoked/server"), NULL, why), -EACCES);
	CHECK(strstr(why, "revoked") != NULL);
	fprintf(stderr, "  # server: \"%s\"\n", why);
}

/* The same over loopback TCP, as across a network: the server end from
 * accept4(SOCK_NONBLOCK), the client end blocking. */
static void t_tcp_loopback(void)
{
	char err[256];
	struct vcg_tls_server *srv = vcg_tls_server_new(P("server"), P("server/allow-list"),
							err, sizeof(err));
	struct run r = { .mode = LIB_ECHO, .cdir = P("client"), .host = "127.0.0.1" };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	struct vcg_stream *s;
	uint8_t small[100];
	int lfd, cfd, fd;

	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(lfd, 1), 0);
	CHECK_EQ(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(cfd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(fd >= 0);
	close(lfd);
	r.fd = cfd;
	if (pthread_create(&r.th, NULL, client_main, &r) != 0)
		exit(1);
	s = vcg_stream_tls_server(srv, fd, "127.0.0.1");
	CHECK_EQ(srv_handshake(s), 0);
	CHECK_EQ(srv_recv(s, big_srv, BIG), BIG);
	CHECK_MEM(big_srv, big_out, BIG);
	CHECK_EQ(srv_send(s, big_srv, BIG), BIG);
	CHECK_EQ(srv_recv(s, small, sizeof(small)), sizeof(small));
	CHECK_EQ(srv_recv(s, small, 1), 0);
	vcg_stream_free(s);
	pthread_join(r.th, NULL);
	CHECK_EQ(r.hs_rc, 0);
	CHECK(r.echo_ok);
	vcg_tls_server_free(srv);
}

static void t_no_client_cert_refused(void)
{
	struct run r = { .mode = RAW_TLS, .raw_cert = false };
	char why[160];

	CHECK_EQ(try_server(&r, P("server"), NULL, why), -EACCES);
	CHECK(strcmp(why, "no client certificate") == 0);
	CHECK(r.hs_rc < 0 || r.recv_rc < 0);
}

static void t_no_client_cert_tls12_refused(void)
{
	struct run r = { .mode = RAW_TLS, .raw_cert = false,
			 .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2" };
	char why[160];

	CHECK_EQ(try_server(&r, P("server"), NULL, why), -EACCES);
	CHECK(strcmp(why, "no client certificate") == 0);
	CHECK(r.hs_rc < 0);
}

static void t_allow_fingerprint(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	struct run r2 = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	char why[160], fp[160], text[512], *q = text;

	/* As make-tls-certs writes it: "sha256:AB:CD:..." (openssl's form). */
	CHECK_EQ(try_server(&r, P("server"), P("server/allow-list"), why), 0);
	CHECK_EQ(r.hs_rc, 0);
	CHECK_EQ(r.recv_rc, 0);
	/* Lower case, no colons, between comments, blanks and other entries. */
	read_line(P("client/client-cert.sha256"), fp, sizeof(fp));
	q += sprintf(q, "# allowed\n\n   \nCN=someone else,O=x\n  SHA256:");
	for (const char *p = fp + 7; *p; p++)
		if (*p != ':')
			*q++ = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	q += sprintf(q, "  \n");
	write_file(P("allow-lower"), text);
	CHECK_EQ(try_server(&r2, P("server"), P("allow-lower"), why), 0);
	CHECK_EQ(r2.hs_rc, 0);
}

static void t_allow_missing_refused(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	char why[160], fp[160], lower[80] = "", *q = lower;

	read_line(P("client/client-cert.sha256"), fp, sizeof(fp));
	for (const char *p = fp + 7; *p; p++)
		if (*p != ':')
			*q++ = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	/* The other CA's client and a DN that is not ours. */
	CHECK_EQ(try_server(&r, P("server"), P("other/server/allow-list"), why), -EACCES);
	CHECK(strstr(why, "client certificate CN=ccid-vscclient (sha256:") != NULL);
	CHECK(strstr(why, lower) != NULL);
	CHECK(strstr(why, "is not on the allow-list") != NULL);
	fprintf(stderr, "  # server: \"%s\"\n", why);
	CHECK_EQ(r.recv_rc, -EACCES);
	fprintf(stderr, "  # client: \"%s\"\n", r.why);
}

static void t_allow_empty_refuses_all(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	char why[160];

	write_file(P("allow-empty"), "# nobody\n");
	CHECK_EQ(try_server(&r, P("server"), P("allow-empty"), why), -EACCES);
	CHECK(strstr(why, "not on the allow-list") != NULL);
}

static void t_allow_dn(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	struct run r2 = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	char why[160];

	write_file(P("allow-dn"), "CN=ccid-vscclient,O=ccid-gadget test\n");
	CHECK_EQ(try_server(&r, P("server"), P("allow-dn"), why), 0);
	if (why[0])
		fprintf(stderr, "  # server: \"%s\"\n", why);
	/* Exactly as GnuTLS prints it: another order is another DN. */
	write_file(P("allow-dn2"), "O=ccid-gadget test,CN=ccid-vscclient\n");
	CHECK_EQ(try_server(&r2, P("server"), P("allow-dn2"), why), -EACCES);
}

static void t_client_refuses_other_ca_server(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "localhost" };
	char why[160];
	int rc = try_server(&r, P("other/server"), NULL, why);

	CHECK_EQ(rc, -ECONNRESET);      /* not -EACCES: that is "client refused" */
	CHECK(strstr(why, "the client refused our certificate") != NULL);
	CHECK_EQ(r.hs_rc, -EACCES);
	CHECK(strstr(r.why, "server certificate CN=localhost does not verify: ") != NULL);
	fprintf(stderr, "  # client: \"%s\"; server: %d \"%s\"\n", r.why, rc, why);
}

static void t_client_refuses_hostname(void)
{
	struct run r = { .mode = LIB_WAIT, .cdir = P("client"), .host = "wrong.example" };
	struct run r2 = { .mode = LIB_WAIT, .cdir = P("client"), .host = "127.0.0.1" };
	struct run r3 = { .mode = LIB_WAIT, .cdir = P("client"), .host = NULL };
	char why[160];
	int rc = try_server(&r, P("server"), NULL, why);

	CHECK(rc < 0 && rc != -ETIMEDOUT);
	CHECK_EQ(r.hs_rc, -EACCES);
	CHECK(strstr(r.why, "does not verify") != NULL);
	CHECK(strstr(r.why, "name") != NULL);
	fprintf(stderr, "  # client: \"%s\"\n", r.why);
	/* The SAN's IP address matches; NULL checks the chain only. */
	CHECK_EQ(try_server(&r2, P("server"), NULL, why), 0);
	CHECK_EQ(r2.hs_rc, 0);
	CHECK_EQ(try_server(&r3, P("server"), NULL, why), 0);
	CHECK_EQ(r3.hs_rc, 0);
}

static void t_not_tls(void)
{
	struct run r = { .mode = RAW_JUNK };
	struct run r2 = { .mode = RAW_CLOSE };
	char why[160];
	int rc = try_server(&r, P("server"), NULL, why);

	CHECK(rc < 0 && rc != -EACCES && rc != -ETIMEDOUT);
	CHECK(why[0] != '\0');
	fprintf(stderr, "  # junk: %d \"%s\"\n", rc, why);
	rc = try_server(&r2, P("server"), NULL, why);
	CHECK(rc < 0 && rc != -EACCES && rc != -ETIMEDOUT);
	CHECK(why[0] != '\0');
	fprintf(stderr, "  # early close: %d \"%s\"\n", rc, why);
}

/* err: one line, naming `want`. */
static void check_err(const char *err, const char *want)
{
	CHECK(strchr(err, '\n') == NULL);
	CHECK(strstr(err, want) != NULL);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "  err \"%s\" lacks \"%s\"\n", err, want);
	else
		fprintf(stderr, "  # \"%s\"\n", err);
}

static void t_errors(void)
{
	char err[256], want[600];
	struct vcg_tls_server *srv;
	struct vcg_tls_client *cli;

	errno = 0;
	srv = vcg_tls_server_new("/nonexistent/tls", NULL, err, sizeof(err));
	CHECK(srv == NULL);
	CHECK_EQ(errno, ENOENT);
	check_err(err, "tls-creds /nonexistent/tls: ");
	srv = vcg_tls_server_new(P("server/ca-cert.pem"), NULL, err, sizeof(err));
	CHECK(srv == NULL);
	check_err(err, "not a directory");
	/* A dir without the key. */
	sh("mkdir -p %s/nokey && cp %s/server/ca-cert.pem %s/server/server-cert.pem %s/nokey/",
	   dir, dir, dir, dir);
	srv = vcg_tls_server_new(P("nokey"), NULL, err, sizeof(err));
	CHECK(srv == NULL);
	snprintf(want, sizeof(want), "tls-creds %s: no server-key.pem (make one with "
		 "scripts/make-tls-certs)", P("nokey"));
	check_err(err, want);
	/* The client's dir is no server dir, and the other way round. */
	cli = vcg_tls_client_new(P("server"), err, sizeof(err));
	CHECK(cli == NULL);
	check_err(err, "no client-cert.pem");
	srv = vcg_tls_server_new(P("client"), NULL, err, sizeof(err));
	CHECK(srv == NULL);
	check_err(err, "no server-cert.pem");
	/* A key that is not the certificate's. */
	sh("mkdir -p %s/mismatch && cp %s/server/ca-cert.pem %s/server/server-cert.pem "
	   "%s/mismatch/ && cp %s/client/client-key.pem %s/mismatch/server-key.pem",
	   dir, dir, dir, dir, dir, dir);
	srv = vcg_tls_server_new(P("mismatch"), NULL, err, sizeof(err));
	CHECK(srv == NULL);
	check_err(err, "server-key.pem");
	/* A CA file with no certificate in it. */
	sh("mkdir -p %s/badca && cp %s/server/* %s/badca/ && echo junk > %s/badca/ca-cert.pem",
	   dir, dir, dir, dir);
	srv = vcg_tls_server_new(P("badca"), NULL, err, sizeof(err));
	CHECK(srv == NULL);
	check_err(err, "ca-cert.pem");
	/* Allow-lists: missing, malformed. */
	srv = vcg_tls_server_new(P("server"), P("no-such-allow"), err, sizeof(err));
	CHECK(srv == NULL);
	snprintf(want, sizeof(want), "tls-allow %s: No such file", P("no-such-allow"));
	check_err(err, want);
	write_file(P("allow-bad1"), "# ok\n\nnonsense\n");
	srv = vcg_tls_server_new(P("server"), P("allow-bad1"), err, sizeof(err));
	CHECK(srv == NULL);
	snprintf(want, sizeof(want), "tls-allow %s:3: ", P("allow-bad1"));
	check_err(err, want);
	write_file(P("allow-bad2"), "CN=x\nsha256:abcd\n");
	srv = vcg_tls_server_new(P("server"), P("allow-bad2"), err, sizeof(err));
	CHECK(srv == NULL);
	snprintf(want, sizeof(want), "tls-allow %s:2: a sha256 fingerprint has 64 hex digits",
		 P("allow-bad2"));
	check_err(err, want);
	write_file(P("allow-bad3"), "sha256:zz\n");
	srv = vcg_tls_server_new(P("server"), P("allow-bad3"), err, sizeof(err));
	CHECK(srv == NULL);
	check_err(err, ":1: a sha256 fingerprint has only hex digits");
	/* Frees of NULL are no-ops. */
	vcg_tls_server_free(NULL);
	vcg_tls_client_free(NULL);
}

/* GnuTLS is dlopen()ed (vcg_gnutls.h): a missing library and one that is
 * not GnuTLS are one clear line each, and the real one fills every slot. */
static void t_gnutls_loader(void)
{
	struct vcg_gnutls_api api;
	char err[256] = "";

	memset(&api, 0, sizeof(api));
	CHECK_EQ(vcg_gnutls_load_from("libccid-gadget-no-such-lib.so.0", &api, err,
				      sizeof(err)), -ENOENT);
	CHECK(strstr(err,
		     "needs GnuTLS 3.4 or later (libccid-gadget-no-such-lib.so.0") !=
	      NULL);
	CHECK(strstr(err, "libgnutls30") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(api.gnutls_init == NULL);
	err[0] = 0;
	CHECK_EQ(vcg_gnutls_load_from("libc.so.6", &api, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "libc.so.6 is not a usable GnuTLS") != NULL);
	CHECK(strstr(err, "(no symbol gnutls_") != NULL);
	CHECK(api.gnutls_init == NULL);
	CHECK_EQ(vcg_gnutls_load_from(VCG_GNUTLS_SONAME, &api, err, sizeof(err)), 0);
	CHECK(api.gnutls_init == gnutls_init);       /* the linked test's own */
	CHECK(api.gnutls_x509_crt_init == gnutls_x509_crt_init);
	/* the variable itself may be the test's copy (copy relocation) */
	CHECK(api.free_fn != NULL && *api.free_fn == gnutls_free);
	CHECK_EQ(vcg_gnutls_load(err, sizeof(err)), 0);
	CHECK(GT(gnutls_strerror) == gnutls_strerror);
}

int main(void)
{
	int rc;

	alarm(300);            /* valgrind is slow; nothing waits this long */
	signal(SIGPIPE, SIG_IGN);
	if (pipe(hold_pipe) < 0) {
		perror("pipe");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/test_vcg_tls.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = sh("scripts/make-tls-certs %s >/dev/null", dir);
	/* The other CA's client certificate with our CA as its trust: the
	 * server must see it and refuse it. */
	if (rc == 0)
		rc = sh("mkdir -p %s/mixed && cp %s/client/ca-cert.pem %s/other/client/client-*.pem "
			"%s/mixed/", dir, dir, dir, dir);
	if (rc == 0)
		rc = sh("mkdir -p %s/srvascli && cp %s/server/ca-cert.pem %s/srvascli/ && "
			"cp %s/server/server-cert.pem %s/srvascli/client-cert.pem && "
			"cp %s/server/server-key.pem %s/srvascli/client-key.pem",
			dir, dir, dir, dir, dir, dir, dir);
	if (rc != 0) {
		printf("not ok - make-tls-certs (run from the repo root)\n");
		return 1;
	}
	RUN(t_gnutls_loader);
	RUN(t_good_echo);
	RUN(t_send_same_len_rule);
	RUN(t_tls12_client);
	RUN(t_tls11_refused);
	RUN(t_other_ca_client_refused);
	RUN(t_expired_client_refused);
	RUN(t_revoked_client_refused);
	RUN(t_server_cert_as_client_refused);
	RUN(t_no_client_cert_refused);
	RUN(t_no_client_cert_tls12_refused);
	RUN(t_allow_fingerprint);
	RUN(t_allow_missing_refused);
	RUN(t_allow_empty_refuses_all);
	RUN(t_allow_dn);
	RUN(t_client_refuses_other_ca_server);
	RUN(t_client_refuses_hostname);
	RUN(t_tcp_loopback);
	RUN(t_not_tls);
	RUN(t_errors);
	sh("rm -rf %s", dir);
	close(hold_pipe[0]);
	close(hold_pipe[1]);
	TAP_EXIT();
}
