/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ISO/IEC 7816-4:2013 clause 5.1 command APDU parsing (cases 1, 2S, 3S,
 * 4S, 2E, 3E, 4E), for the built-in test card. */
#ifndef CCID_APDU_H
#define CCID_APDU_H

#include <stddef.h>
#include <stdint.h>

struct ccid_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;   /* points into the parsed buffer; NULL if Nc 0 */
	size_t nc;             /* command data length (Lc) */
	size_t ne;             /* expected response length; 0 = no Le field */
	int has_le;
};

/* Parse `apdu` (len bytes, owned by the caller; .data points into it).
 * Returns 0, or -EINVAL for a malformed APDU (wrong length for its Lc). */
int ccid_apdu_parse(struct ccid_apdu *a, const uint8_t *apdu, size_t len);

#endif
