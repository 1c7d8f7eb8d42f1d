/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card edge on the emulated card, end to end through the CCID
 * engine and libcacard's NSS (emul_bed.h), on the fake smart card's dbs
 * plus an EC P-256 certificate made here as cert4 (9E):
 *  - the certificates read with GET DATA are byte-identical to the db's
 *    DER files; CHUID's GUID is the same on two cards from the same db;
 *  - 9A signs (RSA raw) after VERIFY and the signature checks with the
 *    certificate's public key; 9C needs a VERIFY before each signature;
 *  - 9E signs ECDSA with no PIN (checked with NSS's verifier) and derives
 *    ECDH equal to what NSS derives on the other side;
 *  - the PIN of a password db is the db password, and a wrong PIN's count
 *    survives a new card (a daemon restart) through the state file;
 *  - CAC's VERIFY counts against the same counter (personality=cac
 *    too), blocked stays blocked across a restart, the PUK unblocks;
 *  - CAC keeps working on the cac+piv card after PIV was selected, and
 *    personality=cac leaves SELECT PIV to libcacard;
 *  - GET CHALLENGE answers on both personalities;
 *  - GENERATE / PUT DATA after the management key (3DES, checked against
 *    NSS), their results surviving a restart;
 *  - replays of Windows' discovery sequence and macOS's PIV token use,
 *    from the vendors' documents (cited at each case), 9D decrypting.
 * One process per case (libcacard initialises once per process). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cert.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <pk11pub.h>

#include "emul_bed.h"
#include "tap.h"
#include "vcg_card.h"
#include "vcg_piv_atr.h"
#include "vcg_piv_tlv.h"

static struct emul_dbs dbs;
static char state_dir[64];
static char prov_db[80];          /* a db of its own for provisioning */
static char spare_der[96];        /* a self-signed certificate, DER */
static int have_ec;               /* cert4 "ec-cert" made in dbs.nopin */

static const uint8_t select_piv[] = { 0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00,
				      0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00,
				      0x00 };

static void spec_for(char *out, size_t cap, const char *db, const char *extra)
{
	emul_spec_for(out, cap, db, emul_nicks[0], emul_nicks[1], emul_nicks[2]);
	snprintf(out + strlen(out), cap - strlen(out), ",state-dir=%s%s%s",
		 state_dir, extra[0] ? "," : "", extra);
}

static struct emul_bed *open_card(const char *db, const char *extra)
{
	char spec[PATH_MAX + 256];
	struct emul_bed *b = calloc(1, sizeof(*b));

	spec_for(spec, sizeof(spec), db, extra);
	if (b == NULL || bed_open(b, spec, NULL) < 0 || bed_power_on(b, 0) < 0) {
		fprintf(stderr, "  cannot open '%s'\n", spec);
		CHECK(0);
		if (b != NULL)
			bed_close(b);
		free(b);
		return NULL;
	}
	return b;
}

static void close_card(struct emul_bed *b)
{
	bed_close(b);
	free(b);
}

static int apdu(struct emul_bed *b, const uint8_t *cmd, size_t len,
		uint8_t *out, size_t cap, size_t *n)
{
	return bed_apdu(b, cmd, len, out, cap, n);
}

#define APDU(b, ...) apdu(b, (const uint8_t[]){ __VA_ARGS__ }, \
			  sizeof((const uint8_t[]){ __VA_ARGS__ }), NULL, 0, NULL)

/* The 70 element of a certificate object; its length, 0 if none. */
static size_t get_cert(struct emul_bed *b, uint32_t tag, uint8_t *der,
		       size_t cap)
{
	static uint8_t obj[8192];
	uint8_t cmd[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03,
			  (uint8_t)(tag >> 16), (uint8_t)(tag >> 8),
			  (uint8_t)tag, 0x00 };
	struct vcg_piv_tlv t, c;
	size_t n = 0;

	if (apdu(b, cmd, sizeof(cmd), obj, sizeof(obj), &n) != 0x9000 ||
	    vcg_piv_tlv_parse(obj, n, &t) != n || t.tag != 0x53 ||
	    vcg_piv_tlv_find(t.val, t.len, 0x70, &c) != 1 || c.len > cap)
		return 0;
	memcpy(der, c.val, c.len);
	return c.len;
}

/* PIV VERIFY: key reference 80, the PIN padded with FF to 8 bytes. */
static int verify(struct emul_bed *b, const char *pin)
{
	uint8_t v[13] = { 0x00, 0x20, 0x00, 0x80, 0x08 };

	memset(v + 5, 0xFF, 8);
	memcpy(v + 5, pin, strlen(pin));
	return apdu(b, v, sizeof(v), NULL, 0, NULL);
}

/* GENERAL AUTHENTICATE of `in` with key `key` (chained 255-byte links);
 * the 82 result into res. SW. */
