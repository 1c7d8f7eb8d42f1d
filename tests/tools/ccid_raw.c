/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid_raw: a host-side CCID tool of the project's own, on usbdevfs (no
 * libusb, no pcscd: it claims the reader's interface itself), for the
 * malformed-input suite (tests/vm/suites/15-malformed.sh). It sends what
 * no well-behaved host sends and checks that the reader answers the way
 * CCID 1.1 says and stays in step:
 *
 *   lengths   every PC_to_RDR type (and unknown ones) with dwLength 0, 9,
 *             10, max-1, max, max+1 and 0xFFFFFFFF, where max is the
 *             largest payload (dwMaxCCIDMessageLength - 10); when fewer
 *             bytes follow than dwLength says, a short packet ends the
 *             transfer early
 *   headers   transfers of 1..9 bytes (truncated headers)
 *   short     a short packet in the middle of a message
 *   slots     bSlot 1..255 on a one-slot reader
 *   overlap   a second command while one is pending (a slow card)
 *   flood     XfrBlocks sent without reading bulk-IN, until the reader
 *             stops taking them (NAK), then every answer read in order
 *   abort-bulk     a lone PC_to_RDR_Abort (no ABORT class request), and
 *   abort-request  a lone ABORT class request (no PC_to_RDR_Abort): the
 *             next GetSlotStatus must fail CMD_ABORTED (the half is
 *             pending, Section 5.3.1); then ccid_raw leaves, the half
 *             still pending, as a host that died between the two would.
 *             Not in "all" (it leaves the slot failing for a while).
 *   --random SEED COUNT
 *             COUNT PC_to_RDR messages of every type (and unknown ones)
 *             from a PRNG seeded with SEED (the same SEED, the same
 *             messages): random bSlot, bSeq, abRFU and payload, dwLength
 *             consistent with the bytes sent or not (cut short, more than
 *             the reader takes, bytes past it). Each must be answered with
 *             the response type the spec pairs with it, its bSlot and
 *             bSeq, and the bError the first bad field names (or be
 *             stalled); then a GetSlotStatus with a known bSeq, in step.
 *             --expect-wrong-seq (the suite's self-test): expect each
 *             answer's bSeq one too high, so that every one is flagged.
 *
 * After each malformed transfer a well-formed GetSlotStatus with a fresh
 * bSeq must be answered, in step (its own bSeq), and anything answered to
 * the malformed one must be the response type the spec pairs with the
 * command, with its bSeq, and bError 1 (dwLength) when the transfer ended
 * before dwLength bytes. A stall is accepted as an answer too (cleared).
 *
 *   ccid_raw [--device /dev/bus/usb/BBB/DDD] [--sysfs DIR] [--quick]
 *            [--random SEED COUNT [--expect-wrong-seq]] [TEST...]
 * TESTs: lengths headers short slots overlap flood abort-bulk
 * abort-request (all: lengths headers short slots flood; overlap needs a
 * card that is slow: --card test,delay_ms=...).
 * Prints TAP lines ("ok - ccid_raw: ...") and a last line
 * "sent N malformed transfers". Exit 0 if all passed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "usbdev.h"

#define HDR 10
#define ST_FAILED 0x40        /* bmCommandStatus 1, Table 6.2-3 */
#define ST_TIME_EXT 0x80      /* bmCommandStatus 2 */
#define ERR_BAD_LENGTH 0x01   /* Table 6.2-2: the offset of dwLength */
#define ERR_BAD_SLOT 0x05     /* the offset of bSlot */
#define ERR_SLOT_BUSY 0xE0
#define ERR_CMD_ABORTED 0xFF
/* Table 6.2-2: bError 0 with a failed status, command not supported */
#define ERR_NOT_SUPPORTED 0x00
#define IO_TIMEOUT_MS 3000

struct reader {
	struct usbdev u;          /* interface, endpoints, dwMaxCCIDMessageLength */
	unsigned nslots;          /* bMaxSlotIndex + 1 */
	uint8_t seq;
};

static unsigned long malformed_sent;
static int failures;
static uint8_t *buf;          /* max_msg + mps */
static uint8_t *rsp;

static void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ccid_raw: ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* ---- transfers ---- */

static int send_raw(struct reader *r, const uint8_t *msg, size_t len)
{
	return usbdev_bulk(&r->u, r->u.ep_out, (void *)msg, len, IO_TIMEOUT_MS);
}

/* Read one RDR_to_PC message (skipping time extensions). Returns its
 * length, 0 for no answer within the timeout, -EPIPE for a stall. */
static int recv_msg(struct reader *r, int timeout)
{
	for (;;) {
		int n = usbdev_bulk(&r->u, r->u.ep_in, rsp, r->u.max_msg + r->u.mps,
				    (unsigned)timeout);

		if (n == -ETIMEDOUT)
			return 0;
		if (n < 0)
			return n;
		if (n >= HDR && rsp[0] == 0x80 && (rsp[7] & 0xC0) == ST_TIME_EXT)
			continue;
		return n;
	}
}

/* The ABORT class request, Section 5.3.1: wValue = bSeq << 8 | bSlot. */
static int abort_request(struct reader *r, uint8_t slot, uint8_t seq)
{
	int rc = usbdev_class_request(&r->u, 0x21, 0x01, (uint16_t)(seq << 8 | slot),
				      NULL, 0, IO_TIMEOUT_MS);

	return rc < 0 ? rc : 0;
}

static size_t build(uint8_t *m, uint8_t type, uint8_t slot, uint8_t seq,
		    uint32_t dwlength)
{
	m[0] = type;
	usbdev_put_le32(m + 1, dwlength);
	m[5] = slot;
	m[6] = seq;
	m[7] = m[8] = m[9] = 0;
	return HDR;
}

/* The reader is in step: GetSlotStatus with a fresh bSeq answered with it. */
static bool in_step(struct reader *r, const char *after)
{
	uint8_t m[HDR];
	uint8_t seq = ++r->seq;
	int n;

	build(m, 0x65, 0, seq, 0);
	if (send_raw(r, m, HDR) != HDR) {
		result(false, "after %s: GetSlotStatus not taken", after);
		return false;
	}
	/* Answers to the malformed message may still come first. */
	for (int i = 0; i < 8; i++) {
		n = recv_msg(r, IO_TIMEOUT_MS);
		if (n >= HDR && rsp[0] == 0x81 && rsp[6] == seq && (rsp[7] & 0xC0) == 0)
			return true;
		if (n <= 0)
			break;
	}
	result(false, "after %s: GetSlotStatus (seq %u) not answered in step", after, seq);
	return false;
}

/* The response type CCID 1.1 pairs with each command (Table 6.1-1 /
 * 6.2-1); unknown commands get SlotStatus with CMD_NOT_SUPPORTED. */
static uint8_t paired(uint8_t type)
{
	switch (type) {
	case 0x62: case 0x6F: case 0x69:
		return 0x80;
	case 0x6C: case 0x6D: case 0x61:
		return 0x82;
	case 0x6B:
		return 0x83;
	case 0x73:
		return 0x84;
	default:
		return 0x81;
	}
}

/* Send type/dwLength with `have` payload bytes (then a short packet if
 * the transfer ends early); check the answer and the step. */
static bool one_length(struct reader *r, uint8_t type, uint32_t dwlength, size_t have,
		       const char *what)
{
	uint8_t seq = ++r->seq;
	size_t len = build(buf, type, 0, seq, dwlength) + have;
	bool truncated = have < dwlength;
	bool ok = true;
	int n;

	memset(buf + HDR, 0xA5, have);
	/* A well-formed PC_to_RDR_Abort is answered only once its other
	 * half, the ABORT class request, has come too (Section 5.3.1). */
	if (type == 0x72 && dwlength == 0 && abort_request(r, 0, seq) < 0) {
		result(false, "%s: the ABORT class request failed", what);
		return false;
	}
	/* A transfer that is a multiple of the packet size and ends early
	 * needs a ZLP to end it: send one. */
	n = send_raw(r, buf, len);
	if (n >= 0 && truncated && len % r->u.mps == 0)
		n = send_raw(r, buf, 0);
	malformed_sent++;
	if (n < 0 && n != -EPIPE) {
		result(false, "%s: the OUT transfer failed: %s", what, strerror(-n));
		return false;
	}
	n = recv_msg(r, IO_TIMEOUT_MS);
	if (n > 0) {
		if (n < HDR || rsp[0] != paired(type) || rsp[6] != seq) {
			fprintf(stderr, "%s: answer type %02x seq %u (want %02x seq %u)\n",
				what, n >= 1 ? rsp[0] : 0, n >= 7 ? rsp[6] : 0, paired(type), seq);
			ok = false;
		} else if (truncated && (!(rsp[7] & ST_FAILED) || rsp[8] != ERR_BAD_LENGTH)) {
			fprintf(stderr, "%s: status %02x error %02x (want failed, bError 1)\n",
				what, rsp[7], rsp[8]);
			ok = false;
		}
	} else if (n == 0) {
		fprintf(stderr, "%s: no answer\n", what);
		ok = false;
	}
	return in_step(r, what) && ok;
}

static void test_lengths(struct reader *r, bool quick)
{
	static const uint8_t types[] = {
		0x62, 0x63, 0x65, 0x6F, 0x6C, 0x6D, 0x61, 0x6B, 0x6E, 0x6A,
		0x69, 0x71, 0x72, 0x73, 0x00, 0x50, 0x80, 0xFF,
	};
	uint32_t max = r->u.max_msg - HDR;
	const uint32_t lens[] = { 0, 9, 10, max - 1, max, max + 1, 0xFFFFFFFFu };

	for (size_t t = 0; t < sizeof(types); t++) {
		unsigned bad = 0;

		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			uint32_t dw = lens[l];
			/* Within max the payload is sent whole; beyond it, a
			 * packet's worth and then a short packet. */
			size_t have = dw <= max ? dw : r->u.mps * 2;
			char what[64];

			if (quick && dw > 10 && dw <= max && t % 4 != 0)
				continue;
			snprintf(what, sizeof(what), "type %02X dwLength %u", types[t], dw);
			if (!one_length(r, types[t], dw, have, what))
				bad++;
			/* The same length announced, half of it sent. */
			if (dw >= 10 && dw <= max) {
				snprintf(what, sizeof(what), "type %02X dwLength %u, %u sent",
					 types[t], dw, dw / 2);
				if (!one_length(r, types[t], dw, dw / 2, what))
					bad++;
			}
		}
		result(bad == 0, "lengths: type %02X with dwLength 0, 9, 10, max-1, max, max+1, 0xFFFFFFFF, whole and cut short: each answered as the spec pairs, in step", types[t]);
	}
}

