/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reader configuration and the Smart Card Device Class descriptor
 * (Section 5.1, Table 5.1-1), plus the GET_CLOCK_FREQUENCIES and
 * GET_DATA_RATES answers (Section 5.3.2, 5.3.3). */
#include <errno.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_internal.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

/* Defaults:
 * - max_msg_len 65554 = 65544 + 10, the largest value Table 5.1-1 allows
 *   for an extended APDU reader (QEMU's usb-ccid advertises the same).
 *   libccid (CMD_BUF_SIZE = 4 + 3 + 65536 + 3 in defs.h) receives up to
 *   10 + CMD_BUF_SIZE bytes per message and sends at most
 *   dwMaxCCIDMessageLength - 10 per XfrBlock, chaining the rest, so any
 *   value in 271..65554 works with it.
 * - dwDefaultClock = dwMaximumClock = 3580 kHz (the 3.58 MHz crystal of
 *   most readers): one clock, bNumClockSupported 1.
 * - dwDataRate 9623 bps = f / 372 (Fd 372, Dd 1: ISO 7816-3 default,
 *   rounded down as libccid computes it); dwMaxDataRate 307956 bps = f x
 *   32 / 372, the fastest ISO Fi/Di pair at 3.58 MHz under 344086 bps
 *   (the top of libccid's ISO_DATA_RATES table); the rates in between that
 *   ISO pairs give are listed (GET_DATA_RATES, bNumDataRatesSupported), so
 *   a host that picks a card's TA1 rate from the list (Windows' usbccid,
 *   libccid without automatic PPS) finds every TA1 up to Fi 372 Di 32.
 *   The reader is APDU level with automatic clock, baud rate and PPS
 *   (dwFeatures), so a host only uses these to decide whether a card's
 *   TA1 is reachable.
 */
void ccid_reader_config_default(struct ccid_reader_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nslots = 1;
	cfg->max_msg_len = CCID_MSG_LEN_MAX;
	cfg->default_clock_khz = 3580;
	cfg->max_clock_khz = 3580;
	cfg->default_data_rate = 9623;
	cfg->max_data_rate = 307956;
	cfg->max_ifsd = 254;
	cfg->max_busy_slots = 1;
}

size_t ccid_reader_clocks(const struct ccid_reader_config *cfg,
			  uint32_t out[2])
{
	out[0] = cfg->default_clock_khz;
	if (cfg->max_clock_khz == cfg->default_clock_khz)
		return 1;
	out[1] = cfg->max_clock_khz;
	return 2;
}

size_t ccid_reader_data_rates(const struct ccid_reader_config *cfg,
			      uint32_t *out, size_t cap)
{
	uint32_t clocks[2], all[2 * 16 * 16];
	size_t nclk = ccid_reader_clocks(cfg, clocks), n = 0;

	/* Each table is looked up once per pass, RFU entries (0) skipped
	 * before the inner loop: this runs at every engine creation and
	 * descriptor, and was a third of the engine fuzz target's time. */
	for (size_t c = 0; c < nclk; c++)
		for (uint8_t fi = 1; fi < 16; fi++) {
			unsigned f = ccid_fi(fi);

			if (!f)
				continue;
			for (uint8_t di = 1; di < 16; di++) {
				unsigned d = ccid_di(di);
				uint64_t r;
				size_t k;

				if (!d)
					continue;
				r = (uint64_t)clocks[c] * 1000u * d / f;
				if (r < cfg->default_data_rate ||
				    r > cfg->max_data_rate)
					continue;
				/* insert in order, once */
				for (k = 0; k < n && all[k] < r; k++)
					;
				if (k < n && all[k] == r)
					continue;
				memmove(all + k + 1, all + k,
					(n - k) * sizeof(all[0]));
				all[k] = (uint32_t)r;
				n++;
			}
		}
	if (out && cap)
		memcpy(out, all, (n < cap ? n : cap) * sizeof(all[0]));
	return n;
}

static bool rate_listed(const uint32_t *rates, size_t n, uint32_t rate)
{
	for (size_t i = 0; i < n && i < CCID_MAX_DATA_RATES; i++)
		if (rates[i] == rate)
			return true;
	return false;
}