static int general_auth(struct emul_bed *b, uint8_t alg, uint8_t key,
			uint8_t inner_tag, const uint8_t *in, size_t n,
			uint8_t *res, size_t cap, size_t *res_len)
{
	static uint8_t body[1024], ans[1024];
	struct vcg_piv_tlv t, r;
	struct vcg_piv_buf w;
	size_t off = 0, got = 0;
	int s = -1;

	vcg_piv_buf_init(&w, body, sizeof(body));
	vcg_piv_put_header(&w, 0x7C, 2 + vcg_piv_header_size(inner_tag, n) + n);
	vcg_piv_put_tlv(&w, 0x82, NULL, 0);
	vcg_piv_put_tlv(&w, inner_tag, in, n);
	while (off < w.len) {
		uint8_t cmd[5 + 255 + 1];
		size_t k = w.len - off > 255 ? 255 : w.len - off;
		bool last = off + k == w.len;

		memcpy(cmd, (const uint8_t[]){ last ? 0x00 : 0x10, 0x87, alg, key,
					       (uint8_t)k }, 5);
		memcpy(cmd + 5, body + off, k);
		cmd[5 + k] = 0x00;
		s = apdu(b, cmd, 5 + k + (last ? 1 : 0), ans, sizeof(ans), &got);
		off += k;
		if (s != 0x9000)
			return s;
	}
	if (vcg_piv_tlv_parse(ans, got, &t) != got || t.tag != 0x7C ||
	    vcg_piv_tlv_find(t.val, t.len, 0x82, &r) != 1 || r.len > cap)
		return -1;
	memcpy(res, r.val, r.len);
	*res_len = r.len;
	return s;
}

static SECKEYPublicKey *pub_of(const uint8_t *der, size_t len)
{
	CERTCertificate *cert = CERT_DecodeCertFromPackage((char *)der, (int)len);
	SECKEYPublicKey *pub;

	if (cert == NULL)
		return NULL;
	pub = CERT_ExtractPublicKey(cert);
	CERT_DestroyCertificate(cert);
	return pub;
}

/* A PKCS#1 v1.5 type 1 block of 256 bytes. */
static void pkcs1_block(uint8_t *block)
{
	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xFF, 256 - 2 - 1 - 20);
	block[256 - 21] = 0x00;
	for (int k = 0; k < 20; k++)
		block[256 - 20 + k] = (uint8_t)(0xB0 + k);
}

/* RSA signature s of `block` by certificate i: s^e mod n == block. */
static int rsa_checks(const char *db, int i, const uint8_t *sig, size_t n,
		      const uint8_t *block)
{
	static uint8_t der[4096];
	uint8_t raw[256];
	size_t dn = emul_read_file(db, emul_der_names[i], der, sizeof(der));
	SECKEYPublicKey *pub = pub_of(der, dn);
	int ok;

	if (pub == NULL || n != 256)
		return 0;
	ok = PK11_PubEncryptRaw(pub, raw, (unsigned char *)sig, 256, NULL) ==
		     SECSuccess &&
	     memcmp(raw, block, 256) == 0;
	SECKEY_DestroyPublicKey(pub);
	return ok;
}

/* 3DES-ECB with the default management key, through NSS; decrypt or
 * encrypt one block. 0 or -1. */
