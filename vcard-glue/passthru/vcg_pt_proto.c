/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's protocol half: see vcg_pt.h. What each message
 * does follows QEMU's hw/usb/ccid-card-passthru.c, which every existing
 * client (vscclient, spice) was written against; where this is stricter,
 * the comment says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "vcg_pt.h"

/* ---- output queue ---- */

void vcg_pt_out_clear(struct vcg_pt *pt)
{
	while (pt->out != NULL) {
		struct vcg_pt_msg *m = pt->out;

		pt->out = m->next;
		free(m);
	}
	pt->out_tail = &pt->out;
	pt->out_bytes = 0;
}

/* Append m (taken: freed on error) to the output queue. */
static int push(struct vcg_pt *pt, struct vcg_pt_msg *m)
{
	if (pt->out_bytes + m->len > VCG_PT_OUT_LIMIT) {
		free(m);
		pt->why = "the client does not read what it is sent (over 1 MiB queued)";
		return -ENOBUFS;
	}
	m->next = NULL;
	m->off = 0;
	*pt->out_tail = m;
	pt->out_tail = &m->next;
	pt->out_bytes += m->len;
	vcg_pt_io_kick(pt);
	return 0;
}

int vcg_pt_queue(struct vcg_pt *pt, const uint8_t *msg, size_t len)
{
	struct vcg_pt_msg *m = malloc(sizeof(*m) + len);

	if (m == NULL) {
		pt->why = "out of memory";
		return -ENOMEM;
	}
	m->len = len;
	memcpy(m->data, msg, len);
	return push(pt, m);
}

/* Small messages (everything but APDUs) are encoded on the stack. */
#define SMALL_MSG (VSC_HEADER_LEN + 64)

static int send_error(struct vcg_pt *pt, uint32_t reader_id, uint32_t code)
{
	uint8_t buf[SMALL_MSG];
	int n = vsc_encode_error(buf, sizeof(buf), reader_id, code);

	return n < 0 ? n : vcg_pt_queue(pt, buf, (size_t)n);
}

static int send_init(struct vcg_pt *pt)
{
	static const uint32_t caps[1] = { 0 };   /* QEMU sends one, 0 */
	uint8_t buf[SMALL_MSG];
	int n = vsc_encode_init(buf, sizeof(buf), VSC_READER_UNDEFINED, caps, 1);

	return n < 0 ? n : vcg_pt_queue(pt, buf, (size_t)n);
}

/* ---- the FIFO of APDUs sent ---- */

static struct vcg_pt_pending *pending_at(struct vcg_pt *pt, unsigned i)
{
	return &pt->pending[(pt->pending_head + i) % VCG_PT_MAX_OUTSTANDING];
}

static bool pending_pop(struct vcg_pt *pt, struct vcg_pt_pending *out)
{
	if (pt->pending_len == 0)
		return false;
	*out = *pending_at(pt, 0);
	pt->pending_head = (pt->pending_head + 1) % VCG_PT_MAX_OUTSTANDING;
	pt->pending_len--;
	return true;
}

static void pending_abandon_all(struct vcg_pt *pt)
{
	for (unsigned i = 0; i < pt->pending_len; i++)
		pending_at(pt, i)->abandoned = true;
}

/* ---- slot changes ---- */

static void card_gone(struct vcg_pt *pt)
{
	if (!pt->card_present)
		return;
	pt->card_present = false;
	pt->atr_len = 0;
	/* The engine answers a pending XfrBlock "card absent" itself. */
	pending_abandon_all(pt);
	ccid_engine_card_presence(pt->eng, pt->slot, false);
}

static void reader_gone(struct vcg_pt *pt)
{
	card_gone(pt);
	if (pt->reader_added)
		vcg_pt_logk(pt, VCG_PT_LOG_CARD, LOG_NOTICE,
			    "passthru slot %u: %s removed its reader",
			    pt->slot, pt->peer);
	pt->reader_added = false;
}

int vcg_pt_proto_init(struct vcg_pt *pt)
{
	pt->dec = malloc(sizeof(*pt->dec));
	if (pt->dec == NULL)
		return -ENOMEM;
	vsc_decoder_init(pt->dec);
	pt->out_tail = &pt->out;
	return 0;
}

void vcg_pt_proto_free(struct vcg_pt *pt)
{
	vcg_pt_out_clear(pt);
	free(pt->dec);
	pt->dec = NULL;
}