static void test_headers(struct reader *r)
{
	unsigned bad = 0;

	for (size_t len = 1; len < HDR; len++) {
		uint8_t seq = ++r->seq;
		char what[48];
		int n;

		build(buf, 0x65, 0, seq, 0);
		n = send_raw(r, buf, len);
		malformed_sent++;
		snprintf(what, sizeof(what), "a %zu-byte header", len);
		if (n < 0 && n != -EPIPE) {
			bad++;
			continue;
		}
		/* 7..9 bytes hold bType..bSeq: answered bError 1; shorter:
		 * nothing to answer to. Either way the next command works. */
		if (len >= 7) {
			n = recv_msg(r, IO_TIMEOUT_MS);
			if (n < HDR || rsp[6] != seq || rsp[8] != ERR_BAD_LENGTH) {
				fprintf(stderr, "%s: not answered bError 1\n", what);
				bad++;
			}
		}
		if (!in_step(r, what))
			bad++;
	}
	result(bad == 0, "headers: transfers of 1..9 bytes: dropped (1..6) or answered bError 1 (7..9); the next command in step");
}

static void test_short(struct reader *r)
{
	unsigned bad = 0;
	char what[64];

	/* A full packet, then a short one: 10 + 2*mps announced. */
	for (unsigned k = 1; k <= 3; k++) {
		uint8_t seq = ++r->seq;
		int n;

		build(buf, 0x6F, 0, seq, (uint32_t)(2 * r->u.mps));
		memset(buf + HDR, 0x5A, r->u.mps);
		n = send_raw(r, buf, r->u.mps);               /* one full packet */
		if (n == (int)r->u.mps)
			n = send_raw(r, buf + r->u.mps, k * 3);   /* short */
		malformed_sent++;
		n = recv_msg(r, IO_TIMEOUT_MS);
		snprintf(what, sizeof(what), "a short packet after %u + %u bytes", r->u.mps, k * 3);
		if (n < HDR || rsp[0] != 0x80 || rsp[6] != seq || rsp[8] != ERR_BAD_LENGTH) {
			fprintf(stderr, "%s: not answered DataBlock bError 1\n", what);
			bad++;
		}
		if (!in_step(r, what))
			bad++;
	}
	result(bad == 0, "short: a short packet in the middle of a message: DataBlock bError 1, in step");
}

