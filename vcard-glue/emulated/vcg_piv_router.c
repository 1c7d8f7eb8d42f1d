/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The personality router: see vcg_piv_router.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vcg_piv_apdu.h"
#include "vcg_piv_router.h"

#define NCHANNELS 20

/* Microsoft, "Smart card minidriver: Discovery Process", AID table. */
static const uint8_t sc_pnp_aid[] = { 0xA0, 0x00, 0x00, 0x03, 0x97, 0x43,
				      0x49, 0x44, 0x5F, 0x01, 0x00 };
static const uint8_t ms_gids_rid_pix[] = { 0xA0, 0x00, 0x00, 0x03, 0x97, 0x42,
					   0x54, 0x46, 0x59 };

struct vcg_piv_router {
	enum vcg_piv_personality p;
	struct vcg_piv_applet *applet;
	int (*random)(void *ctx, uint8_t *out, size_t n);
	void *random_ctx;
	bool piv[NCHANNELS];          /* PIV selected on the channel */
};

int vcg_piv_personality_parse(const char *s, enum vcg_piv_personality *p)
{
	if (strcmp(s, "cac+piv") == 0)
		*p = VCG_PIV_CAC_PIV;
	else if (strcmp(s, "cac") == 0)
		*p = VCG_PIV_CAC;
	else if (strcmp(s, "piv") == 0)
		*p = VCG_PIV_PIV;
	else
		return -1;
	return 0;
}

struct vcg_piv_router *vcg_piv_router_new(enum vcg_piv_personality p,
					  struct vcg_piv_applet *applet,
					  int (*random)(void *ctx, uint8_t *out,
							size_t n),
					  void *random_ctx)
{
	struct vcg_piv_router *r;

	if (p != VCG_PIV_CAC && applet == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		vcg_piv_applet_free(applet);
		return NULL;
	}
	r->p = p;
	r->applet = applet;
	r->random = random;
	r->random_ctx = random_ctx;
	return r;
}

void vcg_piv_router_free(struct vcg_piv_router *r)
{
	if (r == NULL)
		return;
	vcg_piv_applet_free(r->applet);
	free(r);
}

void vcg_piv_router_reset(struct vcg_piv_router *r)
{
	if (r == NULL)
		return;
	memset(r->piv, 0, sizeof(r->piv));
	if (r->applet != NULL)
		vcg_piv_applet_reset(r->applet);
}

/* ISO 7816-4 5.1.1: the logical channel of an interindustry CLA;
 * proprietary classes (b8 set, e.g. CAC's 80) count as the basic one
 * unless they carry the same channel bits. */
static unsigned channel(uint8_t cla)
{
	if ((cla & 0x40) != 0)
		return 4 + (cla & 0x0F);
	return cla & 0x03;
}

static size_t sw(uint8_t *out, uint16_t word)
{
	out[0] = (uint8_t)(word >> 8);
	out[1] = (uint8_t)word;
	return 2;
}

static bool is_select_name(const struct vcg_piv_apdu *c)
{
	return (c->cla & 0x80) == 0 && c->ins == 0xA4 && c->p1 == 0x04;
}

static bool windows_probe_aid(const struct vcg_piv_apdu *c)
{
	return (c->lc == sizeof(sc_pnp_aid) &&
		memcmp(c->data, sc_pnp_aid, sizeof(sc_pnp_aid)) == 0) ||
	       (c->lc >= sizeof(ms_gids_rid_pix) && c->lc <= 11 &&
		memcmp(c->data, ms_gids_rid_pix, sizeof(ms_gids_rid_pix)) == 0);
}

/* libcacard's VERIFY (card_7816.c: INS 20, P1 P2 00 00, any class it
 * takes; other P1 P2 it refuses without NSS). */
static bool is_cac_verify(uint8_t ins, uint8_t p1, uint8_t p2)
{
	return ins == 0x20 && p1 == 0x00 && p2 == 0x00;
}

static size_t challenge(struct vcg_piv_router *r, const struct vcg_piv_apdu *c,
			uint8_t *out, size_t cap)
{
	size_t n = c->le;

	if (c->p1 != 0 || c->p2 != 0)
		return sw(out, 0x6A86);
	if (n == 0 || c->lc != 0)
		return sw(out, 0x6700);
	if (n > 256)
		n = 256;
	if (n > cap - 2 || r->random(r->random_ctx, out, n) < 0)
		return sw(out, 0x6F00);
	out[n] = 0x90;
	out[n + 1] = 0x00;
	return n + 2;
}

size_t vcg_piv_router_answer(struct vcg_piv_router *r, const uint8_t *apdu,
			     size_t len, uint8_t *out, size_t cap)
{
	struct vcg_piv_apdu c;
	unsigned ch;
	size_t n;

	if (r == NULL || cap < 258 || vcg_piv_apdu_parse(apdu, len, &c) < 0) {
		if (r != NULL && r->p == VCG_PIV_PIV && cap >= 258)
			return sw(out, 0x6700);
		/* A VERIFY our parser refuses never reaches libcacard
		 * uncounted, whatever its parser would make of it. */
		if (r != NULL && cap >= 258 && len >= 4 &&
		    is_cac_verify(apdu[1], apdu[2], apdu[3]) &&
		    r->applet != NULL && vcg_piv_applet_pin_counted(r->applet))
			return sw(out, 0x6700);
		return 0;
	}
	ch = channel(c.cla);
	if (r->p == VCG_PIV_PIV)
		return vcg_piv_applet_process(r->applet, apdu, len, out, cap);
	if (r->p == VCG_PIV_CAC_PIV) {
		if (is_select_name(&c) && vcg_piv_is_select_piv(apdu, len)) {
			n = vcg_piv_applet_process(r->applet, apdu, len, out,
						   cap);
			if (n >= 2 && (out[n - 2] == 0x90 || out[n - 2] == 0x61))
				r->piv[ch] = true;
			return n;
		}
		if (is_select_name(&c) && windows_probe_aid(&c))
			return sw(out, 0x6A82);
		if (c.cla == 0x00 && c.ins == 0xCA && c.p1 == 0x7F &&
		    c.p2 == 0x68)
			return sw(out, 0x6A88);
		if (r->piv[ch] && !(c.ins == 0xA4 && (c.cla & 0x80) == 0))
			return vcg_piv_applet_process(r->applet, apdu, len,
						      out, cap);
	}
	if (c.cla == 0x00 && c.ins == 0x84 && r->random != NULL)
		return challenge(r, &c, out, cap);
	if (is_cac_verify(c.ins, c.p1, c.p2) && r->applet != NULL) {
		uint16_t word = vcg_piv_applet_cac_verify(r->applet, c.data,
							  c.lc);

		if (word != 0 && word != 0x9000)
			return sw(out, word);
	}
	return 0;
}

void vcg_piv_router_observe(struct vcg_piv_router *r, const uint8_t *apdu,
			    size_t len, const uint8_t *resp, size_t resp_len)
{
	struct vcg_piv_apdu c;
	uint8_t sw1;

	if (r == NULL || resp_len < 2 || vcg_piv_apdu_parse(apdu, len, &c) < 0 ||
	    c.ins != 0xA4 || (c.cla & 0x80) != 0)
		return;
	sw1 = resp[resp_len - 2];
	if (sw1 == 0x61 || (sw1 == 0x90 && resp[resp_len - 1] == 0x00))
		r->piv[channel(c.cla)] = false;
}

enum vcg_piv_personality vcg_piv_router_personality(const struct vcg_piv_router *r)
{
	return r != NULL ? r->p : VCG_PIV_CAC;
}
