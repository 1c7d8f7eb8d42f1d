/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PIV provisioning: the card management key 9B (SP 800-73-4 Part 2,
 * Table 4 "PIV Card Application Administration Key"; SP 800-78-4 Table
 * 6-1: 3DES 03, AES-128 08, AES-192 0A, AES-256 0C) and the mutual
 * authentication that proves the host holds it (Part 2, Appendix A.1
 * "Authentication of PIV Card Application Administrator": GENERAL
 * AUTHENTICATE 9B, first 7C { 80 00 } asks for a witness, the card
 * answers 7C { 80 E(W) }; then 7C { 80 W, 81 C } gives the decrypted
 * witness and a challenge, the card answers 7C { 82 E(C) }), the
 * one-way form (7C { 81 00 } gets a challenge C, 7C { 82 E(C) } proves
 * the key; the first half is also OpenSC's GET CHALLENGE), and
 * Yubico's SET MANAGEMENT KEY (INS FF, yubico-piv-tool lib/ykpiv.c
 * ykpiv_set_mgmkey3: P1 FF, P2 FF/FE, data ALG 9B LEN KEY).
 *
 * VCG_PIV_MGM_TRIES wrong witnesses in a row block it (vcg_piv_state.h).
 * Pure: the cipher is the caller's (struct vcg_piv_ops). */
#ifndef VCG_PIV_ADMIN_H
#define VCG_PIV_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcg_piv_state.h"

#define VCG_PIV_ADMIN_BLOCK_MAX 16

/* ECB-encrypt `len` bytes (a multiple of the block size) with `key` of
 * algorithm `alg`; 0 or -errno. */
typedef int (*vcg_piv_cipher_fn)(void *ctx, uint8_t alg, const uint8_t *key,
				 size_t key_len, const uint8_t *in, size_t len,
				 uint8_t *out);

struct vcg_piv_admin {
	bool authenticated;         /* until reset */
	bool witness_pending;
	bool challenge_pending;     /* one-way: 81 given, 82 E(C) expected */
	uint8_t witness[VCG_PIV_ADMIN_BLOCK_MAX];
	size_t block;
};

/* Card reset: authentication and a pending witness go. */
void vcg_piv_admin_reset(struct vcg_piv_admin *ad);

/* GENERAL AUTHENTICATE with key 9B, algorithm alg, the 7C template's
 * contents tmpl[0..len). The answer's data (a 7C template) goes into
 * resp (cap >= 64 bytes) with its length in *resp_len (0: none).
 * *changed is set when st changed (to be saved). Returns the SW. */
uint16_t vcg_piv_admin_authenticate(struct vcg_piv_admin *ad,
				    struct vcg_piv_state *st, uint8_t alg,
				    const uint8_t *tmpl, size_t len,
				    vcg_piv_cipher_fn cipher,
				    int (*random)(void *, uint8_t *, size_t),
				    void *ctx, uint8_t *resp, size_t cap,
				    size_t *resp_len, bool *changed);

/* SET MANAGEMENT KEY: p1 p2 and the data; needs authenticated. SW. */
uint16_t vcg_piv_admin_set_key(struct vcg_piv_admin *ad,
			       struct vcg_piv_state *st, uint8_t p1,
			       uint8_t p2, const uint8_t *data, size_t len,
			       bool *changed);

#endif
