/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The class descriptor agrees with itself and with what the reader does
 * (CCID 1.1 Section 5.1, Table 5.1-1; 5.3.2, 5.3.3; 6.1.1), for the
 * default configuration and for others a deployment may build:
 *
 *   - bNumClockSupported = the dwords GET_CLOCK_FREQUENCIES answers, which
 *     hold dwDefaultClock and end at dwMaximumClock;
 *   - bNumDataRatesSupported = the dwords GET_DATA_RATES answers, all
 *     distinct, ascending, from dwDataRate to dwMaxDataRate, each f x Di /
 *     Fi for an ISO/IEC 7816-3 pair at a listed clock; dwDataRate is the
 *     ISO default rate f / 372; and Microsoft's class driver expects the
 *     two lists ("USB CCID readers should implement the
 *     GET_CLOCK_FREQUENCIES and GET_DATA_RATES properties, even if bit 20h
 *     in dwFeatures is set", Microsoft Class Drivers for USB CCID Smart
 *     Cards, learn.microsoft.com previous-versions/windows/hardware/design/
 *     dn653571);
 *   - dwFeatures: one exchange level (extended APDU); an APDU-level reader
 *     does the ATR, voltage, clock, baud rate and PPS itself (0x02, 0x08,
 *     0x10, 0x20, 0x40/0x80); no bit outside Table 5.1-1's;
 *   - dwMaxCCIDMessageLength within Table 5.1-1's range for the level,
 *     dwMaxIFSD 1..254 with T=1 in dwProtocols, bMaxCCIDBusySlots
 *     1..bMaxSlotIndex + 1;
 *   - bVoltageSupport: every voltage it names, and automatic (bPowerSelect
 *     0), powers the card (IccPowerOn answers the ATR, ICC active); the
 *     first value past them fails with bError 7 (the bPowerSelect field). */
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "ccid_params.h"
#include "tap.h"

static unsigned long le32(const uint8_t *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
	       (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/* The configurations checked: the default and a few a deployment may set. */
static void config_n(unsigned i, struct ccid_reader_config *cfg)
{
	ccid_reader_config_default(cfg);
	switch (i) {
	case 1:   /* 4 MHz crystal, two clocks, slower top rate, 2 slots */
		cfg->default_clock_khz = 4000;
		cfg->max_clock_khz = 8000;
		cfg->default_data_rate = 10752;
		cfg->max_data_rate = 250000;
		cfg->nslots = 2;
		cfg->max_busy_slots = 2;
		cfg->max_msg_len = 271;
		break;
	case 2:   /* one rate only */
		cfg->max_data_rate = cfg->default_data_rate;
		cfg->max_ifsd = 32;
		break;
	default:
		break;
	}
}

#define NCONFIGS 3

/* Is r = clock x Di / Fi (rounded down) for an ISO pair and a clock? */
static int iso_rate(unsigned long r, const uint32_t *clk, size_t nclk)
{
	for (size_t c = 0; c < nclk; c++)
		for (uint8_t fi = 0; fi < 16; fi++)
			for (uint8_t di = 0; di < 16; di++)
				if (ccid_fi(fi) && ccid_di(di) &&
				    (uint64_t)clk[c] * 1000u * ccid_di(di) /
				    ccid_fi(fi) == r)
					return 1;
	return 0;
}

static void check_config(const void *arg)
{
	unsigned idx = *(const unsigned *)arg;
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;
	uint8_t d[CCID_CLASS_DESC_LEN], buf[4 * 256];
	uint32_t clk[64];
	size_t n;
	unsigned long feat, level, prev = 0;

	config_n(idx, &cfg);
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), 0);
	ccid_class_descriptor(&cfg, d);
	eng = ccid_engine_new(&cfg);
	CHECK(eng != NULL);
	if (!eng)
		return;
	/* clocks */
	n = ccid_engine_clock_frequencies(eng, buf, sizeof(buf));
	CHECK(d[18] >= 1);
	CHECK_EQ(n, 4u * d[18]);
	for (size_t i = 0; i < n / 4 && i < 64; i++)
		clk[i] = (uint32_t)le32(buf + 4 * i);
	CHECK_EQ(clk[0], le32(d + 10));                 /* dwDefaultClock */
	CHECK_EQ(clk[n / 4 - 1], le32(d + 14));         /* dwMaximumClock */
	/* data rates */
	{
		size_t nclk = n / 4;

		n = ccid_engine_data_rates(eng, buf, sizeof(buf));
		CHECK(d[27] >= 1);
		CHECK_EQ(n, 4u * d[27]);
		CHECK_EQ(le32(buf), le32(d + 19));          /* dwDataRate first */
		CHECK_EQ(le32(buf + n - 4), le32(d + 23));  /* dwMaxDataRate last */
		CHECK_EQ(le32(d + 19), le32(d + 10) * 1000 / 372);
		for (size_t i = 0; i < n / 4; i++) {
			unsigned long r = le32(buf + 4 * i);

			CHECK(r > prev);   /* ascending, distinct */
			CHECK(iso_rate(r, clk, nclk));
			prev = r;
		}
	}
	/* features and levels */
	feat = le32(d + 40);
	level = feat & 0x00070000;
	CHECK_EQ(level, 0x00040000);
	CHECK_EQ(feat & 0x3E, 0x3E);   /* 02 04 08 10 20 */
	CHECK(feat & 0xC0);
	CHECK_EQ(feat & ~0x001F07FEul & ~0x00070000ul, 0);
	CHECK(le32(d + 44) >= 261 + 10 && le32(d + 44) <= 65544 + 10);
	CHECK_EQ(le32(d + 44), cfg.max_msg_len);
	CHECK(le32(d + 6) & 2);                       /* T=1 offered ... */
	CHECK(le32(d + 28) >= 1 && le32(d + 28) <= 254);   /* ... IFSD */
	CHECK(d[53] >= 1 && d[53] <= d[4] + 1);
	ccid_engine_free(eng);
}

