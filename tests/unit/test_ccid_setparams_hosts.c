/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SetParameters as hosts send it (Section 6.1.7, Tables 6.1-5 / 6.1-6;
 * answers Section 6.2.3, bError = offset of the bad field, Table 6.2-2),
 * for a corpus of real ATRs: T=0 and T=1, with and without TA1.
 *
 * The blocks a host may send for an ATR are written out per card below,
 * derived by hand from the ATR with ISO/IEC 7816-3 defaults for absent
 * bytes (Fi/Di 11, WI 10, BWI 4 CWI 13, IFSC 32, LRC): what libccid sends
 * (TA1 after its PPS) and what Windows sends. Windows' smart card library
 * "converts the ATR string into the values defined by ISO 7816-3"
 * (SmartcardUpdateCardCapabilities, smclib.h, learn.microsoft.com
 * windows-hardware/drivers/ddi/smclib) and usbccid.sys sends them after
 * power-on; when it did no PPS it keeps bmFindexDindex 11 (a usbccid.sys
 * trace: "Set parameters (11, 00, 02, 0f, 00)" for an ATR with TA1 13,
 * TC1 02, TC2 0F, community.osr.com "problems comunicating with windows
 * ccid driver"). So for each card and each protocol its ATR offers, these
 * are accepted and GetParameters then answers them:
 *   - the block with TA1 (after PPS) and with 11 (no PPS);
 *   - the T=0 block with the other convention bit (Table 6.1-5: "the CCID
 *     ignores this bit");
 * and refused, with the unchanged parameters and bError:
 *   - 7 for Windows' default block of a protocol the ATR does not offer;
 *   - 10 for bmFindexDindex past TA1 (a Di one step faster);
 *   - 11 for T=1 with the EDC the card's TC3 does not name;
 *   - 13 for T=0 WI 0 (reserved);
 *   - 16 for a NAD other than 0 (dwFeatures has no 0x200).
 * ATRs: the test card (vcard-glue/test), libcacard's as this project's
 * emulated card shows it (tests/vm/p11.sh), and from pcsc-tools'
 * smartcard_list.txt (Debian package pcsc-tools): DoD CAC, Yubico YubiKey 4
 * and 5 NFC, Gemalto IDPrime MD 840 and 930 (T=0), an IDPrime-based card
 * on T=1, the German eID (T=0 and T=1, no interface bytes but TD), and the
 * card of the usbccid.sys trace above (inverse convention, TC2). */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "ccid_params.h"
#include "tap.h"

struct host_case {
	const char *name;
	const char *atr;        /* hex */
	const char *t0;         /* the T=0 block with TA1, or NULL: not offered */
	const char *t1;         /* the T=1 block with TA1, or NULL */
};

static const struct host_case cases[] = {
	{ "test card (TA1 11, T=0 + T=1, TB3 45, TA3 FE)",
	  "3B9A118031FE456363696467616467657498",
	  "1100000A00", "11100045 00FE00" },
	{ "libcacard emulated card (TA1 18, T=0)",
	  "3B7A18000073667465206364313434",
	  "1800000A00", NULL },
	{ "DoD CAC (no TA1, T=0)",
	  "3B6500009C02020702",
	  "1100000A00", NULL },
	{ "YubiKey 5 NFC (TA1 13, T=1, TB3 15)",
	  "3BFD1300008131FE158073C021C057597562694B657940",
	  NULL, "13100015 00FE00" },
	{ "YubiKey 4 (TA1 13, T=1)",
	  "3BF81300008131FE15597562696B657934D4",
	  NULL, "13100015 00FE00" },
	{ "Gemalto IDPrime MD 840 (TA1 96, T=0)",
	  "3B7F96000080318065B0850300EF120FFE829000",
	  "9600000A00", NULL },
	{ "Gemalto IDPrime 930 (TA1 96, T=0)",
	  "3B7F96000080318065B0846160FB120FFD829000",
	  "9600000A00", NULL },
	{ "IDPrime-based card on T=1 (TA1 96, TA3 80, TB3 43)",
	  "3BFF9600008131804380318065B0850300EF120FFF82900067",
	  NULL, "96100043 008000" },
	{ "German eID (no TA1, T=0 + T=1 by TD only)",
	  "3B888001000000000000000009",
	  "1100000A00", "1110004D 002000" },
	{ "usbccid.sys trace card (inverse, TA1 13, TC1 02, TC2 0F)",
	  "3FFC13250250000F33B008FFFF4A50900000494F",
	  "1302020F00", NULL },
};

/* Windows' defaults (ISO values for an ATR without interface bytes). */
static const char win_t0[] = "1100000A00";
static const char win_t1[] = "1110004D002000";

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s && n < cap) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (!s[1])
			break;
		out[n++] = (uint8_t)strtoul((char[]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
	}
	return n;
}

static struct ccid_fake_card card;
static uint8_t got[64];
static uint8_t seq;

/* SetParameters; expect bError `err` (0: accepted). On success the answer
 * and a GetParameters carry the block; on refusal, `keep` (the block in
 * force before). */
static void set_expect(struct ccid_engine *eng, uint8_t proto,
		       const uint8_t *blk, size_t n, uint8_t err,
		       const uint8_t *keep, size_t keep_n, uint8_t keep_proto,
		       const char *what)
{
	int before = tap_failed_now;
	size_t m;

	tap_failed_now = 0;
	ccid_fake_send(eng, CCID_PC_SET_PARAMETERS, 0, ++seq, proto, 0, 0,
		       blk, n);
	m = ccid_fake_pop(eng, got, sizeof(got));
	CHECK_EQ(got[0], CCID_RDR_PARAMETERS);
	CHECK_EQ(got[6], seq);
	CHECK_EQ(got[8], err);
	CHECK_EQ(got[7], err ? 0x40 : 0x00);
	if (err) {
		CHECK_EQ(got[9], keep_proto);
		CHECK_EQ(m, 10 + keep_n);
		CHECK_MEM(got + 10, keep, keep_n);
	} else {
		CHECK_EQ(got[9], proto);
		CHECK_EQ(m, 10 + n);
		CHECK_MEM(got + 10, blk, n);
		ccid_fake_send(eng, CCID_PC_GET_PARAMETERS, 0, ++seq, 0, 0, 0,
			       NULL, 0);
		m = ccid_fake_pop(eng, got, sizeof(got));
		CHECK_EQ(got[7], 0x00);
		CHECK_EQ(got[9], proto);
		CHECK_EQ(m, 10 + n);
		CHECK_MEM(got + 10, blk, n);
	}
	if (tap_failed_now)
		fprintf(stderr, "  ^ %s\n", what);
	tap_failed_now |= before;
}

static void check_card(const void *arg)
{
	const struct host_case *c = arg;
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	uint8_t blk[2][8], v[8], cur[8];
	size_t n[2] = { 0, 0 }, curn;
	uint8_t curp;
	const char *mine[2] = { c->t0, c->t1 };
	const char *win[2] = { win_t0, win_t1 };

	CHECK(eng != NULL);
	if (!eng)
		return;
	ccid_fake_card_init(&card, eng, 0);
	card.atr_len = unhex(c->atr, card.atr, sizeof(card.atr));
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	ccid_fake_power_on(eng, 0);
	/* the parameters in force from the ATR */
	ccid_fake_send(eng, CCID_PC_GET_PARAMETERS, 0, ++seq, 0, 0, 0, NULL, 0);
	curn = ccid_fake_pop(eng, got, sizeof(got)) - 10;
	CHECK_EQ(got[7], 0x00);
	curp = got[9];
	memcpy(cur, got + 10, curn);
	for (uint8_t p = 0; p < 2; p++) {
		if (!mine[p]) {
			/* Windows' default block for a protocol not offered */
			n[p] = unhex(win[p], blk[p], 8);
			set_expect(eng, p, blk[p], n[p], 7, cur, curn, curp,
				   "protocol the ATR does not offer");
			continue;
		}
		n[p] = unhex(mine[p], blk[p], 8);
		/* with TA1 (after PPS) */
		set_expect(eng, p, blk[p], n[p], 0, NULL, 0, 0, "with TA1");
		/* without PPS: Fi/Di 11 */
		memcpy(v, blk[p], n[p]);
		v[0] = 0x11;
		set_expect(eng, p, v, n[p], 0, NULL, 0, 0, "Fi/Di 11");
		if (p == 0) {
			v[1] ^= 0x02;   /* the convention bit, ignored */
			set_expect(eng, p, v, n[p], 0, NULL, 0, 0,
				   "other convention bit");
		}
		memcpy(cur, v, n[p]);
		curn = n[p];
		curp = p;
		/* one Di step past TA1 (Di index + 1; 9 -> 8 would be 12
		 * < 20, so go up within 1..7 only) */
		memcpy(v, blk[p], n[p]);
		if ((v[0] & 0x0F) < 7) {
			v[0]++;
			set_expect(eng, p, v, n[p], 10, cur, curn, curp,
				   "Di past TA1");
		}
		memcpy(v, blk[p], n[p]);
		if (p == 0) {
			v[3] = 0;
			set_expect(eng, p, v, n[p], 13, cur, curn, curp, "WI 0");
		} else {
			v[1] ^= 0x01;   /* the other EDC */
			set_expect(eng, p, v, n[p], 11, cur, curn, curp,
				   "other EDC");
			memcpy(v, blk[p], n[p]);
			v[6] = 0x01;
			set_expect(eng, p, v, n[p], 16, cur, curn, curp, "NAD 1");
		}
	}
	/* Windows' default block for each protocol offered: accepted
	 * whatever the card's own TC2 / TB3 / TA3 (the host's choice) */
	for (uint8_t p = 0; p < 2; p++)
		if (mine[p]) {
			n[p] = unhex(win[p], blk[p], 8);
			set_expect(eng, p, blk[p], n[p], 0, NULL, 0, 0,
				   "Windows' defaults");
		}
	ccid_engine_free(eng);
}

/* The checker can fail: a block the card cannot do is not accepted. */
static void test_checker_fails(void)
{
	struct ccid_params p;
	uint8_t msg[17];
	static const uint8_t atr[] = { 0x3B, 0x00 };   /* T=0 only, no TA1 */
	size_t n;

	ccid_params_from_atr(&p, atr, sizeof(atr));
	n = ccid_fake_msg(msg, CCID_PC_SET_PARAMETERS, 0, 0, 0, 0, 0,
			  (const uint8_t *)"\x96\x00\x00\x0A\x00", 5);
	CHECK(ccid_params_set(&p, msg, n, NULL) != 0);
	n = ccid_fake_msg(msg, CCID_PC_SET_PARAMETERS, 0, 0, 1, 0, 0,
			  (const uint8_t *)"\x11\x10\x00\x4D\x00\x20\x00", 7);
	CHECK(ccid_params_set(&p, msg, n, NULL) != 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_run_case(cases[i].name, check_card, &cases[i]);
	RUN(test_checker_fails);
	TAP_EXIT();
}
