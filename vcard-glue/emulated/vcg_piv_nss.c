/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card edge on NSS: see vcg_piv_nss.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cert.h>
#include <certdb.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <secmod.h>
#include <secerr.h>

#include "vcg_keycache.h"
#include "vcg_nssdb.h"
#include "vcg_piv_nss.h"
#include "vcg_piv_tlv.h"

/* 9E's nickname when the SPEC names no cert4: where PUT DATA puts a
 * provisioned 9E certificate, and where the next start finds it. */
#define NICK_9E_DEFAULT "ccid-gadget-piv-9e"

struct vcg_piv_card {
	CERTCertificate *cert[VCG_PIV_NKEYS];   /* NULL: no certificate */
	/* A key GENERATE made, used by the slot until its certificate comes
	 * (then NSS finds it through the certificate); NULL: none. */
	SECKEYPrivateKey *pending[VCG_PIV_NKEYS];
	char nick[VCG_PIV_NKEYS][VCG_EMUL_NICK_MAX + 1];
	uint8_t alg[VCG_PIV_NKEYS];
	struct vcg_piv_state *st;               /* the applet's, for saving */
	/* libcacard opens the db read-only; provisioning and PIN changes
	 * write through a second, writable slot on the same db
	 * (SECMOD_OpenUserDB), opened at the first need. */
	char db[VCG_EMUL_DIR_MAX + 8];
	PK11SlotInfo *rw;
	struct vcg_piv_router *router;
	vcg_piv_log_fn log;
	void *log_arg;
};

static void say(struct vcg_piv_card *c, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct vcg_piv_card *c, int level, const char *fmt, ...)
{
	char line[480];
	va_list ap;

	if (c->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, level, line);
}

/* The PIV algorithm of a certificate's key, 0 if the card cannot use it. */
static uint8_t cert_alg(CERTCertificate *cert)
{
	SECKEYPublicKey *pub = CERT_ExtractPublicKey(cert);
	unsigned bits;
	uint8_t alg = 0;

	if (pub == NULL)
		return 0;
	bits = SECKEY_PublicKeyStrengthInBits(pub);
	if (pub->keyType == rsaKey)
		alg = bits == 1024 ? VCG_PIV_ALG_RSA1024 :
		      bits == 2048 ? VCG_PIV_ALG_RSA2048 :
		      bits == 3072 ? VCG_PIV_ALG_RSA3072 : 0;
	else if (pub->keyType == ecKey)
		alg = bits == 256 ? VCG_PIV_ALG_P256 :
		      bits == 384 ? VCG_PIV_ALG_P384 : 0;
	SECKEY_DestroyPublicKey(pub);
	return alg;
}

/* ---- struct vcg_piv_ops on NSS ---- */

static PK11SlotInfo *rw_slot(struct vcg_piv_card *c)
{
	char spec[VCG_EMUL_DIR_MAX + 96];

	if (c->rw != NULL)
		return c->rw;
	if (strchr(c->db, '\'') != NULL) {
		say(c, LOG_ERR, "PIV: the db path holds a quote: it cannot be opened for writing");
		return NULL;
	}
	snprintf(spec, sizeof(spec),
		 "configdir='%s' tokenDescription='ccid-gadget PIV'", c->db);
	c->rw = SECMOD_OpenUserDB(spec);
	if (c->rw == NULL)
		say(c, LOG_ERR, "PIV: cannot open %s for writing (error %d)",
		    c->db, PORT_GetError());
	return c->rw;
}

static int nss_check_pin(void *ctx, const uint8_t *pin, size_t len)
{
	struct vcg_piv_card *c = ctx;
	PK11SlotInfo *slot = PK11_GetInternalKeySlot();
	/* PIV PINs are 8 bytes at most, CAC's VERIFY (a short APDU) may
	 * carry a db password of up to 255. */
	char pw[256];
	SECStatus s;
	int rc;

	if (slot == NULL)
		return -ENODEV;
	if (len >= sizeof(pw) || memchr(pin, 0, len) != NULL) {
		PK11_FreeSlot(slot);
		return 0;                     /* no NSS password holds NUL */
	}
	memcpy(pw, pin, len);
	pw[len] = '\0';
	/* Right: NSS logs the slot in, so the private keys can be used. */
	s = PK11_CheckUserPassword(slot, pw);
	rc = s == SECSuccess ? 1 : PORT_GetError() == SEC_ERROR_BAD_PASSWORD ? 0
									      : -EIO;
	/* The writable slot too: provisioning and PIN changes use it. */
	if (rc == 1 && rw_slot(c) != NULL && PK11_NeedLogin(c->rw))
		PK11_CheckUserPassword(c->rw, pw);
	memset(pw, 0, sizeof(pw));
	PK11_FreeSlot(slot);
	return rc;
}