void vcg_pt_connected(struct vcg_pt *pt, const char *peer)
{
	vsc_decoder_reset(pt->dec);
	vcg_pt_out_clear(pt);
	pt->connected = true;
	pt->got_init = false;
	pt->reader_added = false;
	pt->reader_id = VSC_READER_MINIMAL;
	pt->pending_head = pt->pending_len = 0;
	pt->why = "";
	snprintf(pt->peer, sizeof(pt->peer), "%s", peer ? peer : "client");
	pt->clients++;
	/* Our Init goes out at once, as the issue and the seed's scenario
	 * have it; the client's is checked when it comes. Only one: a
	 * vscclient starts its event thread on every Init it receives. */
	if (send_init(pt) < 0)
		vcg_logf(pt->log, LOG_ERR, "passthru slot %u: cannot queue Init for %s",
			 pt->slot, pt->peer);
}

void vcg_pt_disconnected(struct vcg_pt *pt)
{
	if (!pt->connected)
		return;
	reader_gone(pt);
	pt->connected = false;
	pt->got_init = false;
	pt->pending_head = pt->pending_len = 0;
	vsc_decoder_reset(pt->dec);
	vcg_pt_out_clear(pt);
}

bool vcg_pt_wants_usb(const struct vcg_pt *pt)
{
	return pt->cfg.attach == VCG_PT_ATTACH_ALWAYS || pt->reader_added;
}

/* ---- messages from the client ---- */

/* ISO/IEC 7816-3 8.1: TS is 3B (direct) or 3F (inverse), then T0. QEMU
 * checks the same (and more, but lets through what it doubts). */
static bool atr_plausible(const uint8_t *atr, size_t len)
{
	return len >= 2 && (atr[0] == 0x3b || atr[0] == 0x3f);
}

static int on_atr(struct vcg_pt *pt, const struct vsc_msg *m)
{
	if (!pt->reader_added) {
		/* Stricter than QEMU, which attaches nothing here. */
		vcg_pt_logk(pt, VCG_PT_LOG_BAD_ATR, LOG_WARNING,
			    "passthru slot %u: %s sent an ATR before adding its reader: refused",
			    pt->slot, pt->peer);
		return send_error(pt, m->reader_id, VSC_ERR_GENERAL);
	}
	if (pt->card_present) {
		vcg_pt_logk(pt, VCG_PT_LOG_BAD_ATR, LOG_WARNING,
			    "passthru slot %u: %s sent an ATR with its card already in: refused",
			    pt->slot, pt->peer);
		return send_error(pt, m->reader_id, VSC_ERR_CARD_ALREADY_INSERTED);
	}
	if (!atr_plausible(m->payload, m->length)) {
		vcg_pt_logk(pt, VCG_PT_LOG_BAD_ATR, LOG_WARNING,
			    "passthru slot %u: %s sent an ATR that is not one (TS must be 3B or 3F): refused",
			    pt->slot, pt->peer);
		return send_error(pt, m->reader_id, VSC_ERR_GENERAL);
	}
	memcpy(pt->atr, m->payload, m->length);
	pt->atr_len = m->length;
	pt->card_present = true;
	vcg_pt_logk(pt, VCG_PT_LOG_CARD, LOG_NOTICE,
		    "passthru slot %u: %s inserted a card (ATR of %zu bytes)",
		    pt->slot, pt->peer, pt->atr_len);
	ccid_engine_card_presence(pt->eng, pt->slot, true);
	return send_error(pt, m->reader_id, VSC_ERR_SUCCESS);
}

/* The client's answer to the oldest APDU: its response (apdu != NULL) or
 * an Error (apdu == NULL). */
static void on_answer(struct vcg_pt *pt, const uint8_t *apdu, size_t len)
{
	struct vcg_pt_pending p;

	if (!pending_pop(pt, &p)) {
		vcg_pt_logk(pt, VCG_PT_LOG_STRAY_ANSWER, LOG_WARNING,
			    "passthru slot %u: %s answered an APDU that was not sent: ignored",
			    pt->slot, pt->peer);
		return;
	}
	if (p.abandoned) {
		vcg_logf(pt->log, LOG_DEBUG, "passthru slot %u: late answer dropped",
			 pt->slot);
		return;
	}
	if (apdu == NULL) {
		vcg_pt_logk(pt, VCG_PT_LOG_BAD_ANSWER, LOG_WARNING,
			    "passthru slot %u: %s could not transmit the APDU",
			    pt->slot, pt->peer);
		ccid_engine_card_done(pt->eng, pt->slot, p.tag, -EIO, NULL, 0);
		return;
	}
	if (len < 2) {
		/* A response always ends in SW1 SW2 (ISO/IEC 7816-4 5.1). */
		vcg_pt_logk(pt, VCG_PT_LOG_BAD_ANSWER, LOG_WARNING,
			    "passthru slot %u: %s answered with %zu byte(s), no status word",
			    pt->slot, pt->peer, len);
		ccid_engine_card_done(pt->eng, pt->slot, p.tag, -EIO, NULL, 0);
		return;
	}
	ccid_engine_card_done(pt->eng, pt->slot, p.tag, 0, apdu, len);
}

