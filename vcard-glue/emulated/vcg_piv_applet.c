/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card application: see vcg_piv_applet.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vcg_piv_apdu.h"
#include "vcg_piv_applet.h"
#include "vcg_piv_tlv.h"

#define INS_VERIFY 0x20
#define INS_CHANGE_REFERENCE 0x24
#define INS_RESET_RETRY 0x2C
#define INS_GET_CHALLENGE 0x84
#define INS_GENERAL_AUTHENTICATE 0x87
#define INS_SELECT 0xA4
#define INS_GET_RESPONSE 0xC0
#define INS_GET_DATA 0xCB
#define INS_PUT_DATA 0xDB
#define INS_GENERATE 0x47
#define INS_YK_GET_SERIAL 0xF8     /* Yubico: yubico-piv-tool lib/ykpiv.h */
#define INS_YK_GET_VERSION 0xFD
#define INS_YK_SET_MGM_KEY 0xFF
#define INS_YK_GET_METADATA 0xF7
#define KEY_MGM 0x9B
#define REF_PIV_PIN 0x80          /* Part 2 Table 2: key reference 80 */
#define REF_PUK 0x81
#define CLA_CHAIN 0x10            /* ISO 7816-4 5.1.1: command chaining */
#define RESULT_MAX 1024           /* a signature / shared secret */

struct vcg_piv_applet {
	struct vcg_piv_ops ops;
	uint8_t alg[VCG_PIV_NKEYS];
	struct vcg_piv_objects *objs;
	struct vcg_piv_state st;
	bool pin_verified;        /* since the last reset (9A, 9D) */
	bool pin_always;          /* VERIFY since the last 9C use */
	struct vcg_piv_admin admin;
	uint8_t *work;            /* VCG_PIV_OUT_MAX: the answer being sent */
	size_t work_len;
	size_t work_off;          /* bytes already sent; pending if < len */
	uint8_t *chain;           /* VCG_PIV_CHAIN_MAX */
	size_t chain_len;
	bool chaining;
	uint8_t chain_ins, chain_p1, chain_p2;
};

struct vcg_piv_applet *vcg_piv_applet_new(const struct vcg_piv_ops *ops,
					  const uint8_t alg[VCG_PIV_NKEYS],
					  struct vcg_piv_objects *objs,
					  const struct vcg_piv_state *st)
{
	struct vcg_piv_applet *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		vcg_piv_objects_free(objs);
		return NULL;
	}
	a->objs = objs;
	a->work = malloc(VCG_PIV_OUT_MAX);
	a->chain = malloc(VCG_PIV_CHAIN_MAX);
	if (objs == NULL || a->work == NULL || a->chain == NULL) {
		vcg_piv_applet_free(a);
		return NULL;
	}
	a->ops = *ops;
	memcpy(a->alg, alg, VCG_PIV_NKEYS);
	a->st = *st;
	return a;
}

void vcg_piv_applet_free(struct vcg_piv_applet *a)
{
	if (a == NULL)
		return;
	vcg_piv_objects_free(a->objs);
	free(a->work);
	free(a->chain);
	free(a);
}

void vcg_piv_applet_reset(struct vcg_piv_applet *a)
{
	a->pin_verified = false;
	a->pin_always = false;
	vcg_piv_admin_reset(&a->admin);
	a->work_len = a->work_off = 0;
	a->chaining = false;
	a->chain_len = 0;
}

const struct vcg_piv_state *vcg_piv_applet_state(const struct vcg_piv_applet *a)
{
	return &a->st;
}

bool vcg_piv_is_select_piv(const uint8_t *apdu, size_t len)
{
	struct vcg_piv_apdu c;

	if (vcg_piv_apdu_parse(apdu, len, &c) < 0 || (c.cla & 0x80) != 0 ||
	    c.ins != INS_SELECT || c.p1 != 0x04)
		return false;
	/* The RID alone (yubico-piv-tool), RID + PIX without the version
	 * (OpenSC, Windows), or the full AID. */
	return c.lc >= 5 && c.lc <= sizeof(vcg_piv_aid) &&
	       memcmp(c.data, vcg_piv_aid, c.lc) == 0;
}

static size_t sw(uint8_t *out, size_t n, uint16_t word)
{
	out[n] = (uint8_t)(word >> 8);
	out[n + 1] = (uint8_t)word;
	return n + 2;
}

/* Send the next part of a->work: up to `max` bytes, 61xx while more
 * is left (ISO 7816-4 5.1.3). */
