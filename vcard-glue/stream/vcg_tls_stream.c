/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TLS vcg_stream (GnuTLS): one session on a connected socket, the
 * handshake with the peer check (chain, validity, purpose, allow-list),
 * whole-buffer sends, reads, close_notify. See vcg_tls.h. */
#include "vcg_tls.h"


#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcg_tls_int.h"

enum tls_state { TLS_HANDSHAKE, TLS_OPEN, TLS_FAILED };

struct tls_stream {
	struct vcg_stream base;    /* first: the ops cast back */
	gnutls_session_t sess;
	struct vcg_tls_server *srv;/* server side; NULL on the client */
	enum tls_state state;
	int fail_rc;               /* TLS_FAILED: what handshake() returned */
	bool send_busy;            /* a send() returned -EAGAIN mid-buffer */
	size_t send_len, send_off;
	char host[256];            /* the client's expected server name */
};


static void setwhy(struct vcg_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void setwhy(struct vcg_stream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* ---- the stream ----------------------------------------------------- */

static bool cert_alert(gnutls_alert_description_t a)
{
	switch (a) {
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_REVOKED:
	case GNUTLS_A_CERTIFICATE_EXPIRED:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_UNKNOWN_CA:
	case GNUTLS_A_ACCESS_DENIED:
	case GNUTLS_A_CERTIFICATE_REQUIRED:
		return true;
	default:
		return false;
	}
}

/* A fatal GnuTLS error rc from `what` ("TLS handshake", "TLS recv", ...) as
 * -errno, with why set. */
static int tls_fail(struct tls_stream *t, int rc, const char *what)
{
	struct vcg_stream *s = &t->base;
	int e = errno;

	switch (rc) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		gnutls_alert_description_t a = GT(gnutls_alert_get)(t->sess);
		const char *name = GT(gnutls_alert_get_name)(a);

		/* -EACCES only for "we are refused": on the server it means
		 * the client was refused, which this is not. */
		if (cert_alert(a)) {
			setwhy(s, "%s: the %s refused our certificate (TLS alert \"%s\")",
			       what, t->srv ? "client" : "server", name ? name : "?");
			return t->srv ? -ECONNRESET : -EACCES;
		}
		setwhy(s, "%s: TLS alert from the peer: %s", what, name ? name : "?");
		return -ECONNRESET;
	}
	case GNUTLS_E_PREMATURE_TERMINATION:
		setwhy(s, "%s: the peer closed the connection", what);
		return -ECONNRESET;
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		if (e == 0 || e == EAGAIN)
			e = EIO;
		setwhy(s, "%s: %s: %s", what, rc == GNUTLS_E_PUSH_ERROR ? "send" : "recv",
		       strerror(e));
		return -e;
	case GNUTLS_E_TIMEDOUT:
		setwhy(s, "%s: timed out", what);
		return -ETIMEDOUT;
	case GNUTLS_E_MEMORY_ERROR:
		setwhy(s, "%s: out of memory", what);
		return -ENOMEM;
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
		setwhy(s, "%s: the peer does not speak TLS 1.2 or 1.3", what);
		return -EPROTO;
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_PACKET:
		setwhy(s, "%s: %s (is the peer speaking TLS?)", what, GT(gnutls_strerror)(rc));
		return -EPROTO;
	default:
		setwhy(s, "%s: %s", what, GT(gnutls_strerror)(rc));
		return -EPROTO;
	}
}

/* The peer's first certificate, or NULL. */
static const gnutls_datum_t *peer_cert(gnutls_session_t sess)
{
	const gnutls_datum_t *certs;
	unsigned n = 0;

	if (GT(gnutls_certificate_type_get)(sess) != GNUTLS_CRT_X509)
		return NULL;
	certs = GT(gnutls_certificate_get_peers)(sess, &n);
	return certs != NULL && n > 0 ? certs : NULL;
}

/* The CN (or "?") and, when dn != NULL, the subject DN of a DER certificate
 * (*dn to gnutls_free). */
