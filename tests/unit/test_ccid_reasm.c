/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bulk-OUT reassembly: stream mode over odd splits, the short-packet rule
 * with out_mps = 64, oversized and truncated messages, the OUT read size,
 * and the ZLP flag on bulk-IN. */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

static struct ccid_fake_card card;

static struct ccid_engine *active_engine_mps(uint32_t max_msg_len,
					     uint16_t out_mps, uint16_t in_mps)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, max_msg_len,
							  NULL);

	ccid_engine_set_packet_sizes(eng, out_mps, in_mps);
	return eng;
}

/* A stream of mixed messages; returns its length. */
static size_t build_stream(uint8_t *buf)
{
	uint8_t apdu[300];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)(i * 7);
	n += ccid_fake_msg(buf + n, CCID_PC_GET_SLOT_STATUS, 0, 1, 0, 0, 0, NULL, 0);
	n += ccid_fake_msg(buf + n, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, apdu, 5);
	n += ccid_fake_msg(buf + n, CCID_PC_GET_PARAMETERS, 0, 3, 0, 0, 0, NULL, 0);
	n += ccid_fake_msg(buf + n, CCID_PC_XFR_BLOCK, 0, 4, 0, 0, 0, apdu, 300);
	n += ccid_fake_msg(buf + n, 0x99, 0, 5, 0, 0, 0, apdu, 3);
	n += ccid_fake_msg(buf + n, CCID_PC_XFR_BLOCK, 0, 6, 0, 0, 0, apdu, 64);
	return n;
}

/* Collect all responses into one buffer (their concatenation). */
static size_t collect(struct ccid_engine *eng, uint8_t *out, size_t cap)
{
	size_t n = 0, k;

	while ((k = ccid_fake_pop(eng, out + n, cap - n)) != 0 &&
	       k != (size_t)-1)
		n += k;
	return n;
}

static uint8_t stream[4096], want[8192], got[8192];

static void test_stream_splits(void)
{
	size_t len = build_stream(stream), nwant, ngot;
	struct ccid_engine *eng = active_engine_mps(0, 0, 0);
	unsigned seed = 12345;

	ccid_engine_bulk_out(eng, stream, len);
	nwant = collect(eng, want, sizeof(want));
	CHECK(nwant > 6 * 10);

	/* 1-byte chunks */
	for (size_t i = 0; i < len; i++)
		ccid_engine_bulk_out(eng, stream + i, 1);
	ngot = collect(eng, got, sizeof(got));
	CHECK_EQ(ngot, nwant);
	CHECK_MEM(got, want, nwant);

	/* random splits, several rounds, including empty chunks */
	for (int round = 0; round < 50; round++) {
		size_t off = 0;

		while (off < len) {
			size_t k;

			seed = seed * 1103515245u + 12345u;
			k = (seed >> 16) % 40;
			if (k > len - off)
				k = len - off;
			ccid_engine_bulk_out(eng, stream + off, k);
			off += k;
		}
		ngot = collect(eng, got, sizeof(got));
		CHECK_EQ(ngot, nwant);
		CHECK_MEM(got, want, nwant);
	}
	ccid_engine_free(eng);
}

static void test_read_size(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 0, 0);
	uint8_t msg[200];
	size_t n = ccid_fake_msg(msg, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, stream, 100);

	CHECK_EQ(ccid_engine_out_read_size(eng), 10);
	ccid_engine_bulk_out(eng, msg, 4);
	CHECK_EQ(ccid_engine_out_read_size(eng), 6);
	ccid_engine_bulk_out(eng, msg + 4, 6);
	CHECK_EQ(ccid_engine_out_read_size(eng), 100);
	ccid_engine_bulk_out(eng, msg + 10, n - 10);
	CHECK_EQ(ccid_engine_out_read_size(eng), 10);
	CHECK_EQ(ccid_fake_drain(eng), 1);

	ccid_engine_set_packet_sizes(eng, 64, 64);
	CHECK_EQ(ccid_engine_out_read_size(eng), 64);
	ccid_engine_bulk_out(eng, msg, 64);
	CHECK_EQ(ccid_engine_out_read_size(eng), 64);   /* 46 left -> 64 */
	ccid_engine_bulk_out(eng, msg + 64, n - 64);
	CHECK_EQ(ccid_engine_out_read_size(eng), 64);
	CHECK_EQ(ccid_fake_drain(eng), 1);
	ccid_engine_free(eng);
}