static int des3(CK_ATTRIBUTE_TYPE op, const uint8_t *in, uint8_t *outb)
{
	static const uint8_t key[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5,
					 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	SECItem k = { siBuffer, (unsigned char *)key, 24 }, none = { siBuffer, NULL, 0 };
	PK11SlotInfo *slot = PK11_GetBestSlot(CKM_DES3_ECB, NULL);
	PK11SymKey *sym = slot ? PK11_ImportSymKey(slot, CKM_DES3_ECB,
						   PK11_OriginUnwrap, op, &k,
						   NULL) : NULL;
	PK11Context *cx = sym ? PK11_CreateContextBySymKey(CKM_DES3_ECB, op, sym,
							   &none) : NULL;
	int n = 0, rc = -1;

	if (cx != NULL && PK11_CipherOp(cx, outb, &n, 8, in, 8) == SECSuccess &&
	    n == 8)
		rc = 0;
	if (cx != NULL)
		PK11_DestroyContext(cx, PR_TRUE);
	if (sym != NULL)
		PK11_FreeSymKey(sym);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	return rc;
}

/* ---- cases ---- */

static void management_key_3des(void)
{
	struct emul_bed *b = open_card(dbs.nopin, "");
	uint8_t ans[64], w[8], chal[8] = { 9, 8, 7, 6, 5, 4, 3, 2 }, e[8];
	uint8_t step2[5 + 22] = { 0x00, 0x87, 0x03, 0x9B, 22, 0x7C, 20, 0x80, 8 };
	size_t n = 0;

	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(apdu(b, (const uint8_t[]){ 0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C,
					     0x02, 0x80, 0x00, 0x00 }, 10, ans,
		      sizeof(ans), &n), 0x9000);
	CHECK(n == 12 && ans[0] == 0x7C && ans[2] == 0x80 && ans[3] == 8);
	CHECK_EQ(des3(CKA_DECRYPT, ans + 4, w), 0);
	memcpy(step2 + 9, w, 8);
	step2[17] = 0x81;
	step2[18] = 8;
	memcpy(step2 + 19, chal, 8);
	CHECK_EQ(apdu(b, step2, sizeof(step2), ans, sizeof(ans), &n), 0x9000);
	CHECK_EQ(des3(CKA_ENCRYPT, chal, e), 0);
	CHECK(n == 12 && ans[2] == 0x82);
	CHECK_MEM(ans + 4, e, 8);
	close_card(b);
}


static void certificates_byte_identical(void)
{
	static const uint32_t tags[3] = { 0x5FC105, 0x5FC10A, 0x5FC10B };
	static uint8_t want[4096], got[4096];
	struct emul_bed *b = open_card(dbs.nopin, "");

	if (b == NULL)
		return;
	CHECK_EQ(APDU(b, 0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03,
		      0x08, 0x00), 0x9000);
	for (int i = 0; i < 3; i++) {
		size_t wn = emul_read_file(dbs.nopin, emul_der_names[i], want,
					   sizeof(want));
		size_t gn = get_cert(b, tags[i], got, sizeof(got));

		CHECK(wn > 0);
		CHECK_EQ(gn, wn);
		if (gn == wn && wn > 0)
			CHECK_MEM(got, want, wn);
	}
	/* No cert4 in this spec: 9E's object is absent. */
	CHECK_EQ(get_cert(b, 0x5FC101, got, sizeof(got)), 0);
	CHECK_EQ(APDU(b, 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1,
		      0x01, 0x00), 0x6A82);
	close_card(b);
}

static void chuid_stable(void)
{
	static uint8_t a[256], c[256];
	static const uint8_t get_chuid[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C,
					     0x03, 0x5F, 0xC1, 0x02, 0x00 };
	struct emul_bed *b = open_card(dbs.nopin, "");
	size_t an = 0, cn = 0;

	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(apdu(b, get_chuid, sizeof(get_chuid), a, sizeof(a), &an),
		 0x9000);
	close_card(b);
	b = open_card(dbs.nopin, "");
	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(apdu(b, get_chuid, sizeof(get_chuid), c, sizeof(c), &cn),
		 0x9000);
	CHECK(an > 40);
	CHECK_EQ(an, cn);
	CHECK_MEM(a, c, an);
	close_card(b);
}

static void rsa_sign_and_pin_rules(void)
{
	uint8_t block[256], sig[512];
	struct emul_bed *b = open_card(dbs.nopin, "");
	size_t n = 0;

	if (b == NULL)
		return;
	pkcs1_block(block);
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	/* Before VERIFY: 6982. */
	CHECK_EQ(general_auth(b, 0x07, 0x9A, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x6982);
	/* A db without a password: the PIV PIN is 123456. */
	CHECK_EQ(verify(b, "123456"), 0x9000);
	CHECK_EQ(general_auth(b, 0x07, 0x9A, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x9000);
	CHECK(rsa_checks(dbs.nopin, 0, sig, n, block));
	/* 9D: once per session too. */
	CHECK_EQ(general_auth(b, 0x07, 0x9D, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x9000);
	CHECK(rsa_checks(dbs.nopin, 2, sig, n, block));
	/* 9C: one signature per VERIFY. */
	CHECK_EQ(general_auth(b, 0x07, 0x9C, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x9000);
	CHECK(rsa_checks(dbs.nopin, 1, sig, n, block));
	CHECK_EQ(general_auth(b, 0x07, 0x9C, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x6982);
	CHECK_EQ(verify(b, "123456"), 0x9000);
	CHECK_EQ(general_auth(b, 0x07, 0x9C, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x9000);
	/* GET METADATA of 9A: RSA 2048, PIN once, imported, the
	 * certificate's modulus. */
	{
		static uint8_t md[600], der[4096];
		size_t mn = 0, dn = emul_read_file(dbs.nopin, emul_der_names[0],
						   der, sizeof(der));
		SECKEYPublicKey *pub = pub_of(der, dn);
		struct vcg_piv_tlv pk, mod;

		CHECK_EQ(apdu(b, (const uint8_t[]){ 0x00, 0xF7, 0x00, 0x9A, 0x00 },
			      5, md, sizeof(md), &mn), 0x9000);
		CHECK(mn > 10 && md[0] == 0x01 && md[2] == 0x07 && md[5] == 0x02 &&
		      md[9] == 0x02);
		CHECK_EQ(vcg_piv_tlv_find(md, mn, 0x04, &pk), 1);
		CHECK_EQ(vcg_piv_tlv_find(pk.val, pk.len, 0x81, &mod), 1);
		CHECK(pub != NULL && mod.len == 256 &&
		      pub->u.rsa.modulus.len >= 256 &&
		      memcmp(mod.val, pub->u.rsa.modulus.data +
				      pub->u.rsa.modulus.len - 256, 256) == 0);
		if (pub != NULL)
			SECKEY_DestroyPublicKey(pub);
	}
	/* Wrong algorithm for the key: 6A86. */
	CHECK_EQ(general_auth(b, 0x11, 0x9A, 0x81, block, 32, sig, sizeof(sig),
			      &n), 0x6A86);
	/* A power cycle ends the session. */
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(general_auth(b, 0x07, 0x9A, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x6982);
	close_card(b);
}

static void pin_db_and_restart(void)
{
	struct emul_bed *b = open_card(dbs.pin, "");

	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	/* The db password 1234 is the PIN; 123456 is not. */
	CHECK_EQ(verify(b, "123456"), 0x63C2);
	CHECK_EQ(verify(b, "9999"), 0x63C1);
	CHECK_EQ(APDU(b, 0x00, 0x20, 0x00, 0x80), 0x63C1);
	close_card(b);
	/* A new card (a daemon restart): the count is still 1. */
	b = open_card(dbs.pin, "");
	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(APDU(b, 0x00, 0x20, 0x00, 0x80), 0x63C1);
	CHECK_EQ(verify(b, "1234"), 0x9000);
	CHECK_EQ(APDU(b, 0x00, 0x20, 0x00, 0x80), 0x9000);
	/* With the slot logged in, 9A signs with the db's key. */
	{
		uint8_t block[256], sig[512];
		size_t n = 0;

		pkcs1_block(block);
		CHECK_EQ(general_auth(b, 0x07, 0x9A, 0x81, block, 256, sig,
				      sizeof(sig), &n), 0x9000);
		CHECK(rsa_checks(dbs.pin, 0, sig, n, block));
	}
	close_card(b);
	b = open_card(dbs.pin, "");
	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(APDU(b, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	/* CHANGE REFERENCE DATA sets the db password (the last use of this
	 * db in the file). */
	CHECK_EQ(APDU(b, 0x00, 0x24, 0x00, 0x80, 0x10, '1', '2', '3', '4', 0xFF,
		      0xFF, 0xFF, 0xFF, '5', '6', '7', '8', '9', '0', 0xFF, 0xFF),
		 0x9000);
	CHECK_EQ(verify(b, "567890"), 0x9000);
	CHECK_EQ(verify(b, "1234"), 0x63C2);
	close_card(b);
}

/* CAC's VERIFY on the password db counts against PIV's PIN counter
 * (vcg_piv_router.h), on personality=cac too: wrong PINs 63C2..63C0,
 * then 6983 even for the db password, still after a restart; PIV's
 * RESET RETRY COUNTER with the PUK unblocks the CAC side. Runs before
 * pin_db_and_restart and leaves the counter full. */
static void cac_verify_counted(void)
{
	struct emul_bed *b = open_card(dbs.pin, "personality=cac");

	if (b == NULL)
		return;
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x9000);
	CHECK_EQ(bed_verify_pin(b, "0000"), 0x63C2);
	CHECK_EQ(bed_verify_pin(b, "1111"), 0x63C1);
	CHECK_EQ(bed_verify_pin(b, "2222"), 0x63C0);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x6983);
	close_card(b);
	b = open_card(dbs.pin, "personality=cac");
	if (b == NULL)
		return;
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x6983);
	close_card(b);
	/* The same db and nicknames as cac+piv: the same counter. */
	b = open_card(dbs.pin, "");
	if (b == NULL)
		return;
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x6983);
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(APDU(b, 0x00, 0x20, 0x00, 0x80), 0x6983);
	CHECK_EQ(APDU(b, 0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5',
		      '6', '7', '8', '1', '2', '3', '4', 0xFF, 0xFF, 0xFF, 0xFF),
		 0x9000);
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x9000);
	close_card(b);
}

/* A db without a password counts nothing on CAC: any PIN, any number
 * of times (libcacard accepts them all; there is no secret to guess). */
static void cac_verify_nopin(void)
{
	struct emul_bed *b = open_card(dbs.nopin, "personality=cac");

	if (b == NULL)
		return;
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(bed_verify_pin(b, "0000"), 0x9000);
	close_card(b);
}

static void ec_card_auth(void)
{
	static uint8_t der[4096];
	uint8_t digest[32], sig[256], secret[128];
	struct emul_bed *b;
	SECKEYPublicKey *pub, *eph_pub = NULL;
	SECKEYPrivateKey *eph = NULL;
	size_t n = 0, dn;

	if (!have_ec) {
		fprintf(stderr, "  no EC certificate (certutil -k ec failed)\n");
		CHECK(0);
		return;
	}
	b = open_card(dbs.nopin, "cert4=ec-cert");
	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	dn = get_cert(b, 0x5FC101, der, sizeof(der));
	CHECK(dn > 0);
	pub = pub_of(der, dn);
	CHECK(pub != NULL && pub->keyType == ecKey);
	if (pub == NULL)
		goto out;
	/* ECDSA on a digest, no PIN (9E), checked with NSS. */
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)(i * 5);
	CHECK_EQ(general_auth(b, 0x11, 0x9E, 0x81, digest, 32, sig, sizeof(sig),
			      &n), 0x9000);
	{
		SECItem d = { siBuffer, digest, 32 }, s = { siBuffer, sig, (unsigned)n };
		SECItem *raw = DSAU_DecodeDerSigToLen(&s, 64);

		CHECK(raw != NULL);
		if (raw != NULL) {
			CHECK_EQ(PK11_Verify(pub, raw, &d, NULL), SECSuccess);
			SECITEM_FreeItem(raw, PR_TRUE);
		}
	}
	/* ECDH: an ephemeral key on our side; both sides' secrets agree. */
	{
		PK11SlotInfo *slot = PK11_GetInternalSlot();
		SECKEYECParams params = pub->u.ec.DEREncodedParams;
		PK11SymKey *sym;

		eph = PK11_GenerateKeyPair(slot, CKM_EC_KEY_PAIR_GEN, &params,
					   &eph_pub, PR_FALSE, PR_FALSE, NULL);
		PK11_FreeSlot(slot);
		CHECK(eph != NULL);
		if (eph == NULL)
			goto out;
		CHECK_EQ(general_auth(b, 0x11, 0x9E, 0x85,
				      eph_pub->u.ec.publicValue.data,
				      eph_pub->u.ec.publicValue.len, secret,
				      sizeof(secret), &n), 0x9000);
		CHECK_EQ(n, 32);
		sym = PK11_PubDeriveWithKDF(eph, pub, PR_FALSE, NULL, NULL,
					    CKM_ECDH1_DERIVE,
					    CKM_GENERIC_SECRET_KEY_GEN,
					    CKA_DERIVE, 0, CKD_NULL, NULL, NULL);
		CHECK(sym != NULL);
		if (sym != NULL) {
			CHECK_EQ(PK11_ExtractKeyValue(sym), SECSuccess);
			CHECK_EQ(PK11_GetKeyData(sym)->len, n);
			CHECK_MEM(PK11_GetKeyData(sym)->data, secret, n);
			PK11_FreeSymKey(sym);
		}
	}
	/* The APT lists RSA 2048 and P-256. */
	{
		uint8_t apt[128];
		struct vcg_piv_tlv t, ac;

		CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), apt, sizeof(apt),
			      &n), 0x9000);
		CHECK_EQ(vcg_piv_tlv_parse(apt, n, &t), n);
		CHECK_EQ(vcg_piv_tlv_find(t.val, t.len, 0xAC, &ac), 1);
		CHECK(ac.len == 8 && ac.val[2] == 0x07 && ac.val[5] == 0x11);
	}
out:
	if (eph != NULL)
		SECKEY_DestroyPrivateKey(eph);
	if (eph_pub != NULL)
		SECKEY_DestroyPublicKey(eph_pub);
	if (pub != NULL)
		SECKEY_DestroyPublicKey(pub);
	close_card(b);
}

static void cac_beside_piv(void)
{
	static uint8_t want[4096], got[4096];
	struct emul_bed *b = open_card(dbs.nopin, "");
	size_t wn, gn;

	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	/* CAC's PKI applet after PIV: the same certificate, CAC's way. */
	wn = emul_read_file(dbs.nopin, emul_der_names[0], want, sizeof(want));
	gn = bed_read_cert(b, 0, got, sizeof(got));
	CHECK(wn > 0);
	CHECK_EQ(gn, wn);
	if (gn == wn && wn > 0)
		CHECK_MEM(got, want, wn);
	CHECK_EQ(bed_verify_pin(b, "77777777"), 0x9000);   /* CAC: any PIN */
	{
		static uint8_t der[4096];
		size_t dn = emul_read_file(dbs.nopin, emul_der_names[1], der,
					   sizeof(der));

		CHECK_EQ(bed_sign_and_check(b, 1, der, dn), 0x9000);
	}
	/* GET CHALLENGE: 8 random bytes. */
	CHECK_EQ(APDU(b, 0x00, 0x84, 0x00, 0x00, 0x08), 0x9000);
	close_card(b);
}

/* libcacard's ATR (T=0 only) */
static const uint8_t cacard_atr[] = {
	0x3B, 0x7A, 0x18, 0x00, 0x00, 0x73, 0x66, 0x74,
	0x65, 0x20, 0x63, 0x64, 0x31, 0x34, 0x34,
};

static void cac_personality(void)
{
	struct emul_bed *b = open_card(dbs.nopin, "personality=cac");
	int s;

	if (b == NULL)
		return;
	/* libcacard's ATR byte for byte (T=0 only), as before PIV. */
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(b->in_len, 10 + sizeof(cacard_atr));
	CHECK_MEM(b->in + 10, cacard_atr, sizeof(cacard_atr));
	/* libcacard's CAC has no PIV application. */
	s = apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL);
	CHECK(s != 0x9000 && (s >> 8) != 0x61);
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	CHECK_EQ(APDU(b, 0x00, 0x84, 0x00, 0x00, 0x08), 0x9000);
	CHECK_EQ(b->in_len, 10 + 8 + 2);
	close_card(b);
}

