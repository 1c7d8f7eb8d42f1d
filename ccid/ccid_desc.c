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
 *   most readers) and dwDataRate 9600 bps (= f * D / F at Fi 372, Di 1,
 *   ISO 7816-3 default, rounded); dwMaxDataRate 344086 bps, the top of
 *   libccid's ISO_DATA_RATES table. The reader is APDU level with
 *   automatic clock, baud rate and PPS (dwFeatures), so a host only uses
 *   these to decide whether a card's TA1 is reachable.
 */
void ccid_reader_config_default(struct ccid_reader_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nslots = 1;
	cfg->max_msg_len = CCID_MSG_LEN_MAX;
	cfg->default_clock_khz = 3580;
	cfg->max_clock_khz = 3580;
	cfg->default_data_rate = 9600;
	cfg->max_data_rate = 344086;
	cfg->max_ifsd = 254;
	cfg->max_busy_slots = 1;
}

int ccid_reader_config_check(const struct ccid_reader_config *cfg,
			     const char **why)
{
	const char *msg = NULL;

	if (cfg->nslots < 1 || cfg->nslots > CCID_MAX_SLOTS)
		msg = "nslots must be 1..8";
	else if (cfg->max_msg_len < CCID_MSG_LEN_MIN ||
		 cfg->max_msg_len > CCID_MSG_LEN_MAX)
		msg = "max_msg_len must be 271..65554 (Table 5.1-1, extended APDU)";
	else if (cfg->default_clock_khz == 0 ||
		 cfg->max_clock_khz < cfg->default_clock_khz)
		msg = "clock: need 0 < default_clock_khz <= max_clock_khz";
	else if (cfg->default_data_rate == 0 ||
		 cfg->max_data_rate < cfg->default_data_rate)
		msg = "data rate: need 0 < default_data_rate <= max_data_rate";
	else if (cfg->max_ifsd < 1 || cfg->max_ifsd > 254)
		msg = "max_ifsd must be 1..254 (ISO 7816-3 IFSD)";
	else if (cfg->max_busy_slots < 1 || cfg->max_busy_slots > cfg->nslots)
		msg = "max_busy_slots must be 1..nslots";
	if (why)
		*why = msg;
	return msg ? -EINVAL : 0;
}

/* Offsets below are those of Table 5.1-1. */
void ccid_class_descriptor(const struct ccid_reader_config *cfg,
			   uint8_t out[CCID_CLASS_DESC_LEN])
{
	memset(out, 0, CCID_CLASS_DESC_LEN);
	out[0] = CCID_CLASS_DESC_LEN;                 /* bLength */
	out[1] = CCID_DESC_TYPE;                      /* bDescriptorType */
	ccid_put_le16(out + 2, CCID_BCD_CCID);        /* bcdCCID */
	out[4] = (uint8_t)(cfg->nslots - 1);          /* bMaxSlotIndex */
	out[5] = CCID_VOLTAGE_5V_3V_1V8;              /* bVoltageSupport */
	ccid_put_le32(out + 6, CCID_PROTOCOLS_T0_T1); /* dwProtocols */
	ccid_put_le32(out + 10, cfg->default_clock_khz); /* dwDefaultClock */
	ccid_put_le32(out + 14, cfg->max_clock_khz);  /* dwMaximumClock */
	out[18] = 0;                                  /* bNumClockSupported */
	ccid_put_le32(out + 19, cfg->default_data_rate); /* dwDataRate */
	ccid_put_le32(out + 23, cfg->max_data_rate);  /* dwMaxDataRate */
	out[27] = 0;                                  /* bNumDataRatesSupported */
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

/* With bNumClockSupported = 0 and bNumDataRatesSupported = 0 the host
 * normally does not ask; if it does, answer the default and the maximum
 * (one dword if they are equal), little-endian. */
static size_t two_dwords(uint32_t a, uint32_t b, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	if (cap >= 4) {
		ccid_put_le32(buf, a);
		n = 4;
	}
	if (b != a && cap >= 8) {
		ccid_put_le32(buf + 4, b);
		n = 8;
	}
	return n;
}

size_t ccid_engine_clock_frequencies(const struct ccid_engine *eng,
				     uint8_t *buf, size_t cap)
{
	return two_dwords(eng->cfg.default_clock_khz, eng->cfg.max_clock_khz,
			  buf, cap);
}

size_t ccid_engine_data_rates(const struct ccid_engine *eng, uint8_t *buf,
			      size_t cap)
{
	return two_dwords(eng->cfg.default_data_rate, eng->cfg.max_data_rate,
			  buf, cap);
}
