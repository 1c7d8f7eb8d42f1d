/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time extensions (Section 6.2.6): while the card works on an XfrBlock,
 * RDR_to_PC_DataBlock messages with bmCommandStatus 2 tell the host to
 * keep waiting; bError is the multiplier, the number of waiting times
 * (WWT for T=0, BWT for T=1: ccid_params_wait_us) the host should add.
 *
 * The strictest host times the answer out after one waiting time of the
 * current parameters, counted from the command, then from each extension
 * (bError of them); libccid waits at least 3 s, or more when the ATR's
 * parameters call for it (T0_card_timeout / T1_card_timeout). So:
 *
 *   - the first extension goes out after at most half the waiting time
 *     (and never later than CCID_TIME_EXT_MAX_MS, for a host with a fixed
 *     timeout), whole ticks of CCID_TICK_MS: the tick that brings it
 *     comes at most ticks x CCID_TICK_MS after the command;
 *   - the next ones follow at the same period, each from the previous;
 *   - bError asks for enough waiting times that the host still waits
 *     twice that period: 1 unless the waiting time is shorter than two
 *     ticks (a fast card with a tiny BWI), then more.
 *
 * Only for XfrBlock. Section 6.2.6 allows them for any command, but
 * libccid reads them only in CCID_Receive (XfrBlock, Secure, Escape): its
 * CmdPowerOn takes the first DataBlock as the answer, and a time
 * extension (bmCommandStatus 2, not "failed", dwLength 0) would power the
 * card on with an empty ATR. A slow power-on is instead bounded by the
 * host's own timeout. */
#include "ccid_internal.h"

/* The longest gap between extensions whatever the parameters say: under
 * the 3 s that libccid waits by default, and the period of the reader
 * before the waiting time counted. */
#define CCID_TIME_EXT_MAX_MS 1000u

void ccid_time_ext_plan(uint64_t wait_us, struct ccid_time_ext_plan *out)
{
	uint64_t tick_us = (uint64_t)CCID_TICK_MS * 1000u;
	uint64_t ticks = wait_us / 2 / tick_us, period_us, mult;

	if (ticks > CCID_TIME_EXT_MAX_MS / CCID_TICK_MS)
		ticks = CCID_TIME_EXT_MAX_MS / CCID_TICK_MS;
	if (ticks < 1)
		ticks = 1;
	period_us = ticks * tick_us;
	/* bError x wait >= 2 x period, rounded up */
	mult = wait_us ? (2 * period_us + wait_us - 1) / wait_us : 255;
	if (mult < 1)
		mult = 1;
	if (mult > 255)
		mult = 255;
	out->ticks = (unsigned)ticks;
	out->multiplier = (uint8_t)mult;
}

void ccid_time_ext_tick(struct ccid_engine *eng, unsigned slot)
{
	struct ccid_slot *s = &eng->slots[slot];
	struct ccid_time_ext_plan plan;

	if (s->op != CCID_OP_TRANSMIT)
		return;
	ccid_time_ext_plan(ccid_params_wait_us(&s->params,
					       eng->cfg.default_clock_khz),
			   &plan);
	if (++s->te_ticks < plan.ticks || s->te_queued)
		return;   /* not due, or the last one is still unsent */
	s->te_ticks = 0;
	ccid_respond_time_ext(eng, slot, plan.multiplier);
}