static void piv_personality(void)
{
	struct emul_bed *b = open_card(dbs.nopin, "personality=piv");
	uint8_t t1[33]; /* ISO/IEC 7816-3 8.2.1: at most 33 bytes */
	size_t n = vcg_piv_atr_add_t1(cacard_atr, sizeof(cacard_atr), t1,
				      sizeof(t1));

	if (b == NULL)
		return;
	/* The first power-on's ATR already offers T=1: the PIV edge is
	 * built before it (vcg_emul_piv_build(), not at start). */
	CHECK(n > sizeof(cacard_atr));
	CHECK_EQ(b->in_len, 10 + n);
	CHECK_MEM(b->in + 10, t1, n);
	CHECK_EQ(bed_select_pki(b, 0), 0x6A82);
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(verify(b, "123456"), 0x9000);
	close_card(b);
}

/* The default management key's mutual authentication; SW. */
static int mgm_auth(struct emul_bed *b)
{
	uint8_t ans[64], w[8], chal[8] = { 1, 1, 2, 3, 5, 8, 13, 21 };
	uint8_t step2[5 + 22] = { 0x00, 0x87, 0x03, 0x9B, 22, 0x7C, 20, 0x80, 8 };
	size_t n = 0;
	int s = apdu(b, (const uint8_t[]){ 0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C,
					    0x02, 0x80, 0x00, 0x00 }, 10, ans,
		     sizeof(ans), &n);

	if (s != 0x9000 || n != 12 || des3(CKA_DECRYPT, ans + 4, w) < 0)
		return -1;
	memcpy(step2 + 9, w, 8);
	step2[17] = 0x81;
	step2[18] = 8;
	memcpy(step2 + 19, chal, 8);
	return apdu(b, step2, sizeof(step2), ans, sizeof(ans), &n);
}

