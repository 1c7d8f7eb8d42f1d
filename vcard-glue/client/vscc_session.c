/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client side of a VSCard session: see vscc_session.h. */
#include "vscc_session.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static void logf_(struct vscc_session *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(struct vscc_session *s, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level == LOG_DEBUG && s->debug < 1)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->log != NULL)
		s->log(s->log_ctx, level, line);
	else
		fprintf(stderr, "ccid-vscclient: %s\n", line);
}

/* debug >= 2: "DIR TYPE(id) N bytes: hex..." (first 64 bytes) */
static void dump(struct vscc_session *s, const char *dir, uint32_t type,
		 uint32_t id, const uint8_t *p, size_t len)
{
	char hex[64 * 3 + 8];
	size_t n = len < 64 ? len : 64, o = 0;

	if (s->debug < 1)
		return;
	if (s->debug < 2)
		n = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, " %02X", p[i]);
	hex[o] = '\0';
	logf_(s, LOG_DEBUG, "%s %s(%u) %zu bytes%s%s%s", dir,
	      vsc_type_name(type), id, len, n ? ":" : "", hex,
	      n < len && n ? " ..." : "");
}

static int fail(struct vscc_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct vscc_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (s->error != 0)
		return s->error;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->error = err;
	return err;
}

void vscc_session_init(struct vscc_session *s, struct vcg_stream *stream,
		       const struct vscc_card_ops *card, void *card_ctx)
{
	memset(s, 0, offsetof(struct vscc_session, dec));
	s->stream = stream;
	s->card = card;
	s->card_ctx = card_ctx;
	s->reader = VSCC_READER_NONE;
	s->stop_fd = -1;
	s->send_timeout_ms = VSCC_SEND_TIMEOUT_MS;
	vsc_decoder_init(&s->dec);
}

const char *vscc_session_why(const struct vscc_session *s)
{
	return s->why;
}

/* Send tx[0..len): one send of the whole message; a short send (a plain
 * socket under memory pressure) is completed. */
static int send_msg(struct vscc_session *s, int len)
{
	struct vsc_header h;
	size_t off = 0;

	if (s->error != 0)
		return s->error;
	if (len < 0)
		return fail(s, len, "cannot encode a message: %s", strerror(-len));
	if (vsc_header_decode(s->tx, (size_t)len, &h) == 0)
		dump(s, ">", h.type, h.reader_id, s->tx + VSC_HEADER_LEN,
		     h.length);
	while (off < (size_t)len) {
		ssize_t n = vcg_stream_send(s->stream, s->tx + off, (size_t)len - off);

		if (n == -EAGAIN) {
			struct pollfd p[2] = {
				{ .fd = s->stream->fd,
				  .events = vcg_stream_wants_write(s->stream) ? POLLOUT : POLLIN },
				{ .fd = s->stop_fd, .events = POLLIN },
			};
			int ready = poll(p, 2, s->send_timeout_ms);

			if (ready < 0 && errno == EINTR)
				continue;
			if (ready < 0)
				return fail(s, -errno, "poll: %s", strerror(errno));
			if (p[1].revents & POLLIN)
				return fail(s, -EINTR, "interrupted while sending to the server");
			if (ready == 0)
				return fail(s, -ETIMEDOUT,
					    "the server took no data for %d s: giving up",
					    s->send_timeout_ms / 1000);
			continue;
		}
		if (n < 0)
			return fail(s, (int)n, "sending to the server failed: %s",
				    s->stream->why[0] ? s->stream->why : strerror((int)-n));
		off += (size_t)n;
	}
	return 0;
}

int vscc_session_start(struct vscc_session *s)
{
	static const uint32_t caps[1] = { 0 };

	/* vscclient sends reader id 0 in its Init; QEMU ignores it. */
	return send_msg(s, vsc_encode_init(s->tx, sizeof(s->tx), 0, caps, 1));
}

static int send_reader_add(struct vscc_session *s)
{
	s->reader = VSCC_READER_PENDING;
	logf_(s, LOG_INFO, "reader '%s': ReaderAdd sent", s->reader_name);
	return send_msg(s, vsc_encode_reader_add(s->tx, sizeof(s->tx),
			VSC_READER_UNDEFINED, (const uint8_t *)s->reader_name,
			strlen(s->reader_name)));
}

static int send_atr(struct vscc_session *s)
{
	s->atr_sent = true;
	logf_(s, LOG_INFO, "reader %u: card inserted, ATR (%zu bytes) sent",
	      s->reader_id, s->atr_len);
	return send_msg(s, vsc_encode_atr(s->tx, sizeof(s->tx), s->reader_id,
					  s->atr, s->atr_len));
}

