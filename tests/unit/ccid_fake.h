/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helpers for the CCID engine (linked into every unit test; generic
 * on purpose): a scriptable fake card behind ccid_card_ops, builders for
 * PC_to_RDR messages and a drain for the bulk-IN queue.
 *
 * Buffers: every helper copies; nothing returned points into the engine
 * past the call. */
#ifndef CCID_FAKE_H
#define CCID_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_engine.h"
#include "ccid_proto.h"

#define CCID_FAKE_RSP_MAX (65536 + 2 + 64)

/* Ticks from an XfrBlock to its first time extension, and between the
 * next ones, for a card at the ISO/IEC 7816-3 defaults (T=0, Fi 372, WI
 * 10, no TC2: the fake's ATR 3B 00 and the test card's) on the default
 * 3580 kHz clock: WWT = 960 x 10 x 372 / 3.58 MHz = 997.5 ms, and an
 * extension goes after at most half of it, in whole ticks
 * (ccid_time_ext.c): 498 ms / 100 ms -> 4. Computed here from the ISO
 * formula, not from the engine's. */
#define CCID_FAKE_TE_TICKS ((960u * 10u * 372u / 3580u) / 2u / CCID_TICK_MS)

struct ccid_fake_card {
	struct ccid_engine *eng;
	unsigned slot;
	bool present;
	bool deferred;        /* hold completions until ccid_fake_complete() */
	int start_rc;         /* returned by power_on / transmit (0 = start) */
	int done_err;         /* err of synchronous completions */
	uint8_t atr[40];
	size_t atr_len;
	bool echo;            /* sync transmit answers the APDU + 90 00 */
	uint8_t rsp[CCID_FAKE_RSP_MAX]; /* else: this fixed answer */
	size_t rsp_len;
	/* what the engine did */
	unsigned power_on_calls, power_off_calls, transmit_calls, cancel_calls;
	uint32_t tag;         /* last started operation */
	uint32_t cancelled_tag;
	uint8_t apdu[65546];  /* last APDU (copy) */
	size_t apdu_len;
};

/* A present card, synchronous, ATR 3B 00 (T=0, no interface bytes),
 * answering 90 00. Attach with ccid_engine_attach_card(eng, slot,
 * &ccid_fake_ops, card). */
void ccid_fake_card_init(struct ccid_fake_card *c, struct ccid_engine *eng,
			 unsigned slot);
extern const struct ccid_card_ops ccid_fake_ops;           /* with cancel */
extern const struct ccid_card_ops ccid_fake_ops_nocancel;  /* cancel NULL */

/* Complete the last started operation (data copied by the engine). */
void ccid_fake_complete(struct ccid_fake_card *c, int err,
			const uint8_t *data, size_t len);

/* Build a PC_to_RDR message into buf (>= 10 + len bytes); returns its
 * length. dwLength = len. */
size_t ccid_fake_msg(uint8_t *buf, uint8_t type, uint8_t slot, uint8_t seq,
		     uint8_t b7, uint8_t b8, uint8_t b9, const uint8_t *data,
		     size_t len);

/* Build and feed one message in one bulk-OUT chunk. */
void ccid_fake_send(struct ccid_engine *eng, uint8_t type, uint8_t slot,
		    uint8_t seq, uint8_t b7, uint8_t b8, uint8_t b9,
		    const uint8_t *data, size_t len);

/* Pop the next bulk-IN message into out (cap bytes); returns its length,
 * or 0 if the queue was empty. A message longer than cap is an error:
 * returns (size_t)-1. */
size_t ccid_fake_pop(struct ccid_engine *eng, uint8_t *out, size_t cap);

/* Count and drop every queued bulk-IN message. */
unsigned ccid_fake_drain(struct ccid_engine *eng);

/* An engine with nslots slots and max_msg_len (0 = default), stream mode. */
struct ccid_engine *ccid_fake_engine(unsigned nslots, uint32_t max_msg_len);

/* IccPowerOn on `slot` (bSeq 0xF0) and drop every queued answer. */
void ccid_fake_power_on(struct ccid_engine *eng, unsigned slot);

/* The usual start of a test: an engine with one slot and max_msg_len (0 =
 * default), `card` initialised and attached with `ops` (NULL: ccid_fake_ops),
 * echoing APDUs, powered on, the bulk-IN queue empty. */
struct ccid_engine *ccid_fake_active_engine(struct ccid_fake_card *card,
					    uint32_t max_msg_len,
					    const struct ccid_card_ops *ops);

/* The header of an RDR_to_PC message a test expects next (Section 6.2). */
struct ccid_fake_want {
	uint8_t type, slot, seq;
	uint8_t status;   /* bStatus, CCID_STATUS(bmICCStatus, bmCommandStatus) */
	uint8_t error;    /* bError */
};

/* Pop the next bulk-IN message into out (cap bytes) and compare its
 * header with `want`; says on stderr what differs. Returns true if the
 * message was there and matched. Tests use it through CCID_EXPECT. */
bool ccid_fake_expect(struct ccid_engine *eng, uint8_t *out, size_t cap,
		      const struct ccid_fake_want *want, const char *file,
		      int line);

/* CHECK (tap.h) that the next message has this header, popping it into
 * `got` (an array in the caller's scope):
 * CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, slot, seq, status, error). */
#define CCID_EXPECT(eng, got, type_, slot_, seq_, status_, error_) \
	CHECK(ccid_fake_expect((eng), (got), sizeof(got), \
		&(struct ccid_fake_want){ .type = (type_), .slot = (slot_), \
			.seq = (seq_), .status = (status_), \
			.error = (error_) }, __FILE__, __LINE__))

/* Log hook that prints to stderr when CCID_TEST_LOG is set. */
void ccid_fake_log(void *ctx, int level, const char *line);

#endif
