/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal TAP-style test harness for the unit tests: each case prints
 * "ok - NAME" or "not ok - NAME" (tests/run-all counts them). */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_failed_now;   /* set by a failing CHECK inside one case */
static int tap_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		tap_failed_now = 1; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { \
		fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", \
			__FILE__, __LINE__, #a, #b, a_, b_); \
		tap_failed_now = 1; \
	} \
} while (0)

#define CHECK_MEM(a, b, n) do { \
	if (memcmp((a), (b), (n)) != 0) { \
		fprintf(stderr, "  %s:%d: memcmp(%s, %s, %s) differs\n", \
			__FILE__, __LINE__, #a, #b, #n); \
		tap_failed_now = 1; \
	} \
} while (0)

static inline void tap_run(const char *name, void (*fn)(void))
{
	tap_failed_now = 0;
	fn();
	printf("%s - %s\n", tap_failed_now ? "not ok" : "ok", name);
	fflush(stdout);
	tap_failures += tap_failed_now;
}

/* One line for one case of a table: fn(arg), named `name`. */
static inline void tap_run_case(const char *name, void (*fn)(const void *),
				const void *arg)
{
	tap_failed_now = 0;
	fn(arg);
	printf("%s - %s\n", tap_failed_now ? "not ok" : "ok", name);
	fflush(stdout);
	tap_failures += tap_failed_now;
}

#define RUN(fn) tap_run(#fn, fn)
#define TAP_EXIT() return tap_failures ? 1 : 0

#endif
