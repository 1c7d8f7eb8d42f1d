/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV application's APDU dispatcher (vcard-glue/emulated/
 * vcg_piv_applet.c) on a fake key store: every answer checked byte by
 * byte against SP 800-73-4 Part 2 (SELECT's application property
 * template, GET DATA of each object, VERIFY / CHANGE REFERENCE DATA /
 * RESET RETRY COUNTER and their counters, GENERAL AUTHENTICATE and the
 * key access rules), 61xx + GET RESPONSE, extended APDUs, command
 * chaining, and malformed input (each its status word).
 *
 * The fake: PIN "123456" in the state (no db password) unless a case
 * says otherwise; the "private key" operation reverses the input, ECDH
 * returns the point's x coordinate, randomness counts up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vcg_piv_applet.h"
#include "vcg_piv_tlv.h"

static uint8_t out[VCG_PIV_OUT_MAX];
static size_t out_len;
static int saves;                 /* state_changed calls */
static int sign_calls;
static int db_pin_mode;           /* the fake db has password "secret12" */

static int fake_check_pin(void *ctx, const uint8_t *pin, size_t len)
{
	(void)ctx;
	return len == 8 && memcmp(pin, "secret12", 8) == 0;
}

static int fake_change_pin(void *ctx, const uint8_t *old, size_t old_len,
			   const uint8_t *pin, size_t len)
{
	(void)ctx;
	(void)pin;
	(void)len;
	return old_len == 8 && memcmp(old, "secret12", 8) == 0 ? 0 : -EACCES;
}

static int fake_random(void *ctx, uint8_t *o, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		o[i] = (uint8_t)i;
	return 0;
}

static int fake_sign(void *ctx, int key, const uint8_t *in, size_t len,
		     uint8_t *o, size_t cap, size_t *olen)
{
	(void)ctx;
	(void)key;
	sign_calls++;
	if (len > cap)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++)
		o[i] = in[len - 1 - i];
	*olen = len;
	return 0;
}

static int fake_ecdh(void *ctx, int key, const uint8_t *p, size_t len,
		     uint8_t *o, size_t cap, size_t *olen)
{
	(void)ctx;
	(void)key;
	if ((len - 1) / 2 > cap)
		return -ENOSPC;
	memcpy(o, p + 1, (len - 1) / 2);
	*olen = (len - 1) / 2;
	return 0;
}

/* "Encryption": XOR with the key; its own inverse. */
static int fake_cipher(void *ctx, uint8_t alg, const uint8_t *key,
		       size_t key_len, const uint8_t *in, size_t len,
		       uint8_t *o)
{
	(void)ctx;
	(void)alg;
	for (size_t i = 0; i < len; i++)
		o[i] = (uint8_t)(in[i] ^ key[i % key_len]);
	return 0;
}

static int put_cert_calls;
static uint8_t put_cert_alg = VCG_PIV_ALG_P256;

static int fake_put_cert(void *ctx, int key, const uint8_t *der, size_t len,
			 uint8_t *alg)
{
	(void)ctx;
	(void)key;
	put_cert_calls++;
	if (len < 2 || der[0] != 0x30)
		return -EINVAL;               /* "not a certificate" */
	*alg = put_cert_alg;
	return 0;
}

static int fake_generate(void *ctx, int key, uint8_t alg, uint8_t *o,
			 size_t cap, size_t *olen)
{
	(void)ctx;
	(void)key;
	if (cap < 67)
		return -ENOSPC;
	o[0] = 0x86;
	o[1] = 65;
	memset(o + 2, alg, 65);
	*olen = 67;
	return 0;
}

static int fake_public_key(void *ctx, int key, uint8_t *o, size_t cap,
			   size_t *olen, bool *generated)
{
	(void)ctx;
	if (key == VCG_PIV_KEY_9E)
		return -ENOENT;
	if (cap < 4)
		return -ENOSPC;
	memcpy(o, (const uint8_t[]){ 0x86, 0x02, 0x04, (uint8_t)key }, 4);
	*olen = 4;
	*generated = key == VCG_PIV_KEY_9D;
	return 0;
}

static void fake_saved(void *ctx, const struct vcg_piv_state *st)
{
	(void)ctx;
	(void)st;
	saves++;
}

static uint8_t certs[VCG_PIV_NKEYS][3000];
static const size_t cert_len[VCG_PIV_NKEYS] = { 3000, 800, 100, 0 };
static const uint8_t guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				  13, 14, 15, 16 };

static struct vcg_piv_applet *make(void)
{
	static const uint8_t alg[VCG_PIV_NKEYS] = {
		VCG_PIV_ALG_RSA2048, VCG_PIV_ALG_RSA1024, VCG_PIV_ALG_P256,
		VCG_PIV_ALG_P384,
	};
	const uint8_t *der[VCG_PIV_NKEYS];
	struct vcg_piv_ops ops = {
		.ctx = NULL,
		.pin_is_db_password = db_pin_mode != 0,
		.check_pin = fake_check_pin,
		.change_pin = fake_change_pin,
		.random = fake_random,
		.sign = fake_sign,
		.ecdh = fake_ecdh,
		.state_changed = fake_saved,
		.serial = 0x01020304,
		.cipher = fake_cipher,
		.put_cert = fake_put_cert,
		.generate = fake_generate,
		.public_key = fake_public_key,
	};
	struct vcg_piv_state st;

	for (int k = 0; k < VCG_PIV_NKEYS; k++) {
		for (size_t i = 0; i < sizeof(certs[k]); i++)
			certs[k][i] = (uint8_t)(i * 3 + k);
		der[k] = certs[k];
	}
	vcg_piv_state_defaults(&st);
	saves = 0;
	sign_calls = 0;
	return vcg_piv_applet_new(&ops, alg,
				  vcg_piv_objects_new(guid, der, cert_len), &st);
}

static int xfr(struct vcg_piv_applet *a, const uint8_t *apdu, size_t len)
{
	out_len = vcg_piv_applet_process(a, apdu, len, out, sizeof(out));
	if (out_len < 2)
		return -1;
	return out[out_len - 2] << 8 | out[out_len - 1];
}

#define XFR(a, ...) xfr(a, (const uint8_t[]){ __VA_ARGS__ }, \
			sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* T=0 style: follow 61xx with GET RESPONSE, gather the data. */