static size_t send_work(struct vcg_piv_applet *a, size_t max, uint8_t *out,
			size_t cap)
{
	size_t left = a->work_len - a->work_off, n;

	if (max > cap - 2)
		max = cap - 2;
	n = left < max ? left : max;
	memcpy(out, a->work + a->work_off, n);
	a->work_off += n;
	left -= n;
	if (left == 0) {
		a->work_len = a->work_off = 0;
		return sw(out, n, 0x9000);
	}
	return sw(out, n, (uint16_t)(0x6100 | (left > 0xFF ? 0 : left)));
}

/* An answer of a->work_len bytes in a->work to command c. */
static size_t answer(struct vcg_piv_applet *a, const struct vcg_piv_apdu *c,
		     uint8_t *out, size_t cap)
{
	size_t max = c->le != 0 ? c->le : c->extended ? 65536 : 256;

	a->work_off = 0;
	return send_work(a, max, out, cap);
}

static size_t answer_bytes(struct vcg_piv_applet *a,
			   const struct vcg_piv_apdu *c, const uint8_t *data,
			   size_t n, uint8_t *out, size_t cap)
{
	memcpy(a->work, data, n);
	a->work_len = n;
	return answer(a, c, out, cap);
}

/* ---- SELECT: the application property template (Part 2 Table 3) ---- */

static size_t do_select(struct vcg_piv_applet *a, const struct vcg_piv_apdu *c,
			const uint8_t *raw, size_t len, uint8_t *out,
			size_t cap)
{
	static const uint8_t label[] = "ccid-gadget PIV";
	uint8_t inner[128], algs[16];
	struct vcg_piv_buf b, ab;
	size_t nalg = 0;

	if (!vcg_piv_is_select_piv(raw, len))
		return sw(out, 0, 0x6A82);
	if (c->p2 == 0x0C)                     /* no response data wanted */
		return sw(out, 0, 0x9000);
	vcg_piv_buf_init(&ab, algs, sizeof(algs));
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= a->alg[j] == a->alg[i];
		if (a->alg[i] != 0 && !seen)
			vcg_piv_put_tlv(&ab, 0x80, &a->alg[i], 1);
	}
	nalg = ab.len;
	vcg_piv_buf_init(&b, inner, sizeof(inner));
	/* 4F: the PIX with the version; 79: the coexistent tag allocation
	 * authority (the NIST RID); 50: a label; AC: the algorithms. */
	vcg_piv_put_tlv(&b, 0x4F, vcg_piv_aid + 5, sizeof(vcg_piv_aid) - 5);
	vcg_piv_put_header(&b, 0x79, 7);
	vcg_piv_put_tlv(&b, 0x4F, vcg_piv_aid, 5);
	vcg_piv_put_tlv(&b, 0x50, label, sizeof(label) - 1);
	vcg_piv_put_header(&b, 0xAC, nalg + 2);
	vcg_piv_put_bytes(&b, algs, nalg);
	vcg_piv_put_tlv(&b, 0x06, NULL, 0);
	a->work_len = 0;
	{
		struct vcg_piv_buf w;

		vcg_piv_buf_init(&w, a->work, VCG_PIV_OUT_MAX);
		vcg_piv_put_tlv(&w, 0x61, inner, b.len);
		if (b.overflow || w.overflow)
			return sw(out, 0, 0x6F00);
		a->work_len = w.len;
	}
	return answer(a, c, out, cap);
}

/* ---- GET DATA (Part 2, 3.1.2) ---- */

static size_t do_get_data(struct vcg_piv_applet *a,
			  const struct vcg_piv_apdu *c, uint8_t *out,
			  size_t cap)
{
	struct vcg_piv_tlv t;
	const uint8_t *obj;
	uint32_t tag = 0;
	size_t n, olen = 0;

	if (c->p1 != 0x3F || c->p2 != 0xFF)
		return sw(out, 0, 0x6A86);
	n = vcg_piv_tlv_parse(c->data, c->lc, &t);
	if (n == 0 || n != c->lc || t.tag != 0x5C || t.len < 1 || t.len > 3)
		return sw(out, 0, 0x6A80);
	for (size_t i = 0; i < t.len; i++)
		tag = tag << 8 | t.val[i];
	obj = vcg_piv_objects_get(a->objs, tag, &olen);
	if (obj == NULL)
		return sw(out, 0, 0x6A82);
	return answer_bytes(a, c, obj, olen, out, cap);
}

/* ---- PIN and PUK (Part 2, 3.2.1 - 3.2.3) ---- */

/* An 8-byte reference, the value padded with FF: its length (1..8), or
 * 0 if the padding is broken (an FF then something else). */
