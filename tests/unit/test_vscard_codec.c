/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VSCard wire codec (vcard-glue/vscard/vscard_codec.c): byte-exact vectors
 * from QEMU / vscclient, round trips for every type, streams split at every
 * byte, several messages per chunk, and each refusal with its reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vscard_codec.h"

static struct vsc_decoder dec;           /* ~64 KiB: not on the stack */
static uint8_t wire[4 * (VSC_HEADER_LEN + VSC_MAX_PAYLOAD)];

/* A decoded message with the first 64 payload bytes copied: msg.payload
 * points into the decoder and is stale after the next feed. */
struct got {
	struct vsc_msg msg;
	uint8_t data[64];
};

/* Feed `buf` to a fresh decoder `chunk` bytes at a time; collect up to max
 * messages into got. Returns the number of messages, or the -errno the
 * decoder reported. */
static int decode_all(const uint8_t *buf, size_t len, size_t chunk,
		      struct got *got, int max)
{
	int count = 0;
	size_t off = 0;

	vsc_decoder_init(&dec);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t pos = 0;

		while (pos < n) {
			size_t used;
			int rc = vsc_decoder_feed(&dec, buf + off + pos, n - pos, &used);

			if (rc < 0)
				return rc;
			pos += used;
			struct vsc_msg m;
			rc = vsc_decoder_next(&dec, &m);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				if (count >= max)
					return -E2BIG;
				got[count].msg = m;
				memcpy(got[count].data, m.payload,
				       m.length < sizeof(got[count].data) ?
				       m.length : sizeof(got[count].data));
				count++;
			} else if (used == 0) {
				return -EIO;   /* no progress: a decoder bug */
			}
		}
		off += n;
	}
	return count;
}

/* What QEMU's ccid_card_vscard_send_init() writes (and vscclient, except
 * that it uses reader 0): header, "VSCD" raw, htonl(VSCARD_VERSION = 2),
 * one capability 0. */
static const uint8_t qemu_init[] = {
	0x00, 0x00, 0x00, 0x01,  0xff, 0xff, 0xff, 0xff,  0x00, 0x00, 0x00, 0x0c,
	'V', 'S', 'C', 'D',      0x00, 0x00, 0x00, 0x02,  0x00, 0x00, 0x00, 0x00,
};

static void init_vector(void)
{
	uint32_t caps[1] = { 0 };
	int n = vsc_encode_init(wire, sizeof(wire), VSC_READER_UNDEFINED, caps, 1);

	CHECK_EQ(n, sizeof(qemu_init));
	CHECK_MEM(wire, qemu_init, sizeof(qemu_init));
	CHECK_EQ(VSC_VERSION, 2);

	struct got g[1];
	CHECK_EQ(decode_all(qemu_init, sizeof(qemu_init), sizeof(qemu_init), g, 1), 1);
	CHECK_EQ(g[0].msg.type, VSC_INIT);
	CHECK_EQ(g[0].msg.reader_id, 0xffffffffu);
	CHECK_EQ(g[0].msg.version, 2);
	CHECK_EQ(g[0].msg.n_caps, 1);
	CHECK_EQ(vsc_msg_init_cap(&g[0].msg, 0), 0);
}

static void error_vector(void)
{
	/* QEMU: ccid_card_vscard_send_error(card, 0, VSC_CANNOT_ADD_MORE_READERS) */
	static const uint8_t want[] = {
		0, 0, 0, 2,  0, 0, 0, 0,  0, 0, 0, 4,  0, 0, 0, 2,
	};
	CHECK_EQ(vsc_encode_error(wire, sizeof(wire), 0,
				  VSC_ERR_CANNOT_ADD_MORE_READERS), 16);
	CHECK_MEM(wire, want, sizeof(want));
}

static void apdu_vector(void)
{
	static const uint8_t apdu[] = { 0x00, 0xa4, 0x04, 0x00 };
	static const uint8_t want[] = {
		0, 0, 0, 7,  0, 0, 0, 0,  0, 0, 0, 4,  0x00, 0xa4, 0x04, 0x00,
	};
	CHECK_EQ(vsc_encode_apdu(wire, sizeof(wire), 0, apdu, 4), 16);
	CHECK_MEM(wire, want, sizeof(want));
}

