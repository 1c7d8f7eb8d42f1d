/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A rate limit for one kind of log line that a peer can make us write at
 * will (a refused message, a dropped connection): at most `burst` lines
 * per `interval_ms`, the rest counted. The count is said with the first
 * line let through after the interval, or on its own once the interval is
 * over (the caller asks vcg_ratelimit_due() when, vcg_ratelimit_flush()
 * how many). Without it, a client sending one bad message after another
 * writes a warning line each, and journald's own limit then drops the
 * daemon's other lines with them.
 *
 * Pure state, no clock of its own: every call takes now_ms (any monotonic
 * milliseconds). Zero-initialised plus interval_ms and burst is ready. */
#ifndef VCG_RATELIMIT_H
#define VCG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct vcg_ratelimit {
	uint32_t interval_ms;
	uint32_t burst;          /* lines per interval (0 is taken as 1) */
	uint64_t window_start;   /* of the interval counting `used` */
	uint32_t used;           /* lines let through in this window */
	uint32_t suppressed;     /* lines held back, not yet reported */
	bool started;
};

/* May a line be written now? true: write it, and if *suppressed (set
 * either way) is not 0, say that many were held back before it. false:
 * it was counted; write nothing. */
bool vcg_ratelimit_allow(struct vcg_ratelimit *rl, uint64_t now_ms,
			 uint32_t *suppressed);

/* When a count is due on its own (the end of the window in which lines
 * were held back), 0 if none is. */
uint64_t vcg_ratelimit_due(const struct vcg_ratelimit *rl);

/* The count due at now_ms (then reset), 0 if none is due yet. */
uint32_t vcg_ratelimit_flush(struct vcg_ratelimit *rl, uint64_t now_ms);

#endif
