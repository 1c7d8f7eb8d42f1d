/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card application (NIST SP 800-73-4 Part 2, the card command
 * interface) on the emulated card: the APDU dispatcher and the security
 * status. The keys and the PIN check live behind struct vcg_piv_ops
 * (vcg_piv_nss.c: the NSS db; the unit tests and the fuzz target: a
 * fake), so this file is pure and runs without NSS.
 *
 * Commands (Part 2, 3):
 *  SELECT (A4 04 00) of the PIV AID, full or right-truncated: the
 *      application property template (3.1.1, Table 3).
 *  GET DATA (CB 3F FF, 5C tag list): vcg_piv_objects.h; 6A82 unknown.
 *  VERIFY (20 00 80): the PIV PIN, 8 bytes padded with FF; no data:
 *      9000 when verified, else 63Cx; 6983 blocked. VERIFY FF 80 (no
 *      data) resets the PIN's security status (3.2.1).
 *  CHANGE REFERENCE DATA (24 00 80 / 81): PIN or PUK, old || new.
 *  RESET RETRY COUNTER (2C 00 80): PUK || new PIN.
 *  GENERAL AUTHENTICATE (87 alg key, 7C template, 3.2.4): 81 challenge
 *      + empty 82: the private key operation (RSA raw / ECDSA); 85 point
 *      + empty 82: ECDH. Answer 7C { 82 result }.
 *  GET CHALLENGE (84): random bytes (not PIV, ISO 7816-4 7.5.3; hosts'
 *      self-tests ask for it).
 *  GET RESPONSE (C0): the rest of an answer too long for Le (61xx).
 *  GENERAL AUTHENTICATE 9B and SET MANAGEMENT KEY (FF): the card
 *      management key (vcg_piv_admin.h).
 *  PUT DATA (DB 3F FF, 5C tag + 53 object) and GENERATE ASYMMETRIC KEY
 *      PAIR (47 00 key, AC { 80 alg }): after the management key (Part 2,
 *      3.3.2, 3.3.3); certificates go to NSS, other objects to the state
 *      directory. PIN and touch policies (AA, AB) are accepted and
 *      ignored: the PIN rules are the fixed ones below.
 *  GET METADATA (F7 00 ref, Yubico's lib/ykpiv.h YKPIV_METADATA_*):
 *      01 algorithm, 02 PIN and touch policy, 03 origin, 04 public key
 *      for 9A/9C/9D/9E (policies: 9A and 9D PIN once, 9C always, 9E
 *      never; touch never), 01/02/05 for 9B, 01/05/06 (tries) for the
 *      PIN 80 and PUK 81; 6A88 for an empty slot or another reference.
 *      ykcs11 reads the 9C "PIN always" rule from it.
 *  GET VERSION (FD) and GET SERIAL (F8): Yubico's PIV extensions
 *      (yubico-piv-tool's lib/ykpiv.c: ykpiv_connect fails without a
 *      version; with 5.x it reads the serial with F8). The card says
 *      5.7.0 (VCG_PIV_YK_VERSION): the level whose features it has (RSA
 *      3072, VERIFY FF) in Yubico's own version checks.
 * Command chaining (CLA bit 10, ISO 7816-4 5.1.1.1) for every command;
 * extended APDUs answer up to Le (65536) at once.
 *
 * Key access (Part 1 Table 4b): 9A and 9D after VERIFY until reset (or
 * VERIFY FF); 9C needs a VERIFY right before each signature (PIN
 * always); 9E needs none.
 *
 * Status words: 6700 malformed APDU, 6A80 bad data field, 6A86 bad
 * P1/P2 (unknown key, algorithm not the key's), 6A82 no such object or
 * application, 6A88 no such reference data, 6982 security status not
 * satisfied, 6983 blocked, 63Cx wrong PIN/PUK with x tries left, 6985
 * GET RESPONSE with nothing pending, 6D00 unknown INS, 6E00 bad CLA,
 * 6A84 chained data too long, 6A81 PUT DATA of a certificate on a card
 * that cannot store one, 6F00 the key operation failed.
 *
 * One instance per card, used by one thread (the emulated card's
 * worker). Output buffers are the caller's. */
#ifndef VCG_PIV_APPLET_H
#define VCG_PIV_APPLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcg_piv_admin.h"
#include "vcg_piv_objects.h"
#include "vcg_piv_state.h"

/* SP 800-78-4 Table 6-2: cryptographic algorithm identifiers. */
#define VCG_PIV_ALG_RSA1024 0x06
#define VCG_PIV_ALG_RSA2048 0x07
#define VCG_PIV_ALG_RSA3072 0x05
#define VCG_PIV_ALG_P256 0x11
#define VCG_PIV_ALG_P384 0x14

/* What GET VERSION answers (major, minor, patch). */
#define VCG_PIV_YK_VERSION { 5, 7, 0 }

/* Key indexes 0..3 = key references 9A 9C 9D 9E. */
enum { VCG_PIV_KEY_9A, VCG_PIV_KEY_9C, VCG_PIV_KEY_9D, VCG_PIV_KEY_9E };

/* A card answer is at most 65536 data bytes + SW. */
#define VCG_PIV_OUT_MAX (65536 + 2)
/* Chained command data the card accepts. */
#define VCG_PIV_CHAIN_MAX 16384

struct vcg_piv_ops {
	void *ctx;
	/* Does the NSS db have a password? Then the PIN is that password
	 * (check_pin / change_pin); else it is the state file's. */
	bool pin_is_db_password;
	/* 1 the PIN is right, 0 wrong, -errno could not tell. */
	int (*check_pin)(void *ctx, const uint8_t *pin, size_t len);
	/* Set the db password; 0, or -EACCES when `old` is wrong, -errno. */
	int (*change_pin)(void *ctx, const uint8_t *old, size_t old_len,
			  const uint8_t *pin, size_t len);
	/* n random bytes; 0 or -errno. */
	int (*random)(void *ctx, uint8_t *out, size_t n);
	/* Key `key`'s private key on `in`: RSA without padding (in is the
	 * modulus size), ECDSA on a digest (out: the DER signature).
	 * 0 or -errno; the result's length in *out_len. */
	int (*sign)(void *ctx, int key, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *out_len);
	/* ECDH of key `key` with the uncompressed point; out: the shared
	 * x coordinate. 0 or -errno. */
	int (*ecdh)(void *ctx, int key, const uint8_t *point, size_t len,
		    uint8_t *out, size_t cap, size_t *out_len);
	/* The state changed (a counter, the PIN, the PUK): persist it. */
	void (*state_changed)(void *ctx, const struct vcg_piv_state *st);
	/* The serial number GET SERIAL answers (big-endian on the wire). */
	uint32_t serial;
	/* The management key's cipher (vcg_piv_admin.h); NULL: no
	 * provisioning (GENERAL AUTHENTICATE 9B answers 6A86). */
	vcg_piv_cipher_fn cipher;
	/* PUT DATA of key `key`'s certificate (DER, from the 70 element):
	 * make it the slot's certificate for good (the NSS db); its key's
	 * algorithm into *alg. 0, -EINVAL (not a certificate the card can
	 * use), -errno. NULL: certificates cannot be written. */
	int (*put_cert)(void *ctx, int key, const uint8_t *der, size_t len,
			uint8_t *alg);
	/* PUT DATA of another object (its 53 template): keep it across
	 * restarts. 0 or -errno. NULL: kept in memory only. */
	int (*put_object)(void *ctx, uint32_t tag, const uint8_t *obj,
			  size_t len);
	/* GENERATE ASYMMETRIC KEY PAIR: a new key of `alg` for key `key`,
	 * used by the slot from now on; the public key's 7F49 contents
	 * (Part 2 Table 10: 81 modulus 82 exponent, or 86 point) into out.
	 * 0, -EACCES (the db needs a login first), -errno. NULL: 6D00. */
	int (*generate)(void *ctx, int key, uint8_t alg, uint8_t *out,
			size_t cap, size_t *out_len);
	/* The slot's public key as GENERATE's 7F49 contents, for GET
	 * METADATA; *generated: made by GENERATE (else imported). 0,
	 * -ENOENT (no key), -errno. NULL: GET METADATA has no 04. */
	int (*public_key)(void *ctx, int key, uint8_t *out, size_t cap,
			  size_t *out_len, bool *generated);
};

struct vcg_piv_applet;

/* alg[i]: key i's algorithm (VCG_PIV_ALG_*), 0 without a key. Takes
 * ownership of objs (freed with the applet, also on failure); copies
 * *ops and *st. NULL when out of memory. */
struct vcg_piv_applet *vcg_piv_applet_new(const struct vcg_piv_ops *ops,
					  const uint8_t alg[VCG_PIV_NKEYS],
					  struct vcg_piv_objects *objs,
					  const struct vcg_piv_state *st);
void vcg_piv_applet_free(struct vcg_piv_applet *a);

/* Card reset: the security status, pending answers and chains go. */
void vcg_piv_applet_reset(struct vcg_piv_applet *a);

/* Is this SELECT (by DF name) one of the PIV AID? (a right-truncated
 * AID of at least the 5-byte RID + the PIX's first 4 bytes, or the
 * full AID; Part 2, 2.2). */
bool vcg_piv_is_select_piv(const uint8_t *apdu, size_t len);

/* Answer one command APDU (len bytes) into out (cap >= 258 bytes):
 * data + SW1 SW2; returns the answer's length (>= 2). */
size_t vcg_piv_applet_process(struct vcg_piv_applet *a, const uint8_t *apdu,
			      size_t len, uint8_t *out, size_t cap);

/* VERIFY on libcacard's CAC card (00 20 00 00, the PIN in data: `pin`,
 * `len` bytes as the host sent them) against the same PIN and the same
 * retry counter as PIV's VERIFY 80: one PIN (the db password), one
 * counter, in the state file. libcacard's own VERIFY logs in to NSS with
 * no counter, so the router asks here first:
 *  - the db has no password: 0 (not counted: libcacard accepts any PIN,
 *    there is no secret to guess); also for len 0 (libcacard's answer);
 *  - blocked (no tries left): 6983, NSS not asked, also for len 0;
 *  - the PIN as libcacard would read it (trailing FF padding dropped,
 *    then up to the first NUL: it hands NSS a C string) is wrong: the
 *    counter goes down, 63Cx with x tries left (63C0 on the last
 *    one, 6983 from then on);
 *  - right: 9000, the counter back to full; pass the APDU on to
 *    libcacard, whose login then finds the slot logged in;
 *  - NSS could not tell (a db overwritten under it): 6985, libcacard's
 *    answer to a failed login, nothing counted.
 * PIV's own security status (9A/9C/9D) is not changed by a right PIN
 * (it is the other application's), a wrong one clears it as PIV's
 * VERIFY does. */
uint16_t vcg_piv_applet_cac_verify(struct vcg_piv_applet *a,
				   const uint8_t *pin, size_t len);

/* Is the PIN counted on CAC's VERIFY (the db has a password)? */
bool vcg_piv_applet_pin_counted(const struct vcg_piv_applet *a);

/* The state as the card holds it now (for tests). */
const struct vcg_piv_state *vcg_piv_applet_state(const struct vcg_piv_applet *a);

#endif
