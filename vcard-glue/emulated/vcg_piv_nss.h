/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card edge on the emulated card's NSS db: the keys, the PIN
 * (the db password), randomness and the card identity, behind
 * struct vcg_piv_ops (vcg_piv_applet.h), and the router built on them.
 *
 * - Keys: cert1 -> 9A, cert2 -> 9C, cert3 -> 9D, cert4 (optional) -> 9E;
 *   each algorithm from the certificate's public key (RSA 1024/2048/
 *   3072, EC P-256/P-384); the private key found through the
 *   certificate (PK11_FindKeyByAnyCert) when it is used, since a db
 *   with a password shows its private keys only after login.
 * - RSA: the raw private-key operation (PK11_PubDecryptRaw, i.e.
 *   CKM_RSA_X_509), for signatures and decryption alike (Part 2 3.2.4);
 *   ECDSA: CKM_ECDSA, the signature DER-encoded (SP 800-73-4 Part 2
 *   Table 7 note: an X9.62 Ecdsa-Sig-Value); ECDH: CKM_ECDH1_DERIVE, the
 *   shared secret's x coordinate.
 * - The card id and the CHUID/CCC GUID: SHA-256 over cert1..cert3's DER,
 *   the first 16 bytes the GUID, the first 8 in hex the state file's
 *   name: the same for the same certificates across restarts, different
 *   per card.
 * NSS must be libcacard's, initialised (vcg_cacard.h). */
#ifndef VCG_PIV_NSS_H
#define VCG_PIV_NSS_H

#include <stddef.h>

#include "vcg_emul_config.h"
#include "vcg_piv_router.h"

struct vcg_piv_card;

/* A log line from the card (state file trouble); any thread. */
typedef void (*vcg_piv_log_fn)(void *arg, int level, const char *line);

/* The card's router for cfg's personality (certificates backend only).
 * NULL with one line in why. Warnings (a state file that cannot be read)
 * go to log at once. */
struct vcg_piv_card *vcg_piv_card_new(const struct vcg_emul_config *cfg,
				      vcg_piv_log_fn log, void *log_arg,
				      char *why, size_t whylen);
void vcg_piv_card_free(struct vcg_piv_card *c);
/* The card's router (the card's; NULL-safe). */
struct vcg_piv_router *vcg_piv_card_router(struct vcg_piv_card *c);

#endif