static size_t unpad(const uint8_t *p)
{
	size_t n = 0;

	while (n < VCG_PIV_SECRET_MAX && p[n] != 0xFF)
		n++;
	for (size_t i = n; i < VCG_PIV_SECRET_MAX; i++)
		if (p[i] != 0xFF)
			return 0;
	return n;
}

static bool same_secret(const uint8_t *a, size_t alen, const uint8_t *b,
			size_t blen)
{
	uint8_t diff = (uint8_t)(alen != blen);

	for (size_t i = 0; i < VCG_PIV_SECRET_MAX; i++)
		diff |= (uint8_t)((i < alen ? a[i] : 0xFF) ^
				  (i < blen ? b[i] : 0xFF));
	return diff == 0;
}

static void save(struct vcg_piv_applet *a)
{
	if (a->ops.state_changed != NULL)
		a->ops.state_changed(a->ops.ctx, &a->st);
}

/* 1 right, 0 wrong, -errno. */
static int pin_matches(struct vcg_piv_applet *a, const uint8_t *pin, size_t n)
{
	if (a->ops.pin_is_db_password)
		return a->ops.check_pin(a->ops.ctx, pin, n);
	return same_secret(pin, n, a->st.pin, a->st.pin_len) ? 1 : 0;
}

static uint16_t tries_sw(unsigned left)
{
	return (uint16_t)(0x63C0 | (left > 15 ? 15 : left));
}

/* Check the PIN against the counter: 0x9000 or the status word. */
static uint16_t check_counted_pin(struct vcg_piv_applet *a, const uint8_t *pin,
				  size_t n)
{
	int rc;

	if (a->st.pin_tries == 0)
		return 0x6983;
	rc = pin_matches(a, pin, n);
	if (rc < 0)
		return 0x6F00;
	if (rc == 0) {
		a->st.pin_tries--;
		a->pin_verified = a->pin_always = false;
		save(a);
		return tries_sw(a->st.pin_tries);
	}
	if (a->st.pin_tries != VCG_PIV_TRIES) {
		a->st.pin_tries = VCG_PIV_TRIES;
		save(a);
	}
	return 0x9000;
}

static uint16_t check_counted_puk(struct vcg_piv_applet *a, const uint8_t *puk,
				  size_t n)
{
	if (a->st.puk_tries == 0)
		return 0x6983;
	if (!same_secret(puk, n, a->st.puk, a->st.puk_len)) {
		a->st.puk_tries--;
		save(a);
		return tries_sw(a->st.puk_tries);
	}
	if (a->st.puk_tries != VCG_PIV_TRIES) {
		a->st.puk_tries = VCG_PIV_TRIES;
		save(a);
	}
	return 0x9000;
}

static size_t do_verify(struct vcg_piv_applet *a, const struct vcg_piv_apdu *c,
			uint8_t *out)
{
	uint16_t word;
	size_t n;

	if (c->p2 != REF_PIV_PIN)
		return sw(out, 0, 0x6A88);
	if (c->p1 == 0xFF) {                   /* reset the security status */
		if (c->lc != 0)
			return sw(out, 0, 0x6A80);
		a->pin_verified = a->pin_always = false;
		return sw(out, 0, 0x9000);
	}
	if (c->p1 != 0x00)
		return sw(out, 0, 0x6A86);
	if (c->lc == 0) {                      /* the state, nothing counted */
		if (a->pin_verified)
			return sw(out, 0, 0x9000);
		return sw(out, 0, a->st.pin_tries == 0 ? 0x6983
				  : tries_sw(a->st.pin_tries));
	}
	if (c->lc != VCG_PIV_SECRET_MAX || (n = unpad(c->data)) == 0)
		return sw(out, 0, 0x6A80);
	word = check_counted_pin(a, c->data, n);
	if (word == 0x9000)
		a->pin_verified = a->pin_always = true;
	return sw(out, 0, word);
}

bool vcg_piv_applet_pin_counted(const struct vcg_piv_applet *a)
{
	return a->ops.pin_is_db_password;
}

uint16_t vcg_piv_applet_cac_verify(struct vcg_piv_applet *a,
				   const uint8_t *pin, size_t len)
{
	const uint8_t *nul;
	uint16_t word;

	if (!a->ops.pin_is_db_password)
		return 0;
	if (a->st.pin_tries == 0)
		return 0x6983;
	if (len == 0)
		return 0;
	/* libcacard's vcard_emul_login: FF padding off the end, then NSS
	 * reads a C string. */
	while (len > 0 && pin[len - 1] == 0xFF)
		len--;
	nul = memchr(pin, 0, len);
	if (nul != NULL)
		len = (size_t)(nul - pin);
	word = check_counted_pin(a, pin, len);
	/* NSS could not tell (a db overwritten under it): libcacard's own
	 * word for a failed login, as before the counter. */
	return word == 0x6F00 ? 0x6985 : word;
}

