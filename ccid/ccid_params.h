/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Protocol parameters (Section 6.1.7, Tables 6.1-5 and 6.1-6): the
 * abProtocolDataStructure for T=0 (5 bytes) and T=1 (7 bytes), their
 * defaults derived from the ATR (ISO/IEC 7816-3 clause 8) and the
 * validation of PC_to_RDR_SetParameters. */
#ifndef CCID_PARAMS_H
#define CCID_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCID_T0_PARAMS_LEN 5
#define CCID_T1_PARAMS_LEN 7

/* Offsets inside a PC_to_RDR_SetParameters / RDR_to_PC_Parameters message
 * (abProtocolDataStructure starts at byte 10). Used as bError values. */
#define CCID_OFF_FINDEX_DINDEX 10  /* bmFindexDindex */
#define CCID_OFF_TCCKS         11  /* bmTCCKST0 / bmTCCKST1 */
#define CCID_OFF_GUARD_TIME    12  /* bGuardTimeT0 / bGuardTimeT1 */
#define CCID_OFF_WAITING       13  /* bWaitingIntegerT0 / bmWaitingIntegersT1 */
#define CCID_OFF_CLOCK_STOP    14  /* bClockStop */
#define CCID_OFF_IFSC          15  /* bIFSC (T=1) */
#define CCID_OFF_NAD           16  /* bNadValue (T=1) */

#define CCID_OFFER_T0 0x01
#define CCID_OFFER_T1 0x02

struct ccid_params {
	uint8_t protocol;                /* bProtocolNum: 0 = T=0, 1 = T=1 */
	uint8_t t0[CCID_T0_PARAMS_LEN];
	uint8_t t1[CCID_T1_PARAMS_LEN];
	/* what the card can do, from the ATR (kept across SetParameters) */
	uint8_t offered;                 /* CCID_OFFER_* */
	uint8_t card_fidi;               /* TA1, its fastest Fi/Di (0x11 if absent) */
	uint8_t card_crc;                /* 1: TC3 says CRC for T=1, 0: LRC */
};

struct ccid_reader_config;

/* What the ATR says. */
enum ccid_atr_check {
	CCID_ATR_OK = 0,
	CCID_ATR_BAD_TS,         /* TS neither 0x3B nor 0x3F */
	CCID_ATR_TRUNCATED,      /* interface bytes run past the end */
	CCID_ATR_BAD_TCK,        /* TCK present but the XOR is not 0 */
};

/* Defaults when no ATR is known: T=0, Fi/Di 0x11, both protocols. */
void ccid_params_default(struct ccid_params *p);

/* Derive defaults from an ATR. Always fills *p (falling back to the
 * defaults for what is missing) and says what was wrong, if anything. */
enum ccid_atr_check ccid_params_from_atr(struct ccid_params *p,
					 const uint8_t *atr, size_t len);

/* The current abProtocolDataStructure and its length (5 or 7). */
const uint8_t *ccid_params_data(const struct ccid_params *p, size_t *len);

/* ISO/IEC 7816-3:2006 Table 7 (Fi) and Table 8 (Di) for a 4-bit index;
 * 0 for an RFU index. */
unsigned ccid_fi(uint8_t index);
unsigned ccid_di(uint8_t index);

/* The waiting time the parameters give the host, in microseconds, with
 * the card clocked at clock_khz (dwDefaultClock, the clock the host
 * assumes): for T=0 the WWT, 960 x WI x Fi / f (ISO/IEC 7816-3:2006
 * 10.2); for T=1 the BWT, 11 etu + 2^BWI x 960 x 372 / f (11.4.3), with
 * etu = Fi / (Di x f). CCID Section 6.2.6 counts a time extension's bError
 * in these units. An RFU Fi or Di index counts as the default (372, 1). */
uint64_t ccid_params_wait_us(const struct ccid_params *p, uint32_t clock_khz);

/* Validate a SetParameters message (whole message, header included)
 * against what the card can do (its ATR, in *p) and what the reader can
 * do (cfg: its clock and top data rate; NULL for no reader limit) and, if
 * valid, store it in *p. Returns 0, or the bError for the response: the
 * offset of the bad field (Section 6.1.7, Table 6.2-2: 1 dwLength, 7
 * bProtocolNum, 10 bmFindexDindex, 11 bmTCCKS, 13 waiting integers, 14
 * bClockStop, 15 bIFSC, 16 bNadValue). What is accepted is in
 * ccid_params.c. */
uint8_t ccid_params_set(struct ccid_params *p, const uint8_t *msg, size_t len,
			const struct ccid_reader_config *cfg);

#endif
