/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the client's VSCard session (vcard-glue/client/vscc_session.c):
 * what a hostile or broken server can send, interleaved with the user's
 * commands, over an in-memory stream. A fake card answers APDUs.
 *
 * Input: records, one op byte then its operands:
 *   op % 6 == 0  server bytes: u8 n, then n bytes (one recv() each)
 *   op % 6 == 1  reader-add
 *   op % 6 == 2  insert (a fixed ATR)
 *   op % 6 == 3  remove
 *   op % 6 == 4  reader-remove
 *   op % 6 == 5  the card fails its next transfer
 * The session starts (Init sent) before the first record.
 *
 * Oracles besides "no crash, no sanitizer report": everything the client
 * sends is a valid VSCard stream, message by message, in one send each;
 * a session that failed on the server's input stays failed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vcg_stream.h"
#include "vscc_session.h"
#include "fuzz_target.h"

#define FAIL() __builtin_trap()

struct mem_stream {
	struct vcg_stream base;
	const uint8_t *in;      /* the next recv() returns these */
	size_t in_len;
	struct vsc_decoder out; /* what the client sent, checked */
};

static ssize_t mem_recv(struct vcg_stream *s, void *buf, size_t len)
{
	struct mem_stream *m = (struct mem_stream *)s;
	size_t n = m->in_len < len ? m->in_len : len;

	if (m->in == NULL)
		return 0;   /* the server closed */
	memcpy(buf, m->in, n);
	m->in += n;
	m->in_len -= n;
	if (m->in_len == 0)
		m->in = NULL;
	return (ssize_t)n;
}

/* One send must be one whole message. */
static ssize_t mem_send(struct vcg_stream *s, const void *buf, size_t len)
{
	struct mem_stream *m = (struct mem_stream *)s;
	struct vsc_msg msg;
	size_t used = 0;

	if (vsc_decoder_feed(&m->out, buf, len, &used) < 0 || used != len ||
	    vsc_decoder_next(&m->out, &msg) != 1)
		FAIL();
	return (ssize_t)len;
}

static int mem_handshake(struct vcg_stream *s)
{
	(void)s;
	return 0;
}

static bool mem_pending(const struct vcg_stream *s)
{
	(void)s;
	return false;
}

static void mem_free(struct vcg_stream *s)
{
	(void)s;
}

static const struct vcg_stream_ops mem_ops = {
	.handshake = mem_handshake,
	.recv = mem_recv,
	.send = mem_send,
	.pending = mem_pending,
	.free = mem_free,
};

static bool card_fails;

static int fake_xfr(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
		    size_t cap, size_t *resp_len)
{
	(void)ctx;
	if (card_fails) {
		card_fails = false;
		return -EIO;
	}
	/* Echo the command back + 90 00, as much as fits. */
	if (len + 2 > cap)
		len = cap - 2;
	memcpy(resp, apdu, len);
	resp[len] = 0x90;
	resp[len + 1] = 0x00;
	*resp_len = len + 2;
	return 0;
}

static const struct vscc_card_ops fake_card = { .xfr = fake_xfr };

static void quiet(void *ctx, int level, const char *line)
{
	(void)ctx;
	(void)level;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t atr[] = { 0x3B, 0x7A, 0x18, 0x00, 0x00, 0x73, 0x66 };
	static struct vscc_session sess;
	static struct mem_stream ms;
	size_t i = 0;
	int failed = 0;

	memset(&ms, 0, sizeof(ms));
	ms.base.ops = &mem_ops;
	ms.base.fd = -1;
	vsc_decoder_init(&ms.out);
	card_fails = false;
	vscc_session_init(&sess, &ms.base, &fake_card, NULL);
	sess.log = quiet;
	if (vscc_session_start(&sess) < 0)
		FAIL();
	while (i < size) {
		uint8_t op = data[i++] % 6;
		bool from_server = false;
		int rc = 0;

		switch (op) {
		case 0: {
			size_t n = i < size ? data[i] : 0;

			i++;
			if (i > size)
				i = size;
			if (n > size - i)
				n = size - i;
			ms.in = data + i;
			ms.in_len = n;
			i += n;
			if (n > 0) {
				rc = vscc_session_input(&sess);
				from_server = true;
			}
			ms.in = NULL;
			break;
		}
		case 1:
			rc = vscc_session_reader_add(&sess, "fuzz");
			break;
		case 2:
			rc = vscc_session_card_insert(&sess, atr, sizeof(atr));
			break;
		case 3:
			rc = vscc_session_card_remove(&sess);
			break;
		case 4:
			rc = vscc_session_reader_remove(&sess);
			break;
		case 5:
			card_fails = true;
			break;
		}
		/* A failure on the server's input ends the session for good;
		 * a refused user command (no reader yet, ...) does not. */
		if (rc < 0 && from_server) {
			if (sess.error == 0)
				FAIL();
			failed = 1;
			break;
		}
	}
	if (!failed)
		vscc_session_quit(&sess);
	return 0;
}
