/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fast private-key operations on a password-protected NSS db.
 *
 * Why: NSS's softoken keeps no token private key in memory. Every
 * operation on one (C_DecryptInit, C_SignInit) rebuilds the key from
 * key4.db, and each sensitive attribute there is PBES2-encrypted under the
 * db's password key with its own PBKDF2 (NSS's default 10,000 iterations
 * for a password db). Measured with an RSA-2048 key (make bench, section
 * 8): 2,191 M instructions per raw operation on the token key of a
 * password db against 19.9 M without a password (about 33 ms against
 * 1.5 ms); through the card with this cache, 19.1 M with the PIN and
 * 21.2 M without.
 *
 * What: while the slot is logged in (the host VERIFYed the PIN, which is
 * the db password), the first operation with a token key makes a session
 * copy of it in the same softoken slot (PK11_CopyTokenPrivKeyToSessionPrivKey:
 * C_CopyObject, CKA_TOKEN false, never leaving the module) and every later
 * operation uses the copy. The db on disk is untouched: the file is as
 * strong as before.
 *
 * The PIN keeps its meaning: softoken does NOT refuse a private session
 * object after C_Logout (measured: a copied key still signs), so this file
 * checks PK11_IsLoggedIn() before every use of a copy; logged out, every
 * copy is destroyed and the operation goes to the token key as before
 * (which softoken refuses). Power off and card removal also destroy the
 * copies (vcg_keycache_flush: libcacard logs out there). While logged in
 * the process could decrypt every key anyway (softoken holds the password
 * key), so a copy in memory exposes nothing new.
 *
 * How libcacard gets it: libcacard signs and decrypts (CAC 80 42) with
 * PK11_PrivDecryptRaw on the SECKEYPrivateKey it looked up once and keeps;
 * it has no hook to change that key. The daemon defines
 * PK11_PrivDecryptRaw itself (vcg_keycache.c): the dynamic linker binds
 * libcacard's call to the executable's definition, which swaps in the
 * copy and calls NSS's own (dlsym RTLD_NEXT). Same arguments, same result,
 * same errors; keys on a slot without a password go straight through.
 *
 * Thread-safe: one lock around the table and the operation. */
#ifndef VCG_KEYCACHE_H
#define VCG_KEYCACHE_H

#include <stddef.h>

/* Destroy every session copy (the card was powered off or removed). */
void vcg_keycache_flush(void);

/* Session copies alive now (for tests). */
size_t vcg_keycache_count(void);

#endif
