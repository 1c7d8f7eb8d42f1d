/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time extensions against the host's waiting time (Section 6.2.6): for
 * each set of parameters a host may put in place with SetParameters, the
 * test computes the waiting time itself from ISO/IEC 7816-3:2006 (T=0:
 * WWT = 960 x WI x Fi / f, 10.2; T=1: BWT = 11 etu + 2^BWI x 960 x 372 /
 * f, 11.4.3) and checks the engine's schedule on the wire: the first time
 * extension comes after at most half the waiting time (one tick when the
 * waiting time is under two ticks), the next ones at the same period,
 * none earlier, and bError (the multiplier the host applies) makes the
 * host wait at least twice that period. */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "ccid_params.h"
#include "tap.h"

static struct ccid_fake_card card;
static uint8_t got[128];
static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };

/* ISO/IEC 7816-3:2006 Table 7 and Table 8, written out again here. */
static double fi_of(uint8_t fidi)
{
	static const double fi[16] = { 372, 372, 558, 744, 1116, 1488, 1860,
				       0, 0, 512, 768, 1024, 1536, 2048, 0, 0 };
	return fi[fidi >> 4];
}

static double di_of(uint8_t fidi)
{
	static const double di[16] = { 0, 1, 2, 4, 8, 16, 32, 64, 12, 20 };
	return di[fidi & 0x0F];
}

struct te_case {
	const char *what;
	uint32_t clock_khz;     /* dwDefaultClock */
	uint8_t proto;
	uint8_t fidi;           /* bmFindexDindex */
	uint8_t wi;             /* bWaitingIntegerT0 / bmWaitingIntegersT1 */
};

static const struct te_case cases[] = {
	{ "T=0 ISO defaults (WWT ~1 s)", 3580, 0, 0x11, 0x0A },
	{ "T=0 Fi 512 Di 32 (TA1 96)", 3580, 0, 0x96, 0x0A },
	{ "T=0 WI 1 (WWT ~100 ms)", 3580, 0, 0x11, 0x01 },
	{ "T=0 WI 3", 3580, 0, 0x11, 0x03 },
	{ "T=0 WI 255 (WWT ~25 s)", 3580, 0, 0x11, 0xFF },
	{ "T=0 ISO defaults at 1 MHz", 1000, 0, 0x11, 0x0A },
	{ "T=0 ISO defaults at 4.8 MHz", 4800, 0, 0x11, 0x0A },
	{ "T=1 BWI 4 CWI 13 (BWT ~1.6 s)", 3580, 1, 0x11, 0x4D },
	{ "T=1 BWI 4 Fi 512 Di 32", 3580, 1, 0x96, 0x45 },
	{ "T=1 BWI 0 Di 12 (BWT ~100 ms)", 3580, 1, 0x18, 0x05 },
	{ "T=1 BWI 1", 3580, 1, 0x11, 0x15 },
	{ "T=1 BWI 2 (BWT ~400 ms)", 3580, 1, 0x13, 0x25 },
	{ "T=1 BWI 7 (BWT ~12.8 s)", 3580, 1, 0x11, 0x75 },
	{ "T=1 BWI 9", 3580, 1, 0x11, 0x95 },
};

static double wait_ms(const struct te_case *c)
{
	double f = c->clock_khz;   /* kHz: x / f is in ms */
	double fi = fi_of(c->fidi), di = di_of(c->fidi);

	if (c->proto == 0)
		return 960.0 * c->wi * fi / f;
	return 11.0 * fi / di / f + (double)(1u << (c->wi >> 4)) * 960 * 372 / f;
}

/* A card offering T=0 and T=1 up to Fi 512 Di 32 (TA1 = 96; TD1 = 80:
 * T=0, TD2 follows; TD2 = 01: T=1; TCK), powered, its parameters set to
 * the case's. */
static struct ccid_engine *engine_for(const struct te_case *c)
{
	static const uint8_t atr[] = { 0x3B, 0x90, 0x96, 0x80, 0x01, 0x87 };
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;
	uint8_t t0[5] = { c->fidi, 0x00, 0x00, c->wi, 0x00 };
	uint8_t t1[7] = { c->fidi, 0x10, 0x00, c->wi, 0x00, 0x20, 0x00 };

	ccid_reader_config_default(&cfg);
	if (c->clock_khz != cfg.default_clock_khz) {   /* one clock, one rate */
		cfg.default_clock_khz = cfg.max_clock_khz = c->clock_khz;
		cfg.default_data_rate = c->clock_khz * 1000u / 372u;
		cfg.max_data_rate = cfg.default_data_rate;
	}
	eng = ccid_engine_new(&cfg);
	if (!eng)
		return NULL;
	ccid_engine_set_log(eng, ccid_fake_log, NULL);
	ccid_fake_card_init(&card, eng, 0);
	memcpy(card.atr, atr, sizeof(atr));
	card.atr_len = sizeof(atr);
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	ccid_fake_power_on(eng, 0);
	ccid_fake_send(eng, CCID_PC_SET_PARAMETERS, 0, 1, c->proto, 0, 0,
		       c->proto ? t1 : t0, c->proto ? sizeof(t1) : sizeof(t0));
	CCID_EXPECT(eng, got, CCID_RDR_PARAMETERS, 0, 1, 0x00, 0);
	return eng;
}