static int nss_change_pin(void *ctx, const uint8_t *old, size_t old_len,
			  const uint8_t *pin, size_t len)
{
	char o[VCG_PIV_SECRET_MAX + 1], n[VCG_PIV_SECRET_MAX + 1];
	PK11SlotInfo *slot = rw_slot(ctx);
	SECStatus s;

	if (slot == NULL)
		return -ENODEV;
	if (old_len > VCG_PIV_SECRET_MAX || len > VCG_PIV_SECRET_MAX ||
	    memchr(old, 0, old_len) != NULL || memchr(pin, 0, len) != NULL)
		return -EINVAL;
	memcpy(o, old, old_len);
	o[old_len] = '\0';
	memcpy(n, pin, len);
	n[len] = '\0';
	s = PK11_ChangePW(slot, o, n);
	memset(o, 0, sizeof(o));
	memset(n, 0, sizeof(n));
	return s == SECSuccess ? 0 : -EACCES;
}

static int nss_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	if (n > INT32_MAX)
		return -EINVAL;
	return PK11_GenerateRandom(out, (int)n) == SECSuccess ? 0 : -EIO;
}

static SECKEYPrivateKey *private_key(struct vcg_piv_card *c, int key)
{
	if (key < 0 || key >= VCG_PIV_NKEYS)
		return NULL;
	if (c->pending[key] != NULL)
		return SECKEY_CopyPrivateKey(c->pending[key]);
	if (c->cert[key] == NULL)
		return NULL;
	return PK11_FindKeyByAnyCert(c->cert[key], NULL);
}

/* The public key of the slot's key: the pending one's, or the
 * certificate's. NULL if none. */
static SECKEYPublicKey *public_key(struct vcg_piv_card *c, int key)
{
	if (c->pending[key] != NULL)
		return SECKEY_ConvertToPublicKey(c->pending[key]);
	if (c->cert[key] == NULL)
		return NULL;
	return CERT_ExtractPublicKey(c->cert[key]);
}

static int nss_sign(void *ctx, int key, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	struct vcg_piv_card *c = ctx;
	SECKEYPrivateKey *priv = private_key(c, key);
	int rc = -EIO;

	if (priv == NULL)
		return -EACCES;
	if (len > UINT32_MAX || cap > UINT32_MAX)
		goto out;
	if (priv->keyType == rsaKey) {
		unsigned n = 0;

		if (PK11_PubDecryptRaw(priv, out, &n, (unsigned)cap,
				       (unsigned char *)in, (unsigned)len) ==
		    SECSuccess) {
			*out_len = n;
			rc = 0;
		}
	} else if (priv->keyType == ecKey) {
		SECItem hash = { siBuffer, (unsigned char *)in, (unsigned)len };
		int slen = PK11_SignatureLen(priv);
		SECItem sig = { siBuffer, NULL, 0 }, der = { siBuffer, NULL, 0 };

		if (slen <= 0 || (sig.data = malloc((size_t)slen)) == NULL)
			goto out;
		sig.len = (unsigned)slen;
		if (PK11_SignWithMechanism(priv, CKM_ECDSA, NULL, &sig, &hash) ==
			    SECSuccess &&
		    DSAU_EncodeDerSigWithLen(&der, &sig, sig.len) == SECSuccess &&
		    der.len <= cap) {
			memcpy(out, der.data, der.len);
			*out_len = der.len;
			rc = 0;
		}
		free(sig.data);
		SECITEM_FreeItem(&der, PR_FALSE);
	}
out:
	SECKEY_DestroyPrivateKey(priv);
	return rc;
}