/* Messages of exactly 64 and 128 bytes end without a ZLP; a ZLP that
 * follows anyway is ignored. */
static void test_exact_multiple_no_zlp(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 64, 64);
	uint8_t msg[200];
	size_t n;

	n = ccid_fake_msg(msg, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, stream, 54);
	CHECK_EQ(n, 64);
	ccid_engine_bulk_out(eng, msg, 64);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10 + 56);
	CHECK_EQ(got[6], 1);
	ccid_engine_bulk_out(eng, msg, 0);   /* ZLP */
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);

	n = ccid_fake_msg(msg, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, stream, 118);
	CHECK_EQ(n, 128);
	ccid_engine_bulk_out(eng, msg, 64);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_bulk_out(eng, msg + 64, 64);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10 + 120);
	CHECK_EQ(got[6], 2);
	CHECK_EQ(got[7], 0);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void check_length_error(struct ccid_engine *eng, uint8_t type,
			       uint8_t seq)
{
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[0], type);
	CHECK_EQ(got[6], seq);
	CHECK_EQ(got[7], 0x40);
	CHECK_EQ(got[8], 1);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
}

static void test_short_packet_mid_message(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 64, 64);
	uint8_t msg[200];

	ccid_fake_msg(msg, CCID_PC_XFR_BLOCK, 0, 7, 0, 0, 0, stream, 100);
	ccid_engine_bulk_out(eng, msg, 64);
	ccid_engine_bulk_out(eng, msg + 64, 20);   /* short: 84 of 110 */
	check_length_error(eng, 0x80, 7);
	CHECK_EQ(card.transmit_calls, 0);
	/* the next message is parsed from a clean state */
	ccid_fake_msg(msg, CCID_PC_GET_SLOT_STATUS, 0, 8, 0, 0, 0, NULL, 0);
	ccid_engine_bulk_out(eng, msg, 10);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[6], 8);
	CHECK_EQ(got[7], 0);
	/* a ZLP in the middle of a message is a short packet too */
	ccid_fake_msg(msg, CCID_PC_XFR_BLOCK, 0, 9, 0, 0, 0, stream, 100);
	ccid_engine_bulk_out(eng, msg, 64);
	ccid_engine_bulk_out(eng, msg, 0);
	check_length_error(eng, 0x80, 9);
	ccid_engine_free(eng);
}

static void test_transfer_longer_than_dwlength(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 64, 64);
	uint8_t msg[64] = { 0 };

	ccid_fake_msg(msg, CCID_PC_GET_SLOT_STATUS, 0, 3, 0, 0, 0, NULL, 0);
	ccid_engine_bulk_out(eng, msg, 20);
	check_length_error(eng, 0x81, 3);
	ccid_engine_free(eng);
}

static void test_truncated_header(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 64, 64);
	uint8_t msg[16];

	ccid_fake_msg(msg, CCID_PC_GET_PARAMETERS, 0, 4, 0, 0, 0, NULL, 0);
	ccid_engine_bulk_out(eng, msg, 8);   /* type..seq known */
	check_length_error(eng, 0x82, 4);
	ccid_engine_bulk_out(eng, msg, 5);   /* not even bSlot: dropped */
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

/* dwLength beyond max_msg_len - 10: consumed without being stored, then
 * one bError 1 answer; packet mode and stream mode. */
static void test_oversized(void)
{
	struct ccid_engine *eng = active_engine_mps(271, 64, 64);
	static uint8_t big[1010 + 10];
	size_t n = ccid_fake_msg(big, CCID_PC_XFR_BLOCK, 0, 5, 0, 0, 0, stream, 1000), off;

	memset(big + 10, 0x62, 1000);   /* looks like headers if misparsed */
	for (off = 0; off + 64 <= n; off += 64) {
		ccid_engine_bulk_out(eng, big + off, 64);
		CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
		CHECK(ccid_engine_out_read_size(eng) <= 320);
	}
	ccid_engine_bulk_out(eng, big + off, n - off);   /* short: ends it */
	check_length_error(eng, 0x80, 5);

	/* ended early by a short packet */
	ccid_engine_bulk_out(eng, big, 64);
	ccid_engine_bulk_out(eng, big + 64, 3);
	check_length_error(eng, 0x80, 5);

	/* stream mode: the next message right behind it is still parsed */
	ccid_engine_set_packet_sizes(eng, 0, 0);
	ccid_fake_msg(big + n, CCID_PC_GET_SLOT_STATUS, 0, 6, 0, 0, 0, NULL, 0);
	ccid_engine_bulk_out(eng, big, n + 10);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[6], 5);
	CHECK_EQ(got[8], 1);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 10);
	CHECK_EQ(got[6], 6);
	CHECK_EQ(got[7], 0);
	ccid_engine_free(eng);
}

