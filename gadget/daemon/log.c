/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Daemon logging: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vcg_ratelimit.h"
#include "mono_ms.h"

static int log_max_level = LOG_NOTICE;
static struct timespec log_t0;
static bool log_t0_set;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error",   [LOG_WARNING] = "warn", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

static double log_elapsed(void);

void gadget_log_set_level(int max_level)
{
	if (max_level < LOG_ERR)
		max_level = LOG_ERR;
	if (max_level > LOG_DEBUG)
		max_level = LOG_DEBUG;
	log_max_level = max_level;
	/* The clock's start, set before any thread logs (the daemon's
	 * cards start on a thread of their own). */
	(void)log_elapsed();
}

bool gadget_log_enabled(int level)
{
	return level <= log_max_level;
}

static double log_elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!log_t0_set) {
		log_t0 = now;
		log_t0_set = true;
	}
	return (double)(now.tv_sec - log_t0.tv_sec) +
	       (double)(now.tv_nsec - log_t0.tv_nsec) / 1e9;
}

static void log_vline(int level, const char *cat, const char *fmt, va_list ap)
{
	char line[1024];
	int n, m;

	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	n = snprintf(line, sizeof(line), "%8.3f %-6s %s: ", log_elapsed(),
		     level_names[level], cat);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 2)
		n = sizeof(line) - 2;
	m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;   /* cut, but keep the newline */
	line[n++] = '\n';
	/* One write per line; a short write to stderr is not worth a retry. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void gadget_log(int level, const char *cat, const char *fmt, ...)
{
	va_list ap;

	if (!gadget_log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vline(level, cat, fmt, ap);
	va_end(ap);
}

void gadget_log_hex(int level, const char *cat, const char *what,
		    const uint8_t *data, size_t len)
{
	char hex[64 * 3 + 1];
	size_t shown = len < 64 ? len : 64, i;

	if (!gadget_log_enabled(level))
		return;
	for (i = 0; i < shown; i++)
		snprintf(hex + 3 * i, 4, "%02x ", data[i]);
	hex[shown ? 3 * shown - 1 : 0] = '\0';
	gadget_log(level, cat, "%s: %s%s (%zu bytes)", what, hex,
		   shown < len ? " ..." : "", len);
}

static void log_emit(int level, const char *cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void log_emit(int level, const char *cat, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(level, cat, fmt, ap);
	va_end(ap);
}

/* The engine's lines at notice and above are what the USB host can make
 * us write at will (one warning per malformed CCID message, a notice per
 * ABORT request): per kind, at most engine_limit.burst lines per
 * engine_limit.interval_ms, the rest counted and said with the next line
 * of that kind let through. A kind is the line without its "(slot, seq)"
 * prefix and its digits (its first KIND_LEN - 1 characters), matched
 * exactly: no two kinds share a budget, so a flood of one never hides a
 * line of another. The engine's format strings bound the kinds well
 * under ENGINE_KINDS; past that the least recently seen kind is
 * forgotten. Without this a hostile host fills the board's storage, and
 * journald's own limit then drops the daemon's other lines too. */
#define ENGINE_KINDS 128
#define KIND_LEN 64
struct engine_kind {
	char text[KIND_LEN];     /* "" : unused */
	uint64_t last_seen;
	struct vcg_ratelimit rl;
};
static struct {
	uint32_t interval_ms, burst;
	uint64_t clock;          /* counts lines, for least recently seen */
	struct engine_kind kinds[ENGINE_KINDS];
} engine_limit = { .interval_ms = 10000, .burst = 5 };

void gadget_log_engine_limit(uint32_t burst, uint32_t interval_ms)
{
	engine_limit.burst = burst;
	engine_limit.interval_ms = interval_ms;
	engine_limit.clock = 0;
	memset(engine_limit.kinds, 0, sizeof(engine_limit.kinds));
}

static struct vcg_ratelimit *engine_kind(const char *line)
{
	struct engine_kind *k, *oldest = &engine_limit.kinds[0];
	char text[KIND_LEN];
	const char *p = line;
	size_t n = 0;

	if (*p == '(' && (p = strchr(p, ')')) != NULL)
		p++;
	else
		p = line;
	for (; *p && n < sizeof(text) - 1; p++)
		if (*p < '0' || *p > '9')
			text[n++] = *p;
	text[n] = '\0';
	for (k = engine_limit.kinds; k < engine_limit.kinds + ENGINE_KINDS; k++) {
		if (k->text[0] && strcmp(k->text, text) == 0)
			goto found;
		if (!k->text[0] || (oldest->text[0] && k->last_seen < oldest->last_seen))
			oldest = k;
	}
	k = oldest;
	memset(k, 0, sizeof(*k));
	memcpy(k->text, text, n + 1);
found:
	k->last_seen = ++engine_limit.clock;
	k->rl.interval_ms = engine_limit.interval_ms;
	k->rl.burst = engine_limit.burst;
	return &k->rl;
}

void gadget_log_engine(void *ctx, int level, const char *line)
{
	(void)ctx;
	/* -v is the protocol trace: the engine's debug lines (each message,
	 * APDU and ATR dumps) show one step earlier than our own debug lines
	 * (USB transfers, ep0), which need -vv. */
	if (!gadget_log_enabled(level) &&
	    !(level == LOG_DEBUG && gadget_log_enabled(LOG_INFO)))
		return;
	if (level <= LOG_NOTICE) {
		struct vcg_ratelimit *rl = engine_kind(line);
		uint32_t held;

		if (!vcg_ratelimit_allow(rl, mono_ms(), &held))
			return;
		if (held) {
			log_emit(level, "ccid", "%s (and %u more like it before)",
				 line, held);
			return;
		}
	}
	log_emit(level, "ccid", "%s", line);
}

void gadget_log_card(void *ctx, int level, const char *line)
{
	(void)ctx;
	gadget_log(level, "card", "%s", line);
}