static int nss_ecdh(void *ctx, int key, const uint8_t *point, size_t len,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	struct vcg_piv_card *c = ctx;
	SECKEYPrivateKey *priv = private_key(c, key);
	SECKEYPublicKey *mine = NULL, *peer = NULL;
	PK11SymKey *sym = NULL;
	PLArenaPool *arena = NULL;
	const SECItem *secret;
	int rc = -EIO;

	if (priv == NULL)
		return -EACCES;
	mine = public_key(c, key);
	arena = PORT_NewArena(1024);
	if (mine == NULL || arena == NULL || mine->keyType != ecKey)
		goto out;
	peer = PORT_ArenaZNew(arena, SECKEYPublicKey);
	if (peer == NULL)
		goto out;
	peer->arena = arena;
	arena = NULL;                       /* freed with peer now */
	peer->keyType = ecKey;
	peer->pkcs11ID = CK_INVALID_HANDLE;
	if (SECITEM_CopyItem(peer->arena, &peer->u.ec.DEREncodedParams,
			     &mine->u.ec.DEREncodedParams) != SECSuccess ||
	    SECITEM_AllocItem(peer->arena, &peer->u.ec.publicValue,
			      (unsigned)len) == NULL)
		goto out;
	memcpy(peer->u.ec.publicValue.data, point, len);
	sym = PK11_PubDeriveWithKDF(priv, peer, PR_FALSE, NULL, NULL,
				    CKM_ECDH1_DERIVE, CKM_GENERIC_SECRET_KEY_GEN,
				    CKA_DERIVE, 0, CKD_NULL, NULL, NULL);
	if (sym == NULL || PK11_ExtractKeyValue(sym) != SECSuccess)
		goto out;
	secret = PK11_GetKeyData(sym);
	if (secret == NULL || secret->len > cap)
		goto out;
	memcpy(out, secret->data, secret->len);
	*out_len = secret->len;
	rc = 0;
out:
	if (sym != NULL)
		PK11_FreeSymKey(sym);
	if (peer != NULL)
		SECKEY_DestroyPublicKey(peer);
	if (arena != NULL)
		PORT_FreeArena(arena, PR_FALSE);
	if (mine != NULL)
		SECKEY_DestroyPublicKey(mine);
	SECKEY_DestroyPrivateKey(priv);
	return rc;
}

static int nss_cipher(void *ctx, uint8_t alg, const uint8_t *key,
		      size_t key_len, const uint8_t *in, size_t len,
		      uint8_t *out)
{
	CK_MECHANISM_TYPE mech = alg == 0x03 ? CKM_DES3_ECB : CKM_AES_ECB;
	SECItem k = { siBuffer, (unsigned char *)key, (unsigned)key_len };
	SECItem none = { siBuffer, NULL, 0 };
	PK11SlotInfo *slot = PK11_GetBestSlot(mech, NULL);
	PK11SymKey *sym = NULL;
	PK11Context *cx = NULL;
	int n = 0, rc = -EIO;

	(void)ctx;
	if (slot == NULL || len > INT32_MAX)
		goto out;
	sym = PK11_ImportSymKey(slot, mech, PK11_OriginUnwrap, CKA_ENCRYPT, &k,
				NULL);
	if (sym != NULL)
		cx = PK11_CreateContextBySymKey(mech, CKA_ENCRYPT, sym, &none);
	if (cx != NULL &&
	    PK11_CipherOp(cx, out, &n, (int)len, in, (int)len) == SECSuccess &&
	    n == (int)len)
		rc = 0;
out:
	if (cx != NULL)
		PK11_DestroyContext(cx, PR_TRUE);
	if (sym != NULL)
		PK11_FreeSymKey(sym);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	return rc;
}

/* ---- provisioning ---- */

