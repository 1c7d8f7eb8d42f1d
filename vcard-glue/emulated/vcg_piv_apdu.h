/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command APDU cases (ISO/IEC 7816-3 12.1.3, 7816-4 5.1): short and
 * extended Lc/Le, every length checked against the bytes received.
 * Pure. A parsed APDU points into the caller's buffer. */
#ifndef VCG_PIV_APDU_H
#define VCG_PIV_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcg_piv_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;   /* Lc bytes (NULL when lc is 0) */
	size_t lc;
	size_t le;             /* 0 when absent; 256 / 65536 for Le 00 / 0000 */
	bool extended;
};

/* 0, or -1 when the bytes are no well-formed case 1..4 APDU (6700). */
int vcg_piv_apdu_parse(const uint8_t *buf, size_t len, struct vcg_piv_apdu *a);

#endif
