/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card's persistent state: the PIN and PUK retry counters, the
 * PUK, and the PIN when the NSS db has no password. One file per card,
 * STATE_DIR/piv-<card id>.state (the card id: vcg_piv_nss.c, a hash of
 * the db directory and the certificates' nicknames), so a blocked PIN stays blocked across a
 * daemon restart until RESET RETRY COUNTER with the PUK.
 *
 * Where the secrets come from (documented in the README too):
 *  - PIN: the NSS db password when the db has one (then the file holds no
 *    PIN); for a db without a password the PIV PIN is 123456 (the PIV
 *    default, SP 800-73-4 has none but every PIV middleware assumes it)
 *    until CHANGE REFERENCE DATA sets another, kept here.
 *  - PUK: 12345678 until CHANGE REFERENCE DATA 81 sets another, kept here.
 *  - Retries: 3 each (VCG_PIV_TRIES). The PIN's counter also counts
 *    VERIFY on libcacard's CAC card, on every personality
 *    (vcg_piv_router.h), so this file exists for personality=cac too.
 *  - Management key (9B): 3DES 010203040506070801020304050607080102030405060708
 *    (the well-known default of PIV middleware, yubico-piv-tool's
 *    YKPIV_MGM_DEFAULT) until SET MANAGEMENT KEY sets another, kept here
 *    with its algorithm. VCG_PIV_MGM_TRIES wrong answers in a row block
 *    provisioning; only removing the state file (the operator, on the
 *    board) unblocks it, and that restores every default.
 *
 * File format: text lines "key=value"; pin, puk and mgm-key hex-encoded (a PIN
 * may hold any byte but FF). Unknown keys are ignored, a bad value
 * falls back to the default with a warning from load. Written
 * atomically: a temporary file in the same directory, mode 0600, fsync,
 * rename. */
#ifndef VCG_PIV_STATE_H
#define VCG_PIV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VCG_PIV_TRIES 3
#define VCG_PIV_SECRET_MAX 8         /* PIN / PUK: 8 bytes padded with FF */
#define VCG_PIV_DEFAULT_STATE_DIR "/var/lib/ccid-gadget"
#define VCG_PIV_MGM_KEY_MAX 32
#define VCG_PIV_MGM_TRIES 5

struct vcg_piv_state {
	char path[600];                 /* "" : kept in memory only */
	unsigned pin_tries;             /* left; 0 = blocked */
	unsigned puk_tries;
	uint8_t pin[VCG_PIV_SECRET_MAX];   /* no-password db only */
	size_t pin_len;
	uint8_t puk[VCG_PIV_SECRET_MAX];
	size_t puk_len;
	/* The card management key 9B (SP 800-73-4 Part 2 Table 4: "PIV
	 * Card Application Administration Key"), for provisioning. */
	uint8_t mgm_alg;                /* 03 3DES, 08/0A/0C AES-128/192/256 */
	uint8_t mgm_key[VCG_PIV_MGM_KEY_MAX];
	size_t mgm_key_len;
	unsigned mgm_tries;             /* left; 0 = provisioning blocked */
	/* The card's GUID (CHUID, CCC, serial): derived from the
	 * certificates the first time, then kept here, so provisioning new
	 * certificates does not change the card's identity. */
	uint8_t guid[16];
	bool has_guid;
};

/* Key length of management key algorithm alg (03, 08, 0A, 0C), 0 if
 * not one of those. */
size_t vcg_piv_mgm_key_len(uint8_t alg);

/* The defaults above; path "" (not persisted). */
void vcg_piv_state_defaults(struct vcg_piv_state *st);

/* Apply the "key=value" lines of text (len bytes, need not end in NUL)
 * to st. Returns the number of lines it ignored as malformed. */
int vcg_piv_state_parse(struct vcg_piv_state *st, const char *text,
			size_t len);

/* Defaults, then dir/piv-<id>.state if it exists. 0 (also when the file
 * is absent: it is written at the first change), or -errno with one
 * line in why (unreadable file: the state stays the defaults and
 * path stays set, so a later save may still work). */
int vcg_piv_state_load(struct vcg_piv_state *st, const char *dir,
		       const char *id, char *why, size_t whylen);

/* Write st to st->path atomically (no-op for path ""). 0 or -errno with
 * one line in why. */
int vcg_piv_state_save(const struct vcg_piv_state *st, char *why,
		       size_t whylen);

/* PUT DATA objects beside the state file: STATE_DIR/piv-ID.TAG (6 hex
 * digits), written atomically like the state. No-op for path "". 0 or
 * -errno with one line in why. */
int vcg_piv_state_save_object(const struct vcg_piv_state *st, uint32_t tag,
			      const uint8_t *data, size_t len, char *why,
			      size_t whylen);

/* A saved object (1..max bytes) in a malloc'd buffer the caller frees,
 * its length in *len; NULL if there is none (or it is empty or longer
 * than max). */
uint8_t *vcg_piv_state_load_object(const struct vcg_piv_state *st,
				   uint32_t tag, size_t max, size_t *len);

#endif