/* One of every type, back to back, in one buffer. */
static const uint8_t atr[] = { 0x3b, 0xd5, 0x18, 0xff, 0x80, 0x91, 0xfe, 0x1f,
			       0xc3, 0x80, 0x73, 0xc8, 0x21, 0x13, 0x08 };
static const uint8_t apdu[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xa0, 0x00, 0x00,
				0x00, 0x79, 0x01, 0x00, 0x00 };
static const uint8_t name[] = "CCID Reader";

static size_t build_all(uint8_t *out, size_t cap)
{
	uint32_t caps[3] = { 0, 7, 0xdeadbeef };
	size_t len = 0;
	int n;

	n = vsc_encode_init(out + len, cap - len, 0, caps, 3);
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_error(out + len, cap - len, 5, VSC_ERR_CARD_ALREADY_INSERTED);
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_reader_add(out + len, cap - len, 0, name, sizeof(name));
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_reader_add(out + len, cap - len, 0, NULL, 0);
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_atr(out + len, cap - len, 1, atr, sizeof(atr));
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_apdu(out + len, cap - len, 1, apdu, sizeof(apdu));
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_card_remove(out + len, cap - len, 1);
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_flush(out + len, cap - len, 2);
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_flush_complete(out + len, cap - len, 3);
	len += n > 0 ? (size_t)n : 0;
	n = vsc_encode_reader_remove(out + len, cap - len, 4);
	len += n > 0 ? (size_t)n : 0;
	return len;
}

#define ALL_COUNT 10
#define ALL_LEN (20 + 4 * 3 + 16 + 12 + sizeof(name) + 12 + 12 + sizeof(atr) + \
		 12 + sizeof(apdu) + 4 * 12)

static void check_all(const struct got *g)
{
	CHECK_EQ(g[0].msg.type, VSC_INIT);
	CHECK_EQ(g[0].msg.n_caps, 3);
	CHECK_EQ(g[0].msg.version, VSC_VERSION);
	/* Capability 1 from the copy (the payload pointer is stale now). */
	static const uint8_t caps_wire[] = { 0, 0, 0, 0, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef };
	CHECK_EQ(g[0].msg.length, 8 + sizeof(caps_wire));
	CHECK_MEM(g[0].data + 8, caps_wire, sizeof(caps_wire));
	CHECK_EQ(g[1].msg.type, VSC_ERROR);
	CHECK_EQ(g[1].msg.reader_id, 5);
	CHECK_EQ(g[1].msg.error_code, VSC_ERR_CARD_ALREADY_INSERTED);
	CHECK(!g[1].msg.error_code_swapped);
	CHECK_EQ(g[2].msg.type, VSC_READER_ADD);
	CHECK_EQ(g[2].msg.length, sizeof(name));
	CHECK_MEM(g[2].data, name, sizeof(name));
	CHECK_EQ(g[3].msg.type, VSC_READER_ADD);
	CHECK_EQ(g[3].msg.length, 0);
	CHECK_EQ(g[4].msg.type, VSC_ATR);
	CHECK_EQ(g[4].msg.reader_id, 1);
	CHECK_EQ(g[4].msg.length, sizeof(atr));
	CHECK_MEM(g[4].data, atr, sizeof(atr));
	CHECK_EQ(g[5].msg.type, VSC_APDU);
	CHECK_EQ(g[5].msg.length, sizeof(apdu));
	CHECK_MEM(g[5].data, apdu, sizeof(apdu));
	CHECK_EQ(g[6].msg.type, VSC_CARD_REMOVE);
	CHECK_EQ(g[7].msg.type, VSC_FLUSH);
	CHECK_EQ(g[7].msg.reader_id, 2);
	CHECK_EQ(g[8].msg.type, VSC_FLUSH_COMPLETE);
	CHECK_EQ(g[8].msg.reader_id, 3);
	CHECK_EQ(g[9].msg.type, VSC_READER_REMOVE);
	CHECK_EQ(g[9].msg.reader_id, 4);
	CHECK_EQ(g[9].msg.length, 0);
}

static void round_trip_one_chunk(void)
{
	struct got g[ALL_COUNT];
	size_t len = build_all(wire, sizeof(wire));

	CHECK_EQ(len, ALL_LEN);
	CHECK_EQ(decode_all(wire, len, len, g, ALL_COUNT), ALL_COUNT);
	check_all(g);
}

/* Every chunk size from 1 byte up: headers and payloads split at every
 * position. */