static void test_slots(struct reader *r, bool quick)
{
	unsigned bad = 0;

	for (unsigned slot = 1; slot <= 255; slot += quick ? 37 : 1) {
		uint8_t seq = ++r->seq;
		int n;

		build(buf, slot % 2 ? 0x62 : 0x65, (uint8_t)slot, seq, 0);
		send_raw(r, buf, HDR);
		malformed_sent++;
		n = recv_msg(r, IO_TIMEOUT_MS);
		if (n < HDR || rsp[6] != seq || rsp[5] != slot || !(rsp[7] & ST_FAILED) ||
		    rsp[8] != ERR_BAD_SLOT) {
			fprintf(stderr, "slot %u: not answered bError 5\n", slot);
			bad++;
		}
	}
	if (!in_step(r, "wrong slots"))
		bad++;
	result(bad == 0, "slots: commands for slots 1..255 of a one-slot reader: bError 5 (bSlot), in step");
}

/* With a slow card (delay_ms): a second command while one is pending. */
static void test_overlap(struct reader *r)
{
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
	uint8_t s1, s2;
	bool busy = false, done = false;
	int n;

	build(buf, 0x62, 0, ++r->seq, 0);          /* power on first */
	send_raw(r, buf, HDR);
	n = recv_msg(r, 30000);
	s1 = ++r->seq;
	build(buf, 0x6F, 0, s1, sizeof(select));
	memcpy(buf + HDR, select, sizeof(select));
	send_raw(r, buf, HDR + sizeof(select));
	s2 = ++r->seq;
	build(buf, 0x65, 0, s2, 0);
	send_raw(r, buf, HDR);
	malformed_sent++;
	for (int i = 0; i < 4 && !(busy && done); i++) {
		n = recv_msg(r, 30000);
		if (n < HDR)
			break;
		if (rsp[6] == s2 && (rsp[7] & ST_FAILED) && rsp[8] == ERR_SLOT_BUSY)
			busy = true;
		if (rsp[6] == s1 && rsp[0] == 0x80 && (rsp[7] & 0xC0) == 0)
			done = true;
	}
	result(busy && done && in_step(r, "overlap"),
	       "overlap: a command while XfrBlock is pending: CMD_SLOT_BUSY; the pending one completes");
}

