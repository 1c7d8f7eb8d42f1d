/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the PIV card edge (vcard-glue/emulated/vcg_piv_*.c) on a fake key
 * store: the input is a sequence of records [flags][len hi][len lo][len
 * bytes of APDU]; each APDU goes through the cac+piv router (flags & 1:
 * straight to the applet), flags & 2 resets the card first, and a router
 * answer of 0 ("libcacard's") is observed as 9000 or 6A82 (flags & 4).
 * The fake PIN is 123456 (state), the fake key operation echoes.
 *
 * Oracles besides "no crash, no sanitizer report": every answer is
 * 2..65538 bytes and ends in a status word the applet's header lists;
 * a 61xx answer carries data; the retry counters never exceed 3. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "vcg_piv_router.h"

#define FAIL() __builtin_trap()

static int fake_check(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	return n == 6 && memcmp(p, "654321", 6) == 0;
}

static int fake_change(void *ctx, const uint8_t *o, size_t on,
		       const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)o;
	(void)on;
	(void)p;
	(void)n;
	return 0;
}

static int fake_random(void *ctx, uint8_t *o, size_t n)
{
	(void)ctx;
	memset(o, 0xA5, n);
	return 0;
}

static int fake_sign(void *ctx, int key, const uint8_t *in, size_t len,
		     uint8_t *o, size_t cap, size_t *olen)
{
	(void)ctx;
	(void)key;
	if (len > cap)
		return -1;
	memcpy(o, in, len);
	*olen = len;
	return 0;
}

static int fake_ecdh(void *ctx, int key, const uint8_t *p, size_t len,
		     uint8_t *o, size_t cap, size_t *olen)
{
	(void)ctx;
	(void)key;
	(void)p;
	if (len / 2 > cap)
		return -1;
	memset(o, 0x11, len / 2);
	*olen = len / 2;
	return 0;
}

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

static int sw_known(unsigned sw)
{
	static const unsigned known[] = {
		0x9000, 0x6700, 0x6A80, 0x6A86, 0x6A82, 0x6A88, 0x6982, 0x6983,
		0x6985, 0x6D00, 0x6E00, 0x6A84, 0x6F00, 0x6882, 0x6A81,
	};

	if ((sw & 0xFF00) == 0x6100 || (sw & 0xFFF0) == 0x63C0)
		return 1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (sw == known[i])
			return 1;
	return 0;
}

static struct vcg_piv_applet *applet_with(int db_password)
{
	static const uint8_t alg[VCG_PIV_NKEYS] = {
		VCG_PIV_ALG_RSA2048, VCG_PIV_ALG_RSA1024, VCG_PIV_ALG_P256,
		VCG_PIV_ALG_P384,
	};
	static uint8_t cert[1500];
	static const uint8_t guid[16] = { 7 };
	const uint8_t *der[VCG_PIV_NKEYS] = { cert, cert, cert, NULL };
	size_t len[VCG_PIV_NKEYS] = { 1500, 200, 10, 0 };
	struct vcg_piv_ops ops = {
		.pin_is_db_password = db_password != 0,
		.check_pin = fake_check,
		.change_pin = fake_change,
		.random = fake_random,
		.sign = fake_sign,
		.ecdh = fake_ecdh,
		.cipher = fake_cipher,
	};
	struct vcg_piv_state st;
	static bool filled; /* the same bytes every time: filled once */

	for (size_t i = 0; !filled && i < sizeof(cert); i++)
		cert[i] = (uint8_t)i;
	filled = true;
	vcg_piv_state_defaults(&st);
	return vcg_piv_applet_new(&ops, alg, vcg_piv_objects_new(guid, der, len),
				  &st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t answers[2][2] = { { 0x90, 0x00 }, { 0x6A, 0x82 } };
	static uint8_t out[VCG_PIV_OUT_MAX];
	struct vcg_piv_applet *solo;
	struct vcg_piv_router *r;
	size_t i = 1;

	if (size < 1)
		return 0;
	solo = applet_with(data[0] & 1);
	r = vcg_piv_router_new(VCG_PIV_CAC_PIV, applet_with(data[0] & 2),
			       fake_random, NULL);
	if (solo == NULL || r == NULL)
		goto out;
	while (i + 3 <= size) {
		uint8_t flags = data[i];
		size_t len = (size_t)data[i + 1] << 8 | data[i + 2], n;
		const uint8_t *apdu = data + i + 3;

		if (len > size - i - 3)
			len = size - i - 3;
		i += 3 + len;
		if (flags & 2) {
			vcg_piv_router_reset(r);
			vcg_piv_applet_reset(solo);
		}
		if (flags & 1) {
			n = vcg_piv_applet_process(solo, apdu, len, out, sizeof(out));
		} else {
			n = vcg_piv_router_answer(r, apdu, len, out, sizeof(out));
			if (n == 0) {
				vcg_piv_router_observe(r, apdu, len,
						       answers[(flags >> 2) & 1], 2);
				continue;
			}
		}
		if (n < 2 || n > VCG_PIV_OUT_MAX)
			FAIL();
		if (!sw_known((unsigned)(out[n - 2] << 8 | out[n - 1])))
			FAIL();
		if (out[n - 2] == 0x61 && n == 2)
			FAIL();
		if (vcg_piv_applet_state(solo)->pin_tries > 3 ||
		    vcg_piv_applet_state(solo)->puk_tries > 3 ||
		    vcg_piv_applet_state(solo)->mgm_tries > VCG_PIV_MGM_TRIES ||
		    vcg_piv_mgm_key_len(vcg_piv_applet_state(solo)->mgm_alg) !=
			    vcg_piv_applet_state(solo)->mgm_key_len)
			FAIL();
	}
out:
	vcg_piv_applet_free(solo);
	vcg_piv_router_free(r);
	return 0;
}
