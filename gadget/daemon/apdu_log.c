/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -v APDU lines: see apdu_log.h. */
#include "apdu_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ccid_apdu.h"
#include "log.h"

/* The header CLA INS P1 P2, then Lc if the command carries data, else Le
 * if it asks for some (ISO/IEC 7816-4 Section 5.1, as the engine's parser
 * reads it). An APDU whose length does not fit its Lc/Le fields is shown
 * as malformed with its length, not with a guessed Lc. */
void apdu_log_command(const uint8_t *apdu, size_t len, char *out, size_t cap)
{
	struct ccid_apdu a;
	int n;

	if (len < 4) {
		snprintf(out, cap, "short APDU (%zu bytes)", len);
		return;
	}
	n = snprintf(out, cap, "%02X %02X %02X %02X", apdu[0], apdu[1],
		     apdu[2], apdu[3]);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (ccid_apdu_parse(&a, apdu, len) != 0)
		snprintf(out + n, cap - (size_t)n, " malformed (%zu bytes)", len);
	else if (a.nc)
		snprintf(out + n, cap - (size_t)n, " Lc=%zu", a.nc);
	else if (a.has_le)
		snprintf(out + n, cap - (size_t)n, " Le=%zu", a.ne);
}

void apdu_log_answer(int err, const uint8_t *rsp, size_t len, char *out,
		     size_t cap)
{
	if (err)
		snprintf(out, cap, "%s (%d)", err == -ECANCELED ? "aborted" :
			 "card error", err);
	else if (len < 2)
		snprintf(out, cap, "no status word (%zu bytes)", len);
	else
		snprintf(out, cap, "%02X %02X (%zu bytes)", rsp[len - 2],
			 rsp[len - 1], len);
}

void apdu_log_hook(void *ctx, unsigned slot, uint8_t seq, bool done, int err,
		   const uint8_t *data, size_t len)
{
	struct apdu_log *a = ctx;
	struct timespec now;
	char answer[64];
	double ms;

	if (slot >= CCID_MAX_SLOTS || !gadget_log_enabled(LOG_INFO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!done) {
		a->started[slot] = now;
		apdu_log_command(data, len, a->cmd[slot], sizeof(a->cmd[slot]));
		return;
	}
	ms = (double)(now.tv_sec - a->started[slot].tv_sec) * 1e3 +
	     (double)(now.tv_nsec - a->started[slot].tv_nsec) / 1e6;
	apdu_log_answer(err, data, len, answer, sizeof(answer));
	gadget_log(LOG_INFO, "apdu", "(%u, %u) %s -> %s in %.2f ms", slot, seq,
		   a->cmd[slot], answer, ms);
}
