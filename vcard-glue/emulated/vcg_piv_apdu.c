/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command APDU cases: see vcg_piv_apdu.h. */
#include <string.h>

#include "vcg_piv_apdu.h"

int vcg_piv_apdu_parse(const uint8_t *buf, size_t len, struct vcg_piv_apdu *a)
{
	size_t lc;

	memset(a, 0, sizeof(*a));
	if (buf == NULL || len < 4)
		return -1;
	a->cla = buf[0];
	a->ins = buf[1];
	a->p1 = buf[2];
	a->p2 = buf[3];
	if (len == 4)
		return 0;                                    /* case 1 */
	if (len == 5) {                                      /* case 2S */
		a->le = buf[4] == 0 ? 256 : buf[4];
		return 0;
	}
	if (buf[4] != 0) {
		lc = buf[4];
		if (len == 5 + lc) {                         /* case 3S */
		} else if (len == 6 + lc) {                  /* case 4S */
			a->le = buf[len - 1] == 0 ? 256 : buf[len - 1];
		} else {
			return -1;
		}
		a->data = buf + 5;
		a->lc = lc;
		return 0;
	}
	/* B1 = 00 and more than 5 bytes: extended lengths. */
	if (len < 7)
		return -1;
	a->extended = true;
	if (len == 7) {                                      /* case 2E */
		a->le = (size_t)buf[5] << 8 | buf[6];
		if (a->le == 0)
			a->le = 65536;
		return 0;
	}
	lc = (size_t)buf[5] << 8 | buf[6];
	if (lc == 0)
		return -1;
	if (len == 7 + lc) {                                 /* case 3E */
	} else if (len == 9 + lc) {                          /* case 4E */
		a->le = (size_t)buf[len - 2] << 8 | buf[len - 1];
		if (a->le == 0)
			a->le = 65536;
	} else {
		return -1;
	}
	a->data = buf + 7;
	a->lc = lc;
	return 0;
}
