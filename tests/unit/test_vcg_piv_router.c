/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The personality router (vcard-glue/emulated/vcg_piv_router.c): which
 * APDUs PIV answers, which the router answers itself (GET CHALLENGE,
 * Windows' Plug and Play and GIDS probes, GET DATA 7F68) and which go to
 * libcacard (answer 0), per personality and per logical channel; and
 * that libcacard's successful SELECT takes the channel back. */
#include <string.h>

#include "ccid_params.h"
#include "tap.h"
#include "vcg_piv_atr.h"
#include "vcg_piv_router.h"

static uint8_t out[VCG_PIV_OUT_MAX];

static int fake_random(void *ctx, uint8_t *o, size_t n)
{
	(void)ctx;
	memset(o, 0x5A, n);
	return 0;
}

static int fake_check(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static struct vcg_piv_router *make(enum vcg_piv_personality p)
{
	static const uint8_t alg[VCG_PIV_NKEYS] = { VCG_PIV_ALG_RSA2048 };
	static const uint8_t guid[16];
	const uint8_t *der[VCG_PIV_NKEYS] = { NULL };
	size_t len[VCG_PIV_NKEYS] = { 0 };
	struct vcg_piv_ops ops = { .check_pin = fake_check,
				   .random = fake_random };
	struct vcg_piv_state st;
	struct vcg_piv_applet *a = NULL;

	vcg_piv_state_defaults(&st);
	if (p != VCG_PIV_CAC)
		a = vcg_piv_applet_new(&ops, alg,
				       vcg_piv_objects_new(guid, der, len), &st);
	return vcg_piv_router_new(p, a, fake_random, NULL);
}

/* The answer's SW, or 0 when the APDU goes to libcacard. */
static int route(struct vcg_piv_router *r, const uint8_t *apdu, size_t len)
{
	size_t n = vcg_piv_router_answer(r, apdu, len, out, sizeof(out));

	return n == 0 ? 0 : out[n - 2] << 8 | out[n - 1];
}

#define ROUTE(r, ...) route(r, (const uint8_t[]){ __VA_ARGS__ }, \
			    sizeof((const uint8_t[]){ __VA_ARGS__ }))

static const uint8_t select_piv[] = { 0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00,
				      0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00 };
static const uint8_t select_cac[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00,
				      0x00, 0x00, 0x79, 0x01, 0x00 };
static const uint8_t get_chuid[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03,
				     0x5F, 0xC1, 0x02, 0x00 };
static const uint8_t ok[] = { 0x90, 0x00 };
static const uint8_t not_found[] = { 0x6A, 0x82 };

static void cac_piv(void)
{
	struct vcg_piv_router *r = make(VCG_PIV_CAC_PIV);

	/* Nothing selected: CAC's commands and GET DATA go to libcacard. */
	CHECK_EQ(route(r, get_chuid, sizeof(get_chuid)), 0);
	CHECK_EQ(route(r, select_cac, sizeof(select_cac)), 0);
	CHECK_EQ(ROUTE(r, 0x80, 0x52, 0x00, 0x00, 0x02, 0x01, 0x02), 0);
	/* SELECT PIV: PIV answers and keeps the channel. */
	CHECK_EQ(route(r, select_piv, sizeof(select_piv)), 0x9000);
	CHECK_EQ(route(r, get_chuid, sizeof(get_chuid)), 0x9000);
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	/* Channel 1 is not PIV's. */
	CHECK_EQ(ROUTE(r, 0x01, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1,
		       0x02, 0x00), 0);
	/* A SELECT libcacard refuses leaves PIV selected ... */
	CHECK_EQ(route(r, select_cac, sizeof(select_cac)), 0);
	vcg_piv_router_observe(r, select_cac, sizeof(select_cac), not_found, 2);
	CHECK_EQ(route(r, get_chuid, sizeof(get_chuid)), 0x9000);
	/* ... one it accepts takes the channel back. */
	vcg_piv_router_observe(r, select_cac, sizeof(select_cac), ok, 2);
	CHECK_EQ(route(r, get_chuid, sizeof(get_chuid)), 0);
	/* A reset forgets PIV. */
	CHECK_EQ(route(r, select_piv, sizeof(select_piv)), 0x9000);
	vcg_piv_router_reset(r);
	CHECK_EQ(route(r, get_chuid, sizeof(get_chuid)), 0);
	/* PIV on a further channel (CLA 0x40 | 1 = channel 5). */
	CHECK_EQ(ROUTE(r, 0x41, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03,
		       0x08), 0x9000);
	CHECK_EQ(ROUTE(r, 0x41, 0x20, 0x00, 0x80), 0x63C3);
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x80), 0);
	vcg_piv_router_free(r);
}