static int on_message(struct vcg_pt *pt, const struct vsc_msg *m)
{
	if (!pt->got_init && m->type != VSC_INIT) {
		/* Stricter than QEMU: every client sends Init first. */
		pt->why = "the first message was not VSC_Init";
		return -EPROTO;
	}
	switch (m->type) {
	case VSC_INIT:
		if (pt->got_init) {
			vcg_logf(pt->log, LOG_DEBUG, "passthru slot %u: second Init ignored",
				 pt->slot);
			return 0;
		}
		pt->got_init = true;
		vcg_pt_logk(pt, VCG_PT_LOG_CONN, LOG_INFO,
			    "passthru slot %u: %s speaks VSCard %u.%u.%u",
			    pt->slot, pt->peer, VSC_VERSION_MAJOR(m->version),
			    (m->version >> 10) & 0x7ff, m->version & 0x3ff);
		return 0;
	case VSC_READER_ADD:
		if (pt->reader_added) {
			vcg_pt_logk(pt, VCG_PT_LOG_SECOND_READER, LOG_WARNING,
				    "passthru slot %u: %s added a second reader: refused (one reader per connection; give another slot its own listen=)",
				    pt->slot, pt->peer);
			return send_error(pt, VSC_READER_UNDEFINED,
					  VSC_ERR_CANNOT_ADD_MORE_READERS);
		}
		pt->reader_added = true;
		pt->reader_id = VSC_READER_MINIMAL;
		vcg_pt_logk(pt, VCG_PT_LOG_CARD, LOG_NOTICE,
			    "passthru slot %u: %s added its reader",
			    pt->slot, pt->peer);
		return send_error(pt, pt->reader_id, VSC_ERR_SUCCESS);
	case VSC_READER_REMOVE:
		/* vscclient sends one before its first ReaderAdd, "in case
		 * of an unclean previous exit": harmless. */
		reader_gone(pt);
		return send_error(pt, m->reader_id, VSC_ERR_SUCCESS);
	case VSC_ATR:
		return on_atr(pt, m);
	case VSC_CARD_REMOVE:
		if (pt->card_present)
			vcg_pt_logk(pt, VCG_PT_LOG_CARD, LOG_NOTICE,
				    "passthru slot %u: %s removed its card",
				    pt->slot, pt->peer);
		card_gone(pt);
		return send_error(pt, m->reader_id, VSC_ERR_SUCCESS);
	case VSC_APDU:
		on_answer(pt, m->payload, m->length);
		return 0;
	case VSC_ERROR:
		/* QEMU: ccid_card_card_error(), the pending APDU failed. A
		 * success code answers nothing the server sent. */
		if (m->error_code != VSC_ERR_SUCCESS)
			on_answer(pt, NULL, 0);
		return 0;
	case VSC_FLUSH: {
		uint8_t buf[SMALL_MSG];
		int n = vsc_encode_flush_complete(buf, sizeof(buf), m->reader_id);

		return n < 0 ? n : vcg_pt_queue(pt, buf, (size_t)n);
	}
	case VSC_FLUSH_COMPLETE:
		return 0;
	}
	pt->why = "unknown message type";   /* the decoder refuses these */
	return -EPROTO;
}

int vcg_pt_feed(struct vcg_pt *pt, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		struct vsc_msg m;
		size_t used = 0;
		int rc = vsc_decoder_feed(pt->dec, buf, len, &used);

		if (rc < 0) {
			pt->why = vsc_decoder_error(pt->dec);
			return rc;
		}
		buf += used;
		len -= used;
		rc = vsc_decoder_next(pt->dec, &m);
		if (rc < 0) {
			pt->why = vsc_decoder_error(pt->dec);
			return rc;
		}
		if (rc == 0)
			break;   /* all taken, the message is not complete */
		rc = on_message(pt, &m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- APDU deadlines ---- */

void vcg_pt_expire(struct vcg_pt *pt, uint64_t now_ms)
{
	for (unsigned i = 0; i < pt->pending_len; i++) {
		struct vcg_pt_pending *p = pending_at(pt, i);

		if (p->abandoned || p->deadline_ms == 0 || p->deadline_ms > now_ms)
			continue;
		p->abandoned = true;
		vcg_pt_logk(pt, VCG_PT_LOG_TIMEOUT, LOG_WARNING,
			    "passthru slot %u: %s did not answer an APDU within %u s: failed (the host sees a mute card)",
			    pt->slot, pt->peer, pt->cfg.timeout_s);
		ccid_engine_card_done(pt->eng, pt->slot, p->tag, -ETIMEDOUT, NULL, 0);
	}
}

uint64_t vcg_pt_next_deadline(const struct vcg_pt *pt)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < pt->pending_len; i++) {
		const struct vcg_pt_pending *p =
			&pt->pending[(pt->pending_head + i) % VCG_PT_MAX_OUTSTANDING];

		if (!p->abandoned && p->deadline_ms != 0 &&
		    (next == 0 || p->deadline_ms < next))
			next = p->deadline_ms;
	}
	return next;
}