int ccid_reader_config_check_rates(const struct ccid_reader_config *cfg,
				   const char **why,
				   uint32_t rates[CCID_MAX_DATA_RATES],
				   size_t *nrates_out)
{
	const char *msg = NULL;
	size_t nrates = ccid_reader_data_rates(cfg, rates, CCID_MAX_DATA_RATES);

	if (cfg->nslots < 1 || cfg->nslots > CCID_MAX_SLOTS)
		msg = "nslots must be 1..8";
	else if (cfg->max_msg_len < CCID_MSG_LEN_MIN ||
		 cfg->max_msg_len > CCID_MSG_LEN_MAX)
		msg = "max_msg_len must be 271..65554 (Table 5.1-1, extended APDU)";
	else if (cfg->default_clock_khz == 0 ||
		 cfg->max_clock_khz < cfg->default_clock_khz)
		msg = "clock: need 0 < default_clock_khz <= max_clock_khz";
	else if (cfg->default_data_rate !=
		 (uint32_t)((uint64_t)cfg->default_clock_khz * 1000u / 372u))
		msg = "default_data_rate must be default_clock / 372 (ISO 7816-3 Fd, Dd)";
	else if (cfg->max_data_rate < cfg->default_data_rate ||
		 !rate_listed(rates, nrates, cfg->max_data_rate))
		msg = "max_data_rate must be clock x Di / Fi for an ISO 7816-3 pair";
	else if (nrates > CCID_MAX_DATA_RATES)
		msg = "more data rates than GET_DATA_RATES can list (64)";
	else if (cfg->max_ifsd < 1 || cfg->max_ifsd > 254)
		msg = "max_ifsd must be 1..254 (ISO 7816-3 IFSD)";
	else if (cfg->max_busy_slots < 1 || cfg->max_busy_slots > cfg->nslots)
		msg = "max_busy_slots must be 1..nslots";
	if (why)
		*why = msg;
	*nrates_out = nrates;
	return msg ? -EINVAL : 0;
}

int ccid_reader_config_check(const struct ccid_reader_config *cfg,
			     const char **why)
{
	uint32_t rates[CCID_MAX_DATA_RATES];
	size_t n;

	return ccid_reader_config_check_rates(cfg, why, rates, &n);
}

/* Offsets below are those of Table 5.1-1. */
void ccid_class_descriptor(const struct ccid_reader_config *cfg,
			   uint8_t out[CCID_CLASS_DESC_LEN])
{
	uint32_t clocks[2];

	memset(out, 0, CCID_CLASS_DESC_LEN);
	out[0] = CCID_CLASS_DESC_LEN;                 /* bLength */
	out[1] = CCID_DESC_TYPE;                      /* bDescriptorType */
	ccid_put_le16(out + 2, CCID_BCD_CCID);        /* bcdCCID */
	out[4] = (uint8_t)(cfg->nslots - 1);          /* bMaxSlotIndex */
	out[5] = CCID_VOLTAGE_5V_3V_1V8;              /* bVoltageSupport */
	ccid_put_le32(out + 6, CCID_PROTOCOLS_T0_T1); /* dwProtocols */
	ccid_put_le32(out + 10, cfg->default_clock_khz); /* dwDefaultClock */
	ccid_put_le32(out + 14, cfg->max_clock_khz);  /* dwMaximumClock */
	out[18] = (uint8_t)ccid_reader_clocks(cfg, clocks); /* bNumClockSupported */
	ccid_put_le32(out + 19, cfg->default_data_rate); /* dwDataRate */
	ccid_put_le32(out + 23, cfg->max_data_rate);  /* dwMaxDataRate */
	out[27] = (uint8_t)ccid_reader_data_rates(cfg, NULL, 0);
						      /* bNumDataRatesSupported */
	ccid_put_le32(out + 28, cfg->max_ifsd);       /* dwMaxIFSD */
	ccid_put_le32(out + 32, 0);                   /* dwSynchProtocols */
	ccid_put_le32(out + 36, 0);                   /* dwMechanical */
	ccid_put_le32(out + 40, CCID_FEATURES);       /* dwFeatures */
	ccid_put_le32(out + 44, cfg->max_msg_len);    /* dwMaxCCIDMessageLength */
	out[48] = CCID_CLASS_ANY;                     /* bClassGetResponse */
	out[49] = CCID_CLASS_ANY;                     /* bClassEnvelope */
	ccid_put_le16(out + 50, 0);                   /* wLcdLayout */
	out[52] = 0;                                  /* bPINSupport */
	out[53] = cfg->max_busy_slots;                /* bMaxCCIDBusySlots */
}

/* Section 5.3.2 / 5.3.3: the lists themselves, little-endian dwords, as
 * many as the descriptor counts (whole dwords up to cap). */
static size_t dwords(const uint32_t *v, size_t n, uint8_t *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < n && 4 * (i + 1) <= cap; i++)
		ccid_put_le32(buf + 4 * i, v[i]);
	return 4 * i;
}

size_t ccid_engine_clock_frequencies(const struct ccid_engine *eng,
				     uint8_t *buf, size_t cap)
{
	uint32_t clocks[2];

	return dwords(clocks, ccid_reader_clocks(&eng->cfg, clocks), buf, cap);
}

/* The list made at creation: the same ccid_reader_data_rates() gives for
 * eng->cfg (recomputing it per request was a quarter of the engine fuzz
 * target's time). */
size_t ccid_engine_data_rates(const struct ccid_engine *eng, uint8_t *buf,
			      size_t cap)
{
	return dwords(eng->rates, eng->nrates, buf, cap);
}
