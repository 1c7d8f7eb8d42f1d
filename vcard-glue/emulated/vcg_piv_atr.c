/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libcacard's ATR plus T=1: see vcg_piv_atr.h. */
#include <string.h>

#include "vcg_piv_atr.h"

size_t vcg_piv_atr_add_t1(const uint8_t *in, size_t len, uint8_t *out,
			  size_t cap)
{
	size_t nif, hist, o = 0;
	uint8_t t0, tck = 0;

	if (in == NULL || len < 2 || (in[0] != 0x3B && in[0] != 0x3F))
		return 0;
	t0 = in[1];
	if (t0 & 0x80)
		return 0;                       /* TD1 present: leave it */
	nif = (size_t)__builtin_popcount(t0 & 0x70);   /* TA1 TB1 TC1 */
	hist = t0 & 0x0F;
	/* No TD1 means T=0 only and no TCK (ISO/IEC 7816-3 8.2.5). */
	if (len != 2 + nif + hist || cap < len + 3)
		return 0;
	out[o++] = in[0];
	out[o++] = (uint8_t)(t0 | 0x80);        /* Y1 gains TD1 */
	memcpy(out + o, in + 2, nif);
	o += nif;
	out[o++] = 0x80;                        /* TD1: TD2 follows, T=0 */
	out[o++] = 0x01;                        /* TD2: T=1 */
	memcpy(out + o, in + 2 + nif, hist);
	o += hist;
	for (size_t i = 1; i < o; i++)          /* T0 .. last byte */
		tck ^= out[i];
	out[o++] = tck;
	return o;
}
