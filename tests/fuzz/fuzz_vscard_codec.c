/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the VSCard wire codec (vcard-glue/vscard/vscard_codec.c).
 *
 * Input: byte 0 seeds the chunk sizes (1..64, a small LCG), the rest is
 * the stream, fed to a decoder chunk by chunk. Each decoded message is
 * re-encoded with the matching vsc_encode_* and fed to a second decoder
 * in one go; it must decode to the same message (type, reader, payload,
 * version, capabilities, error code). Oracles besides "no crash, no
 * sanitizer report":
 *  - feed never consumes more than it was given, and makes progress;
 *  - an error is sticky and has a non-empty one-line reason;
 *  - a decoded message respects the limits (length, ATR size). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vscard_codec.h"
#include "fuzz_target.h"

#define FAIL() __builtin_trap()

static struct vsc_decoder dec, redec;
static uint8_t enc[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];
static uint32_t caps[VSC_MAX_CAPS];

static int reencode(const struct vsc_msg *m)
{
	const size_t cap = sizeof(enc);

	switch (m->type) {
	case VSC_INIT:
		for (uint32_t i = 0; i < m->n_caps; i++)
			caps[i] = vsc_msg_init_cap(m, i);
		return vsc_encode_init(enc, cap, m->reader_id, caps, m->n_caps);
	case VSC_ERROR:
		return vsc_encode_error(enc, cap, m->reader_id, m->error_code);
	case VSC_READER_ADD:
		return vsc_encode_reader_add(enc, cap, m->reader_id, m->payload,
					     m->length);
	case VSC_READER_REMOVE:
		return vsc_encode_reader_remove(enc, cap, m->reader_id);
	case VSC_ATR:
		return vsc_encode_atr(enc, cap, m->reader_id, m->payload, m->length);
	case VSC_CARD_REMOVE:
		return vsc_encode_card_remove(enc, cap, m->reader_id);
	case VSC_APDU:
		return vsc_encode_apdu(enc, cap, m->reader_id, m->payload, m->length);
	case VSC_FLUSH:
		return vsc_encode_flush(enc, cap, m->reader_id);
	case VSC_FLUSH_COMPLETE:
		return vsc_encode_flush_complete(enc, cap, m->reader_id);
	}
	FAIL();
	return -EINVAL;
}

static void check_same(const struct vsc_msg *a, const struct vsc_msg *b)
{
	if (a->type != b->type || a->reader_id != b->reader_id)
		FAIL();
	if (a->type == VSC_INIT) {
		/* The version is re-encoded as ours: compare the rest. */
		if (b->version != VSC_VERSION || a->n_caps != b->n_caps)
			FAIL();
		for (uint32_t i = 0; i < a->n_caps; i++)
			if (vsc_msg_init_cap(a, i) != vsc_msg_init_cap(b, i))
				FAIL();
		return;
	}
	if (a->type == VSC_ERROR) {
		/* Re-encoded big-endian: same code, never swapped. */
		if (a->error_code != b->error_code || b->error_code_swapped)
			FAIL();
		return;
	}
	if (a->length != b->length ||
	    (a->length && memcmp(a->payload, b->payload, a->length) != 0))
		FAIL();
}

static void check_msg(const struct vsc_msg *m)
{
	if (m->length > VSC_MAX_PAYLOAD || m->payload == NULL)
		FAIL();
	if (m->type == VSC_ATR && (m->length == 0 || m->length > VSC_MAX_ATR))
		FAIL();
	if (m->type == VSC_INIT &&
	    VSC_VERSION_MAJOR(m->version) != VSC_VERSION_MAJOR(VSC_VERSION))
		FAIL();

	int n = reencode(m);
	size_t used;
	struct vsc_msg again;

	if (n < (int)VSC_HEADER_LEN || (uint32_t)n != VSC_HEADER_LEN + m->length)
		FAIL();
	vsc_decoder_init(&redec);
	if (vsc_decoder_feed(&redec, enc, (size_t)n, &used) != 0 || used != (size_t)n)
		FAIL();
	if (vsc_decoder_next(&redec, &again) != 1)
		FAIL();
	check_same(m, &again);
}

static void check_error(int rc)
{
	const char *why = vsc_decoder_error(&dec);
	struct vsc_msg m;
	size_t used;

	if (rc >= 0 || why[0] == '\0' || strchr(why, '\n') != NULL)
		FAIL();
	if (vsc_decoder_next(&dec, &m) != rc)
		FAIL();
	if (vsc_decoder_feed(&dec, (const uint8_t *)"x", 1, &used) != rc ||
	    used != 0)
		FAIL();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint32_t seed = data[0];
	size_t off = 1;

	vsc_decoder_init(&dec);
	while (off < size) {
		seed = seed * 1103515245u + 12345u;
		size_t chunk = 1 + (seed >> 16) % 64;
		if (chunk > size - off)
			chunk = size - off;
		size_t pos = 0;

		while (pos < chunk) {
			size_t used;
			int rc = vsc_decoder_feed(&dec, data + off + pos,
						  chunk - pos, &used);
			if (used > chunk - pos)
				FAIL();
			if (rc < 0) {
				check_error(rc);
				return 0;
			}
			pos += used;
			struct vsc_msg m;
			rc = vsc_decoder_next(&dec, &m);
			if (rc == 1)
				check_msg(&m);
			else if (rc != 0 || used == 0)
				FAIL();
		}
		off += chunk;
	}
	return 0;
}
