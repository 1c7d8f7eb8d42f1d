/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Protocol parameters: ATR -> defaults, and SetParameters validation.
 * Section 6.1.7, Table 6.1-5 (T=0) and Table 6.1-6 (T=1); ATR layout from
 * ISO/IEC 7816-3:2006 clause 8.2. */
#include <string.h>

#include "ccid_engine.h"
#include "ccid_params.h"
#include "ccid_proto.h"
#include "ccid_wire.h"

/* ISO 7816-3 defaults */
#define FIDI_DEFAULT   0x11   /* Fi = 372, Di = 1 */
#define WI_DEFAULT     0x0A   /* T=0 waiting integer (TC2 absent) */
#define T1_BWI_CWI     0x4D   /* BWI 4, CWI 13 (TB3 absent) */
#define T1_IFSC        0x20   /* 32 (TA3 absent) */

struct atr_fields {
	bool inverse;
	int ta1, tc1, tc2;          /* -1 when absent */
	int t1_ta, t1_tb, t1_tc;    /* first TA/TB/TC for T=1 (i >= 3) */
	int first_protocol;
	uint8_t offered;
};

static void fill(struct ccid_params *p, const struct atr_fields *f)
{
	uint8_t fidi = f->ta1 >= 0 ? (uint8_t)f->ta1 : FIDI_DEFAULT;
	uint8_t conv = f->inverse ? 0x02 : 0x00;
	uint8_t guard = f->tc1 >= 0 ? (uint8_t)f->tc1 : 0;

	p->protocol = f->first_protocol == 1 ? 1 : 0;
	p->offered = f->offered ? f->offered : CCID_OFFER_T0;
	p->card_fidi = fidi;
	p->card_crc = f->t1_tc >= 0 && (f->t1_tc & 1);
	/* Table 6.1-5: bmFindexDindex, bmTCCKST0, bGuardTimeT0,
	 * bWaitingIntegerT0, bClockStop */
	p->t0[0] = fidi;
	p->t0[1] = conv;
	p->t0[2] = guard;
	p->t0[3] = f->tc2 >= 0 ? (uint8_t)f->tc2 : WI_DEFAULT;
	p->t0[4] = 0;
	/* Table 6.1-6: bmFindexDindex, bmTCCKST1, bGuardTimeT1,
	 * bmWaitingIntegersT1, bClockStop, bIFSC, bNadValue */
	p->t1[0] = fidi;
	p->t1[1] = (uint8_t)(0x10 | conv |
			     (f->t1_tc >= 0 && (f->t1_tc & 1) ? 0x01 : 0x00));
	p->t1[2] = guard;
	p->t1[3] = f->t1_tb >= 0 ? (uint8_t)f->t1_tb : T1_BWI_CWI;
	p->t1[4] = 0;
	p->t1[5] = (f->t1_ta >= 1 && f->t1_ta <= 0xFE) ? (uint8_t)f->t1_ta
						       : T1_IFSC;
	p->t1[6] = 0;
}

void ccid_params_default(struct ccid_params *p)
{
	struct atr_fields f = { .ta1 = -1, .tc1 = -1, .tc2 = -1, .t1_ta = -1,
				.t1_tb = -1, .t1_tc = -1, .first_protocol = 0,
				.offered = CCID_OFFER_T0 | CCID_OFFER_T1 };
	fill(p, &f);
}

enum ccid_atr_check ccid_params_from_atr(struct ccid_params *p,
					 const uint8_t *atr, size_t len)
{
	struct atr_fields f = { .ta1 = -1, .tc1 = -1, .tc2 = -1, .t1_ta = -1,
				.t1_tb = -1, .t1_tc = -1, .first_protocol = -1 };
	enum ccid_atr_check res = CCID_ATR_OK;
	size_t i = 2;
	unsigned level = 1, prev_t = 0;
	bool need_tck = false;
	uint8_t y;

	if (len < 2 || (atr[0] != 0x3B && atr[0] != 0x3F)) {
		ccid_params_default(p);
		return CCID_ATR_BAD_TS;
	}
	f.inverse = atr[0] == 0x3F;
	y = atr[1] >> 4;
	for (;;) {
		int ta = -1, tb = -1, tc = -1;

		if ((y & 1) && i < len)
			ta = atr[i++];
		else if (y & 1)
			goto truncated;
		if ((y & 2) && i < len)
			tb = atr[i++];
		else if (y & 2)
			goto truncated;
		if ((y & 4) && i < len)
			tc = atr[i++];
		else if (y & 4)
			goto truncated;
		if (level == 1) {
			f.ta1 = ta;
			f.tc1 = tc;
		} else if (level == 2 && prev_t == 0) {
			f.tc2 = tc;
		} else if (level >= 3 && prev_t == 1 && f.t1_ta < 0 &&
			   f.t1_tb < 0 && f.t1_tc < 0) {
			f.t1_ta = ta;
			f.t1_tb = tb;
			f.t1_tc = tc;
		}
		if (!(y & 8))
			break;
		if (i >= len)
			goto truncated;
		prev_t = atr[i] & 0x0F;
		y = atr[i] >> 4;
		i++;
		if (prev_t != 0)
			need_tck = true;
		if (prev_t <= 1) {
			f.offered |= prev_t ? CCID_OFFER_T1 : CCID_OFFER_T0;
			if (f.first_protocol < 0)
				f.first_protocol = (int)prev_t;
		}
		level++;
	}
	/* K historical bytes, then TCK if any T != 0 was indicated. */
	if (i + (atr[1] & 0x0F) + (need_tck ? 1u : 0u) > len)
		goto truncated;
	if (need_tck) {
		uint8_t x = 0;

		for (size_t k = 1; k < len; k++)
			x ^= atr[k];
		if (x != 0)
			res = CCID_ATR_BAD_TCK;
	}
	fill(p, &f);
	return res;
truncated:
	fill(p, &f);
	return CCID_ATR_TRUNCATED;
}