int vscc_session_reader_add(struct vscc_session *s, const char *name)
{
	if (s->error != 0)
		return s->error;
	if (s->reader != VSCC_READER_NONE) {
		logf_(s, LOG_WARNING, "reader-add: the reader is already %s",
		      s->reader == VSCC_READER_ADDED ? "added" : "being added");
		return 0;
	}
	if (name != s->reader_name)   /* reader-add again passes our copy */
		snprintf(s->reader_name, sizeof(s->reader_name), "%s", name ? name : "");
	if (!s->got_init) {
		s->reader = VSCC_READER_WAIT_INIT;
		return 0;
	}
	return send_reader_add(s);
}

int vscc_session_reader_remove(struct vscc_session *s)
{
	if (s->error != 0)
		return s->error;
	if (s->reader != VSCC_READER_ADDED) {
		if (s->reader == VSCC_READER_WAIT_INIT)
			s->reader = VSCC_READER_NONE;
		else
			logf_(s, LOG_WARNING, "reader-remove: no reader is added");
		return 0;
	}
	s->reader = VSCC_READER_NONE;
	s->atr_sent = false;
	logf_(s, LOG_INFO, "reader %u: ReaderRemove sent", s->reader_id);
	return send_msg(s, vsc_encode_reader_remove(s->tx, sizeof(s->tx),
						    s->reader_id));
}

int vscc_session_card_insert(struct vscc_session *s, const uint8_t *atr,
			     size_t len)
{
	if (s->error != 0)
		return s->error;
	if (len == 0 || len > sizeof(s->atr))
		return fail(s, -EINVAL, "the card gave a %zu-byte ATR (1..%u)",
			    len, VSC_MAX_ATR);
	memcpy(s->atr, atr, len);
	s->atr_len = len;
	s->card_in = true;
	s->atr_sent = false;
	if (s->reader != VSCC_READER_ADDED) {
		logf_(s, LOG_DEBUG, "card inserted; its ATR waits for the reader");
		return 0;
	}
	return send_atr(s);
}

int vscc_session_card_remove(struct vscc_session *s)
{
	bool was_sent = s->atr_sent;

	if (s->error != 0)
		return s->error;
	s->card_in = false;
	s->atr_sent = false;
	if (s->reader != VSCC_READER_ADDED || !was_sent)
		return 0;
	logf_(s, LOG_INFO, "reader %u: card removed, CardRemove sent", s->reader_id);
	return send_msg(s, vsc_encode_card_remove(s->tx, sizeof(s->tx),
						  s->reader_id));
}

int vscc_session_quit(struct vscc_session *s)
{
	int rc = 0;

	if (s->error != 0)
		return s->error;
	if (s->reader == VSCC_READER_ADDED && s->atr_sent)
		rc = send_msg(s, vsc_encode_card_remove(s->tx, sizeof(s->tx),
							s->reader_id));
	if (rc == 0)
		rc = vscc_session_reader_remove(s);
	return rc;
}

static const char *error_name(uint32_t code)
{
	switch (code) {
	case VSC_ERR_SUCCESS: return "success";
	case VSC_ERR_GENERAL: return "general error";
	case VSC_ERR_CANNOT_ADD_MORE_READERS: return "cannot add more readers";
	case VSC_ERR_CARD_ALREADY_INSERTED: return "card already inserted";
	default: return "unknown code";
	}
}

static int on_error(struct vscc_session *s, const struct vsc_msg *m)
{
	uint32_t code = m->error_code;

	if (m->error_code_swapped)
		logf_(s, LOG_DEBUG, "Error code %u came little-endian", code);
	if (s->reader == VSCC_READER_PENDING) {
		if (code != VSC_ERR_SUCCESS)
			return fail(s, -ECONNREFUSED,
				    "the server refused reader '%s': error %u (%s)",
				    s->reader_name, code, error_name(code));
		s->reader = VSCC_READER_ADDED;
		s->reader_id = m->reader_id;
		logf_(s, LOG_INFO, "reader '%s' added: the server gave it id %u",
		      s->reader_name, s->reader_id);
		if (s->card_in)
			return send_atr(s);
		return 0;
	}
	/* ccid-gadget refuses a second client on a slot at once, before any
	 * ReaderAdd: Init, then this, then it closes. */
	if (code == VSC_ERR_CANNOT_ADD_MORE_READERS && s->reader != VSCC_READER_ADDED)
		return fail(s, -ECONNREFUSED,
			    "the server refused us: error %u (%s; it serves another client)",
			    code, error_name(code));
	if (code == VSC_ERR_SUCCESS)
		logf_(s, LOG_DEBUG, "server acknowledged (reader %u)", m->reader_id);
	else
		logf_(s, LOG_WARNING, "server reports error %u (%s) for reader %u",
		      code, error_name(code), m->reader_id);
	return 0;
}