static void split_every_chunk_size(void)
{
	size_t len = build_all(wire, sizeof(wire));

	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct got g[ALL_COUNT];
		int n = decode_all(wire, len, chunk, g, ALL_COUNT);

		CHECK_EQ(n, ALL_COUNT);
		if (n != ALL_COUNT) {
			fprintf(stderr, "  chunk size %zu\n", chunk);
			return;
		}
		check_all(g);
	}
}

/* Two chunks, split at every byte position. */
static void split_every_position(void)
{
	size_t len = build_all(wire, sizeof(wire));

	for (size_t cut = 0; cut <= len; cut++) {
		struct got g[ALL_COUNT];
		int count = 0;
		const uint8_t *parts[2] = { wire, wire + cut };
		size_t lens[2] = { cut, len - cut };

		vsc_decoder_init(&dec);
		for (int p = 0; p < 2; p++) {
			size_t pos = 0, used;
			struct vsc_msg m;

			while (pos < lens[p]) {
				CHECK_EQ(vsc_decoder_feed(&dec, parts[p] + pos,
							  lens[p] - pos, &used), 0);
				pos += used;
				int rc = vsc_decoder_next(&dec, &m);
				CHECK(rc >= 0);
				if (rc == 1 && count < ALL_COUNT) {
					g[count].msg = m;
					memcpy(g[count].data, m.payload,
					       m.length < 64 ? m.length : 64);
					count++;
				} else if (rc == 0 && used == 0) {
					CHECK(0);
					return;
				}
			}
		}
		CHECK_EQ(count, ALL_COUNT);
		if (count != ALL_COUNT)
			return;
		check_all(g);
	}
}

/* feed stops at the end of each message; a ready message must be taken. */
static void feed_stops_at_message_end(void)
{
	size_t len = build_all(wire, sizeof(wire)), used;
	struct vsc_msg m;

	vsc_decoder_init(&dec);
	CHECK_EQ(vsc_decoder_feed(&dec, wire, len, &used), 0);
	CHECK_EQ(used, 20 + 12);   /* the Init with 3 capabilities */
	CHECK_EQ(vsc_decoder_feed(&dec, wire + used, len - used, &used), -EBUSY);
	CHECK_EQ(used, 0);
	CHECK_EQ(vsc_decoder_next(&dec, &m), 1);
	CHECK_EQ(m.type, VSC_INIT);
	CHECK_EQ(m.n_caps, 3);
	CHECK_EQ(vsc_msg_init_cap(&m, 0), 0);
	CHECK_EQ(vsc_msg_init_cap(&m, 1), 7);
	CHECK_EQ(vsc_msg_init_cap(&m, 2), 0xdeadbeef);
	CHECK_EQ(vsc_msg_init_cap(&m, 3), 0);   /* out of range */
	CHECK_EQ(vsc_decoder_next(&dec, &m), 0);
	CHECK_EQ(vsc_decoder_error(&dec)[0], '\0');
}

static void big_apdu_round_trip(void)
{
	static uint8_t big[VSC_MAX_PAYLOAD];
	size_t used;
	struct vsc_msg m;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	int n = vsc_encode_apdu(wire, sizeof(wire), 0, big, sizeof(big));
	CHECK_EQ(n, VSC_HEADER_LEN + VSC_MAX_PAYLOAD);
	vsc_decoder_init(&dec);
	CHECK_EQ(vsc_decoder_feed(&dec, wire, (size_t)n, &used), 0);
	CHECK_EQ(used, (size_t)n);
	CHECK_EQ(vsc_decoder_next(&dec, &m), 1);
	CHECK_EQ(m.length, VSC_MAX_PAYLOAD);
	CHECK_MEM(m.payload, big, sizeof(big));

	/* One byte more is refused before the input is read. */
	CHECK_EQ(vsc_encode_apdu(wire, sizeof(wire), 0, big,
				 (size_t)VSC_MAX_PAYLOAD + 1), -EINVAL);
}