static void cert_names(const gnutls_datum_t *der, char *cn, size_t cnlen, gnutls_datum_t *dn)
{
	gnutls_x509_crt_t crt;
	size_t size = cnlen;

	snprintf(cn, cnlen, "?");
	if (dn != NULL)
		*dn = (gnutls_datum_t){ NULL, 0 };
	if (der == NULL || GT(gnutls_x509_crt_init)(&crt) < 0)
		return;
	if (GT(gnutls_x509_crt_import)(crt, der, GNUTLS_X509_FMT_DER) == 0) {
		if (GT(gnutls_x509_crt_get_dn_by_oid)(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
						  cn, &size) < 0)
			snprintf(cn, cnlen, "?");
		if (dn != NULL && GT(gnutls_x509_crt_get_dn3)(crt, dn, 0) < 0)
			*dn = (gnutls_datum_t){ NULL, 0 };
	}
	GT(gnutls_x509_crt_deinit)(crt);
	/* The CN goes into log lines: no control characters. */
	for (char *p = cn; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* GnuTLS's text for a verification status, without the trailing blank. */
static void status_text(unsigned status, char *out, size_t outlen)
{
	gnutls_datum_t txt = { NULL, 0 };
	size_t n;

	if (GT(gnutls_certificate_verification_status_print)(status, GNUTLS_CRT_X509, &txt, 0) < 0 ||
	    txt.data == NULL) {
		snprintf(out, outlen, "status 0x%x", status);
		return;
	}
	/* Drop GnuTLS's generic opener; the reasons follow it. */
	const char *p = (const char *)txt.data;
	if (strncmp(p, "The certificate is NOT trusted. ", 32) == 0 && p[32] != '\0')
		p += 32;
	snprintf(out, outlen, "%s", p);
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	GT_FREE(txt.data);
}

static void send_alert(struct tls_stream *t, gnutls_alert_description_t a)
{
	/* Best effort: the fd may be non-blocking and full; the peer then
	 * sees the close instead. */
	(void)GT(gnutls_alert_send)(t->sess, GNUTLS_AL_FATAL, a);
}

/* Server: the client certificate must verify and be allowed. */
static int check_client(struct tls_stream *t)
{
	struct vcg_stream *s = &t->base;
	const gnutls_datum_t *der = peer_cert(t->sess);
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	uint8_t fp[FP_LEN];
	size_t fplen = sizeof(fp);
	gnutls_datum_t dn;
	unsigned status = 0;
	char cn[64], hex[2 * FP_LEN + 1];
	int rc;

	if (der == NULL) {
		setwhy(s, "no client certificate");
		send_alert(t, GNUTLS_A_CERTIFICATE_REQUIRED);
		return -EACCES;
	}
	cert_names(der, cn, sizeof(cn), &dn);
	rc = GT(gnutls_certificate_verify_peers)(t->sess, &purpose, 1, &status);
	if (rc < 0 || status != 0) {
		char reason[128];

		if (rc < 0)
			snprintf(reason, sizeof(reason), "%s", GT(gnutls_strerror)(rc));
		else
			status_text(status, reason, sizeof(reason));
		setwhy(s, "client certificate CN=%s does not verify: %s", cn, reason);
		send_alert(t, GNUTLS_A_BAD_CERTIFICATE);
		rc = -EACCES;
		goto out;
	}
	rc = GT(gnutls_fingerprint)(GNUTLS_DIG_SHA256, der, fp, &fplen);
	if (rc < 0 || fplen != FP_LEN) {
		setwhy(s, "client certificate CN=%s: no sha256 fingerprint: %s", cn,
		       GT(gnutls_strerror)(rc));
		rc = -EPROTO;
		goto out;
	}
	if (t->srv->use_allow && !vcg_tls_allowed(t->srv, fp, (const char *)dn.data)) {
		for (size_t i = 0; i < FP_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", fp[i]);
		setwhy(s, "client certificate CN=%.32s (sha256:%s) is not on the allow-list",
		       cn, hex);
		send_alert(t, GNUTLS_A_ACCESS_DENIED);
		rc = -EACCES;
		goto out;
	}
	rc = 0;
out:
	GT_FREE(dn.data);
	return rc;
}

static void append_cn(struct tls_stream *t)
{
	char cn[64];
	size_t n = strlen(t->base.peer);

	cert_names(peer_cert(t->sess), cn, sizeof(cn), NULL);
	snprintf(t->base.peer + n, sizeof(t->base.peer) - n, " CN=%s", cn);
}

static int tls_handshake(struct vcg_stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;
	int rc;

	if (t->state == TLS_OPEN)
		return 0;
	if (t->state == TLS_FAILED)
		return t->fail_rc;
	do {
		errno = 0;
		rc = GT(gnutls_handshake)(t->sess);
	} while (rc < 0 && rc != GNUTLS_E_AGAIN && !GT(gnutls_error_is_fatal)(rc));
	if (rc == GNUTLS_E_AGAIN) {
		s->want_write = GT(gnutls_record_get_direction)(t->sess) == 1;
		return -EAGAIN;
	}
	s->want_write = false;
	if (rc < 0) {
		int alert_rc = rc;  /* the alert to send the peer, 0: none */

		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR && t->srv == NULL) {
			char cn[64], reason[128];

			cert_names(peer_cert(t->sess), cn, sizeof(cn), NULL);
			status_text(GT(gnutls_session_get_verify_cert_status)(t->sess),
				    reason, sizeof(reason));
			setwhy(s, "server certificate CN=%s does not verify: %s", cn, reason);
			rc = -EACCES;
		} else if (t->srv != NULL && (rc == GNUTLS_E_NO_CERTIFICATE_FOUND ||
					      rc == GNUTLS_E_CERTIFICATE_REQUIRED)) {
			setwhy(s, "no client certificate");
			rc = -EACCES;
		} else {
			/* Nothing to tell a peer that alerted us or is gone. */
			if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED || rc == GNUTLS_E_PUSH_ERROR ||
			    rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PREMATURE_TERMINATION ||
			    rc == GNUTLS_E_TIMEDOUT)
				alert_rc = 0;
			rc = tls_fail(t, rc, "TLS handshake");
		}
		if (alert_rc != 0)
			(void)GT(gnutls_alert_send_appropriate)(t->sess, alert_rc);
		goto failed;
	}
	if (t->srv != NULL && (rc = check_client(t)) < 0)
		goto failed;
	append_cn(t);
	s->why[0] = '\0';
	t->state = TLS_OPEN;
	return 0;
failed:
	t->state = TLS_FAILED;
	t->fail_rc = rc;
	return rc;
}

static ssize_t tls_recv(struct vcg_stream *s, void *buf, size_t len)
{
	struct tls_stream *t = (struct tls_stream *)s;

	if (t->state != TLS_OPEN) {
		setwhy(s, "TLS recv: the handshake has not finished");
		return -ENOTCONN;
	}
	for (;;) {
		ssize_t n;

		errno = 0;
		n = GT(gnutls_record_recv)(t->sess, buf, len);
		if (n >= 0)
			return n;
		switch (n) {
		case GNUTLS_E_INTERRUPTED:
		case GNUTLS_E_WARNING_ALERT_RECEIVED:
			continue;
		case GNUTLS_E_AGAIN:
			s->want_write = GT(gnutls_record_get_direction)(t->sess) == 1;
			return -EAGAIN;
		case GNUTLS_E_PREMATURE_TERMINATION:
			return 0;   /* the peer closed without close_notify */
		case GNUTLS_E_REHANDSHAKE:
			/* TLS 1.2 renegotiation: not supported, refuse and go on. */
			(void)GT(gnutls_alert_send)(t->sess, GNUTLS_AL_WARNING,
						GNUTLS_A_NO_RENEGOTIATION);
			continue;
		default:
			return tls_fail(t, (int)n, "TLS recv");
		}
	}
}

static ssize_t tls_send(struct vcg_stream *s, const void *buf, size_t len)
{
	struct tls_stream *t = (struct tls_stream *)s;
	const uint8_t *p = buf;

	if (t->state != TLS_OPEN) {
		setwhy(s, "TLS send: the handshake has not finished");
		return -ENOTCONN;
	}
	if (t->send_busy && len != t->send_len) {
		setwhy(s, "TLS send: after -EAGAIN call again with the same %zu bytes "
		       "(got %zu)", t->send_len, len);
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (!t->send_busy) {
		t->send_busy = true;
		t->send_len = len;
		t->send_off = 0;
	}
	/* gnutls_record_send() takes at most one record (16 KiB) per call. */
	while (t->send_off < len) {
		ssize_t n;

		errno = 0;
		n = GT(gnutls_record_send)(t->sess, p + t->send_off, len - t->send_off);
		if (n > 0) {
			t->send_off += (size_t)n;
			continue;
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			s->want_write = GT(gnutls_record_get_direction)(t->sess) == 1;
			return -EAGAIN;
		}
		t->send_busy = false;
		return tls_fail(t, n == 0 ? GNUTLS_E_PUSH_ERROR : (int)n, "TLS send");
	}
	t->send_busy = false;
	return (ssize_t)len;
}

static bool tls_pending(const struct vcg_stream *s)
{
	const struct tls_stream *t = (const struct tls_stream *)s;

	return t->state == TLS_OPEN && GT(gnutls_record_check_pending)(t->sess) > 0;
}

static void tls_free(struct vcg_stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;

	if (t->sess != NULL) {
		if (t->state == TLS_OPEN && s->fd >= 0) {
			/* close_notify, never blocking: the fd is closed next. */
			int fl = fcntl(s->fd, F_GETFL);

			if (fl >= 0 && !(fl & O_NONBLOCK))
				(void)fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
			(void)GT(gnutls_bye)(t->sess, GNUTLS_SHUT_WR);
		}
		GT(gnutls_deinit)(t->sess);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(t);
}

static const struct vcg_stream_ops tls_ops = {
	.handshake = tls_handshake,
	.recv = tls_recv,
	.send = tls_send,
	.pending = tls_pending,
	.free = tls_free,
};

/* A session on fd; NULL (fd closed) when out of memory. */
static struct tls_stream *tls_new(int fd, unsigned flags, gnutls_priority_t prio,
				  gnutls_certificate_credentials_t creds, const char *peer)
{
	struct tls_stream *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		close(fd);
		return NULL;
	}
	t->base.ops = &tls_ops;
	t->base.fd = fd;
	snprintf(t->base.peer, sizeof(t->base.peer), "%s", peer ? peer : "?");
	if (GT(gnutls_init)(&t->sess, flags | GNUTLS_NO_SIGNAL) < 0) {
		t->sess = NULL;
		tls_free(&t->base);
		return NULL;
	}
	if (GT(gnutls_priority_set)(t->sess, prio) < 0 ||
	    GT(gnutls_credentials_set)(t->sess, GNUTLS_CRD_CERTIFICATE, creds) < 0) {
		tls_free(&t->base);
		return NULL;
	}
	GT(gnutls_transport_set_int2)(t->sess, fd, fd);
	return t;
}

struct vcg_stream *vcg_stream_tls_server(struct vcg_tls_server *srv, int fd, const char *peer)
{
	struct tls_stream *t = tls_new(fd, GNUTLS_SERVER, srv->prio, srv->creds, peer);

	if (t == NULL)
		return NULL;
	t->srv = srv;
	/* No GnuTLS handshake timeout on the server: with one, GnuTLS waits
	 * for the rest of a partial record in poll() for up to that long, even
	 * on a non-blocking fd, and a client that sends 4 bytes would stall
	 * the daemon's loop for 40 s. The daemon drops a silent client on its
	 * own deadline instead (vcg_pt_io.c, HELLO_TIMEOUT_MS). */
	GT(gnutls_handshake_set_timeout)(t->sess, 0);
	GT(gnutls_certificate_server_set_request)(t->sess, GNUTLS_CERT_REQUIRE);
	/* No list of acceptable CAs in the request: a client with a
	 * certificate from another CA still sends it, and the log says
	 * "does not verify: issuer unknown" instead of "no certificate". */
	GT(gnutls_certificate_send_x509_rdn_sequence)(t->sess, 1);
	return &t->base;
}

struct vcg_stream *vcg_stream_tls_client(struct vcg_tls_client *cli, int fd,
					 const char *hostname, const char *peer)
{
	struct tls_stream *t = tls_new(fd, GNUTLS_CLIENT, cli->prio, cli->creds, peer);
	unsigned char addr[16];
	int fl;

	if (t == NULL)
		return NULL;
	/* A blocking client: GnuTLS's timeout ends a handshake the server
	 * stalls. A non-blocking one (ccid-vscclient) keeps its own deadline
	 * in its poll loop: with a GnuTLS timeout, GnuTLS would wait for the
	 * rest of a partial record inside poll() (see the server above). */
	fl = fcntl(fd, F_GETFL);
	GT(gnutls_handshake_set_timeout)(t->sess, fl >= 0 && (fl & O_NONBLOCK) ? 0 :
				     GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	if (hostname != NULL) {
		snprintf(t->host, sizeof(t->host), "%s", hostname);
		if (inet_pton(AF_INET, t->host, addr) != 1 &&
		    inet_pton(AF_INET6, t->host, addr) != 1)
			(void)GT(gnutls_server_name_set)(t->sess, GNUTLS_NAME_DNS, t->host,
						     strlen(t->host));
	}
	GT(gnutls_session_set_verify_cert)(t->sess, hostname != NULL ? t->host : NULL, 0);
	return &t->base;
}