/* A public key from GENERATE's 7F49 answer. */
static SECKEYPublicKey *pub_from_7f49(const uint8_t *ans, size_t n, bool ec)
{
	static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE,
					    0x3D, 0x03, 0x01, 0x07 };
	struct vcg_piv_tlv t, m, e;
	PLArenaPool *arena;
	SECKEYPublicKey *pub;

	if (vcg_piv_tlv_parse(ans, n, &t) != n || t.tag != 0x7F49)
		return NULL;
	arena = PORT_NewArena(2048);
	pub = arena ? PORT_ArenaZNew(arena, SECKEYPublicKey) : NULL;
	if (pub == NULL) {
		if (arena != NULL)
			PORT_FreeArena(arena, PR_FALSE);
		return NULL;
	}
	pub->arena = arena;
	pub->pkcs11ID = CK_INVALID_HANDLE;
	if (ec) {
		if (vcg_piv_tlv_find(t.val, t.len, 0x86, &m) != 1)
			goto fail;
		pub->keyType = ecKey;
		SECITEM_AllocItem(arena, &pub->u.ec.DEREncodedParams, sizeof(oid_p256));
		memcpy(pub->u.ec.DEREncodedParams.data, oid_p256, sizeof(oid_p256));
		SECITEM_AllocItem(arena, &pub->u.ec.publicValue, (unsigned)m.len);
		memcpy(pub->u.ec.publicValue.data, m.val, m.len);
		return pub;
	}
	if (vcg_piv_tlv_find(t.val, t.len, 0x81, &m) != 1 ||
	    vcg_piv_tlv_find(t.val, t.len, 0x82, &e) != 1)
		goto fail;
	pub->keyType = rsaKey;
	SECITEM_AllocItem(arena, &pub->u.rsa.modulus, (unsigned)m.len);
	memcpy(pub->u.rsa.modulus.data, m.val, m.len);
	SECITEM_AllocItem(arena, &pub->u.rsa.publicExponent, (unsigned)e.len);
	memcpy(pub->u.rsa.publicExponent.data, e.val, e.len);
	return pub;
