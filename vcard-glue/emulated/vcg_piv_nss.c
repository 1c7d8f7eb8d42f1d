/* The PIV card edge on NSS: see vcg_piv_nss.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cert.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <secerr.h>

#include "vcg_piv_nss.h"

struct vcg_piv_card {
	CERTCertificate *cert[VCG_PIV_NKEYS];   /* NULL: no key */
	uint8_t alg[VCG_PIV_NKEYS];
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

static int nss_check_pin(void *ctx, const uint8_t *pin, size_t len)
{
	PK11SlotInfo *slot = PK11_GetInternalKeySlot();
	char pw[VCG_PIV_SECRET_MAX + 1];
	SECStatus s;
	int rc;

	(void)ctx;
	if (slot == NULL)
		return -ENODEV;
	if (len > VCG_PIV_SECRET_MAX || memchr(pin, 0, len) != NULL) {
		PK11_FreeSlot(slot);
		return 0;                     /* no NSS password holds NUL */
	}
	memcpy(pw, pin, len);
	pw[len] = '\0';
	/* Right: NSS logs the slot in, so the private keys can be used. */
	s = PK11_CheckUserPassword(slot, pw);
	rc = s == SECSuccess ? 1 : PORT_GetError() == SEC_ERROR_BAD_PASSWORD ? 0
									      : -EIO;
	memset(pw, 0, sizeof(pw));
	PK11_FreeSlot(slot);
	return rc;
}

static int nss_change_pin(void *ctx, const uint8_t *old, size_t old_len,
			  const uint8_t *pin, size_t len)
{
	char o[VCG_PIV_SECRET_MAX + 1], n[VCG_PIV_SECRET_MAX + 1];
	PK11SlotInfo *slot = PK11_GetInternalKeySlot();
	SECStatus s;

	(void)ctx;
	if (slot == NULL)
		return -ENODEV;
	if (old_len > VCG_PIV_SECRET_MAX || len > VCG_PIV_SECRET_MAX ||
	    memchr(old, 0, old_len) != NULL || memchr(pin, 0, len) != NULL) {
		PK11_FreeSlot(slot);
		return -EINVAL;
	}
	memcpy(o, old, old_len);
	o[old_len] = '\0';
	memcpy(n, pin, len);
	n[len] = '\0';
	s = PK11_ChangePW(slot, o, n);
	memset(o, 0, sizeof(o));
	memset(n, 0, sizeof(n));
	PK11_FreeSlot(slot);
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
	if (key < 0 || key >= VCG_PIV_NKEYS || c->cert[key] == NULL)
		return NULL;
	return PK11_FindKeyByAnyCert(c->cert[key], NULL);
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
	mine = CERT_ExtractPublicKey(c->cert[key]);
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

static void nss_state_changed(void *ctx, const struct vcg_piv_state *st)
{
	struct vcg_piv_card *c = ctx;
	char why[700];

	if (vcg_piv_state_save(st, why, sizeof(why)) < 0)
		say(c, LOG_ERR, "PIV: %s (retry counters kept in memory only)",
		    why);
}

/* ---- the card ---- */

static int card_id(struct vcg_piv_card *c, uint8_t guid[VCG_PIV_GUID_LEN],
		   char id[17], uint32_t *serial)
{
	PK11Context *h = PK11_CreateDigestContext(SEC_OID_SHA256);
	unsigned char digest[32];
	unsigned n = 0;
	SECStatus s;

	if (h == NULL)
		return -1;
	s = PK11_DigestBegin(h);
	for (int i = 0; i < 3 && s == SECSuccess; i++)
		s = PK11_DigestOp(h, c->cert[i]->derCert.data,
				  c->cert[i]->derCert.len);
	if (s == SECSuccess)
		s = PK11_DigestFinal(h, digest, &n, sizeof(digest));
	PK11_DestroyContext(h, PR_TRUE);
	if (s != SECSuccess || n != sizeof(digest))
		return -1;
	memcpy(guid, digest, VCG_PIV_GUID_LEN);
	/* A positive 31-bit serial from the bytes after the GUID. */
	*serial = ((uint32_t)digest[16] << 24 | (uint32_t)digest[17] << 16 |
		   (uint32_t)digest[18] << 8 | digest[19]) & 0x7FFFFFFF;
	for (int i = 0; i < 8; i++)
		sprintf(id + 2 * i, "%02x", digest[i]);
	return 0;
}

void vcg_piv_card_free(struct vcg_piv_card *c)
{
	if (c == NULL)
		return;
	vcg_piv_router_free(c->router);
	for (int i = 0; i < VCG_PIV_NKEYS; i++)
		if (c->cert[i] != NULL)
			CERT_DestroyCertificate(c->cert[i]);
	free(c);
}

struct vcg_piv_router *vcg_piv_card_router(struct vcg_piv_card *c)
{
	return c != NULL ? c->router : NULL;
}

static struct vcg_piv_applet *make_applet(struct vcg_piv_card *c,
					  const struct vcg_emul_config *cfg,
					  char *why, size_t whylen)
{
	const uint8_t *der[VCG_PIV_NKEYS] = { NULL };
	size_t len[VCG_PIV_NKEYS] = { 0 };
	uint8_t guid[VCG_PIV_GUID_LEN];
	struct vcg_piv_objects *objs;
	struct vcg_piv_state st;
	struct vcg_piv_ops ops;
	PK11SlotInfo *slot;
	char id[17], line[700] = "";
	uint32_t serial = 0;

	if (card_id(c, guid, id, &serial) < 0) {
		snprintf(why, whylen, "NSS cannot hash the certificates");
		return NULL;
	}
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		if (c->cert[i] == NULL)
			continue;
		der[i] = c->cert[i]->derCert.data;
		len[i] = c->cert[i]->derCert.len;
	}
	objs = vcg_piv_objects_new(guid, der, len);
	if (objs == NULL) {
		snprintf(why, whylen, "out of memory or a certificate over %d bytes",
			 VCG_PIV_CERT_MAX);
		return NULL;
	}
	if (vcg_piv_state_load(&st, cfg->state_dir, id, line, sizeof(line)) < 0)
		say(c, LOG_WARNING, "PIV: %s", line);
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
	ops.serial = serial;
	ops.cipher = nss_cipher;
	return vcg_piv_applet_new(&ops, c->alg, objs, &st);
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
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		const char *nick = i < VCG_EMUL_NCERTS ? cfg->certs[i] : cfg->cert4;

		if (nick[0] == '\0')
			continue;
		c->cert[i] = PK11_FindCertFromNickname(nick, NULL);
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
	if (cfg->personality != VCG_PIV_CAC) {
		applet = make_applet(c, cfg, why, whylen);
		if (applet == NULL)
			goto fail;
	}
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
