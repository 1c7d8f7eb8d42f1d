/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's log lines that a client can make us write at will,
 * rate-limited per kind (vcg_ratelimit.h): see vcg_pt.h. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "mono_ms.h"
#include "vcg_pt.h"

static const struct {
	const char *name;     /* "N more <name> lines ..." */
	uint32_t burst;       /* lines per VCG_PT_LOG_INTERVAL_MS */
} kinds[VCG_PT_LOG_KINDS] = {
	/* A client's comings and goings: a reconnecting client is
	 * normal, one connecting in a loop is not. */
	[VCG_PT_LOG_CONN] = { "connect and disconnect", 12 },
	[VCG_PT_LOG_REFUSED] = { "refused or dropped connection", 4 },
	[VCG_PT_LOG_CARD] = { "reader and card change", 12 },
	/* Each a message the client should not have sent. */
	[VCG_PT_LOG_BAD_ATR] = { "refused ATR", 1 },
	[VCG_PT_LOG_SECOND_READER] = { "second reader", 1 },
	[VCG_PT_LOG_STRAY_ANSWER] = { "answer to no APDU", 1 },
	[VCG_PT_LOG_BAD_ANSWER] = { "failed APDU answer", 3 },
	[VCG_PT_LOG_TIMEOUT] = { "APDU timeout", 3 },
	[VCG_PT_LOG_OWED] = { "APDU refused (answers owed)", 1 },
};

static struct vcg_ratelimit *limiter(struct vcg_pt *pt,
				     enum vcg_pt_log_kind kind)
{
	struct vcg_ratelimit *rl = &pt->log_limits[kind];

	if (rl->interval_ms == 0) {
		rl->interval_ms = VCG_PT_LOG_INTERVAL_MS;
		rl->burst = kinds[kind].burst;
	}
	return rl;
}

static uint64_t now(const struct vcg_pt *pt)
{
	return pt->now_ms ? pt->now_ms() : mono_ms();
}

void vcg_pt_logk(struct vcg_pt *pt, enum vcg_pt_log_kind kind, int level,
		 const char *fmt, ...)
{
	char line[400];
	uint32_t held;
	va_list ap;

	if ((unsigned)kind >= VCG_PT_LOG_KINDS ||
	    !vcg_ratelimit_allow(limiter(pt, kind), now(pt), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (held)
		vcg_logf(pt->log, level, "%s (and %u more like it not logged in the last %u s)",
			 line, held, VCG_PT_LOG_INTERVAL_MS / 1000);
	else
		vcg_logf(pt->log, level, "%s", line);
}

uint64_t vcg_pt_log_next_due(const struct vcg_pt *pt)
{
	uint64_t next = 0;

	for (unsigned k = 0; k < VCG_PT_LOG_KINDS; k++) {
		uint64_t due = vcg_ratelimit_due(&pt->log_limits[k]);

		if (due != 0 && (next == 0 || due < next))
			next = due;
	}
	return next;
}

void vcg_pt_log_flush(struct vcg_pt *pt, uint64_t now_ms)
{
	for (unsigned k = 0; k < VCG_PT_LOG_KINDS; k++) {
		uint32_t n = vcg_ratelimit_flush(&pt->log_limits[k], now_ms);

		if (n)
			vcg_logf(pt->log, LOG_NOTICE,
				 "passthru slot %u: %u more %s lines not logged in the last %u s",
				 pt->slot, n, kinds[k].name,
				 VCG_PT_LOG_INTERVAL_MS / 1000);
	}
}