static int xfr_all(struct vcg_piv_applet *a, const uint8_t *apdu, size_t len,
		   uint8_t *data, size_t cap, size_t *n)
{
	int s = xfr(a, apdu, len);
	size_t got = 0;

	for (int rounds = 0; rounds < 400; rounds++) {
		if (out_len - 2 + got <= cap)
			memcpy(data + got, out, out_len - 2);
		got += out_len - 2;
		if ((s >> 8) != 0x61)
			break;
		s = XFR(a, 0x00, 0xC0, 0x00, 0x00, (uint8_t)(s & 0xFF));
	}
	*n = got;
	return s;
}

static const uint8_t select_full[] = { 0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0,
				       0x00, 0x00, 0x03, 0x08, 0x00, 0x00,
				       0x10, 0x00, 0x01, 0x00, 0x00 };

static void select_apt(void)
{
	/* Part 2 Table 3; algorithms in key order 9A 9C 9D 9E. */
	static const uint8_t want[] = {
		0x61, 0x32,
		0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
		0x79, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08,
		0x50, 0x0F, 'c', 'c', 'i', 'd', '-', 'g', 'a', 'd', 'g', 'e',
		't', ' ', 'P', 'I', 'V',
		0xAC, 0x0E, 0x80, 0x01, 0x07, 0x80, 0x01, 0x06, 0x80, 0x01,
		0x11, 0x80, 0x01, 0x14, 0x06, 0x00,
	};
	struct vcg_piv_applet *a = make();

	CHECK_EQ(xfr(a, select_full, sizeof(select_full)), 0x9000);
	CHECK_EQ(out_len, sizeof(want) + 2);
	CHECK_MEM(out, want, sizeof(want));
	/* Truncated: the RID (yubico-piv-tool), RID + PIX (OpenSC). */
	CHECK_EQ(XFR(a, 0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03,
		     0x08, 0x00), 0x9000);
	CHECK_EQ(XFR(a, 0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03,
		     0x08, 0x00, 0x00, 0x10, 0x00), 0x9000);
	/* Too short, wrong, or longer than the AID: not PIV. */
	CHECK_EQ(XFR(a, 0x00, 0xA4, 0x04, 0x00, 0x04, 0xA0, 0x00, 0x00, 0x03),
		 0x6A82);
	CHECK_EQ(XFR(a, 0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03,
		     0x09), 0x6A82);
	CHECK_EQ(XFR(a, 0x00, 0xA4, 0x04, 0x00, 0x0C, 0xA0, 0x00, 0x00, 0x03,
		     0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00), 0x6A82);
	/* Short Le: 61xx, then the rest with GET RESPONSE. */
	{
		uint8_t sel[sizeof(select_full)];
		uint8_t all[64];
		size_t n;

		memcpy(sel, select_full, sizeof(sel));
		sel[sizeof(sel) - 1] = 0x10;
		CHECK_EQ(xfr_all(a, sel, sizeof(sel), all, sizeof(all), &n), 0x9000);
		CHECK_EQ(n, sizeof(want));
		CHECK_MEM(all, want, sizeof(want));
	}
	vcg_piv_applet_free(a);
}

/* GET DATA of one tag: 00 CB 3F FF Lc 5C n tag 00. */
static int get_data(struct vcg_piv_applet *a, uint32_t tag, uint8_t *data,
		    size_t cap, size_t *n)
{
	uint8_t cmd[11] = { 0x00, 0xCB, 0x3F, 0xFF, 0, 0x5C, 0 };
	size_t tl = tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1, len;

	cmd[4] = (uint8_t)(2 + tl);
	cmd[6] = (uint8_t)tl;
	for (size_t i = 0; i < tl; i++)
		cmd[7 + i] = (uint8_t)(tag >> (8 * (tl - 1 - i)));
	len = 7 + tl;
	cmd[len++] = 0x00;
	return xfr_all(a, cmd, len, data, cap, n);
}

static void get_data_objects(void)
{
	struct vcg_piv_applet *a = make();
	static uint8_t data[4000];
	struct vcg_piv_tlv t, in;
	size_t n;

	/* CHUID: 53 { 30 FASC-N(25), 34 GUID, 35 expiry, 3E, FE }. */
	CHECK_EQ(get_data(a, VCG_PIV_TAG_CHUID, data, sizeof(data), &n), 0x9000);
	CHECK_EQ(vcg_piv_tlv_parse(data, n, &t), n);
	CHECK_EQ(t.tag, 0x53);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x34, &in), 1);
	CHECK_EQ(in.len, 16);
	CHECK_MEM(in.val, guid, 16);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x30, &in), 1);
	CHECK_EQ(in.len, 25);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x35, &in), 1);
	CHECK_EQ(in.len, 8);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x3E, &in), 1);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0xFE, &in), 1);

	/* CCC: F0 card identifier of 21 bytes, F1 21. */
	CHECK_EQ(get_data(a, VCG_PIV_TAG_CCC, data, sizeof(data), &n), 0x9000);
	CHECK_EQ(vcg_piv_tlv_parse(data, n, &t), n);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0xF0, &in), 1);
	CHECK_EQ(in.len, 21);
	CHECK_EQ(in.val[0], 0xA0);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0xF1, &in), 1);
	CHECK_EQ(in.val[0], 0x21);

	/* Discovery: its own 7E template, 4F AID, 5F2F 40 00. */
	{
		static const uint8_t want[] = {
			0x7E, 0x12, 0x4F, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08,
			0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x5F, 0x2F, 0x02,
			0x40, 0x00,
		};

		CHECK_EQ(get_data(a, 0x7E, data, sizeof(data), &n), 0x9000);
		CHECK_EQ(n, sizeof(want));
		CHECK_MEM(data, want, sizeof(want));
	}
	/* Key History: no retired keys. */
	{
		static const uint8_t want[] = { 0x53, 0x08, 0xC1, 0x01, 0x00, 0xC2,
						0x01, 0x00, 0xFE, 0x00 };

		CHECK_EQ(get_data(a, VCG_PIV_TAG_KEY_HISTORY, data, sizeof(data),
				  &n), 0x9000);
		CHECK_EQ(n, sizeof(want));
		CHECK_MEM(data, want, sizeof(want));
	}
	/* Certificates: 53 { 70 DER, 71 00, FE 00 }, 3000 bytes through
	 * 61xx / GET RESPONSE. */
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(get_data(a, vcg_piv_cert_tag(k), data, sizeof(data), &n),
			 0x9000);
		CHECK_EQ(vcg_piv_tlv_parse(data, n, &t), n);
		CHECK_EQ(t.tag, 0x53);
		CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x70, &in), 1);
		CHECK_EQ(in.len, cert_len[k]);
		CHECK_MEM(in.val, certs[k], cert_len[k]);
		CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x71, &in), 1);
		CHECK(in.len == 1 && in.val[0] == 0x00);
		CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0xFE, &in), 1);
	}
	/* 9E has no certificate here; unknown objects too: 6A82. */
	CHECK_EQ(get_data(a, VCG_PIV_TAG_CERT_9E, data, sizeof(data), &n), 0x6A82);
	CHECK_EQ(get_data(a, 0x5FC103, data, sizeof(data), &n), 0x6A82);
	CHECK_EQ(get_data(a, 0x7F61, data, sizeof(data), &n), 0x6A82);
	vcg_piv_applet_free(a);
}