/* A new PIN or PUK: 6..8 bytes (Part 2, 2.4.3 and 3.2.2). */
static bool new_secret_ok(size_t n)
{
	return n >= 6 && n <= VCG_PIV_SECRET_MAX;
}

static size_t do_change_reference(struct vcg_piv_applet *a,
				  const struct vcg_piv_apdu *c, uint8_t *out)
{
	const uint8_t *old, *new;
	size_t on, nn;
	uint16_t word;

	if (c->p1 != 0x00)
		return sw(out, 0, 0x6A86);
	if (c->p2 != REF_PIV_PIN && c->p2 != REF_PUK)
		return sw(out, 0, 0x6A88);
	if (c->lc != 2 * VCG_PIV_SECRET_MAX)
		return sw(out, 0, 0x6A80);
	old = c->data;
	new = c->data + VCG_PIV_SECRET_MAX;
	on = unpad(old);
	nn = unpad(new);
	if (on == 0 || !new_secret_ok(nn))
		return sw(out, 0, 0x6A80);
	if (c->p2 == REF_PUK) {
		word = check_counted_puk(a, old, on);
		if (word != 0x9000)
			return sw(out, 0, word);
		memcpy(a->st.puk, new, nn);
		a->st.puk_len = nn;
		save(a);
		return sw(out, 0, 0x9000);
	}
	word = check_counted_pin(a, old, on);
	if (word != 0x9000)
		return sw(out, 0, word);
	if (a->ops.pin_is_db_password) {
		if (a->ops.change_pin(a->ops.ctx, old, on, new, nn) < 0)
			return sw(out, 0, 0x6F00);
	} else {
		memcpy(a->st.pin, new, nn);
		a->st.pin_len = nn;
		save(a);
	}
	a->pin_verified = a->pin_always = true;
	return sw(out, 0, 0x9000);
}

static size_t do_reset_retry(struct vcg_piv_applet *a,
			     const struct vcg_piv_apdu *c, uint8_t *out)
{
	const uint8_t *puk, *pin;
	size_t kn, pn;
	uint16_t word;
	int rc;

	if (c->p1 != 0x00)
		return sw(out, 0, 0x6A86);
	if (c->p2 != REF_PIV_PIN)
		return sw(out, 0, 0x6A88);
	if (c->lc != 2 * VCG_PIV_SECRET_MAX)
		return sw(out, 0, 0x6A80);
	puk = c->data;
	pin = c->data + VCG_PIV_SECRET_MAX;
	kn = unpad(puk);
	pn = unpad(pin);
	/* A db password PIN is not new: it only has to be the password
	 * (4 digits is common, see below), not 6..8 bytes. */
	if (kn == 0 || pn == 0 ||
	    (!a->ops.pin_is_db_password && !new_secret_ok(pn)))
		return sw(out, 0, 0x6A80);
	word = check_counted_puk(a, puk, kn);
	if (word != 0x9000)
		return sw(out, 0, word);
	if (a->ops.pin_is_db_password) {
		/* The card cannot set an NSS password without the old one:
		 * the new PIN must be the db password (vcg_piv_state.h). */
		rc = a->ops.check_pin(a->ops.ctx, pin, pn);
		if (rc < 0)
			return sw(out, 0, 0x6F00);
		if (rc == 0)
			return sw(out, 0, 0x6A80);
	} else {
		memcpy(a->st.pin, pin, pn);
		a->st.pin_len = pn;
	}
	a->st.pin_tries = VCG_PIV_TRIES;
	a->pin_verified = a->pin_always = false;
	save(a);
	return sw(out, 0, 0x9000);
}

/* ---- GENERAL AUTHENTICATE (Part 2, 3.2.4) ---- */

static int key_index(uint8_t ref)
{
	switch (ref) {
	case 0x9A:
		return VCG_PIV_KEY_9A;
	case 0x9C:
		return VCG_PIV_KEY_9C;
	case 0x9D:
		return VCG_PIV_KEY_9D;
	case 0x9E:
		return VCG_PIV_KEY_9E;
	default:
		return -1;
	}
}

static size_t rsa_bytes(uint8_t alg)
{
	switch (alg) {
	case VCG_PIV_ALG_RSA1024:
		return 128;
	case VCG_PIV_ALG_RSA2048:
		return 256;
	case VCG_PIV_ALG_RSA3072:
		return 384;
	default:
		return 0;
	}
}