static void windows_probes(void)
{
	struct vcg_piv_router *r = make(VCG_PIV_CAC_PIV);
	struct vcg_piv_router *c = make(VCG_PIV_CAC);

	/* SC PNP AID, MS GIDS AID (with and without its version bytes),
	 * GET DATA 7F68 (Microsoft, Discovery Process). */
	CHECK_EQ(ROUTE(r, 0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0, 0x00, 0x00, 0x03,
		       0x97, 0x43, 0x49, 0x44, 0x5F, 0x01, 0x00, 0x00), 0x6A82);
	CHECK_EQ(ROUTE(r, 0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03,
		       0x97, 0x42, 0x54, 0x46, 0x59), 0x6A82);
	CHECK_EQ(ROUTE(r, 0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0, 0x00, 0x00, 0x03,
		       0x97, 0x42, 0x54, 0x46, 0x59, 0x02, 0x01), 0x6A82);
	CHECK_EQ(ROUTE(r, 0x00, 0xCA, 0x7F, 0x68, 0x00), 0x6A88);
	/* Then the PIV AID works. */
	CHECK_EQ(route(r, select_piv, sizeof(select_piv)), 0x9000);
	/* personality=cac leaves all of these to libcacard. */
	CHECK_EQ(ROUTE(c, 0x00, 0xCA, 0x7F, 0x68, 0x00), 0);
	CHECK_EQ(route(c, select_piv, sizeof(select_piv)), 0);
	CHECK_EQ(ROUTE(c, 0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03,
		       0x97, 0x42, 0x54, 0x46, 0x59), 0);
	vcg_piv_router_free(r);
	vcg_piv_router_free(c);
}

static void get_challenge_everywhere(void)
{
	struct vcg_piv_router *c = make(VCG_PIV_CAC);
	struct vcg_piv_router *r = make(VCG_PIV_CAC_PIV);

	CHECK_EQ(ROUTE(c, 0x00, 0x84, 0x00, 0x00, 0x08), 0x9000);
	CHECK_EQ(out[0], 0x5A);
	CHECK_EQ(ROUTE(c, 0x00, 0x84, 0x00, 0x00), 0x6700);
	CHECK_EQ(ROUTE(c, 0x00, 0x84, 0x00, 0x01, 0x08), 0x6A86);
	CHECK_EQ(ROUTE(r, 0x00, 0x84, 0x00, 0x00, 0x10), 0x9000);
	/* CAC's own class goes to libcacard untouched. */
	CHECK_EQ(ROUTE(c, 0x80, 0x84, 0x00, 0x00, 0x08), 0);
	/* Malformed APDUs are libcacard's to refuse on CAC. */
	CHECK_EQ(ROUTE(c, 0x00, 0x84), 0);
	vcg_piv_router_free(c);
	vcg_piv_router_free(r);
}

