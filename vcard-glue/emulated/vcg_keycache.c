/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session copies of a password db's private keys: see vcg_keycache.h. */
#include "vcg_keycache.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <keyhi.h>
#include <pk11pub.h>
#include <secerr.h>
#include <secport.h>

/* libcacard's CAC card has three keys; a few more for a PIV card. */
#define KEYCACHE_MAX 8

struct cached_key {
	PK11SlotInfo *slot;            /* referenced */
	CK_OBJECT_HANDLE token_id;     /* the db's key */
	SECKEYPrivateKey *copy;        /* owned session object */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_key cache[KEYCACHE_MAX];
static size_t n_cached;

typedef SECStatus decrypt_raw_fn(SECKEYPrivateKey *, unsigned char *,
				 unsigned *, unsigned int, const unsigned char *,
				 unsigned int);
typedef int signature_len_fn(SECKEYPrivateKey *);

static void flush_locked(void)
{
	size_t i;

	for (i = 0; i < n_cached; i++) {
		SECKEY_DestroyPrivateKey(cache[i].copy);   /* C_DestroyObject */
		PK11_FreeSlot(cache[i].slot);
	}
	n_cached = 0;
}

void vcg_keycache_flush(void)
{
	pthread_mutex_lock(&lock);
	flush_locked();
	pthread_mutex_unlock(&lock);
}

size_t vcg_keycache_count(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = n_cached;
	pthread_mutex_unlock(&lock);
	return n;
}

/* The key to use for `key`: its session copy when key is a token key of a
 * logged-in password slot, else key itself. Lock held. */
static SECKEYPrivateKey *pick_locked(SECKEYPrivateKey *key)
{
	PK11SlotInfo *slot = key != NULL ? key->pkcs11Slot : NULL;
	SECKEYPrivateKey *copy;
	size_t i;

	if (slot == NULL || key->pkcs11IsTemp || !PK11_NeedLogin(slot))
		return key;
	if (!PK11_IsLoggedIn(slot, NULL)) {
		flush_locked();            /* the PIN is needed again */
		return key;
	}
	for (i = 0; i < n_cached; i++)
		if (cache[i].slot == slot && cache[i].token_id == key->pkcs11ID)
			return cache[i].copy;
	if (n_cached == KEYCACHE_MAX)
		return key;                /* unusual card: the slow path */
	copy = PK11_CopyTokenPrivKeyToSessionPrivKey(slot, key);
	if (copy == NULL)
		return key;
	cache[n_cached].slot = PK11_ReferenceSlot(slot);
	cache[n_cached].token_id = key->pkcs11ID;
	cache[n_cached].copy = copy;
	n_cached++;
	return copy;
}

/* NSS's own, found once past this executable. */
static decrypt_raw_fn *real_decrypt_raw;
static signature_len_fn *real_signature_len;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
	void *sym = dlsym(RTLD_NEXT, "PK11_PubDecryptRaw");

	memcpy(&real_decrypt_raw, &sym, sizeof(sym));   /* POSIX dlsym */
	sym = dlsym(RTLD_NEXT, "PK11_SignatureLen");
	memcpy(&real_signature_len, &sym, sizeof(sym));
}

/* Interposes NSS's PK11_SignatureLen (pk11pub.h), which libcacard calls
 * before every operation: on a token key it reads CKA_MODULUS, whose
 * integrity check in a password db is another PBKDF2. */
int PK11_SignatureLen(SECKEYPrivateKey *key)
{
	int n;

	pthread_once(&real_once, find_real);
	if (real_signature_len == NULL)
		return -1;
	pthread_mutex_lock(&lock);
	n = real_signature_len(pick_locked(key));
	pthread_mutex_unlock(&lock);
	return n;
}

/* Interposes NSS's PK11_PrivDecryptRaw (pk11pub.h: a macro for
 * PK11_PubDecryptRaw, the exported name) for libcacard: see
 * vcg_keycache.h. */
SECStatus PK11_PrivDecryptRaw(SECKEYPrivateKey *key, unsigned char *data,
			      unsigned *outLen, unsigned int maxLen,
			      const unsigned char *enc, unsigned encLen)
{
	SECStatus rv;

	pthread_once(&real_once, find_real);
	if (real_decrypt_raw == NULL) {
		PORT_SetError(SEC_ERROR_LIBRARY_FAILURE);
		return SECFailure;
	}
	pthread_mutex_lock(&lock);
	rv = real_decrypt_raw(pick_locked(key), data, outLen, maxLen, enc,
			      encLen);
	pthread_mutex_unlock(&lock);
	return rv;
}