static int nss_put_cert(void *ctx, int key, const uint8_t *der, size_t len,
			uint8_t *alg)
{
	struct vcg_piv_card *c = ctx;
	SECItem item = { siBuffer, (unsigned char *)der, (unsigned)len };
	PK11SlotInfo *slot = rw_slot(c);
	CERTCertificate *tmp, *now = NULL, *old;
	int rc = -EIO;

	if (slot == NULL || len > INT32_MAX)
		goto out;
	/* What CERT_DecodeCertFromPackage() makes of DER (a temporary
	 * certificate), without libsmime3: the daemon would load that
	 * library at every start for this one call (bench/README.md,
	 * start-up third pass). The PUT DATA certificate is DER (SP
	 * 800-73-4 Part 1, table 10, tag 70). */
	tmp = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL,
				      PR_FALSE, PR_TRUE);
	if (tmp == NULL || (*alg = cert_alg(tmp)) == 0) {
		if (tmp != NULL)
			CERT_DestroyCertificate(tmp);
		rc = -EINVAL;
		goto out;
	}
	CERT_DestroyCertificate(tmp);
	/* One certificate per nickname: the old one leaves the db first
	 * (its private key stays), so the next start finds the new one. */
	if (c->cert[key] != NULL &&
	    SECITEM_CompareItem(&c->cert[key]->derCert, &item) != SECEqual) {
		old = PK11_FindCertFromDERCertItem(slot, &c->cert[key]->derCert,
						   NULL);
		if (old != NULL) {
			SEC_DeletePermCertificate(old);
			CERT_DestroyCertificate(old);
		}
	}
	if (PK11_ImportDERCert(slot, &item, CK_INVALID_HANDLE, c->nick[key],
			       PR_FALSE) != SECSuccess) {
		say(c, LOG_ERR, "PIV: NSS cannot store the certificate for key %d as '%s' (error %d)",
		    key, c->nick[key], PORT_GetError());
		goto out;
	}
	now = PK11_FindCertFromDERCertItem(slot, &item, NULL);
	if (now == NULL)
		goto out;
	if (c->cert[key] != NULL)
		CERT_DestroyCertificate(c->cert[key]);
	c->cert[key] = now;
	if (c->pending[key] != NULL) {
		/* NSS pairs the key and the certificate through CKA_ID. */
		SECKEY_DestroyPrivateKey(c->pending[key]);
		c->pending[key] = NULL;
	}
	c->alg[key] = *alg;
	rc = 0;
out:
	return rc;
}

static int nss_put_object(void *ctx, uint32_t tag, const uint8_t *obj,
			  size_t len)
{
	struct vcg_piv_card *c = ctx;
	char why[700];
	int rc = vcg_piv_state_save_object(c->st, tag, obj, len, why,
					   sizeof(why));

	if (rc < 0)
		say(c, LOG_ERR, "PIV: %s", why);
	return rc;
}

/* DER OIDs of the curves (RFC 5480 2.1.1.1). */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D,
				    0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22 };

static void put_unsigned(struct vcg_piv_buf *b, uint32_t tag, const SECItem *v)
{
	size_t skip = 0;

	while (skip + 1 < v->len && v->data[skip] == 0)
		skip++;
	vcg_piv_put_tlv(b, tag, v->data + skip, v->len - skip);
}

/* A public key as GENERATE's 7F49 contents (81 82, or 86). */
static void put_public(struct vcg_piv_buf *b, const SECKEYPublicKey *pub)
{
	if (pub->keyType == rsaKey) {
		put_unsigned(b, 0x81, &pub->u.rsa.modulus);
		put_unsigned(b, 0x82, &pub->u.rsa.publicExponent);
	} else {
		vcg_piv_put_tlv(b, 0x86, pub->u.ec.publicValue.data,
				pub->u.ec.publicValue.len);
	}
}

static int nss_public_key(void *ctx, int key, uint8_t *out, size_t cap,
			  size_t *out_len, bool *generated)
{
	struct vcg_piv_card *c = ctx;
	SECKEYPublicKey *pub;
	struct vcg_piv_buf b;

	if (key < 0 || key >= VCG_PIV_NKEYS)
		return -ENOENT;
	pub = public_key(c, key);
	if (pub == NULL)
		return -ENOENT;
	vcg_piv_buf_init(&b, out, cap);
	put_public(&b, pub);
	SECKEY_DestroyPublicKey(pub);
	if (b.overflow)
		return -EOVERFLOW;
	*generated = c->pending[key] != NULL;
	*out_len = b.len;
	return 0;
}

