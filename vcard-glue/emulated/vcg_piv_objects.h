/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV data objects (SP 800-73-4 Part 1, 3 and Appendix A) the card
 * edge serves with GET DATA: each kept as the exact bytes GET DATA
 * returns, the 53 template (or the 7E Discovery Object, which is its own
 * template: Part 1, 3.3.2).
 *
 * Built once per card from the card's GUID and certificates:
 *   5FC102 CHUID    30 FASC-N, 34 GUID, 35 expiry, 3E signature (empty:
 *                   the card has no issuer key), FE LRC (empty)
 *   5FC107 CCC      F0 card identifier (A0 00 00 01 16 FF 02 + 14 bytes
 *                   of the GUID), F1/F2 version 21, F3..FD empty, FE
 *   7E     Discovery  4F the PIV AID, 5F2F PIN usage policy 40 00
 *                   (the PIV PIN only, Part 1 Table 8)
 *   5FC10C Key History  C1 00, C2 00 (no retired keys), FE
 *   5FC105 9A, 5FC10A 9C, 5FC10B 9D, 5FC101 9E certificates:
 *                   70 DER, 71 CertInfo 00 (not compressed), FE
 * A certificate slot without a certificate has no object (6A82).
 *
 * Pure: no NSS, no I/O. Owns copies of everything. */
#ifndef VCG_PIV_OBJECTS_H
#define VCG_PIV_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#define VCG_PIV_NKEYS 4            /* 9A 9C 9D 9E, in this order */
#define VCG_PIV_GUID_LEN 16
#define VCG_PIV_CERT_MAX 16000     /* a certificate the card takes */
#define VCG_PIV_OBJECTS_MAX 48

#define VCG_PIV_TAG_CHUID 0x5FC102
#define VCG_PIV_TAG_CCC 0x5FC107
#define VCG_PIV_TAG_DISCOVERY 0x7E
#define VCG_PIV_TAG_KEY_HISTORY 0x5FC10C
#define VCG_PIV_TAG_CERT_9A 0x5FC105
#define VCG_PIV_TAG_CERT_9C 0x5FC10A
#define VCG_PIV_TAG_CERT_9D 0x5FC10B
#define VCG_PIV_TAG_CERT_9E 0x5FC101

/* The PIV AID with its version (SP 800-73-4 Part 2, 2.2). */
extern const uint8_t vcg_piv_aid[11];

struct vcg_piv_objects;

/* cert[i] (len[i] bytes, copied) is key i's certificate (9A, 9C, 9D, 9E);
 * NULL or 0: none. NULL when out of memory or a certificate is over
 * VCG_PIV_CERT_MAX. */
struct vcg_piv_objects *vcg_piv_objects_new(const uint8_t guid[VCG_PIV_GUID_LEN],
					    const uint8_t *const cert[VCG_PIV_NKEYS],
					    const size_t len[VCG_PIV_NKEYS]);
void vcg_piv_objects_free(struct vcg_piv_objects *o);

/* The object's GET DATA answer (the objects' own buffer, valid until
 * free), its length in *len; NULL if the card has no such object. */
const uint8_t *vcg_piv_objects_get(const struct vcg_piv_objects *o,
				   uint32_t tag, size_t *len);

/* PUT DATA: object `tag` becomes data (len bytes, its whole GET DATA
 * answer, copied), replacing the old one. 0, or -1 when out of memory or
 * the card holds VCG_PIV_OBJECTS_MAX objects already. */
int vcg_piv_objects_put(struct vcg_piv_objects *o, uint32_t tag,
			const uint8_t *data, size_t len);

/* The tags PUT DATA may write (Part 1 Table 3's 5FC1xx data objects:
 * 5FC101..5FC123, and Yubico's 5FFF00..5FFF01 admin data). */
int vcg_piv_object_tag_writable(uint32_t tag);

/* Key i's certificate object tag. */
uint32_t vcg_piv_cert_tag(int key);

#endif