static void encoder_limits(void)
{
	uint8_t small[16];
	uint8_t a[VSC_MAX_ATR + 1] = { 0x3b };

	CHECK_EQ(vsc_encode_init(small, sizeof(small), 0, NULL, 0), -ENOSPC);
	CHECK_EQ(vsc_encode_init(wire, 20, 0, NULL, 0), 20);
	CHECK_EQ(vsc_encode_init(wire, 23, 0, (const uint32_t[]){ 0 }, 1), -ENOSPC);
	CHECK_EQ(vsc_encode_flush(small, 11, 0), -ENOSPC);
	CHECK_EQ(vsc_encode_flush(small, 12, 0), 12);
	CHECK_EQ(vsc_encode_error(small, 15, 0, 1), -ENOSPC);
	CHECK_EQ(vsc_encode_error(small, 16, 0, 1), 16);
	CHECK_EQ(vsc_encode_atr(wire, sizeof(wire), 0, a, VSC_MAX_ATR), 12 + 33);
	CHECK_EQ(vsc_encode_atr(wire, sizeof(wire), 0, a, VSC_MAX_ATR + 1), -EINVAL);
	CHECK_EQ(vsc_encode_atr(wire, sizeof(wire), 0, a, 0), -EINVAL);
	CHECK_EQ(vsc_encode_apdu(wire, sizeof(wire), 0, a, 0), -EINVAL);
	CHECK_EQ(vsc_encode_reader_add(wire, sizeof(wire), 0, a,
				       (size_t)VSC_MAX_PAYLOAD + 1), -EINVAL);
	CHECK_EQ(vsc_encode_init(wire, sizeof(wire), 0, NULL, (size_t)VSC_MAX_CAPS + 1),
		 -EINVAL);
}

/* Feed bytes; expect the sticky error `err` with `reason` (a substring). */
static void expect_error(const uint8_t *buf, size_t len, int err,
			 const char *reason)
{
	size_t used;
	struct vsc_msg m;

	vsc_decoder_init(&dec);
	CHECK_EQ(vsc_decoder_feed(&dec, buf, len, &used), err);
	CHECK(strstr(vsc_decoder_error(&dec), reason) != NULL);
	CHECK(strchr(vsc_decoder_error(&dec), '\n') == NULL);
	/* Stays in error: no message, more input refused. */
	CHECK_EQ(vsc_decoder_next(&dec, &m), err);
	CHECK_EQ(vsc_decoder_feed(&dec, qemu_init, sizeof(qemu_init), &used), err);
	CHECK_EQ(used, 0);
	vsc_decoder_reset(&dec);
	CHECK_EQ(vsc_decoder_error(&dec)[0], '\0');
	CHECK_EQ(vsc_decoder_feed(&dec, qemu_init, sizeof(qemu_init), &used), 0);
	CHECK_EQ(vsc_decoder_next(&dec, &m), 1);
}