static void get_data_extended(void)
{
	struct vcg_piv_applet *a = make();
	struct vcg_piv_tlv t, in;

	/* Case 4E: the whole certificate object in one answer. */
	CHECK_EQ(XFR(a, 0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03,
		     0x5F, 0xC1, 0x05, 0x00, 0x00), 0x9000);
	CHECK_EQ(vcg_piv_tlv_parse(out, out_len - 2, &t), out_len - 2);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x70, &in), 1);
	CHECK_EQ(in.len, 3000);
	/* Extended Le smaller than the object: 61 00 (256 or more left). */
	CHECK_EQ(XFR(a, 0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03,
		     0x5F, 0xC1, 0x05, 0x04, 0x00), 0x6100);
	CHECK_EQ(out_len, 1024 + 2);
	/* GET RESPONSE with extended Le takes the rest at once. */
	CHECK_EQ(XFR(a, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00), 0x9000);
	CHECK_EQ(out_len + 1024, t.len + 4 + 2);
	/* Nothing left: 6985. */
	CHECK_EQ(XFR(a, 0x00, 0xC0, 0x00, 0x00, 0x00), 0x6985);
	/* Another command drops what was pending. */
	CHECK_EQ(XFR(a, 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1,
		     0x05, 0x00), 0x6100);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	CHECK_EQ(XFR(a, 0x00, 0xC0, 0x00, 0x00, 0x00), 0x6985);
	vcg_piv_applet_free(a);
}

static void get_data_malformed(void)
{
	struct vcg_piv_applet *a = make();
	static const struct {
		const char *name;
		uint8_t apdu[12];
		size_t len;
		int sw;
	} cases[] = {
		{ "P1P2 not 3FFF", { 0x00, 0xCB, 0x3F, 0xFE, 0x03, 0x5C, 0x01, 0x7E }, 8, 0x6A86 },
		{ "not a 5C", { 0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5D, 0x01, 0x7E }, 8, 0x6A80 },
		{ "5C length past data", { 0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x02, 0x7E }, 8, 0x6A80 },
		{ "5C of 4 bytes", { 0x00, 0xCB, 0x3F, 0xFF, 0x06, 0x5C, 0x04, 0x5F, 0xC1, 0x05, 0x01 }, 11, 0x6A80 },
		{ "bytes after the 5C", { 0x00, 0xCB, 0x3F, 0xFF, 0x04, 0x5C, 0x01, 0x7E, 0x00 }, 9, 0x6A80 },
		{ "empty 5C", { 0x00, 0xCB, 0x3F, 0xFF, 0x02, 0x5C, 0x00 }, 7, 0x6A80 },
		{ "no data", { 0x00, 0xCB, 0x3F, 0xFF }, 4, 0x6A80 },
		{ "Lc lies", { 0x00, 0xCB, 0x3F, 0xFF, 0x09, 0x5C, 0x01, 0x7E }, 8, 0x6700 },
		{ "proprietary class", { 0x80, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E }, 8, 0x6E00 },
		{ "secure messaging", { 0x0C, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E }, 8, 0x6882 },
		{ "unknown INS", { 0x00, 0xB0, 0x00, 0x00, 0x00 }, 5, 0x6D00 },
		{ "two bytes", { 0x00, 0xCB }, 2, 0x6700 },
		{ "GET CHALLENGE without Le", { 0x00, 0x84, 0x00, 0x00 }, 4, 0x6700 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int s = xfr(a, cases[i].apdu, cases[i].len);

		if (s != cases[i].sw)
			fprintf(stderr, "  case '%s': %04X\n", cases[i].name, s);
		CHECK_EQ(s, cases[i].sw);
		CHECK_EQ(out_len, 2);
	}
	vcg_piv_applet_free(a);
}

static const uint8_t verify_right[] = { 0x00, 0x20, 0x00, 0x80, 0x08, '1',
					'2', '3', '4', '5', '6', 0xFF, 0xFF };
static const uint8_t verify_wrong[] = { 0x00, 0x20, 0x00, 0x80, 0x08, '6',
					'5', '4', '3', '2', '1', 0xFF, 0xFF };

static void verify_counts(void)
{
	struct vcg_piv_applet *a = make();

	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x63C3);   /* state */
	CHECK_EQ(xfr(a, verify_wrong, sizeof(verify_wrong)), 0x63C2);
	CHECK_EQ(vcg_piv_applet_state(a)->pin_tries, 2);
	CHECK_EQ(saves, 1);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x63C2);
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x9000);
	CHECK_EQ(vcg_piv_applet_state(a)->pin_tries, 3);
	CHECK_EQ(saves, 2);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x9000);
	/* VERIFY FF resets the security status. */
	CHECK_EQ(XFR(a, 0x00, 0x20, 0xFF, 0x80), 0x9000);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	/* A reset too. */
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x9000);
	vcg_piv_applet_reset(a);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	/* Three wrong: 63C2, 63C1, 63C0, then blocked even for the right PIN. */
	CHECK_EQ(xfr(a, verify_wrong, sizeof(verify_wrong)), 0x63C2);
	CHECK_EQ(xfr(a, verify_wrong, sizeof(verify_wrong)), 0x63C1);
	CHECK_EQ(xfr(a, verify_wrong, sizeof(verify_wrong)), 0x63C0);
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x6983);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x6983);
	CHECK_EQ(vcg_piv_applet_state(a)->pin_tries, 0);
	vcg_piv_applet_free(a);
}