static int nss_generate(void *ctx, int key, uint8_t alg, uint8_t *out,
			size_t cap, size_t *out_len)
{
	struct vcg_piv_card *c = ctx;
	PK11SlotInfo *slot = rw_slot(c);
	PK11RSAGenParams rsa = { 0, 65537 };
	SECItem ec = { siBuffer, NULL, 0 };
	SECKEYPublicKey *pub = NULL;
	SECKEYPrivateKey *priv;
	CK_MECHANISM_TYPE mech;
	struct vcg_piv_buf b;
	void *params;
	int rc = -EIO;

	if (slot == NULL)
		return -EIO;
	if (PK11_NeedLogin(slot) && !PK11_IsLoggedIn(slot, NULL)) {
		rc = -EACCES;   /* a password db: VERIFY the PIN first */
		goto out;
	}
	switch (alg) {
	case VCG_PIV_ALG_RSA1024:
	case VCG_PIV_ALG_RSA2048:
	case VCG_PIV_ALG_RSA3072:
		rsa.keySizeInBits = alg == VCG_PIV_ALG_RSA1024 ? 1024 :
				    alg == VCG_PIV_ALG_RSA2048 ? 2048 : 3072;
		mech = CKM_RSA_PKCS_KEY_PAIR_GEN;
		params = &rsa;
		break;
	case VCG_PIV_ALG_P256:
	case VCG_PIV_ALG_P384:
		ec.data = (unsigned char *)(alg == VCG_PIV_ALG_P256 ? oid_p256 : oid_p384);
		ec.len = alg == VCG_PIV_ALG_P256 ? sizeof(oid_p256) : sizeof(oid_p384);
		mech = CKM_EC_KEY_PAIR_GEN;
		params = &ec;
		break;
	default:
		rc = -EINVAL;
		goto out;
	}
	/* Permanent and sensitive: in the db, like the keys certutil makes. */
	priv = PK11_GenerateKeyPair(slot, mech, params, &pub, PR_TRUE, PR_TRUE,
				    NULL);
	if (priv == NULL || pub == NULL) {
		say(c, LOG_ERR, "PIV: NSS cannot generate a key for key %d (error %d)",
		    key, PORT_GetError());
		if (priv != NULL)
			SECKEY_DestroyPrivateKey(priv);
		goto out;
	}
	PK11_SetPrivateKeyNickname(priv, c->nick[key]);
	vcg_piv_buf_init(&b, out, cap);
	put_public(&b, pub);
	if (b.overflow) {
		PK11_DeleteTokenPrivateKey(priv, PR_FALSE);
		goto out;
	}
	if (c->pending[key] != NULL)   /* an earlier key no certificate took */
		PK11_DeleteTokenPrivateKey(c->pending[key], PR_FALSE);
	/* Keys changed: softoken may give a new key a deleted one's handle,
	 * which must not find the old key's session copy. */
	vcg_keycache_flush();
	c->pending[key] = priv;
	c->alg[key] = alg;
	*out_len = b.len;
	rc = 0;
out:
	if (pub != NULL)
		SECKEY_DestroyPublicKey(pub);
	return rc;
}

static void nss_state_changed(void *ctx, const struct vcg_piv_state *st)
{
	struct vcg_piv_card *c = ctx;
	char why[700];

	if (vcg_piv_state_save(st, why, sizeof(why)) < 0)
		say(c, LOG_ERR, "PIV: %s (retry counters kept in memory only)",
		    why);
}

/* ---- the card ---- */

/* SHA-256 over `n` buffers (each followed by a NUL when `sep`). */
static int sha256(const uint8_t *const *p, const size_t *len, int n, bool sep,
		  uint8_t digest[32])
{
	PK11Context *h = PK11_CreateDigestContext(SEC_OID_SHA256);
	unsigned out = 0;
	SECStatus s;

	if (h == NULL)
		return -1;
	s = PK11_DigestBegin(h);
	for (int i = 0; i < n && s == SECSuccess; i++) {
		s = PK11_DigestOp(h, p[i], (unsigned)len[i]);
		if (s == SECSuccess && sep)
			s = PK11_DigestOp(h, (const unsigned char *)"", 1);
	}
	if (s == SECSuccess)
		s = PK11_DigestFinal(h, digest, &out, 32);
	PK11_DestroyContext(h, PR_TRUE);
	return s == SECSuccess && out == 32 ? 0 : -1;
}

/* The card id (the state file's name): the db directory and the three
 * nicknames, which provisioning does not change. */
