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

#define CCID_FAKE_RSP_MAX (65536 + 2 + 64)

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

/* Log hook that prints to stderr when CCID_TEST_LOG is set. */
void ccid_fake_log(void *ctx, int level, const char *line);

#endif