static int send_error(struct vscc_session *s, uint32_t id, uint32_t code)
{
	return send_msg(s, vsc_encode_error(s->tx, sizeof(s->tx), id, code));
}

static int on_apdu(struct vscc_session *s, const struct vsc_msg *m)
{
	size_t len = 0;
	int rc;

	if (s->reader != VSCC_READER_ADDED || m->reader_id != s->reader_id) {
		logf_(s, LOG_WARNING, "APDU for reader %u, which is not ours: Error(general)",
		      m->reader_id);
		return send_error(s, m->reader_id, VSC_ERR_GENERAL);
	}
	if (!s->card_in) {
		logf_(s, LOG_WARNING, "reader %u: APDU with no card in: Error(general)",
		      m->reader_id);
		return send_error(s, m->reader_id, VSC_ERR_GENERAL);
	}
	rc = s->card->xfr(s->card_ctx, m->payload, m->length, s->resp,
			  sizeof(s->resp), &len);
	if (rc == 0 && len > VSCC_RESP_MAX) {
		logf_(s, LOG_ERR, "reader %u: the card's response filled the %u-byte buffer (cut off): Error(general)",
		      m->reader_id, VSCC_RESP_MAX + 1);
		return send_error(s, m->reader_id, VSC_ERR_GENERAL);
	}
	if (rc == 0 && len < 2) {
		logf_(s, LOG_ERR, "reader %u: the card's %zu-byte response has no status word: Error(general)",
		      m->reader_id, len);
		return send_error(s, m->reader_id, VSC_ERR_GENERAL);
	}
	if (rc < 0) {
		logf_(s, LOG_WARNING, "reader %u: the card failed the APDU (%s): Error(general)",
		      m->reader_id, strerror(-rc));
		return send_error(s, m->reader_id, VSC_ERR_GENERAL);
	}
	s->apdus++;
	return send_msg(s, vsc_encode_apdu(s->tx, sizeof(s->tx), m->reader_id,
					   s->resp, len));
}

static int on_message(struct vscc_session *s, const struct vsc_msg *m)
{
	dump(s, "<", m->type, m->reader_id, m->payload, m->length);
	switch (m->type) {
	case VSC_INIT:
		logf_(s, s->got_init ? LOG_DEBUG : LOG_INFO,
		      "server Init: version %u.%u.%u, %u capabilit%s",
		      VSC_VERSION_MAJOR(m->version), (m->version >> 10) & 0x7ffu,
		      m->version & 0x3ffu, m->n_caps, m->n_caps == 1 ? "y" : "ies");
		s->got_init = true;
		s->server_version = m->version;
		if (s->reader == VSCC_READER_WAIT_INIT)
			return send_reader_add(s);
		return 0;
	case VSC_ERROR:
		return on_error(s, m);
	case VSC_APDU:
		return on_apdu(s, m);
	case VSC_FLUSH:
		return send_msg(s, vsc_encode_flush_complete(s->tx, sizeof(s->tx),
							     m->reader_id));
	default:
		logf_(s, LOG_WARNING, "ignoring %s from the server (only a client sends it)",
		      vsc_type_name(m->type));
		return 0;
	}
}

int vscc_session_input(struct vscc_session *s)
{
	ssize_t n;
	size_t pos = 0;

	if (s->error != 0)
		return s->error;
	n = vcg_stream_recv(s->stream, s->rx, sizeof(s->rx));
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return fail(s, (int)n, "reading from the server failed: %s",
			    s->stream->why[0] ? s->stream->why : strerror((int)-n));
	if (n == 0) {
		if (s->dec.header_have > 0)
			return fail(s, -EPIPE,
				    "the server closed the connection in the middle of a message");
		return fail(s, -ECONNRESET, "the server closed the connection");
	}
	while (pos < (size_t)n) {
		struct vsc_msg m;
		size_t used = 0;
		int rc = vsc_decoder_feed(&s->dec, s->rx + pos, (size_t)n - pos, &used);

		if (rc < 0)
			return fail(s, rc, "protocol error from the server: %s",
				    vsc_decoder_error(&s->dec));
		pos += used;
		rc = vsc_decoder_next(&s->dec, &m);
		if (rc < 0)
			return fail(s, rc, "protocol error from the server: %s",
				    vsc_decoder_error(&s->dec));
		if (rc == 1) {
			rc = on_message(s, &m);
			if (rc < 0)
				return rc;
		} else if (used == 0) {
			return fail(s, -EIO, "the decoder made no progress");
		}
	}
	return 0;
}