static int card_id(const struct vcg_emul_config *cfg, char id[17])
{
	const uint8_t *p[4] = { (const uint8_t *)cfg->db_dir };
	size_t len[4] = { strlen(cfg->db_dir) };
	uint8_t digest[32];

	for (int i = 0; i < 3; i++) {
		p[i + 1] = (const uint8_t *)cfg->certs[i];
		len[i + 1] = strlen(cfg->certs[i]);
	}
	if (sha256(p, len, 4, true, digest) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		sprintf(id + 2 * i, "%02x", digest[i]);
	return 0;
}

/* The GUID of a card whose state has none yet: from cert1..cert3. */
static int derive_guid(struct vcg_piv_card *c, uint8_t guid[VCG_PIV_GUID_LEN])
{
	const uint8_t *p[3];
	size_t len[3];
	uint8_t digest[32];

	for (int i = 0; i < 3; i++) {
		p[i] = c->cert[i]->derCert.data;
		len[i] = c->cert[i]->derCert.len;
	}
	if (sha256(p, len, 3, false, digest) < 0)
		return -1;
	memcpy(guid, digest, VCG_PIV_GUID_LEN);
	return 0;
}

void vcg_piv_card_free(struct vcg_piv_card *c)
{
	if (c == NULL)
		return;
	vcg_piv_router_free(c->router);
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		if (c->cert[i] != NULL)
			CERT_DestroyCertificate(c->cert[i]);
		if (c->pending[i] != NULL)
			SECKEY_DestroyPrivateKey(c->pending[i]);
	}
	free(c->st);
	if (c->rw != NULL) {
		SECMOD_CloseUserDB(c->rw);
		PK11_FreeSlot(c->rw);
	}
	free(c);
}

struct vcg_piv_router *vcg_piv_card_router(struct vcg_piv_card *c)
{
	return c != NULL ? c->router : NULL;
}

/* PUT DATA objects saved by an earlier run (vcg_piv_state.h). */
static const uint32_t saved_tags[] = {
	VCG_PIV_TAG_CHUID, VCG_PIV_TAG_CCC, VCG_PIV_TAG_KEY_HISTORY,
	0x5FC103, 0x5FC104, 0x5FC106, 0x5FC108, 0x5FC109, 0x5FC10D,
	0x5FC10E, 0x5FC10F, 0x5FC110, 0x5FC111, 0x5FC112, 0x5FC113,
	0x5FC114, 0x5FC115, 0x5FC116, 0x5FC117, 0x5FC118, 0x5FC119,
	0x5FC11A, 0x5FC11B, 0x5FC11C, 0x5FC11D, 0x5FC11E, 0x5FC11F,
	0x5FC120, 0x5FC121, 0x5FC122, 0x5FC123, 0x5FFF00, 0x5FFF01,
};

static void load_saved_objects(struct vcg_piv_card *c,
			       struct vcg_piv_objects *objs)
{
	for (size_t i = 0; i < sizeof(saved_tags) / sizeof(saved_tags[0]); i++) {
		size_t len = 0;
		uint8_t *obj = vcg_piv_state_load_object(c->st, saved_tags[i],
							 VCG_PIV_CHAIN_MAX, &len);
		struct vcg_piv_tlv t;

		if (obj == NULL)
			continue;
		/* Only a well-formed 53 object, as PUT DATA took it. */
		if (vcg_piv_tlv_parse(obj, len, &t) != len || t.tag != 0x53 ||
		    vcg_piv_objects_put(objs, saved_tags[i], obj, len) < 0)
			say(c, LOG_WARNING, "PIV: saved object %06x ignored (malformed)",
			    (unsigned)saved_tags[i]);
		free(obj);
	}
}