static void piv_only(void)
{
	struct vcg_piv_router *r = make(VCG_PIV_PIV);

	/* Everything is PIV's: CAC's SELECT is 6A82, a broken APDU 6700. */
	CHECK_EQ(route(r, select_cac, sizeof(select_cac)), 0x6A82);
	CHECK_EQ(ROUTE(r, 0x80, 0x52, 0x00, 0x00, 0x02, 0x01, 0x02), 0x6E00);
	CHECK_EQ(ROUTE(r, 0x00, 0xA4), 0x6700);
	CHECK_EQ(route(r, get_chuid, sizeof(get_chuid)), 0x9000);
	CHECK_EQ(route(r, select_piv, sizeof(select_piv)), 0x9000);
	vcg_piv_router_free(r);
	/* A NULL router passes everything. */
	CHECK_EQ(vcg_piv_router_answer(NULL, select_piv, sizeof(select_piv),
				       out, sizeof(out)), 0);
}

/* ---- CAC's VERIFY against PIV's PIN counter (a password db) ---- */

static int checks;                       /* NSS password checks asked */
static struct vcg_piv_state saved;       /* the last state "written" */
static int saves;

/* The db password is "1234". */
static int fake_db_check(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	checks++;
	return n == 4 && memcmp(p, "1234", 4) == 0;
}

static void fake_save(void *ctx, const struct vcg_piv_state *st)
{
	(void)ctx;
	saved = *st;
	saves++;
}

/* A router on a password db (or not), from state st. */
static struct vcg_piv_router *make_db(enum vcg_piv_personality p,
				      bool password,
				      const struct vcg_piv_state *st)
{
	static const uint8_t alg[VCG_PIV_NKEYS] = { VCG_PIV_ALG_RSA2048 };
	static const uint8_t guid[16];
	const uint8_t *der[VCG_PIV_NKEYS] = { NULL };
	size_t len[VCG_PIV_NKEYS] = { 0 };
	struct vcg_piv_ops ops = { .check_pin = fake_db_check,
				   .random = fake_random,
				   .state_changed = fake_save,
				   .pin_is_db_password = password };

	return vcg_piv_router_new(p, vcg_piv_applet_new(&ops, alg,
					vcg_piv_objects_new(guid, der, len), st),
				  fake_random, NULL);
}

/* CAC's VERIFY (00 20 00 00 08), the PIN padded with FF as OpenSC's CAC
 * driver sends it. */
static int cac_verify(struct vcg_piv_router *r, const char *pin)
{
	uint8_t v[13] = { 0x00, 0x20, 0x00, 0x00, 0x08 };

	memset(v + 5, 0xFF, 8);
	memcpy(v + 5, pin, strlen(pin));
	return route(r, v, sizeof(v));
}