const uint8_t *ccid_params_data(const struct ccid_params *p, size_t *len)
{
	if (p->protocol == 1) {
		*len = CCID_T1_PARAMS_LEN;
		return p->t1;
	}
	*len = CCID_T0_PARAMS_LEN;
	return p->t0;
}

/* ISO/IEC 7816-3:2006 Table 7 (Fi) and Table 8 (Di); 0 marks RFU. */
static const uint16_t fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0,
	0, 512, 768, 1024, 1536, 2048, 0, 0,
};
static const uint8_t di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0,
};

unsigned ccid_fi(uint8_t index)
{
	return fi_table[index & 0x0F];
}

unsigned ccid_di(uint8_t index)
{
	return di_table[index & 0x0F];
}

uint64_t ccid_params_wait_us(const struct ccid_params *p, uint32_t clock_khz)
{
	const uint8_t *d = p->protocol == 1 ? p->t1 : p->t0;
	uint64_t fi = ccid_fi(d[0] >> 4), di = ccid_di(d[0]);
	uint64_t khz = clock_khz ? clock_khz : 1;

	if (!fi)
		fi = 372;
	if (!di)
		di = 1;
	/* f = khz * 1000 Hz, so x / f seconds = x * 1000 / khz us */
	if (p->protocol != 1)
		return 960u * (uint64_t)d[3] * fi * 1000u / khz;
	return 11u * fi * 1000u / (di * khz) +
	       ((uint64_t)1 << (d[3] >> 4)) * 960u * 372u * 1000u / khz;
}

/* bmFindexDindex: ISO/IEC 7816-3:2006 9.2 lets the interface device use
 * F from Fd (372) up to the card's Fi and D from Dd (1) up to its Di (TA1),
 * so a host may send the default 11 (no PPS: Windows' usbccid does when
 * the card's rate is not in the reader's list), TA1 itself, or a pair in
 * between; and not faster than the reader's dwMaxDataRate at its clock. */
static bool fidi_allowed(const struct ccid_params *p, uint8_t v,
			 const struct ccid_reader_config *cfg)
{
	unsigned f = ccid_fi(v >> 4), d = ccid_di(v);

	if (!f || !d)
		return false;   /* RFU */
	if (f > ccid_fi(p->card_fidi >> 4) || d > ccid_di(p->card_fidi))
		return false;   /* past what the card's TA1 offers */
	if (cfg && (uint64_t)cfg->default_clock_khz * 1000u * d / f >
		   cfg->max_data_rate)
		return false;   /* faster than the reader */
	return true;
}

/* Accepted, field by field (Tables 6.1-5 and 6.1-6), for the card's ATR:
 *   bProtocolNum     0 or 1, and offered by the ATR
 *   bmFindexDindex   see fidi_allowed()
 *   bmTCCKST0        00 or 02: the convention bit, which "the CCID
 *                    ignores" (Table 6.1-5), so either
 *   bmTCCKST1        10 | convention (02) | EDC (01), the EDC the card's
 *                    TC3 names (LRC unless TC3 says CRC)
 *   bGuardTime       any (TC1: 0..254 extra etu, 255 minimum)
 *   WI (T=0)         1..255 (0 is reserved, ISO 7816-3 10.2)
 *   BWI/CWI (T=1)    BWI 0..9 (10..15 reserved, 11.4.3), CWI any
 *   bClockStop       0..3 (the reader never stops the clock, so any is
 *                    kept, as the host asked)
 *   bIFSC            1..254 (11.4.2)
 *   bNadValue        0: dwFeatures does not offer other NADs (0x200) */
uint8_t ccid_params_set(struct ccid_params *p, const uint8_t *msg, size_t len,
			const struct ccid_reader_config *cfg)
{
	uint8_t proto = msg[CCID_OFF_PROTOCOL_NUM];
	const uint8_t *d = msg + CCID_OFF_DATA;
	size_t dlen = len - CCID_HEADER_LEN;

	if (proto > 1)
		return CCID_OFF_PROTOCOL_NUM;
	if (dlen != (proto ? CCID_T1_PARAMS_LEN : CCID_T0_PARAMS_LEN))
		return CCID_ERR_BAD_LENGTH;
	/* Table 6.2-2: 7, "protocol invalid or not supported" */
	if (!(p->offered & (proto ? CCID_OFFER_T1 : CCID_OFFER_T0)))
		return CCID_OFF_PROTOCOL_NUM;
	if (!fidi_allowed(p, d[0], cfg))
		return CCID_OFF_FINDEX_DINDEX;
	if (proto == 0) {
		if (d[1] != 0x00 && d[1] != 0x02)
			return CCID_OFF_TCCKS;
		if (d[3] == 0)
			return CCID_OFF_WAITING;
	} else {
		if ((d[1] & ~0x02) != (0x10 | p->card_crc))
			return CCID_OFF_TCCKS;
		if ((d[3] >> 4) > 9)
			return CCID_OFF_WAITING;
	}
	if (d[4] > 3)
		return CCID_OFF_CLOCK_STOP;
	if (proto == 1 && (d[5] == 0 || d[5] == 0xFF))
		return CCID_OFF_IFSC;
	if (proto == 1 && d[6] != 0)
		return CCID_OFF_NAD;
	p->protocol = proto;
	if (proto)
		memcpy(p->t1, d, CCID_T1_PARAMS_LEN);
	else
		memcpy(p->t0, d, CCID_T0_PARAMS_LEN);
	return 0;
}