/* ---- ccid_card_ops (the engine calls these) ---- */

static int pt_power_on(void *ctx, uint32_t tag)
{
	struct vcg_pt *pt = ctx;

	if (!pt->card_present)
		return -ENOMEDIUM;
	/* As QEMU: the ATR the client sent stands for every power-on; the
	 * protocol has no reset message. */
	ccid_engine_card_done(pt->eng, pt->slot, tag, 0, pt->atr, pt->atr_len);
	return 0;
}

static void pt_power_off(void *ctx)
{
	struct vcg_pt *pt = ctx;

	/* Nothing to tell the client; forget what the engine waited for. */
	pending_abandon_all(pt);
}

static int pt_transmit(void *ctx, uint32_t tag, const uint8_t *apdu,
		       size_t len)
{
	struct vcg_pt *pt = ctx;
	struct vcg_pt_pending *p;
	struct vcg_pt_msg *m;
	int n;

	if (!pt->card_present || !pt->connected)
		return -ENOMEDIUM;
	if (len == 0 || len > VSC_MAX_PAYLOAD)
		return -EINVAL;
	if (pt->pending_len == VCG_PT_MAX_OUTSTANDING) {
		/* Full of APDUs the client has not answered yet (the engine
		 * gave up on them). Forgetting one would take its late
		 * answer, if it comes, for this APDU's: every later answer
		 * would be one off. This APDU fails instead, as a mute card;
		 * a slow client that catches up frees the FIFO in order. The
		 * connection is kept: dropping it would throw away a card
		 * that may only be slow (a key generation outlasting
		 * timeout=). */
		vcg_pt_logk(pt, VCG_PT_LOG_OWED, LOG_WARNING,
			    "passthru slot %u: %s still owes %u answers: APDU refused (the host sees a mute card)",
			    pt->slot, pt->peer, (unsigned)VCG_PT_MAX_OUTSTANDING);
		return -ETIMEDOUT;
	}
	/* Encoded straight into the queue entry: an extended APDU is 64 KiB. */
	m = malloc(sizeof(*m) + VSC_HEADER_LEN + len);
	if (m == NULL)
		return -ENOMEM;
	n = vsc_encode_apdu(m->data, VSC_HEADER_LEN + len, pt->reader_id, apdu, len);
	if (n < 0) {
		free(m);
		return n;
	}
	m->len = (size_t)n;
	/* Remembered before the push, whose kick arms the timer for it. */
	p = pending_at(pt, pt->pending_len);
	pt->pending_len++;
	p->tag = tag;
	p->abandoned = false;
	p->deadline_ms = pt->cfg.timeout_s ?
		pt->now_ms() + (uint64_t)pt->cfg.timeout_s * 1000 : 0;
	n = push(pt, m);
	if (n < 0) {
		pt->pending_len--;
		/* Over 1 MiB waits for a client that does not read: it
		 * would not read the next APDU either. The socket half
		 * drops it (not from here, inside the engine's call). */
		if (n == -ENOBUFS)
			vcg_pt_io_break(pt, pt->why);
		return n;
	}
	vcg_logf(pt->log, LOG_DEBUG, "passthru slot %u: APDU of %zu bytes to %s",
		 pt->slot, len, pt->peer);
	return 0;
}

static void pt_cancel(void *ctx, uint32_t tag)
{
	struct vcg_pt *pt = ctx;

	for (unsigned i = 0; i < pt->pending_len; i++)
		if (pending_at(pt, i)->tag == tag)
			pending_at(pt, i)->abandoned = true;
}

static bool pt_present(void *ctx)
{
	const struct vcg_pt *pt = ctx;

	return pt->card_present;
}

const struct ccid_card_ops vcg_pt_card_ops = {
	.power_on = pt_power_on,
	.power_off = pt_power_off,
	.transmit = pt_transmit,
	.cancel = pt_cancel,
	.present = pt_present,
};