static void cac_verify_counted(void)
{
	enum vcg_piv_personality ps[] = { VCG_PIV_CAC, VCG_PIV_CAC_PIV };

	for (size_t i = 0; i < 2; i++) {
		struct vcg_piv_state st;
		struct vcg_piv_router *r;

		vcg_piv_state_defaults(&st);
		r = make_db(ps[i], true, &st);
		checks = saves = 0;
		/* Right: on to libcacard (0), nothing written. */
		CHECK_EQ(cac_verify(r, "1234"), 0);
		CHECK_EQ(checks, 1);
		CHECK_EQ(saves, 0);
		/* Wrong: the router answers, the count goes down and is
		 * written each time. */
		CHECK_EQ(cac_verify(r, "0000"), 0x63C2);
		CHECK_EQ(saves, 1);
		CHECK_EQ(saved.pin_tries, 2);
		CHECK_EQ(cac_verify(r, "12345"), 0x63C1);
		/* A right PIN sets the counter back to full. */
		CHECK_EQ(cac_verify(r, "1234"), 0);
		CHECK_EQ(saved.pin_tries, VCG_PIV_TRIES);
		CHECK_EQ(cac_verify(r, "1"), 0x63C2);
		CHECK_EQ(cac_verify(r, "2"), 0x63C1);
		CHECK_EQ(cac_verify(r, "3"), 0x63C0);
		CHECK_EQ(saved.pin_tries, 0);
		/* Blocked: even the right PIN, and NSS is not asked. */
		checks = 0;
		CHECK_EQ(cac_verify(r, "1234"), 0x6983);
		CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x00), 0x6983);
		CHECK_EQ(ROUTE(r, 0x80, 0x20, 0x00, 0x00, 0x04, '1', '2', '3',
			       '4'), 0x6983);
		CHECK_EQ(checks, 0);
		/* PIV's VERIFY shares the counter (cac+piv). */
		if (ps[i] == VCG_PIV_CAC_PIV) {
			static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00,
						       0x05, 0xA0, 0x00, 0x00,
						       0x03, 0x08 };

			CHECK_EQ(route(r, sel, sizeof(sel)), 0x9000);
			CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x80), 0x6983);
			/* RESET RETRY COUNTER with the PUK unblocks both
			 * (the new PIN must be the db password). */
			CHECK_EQ(ROUTE(r, 0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2',
				       '3', '4', '5', '6', '7', '8', '1', '2',
				       '3', '4', 0xFF, 0xFF, 0xFF, 0xFF), 0x9000);
			CHECK_EQ(saved.pin_tries, VCG_PIV_TRIES);
			vcg_piv_router_observe(r, select_cac, sizeof(select_cac),
					       ok, 2);
			CHECK_EQ(cac_verify(r, "1234"), 0);
		}
		vcg_piv_router_free(r);
	}
}

/* The counter is the state file's: a blocked PIN stays blocked in a new
 * card (a daemon restart) made from the saved state. */
static void cac_verify_survives_restart(void)
{
	struct vcg_piv_state st;
	struct vcg_piv_router *r;

	vcg_piv_state_defaults(&st);
	r = make_db(VCG_PIV_CAC, true, &st);
	CHECK_EQ(cac_verify(r, "0000"), 0x63C2);
	vcg_piv_router_free(r);
	r = make_db(VCG_PIV_CAC, true, &saved);
	CHECK_EQ(cac_verify(r, "0000"), 0x63C1);
	CHECK_EQ(cac_verify(r, "0000"), 0x63C0);
	vcg_piv_router_free(r);
	r = make_db(VCG_PIV_CAC, true, &saved);
	checks = 0;
	CHECK_EQ(cac_verify(r, "1234"), 0x6983);
	CHECK_EQ(checks, 0);
	vcg_piv_router_free(r);
}

/* What libcacard would read as the PIN: the FF padding and anything
 * after a NUL dropped; a long db password (CAC's VERIFY carries up to
 * 255 bytes) is checked whole. A VERIFY our parser refuses is refused,
 * not passed on. */
static void cac_verify_pin_forms(void)
{
	struct vcg_piv_state st;
	struct vcg_piv_router *r;

	vcg_piv_state_defaults(&st);
	r = make_db(VCG_PIV_CAC, true, &st);
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x00, 0x04, '1', '2', '3', '4'), 0);
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x00, 0x06, '1', '2', '3', '4',
		       0x00, 'x'), 0);
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x00, 0x0A, '1', '2', '3', '4',
		       '1', '2', '3', '4', '1', '2'), 0x63C2);
	/* Lc says 8, 4 bytes follow. */
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x00, 0x08, '1', '2', '3', '4'),
		 0x6700);
	/* Other P1 P2: libcacard refuses them without NSS. */
	CHECK_EQ(ROUTE(r, 0x00, 0x20, 0x00, 0x01, 0x04, '0', '0', '0', '0'), 0);
	vcg_piv_router_free(r);
}

/* A db without a password: libcacard accepts any PIN (NSS needs no
 * login), so nothing is counted and nothing blocks, however many
 * "wrong" PINs (test_vcg_piv_card's cac rows rely on it). */
