/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PIV provisioning's management key: see vcg_piv_admin.h. */
#include <string.h>

#include "vcg_piv_admin.h"
#include "vcg_piv_tlv.h"

void vcg_piv_admin_reset(struct vcg_piv_admin *ad)
{
	memset(ad, 0, sizeof(*ad));
}

static size_t block_size(uint8_t alg)
{
	return alg == 0x03 ? 8 : 16;
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

/* 7C { tag E(in) } into resp. */
static uint16_t encrypt_answer(const struct vcg_piv_state *st, uint32_t tag,
			       const uint8_t *in, size_t n,
			       vcg_piv_cipher_fn cipher, void *ctx,
			       uint8_t *resp, size_t cap, size_t *resp_len)
{
	uint8_t enc[VCG_PIV_ADMIN_BLOCK_MAX];
	struct vcg_piv_buf b;

	if (cipher(ctx, st->mgm_alg, st->mgm_key, st->mgm_key_len, in, n,
		   enc) < 0)
		return 0x6F00;
	vcg_piv_buf_init(&b, resp, cap);
	vcg_piv_put_header(&b, 0x7C, 2 + n);
	vcg_piv_put_tlv(&b, tag, enc, n);
	if (b.overflow)
		return 0x6F00;
	*resp_len = b.len;
	return 0x9000;
}

/* The host answered right or wrong: the counter and the status. */
static uint16_t counted(struct vcg_piv_admin *ad, struct vcg_piv_state *st,
			bool right, bool *changed)
{
	if (!right) {
		ad->authenticated = false;
		st->mgm_tries--;
		*changed = true;
		return st->mgm_tries == 0 ? 0x6983 : 0x6982;
	}
	if (st->mgm_tries != VCG_PIV_MGM_TRIES) {
		st->mgm_tries = VCG_PIV_MGM_TRIES;
		*changed = true;
	}
	ad->authenticated = true;
	return 0x9000;
}

uint16_t vcg_piv_admin_authenticate(struct vcg_piv_admin *ad,
				    struct vcg_piv_state *st, uint8_t alg,
				    const uint8_t *tmpl, size_t len,
				    vcg_piv_cipher_fn cipher,
				    int (*random)(void *, uint8_t *, size_t),
				    void *ctx, uint8_t *resp, size_t cap,
				    size_t *resp_len, bool *changed)
{
	struct vcg_piv_tlv w, c, r;
	size_t bs = block_size(st->mgm_alg);
	int hw, hc, hr;

	*resp_len = 0;
	hw = vcg_piv_tlv_find(tmpl, len, 0x80, &w);
	hc = vcg_piv_tlv_find(tmpl, len, 0x81, &c);
	hr = vcg_piv_tlv_find(tmpl, len, 0x82, &r);
	if (hw < 0 || hc < 0 || hr < 0)
		return 0x6A80;
	/* A challenge request, 7C { 81 00 }: OpenSC's PIV driver sends it
	 * as its GET CHALLENGE with algorithm 00 (card-piv.c
	 * piv_get_challenge). It also starts the one-way authentication
	 * of the host (Part 2 A.1: the host answers 7C { 82 E(C) }). */
	if (hc == 1 && c.len == 0 && hw == 0 && hr == 0 &&
	    (alg == 0x00 || alg == st->mgm_alg)) {
		struct vcg_piv_buf b;

		if (random(ctx, ad->witness, bs) < 0)
			return 0x6F00;
		ad->block = bs;
		ad->witness_pending = false;
		ad->challenge_pending = true;
		vcg_piv_buf_init(&b, resp, cap);
		vcg_piv_put_header(&b, 0x7C, 2 + bs);
		vcg_piv_put_tlv(&b, 0x81, ad->witness, bs);
		if (b.overflow)
			return 0x6F00;
		*resp_len = b.len;
		return 0x9000;
	}
	if (alg != st->mgm_alg)
		return 0x6A86;
	if (st->mgm_tries == 0)
		return 0x6983;
	if (hr == 1 && r.len == bs && hw == 0 && hc == 0) {
		/* The host's answer to our challenge: E(C). */
		uint8_t want[VCG_PIV_ADMIN_BLOCK_MAX];
		bool right = ad->challenge_pending && ad->block == bs &&
			     cipher(ctx, st->mgm_alg, st->mgm_key,
				    st->mgm_key_len, ad->witness, bs, want) == 0 &&
			     same(r.val, want, bs);

		ad->challenge_pending = false;
		memset(ad->witness, 0, sizeof(ad->witness));
		return counted(ad, st, right, changed);
	}
	if (hw == 1 && w.len == 0 && hc == 0 && hr == 0) {
		/* Step 1: a fresh witness, encrypted. */
		if (random(ctx, ad->witness, bs) < 0)
			return 0x6F00;
		ad->block = bs;
		ad->witness_pending = true;
		ad->challenge_pending = false;
		ad->authenticated = false;
		return encrypt_answer(st, 0x80, ad->witness, bs, cipher, ctx,
				      resp, cap, resp_len);
	}
	if (hw == 1 && hc == 1 && w.len == bs && c.len == bs &&
	    (hr == 0 || r.len == 0)) {
		/* Step 2: the host decrypted the witness. */
		bool right = ad->witness_pending && ad->block == bs &&
			     same(w.val, ad->witness, bs);
		uint16_t word;

		ad->witness_pending = false;
		memset(ad->witness, 0, sizeof(ad->witness));
		word = counted(ad, st, right, changed);
		if (word != 0x9000)
			return word;
		return encrypt_answer(st, 0x82, c.val, bs, cipher, ctx, resp, cap,
				      resp_len);
	}
	if (hw == 0 && hc == 1 && c.len == bs && hr == 1 && r.len == 0)
		/* The card proves it holds the key (one-way, Part 2 A.1). */
		return encrypt_answer(st, 0x82, c.val, bs, cipher, ctx, resp, cap,
				      resp_len);
	return 0x6A80;
}

uint16_t vcg_piv_admin_set_key(struct vcg_piv_admin *ad,
			       struct vcg_piv_state *st, uint8_t p1,
			       uint8_t p2, const uint8_t *data, size_t len,
			       bool *changed)
{
	size_t klen;

	if (p1 != 0xFF || (p2 != 0xFF && p2 != 0xFE))
		return 0x6A86;
	if (!ad->authenticated)
		return 0x6982;
	if (len < 3 || data[1] != 0x9B)
		return 0x6A80;
	klen = vcg_piv_mgm_key_len(data[0]);
	if (klen == 0 || data[2] != klen || len != 3 + klen)
		return 0x6A80;
	st->mgm_alg = data[0];
	memcpy(st->mgm_key, data + 3, klen);
	st->mgm_key_len = klen;
	st->mgm_tries = VCG_PIV_MGM_TRIES;
	*changed = true;
	return 0x9000;
}
