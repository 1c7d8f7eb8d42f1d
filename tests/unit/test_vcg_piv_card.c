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
 *  - CAC keeps working on the cac+piv card after PIV was selected, and
 *    personality=cac leaves SELECT PIV to libcacard;
 *  - GET CHALLENGE answers on both personalities.
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
#include "vcg_piv_tlv.h"

static struct emul_dbs dbs;
static char state_dir[64];
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

static void cac_personality(void)
{
	struct emul_bed *b = open_card(dbs.nopin, "personality=cac");
	int s;

	if (b == NULL)
		return;
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

	if (b == NULL)
		return;
	CHECK_EQ(bed_select_pki(b, 0), 0x6A82);
	CHECK_EQ(apdu(b, select_piv, sizeof(select_piv), NULL, 0, NULL), 0x9000);
	CHECK_EQ(verify(b, "123456"), 0x9000);
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

int main(void)
{
	static const char *const names[] = {
		"certificates_byte_identical", "chuid_stable",
		"rsa_sign_and_pin_rules", "pin_db_and_restart", "ec_card_auth",
		"cac_beside_piv", "cac_personality", "piv_personality",
		"management_key_3des",
	};

	if (emul_dbs_make(&dbs, "piv", "1234") < 0) {
		emul_skip_all(names, sizeof(names) / sizeof(names[0]));
		return 0;
	}
	snprintf(state_dir, sizeof(state_dir), "%s", dbs.tmpdir);
	have_ec = make_ec_cert(dbs.nopin);
	RUN_FORKED(certificates_byte_identical);
	RUN_FORKED(chuid_stable);
	RUN_FORKED(rsa_sign_and_pin_rules);
	RUN_FORKED(pin_db_and_restart);
	RUN_FORKED(ec_card_auth);
	RUN_FORKED(cac_beside_piv);
	RUN_FORKED(cac_personality);
	RUN_FORKED(piv_personality);
	RUN_FORKED(management_key_3des);
	TAP_EXIT();
}
