/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The class descriptor (Section 5.1, Table 5.1-1) field by field, and the
 * GET_CLOCK_FREQUENCIES / GET_DATA_RATES answers (5.3.2, 5.3.3). */
#include <string.h>

#include "ccid_engine.h"
#include "tap.h"

static unsigned le16(const uint8_t *p)
{
	return (unsigned)(p[0] | p[1] << 8);
}

static unsigned long le32(const uint8_t *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
	       (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

static void test_default_descriptor(void)
{
	struct ccid_reader_config cfg;
	uint8_t d[CCID_CLASS_DESC_LEN];

	ccid_reader_config_default(&cfg);
	memset(d, 0xEE, sizeof(d));
	ccid_class_descriptor(&cfg, d);
	CHECK_EQ(d[0], 0x36);              /* bLength */
	CHECK_EQ(d[1], 0x21);              /* bDescriptorType */
	CHECK_EQ(le16(d + 2), 0x0110);     /* bcdCCID */
	CHECK_EQ(d[4], 0);                 /* bMaxSlotIndex */
	CHECK_EQ(d[5], 0x07);              /* bVoltageSupport 5 / 3 / 1.8 V */
	CHECK_EQ(le32(d + 6), 0x00000003); /* dwProtocols T=0 | T=1 */
	CHECK_EQ(le32(d + 10), 3580);      /* dwDefaultClock, kHz */
	CHECK_EQ(le32(d + 14), 3580);      /* dwMaximumClock */
	CHECK_EQ(d[18], 1);                /* bNumClockSupported */
	CHECK_EQ(le32(d + 19), 9623);      /* dwDataRate = 3.58 MHz / 372 */
	CHECK_EQ(le32(d + 23), 307956);    /* dwMaxDataRate = x 32 / 372 */
	CHECK_EQ(d[27], 42);               /* bNumDataRatesSupported */
	CHECK_EQ(le32(d + 28), 254);       /* dwMaxIFSD */
	CHECK_EQ(le32(d + 32), 0);         /* dwSynchProtocols */
	CHECK_EQ(le32(d + 36), 0);         /* dwMechanical */
	CHECK_EQ(le32(d + 40), 0x000400FE);/* dwFeatures */
	CHECK_EQ(le32(d + 44), 65554);     /* dwMaxCCIDMessageLength */
	CHECK_EQ(d[48], 0xFF);             /* bClassGetResponse */
	CHECK_EQ(d[49], 0xFF);             /* bClassEnvelope */
	CHECK_EQ(le16(d + 50), 0);         /* wLcdLayout */
	CHECK_EQ(d[52], 0);                /* bPINSupport */
	CHECK_EQ(d[53], 1);                /* bMaxCCIDBusySlots */
}

static void test_custom_descriptor(void)
{
	struct ccid_reader_config cfg;
	uint8_t d[CCID_CLASS_DESC_LEN];

	ccid_reader_config_default(&cfg);
	cfg.nslots = 3;
	cfg.max_busy_slots = 2;
	cfg.max_msg_len = 271;
	cfg.default_clock_khz = 4000;
	cfg.max_clock_khz = 8000;
	cfg.default_data_rate = 10752;   /* 4 MHz / 372 */
	cfg.max_data_rate = 250000;      /* 8 MHz x 16 / 512 */
	cfg.max_ifsd = 32;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), 0);
	ccid_class_descriptor(&cfg, d);
	CHECK_EQ(d[4], 2);
	CHECK_EQ(le32(d + 10), 4000);
	CHECK_EQ(le32(d + 14), 8000);
	CHECK_EQ(le32(d + 19), 10752);
	CHECK_EQ(le32(d + 23), 250000);
	CHECK_EQ(le32(d + 28), 32);
	CHECK_EQ(d[18], 2);              /* 4000 and 8000 kHz */
	CHECK(d[27] > 2);
	CHECK_EQ(le32(d + 44), 271);
	CHECK_EQ(d[53], 2);
}