static struct vcg_piv_applet *make_applet(struct vcg_piv_card *c,
					  const struct vcg_emul_config *cfg,
					  char *why, size_t whylen)
{
	const uint8_t *der[VCG_PIV_NKEYS] = { NULL };
	size_t len[VCG_PIV_NKEYS] = { 0 };
	struct vcg_piv_objects *objs;
	struct vcg_piv_ops ops;
	PK11SlotInfo *slot;
	char id[17], line[700] = "";

	if (card_id(cfg, id) < 0) {
		snprintf(why, whylen, "NSS cannot hash the card's identity");
		return NULL;
	}
	c->st = calloc(1, sizeof(*c->st));
	if (c->st == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (vcg_piv_state_load(c->st, cfg->state_dir, id, line, sizeof(line)) < 0)
		say(c, LOG_WARNING, "PIV: %s", line);
	if (!c->st->has_guid) {
		if (derive_guid(c, c->st->guid) < 0) {
			snprintf(why, whylen, "NSS cannot hash the certificates");
			return NULL;
		}
		c->st->has_guid = true;
	}
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		if (c->cert[i] == NULL)
			continue;
		der[i] = c->cert[i]->derCert.data;
		len[i] = c->cert[i]->derCert.len;
	}
	objs = vcg_piv_objects_new(c->st->guid, der, len);
	if (objs == NULL) {
		snprintf(why, whylen, "out of memory or a certificate over %d bytes",
			 VCG_PIV_CERT_MAX);
		return NULL;
	}
	load_saved_objects(c, objs);
	slot = PK11_GetInternalKeySlot();
	memset(&ops, 0, sizeof(ops));
	ops.ctx = c;
	ops.pin_is_db_password = slot != NULL && PK11_NeedLogin(slot);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	ops.check_pin = nss_check_pin;
	ops.change_pin = nss_change_pin;
	ops.random = nss_random;
	ops.sign = nss_sign;
	ops.ecdh = nss_ecdh;
	ops.state_changed = nss_state_changed;
	/* A positive 31-bit serial from the GUID. */
	ops.serial = ((uint32_t)c->st->guid[12] << 24 |
		      (uint32_t)c->st->guid[13] << 16 |
		      (uint32_t)c->st->guid[14] << 8 | c->st->guid[15]) &
		     0x7FFFFFFF;
	ops.cipher = nss_cipher;
	ops.put_cert = nss_put_cert;
	ops.put_object = nss_put_object;
	ops.generate = nss_generate;
	ops.public_key = nss_public_key;
	return vcg_piv_applet_new(&ops, c->alg, objs, c->st);
}

struct vcg_piv_card *vcg_piv_card_new(const struct vcg_emul_config *cfg,
				      vcg_piv_log_fn log, void *log_arg,
				      char *why, size_t whylen)
{
	struct vcg_piv_applet *applet = NULL;
	struct vcg_piv_card *c;

	if (cfg->backend != VCG_EMUL_CERTIFICATES) {
		snprintf(why, whylen, "not a certificates card");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	c->log = log;
	c->log_arg = log_arg;
	snprintf(c->db, sizeof(c->db), "%s", cfg->db);
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		const char *nick = i < VCG_EMUL_NCERTS ? cfg->certs[i] :
				   cfg->cert4[0] != '\0' ? cfg->cert4 :
				   NICK_9E_DEFAULT;

		snprintf(c->nick[i], sizeof(c->nick[i]), "%s", nick);
		c->cert[i] = vcg_nssdb_find_cert(nick);
		if (c->cert[i] == NULL && i == VCG_PIV_KEY_9E &&
		    cfg->cert4[0] == '\0')
			continue;   /* no 9E until provisioned */
		if (c->cert[i] == NULL) {
			snprintf(why, whylen, "NSS does not find certificate %d (%s)",
				 i + 1, nick);
			goto fail;
		}
		c->alg[i] = cert_alg(c->cert[i]);
		if (c->alg[i] == 0)
			say(c, LOG_WARNING,
			    "PIV: certificate %d (%s) has a key PIV cannot use (RSA 1024/2048/3072, EC P-256/P-384): its slot signs nothing",
			    i + 1, nick);
	}
	/* personality=cac too: the applet's PIN counter guards libcacard's
	 * VERIFY (vcg_piv_router.h); nothing else is routed to it. */
	applet = make_applet(c, cfg, why, whylen);
	if (applet == NULL && cfg->personality != VCG_PIV_CAC)
		goto fail;
	if (applet == NULL)
		say(c, LOG_WARNING,
		    "PIV: no retry counter for the CAC card's VERIFY (%s)",
		    why);
	c->router = vcg_piv_router_new(cfg->personality, applet, nss_random, c);
	if (c->router == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	return c;
fail:
	vcg_piv_card_free(c);
	return NULL;
}