static size_t ec_bytes(uint8_t alg)
{
	return alg == VCG_PIV_ALG_P256 ? 32 : alg == VCG_PIV_ALG_P384 ? 48 : 0;
}

static bool access_ok(struct vcg_piv_applet *a, int key)
{
	switch (key) {
	case VCG_PIV_KEY_9A:
	case VCG_PIV_KEY_9D:
		return a->pin_verified;
	case VCG_PIV_KEY_9C:
		return a->pin_always;
	default:
		return true;                   /* 9E: no PIN */
	}
}

static size_t do_admin_authenticate(struct vcg_piv_applet *a,
				    const struct vcg_piv_apdu *c, uint8_t *out,
				    size_t cap)
{
	struct vcg_piv_tlv tmpl;
	bool changed = false;
	uint16_t word;
	size_t n;

	n = vcg_piv_tlv_parse(c->data, c->lc, &tmpl);
	if (n == 0 || n != c->lc || tmpl.tag != 0x7C)
		return sw(out, 0, 0x6A80);
	word = vcg_piv_admin_authenticate(&a->admin, &a->st, c->p1, tmpl.val,
					  tmpl.len, a->ops.cipher,
					  a->ops.random, a->ops.ctx, a->work,
					  VCG_PIV_OUT_MAX, &n, &changed);
	if (changed)
		save(a);
	if (word != 0x9000)
		return sw(out, 0, word);
	a->work_len = n;
	return answer(a, c, out, cap);
}

static size_t do_set_mgm_key(struct vcg_piv_applet *a,
			     const struct vcg_piv_apdu *c, uint8_t *out)
{
	bool changed = false;
	uint16_t word;

	if (a->ops.cipher == NULL)
		return sw(out, 0, 0x6D00);
	word = vcg_piv_admin_set_key(&a->admin, &a->st, c->p1, c->p2, c->data,
				     c->lc, &changed);
	if (changed)
		save(a);
	return sw(out, 0, word);
}

static size_t do_general_authenticate(struct vcg_piv_applet *a,
				      const struct vcg_piv_apdu *c,
				      uint8_t *out, size_t cap)
{
	struct vcg_piv_tlv tmpl, chal, resp, point;
	uint8_t result[RESULT_MAX];
	size_t n, rlen = 0;
	int key = key_index(c->p2), hc, hr, hp, rc;
	struct vcg_piv_buf w;
	uint8_t alg;

	if (c->p2 == KEY_MGM && a->ops.cipher != NULL)
		return do_admin_authenticate(a, c, out, cap);
	if (key < 0 || a->alg[key] == 0 || c->p1 != a->alg[key])
		return sw(out, 0, 0x6A86);
	alg = a->alg[key];
	n = vcg_piv_tlv_parse(c->data, c->lc, &tmpl);
	if (n == 0 || n != c->lc || tmpl.tag != 0x7C)
		return sw(out, 0, 0x6A80);
	hc = vcg_piv_tlv_find(tmpl.val, tmpl.len, 0x81, &chal);
	hr = vcg_piv_tlv_find(tmpl.val, tmpl.len, 0x82, &resp);
	hp = vcg_piv_tlv_find(tmpl.val, tmpl.len, 0x85, &point);
	if (hc < 0 || hr < 0 || hp < 0 || hr == 0 || resp.len != 0 ||
	    hc + hp != 1)
		return sw(out, 0, 0x6A80);
	if (hc == 1) {
		size_t rb = rsa_bytes(alg), eb = ec_bytes(alg);

		if ((rb != 0 && chal.len != rb) ||
		    (eb != 0 && (chal.len == 0 || chal.len > 64)))
			return sw(out, 0, 0x6A80);
	} else if (ec_bytes(alg) == 0 ||
		   point.len != 1 + 2 * ec_bytes(alg) || point.val[0] != 0x04) {
		return sw(out, 0, 0x6A80);
	}
	if (!access_ok(a, key))
		return sw(out, 0, 0x6982);
	if (key == VCG_PIV_KEY_9C)
		a->pin_always = false;         /* PIN always: one use per VERIFY */
	if (hc == 1)
		rc = a->ops.sign(a->ops.ctx, key, chal.val, chal.len, result,
				 sizeof(result), &rlen);
	else
		rc = a->ops.ecdh(a->ops.ctx, key, point.val, point.len, result,
				 sizeof(result), &rlen);
	if (rc < 0 || rlen > sizeof(result))
		return sw(out, 0, 0x6F00);
	vcg_piv_buf_init(&w, a->work, VCG_PIV_OUT_MAX);
	vcg_piv_put_header(&w, 0x7C, vcg_piv_header_size(0x82, rlen) + rlen);
	vcg_piv_put_tlv(&w, 0x82, result, rlen);
	if (w.overflow)
		return sw(out, 0, 0x6F00);
	a->work_len = w.len;
	return answer(a, c, out, cap);
}

