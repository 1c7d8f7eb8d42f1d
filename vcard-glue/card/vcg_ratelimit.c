/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log rate limiting: see vcg_ratelimit.h. */
#include "vcg_ratelimit.h"

/* Start a new window at now_ms if the current one is over. */
static void roll(struct vcg_ratelimit *rl, uint64_t now_ms)
{
	if (!rl->started || now_ms - rl->window_start >= rl->interval_ms) {
		rl->started = true;
		rl->window_start = now_ms;
		rl->used = 0;
	}
}

bool vcg_ratelimit_allow(struct vcg_ratelimit *rl, uint64_t now_ms,
			 uint32_t *suppressed)
{
	uint32_t burst = rl->burst ? rl->burst : 1;

	*suppressed = 0;
	roll(rl, now_ms);
	if (rl->used >= burst) {
		if (rl->suppressed < UINT32_MAX)
			rl->suppressed++;
		return false;
	}
	rl->used++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

uint64_t vcg_ratelimit_due(const struct vcg_ratelimit *rl)
{
	return rl->suppressed ? rl->window_start + rl->interval_ms : 0;
}

uint32_t vcg_ratelimit_flush(struct vcg_ratelimit *rl, uint64_t now_ms)
{
	uint32_t n = rl->suppressed;

	if (n == 0 || now_ms < vcg_ratelimit_due(rl))
		return 0;
	rl->suppressed = 0;
	return n;
}