/* Ticks until the next time extension (popped, checked), at most `max`;
 * returns the ticks it took, or 0 if none came. */
static unsigned ticks_to_te(struct ccid_engine *eng, unsigned max,
			    uint8_t *berr)
{
	for (unsigned t = 1; t <= max; t++) {
		ccid_engine_tick(eng);
		if (!ccid_engine_peek_bulk_in(eng))
			continue;
		if (ccid_fake_pop(eng, got, sizeof(got)) != 10 ||
		    got[0] != CCID_RDR_DATA_BLOCK || got[6] != 2 ||
		    got[7] != CCID_STATUS(CCID_ICC_STATUS_ACTIVE,
					  CCID_CMD_STATUS_TIME_EXT))
			return 0;
		*berr = got[8];
		return t;
	}
	return 0;
}

static void check_case(const void *arg)
{
	const struct te_case *c = arg;
	struct ccid_engine *eng = engine_for(c);
	double wt = wait_ms(c);
	unsigned first, second;
	uint8_t m1 = 0, m2 = 0;

	CHECK(eng != NULL);
	if (!eng)
		return;
	/* the engine's own figure agrees with the ISO formula above */
	{
		struct ccid_params p;
		uint8_t msg[17];
		size_t n = ccid_fake_msg(msg, CCID_PC_SET_PARAMETERS, 0, 0,
					 c->proto, 0, 0,
					 c->proto ? (const uint8_t[]){ c->fidi,
						 0x10, 0, c->wi, 0, 0x20, 0 }
					 : (const uint8_t[]){ c->fidi, 0, 0,
						 c->wi, 0 },
					 c->proto ? 7 : 5);

		ccid_params_default(&p);
		p.card_fidi = c->fidi;   /* a card whose TA1 allows it */
		CHECK_EQ(ccid_params_set(&p, msg, n, NULL), 0);
		double d = ccid_params_wait_us(&p, c->clock_khz) / 1000.0 - wt;

		CHECK(d > -0.01 && d < 0.01);
	}
	card.deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, apdu,
		       sizeof(apdu));
	first = ticks_to_te(eng, 100, &m1);
	second = ticks_to_te(eng, 100, &m2);
	printf("# %s: wait %.1f ms; first extension after %u ticks (%u ms), "
	       "then every %u, bError %u\n", c->what, wt, first,
	       first * CCID_TICK_MS, second, m1);
	CHECK(first >= 1 && second == first && m1 == m2);
	/* well inside the host's waiting time: at most half of it, or the
	 * first tick when half is less than a tick */
	if (wt >= 2.0 * CCID_TICK_MS)
		CHECK(first * CCID_TICK_MS <= wt / 2);
	else
		CHECK_EQ(first, 1);
	/* and not more often than needed: at least a quarter of the waiting
	 * time apart, or once a second at most */
	CHECK(first + 1 > wt / 4 / CCID_TICK_MS || first * CCID_TICK_MS >= 1000);
	CHECK(first * CCID_TICK_MS <= 1000);
	/* bError x waiting time covers two periods: the host waits past the
	 * next one */
	CHECK(m1 >= 1 && m1 * wt >= 2.0 * first * CCID_TICK_MS);
	CHECK(m1 == 1 || (m1 - 1) * wt < 2.0 * first * CCID_TICK_MS);
	ccid_fake_complete(&card, 0, (const uint8_t *)"\x90\x00", 2);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 2, 0x00, 0);
	ccid_engine_free(eng);
}

/* Idle: no command pending, no tick sends anything and the transport may
 * stop its timer. */
static void test_idle(void)
{
	struct ccid_engine *eng = engine_for(&cases[0]);

	CHECK(eng != NULL);
	if (!eng)
		return;
	CHECK(!ccid_engine_busy(eng));
	for (unsigned i = 0; i < 50; i++)
		ccid_engine_tick(eng);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

/* The checker fails: a schedule that sends the first extension only at
 * the waiting time (what the reader did with a 1 s tick) is caught. */
static void test_checker_catches_late(void)
{
	double wt = wait_ms(&cases[0]);
	unsigned late = (unsigned)(wt / CCID_TICK_MS) + 1;

	CHECK(!(late * CCID_TICK_MS <= wt / 2));
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_run_case(cases[i].what, check_case, &cases[i]);
	RUN(test_idle);
	RUN(test_checker_catches_late);
	TAP_EXIT();
}