static void verify_malformed(void)
{
	struct vcg_piv_applet *a = make();

	/* Not 8 bytes, broken padding, an all-FF PIN, a wrong reference:
	 * refused without counting. */
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80, 0x06, '1', '2', '3', '4', '5',
		     '6'), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80, 0x08, '1', '2', 0xFF, '4', '5',
		     '6', 0xFF, 0xFF), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80, 0x08, 0xFF, 0xFF, 0xFF, 0xFF,
		     0xFF, 0xFF, 0xFF, 0xFF), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x00, 0x08, '1', '2', '3', '4', '5',
		     '6', 0xFF, 0xFF), 0x6A88);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x01, 0x80, 0x08, '1', '2', '3', '4', '5',
		     '6', 0xFF, 0xFF), 0x6A86);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0xFF, 0x80, 0x01, 0x00), 0x6A80);
	CHECK_EQ(vcg_piv_applet_state(a)->pin_tries, 3);
	CHECK_EQ(saves, 0);
	vcg_piv_applet_free(a);
}

static void change_and_unblock(void)
{
	struct vcg_piv_applet *a = make();
	static const uint8_t change[] = {
		0x00, 0x24, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5', '6', 0xFF,
		0xFF, '8', '7', '6', '5', '4', '3', '2', '1',
	};
	static const uint8_t verify_new[] = { 0x00, 0x20, 0x00, 0x80, 0x08, '8',
					      '7', '6', '5', '4', '3', '2', '1' };
	static const uint8_t unblock[] = {
		0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5', '6', '7',
		'8', '1', '1', '1', '1', '1', '1', 0xFF, 0xFF,
	};
	static const uint8_t unblock_bad_puk[] = {
		0x00, 0x2C, 0x00, 0x80, 0x10, '0', '0', '0', '0', '0', '0', '0',
		'0', '1', '1', '1', '1', '1', '1', 0xFF, 0xFF,
	};
	static const uint8_t verify_1s[] = { 0x00, 0x20, 0x00, 0x80, 0x08, '1',
					     '1', '1', '1', '1', '1', 0xFF, 0xFF };
	static const uint8_t change_puk[] = {
		0x00, 0x24, 0x00, 0x81, 0x10, '1', '2', '3', '4', '5', '6', '7',
		'8', '2', '2', '2', '2', '2', '2', '2', '2',
	};
	static const uint8_t short_new[] = {
		0x00, 0x24, 0x00, 0x80, 0x10, '8', '7', '6', '5', '4', '3', '2',
		'1', '1', '2', '3', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	};

	CHECK_EQ(xfr(a, change, sizeof(change)), 0x9000);
	CHECK(vcg_piv_applet_state(a)->pin_len == 8 &&
	      memcmp(vcg_piv_applet_state(a)->pin, "87654321", 8) == 0);
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x63C2);
	CHECK_EQ(xfr(a, verify_new, sizeof(verify_new)), 0x9000);
	/* A new PIN of 3 characters: 6A80, nothing counted. */
	CHECK_EQ(xfr(a, short_new, sizeof(short_new)), 0x6A80);
	/* The old PIN wrong in CHANGE REFERENCE DATA counts down. */
	CHECK_EQ(xfr(a, change, sizeof(change)), 0x63C2);
	for (int i = 0; i < 2; i++)
		xfr(a, verify_wrong, sizeof(verify_wrong));
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x6983);
	/* A wrong PUK counts the PUK down; the right one unblocks. */
	CHECK_EQ(xfr(a, unblock_bad_puk, sizeof(unblock_bad_puk)), 0x63C2);
	CHECK_EQ(vcg_piv_applet_state(a)->puk_tries, 2);
	CHECK_EQ(xfr(a, unblock, sizeof(unblock)), 0x9000);
	CHECK_EQ(vcg_piv_applet_state(a)->puk_tries, 3);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	CHECK_EQ(xfr(a, verify_1s, sizeof(verify_1s)), 0x9000);
	/* The PUK changes, and the old one stops working. */
	CHECK_EQ(xfr(a, change_puk, sizeof(change_puk)), 0x9000);
	CHECK_EQ(xfr(a, unblock, sizeof(unblock)), 0x63C2);
	/* Three wrong PUKs block it for good. */
	CHECK_EQ(xfr(a, unblock, sizeof(unblock)), 0x63C1);
	CHECK_EQ(xfr(a, unblock, sizeof(unblock)), 0x63C0);
	CHECK_EQ(xfr(a, unblock, sizeof(unblock)), 0x6983);
	CHECK_EQ(XFR(a, 0x00, 0x2C, 0x00, 0x81, 0x10, '1', '2', '3', '4', '5',
		     '6', '7', '8', '1', '1', '1', '1', '1', '1', 0xFF, 0xFF),
		 0x6A88);
	vcg_piv_applet_free(a);
}

static void db_password_pin(void)
{
	static const uint8_t verify_db[] = { 0x00, 0x20, 0x00, 0x80, 0x08, 's',
					     'e', 'c', 'r', 'e', 't', '1', '2' };
	static const uint8_t unblock_other[] = {
		0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5', '6', '7',
		'8', '1', '1', '1', '1', '1', '1', 0xFF, 0xFF,
	};
	static const uint8_t unblock_db[] = {
		0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5', '6', '7',
		'8', 's', 'e', 'c', 'r', 'e', 't', '1', '2',
	};
	struct vcg_piv_applet *a;

	db_pin_mode = 1;
	a = make();
	/* The state's default 123456 is not the PIN: the db password is. */
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x63C2);
	CHECK_EQ(xfr(a, verify_db, sizeof(verify_db)), 0x9000);
	for (int i = 0; i < 3; i++)
		xfr(a, verify_wrong, sizeof(verify_wrong));
	CHECK_EQ(xfr(a, verify_db, sizeof(verify_db)), 0x6983);
	/* Unblocking must name the db password as the new PIN. */
	CHECK_EQ(xfr(a, unblock_other, sizeof(unblock_other)), 0x6A80);
	CHECK_EQ(xfr(a, unblock_db, sizeof(unblock_db)), 0x9000);
	CHECK_EQ(xfr(a, verify_db, sizeof(verify_db)), 0x9000);
	vcg_piv_applet_free(a);
	db_pin_mode = 0;
}