/* XfrBlocks without reading bulk-IN: the reader takes some, then NAKs
 * (its IN backlog is full); every taken one is answered in order. */
static void test_flood(struct reader *r, unsigned count)
{
	static const uint8_t echo[] = { 0x80, 0xEE, 0x00, 0x00, 0x04, 1, 2, 3, 4 };
	uint8_t first = (uint8_t)(r->seq + 1);
	unsigned taken = 0, answered = 0, out_of_order = 0;
	int n;

	for (unsigned i = 0; i < count; i++) {
		build(buf, 0x6F, 0, ++r->seq, sizeof(echo));
		memcpy(buf + HDR, echo, sizeof(echo));
		n = usbdev_bulk(&r->u, r->u.ep_out, buf, HDR + sizeof(echo), 300);
		if (n != (int)(HDR + sizeof(echo))) {
			r->seq--;
			break;
		}
		taken++;
	}
	malformed_sent += taken;
	for (unsigned i = 0; i < taken; i++) {
		n = recv_msg(r, IO_TIMEOUT_MS);
		if (n < HDR)
			break;
		if (rsp[6] != (uint8_t)(first + i) || rsp[0] != 0x80)
			out_of_order++;
		answered++;
	}
	fprintf(stderr, "flood: %u of %u taken before NAK, %u answered\n", taken, count, answered);
	result(taken > 0 && answered == taken && out_of_order == 0 && in_step(r, "flood"),
	       "flood: XfrBlocks without reading: %u taken before the reader NAKed, all %u answered in order, in step",
	       taken, answered);
}

