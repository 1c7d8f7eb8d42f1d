/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Daemon logging: one line per event on stderr, syslog-style levels.
 *
 * Levels are <syslog.h>'s LOG_ERR (3) .. LOG_DEBUG (7). The default shows
 * LOG_NOTICE and below (errors, warnings, lifecycle events); -v adds
 * LOG_INFO and the CCID engine's debug lines (the protocol and APDU
 * trace); -vv adds every LOG_DEBUG line (USB transfer dumps, ep0).
 * Each line reads "  12.345 notice ffs: enabled, high speed": seconds since
 * start, level, category (the subsystem), message. A line is written with
 * one write(2), so lines from other threads never interleave. */
#ifndef GADGET_LOG_H
#define GADGET_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/* Show levels <= max_level (clamped to LOG_ERR..LOG_DEBUG). */
void gadget_log_set_level(int max_level);
bool gadget_log_enabled(int level);

void gadget_log(int level, const char *cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "what: 6f 1a 84 ..." at `level`, at most 64 bytes shown, then "(N bytes)".
 * `data` is owned by the caller. */
void gadget_log_hex(int level, const char *cat, const char *what,
		    const uint8_t *data, size_t len);

/* ccid_log_fn hooks: for ccid_engine_set_log() (category "ccid") and
 * vcg_card_set_log() (category "card"); ctx unused. */
void gadget_log_engine(void *ctx, int level, const char *line);

/* The rate limit on the engine's lines at notice and above (log.c): at
 * most `burst` lines of a kind per `interval_ms` (default 5 per 10 s),
 * held-back ones counted. Resets the counts; for tests. */
void gadget_log_engine_limit(uint32_t burst, uint32_t interval_ms);
void gadget_log_card(void *ctx, int level, const char *line);

#endif