/* GENERAL AUTHENTICATE 00 87 alg key, 7C { 82 00, 81 n data } chained in
 * 255-byte links when longer. */
static int general_auth(struct vcg_piv_applet *a, uint8_t alg, uint8_t key,
			const uint8_t *chal, size_t n)
{
	static uint8_t body[1200];
	struct vcg_piv_buf b;
	size_t off = 0;
	int s = -1;

	vcg_piv_buf_init(&b, body, sizeof(body));
	vcg_piv_put_header(&b, 0x7C, 2 + vcg_piv_header_size(0x81, n) + n);
	vcg_piv_put_tlv(&b, 0x82, NULL, 0);
	vcg_piv_put_tlv(&b, 0x81, chal, n);
	while (off < b.len) {
		uint8_t cmd[5 + 255 + 1];
		size_t k = b.len - off > 255 ? 255 : b.len - off;
		bool last = off + k == b.len;

		cmd[0] = last ? 0x00 : 0x10;
		cmd[1] = 0x87;
		cmd[2] = alg;
		cmd[3] = key;
		cmd[4] = (uint8_t)k;
		memcpy(cmd + 5, body + off, k);
		cmd[5 + k] = 0x00;
		s = xfr(a, cmd, 5 + k + (last ? 1 : 0));
		off += k;
		if (!last && s != 0x9000)
			return s;
	}
	return s;
}

static void general_authenticate(void)
{
	struct vcg_piv_applet *a = make();
	uint8_t chal[256], all[600];
	struct vcg_piv_tlv t, r;
	size_t n;

	for (size_t i = 0; i < sizeof(chal); i++)
		chal[i] = (uint8_t)i;
	/* 9A before VERIFY: 6982, and the key is not touched. */
	CHECK_EQ(general_auth(a, 0x07, 0x9A, chal, 256), 0x6982);
	CHECK_EQ(sign_calls, 0);
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x9000);
	/* 9A: 7C 82 01 04 82 82 01 00 <256> → 61 xx, then the rest. */
	CHECK_EQ(general_auth(a, 0x07, 0x9A, chal, 256) >> 8, 0x61);
	memcpy(all, out, out_len - 2);
	n = out_len - 2;
	{
		int s = XFR(a, 0x00, 0xC0, 0x00, 0x00, (uint8_t)(out[out_len - 1]));

		CHECK_EQ(s, 0x9000);
		memcpy(all + n, out, out_len - 2);
		n += out_len - 2;
	}
	CHECK_EQ(vcg_piv_tlv_parse(all, n, &t), n);
	CHECK_EQ(t.tag, 0x7C);
	CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0x82, &r), 1);
	CHECK_EQ(r.len, 256);
	CHECK(r.val[0] == 255 && r.val[255] == 0);
	/* Once per session: a second 9A signature needs no new VERIFY. */
	CHECK_EQ(general_auth(a, 0x07, 0x9A, chal, 256) >> 8, 0x61);
	/* 9C: PIN always. The VERIFY above was used by nothing 9C yet. */
	CHECK_EQ(general_auth(a, 0x06, 0x9C, chal, 128), 0x9000);
	CHECK_EQ(out_len, 3 + 3 + 128 + 2);
	CHECK_EQ(general_auth(a, 0x06, 0x9C, chal, 128), 0x6982);
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x9000);
	CHECK_EQ(general_auth(a, 0x06, 0x9C, chal, 128), 0x9000);
	/* 9D ECDSA P-256 on a 32-byte digest. */
	CHECK_EQ(general_auth(a, 0x11, 0x9D, chal, 32), 0x9000);
	CHECK_EQ(out_len, 2 + 2 + 2 + 32);
	/* 9E: no PIN, even after a reset. */
	vcg_piv_applet_reset(a);
	CHECK_EQ(general_auth(a, 0x14, 0x9E, chal, 48), 0x9000);
	CHECK_EQ(general_auth(a, 0x11, 0x9D, chal, 32), 0x6982);
	vcg_piv_applet_free(a);
}

static void general_authenticate_refused(void)
{
	struct vcg_piv_applet *a = make();
	uint8_t chal[256] = { 0 };

	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x9000);
	/* Algorithm not the key's, unknown keys, the management key. */
	CHECK_EQ(general_auth(a, 0x11, 0x9A, chal, 32), 0x6A86);
	CHECK_EQ(general_auth(a, 0x07, 0x9B, chal, 256), 0x6A86);  /* 9B is 3DES */
	CHECK_EQ(general_auth(a, 0x07, 0x82, chal, 256), 0x6A86);
	/* RSA input not the modulus size; ECDSA digest too long. */
	CHECK_EQ(general_auth(a, 0x07, 0x9A, chal, 255), 0x6A80);
	CHECK_EQ(general_auth(a, 0x11, 0x9D, chal, 65), 0x6A80);
	CHECK_EQ(sign_calls, 0);
	/* Templates: not 7C; 82 missing; 82 not empty; both 81 and 85;
	 * an inner length past the template; ECDH on an RSA key; a
	 * compressed point. */
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x11, 0x9D, 0x04, 0x7D, 0x02, 0x82, 0x00),
		 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x11, 0x9D, 0x05, 0x7C, 0x03, 0x81, 0x01,
		     0xAA), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x11, 0x9D, 0x08, 0x7C, 0x06, 0x82, 0x01,
		     0x00, 0x81, 0x01, 0xAA), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x11, 0x9D, 0x0A, 0x7C, 0x08, 0x82, 0x00,
		     0x81, 0x01, 0xAA, 0x85, 0x01, 0x04), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x11, 0x9D, 0x07, 0x7C, 0x05, 0x82, 0x00,
		     0x81, 0x09, 0xAA), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x11, 0x9D, 0x07, 0x7C, 0x09, 0x82, 0x00,
		     0x81, 0x01, 0xAA), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x07, 0x9A, 0x07, 0x7C, 0x05, 0x82, 0x00,
		     0x85, 0x01, 0x04), 0x6A80);
	{
		uint8_t cmd[5 + 4 + 2 + 65];

		memcpy(cmd, (const uint8_t[]){ 0x00, 0x87, 0x11, 0x9D, 4 + 2 + 65,
					       0x7C, 2 + 2 + 65, 0x82, 0x00,
					       0x85, 65 }, 11);
		memset(cmd + 11, 0x11, 65);
		cmd[11] = 0x02;   /* not 04: refused */
		CHECK_EQ(xfr(a, cmd, sizeof(cmd)), 0x6A80);
		cmd[11] = 0x04;
		CHECK_EQ(xfr(a, cmd, sizeof(cmd)), 0x9000);
		CHECK_EQ(out_len, 2 + 2 + 2 + 32);
		CHECK_EQ(out[0], 0x7C);
	}
	CHECK_EQ(sign_calls, 0);
	vcg_piv_applet_free(a);
}