/* A lone half of the ABORT handshake, left pending (Section 5.3.1): the
 * bulk PC_to_RDR_Abort without its class request, or the other way round.
 * While it waits, the slot fails every other command CMD_ABORTED: a
 * GetSlotStatus proves the half arrived, so a later test of what follows
 * (a fresh host session) is not run against a reader that never saw it. */
static void test_lone_abort(struct reader *r, bool bulk_half)
{
	const char *what =
		bulk_half
			? "abort-bulk: a PC_to_RDR_Abort without its ABORT request"
			: "abort-request: an ABORT request without its PC_to_RDR_Abort";
	uint8_t m[HDR];
	uint8_t seq = ++r->seq, probe;
	bool ok = true;
	int n;

	if (bulk_half) {
		build(m, 0x72, 0, seq, 0);
		ok = send_raw(r, m, HDR) == HDR;
	} else {
		ok = abort_request(r, 0, seq) == 0;
	}
	malformed_sent++;
	if (!ok) {
		result(false, "%s: not taken", what);
		return;
	}
	probe = ++r->seq;
	build(m, 0x65, 0, probe, 0);
	n = send_raw(r, m, HDR) == HDR ? recv_msg(r, IO_TIMEOUT_MS) : -EIO;
	ok = n >= HDR && rsp[0] == 0x81 && rsp[6] == probe &&
	     (rsp[7] & ST_FAILED) && rsp[8] == ERR_CMD_ABORTED;
	if (!ok)
		fprintf(stderr,
			"%s: GetSlotStatus (seq %u) got %d bytes, type %02x seq %u status %02x error %02x\n",
			what, probe, n, n > 0 ? rsp[0] : 0, n > 6 ? rsp[6] : 0,
			n > 7 ? rsp[7] : 0, n > 8 ? rsp[8] : 0);
	result(ok,
	       "%s (bSeq %u): the next GetSlotStatus fails CMD_ABORTED; left pending",
	       what, seq);
}

/* ---- random messages (--random SEED COUNT) ---- */

static uint64_t rng_state;
/* --expect-wrong-seq (a self-test): the checker expects every answer's
 * bSeq one above the one sent, so every answer must be flagged. */
static bool expect_wrong_seq;

/* splitmix64: small, and the same sequence for the same seed everywhere */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rng() % n) : 0;
}

/* The fixed dwLength of each command (Section 6.1), -1 for a variable
 * one; -2 for a type CCID 1.1 does not define. */
static int fixed_length(uint8_t type)
{
	switch (type) {
	case 0x62:
	case 0x63:
	case 0x65:
	case 0x6C:
	case 0x6D:
	case 0x6E:
	case 0x72:
		return 0;
	case 0x73:
		return 8;
	case 0x6F:
	case 0x61:
	case 0x6B:
	case 0x6A:
	case 0x69:
	case 0x71:
		return -1;
	default:
		return -2;
	}
}