fail:
	SECKEY_DestroyPublicKey(pub);
	return NULL;
}

/* PUT DATA of DER into the 9D certificate object (5FC10B): the SW. */
static int put_cert_9d(struct emul_bed *b, const uint8_t *der, size_t len)
{
	uint8_t put[1100];
	struct vcg_piv_buf w;

	vcg_piv_buf_init(&w, put, sizeof(put));
	vcg_piv_put_bytes(
		&w,
		(const uint8_t[]){ 0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x00 },
		7);
	vcg_piv_put_tlv(&w, 0x5C, (const uint8_t[]){ 0x5F, 0xC1, 0x0B }, 3);
	vcg_piv_put_header(&w, 0x53, vcg_piv_header_size(0x70, len) + len + 5);
	vcg_piv_put_tlv(&w, 0x70, der, len);
	vcg_piv_put_tlv(&w, 0x71, (const uint8_t[]){ 0x00 }, 1);
	vcg_piv_put_tlv(&w, 0xFE, NULL, 0);
	put[5] = (uint8_t)((w.len - 7) >> 8); /* extended Lc */
	put[6] = (uint8_t)(w.len - 7);
	CHECK(!w.overflow);
	return apdu(b, put, w.len, NULL, 0, NULL);
}

static void provisioning(void)
{
	static uint8_t ans[1024], spare[4096], got[4096];
	static const uint8_t put_chuid[] = {
		0x00, 0xDB, 0x3F, 0xFF, 0x0C, 0x5C, 0x03, 0x5F, 0xC1, 0x02,
		0x53, 0x05, 0x34, 0x03, 0xAA, 0xBB, 0xCC,
	};
	static const uint8_t get_chuid[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C,
					     0x03, 0x5F, 0xC1, 0x02, 0x00 };
	uint8_t block[256], sig[512], digest[32];
	struct emul_bed *b = open_card(prov_db, "");
	SECKEYPublicKey *pub;
	size_t n = 0, sn;

	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	/* GENERATE needs the management key. */
	CHECK_EQ(APDU(b, 0x00, 0x47, 0x00, 0x9A, 0x05, 0xAC, 0x03, 0x80, 0x01,
		      0x07, 0x00), 0x6982);
	CHECK_EQ(mgm_auth(b), 0x9000);
	/* RSA 2048 into 9A; 9A signs with it; checked with 7F49's key. */
	CHECK_EQ(apdu(b, (const uint8_t[]){ 0x00, 0x47, 0x00, 0x9A, 0x05, 0xAC,
					     0x03, 0x80, 0x01, 0x07, 0x00 }, 11,
		      ans, sizeof(ans), &n), 0x9000);
	pub = pub_from_7f49(ans, n, false);
	CHECK(pub != NULL);
	CHECK_EQ(verify(b, "123456"), 0x9000);
	pkcs1_block(block);
	CHECK_EQ(general_auth(b, 0x07, 0x9A, 0x81, block, 256, sig, sizeof(sig),
			      &n), 0x9000);
	if (pub != NULL) {
		uint8_t raw[256];

		CHECK_EQ(n, 256);
		CHECK_EQ(PK11_PubEncryptRaw(pub, raw, sig, 256, NULL), SECSuccess);
		CHECK_MEM(raw, block, 256);
		SECKEY_DestroyPublicKey(pub);
	}
	/* P-256 into 9C: ECDSA checked with 7F49's point. */
	CHECK_EQ(apdu(b, (const uint8_t[]){ 0x00, 0x47, 0x00, 0x9C, 0x05, 0xAC,
					     0x03, 0x80, 0x01, 0x11, 0x00 }, 11,
		      ans, sizeof(ans), &n), 0x9000);
	pub = pub_from_7f49(ans, n, true);
	CHECK(pub != NULL);
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)(0x30 + i);
	CHECK_EQ(verify(b, "123456"), 0x9000);
	CHECK_EQ(general_auth(b, 0x11, 0x9C, 0x81, digest, 32, sig, sizeof(sig),
			      &n), 0x9000);
	if (pub != NULL) {
		SECItem d = { siBuffer, digest, 32 }, s2 = { siBuffer, sig, (unsigned)n };
		SECItem *raw = DSAU_DecodeDerSigToLen(&s2, 64);

		CHECK(raw != NULL && PK11_Verify(pub, raw, &d, NULL) == SECSuccess);
		if (raw != NULL)
			SECITEM_FreeItem(raw, PR_TRUE);
		SECKEY_DestroyPublicKey(pub);
	}
	/* PUT DATA: a certificate into 9D, and a CHUID. Not a certificate
	 * (a DER INTEGER in tag 70) first: 6A 80, and nothing stored. */
	CHECK_EQ(put_cert_9d(b, (const uint8_t[]){ 0x02, 0x01, 0x05 }, 3),
		 0x6A80);
	sn = emul_read_file("/", spare_der, spare, sizeof(spare));
	CHECK(sn > 100 && sn < 1000);
	if (sn > 100 && sn < 1000)
		CHECK_EQ(put_cert_9d(b, spare, sn), 0x9000);
	CHECK_EQ(apdu(b, put_chuid, sizeof(put_chuid), NULL, 0, NULL), 0x9000);
	close_card(b);
	/* A restart: both are still there. */
	b = open_card(prov_db, "");
	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(get_cert(b, 0x5FC10B, got, sizeof(got)), sn);
	CHECK_MEM(got, spare, sn);
	CHECK_EQ(apdu(b, get_chuid, sizeof(get_chuid), ans, sizeof(ans), &n),
		 0x9000);
	CHECK_EQ(n, 7);
	CHECK_MEM(ans, put_chuid + 10, 7);
	close_card(b);
}