/* ---- GET CHALLENGE (ISO 7816-4 7.5.3) ---- */

static size_t do_get_challenge(struct vcg_piv_applet *a,
			       const struct vcg_piv_apdu *c, uint8_t *out,
			       size_t cap)
{
	size_t n = c->le;

	if (c->p1 != 0 || c->p2 != 0)
		return sw(out, 0, 0x6A86);
	if (n == 0 || c->lc != 0)
		return sw(out, 0, 0x6700);
	if (n > 256)
		n = 256;
	if (a->ops.random(a->ops.ctx, a->work, n) < 0)
		return sw(out, 0, 0x6F00);
	a->work_len = n;
	return answer(a, c, out, cap);
}

/* ---- PUT DATA and GENERATE ASYMMETRIC KEY PAIR (Part 2, 3.3) ---- */

static int cert_key(uint32_t tag)
{
	for (int k = 0; k < VCG_PIV_NKEYS; k++)
		if (vcg_piv_cert_tag(k) == tag)
			return k;
	return -1;
}

static size_t do_put_data(struct vcg_piv_applet *a, const struct vcg_piv_apdu *c,
			  uint8_t *out)
{
	struct vcg_piv_tlv t, obj, der, info;
	uint32_t tag = 0;
	size_t n, m;
	int key;

	if (c->p1 != 0x3F || c->p2 != 0xFF)
		return sw(out, 0, 0x6A86);
	if (!a->admin.authenticated)
		return sw(out, 0, 0x6982);
	n = vcg_piv_tlv_parse(c->data, c->lc, &t);
	if (n == 0 || t.tag != 0x5C || t.len < 1 || t.len > 3)
		return sw(out, 0, 0x6A80);
	for (size_t i = 0; i < t.len; i++)
		tag = tag << 8 | t.val[i];
	m = vcg_piv_tlv_parse(c->data + n, c->lc - n, &obj);
	if (m == 0 || n + m != c->lc || obj.tag != 0x53 ||
	    !vcg_piv_object_tag_writable(tag))
		return sw(out, 0, 0x6A80);
	key = cert_key(tag);
	if (key >= 0) {
		uint8_t alg = 0;
		int rc;

		/* 70 the certificate, 71 CertInfo 00 (compressed ones are
		 * refused: hosts read the DER back), Part 1 Table 10. */
		if (vcg_piv_tlv_find(obj.val, obj.len, 0x70, &der) != 1 ||
		    der.len == 0 ||
		    (vcg_piv_tlv_find(obj.val, obj.len, 0x71, &info) == 1 &&
		     (info.len != 1 || info.val[0] != 0x00)))
			return sw(out, 0, 0x6A80);
		if (a->ops.put_cert == NULL)
			return sw(out, 0, 0x6A81);
		rc = a->ops.put_cert(a->ops.ctx, key, der.val, der.len, &alg);
		if (rc == -EINVAL)
			return sw(out, 0, 0x6A80);
		if (rc < 0)
			return sw(out, 0, 0x6F00);
		a->alg[key] = alg;
		/* Its identity must not move with the certificates. */
		save(a);
	} else if (a->ops.put_object != NULL &&
		   a->ops.put_object(a->ops.ctx, tag, c->data + n, m) < 0) {
		return sw(out, 0, 0x6F00);
	}
	if (vcg_piv_objects_put(a->objs, tag, c->data + n, m) < 0)
		return sw(out, 0, 0x6A84);
	return sw(out, 0, 0x9000);
}