enum shape { WHOLE, CUT_SHORT, TOO_LONG, PAST_END, SHAPES };

struct random_counts {
	unsigned shape[SHAPES];
	unsigned wrong_slot, unknown_type, aborts, stalled, bad;
};

/* The payload length of a whole message: mostly what the type takes,
 * else small, now and then up to the reader's largest. */
static uint32_t whole_length(const struct reader *r, uint8_t type)
{
	int fixed = fixed_length(type);
	uint32_t max = r->u.max_msg - HDR;

	if (fixed >= 0 && below(4) != 0)
		return (uint32_t)fixed;
	if (below(200) == 0)
		return max - below(2 * r->u.mps);
	return below(4) == 0 ? below(r->u.mps * 3) : below(24);
}

/* What a correct reader answers to this message: bError, or -1 for a
 * success or a failure its handler decides (only type, slot, seq are
 * checked then). Dispatch order (ccid/ccid_dispatch.c, Table 6.2-2): the
 * transfer's length, the type, dwLength, bSlot. */
static int expected_error(const struct reader *r, enum shape sh, uint8_t type,
			  uint8_t slot, uint32_t dwlength)
{
	int fixed = fixed_length(type);

	if (sh != WHOLE)
		return ERR_BAD_LENGTH;
	if (fixed == -2)
		return ERR_NOT_SUPPORTED;
	if (fixed >= 0 && dwlength != (uint32_t)fixed)
		return ERR_BAD_LENGTH;
	if (slot >= r->nslots)
		return ERR_BAD_SLOT;
	return -1;
}

static void random_one(struct reader *r, unsigned long i,
		       struct random_counts *c)
{
	static const uint8_t types[] = {
		0x62, 0x63, 0x65, 0x6F, 0x6C, 0x6D, 0x61,
		0x6B, 0x6E, 0x6A, 0x69, 0x71, 0x72, 0x73,
	};
	uint8_t type = below(10) ? types[below(sizeof(types))] : (uint8_t)rng();
	uint8_t slot = below(5) ? (uint8_t)below(r->nslots) : (uint8_t)rng();
	uint8_t seq = (uint8_t)rng();
	uint32_t pick = below(10), dwlength, sent, max = r->u.max_msg - HDR;
	/* 6 in 10 whole; 2 cut short; 1 longer than the reader takes; 1
	 * with bytes past dwLength */
	enum shape sh = pick < 6   ? WHOLE
			: pick < 8 ? CUT_SHORT
			: pick < 9 ? TOO_LONG
				   : PAST_END;
	int want, n;

