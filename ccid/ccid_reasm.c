/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bulk-OUT reassembly: collect completed OUT transfers into whole CCID
 * messages, separate from parsing (a transfer boundary is not a message boundary: ccid_dispatch.c parses only whole messages).
 *
 * A message ends when 10 + dwLength bytes have arrived. With a packet
 * size (out_mps > 0) a chunk is one piece of one USB transfer: a chunk
 * that is not a multiple of out_mps, or is empty, is a short packet and
 * ends the transfer (QEMU's usb-ccid rule), so a transfer that stops
 * before dwLength, or carries bytes past it, is answered with bError = 1
 * (the dwLength field, Table 6.2-2). A ZLP at a message boundary is the
 * terminator of a transfer that was a multiple of out_mps: ignored.
 * Without a packet size (stream mode, tests) the chunks form a byte
 * stream and one chunk may hold several messages.
 *
 * A header announcing more than max_msg_len - 10 bytes cannot be buffered:
 * the rest of that message is dropped (counted, not stored) until
 * dwLength bytes or a short packet, then it is answered with bError = 1.
 * A transfer shorter than the 10-byte header is answered the same way if
 * it holds bType..bSeq (7 bytes), else dropped with an error log line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

int ccid_reasm_init(struct ccid_reasm *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void ccid_reasm_free(struct ccid_reasm *r)
{
	free(r->buf);
	r->buf = NULL;
}

void ccid_reasm_clear(struct ccid_reasm *r)
{
	r->len = 0;
	r->discarding = false;
	r->discard_left = 0;
}

static size_t msg_total(const struct ccid_reasm *r)
{
	return CCID_HEADER_LEN + (size_t)ccid_get_le32(r->buf + CCID_OFF_LENGTH);
}

static void end_discard(struct ccid_engine *eng)
{
	struct ccid_reasm *r = &eng->reasm;

	r->discarding = false;
	r->discard_left = 0;
	ccid_reject(eng, r->hdr, CCID_ERR_BAD_LENGTH);
}

/* A short packet ended the transfer before the message was complete. */
static void end_short(struct ccid_engine *eng)
{
	struct ccid_reasm *r = &eng->reasm;

	if (r->discarding) {
		end_discard(eng);
	} else if (r->len >= CCID_HEADER_LEN) {
		ccid_log(eng, CCID_LOG_WARNING, r->buf[CCID_OFF_SLOT],
			 r->buf[CCID_OFF_SEQ],
			 "%s: short transfer, %zu of %zu bytes",
			 ccid_msg_name(r->buf[0]), r->len, msg_total(r));
		ccid_reject(eng, r->buf, CCID_ERR_BAD_LENGTH);
	} else if (r->len > CCID_OFF_SEQ) {
		ccid_log(eng, CCID_LOG_WARNING, r->buf[CCID_OFF_SLOT],
			 r->buf[CCID_OFF_SEQ],
			 "%s: truncated header, %zu bytes",
			 ccid_msg_name(r->buf[0]), r->len);
		ccid_reject(eng, r->buf, CCID_ERR_BAD_LENGTH);
	} else if (r->len > 0) {
		ccid_log(eng, CCID_LOG_ERR, -1, -1,
			 "bulk-OUT: %zu-byte transfer, too short to answer; dropped",
			 r->len);
	}
	r->len = 0;
}

/* Header complete: decide whether the message fits. */
static void header_done(struct ccid_engine *eng)
{
	struct ccid_reasm *r = &eng->reasm;
	uint32_t dwlen = ccid_get_le32(r->buf + CCID_OFF_LENGTH);

	if ((uint64_t)dwlen + CCID_HEADER_LEN <= r->cap)
		return;
	ccid_log(eng, CCID_LOG_WARNING, r->buf[CCID_OFF_SLOT],
		 r->buf[CCID_OFF_SEQ],
		 "%s: dwLength %u exceeds dwMaxCCIDMessageLength %zu; dropping it",
		 ccid_msg_name(r->buf[0]), dwlen, r->cap);
	memcpy(r->hdr, r->buf, CCID_HEADER_LEN);
	r->discarding = true;
	r->discard_left = dwlen;
	r->len = 0;
	if (dwlen == 0)   /* cannot happen with cap >= 10, kept for safety */
		end_discard(eng);
}

void ccid_reasm_feed(struct ccid_engine *eng, const uint8_t *buf, size_t len)
{
	struct ccid_reasm *r = &eng->reasm;
	uint16_t mps = r->out_mps;
	bool short_pkt = mps && (len == 0 || len % mps != 0);
	size_t off = 0;

	while (off < len) {
		size_t take;

		if (r->discarding) {
			take = len - off;
			if (take > r->discard_left)
				take = (size_t)r->discard_left;
			off += take;
			r->discard_left -= take;
			if (r->discard_left == 0) {
				end_discard(eng);
				if (mps)   /* the rest is the same transfer */
					return;
			}
			continue;
		}
		if (r->len < CCID_HEADER_LEN) {
			take = CCID_HEADER_LEN - r->len;
			if (take > len - off)
				take = len - off;
			memcpy(r->buf + r->len, buf + off, take);
			r->len += take;
			off += take;
			if (r->len < CCID_HEADER_LEN)
				break;
			header_done(eng);
			if (r->discarding)
				continue;
		}
		take = msg_total(r) - r->len;
		if (take > len - off)
			take = len - off;
		memcpy(r->buf + r->len, buf + off, take);
		r->len += take;
		off += take;
		if (r->len == msg_total(r) && mps && off < len) {
			/* one transfer, more bytes than dwLength says */
			ccid_log(eng, CCID_LOG_WARNING, r->buf[CCID_OFF_SLOT],
				 r->buf[CCID_OFF_SEQ],
				 "%s: %zu bytes past dwLength in the transfer",
				 ccid_msg_name(r->buf[0]), len - off);
			ccid_reject(eng, r->buf, CCID_ERR_BAD_LENGTH);
			r->len = 0;
			return;
		}
		if (r->len == msg_total(r)) {
			size_t total = r->len;

			r->len = 0;
			ccid_dispatch(eng, r->buf, total);
		}
	}
	if (r->len == 0 && !r->discarding && len == 0)
		return;   /* ZLP after a message of a multiple of out_mps */
	if (short_pkt && (r->len > 0 || r->discarding))
		end_short(eng);
}

size_t ccid_reasm_read_size(const struct ccid_reasm *r)
{
	size_t mps = r->out_mps, remaining;

	if (r->discarding) {
		remaining = r->discard_left > r->cap ? r->cap
						     : (size_t)r->discard_left;
	} else if (r->len < CCID_HEADER_LEN) {
		return mps ? mps : CCID_HEADER_LEN - r->len;
	} else {
		remaining = msg_total(r) - r->len;
	}
	if (mps)
		remaining = (remaining + mps - 1) / mps * mps;
	return remaining;
}