static void test_clock_and_rates(void)
{
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;
	uint8_t buf[16];

	ccid_reader_config_default(&cfg);
	eng = ccid_engine_new(&cfg);
	CHECK(eng != NULL);
	/* default == max: one dword */
	CHECK_EQ(ccid_engine_clock_frequencies(eng, buf, sizeof(buf)), 4);
	CHECK_EQ(le32(buf), 3580);
	/* ascending from dwDataRate, whole dwords only */
	CHECK_EQ(ccid_engine_data_rates(eng, buf, sizeof(buf)), 16);
	CHECK_EQ(le32(buf), 9623);
	CHECK_EQ(le32(buf + 4), 12831);   /* Fi 558 Di 2 */
	CHECK_EQ(ccid_engine_data_rates(eng, buf, 5), 4);
	CHECK_EQ(ccid_engine_data_rates(eng, buf, 3), 0);
	ccid_engine_free(eng);
	cfg.max_clock_khz = 8000;
	cfg.max_data_rate = 125000;   /* 8 MHz x 16 / 1024: 59 rates listed */
	eng = ccid_engine_new(&cfg);
	CHECK(eng != NULL);
	if (!eng)
		return;
	CHECK_EQ(ccid_engine_clock_frequencies(eng, buf, sizeof(buf)), 8);
	CHECK_EQ(le32(buf + 4), 8000);
	ccid_engine_free(eng);
}

/* The list by its definition, computed the plain way: every Fi / Di pair
 * of ISO/IEC 7816-3 Tables 7 and 8 at each clock, kept when within
 * dwDataRate..dwMaxDataRate, ascending, once each. */
static size_t rates_by_definition(const struct ccid_reader_config *cfg,
				  uint32_t *out)
{
	static const unsigned fi[] = { 372, 558, 744,  1116, 1488, 1860,
				       512, 768, 1024, 1536, 2048 };
	static const unsigned di[] = { 1, 2, 4, 8, 16, 32, 64, 12, 20 };
	uint32_t clk[2] = { cfg->default_clock_khz, cfg->max_clock_khz };
	size_t n = 0;

	for (size_t c = 0; c < (clk[0] == clk[1] ? 1u : 2u); c++)
		for (size_t f = 0; f < sizeof(fi) / sizeof(fi[0]); f++)
			for (size_t d = 0; d < sizeof(di) / sizeof(di[0]);
			     d++) {
				uint64_t r = (uint64_t)clk[c] * 1000u * di[d] /
					     fi[f];
				size_t k, j;

				if (r < cfg->default_data_rate ||
				    r > cfg->max_data_rate)
					continue;
				for (k = 0; k < n && out[k] != r; k++)
					;
				if (k < n)
					continue;
				for (k = 0; k < n && out[k] < r; k++)
					;
				for (j = n; j > k; j--)
					out[j] = out[j - 1];
				out[k] = (uint32_t)r;
				n++;
			}
	return n;
}

/* ccid_reader_data_rates() (which skips the RFU table entries early) gives
 * the list its definition gives, for one and two clocks, and the config
 * check still refuses a max rate no pair gives and a list too long. */
static void test_rates_match_definition(void)
{
	static const uint32_t clocks[][2] = {
		{ 3580, 3580 },
		{ 3580, 8000 },
		{ 4000, 4000 },
		{ 1000, 20000 },
	};
	struct ccid_reader_config cfg;
	uint32_t want[2 * 11 * 9], got[2 * 11 * 9];
	const char *why = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		ccid_reader_config_default(&cfg);
		cfg.default_clock_khz = clocks[i][0];
		cfg.max_clock_khz = clocks[i][1];
		cfg.default_data_rate =
			(uint32_t)((uint64_t)clocks[i][0] * 1000u / 372u);
		cfg.max_data_rate = 0xFFFFFFFF;
		n = rates_by_definition(&cfg, want);
		CHECK(n > 0);
		memset(got, 0, sizeof(got));
		CHECK_EQ(ccid_reader_data_rates(&cfg, got,
						sizeof(got) / sizeof(got[0])),
			 n);
		CHECK(memcmp(got, want, n * sizeof(got[0])) == 0);
	}
	/* 1 and 20 MHz up to the fastest pair: more than GET_DATA_RATES
	 * lists, so the max rate is past the 64 listed: refused (as before) */
	CHECK(n > CCID_MAX_DATA_RATES);
	cfg.max_data_rate = want[n - 1];
	CHECK(ccid_reader_config_check(&cfg, &why) != 0);
	CHECK(why != NULL && strstr(why, "max_data_rate") != NULL);
	ccid_reader_config_default(&cfg);
	cfg.max_data_rate = 307957; /* one above a listed rate */
	why = NULL;
	CHECK(ccid_reader_config_check(&cfg, &why) != 0);
	CHECK(why != NULL && strstr(why, "max_data_rate") != NULL);
	cfg.max_data_rate = 307956;
	CHECK_EQ(ccid_reader_config_check(&cfg, NULL), 0);
}

int main(void)
{
	RUN(test_default_descriptor);
	RUN(test_custom_descriptor);
	RUN(test_clock_and_rates);
	RUN(test_rates_match_definition);
	TAP_EXIT();
}