	switch (sh) {
	case WHOLE:
		dwlength = sent = whole_length(r, type);
		break;
	case CUT_SHORT:
		dwlength = 1 + below(below(8) ? 3 * r->u.mps : max);
		sent = below(dwlength);
		break;
	case TOO_LONG:
		dwlength = below(2) ? 0xFFFFFFFFu - below(16)
				    : max + 1 + below(1u << 20);
		sent = below(2 * r->u.mps);
		break;
	default: /* PAST_END: the whole transfer within one packet */
		dwlength = below(r->u.mps - HDR - 1);
		sent = dwlength + 1 + below(r->u.mps - HDR - dwlength - 1);
		break;
	}
	c->shape[sh]++;
	build(buf, type, slot, seq, dwlength);
	for (uint32_t k = 7; k < HDR; k++)
		buf[k] = (uint8_t)rng(); /* abRFU / the command's own bytes */
	for (uint32_t k = 0; k < sent; k++)
		buf[HDR + k] = (uint8_t)rng();
	want = expected_error(r, sh, type, slot, dwlength);
	if (fixed_length(type) == -2)
		c->unknown_type++;
	if (slot >= r->nslots)
		c->wrong_slot++;
	/* A whole PC_to_RDR_Abort for a slot that exists goes with its ABORT
	 * request (a lone half is test_lone_abort's, and stalls the slot). */
	if (type == 0x72 && want < 0) {
		c->aborts++;
		if (abort_request(r, slot, seq) < 0)
			fprintf(stderr,
				"random %lu: the ABORT request failed\n", i);
	}
	n = send_raw(r, buf, HDR + sent);
	if (n >= 0 && sh != WHOLE && sh != PAST_END &&
	    (HDR + sent) % r->u.mps == 0)
		n = send_raw(r, buf,
			     0); /* ended early: a ZLP ends the transfer */
	malformed_sent++;
	if (n == -EPIPE) {
		c->stalled++;
		return;
	}
	n = n < 0 ? n : recv_msg(r, IO_TIMEOUT_MS);
	if (n == -EPIPE) {
		c->stalled++;
		return;
	}
	if (n >= HDR && rsp[0] == paired(type) && rsp[5] == slot &&
	    rsp[6] == (uint8_t)(seq + expect_wrong_seq) &&
	    (want < 0 || ((rsp[7] & ST_FAILED) && rsp[8] == want)))
		return;
	if (c->bad++ < 20) {
		fprintf(stderr,
			"random %lu: sent %02x %02x%02x%02x%02x %02x %02x %02x%02x%02x + %u bytes (shape %d): ",
			i, buf[0], buf[1], buf[2], buf[3], buf[4], buf[5],
			buf[6], buf[7], buf[8], buf[9], sent, (int)sh);
		if (n < HDR)
			fprintf(stderr, "%s\n",
				n < 0 ? strerror(-n) : "no answer");
		else
			fprintf(stderr,
				"got %02x slot %u seq %u status %02x error %02x, want %02x slot %u seq %u error %d\n",
				rsp[0], rsp[5], rsp[6], rsp[7], rsp[8],
				paired(type), slot, seq, want);
	}
	r->seq = seq;
	in_step(r, "a wrong answer"); /* drain and resynchronise */
}

static void test_random(struct reader *r, unsigned long long seed,
			unsigned long count)
{
	struct random_counts c = { 0 };
	struct timespec t0, t1;
	double secs;
	bool step;

	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < count; i++)
		random_one(r, i, &c);
	/* In step at the end: a GetSlotStatus with a bSeq of our own. */
	r->seq = 0xA4;
	step = in_step(r, "the random messages");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "random: %lu messages in %.1f s (%.2f ms each)\n",
		count, secs, count ? secs * 1000 / (double)count : 0.0);
	result(c.bad == 0 && step,
	       "random: seed %llu, %lu messages (%u whole, %u cut short, %u longer than the reader takes, "
	       "%u with bytes past dwLength; %u to a slot that does not exist, %u of unknown types, "
	       "%u Aborts with their request, %u stalled): %u answered wrong; then in step; %.1f s",
	       seed, count, c.shape[WHOLE], c.shape[CUT_SHORT],
	       c.shape[TOO_LONG], c.shape[PAST_END], c.wrong_slot,
	       c.unknown_type, c.aborts, c.stalled, c.bad, secs);
}

/* Find the CCID interface (usbdev.h), open DEVICE or the node sysfs names,
 * and claim the interface. 0 or -errno, with one line on stderr. */