static void chaining(void)
{
	struct vcg_piv_applet *a = make();

	/* VERIFY in two links. */
	CHECK_EQ(XFR(a, 0x10, 0x20, 0x00, 0x80, 0x04, '1', '2', '3', '4'),
		 0x9000);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80, 0x04, '5', '6', 0xFF, 0xFF),
		 0x9000);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80), 0x9000);
	/* A chain broken by another command is dropped: the next link
	 * stands alone (4 bytes: 6A80). */
	CHECK_EQ(XFR(a, 0x10, 0x20, 0x00, 0x80, 0x04, '1', '2', '3', '4'),
		 0x9000);
	CHECK_EQ(XFR(a, 0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00),
		 0x9000);
	CHECK_EQ(XFR(a, 0x00, 0x20, 0x00, 0x80, 0x04, '5', '6', 0xFF, 0xFF),
		 0x6A80);
	/* More than VCG_PIV_CHAIN_MAX bytes: 6A84. */
	{
		uint8_t link[5 + 255];
		int s = 0x9000;

		memset(link, 0x41, sizeof(link));
		memcpy(link, (const uint8_t[]){ 0x10, 0x87, 0x07, 0x9A, 0xFF }, 5);
		for (int i = 0; i < VCG_PIV_CHAIN_MAX / 255 + 2 && s == 0x9000; i++)
			s = xfr(a, link, sizeof(link));
		CHECK_EQ(s, 0x6A84);
	}
	vcg_piv_applet_free(a);
}

static void get_challenge(void)
{
	struct vcg_piv_applet *a = make();

	CHECK_EQ(XFR(a, 0x00, 0x84, 0x00, 0x00, 0x08), 0x9000);
	CHECK_EQ(out_len, 10);
	CHECK_EQ(out[7], 7);
	CHECK_EQ(XFR(a, 0x00, 0x84, 0x00, 0x00, 0x00), 0x9000);
	CHECK_EQ(out_len, 258);
	CHECK_EQ(XFR(a, 0x00, 0x84, 0x01, 0x00, 0x08), 0x6A86);
	vcg_piv_applet_free(a);
}

static const uint8_t default_mgm[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

/* The two-step mutual authentication with key (bs-byte blocks); the
 * witness decrypted with `host_key`. SW of the second step. */
static int mgm_auth(struct vcg_piv_applet *a, uint8_t alg, size_t bs,
		    const uint8_t *host_key, size_t klen)
{
	uint8_t cmd[5 + 4 + 2 * 16 + 4];
	uint8_t w[16];
	int s;

	s = XFR(a, 0x00, 0x87, alg, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x00);
	if (s != 0x9000)
		return s;
	/* 7C L 80 bs E(W) */
	if (out_len != 4 + bs + 2 || out[0] != 0x7C || out[2] != 0x80 ||
	    out[3] != bs)
		return -1;
	for (size_t i = 0; i < bs; i++)
		w[i] = (uint8_t)(out[4 + i] ^ host_key[i % klen]);
	memcpy(cmd, (const uint8_t[]){ 0x00, 0x87, alg, 0x9B,
				       (uint8_t)(2 + 2 * (2 + bs)), 0x7C,
				       (uint8_t)(2 * (2 + bs)), 0x80,
				       (uint8_t)bs }, 9);
	memcpy(cmd + 9, w, bs);
	cmd[9 + bs] = 0x81;
	cmd[10 + bs] = (uint8_t)bs;
	memset(cmd + 11 + bs, 0xC3, bs);
	s = xfr(a, cmd, 11 + 2 * bs);
	if (s == 0x9000 && (out_len != 4 + bs + 2 || out[2] != 0x82 ||
			    out[4] != (0xC3 ^ host_key[0])))
		return -1;
	return s;
}

static void management_key(void)
{
	struct vcg_piv_applet *a = make();
	uint8_t aes[24];
	uint8_t set[5 + 3 + 24];

	for (size_t i = 0; i < sizeof(aes); i++)
		aes[i] = (uint8_t)(0x40 + i);
	memcpy(set, (const uint8_t[]){ 0x00, 0xFF, 0xFF, 0xFF, 27, 0x0A, 0x9B,
				       24 }, 8);
	memcpy(set + 8, aes, 24);
	/* SET MANAGEMENT KEY needs the management key first. */
	CHECK_EQ(xfr(a, set, sizeof(set)), 0x6982);
	CHECK_EQ(mgm_auth(a, 0x03, 8, default_mgm, 24), 0x9000);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_tries, VCG_PIV_MGM_TRIES);
	/* Step 2 without a fresh step 1: refused and counted. */
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x03, 0x9B, 0x16, 0x7C, 0x14, 0x80, 0x08,
		     0, 1, 2, 3, 4, 5, 6, 7, 0x81, 0x08, 1, 1, 1, 1, 1, 1, 1, 1),
		 0x6982);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_tries, VCG_PIV_MGM_TRIES - 1);
	CHECK_EQ(mgm_auth(a, 0x03, 8, default_mgm, 24), 0x9000);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_tries, VCG_PIV_MGM_TRIES);
	saves = 0;
	CHECK_EQ(xfr(a, set, sizeof(set)), 0x9000);
	CHECK_EQ(saves, 1);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_alg, 0x0A);
	/* Now AES-192: 3DES is the wrong algorithm, the old key fails. */
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x00),
		 0x6A86);
	CHECK_EQ(mgm_auth(a, 0x0A, 16, aes, 24), 0x9000);
	/* A reset ends the authentication. */
	vcg_piv_applet_reset(a);
	CHECK_EQ(xfr(a, set, sizeof(set)), 0x6982);
	/* Malformed SET MANAGEMENT KEY: key length not the algorithm's. */
	CHECK_EQ(mgm_auth(a, 0x0A, 16, aes, 24), 0x9000);
	set[7] = 16;
	CHECK_EQ(xfr(a, set, sizeof(set)), 0x6A80);
	/* The wrong key VCG_PIV_MGM_TRIES times: blocked for good. */
	for (int i = 1; i < VCG_PIV_MGM_TRIES; i++)
		CHECK_EQ(mgm_auth(a, 0x0A, 16, default_mgm, 24), 0x6982);
	CHECK_EQ(mgm_auth(a, 0x0A, 16, default_mgm, 24), 0x6983);
	CHECK_EQ(mgm_auth(a, 0x0A, 16, aes, 24), 0x6983);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_tries, 0);
	/* Blocked: OpenSC's GET CHALLENGE (7C { 81 00 }, algorithm 00)
	 * still gives randomness. */
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x00, 0x9B, 0x04, 0x7C, 0x02, 0x81, 0x00),
		 0x9000);
	CHECK(out_len == 4 + 16 + 2 && out[0] == 0x7C && out[2] == 0x81 &&
	      out[3] == 16);
	/* Templates: 80 with a wrong length, nothing usable. */
	vcg_piv_applet_free(a);
	a = make();
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x03, 0x9B, 0x05, 0x7C, 0x03, 0x80, 0x01,
		     0x00), 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x83, 0x00),
		 0x6A80);
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x05),
		 0x6A80);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_tries, VCG_PIV_MGM_TRIES);
	vcg_piv_applet_free(a);
}