/* A 4 GiB dwLength in stream mode is only counted, never buffered. */
static void test_huge_dwlength(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 0, 0);
	uint8_t hdr[10] = { 0x6F, 0xFF, 0xFF, 0xFF, 0xFF, 0, 9, 0, 0, 0 };

	ccid_engine_bulk_out(eng, hdr, 10);
	ccid_engine_bulk_out(eng, stream, 4096);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	CHECK_EQ(ccid_engine_out_read_size(eng), 65554);
	ccid_engine_free(eng);
}

static void test_zlp_flag(void)
{
	struct ccid_engine *eng = active_engine_mps(0, 64, 64);
	const struct ccid_msg *m;

	/* 52-byte APDU + 90 00 = 54 data bytes = 64-byte DataBlock */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, stream, 52);
	m = ccid_engine_peek_bulk_in(eng);
	CHECK(m && m->len == 64 && m->zlp);
	ccid_engine_pop_bulk_in(eng);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, stream, 53);
	m = ccid_engine_peek_bulk_in(eng);
	CHECK(m && m->len == 65 && !m->zlp);
	ccid_engine_pop_bulk_in(eng);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 3, 0, 0, 0, stream, 116);
	m = ccid_engine_peek_bulk_in(eng);
	CHECK(m && m->len == 128 && m->zlp);
	ccid_engine_pop_bulk_in(eng);
	ccid_engine_set_packet_sizes(eng, 64, 0);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 4, 0, 0, 0, stream, 52);
	m = ccid_engine_peek_bulk_in(eng);
	CHECK(m && m->len == 64 && !m->zlp);
	ccid_engine_free(eng);
}

/* ccid_engine_out_idle(): true only between messages, whatever ended
 * the transfer: dwLength in (one packet, then the rest), a short packet,
 * a stray ZLP, the end of a dropped oversized message. */
static void test_out_idle(void)
{
	struct ccid_engine *eng = active_engine_mps(271, 64, 64);
	static uint8_t big[1010];
	uint8_t msg[200];
	size_t n = ccid_fake_msg(msg, 0x6F, 0, 1, 0, 0, 0, stream, 100), off;

	CHECK(ccid_engine_out_idle(eng));
	ccid_engine_bulk_out(eng, msg, 64);
	CHECK(!ccid_engine_out_idle(eng));
	ccid_engine_bulk_out(eng, msg + 64, 0);        /* short: ends it */
	CHECK(ccid_engine_out_idle(eng));
	check_length_error(eng, 0x80, 1);
	ccid_engine_bulk_out(eng, msg, 64);
	CHECK(!ccid_engine_out_idle(eng));
	ccid_engine_bulk_out(eng, msg + 64, n - 64);   /* dwLength in */
	CHECK(ccid_engine_out_idle(eng));
	CHECK_EQ(ccid_fake_drain(eng), 1);
	ccid_engine_bulk_out(eng, msg, 0);             /* a stray ZLP */
	CHECK(ccid_engine_out_idle(eng));

	n = ccid_fake_msg(big, 0x6F, 0, 2, 0, 0, 0, stream, 1000);
	for (off = 0; off + 64 <= n; off += 64) {
		ccid_engine_bulk_out(eng, big + off, 64);
		CHECK(!ccid_engine_out_idle(eng));
	}
	ccid_engine_bulk_out(eng, big + off, n - off);
	CHECK(ccid_engine_out_idle(eng));
	check_length_error(eng, 0x80, 2);
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(test_stream_splits);
	RUN(test_read_size);
	RUN(test_exact_multiple_no_zlp);
	RUN(test_short_packet_mid_message);
	RUN(test_transfer_longer_than_dwlength);
	RUN(test_truncated_header);
	RUN(test_oversized);
	RUN(test_huge_dwlength);
	RUN(test_zlp_flag);
	RUN(test_out_idle);
	TAP_EXIT();
}