static int open_reader(struct reader *r, const char *sysdir, const char *device)
{
	char dev[64];
	int rc = usbdev_find(&r->u, sysdir);

	if (rc == 0 && !r->u.max_msg)
		rc = -ENODEV;
	if (rc < 0) {
		fprintf(stderr, "ccid_raw: no CCID interface in %s/descriptors: %s\n",
			sysdir, strerror(-rc));
		return rc;
	}
	r->nslots = r->u.ccid[4] + 1u;    /* bMaxSlotIndex, Table 5.1-1 */
	snprintf(dev, sizeof(dev), "/dev/bus/usb/%03d/%03d",
		 usbdev_sysfs_int(sysdir, "busnum"),
		 usbdev_sysfs_int(sysdir, "devnum"));
	r->u.fd = open(device ? device : dev, O_RDWR);
	if (r->u.fd < 0) {
		fprintf(stderr, "ccid_raw: %s: %s\n", device ? device : dev, strerror(errno));
		return -errno;
	}
	{
		struct usbdevfs_ioctl disc = { .ifno = r->u.iface, .ioctl_code = USBDEVFS_DISCONNECT };

		ioctl(r->u.fd, USBDEVFS_IOCTL, &disc);   /* no kernel driver binds CCID; harmless */
	}
	if (ioctl(r->u.fd, USBDEVFS_CLAIMINTERFACE, &r->u.iface) < 0) {
		fprintf(stderr, "ccid_raw: claim interface %d: %s (is pcscd holding it?)\n",
			r->u.iface, strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *sysdir = "/sys/bus/usb/devices/1-1", *device = NULL;
	struct reader r = { .u.fd = -1 };
	unsigned long long seed = 0;
	unsigned long count = 0;
	bool quick = false, random_run = false;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--sysfs") == 0 && i + 1 < argc)
			sysdir = argv[++i];
		else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
			device = argv[++i];
		else if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--expect-wrong-seq") == 0)
			expect_wrong_seq = true;
		else if (strcmp(argv[i], "--random") == 0 && i + 2 < argc) {
			char *end1, *end2;

			seed = strtoull(argv[i + 1], &end1, 0);
			count = strtoul(argv[i + 2], &end2, 0);
			if (*argv[i + 1] == '\0' || *end1 ||
			    *argv[i + 2] == '\0' || *end2) {
				fprintf(stderr,
					"ccid_raw: --random SEED COUNT: two numbers\n");
				return 2;
			}
			random_run = true;
			i += 2;
		} else {
			fprintf(stderr,
				"usage: ccid_raw [--sysfs DIR] [--device PATH] [--quick] [--random SEED COUNT [--expect-wrong-seq]] [TEST...]\n"
				"TESTs: lengths headers short slots overlap flood abort-bulk abort-request all\n");
			return 2;
		}
	}
	if (i == argc && !random_run) {
		fprintf(stderr,
			"ccid_raw: name a TEST (lengths headers short slots overlap flood abort-bulk abort-request all) or --random SEED COUNT\n");
		return 2;
	}
	if (open_reader(&r, sysdir, device) < 0)
		return 1;
	buf = calloc(1, r.u.max_msg + 2 * r.u.mps + 16);
	rsp = calloc(1, r.u.max_msg + r.u.mps + 16);
	if (!buf || !rsp)
		return 1;
	fprintf(stderr,
		"ccid_raw: interface %d, OUT %02x IN %02x, packets of %u, dwMaxCCIDMessageLength %u, %u slot(s)\n",
		r.u.iface, r.u.ep_out, r.u.ep_in, r.u.mps, r.u.max_msg, r.nslots);
	if (!in_step(&r, "opening"))
		return 1;
	if (random_run)
		test_random(&r, seed, count);
	for (; i < argc; i++) {
		bool all = strcmp(argv[i], "all") == 0;

		if (all || strcmp(argv[i], "lengths") == 0)
			test_lengths(&r, quick);
		if (all || strcmp(argv[i], "headers") == 0)
			test_headers(&r);
		if (all || strcmp(argv[i], "short") == 0)
			test_short(&r);
		if (all || strcmp(argv[i], "slots") == 0)
			test_slots(&r, quick);
		if (strcmp(argv[i], "overlap") == 0)
			test_overlap(&r);
		if (all || strcmp(argv[i], "flood") == 0)
			test_flood(&r, 2000);
		if (strcmp(argv[i], "abort-bulk") == 0)
			test_lone_abort(&r, true);
		if (strcmp(argv[i], "abort-request") == 0)
			test_lone_abort(&r, false);
	}
	printf("# sent %lu malformed transfers\n", malformed_sent);
	usbdev_close(&r.u);
	free(buf);
	free(rsp);
	return failures ? 1 : 0;
}
