/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Milliseconds of CLOCK_MONOTONIC: the one clock every deadline, timeout
 * and rate limit in the tree is kept in (a wall-clock step must not fire
 * or stretch any of them). Header-only, so that the SPICE plug-in, which
 * links no archive of the tree, has it too. */
#ifndef MONO_MS_H
#define MONO_MS_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