static void management_key_one_way(void)
{
	struct vcg_piv_applet *a = make();
	static const uint8_t put_chuid[] = {
		0x00, 0xDB, 0x3F, 0xFF, 0x07, 0x5C, 0x03, 0x5F, 0xC1, 0x02,
		0x53, 0x00,
	};
	uint8_t resp[5 + 4 + 8] = { 0x00, 0x87, 0x03, 0x9B, 0x0C, 0x7C, 0x0A,
				    0x82, 0x08 };

	/* 7C { 81 00 }: an 8-byte challenge (3DES block). */
	CHECK_EQ(XFR(a, 0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x81, 0x00),
		 0x9000);
	CHECK(out_len == 4 + 8 + 2 && out[2] == 0x81 && out[3] == 8);
	for (int i = 0; i < 8; i++)
		resp[9 + i] = (uint8_t)(out[4 + i] ^ default_mgm[i]);
	CHECK_EQ(xfr(a, resp, sizeof(resp)), 0x9000);
	CHECK_EQ(xfr(a, put_chuid, sizeof(put_chuid)), 0x9000);
	/* Replayed: no challenge pending any more, counted. */
	CHECK_EQ(xfr(a, resp, sizeof(resp)), 0x6982);
	CHECK_EQ(vcg_piv_applet_state(a)->mgm_tries, VCG_PIV_MGM_TRIES - 1);
	CHECK_EQ(xfr(a, put_chuid, sizeof(put_chuid)), 0x6982);
	vcg_piv_applet_free(a);
}

static void put_data_and_generate(void)
{
	struct vcg_piv_applet *a = make();
	static const uint8_t put_chuid[] = {
		0x00, 0xDB, 0x3F, 0xFF, 0x0C, 0x5C, 0x03, 0x5F, 0xC1, 0x02,
		0x53, 0x05, 0x34, 0x03, 0xAA, 0xBB, 0xCC,
	};
	static const uint8_t put_cert[] = {
		0x00, 0xDB, 0x3F, 0xFF, 0x10, 0x5C, 0x03, 0x5F, 0xC1, 0x05,
		0x53, 0x09, 0x70, 0x02, 0x30, 0x00, 0x71, 0x01, 0x00, 0xFE, 0x00,
	};
	static const uint8_t gen_p384[] = { 0x00, 0x47, 0x00, 0x9D, 0x05, 0xAC,
					    0x03, 0x80, 0x01, 0x14 };
	uint8_t data[64];
	size_t n;

	/* Both need the management key. */
	CHECK_EQ(xfr(a, put_chuid, sizeof(put_chuid)), 0x6982);
	CHECK_EQ(xfr(a, gen_p384, sizeof(gen_p384)), 0x6982);
	CHECK_EQ(mgm_auth(a, 0x03, 8, default_mgm, 24), 0x9000);
	/* CHUID replaced: GET DATA gives exactly what PUT DATA put. */
	CHECK_EQ(xfr(a, put_chuid, sizeof(put_chuid)), 0x9000);
	CHECK_EQ(get_data(a, VCG_PIV_TAG_CHUID, data, sizeof(data), &n), 0x9000);
	CHECK_EQ(n, 7);
	CHECK_MEM(data, put_chuid + 10, 7);
	/* A certificate: through put_cert, its algorithm taken. */
	put_cert_calls = 0;
	CHECK_EQ(xfr(a, put_cert, sizeof(put_cert)), 0x9000);
	CHECK_EQ(put_cert_calls, 1);
	CHECK_EQ(get_data(a, VCG_PIV_TAG_CERT_9A, data, sizeof(data), &n), 0x9000);
	CHECK_EQ(n, 11);
	/* 9A is now P-256 (the fake put_cert says so). */
	CHECK_EQ(xfr(a, verify_right, sizeof(verify_right)), 0x9000);
	{
		uint8_t chal[256] = { 0 };

		CHECK_EQ(general_auth(a, 0x11, 0x9A, chal, 32), 0x9000);
		CHECK_EQ(general_auth(a, 0x07, 0x9A, chal, 256), 0x6A86);
	}
	/* GENERATE: 7F49 { 86 point }, and 9D is P-384 from now on. */
	CHECK_EQ(xfr(a, gen_p384, sizeof(gen_p384)), 0x9000);
	CHECK(out_len == 3 + 67 + 2 && out[0] == 0x7F && out[1] == 0x49 &&
	      out[2] == 67 && out[3] == 0x86);
	{
		uint8_t chal[48] = { 0 };

		CHECK_EQ(general_auth(a, 0x14, 0x9D, chal, 48), 0x9000);
	}
	/* Malformed: no 53, bytes after it, a tag PUT DATA may not write,
	 * a compressed certificate, a certificate put_cert refuses; GENERATE
	 * of an unknown algorithm or key, without AC. */
	{
		static const struct {
			const char *name;
			uint8_t apdu[24];
			size_t len;
			int sw;
		} cases[] = {
			{ "no 53", { 0x00, 0xDB, 0x3F, 0xFF, 0x07, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x54, 0x00 }, 12, 0x6A80 },
			{ "bytes after 53", { 0x00, 0xDB, 0x3F, 0xFF, 0x08, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x53, 0x00, 0x00 }, 13, 0x6A80 },
			{ "discovery not writable", { 0x00, 0xDB, 0x3F, 0xFF, 0x05, 0x5C, 0x01, 0x7E, 0x53, 0x00 }, 10, 0x6A80 },
			{ "53 length past data", { 0x00, 0xDB, 0x3F, 0xFF, 0x07, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x53, 0x05 }, 12, 0x6A80 },
			{ "compressed cert", { 0x00, 0xDB, 0x3F, 0xFF, 0x0E, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x53, 0x07, 0x70, 0x02, 0x30, 0x00, 0x71, 0x01, 0x01 }, 19, 0x6A80 },
			{ "cert without 70", { 0x00, 0xDB, 0x3F, 0xFF, 0x0A, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x53, 0x03, 0x71, 0x01, 0x00 }, 15, 0x6A80 },
			{ "not a cert", { 0x00, 0xDB, 0x3F, 0xFF, 0x0B, 0x5C, 0x03, 0x5F, 0xC1, 0x0A, 0x53, 0x04, 0x70, 0x02, 0x31, 0x00 }, 16, 0x6A80 },
			{ "P1P2", { 0x00, 0xDB, 0x3F, 0xFE, 0x05, 0x5C, 0x01, 0x7E, 0x53, 0x00 }, 10, 0x6A86 },
			{ "gen alg 0x15", { 0x00, 0x47, 0x00, 0x9A, 0x05, 0xAC, 0x03, 0x80, 0x01, 0x15 }, 10, 0x6A80 },
			{ "gen key 9B", { 0x00, 0x47, 0x00, 0x9B, 0x05, 0xAC, 0x03, 0x80, 0x01, 0x11 }, 10, 0x6A86 },
			{ "gen no AC", { 0x00, 0x47, 0x00, 0x9A, 0x03, 0x80, 0x01, 0x11 }, 8, 0x6A80 },
			{ "gen AC cut", { 0x00, 0x47, 0x00, 0x9A, 0x05, 0xAC, 0x04, 0x80, 0x01, 0x11 }, 10, 0x6A80 },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			int s = xfr(a, cases[i].apdu, cases[i].len);

			if (s != cases[i].sw)
				fprintf(stderr, "  case '%s': %04X\n", cases[i].name, s);
			CHECK_EQ(s, cases[i].sw);
		}
	}
	/* After a reset the management key is needed again. */
	vcg_piv_applet_reset(a);
	CHECK_EQ(xfr(a, put_chuid, sizeof(put_chuid)), 0x6982);
	vcg_piv_applet_free(a);
}

