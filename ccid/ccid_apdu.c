/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command APDU parsing, ISO/IEC 7816-4:2013 clause 5.1 (Table 1 and the
 * case list of 5.1.2): short Lc/Le one byte (Le 00 = 256), extended Lc
 * 00 XX XX and Le 00 XX XX or XX XX after extended Lc (Le 0000 = 65536). */
#include <errno.h>
#include <string.h>

#include "ccid_apdu.h"
#include "ccid_wire.h"

int ccid_apdu_parse(struct ccid_apdu *a, const uint8_t *p, size_t len)
{
	size_t lc;

	memset(a, 0, sizeof(*a));
	if (len < 4)
		return -EINVAL;
	a->cla = p[0];
	a->ins = p[1];
	a->p1 = p[2];
	a->p2 = p[3];
	if (len == 4)                                  /* case 1 */
		return 0;
	if (len == 5) {                                /* case 2S */
		a->has_le = 1;
		a->ne = p[4] ? p[4] : 256;
		return 0;
	}
	if (p[4] != 0) {                               /* short Lc */
		lc = p[4];
		if (len == 5 + lc) {                   /* case 3S */
			a->data = p + 5;
			a->nc = lc;
			return 0;
		}
		if (len == 6 + lc) {                   /* case 4S */
			a->data = p + 5;
			a->nc = lc;
			a->has_le = 1;
			a->ne = p[len - 1] ? p[len - 1] : 256;
			return 0;
		}
		return -EINVAL;
	}
	if (len == 7) {                                /* case 2E */
		a->has_le = 1;
		a->ne = ccid_get_be16(p + 5);
		if (a->ne == 0)
			a->ne = 65536;
		return 0;
	}
	if (len < 8)
		return -EINVAL;
	lc = ccid_get_be16(p + 5);
	if (lc == 0)
		return -EINVAL;
	if (len == 7 + lc) {                           /* case 3E */
		a->data = p + 7;
		a->nc = lc;
		return 0;
	}
	if (len == 9 + lc) {                           /* case 4E */
		a->data = p + 7;
		a->nc = lc;
		a->has_le = 1;
		a->ne = ccid_get_be16(p + len - 2);
		if (a->ne == 0)
			a->ne = 65536;
		return 0;
	}
	return -EINVAL;
}
