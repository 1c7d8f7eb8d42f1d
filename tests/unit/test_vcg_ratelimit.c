/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The log rate limit (vcard-glue/card/vcg_ratelimit.c): bursts, the count
 * said with the next line or on its own when due, windows. */
#include "tap.h"
#include "vcg_ratelimit.h"

static void burst_then_count_with_next_line(void)
{
	struct vcg_ratelimit rl = { .interval_ms = 1000, .burst = 3 };
	uint32_t held = 99;
	unsigned let = 0;

	for (int i = 0; i < 10; i++)
		let += vcg_ratelimit_allow(&rl, 5000 + (uint64_t)i, &held);
	CHECK_EQ(let, 3);
	CHECK_EQ(held, 0);
	CHECK_EQ(vcg_ratelimit_due(&rl), 6000);
	/* Still the same window: held back, counted. */
	CHECK(!vcg_ratelimit_allow(&rl, 5999, &held));
	/* The next window: let through, with the count (8). */
	CHECK(vcg_ratelimit_allow(&rl, 6000, &held));
	CHECK_EQ(held, 8);
	CHECK_EQ(vcg_ratelimit_due(&rl), 0);
	CHECK(vcg_ratelimit_allow(&rl, 6001, &held));
	CHECK_EQ(held, 0);
}

static void count_on_its_own_when_due(void)
{
	struct vcg_ratelimit rl = { .interval_ms = 1000, .burst = 1 };
	uint32_t held;

	CHECK_EQ(vcg_ratelimit_due(&rl), 0);
	CHECK_EQ(vcg_ratelimit_flush(&rl, 0), 0);
	CHECK(vcg_ratelimit_allow(&rl, 100, &held));
	CHECK_EQ(vcg_ratelimit_due(&rl), 0);   /* nothing held back */
	CHECK(!vcg_ratelimit_allow(&rl, 200, &held));
	CHECK(!vcg_ratelimit_allow(&rl, 300, &held));
	CHECK_EQ(vcg_ratelimit_due(&rl), 1100);
	CHECK_EQ(vcg_ratelimit_flush(&rl, 1099), 0);   /* not yet */
	CHECK_EQ(vcg_ratelimit_flush(&rl, 1100), 2);
	CHECK_EQ(vcg_ratelimit_flush(&rl, 1101), 0);   /* said once */
	CHECK_EQ(vcg_ratelimit_due(&rl), 0);
	/* Said already: the next line carries no count. */
	CHECK(vcg_ratelimit_allow(&rl, 1200, &held));
	CHECK_EQ(held, 0);
}

static void burst_zero_is_one(void)
{
	struct vcg_ratelimit rl = { .interval_ms = 10 };
	uint32_t held;

	CHECK(vcg_ratelimit_allow(&rl, 0, &held));
	CHECK(!vcg_ratelimit_allow(&rl, 1, &held));
	CHECK(vcg_ratelimit_allow(&rl, 10, &held));
	CHECK_EQ(held, 1);
}

int main(void)
{
	RUN(burst_then_count_with_next_line);
	RUN(count_on_its_own_when_due);
	RUN(burst_zero_is_one);
	TAP_EXIT();
}