static size_t do_generate(struct vcg_piv_applet *a, const struct vcg_piv_apdu *c,
			  uint8_t *out, size_t cap)
{
	uint8_t pub[1100];
	struct vcg_piv_tlv t, alg;
	struct vcg_piv_buf w;
	int key = key_index(c->p2), rc;
	size_t n, plen = 0;

	if (c->p1 != 0x00 || key < 0)
		return sw(out, 0, 0x6A86);
	if (!a->admin.authenticated)
		return sw(out, 0, 0x6982);
	n = vcg_piv_tlv_parse(c->data, c->lc, &t);
	if (n == 0 || n != c->lc || t.tag != 0xAC ||
	    vcg_piv_tlv_find(t.val, t.len, 0x80, &alg) != 1 || alg.len != 1 ||
	    (rsa_bytes(alg.val[0]) == 0 && ec_bytes(alg.val[0]) == 0))
		return sw(out, 0, 0x6A80);
	if (a->ops.generate == NULL)
		return sw(out, 0, 0x6D00);
	rc = a->ops.generate(a->ops.ctx, key, alg.val[0], pub, sizeof(pub),
			     &plen);
	if (rc == -EACCES)
		return sw(out, 0, 0x6982);
	if (rc < 0 || plen > sizeof(pub))
		return sw(out, 0, 0x6F00);
	a->alg[key] = alg.val[0];
	vcg_piv_buf_init(&w, a->work, VCG_PIV_OUT_MAX);
	vcg_piv_put_tlv(&w, 0x7F49, pub, plen);
	if (w.overflow)
		return sw(out, 0, 0x6F00);
	a->work_len = w.len;
	return answer(a, c, out, cap);
}

/* ---- Yubico's GET VERSION / GET SERIAL ---- */

static size_t do_yubico(struct vcg_piv_applet *a, const struct vcg_piv_apdu *c,
			uint8_t *out, size_t cap)
{
	static const uint8_t version[3] = VCG_PIV_YK_VERSION;
	uint8_t serial[4];

	if (c->p1 != 0 || c->p2 != 0)
		return sw(out, 0, 0x6A86);
	if (c->ins == INS_YK_GET_VERSION)
		return answer_bytes(a, c, version, sizeof(version), out, cap);
	serial[0] = (uint8_t)(a->ops.serial >> 24);
	serial[1] = (uint8_t)(a->ops.serial >> 16);
	serial[2] = (uint8_t)(a->ops.serial >> 8);
	serial[3] = (uint8_t)a->ops.serial;
	return answer_bytes(a, c, serial, sizeof(serial), out, cap);
}

/* ---- Yubico's GET METADATA ---- */

static size_t do_metadata(struct vcg_piv_applet *a,
			  const struct vcg_piv_apdu *c, uint8_t *out,
			  size_t cap)
{
	/* YKPIV_PINPOLICY_*: 1 never, 2 once, 3 always. */
	static const uint8_t pin_policy[VCG_PIV_NKEYS] = { 2, 3, 2, 1 };
	struct vcg_piv_buf w;
	int key = key_index(c->p2);

	if (c->p1 != 0x00)
		return sw(out, 0, 0x6A86);
	vcg_piv_buf_init(&w, a->work, VCG_PIV_OUT_MAX);
	if (key >= 0) {
		uint8_t pub[1100];
		size_t plen = 0;
		bool generated = false;
		int rc;

		if (a->alg[key] == 0)
			return sw(out, 0, 0x6A88);
		vcg_piv_put_tlv(&w, 0x01, &a->alg[key], 1);
		vcg_piv_put_tlv(&w, 0x02, (const uint8_t[]){ pin_policy[key], 1 },
				2);
		if (a->ops.public_key != NULL) {
			rc = a->ops.public_key(a->ops.ctx, key, pub, sizeof(pub),
					       &plen, &generated);
			if (rc == -ENOENT)
				return sw(out, 0, 0x6A88);
			if (rc < 0 || plen > sizeof(pub))
				return sw(out, 0, 0x6F00);
			vcg_piv_put_tlv(&w, 0x03,
					(const uint8_t[]){ generated ? 1 : 2 }, 1);
			vcg_piv_put_tlv(&w, 0x04, pub, plen);
		}
	} else if (c->p2 == KEY_MGM && a->ops.cipher != NULL) {
		static const uint8_t def[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3,
						 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6,
						 7, 8 };
		bool is_def = a->st.mgm_alg == 0x03 && a->st.mgm_key_len == 24 &&
			      memcmp(a->st.mgm_key, def, 24) == 0;

		vcg_piv_put_tlv(&w, 0x01, &a->st.mgm_alg, 1);
		vcg_piv_put_tlv(&w, 0x02, (const uint8_t[]){ 0, 1 }, 2);
		vcg_piv_put_tlv(&w, 0x05, (const uint8_t[]){ is_def }, 1);
	} else if (c->p2 == REF_PIV_PIN || c->p2 == REF_PUK) {
		bool pin = c->p2 == REF_PIV_PIN;
		bool is_def = pin ? !a->ops.pin_is_db_password &&
					    same_secret(a->st.pin, a->st.pin_len,
							(const uint8_t *)"123456", 6)
				  : same_secret(a->st.puk, a->st.puk_len,
						(const uint8_t *)"12345678", 8);
		uint8_t tries[2] = { VCG_PIV_TRIES, (uint8_t)(pin ? a->st.pin_tries
								: a->st.puk_tries) };

		vcg_piv_put_tlv(&w, 0x01, (const uint8_t[]){ 0xFF }, 1);
		vcg_piv_put_tlv(&w, 0x05, (const uint8_t[]){ is_def }, 1);
		vcg_piv_put_tlv(&w, 0x06, tries, 2);
	} else {
		return sw(out, 0, 0x6A88);
	}
	if (w.overflow)
		return sw(out, 0, 0x6F00);
	a->work_len = w.len;
	return answer(a, c, out, cap);
}