/* Microsoft, "Smart card minidriver: Discovery Process" (learn.microsoft
 * .com/windows-hardware/drivers/smartcard/discovery-process) and
 * "Windows Inbox Smart Card Minidriver": what Windows sends when a card
 * is inserted, in order, on a cac+piv card. */
static void windows_discovery_replay(void)
{
	struct emul_bed *b = open_card(dbs.nopin, "");
	uint8_t ans[300];
	size_t n = 0;
	int s;

	if (b == NULL)
		return;
	/* Plug and Play, step 2: SELECT the SC PNP AID, GET DATA 7F68. */
	CHECK_EQ(APDU(b, 0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0, 0x00, 0x00, 0x03,
		      0x97, 0x43, 0x49, 0x44, 0x5F, 0x01, 0x00, 0x00), 0x6A82);
	CHECK_EQ(APDU(b, 0x00, 0xCA, 0x7F, 0x68, 0x00), 0x6A88);
	/* Step 4: MF, EF.ATR, READ BINARY: libcacard's card has no file
	 * system, so no unique ID comes from there either. */
	s = APDU(b, 0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00);
	CHECK(s != 0x9000 && (s >> 8) != 0x61);     /* libcacard: 6A81 */
	s = APDU(b, 0x00, 0xA4, 0x02, 0x00, 0x02, 0x2F, 0x01);
	CHECK(s != 0x9000 && (s >> 8) != 0x61);
	s = APDU(b, 0x00, 0xB0, 0x00, 0x00, 0x00);
	CHECK(s != 0x9000 && (s >> 8) != 0x61);     /* libcacard: 6900 */
	/* Step 5: SELECT PIV succeeds: a PIV-compatible device. */
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	/* Winscard discovery, steps 4-5: GIDS fails, PIV succeeds. */
	CHECK_EQ(APDU(b, 0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03,
		      0x97, 0x42, 0x54, 0x46, 0x59), 0x6A82);
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	/* Class minidriver, step 1: SELECT PIV, then it reads the card's
	 * identity (CHUID) and the certificates. */
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), ans, sizeof(ans), &n),
		 0x9000);
	CHECK(n > 10 && ans[0] == 0x61);
	CHECK_EQ(APDU(b, 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1,
		      0x02, 0x00), 0x9000);
	for (int i = 0; i < 3; i++) {
		static const uint32_t tags[3] = { 0x5FC105, 0x5FC10A, 0x5FC10B };
		static uint8_t der[4096];

		CHECK(get_cert(b, tags[i], der, sizeof(der)) > 0);
	}
	close_card(b);
}

/* A PKCS#1 v1.5 type 2 block (encryption) of 256 bytes. */
static void pkcs1_type2(uint8_t *block)
{
	block[0] = 0x00;
	block[1] = 0x02;
	for (int i = 2; i < 256 - 17; i++)
		block[i] = (uint8_t)(i % 251 + 1);
	block[256 - 17] = 0x00;
	memcpy(block + 256 - 16, "session key 16 B", 16);
}

/* Apple, "Supported smart card functions on Mac" (support.apple.com/
 * guide/deployment/depc47f60521) and SmartCardServices(7): macOS's
 * built-in PIV token needs certificates in 9A (PIV Authentication:
 * login) and 9D (Key Management: unwraps the keychain), 9C optional.
 * The token reads CHUID and the certificates, then, after the PIN, signs
 * with 9A and decrypts with 9D. */
