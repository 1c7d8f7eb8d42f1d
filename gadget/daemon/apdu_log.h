/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -v: one line per APDU, with the time the card took:
 *
 *   12.345 info apdu: (0, 7) 00 A4 04 00 Lc=9 -> 90 00 (2 bytes) in 1.23 ms
 *
 * (slot, bSeq), the command header CLA INS P1 P2 (ISO/IEC 7816-4 Section
 * 5.1) and Lc, the status word SW1 SW2 (the response's last two bytes) and
 * the response length, the time from the APDU going to the card until its
 * answer. Hooked into the engine with ccid_engine_set_apdu_hook(); the
 * clock is here, not in the engine. */
#ifndef APDU_LOG_H
#define APDU_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ccid_engine.h"

struct apdu_log {
	struct timespec started[CCID_MAX_SLOTS];
	char cmd[CCID_MAX_SLOTS][40];   /* "00 A4 04 00 Lc=9" */
};

/* The ccid_apdu_fn for ccid_engine_set_apdu_hook(); ctx is a struct
 * apdu_log (zeroed) that outlives the engine's use of it. */
void apdu_log_hook(void *ctx, unsigned slot, uint8_t seq, bool done, int err,
		   const uint8_t *data, size_t len);

/* The line's text without the log prefix, for tests: the command summary
 * of a C-APDU, and the answer part of an R-APDU. */
void apdu_log_command(const uint8_t *apdu, size_t len, char *out,
		      size_t cap);
void apdu_log_answer(int err, const uint8_t *rsp, size_t len, char *out,
		     size_t cap);

#endif