/* ---- the dispatcher ---- */

/* Command chaining: 1 if this link was stored (answer 9000), 0 if the
 * command is complete (c->data may now be the whole chain), or a status
 * word (> 1) to answer. */
static int chain(struct vcg_piv_applet *a, struct vcg_piv_apdu *c)
{
	bool more = (c->cla & CLA_CHAIN) != 0;

	if (a->chaining && (c->ins != a->chain_ins || c->p1 != a->chain_p1 ||
			    c->p2 != a->chain_p2)) {
		a->chaining = false;           /* another command: chain gone */
		a->chain_len = 0;
	}
	if (!more && !a->chaining)
		return 0;
	if (c->lc > VCG_PIV_CHAIN_MAX - a->chain_len) {
		a->chaining = false;
		a->chain_len = 0;
		return 0x6A84;
	}
	if (c->lc > 0)
		memcpy(a->chain + a->chain_len, c->data, c->lc);
	a->chain_len += c->lc;
	if (more) {
		a->chaining = true;
		a->chain_ins = c->ins;
		a->chain_p1 = c->p1;
		a->chain_p2 = c->p2;
		return 1;
	}
	c->data = a->chain;
	c->lc = a->chain_len;
	a->chaining = false;
	a->chain_len = 0;   /* the data stays in a->chain for this command */
	return 0;
}

size_t vcg_piv_applet_process(struct vcg_piv_applet *a, const uint8_t *apdu,
			      size_t len, uint8_t *out, size_t cap)
{
	struct vcg_piv_apdu c;
	bool further;
	int rc;

	if (cap < 258)
		return 0;
	if (vcg_piv_apdu_parse(apdu, len, &c) < 0)
		return sw(out, 0, 0x6700);
	if ((c.cla & 0x80) != 0)
		return sw(out, 0, 0x6E00);
	/* ISO 7816-4 5.1.1: secure messaging bits, first and further
	 * interindustry classes. */
	further = (c.cla & 0x40) != 0;
	if ((further ? c.cla & 0x20 : c.cla & 0x0C) != 0)
		return sw(out, 0, 0x6882);
	if (c.ins == INS_GET_RESPONSE) {
		if (c.p1 != 0 || c.p2 != 0)
			return sw(out, 0, 0x6A86);
		if (a->work_off >= a->work_len)
			return sw(out, 0, 0x6985);
		return send_work(a, c.le != 0 ? c.le : 256, out, cap);
	}
	a->work_len = a->work_off = 0;         /* a pending answer is gone */
	rc = chain(a, &c);
	if (rc == 1)
		return sw(out, 0, 0x9000);
	if (rc > 1)
		return sw(out, 0, (uint16_t)rc);
	switch (c.ins) {
	case INS_SELECT:
		return do_select(a, &c, apdu, len, out, cap);
	case INS_GET_DATA:
		return do_get_data(a, &c, out, cap);
	case INS_VERIFY:
		return do_verify(a, &c, out);
	case INS_CHANGE_REFERENCE:
		return do_change_reference(a, &c, out);
	case INS_RESET_RETRY:
		return do_reset_retry(a, &c, out);
	case INS_GENERAL_AUTHENTICATE:
		return do_general_authenticate(a, &c, out, cap);
	case INS_GET_CHALLENGE:
		return do_get_challenge(a, &c, out, cap);
	case INS_YK_GET_VERSION:
	case INS_YK_GET_SERIAL:
		return do_yubico(a, &c, out, cap);
	case INS_YK_SET_MGM_KEY:
		return do_set_mgm_key(a, &c, out);
	case INS_YK_GET_METADATA:
		return do_metadata(a, &c, out, cap);
	case INS_PUT_DATA:
		return do_put_data(a, &c, out);
	case INS_GENERATE:
		return do_generate(a, &c, out, cap);
	default:
		return sw(out, 0, 0x6D00);
	}
}