static void metadata(void)
{
	struct vcg_piv_applet *a = make();
	static const uint8_t want_9c[] = { 0x01, 0x01, 0x06, 0x02, 0x02, 0x03,
					   0x01, 0x03, 0x01, 0x02, 0x04, 0x04,
					   0x86, 0x02, 0x04, 0x01 };
	static const uint8_t want_9d_origin[] = { 0x03, 0x01, 0x01 };
	static const uint8_t want_9b[] = { 0x01, 0x01, 0x03, 0x02, 0x02, 0x00,
					   0x01, 0x05, 0x01, 0x01 };
	static const uint8_t want_80[] = { 0x01, 0x01, 0xFF, 0x05, 0x01, 0x01,
					   0x06, 0x02, 0x03, 0x02 };

	/* 9C: RSA 1024 here, PIN always, touch never, imported, its key. */
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x9C, 0x00), 0x9000);
	CHECK_EQ(out_len, sizeof(want_9c) + 2);
	CHECK_MEM(out, want_9c, sizeof(want_9c));
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x9D, 0x00), 0x9000);
	CHECK_MEM(out + 7, want_9d_origin, 3);
	CHECK_EQ(out[5], 2);                   /* 9D: PIN once */
	/* 9E: an algorithm but no key: 6A88, as an empty slot. */
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x9E, 0x00), 0x6A88);
	/* 9B: 3DES, the default key. */
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x9B, 0x00), 0x9000);
	CHECK_MEM(out, want_9b, sizeof(want_9b));
	/* The PIN: default 123456, 3 of 3 tries, then 2 of 3. */
	CHECK_EQ(xfr(a, verify_wrong, sizeof(verify_wrong)), 0x63C2);
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x80, 0x00), 0x9000);
	CHECK_MEM(out, want_80, sizeof(want_80));
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x81, 0x00), 0x9000);
	CHECK_EQ(out[9], 3);
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x00, 0x82, 0x00), 0x6A88);
	CHECK_EQ(XFR(a, 0x00, 0xF7, 0x01, 0x9A, 0x00), 0x6A86);
	vcg_piv_applet_free(a);
}

static void yubico_version_serial(void)
{
	struct vcg_piv_applet *a = make();

	CHECK_EQ(XFR(a, 0x00, 0xFD, 0x00, 0x00), 0x9000);
	CHECK(out_len == 5 && out[0] == 5 && out[1] == 7 && out[2] == 0);
	CHECK_EQ(XFR(a, 0x00, 0xF8, 0x00, 0x00, 0x00), 0x9000);
	CHECK(out_len == 6 && out[0] == 1 && out[3] == 4);
	CHECK_EQ(XFR(a, 0x00, 0xFD, 0x01, 0x00), 0x6A86);
	vcg_piv_applet_free(a);
}

int main(void)
{
	RUN(select_apt);
	RUN(get_data_objects);
	RUN(get_data_extended);
	RUN(get_data_malformed);
	RUN(verify_counts);
	RUN(verify_malformed);
	RUN(change_and_unblock);
	RUN(db_password_pin);
	RUN(general_authenticate);
	RUN(general_authenticate_refused);
	RUN(chaining);
	RUN(get_challenge);
	RUN(yubico_version_serial);
	RUN(management_key);
	RUN(metadata);
	RUN(management_key_one_way);
	RUN(put_data_and_generate);
	TAP_EXIT();
}