static void oversized_length(void)
{
	/* Refused from the header alone, before any payload. */
	static const uint8_t over[] = { 0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 0, 0x0d };
	static const uint8_t huge[] = { 0, 0, 0, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	expect_error(over, sizeof(over), -EMSGSIZE, "over the limit");
	expect_error(huge, sizeof(huge), -EMSGSIZE, "over the limit");
}

static void unknown_type(void)
{
	static const uint8_t zero[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ten[] = { 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t swapped[] = { 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	expect_error(zero, sizeof(zero), -EPROTO, "unknown message type");
	expect_error(ten, sizeof(ten), -EPROTO, "unknown message type");
	expect_error(swapped, sizeof(swapped), -EPROTO, "unknown message type");
}

static void bad_magic(void)
{
	uint8_t b[sizeof(qemu_init)];

	memcpy(b, qemu_init, sizeof(b));
	memcpy(b + 12, "DCSV", 4);   /* the magic byte-swapped */
	expect_error(b, sizeof(b), -EPROTO, "bad magic");
}

static void bad_version(void)
{
	uint8_t b[sizeof(qemu_init)];

	memcpy(b, qemu_init, sizeof(b));
	b[16] = 0x02;                /* version byte-swapped: 0x02000000 */
	b[19] = 0x00;
	expect_error(b, sizeof(b), -EPROTONOSUPPORT, "version");
	b[16] = 0x00;                /* MAKE_VERSION(1, 0, 2) */
	b[17] = 0x20;
	b[19] = 0x02;
	expect_error(b, sizeof(b), -EPROTONOSUPPORT, "version");

	/* A compatible newer version (0.1.0) is accepted and reported. */
	struct got g[1];
	b[17] = 0x00;
	b[18] = 0x04;
	b[19] = 0x00;
	CHECK_EQ(decode_all(b, sizeof(b), sizeof(b), g, 1), 1);
	CHECK_EQ(g[0].msg.version, VSC_MAKE_VERSION(0, 1, 0));
}

static void bad_init_length(void)
{
	uint8_t b[sizeof(qemu_init)];

	memcpy(b, qemu_init, sizeof(b));
	b[11] = 7;
	expect_error(b, sizeof(b), -EBADMSG, "Init length");
	b[11] = 10;
	expect_error(b, sizeof(b), -EBADMSG, "Init length");
}

static void atr_too_long(void)
{
	uint8_t b[12 + 34] = { 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 34, 0x3b };
	struct got g[1];

	expect_error(b, sizeof(b), -EMSGSIZE, "ATR too long");
	b[11] = 33;
	CHECK_EQ(decode_all(b, 12 + 33, 12 + 33, g, 1), 1);
	CHECK_EQ(g[0].msg.length, 33);
	b[11] = 0;
	expect_error(b, 12, -EBADMSG, "empty ATR");
}

static void wrong_fixed_lengths(void)
{
	uint8_t b[12 + 8] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8 };

	expect_error(b, sizeof(b), -EBADMSG, "Error payload");
	b[3] = 6;                   /* CardRemove with a payload */
	b[11] = 1;
	expect_error(b, sizeof(b), -EBADMSG, "payload on a message");
	b[3] = 7;                   /* empty APDU */
	b[11] = 0;
	expect_error(b, 12, -EBADMSG, "empty APDU");
}

static uint32_t decode_error_code(const uint8_t code[4], bool *swapped)
{
	uint8_t b[16] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 4 };
	struct got g[1];

	memcpy(b + 12, code, 4);
	CHECK_EQ(decode_all(b, sizeof(b), sizeof(b), g, 1), 1);
	*swapped = g[0].msg.error_code_swapped;
	return g[0].msg.error_code;
}

static void error_code_both_orders(void)
{
	bool sw;

	for (uint8_t c = 0; c <= 3; c++) {
		const uint8_t be[4] = { 0, 0, 0, c };   /* htonl(code), QEMU */
		const uint8_t le[4] = { c, 0, 0, 0 };   /* raw on x86 */

		CHECK_EQ(decode_error_code(be, &sw), c);
		CHECK(!sw);
		CHECK_EQ(decode_error_code(le, &sw), c);
		CHECK_EQ(sw, c != 0);
	}
	/* Neither order gives a known code: passed through big-endian. */
	const uint8_t odd[4] = { 0, 0, 1, 0 };
	CHECK_EQ(decode_error_code(odd, &sw), 0x100);
	CHECK(!sw);
}

/* vsc_header_decode: the three big-endian words of an encoded message,
 * and a refusal for fewer than 12 bytes. */
static void header_decode(void)
{
	static const uint8_t sw[2] = { 0x90, 0x00 };
	struct vsc_header h = { 0, 0, 0 };
	int n = vsc_encode_apdu(wire, sizeof(wire), 0x01020304, sw, 2);

	CHECK_EQ(n, (int)VSC_HEADER_LEN + 2);
	CHECK_EQ(vsc_header_decode(wire, (size_t)n, &h), 0);
	CHECK_EQ(h.type, VSC_APDU);
	CHECK_EQ(h.reader_id, 0x01020304);
	CHECK_EQ(h.length, 2);
	CHECK_EQ(vsc_header_decode(wire, VSC_HEADER_LEN - 1, &h), -EINVAL);
}

static void type_names(void)
{
	CHECK(strcmp(vsc_type_name(VSC_INIT), "Init") == 0);
	CHECK(strcmp(vsc_type_name(VSC_FLUSH_COMPLETE), "FlushComplete") == 0);
	CHECK(strcmp(vsc_type_name(0), "unknown") == 0);
	CHECK(strcmp(vsc_type_name(10), "unknown") == 0);
}

int main(void)
{
	RUN(init_vector);
	RUN(error_vector);
	RUN(apdu_vector);
	RUN(round_trip_one_chunk);
	RUN(split_every_chunk_size);
	RUN(split_every_position);
	RUN(feed_stops_at_message_end);
	RUN(big_apdu_round_trip);
	RUN(encoder_limits);
	RUN(oversized_length);
	RUN(unknown_type);
	RUN(bad_magic);
	RUN(bad_version);
	RUN(bad_init_length);
	RUN(atr_too_long);
	RUN(wrong_fixed_lengths);
	RUN(error_code_both_orders);
	RUN(header_decode);
	RUN(type_names);
	TAP_EXIT();
}