/* bVoltageSupport against IccPowerOn: every voltage named, and automatic,
 * powers the card; past them, bError 7. */
static void test_voltages(void)
{
	struct ccid_reader_config cfg;
	struct ccid_fake_card card;
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	uint8_t d[CCID_CLASS_DESC_LEN], got[64];
	/* bPowerSelect (6.1.1) -> bVoltageSupport bit (Table 5.1-1) */
	static const struct { uint8_t sel, bit; } v[] = {
		{ 0, 0 }, { 1, 0x01 }, { 2, 0x02 }, { 3, 0x04 },
	};

	ccid_reader_config_default(&cfg);
	ccid_class_descriptor(&cfg, d);
	CHECK(eng != NULL);
	if (!eng)
		return;
	ccid_fake_card_init(&card, eng, 0);
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	ccid_fake_drain(eng);
	CHECK_EQ(d[5], 0x07);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].bit && !(d[5] & v[i].bit))
			continue;
		ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, (uint8_t)i,
			       v[i].sel, 0, 0, NULL, 0);
		CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, (uint8_t)i,
			    CCID_STATUS(CCID_ICC_STATUS_ACTIVE,
					CCID_CMD_STATUS_OK), 0);
		CHECK_EQ(le32(got + 1), card.atr_len);
		CHECK_MEM(got + 10, card.atr, card.atr_len);
		ccid_fake_send(eng, CCID_PC_ICC_POWER_OFF, 0, 0x40 + (uint8_t)i,
			       0, 0, 0, NULL, 0);
		CCID_EXPECT(eng, got, CCID_RDR_SLOT_STATUS, 0, 0x40 + (uint8_t)i,
			    CCID_STATUS(CCID_ICC_STATUS_INACTIVE,
					CCID_CMD_STATUS_OK), 0);
	}
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 9, 4, 0, 0, NULL, 0);
	CCID_EXPECT(eng, got, CCID_RDR_DATA_BLOCK, 0, 9,
		    CCID_STATUS(CCID_ICC_STATUS_INACTIVE,
				CCID_CMD_STATUS_FAILED), 7);
	ccid_engine_free(eng);
}

/* The checks can fail: a descriptor that says 0 rates while
 * GET_DATA_RATES answers some (what the reader did before) is caught,
 * and so is a configuration whose top rate no ISO pair gives. */
static void test_checker_fails(void)
{
	struct ccid_reader_config cfg;
	uint8_t d[CCID_CLASS_DESC_LEN];
	const char *why = NULL;

	ccid_reader_config_default(&cfg);
	ccid_class_descriptor(&cfg, d);
	d[27] = 0;
	CHECK(4u * d[27] != 4u * ccid_reader_data_rates(&cfg, NULL, 0));
	cfg.max_data_rate = 344086;   /* 4 MHz x 32 / 372, not at 3.58 MHz */
	CHECK(ccid_reader_config_check(&cfg, &why) != 0);
	CHECK(why && strstr(why, "max_data_rate"));
	ccid_reader_config_default(&cfg);
	cfg.default_data_rate = 9600;
	CHECK(ccid_reader_config_check(&cfg, &why) != 0);
	CHECK(why && strstr(why, "default_data_rate"));
}

int main(void)
{
	static const unsigned idx[NCONFIGS] = { 0, 1, 2 };
	static const char *const names[NCONFIGS] = {
		"default configuration agrees with itself",
		"4/8 MHz, 2 slots, 271-byte messages agrees with itself",
		"one data rate agrees with itself",
	};

	for (unsigned i = 0; i < NCONFIGS; i++)
		tap_run_case(names[i], check_config, &idx[i]);
	RUN(test_voltages);
	RUN(test_checker_fails);
	TAP_EXIT();
}