static void cac_verify_no_password(void)
{
	struct vcg_piv_state st;
	struct vcg_piv_router *r;

	vcg_piv_state_defaults(&st);
	r = make_db(VCG_PIV_CAC, false, &st);
	checks = saves = 0;
	for (int i = 0; i < 2 * VCG_PIV_TRIES; i++)
		CHECK_EQ(cac_verify(r, "0000"), 0);
	CHECK_EQ(checks, 0);
	CHECK_EQ(saves, 0);
	vcg_piv_router_free(r);
	/* A CAC card whose router has no applet passes VERIFY on. */
	r = vcg_piv_router_new(VCG_PIV_CAC, NULL, fake_random, NULL);
	CHECK_EQ(cac_verify(r, "0000"), 0);
	vcg_piv_router_free(r);
}

static void personality_names(void)
{
	enum vcg_piv_personality p;

	CHECK_EQ(vcg_piv_personality_parse("cac+piv", &p), 0);
	CHECK_EQ(p, VCG_PIV_CAC_PIV);
	CHECK_EQ(vcg_piv_personality_parse("cac", &p), 0);
	CHECK_EQ(p, VCG_PIV_CAC);
	CHECK_EQ(vcg_piv_personality_parse("piv", &p), 0);
	CHECK_EQ(p, VCG_PIV_PIV);
	CHECK_EQ(vcg_piv_personality_parse("PIV", &p), -1);
	CHECK_EQ(vcg_piv_personality_parse("", &p), -1);
}

/* libcacard's ATR plus T=1 (vcg_piv_atr.h): the engine's own ATR
 * parser sees both protocols and a right TCK. */
static void atr_with_t1(void)
{
	static const uint8_t cacard[] = { 0x3B, 0x7A, 0x18, 0x00, 0x00, 0x73,
					  0x66, 0x74, 0x65, 0x20, 0x63, 0x64,
					  0x31, 0x34, 0x34 };
	static const uint8_t want[] = { 0x3B, 0xFA, 0x18, 0x00, 0x00, 0x80,
					0x01, 0x73, 0x66, 0x74, 0x65, 0x20,
					0x63, 0x64, 0x31, 0x34, 0x34, 0x71 };
	static const uint8_t has_td1[] = { 0x3B, 0x80, 0x01, 0x81 };
	uint8_t o[40];
	struct ccid_params p;

	CHECK_EQ(vcg_piv_atr_add_t1(cacard, sizeof(cacard), o, sizeof(o)),
		 sizeof(want));
	CHECK_MEM(o, want, sizeof(want));
	CHECK_EQ(ccid_params_from_atr(&p, o, sizeof(want)), CCID_ATR_OK);
	CHECK_EQ(p.offered, CCID_OFFER_T0 | CCID_OFFER_T1);
	CHECK_EQ(ccid_params_from_atr(&p, cacard, sizeof(cacard)), CCID_ATR_OK);
	CHECK_EQ(p.offered, CCID_OFFER_T0);
	/* Not rewritten: TD1 already there, a length that lies, bad TS,
	 * no room. */
	CHECK_EQ(vcg_piv_atr_add_t1(has_td1, sizeof(has_td1), o, sizeof(o)), 0);
	CHECK_EQ(vcg_piv_atr_add_t1(cacard, sizeof(cacard) - 1, o, sizeof(o)), 0);
	CHECK_EQ(vcg_piv_atr_add_t1((const uint8_t[]){ 0x3C, 0x00 }, 2, o,
				    sizeof(o)), 0);
	CHECK_EQ(vcg_piv_atr_add_t1(cacard, sizeof(cacard), o, 17), 0);
}

int main(void)
{
	RUN(cac_piv);
	RUN(windows_probes);
	RUN(get_challenge_everywhere);
	RUN(piv_only);
	RUN(cac_verify_counted);
	RUN(cac_verify_survives_restart);
	RUN(cac_verify_pin_forms);
	RUN(cac_verify_no_password);
	RUN(personality_names);
	RUN(atr_with_t1);
	TAP_EXIT();
}