static void macos_token_sequence(void)
{
	static uint8_t der[4096];
	uint8_t block[256], enc[256], out[512];
	struct emul_bed *b = open_card(dbs.nopin, "");
	SECKEYPublicKey *pub = NULL;
	size_t n = 0, dn;

	if (b == NULL)
		return;
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(APDU(b, 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1,
		      0x02, 0x00), 0x9000);
	CHECK(get_cert(b, 0x5FC105, der, sizeof(der)) > 0);
	CHECK(get_cert(b, 0x5FC10A, der, sizeof(der)) > 0);
	dn = get_cert(b, 0x5FC10B, der, sizeof(der));
	CHECK(dn > 0);
	CHECK_EQ(APDU(b, 0x00, 0x20, 0x00, 0x80), 0x63C3);
	CHECK_EQ(verify(b, "123456"), 0x9000);
	/* Login: a 9A signature. */
	pkcs1_block(block);
	CHECK_EQ(general_auth(b, 0x07, 0x9A, 0x81, block, 256, out, sizeof(out),
			      &n), 0x9000);
	CHECK(rsa_checks(dbs.nopin, 0, out, n, block));
	/* The keychain: a block encrypted to 9D's key, decrypted by 9D. */
	pub = pub_of(der, dn);
	CHECK(pub != NULL);
	if (pub != NULL) {
		pkcs1_type2(block);
		CHECK_EQ(PK11_PubEncryptRaw(pub, enc, block, 256, NULL), SECSuccess);
		CHECK_EQ(general_auth(b, 0x07, 0x9D, 0x81, enc, 256, out,
				      sizeof(out), &n), 0x9000);
		CHECK_EQ(n, 256);
		CHECK_MEM(out, block, 256);
		SECKEY_DestroyPublicKey(pub);
	}
	close_card(b);
}

/* ---- harness ---- */

static void run_forked(const char *name, void (*fn)(void))
{
	emul_report(name, emul_in_child(name, fn, &tap_failed_now),
		    &tap_failures);
}

#define RUN_FORKED(fn) run_forked(#fn, fn)

/* An EC P-256 certificate "ec-cert" signed by the fake CA, in db. */
static int make_ec_cert(const char *db)
{
	char cmd[PATH_MAX * 2 + 512];

	snprintf(cmd, sizeof(cmd),
		 "head -c 2048 /dev/urandom >'%s/noise' && : >'%s/pw' && "
		 "certutil -S -d 'sql:%s' -f '%s/pw' -z '%s/noise' -k ec -q nistp256 "
		 "-Z SHA256 -v 120 -m %d -n ec-cert -s 'CN=John Doe (card auth)' "
		 "-t ,, -c fake-smartcard-ca >/dev/null 2>&1",
		 state_dir, state_dir, db, state_dir, state_dir,
		 (int)(getpid() % 100000) * 16 + 9);
	return system(cmd) == 0;
}

/* A self-signed EC certificate in a db of its own, as DER. */
static int make_spare_cert(void)
{
	char cmd[PATH_MAX * 2 + 512];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/spare' && certutil -N -d 'sql:%s/spare' --empty-password && "
		 "certutil -S -d 'sql:%s/spare' -f '%s/pw' -z '%s/noise' -k ec -q nistp256 "
		 "-Z SHA256 -v 12 -m 77 -n spare -s 'CN=Spare' -x -t ,, >/dev/null 2>&1 && "
		 "certutil -L -d 'sql:%s/spare' -n spare -r -o '%s'",
		 state_dir, state_dir, state_dir, state_dir, state_dir, state_dir,
		 spare_der);
	return system(cmd) == 0;
}

int main(void)
{
	static const char *const names[] = {
		"certificates_byte_identical", "chuid_stable",
		"rsa_sign_and_pin_rules", "cac_verify_counted", "cac_verify_nopin",
		"pin_db_and_restart", "ec_card_auth",
		"cac_beside_piv", "cac_personality", "piv_personality",
		"management_key_3des", "provisioning",
		"windows_discovery_replay", "macos_token_sequence",
	};

	if (emul_dbs_make(&dbs, "piv", "1234") < 0) {
		emul_skip_all(names, sizeof(names) / sizeof(names[0]));
		return 0;
	}
	snprintf(state_dir, sizeof(state_dir), "%s", dbs.tmpdir);
	have_ec = make_ec_cert(dbs.nopin);
	snprintf(prov_db, sizeof(prov_db), "%s/prov", dbs.tmpdir);
	snprintf(spare_der, sizeof(spare_der), "%s/spare.der", dbs.tmpdir);
	if (emul_make_db(emul_find_script(), prov_db, NULL) < 0 ||
	    !make_spare_cert())
		fprintf(stderr, "  cannot make the provisioning db\n");
	RUN_FORKED(certificates_byte_identical);
	RUN_FORKED(chuid_stable);
	RUN_FORKED(rsa_sign_and_pin_rules);
	RUN_FORKED(cac_verify_counted);
	RUN_FORKED(cac_verify_nopin);
	RUN_FORKED(pin_db_and_restart);
	RUN_FORKED(ec_card_auth);
	RUN_FORKED(cac_beside_piv);
	RUN_FORKED(cac_personality);
	RUN_FORKED(piv_personality);
	RUN_FORKED(management_key_3des);
	RUN_FORKED(provisioning);
	RUN_FORKED(windows_discovery_replay);
	RUN_FORKED(macos_token_sequence);
	TAP_EXIT();
}
