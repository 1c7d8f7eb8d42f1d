/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An APDU filter in front of libcacard's CAC card: the three PKI applets'
 * certificates served in the form every host CAC stack reads.
 *
 * libcacard 2.8 emulates a CAC 2 card (GSC-IS 2.1 / NIST IR 6887 card
 * edge, "CAC Endpoint Implementation Guide"): each PKI applet's
 * certificate is a tag buffer and a value buffer read with READ BUFFER
 * (80 52), CertInfo 0x00 (not compressed). CoolKey's CAC 2 path (Debian's
 * 1.1.0) ignores CertInfo and always zlib-inflates the certificate value
 * (real CAC cards store them compressed): inflate fails, CoolKey drops
 * the token's objects and lists nothing. Its CAC 1 path sends GET
 * CERTIFICATE (80 36), which libcacard answers 6D00.
 *
 * So, for PKI applets A0 00 00 00 79 01 00/01/02 only, the filter
 * answers itself:
 *  - READ BUFFER of the tag (01) and value (02) buffers, CertInfo 0x01
 *    (compressed) and the certificate as a zlib stream (RFC 1950) of
 *    stored deflate blocks (RFC 1951 3.2.4): a valid compressed
 *    certificate for CoolKey and for OpenSC (which inflates CertInfo 1
 *    with zlib's auto-detection), byte-identical after inflating;
 *  - CAC 1 GET CERTIFICATE: CertInfo || certificate in Le-sized chunks,
 *    SW 63 XX while XX more bytes follow (XX = min(left, 255)), 9000 on
 *    the last chunk (CoolKey CACApplet_GetCertificate*, OpenSC
 *    card-cac1.c).
 * Everything else goes to libcacard; the filter watches the answers to
 * SELECT to know which applet is current (ISO 7816-4 7.1.1: a failed
 * SELECT leaves it unchanged).
 *
 * Pure: no libcacard, no NSS, no I/O. One instance per card, used by
 * one thread (the emulated card's worker). */
#ifndef VCG_CACPKI_H
#define VCG_CACPKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VCG_CACPKI_NAPPLETS 3
/* A certificate the buffers' 16-bit lengths can carry (with CertInfo and
 * the zlib framing). */
#define VCG_CACPKI_CERT_MAX 60000

struct vcg_cacpki;

/* Build the filter from the certificates of PKI applets 0..2 (DER, copied;
 * the caller keeps its buffers). Returns NULL when out of memory or a
 * certificate is empty or over VCG_CACPKI_CERT_MAX. */
struct vcg_cacpki *vcg_cacpki_new(const uint8_t *const der[VCG_CACPKI_NAPPLETS],
				  const size_t len[VCG_CACPKI_NAPPLETS]);
void vcg_cacpki_free(struct vcg_cacpki *f);

/* The card was reset (power on): no applet is selected. */
void vcg_cacpki_reset(struct vcg_cacpki *f);

/* If the filter answers `apdu`, write the response (data + SW1 SW2) into
 * out (cap bytes, at least 258) and return its length; return 0 to pass
 * the APDU to libcacard. */
size_t vcg_cacpki_answer(struct vcg_cacpki *f, const uint8_t *apdu,
			 size_t len, uint8_t *out, size_t cap);

/* libcacard answered `apdu` with `resp` (data + SW): track SELECT. */
void vcg_cacpki_observe(struct vcg_cacpki *f, const uint8_t *apdu,
			size_t len, const uint8_t *resp, size_t resp_len);

/* zlib stream (RFC 1950, CM 8, no dictionary) of `n` bytes in stored
 * deflate blocks into out (cap bytes). Returns its length, or 0 if cap
 * is too small. Exposed for the unit tests. */
size_t vcg_cacpki_zlib_stored(const uint8_t *in, size_t n, uint8_t *out,
			      size_t cap);

#endif
