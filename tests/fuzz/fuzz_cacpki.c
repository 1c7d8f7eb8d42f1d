/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the PKI-applet filter (vcard-glue/emulated/vcg_cacpki.c): the input is a
 * sequence of records [flags][len][len bytes of APDU]; each APDU goes to
 * vcg_cacpki_answer(), and when the filter passes it, to
 * vcg_cacpki_observe() with "libcacard's" answer 9000, 610D or 6A82
 * (flags & 3), or the card is reset (flags & 4).
 *
 * Oracles besides "no crash, no sanitizer report": an answer is 2..258
 * bytes and ends in 9000, 63xx (GET CERTIFICATE only, xx >= 1), 6700,
 * 6A86 or 6B00; a READ BUFFER answer never holds more than its count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vcg_cacpki.h"
#include "fuzz_target.h"

#define FAIL() __builtin_trap()

static void check(const uint8_t *apdu, size_t len, const uint8_t *out, size_t n)
{
	uint8_t sw1, sw2;

	if (n < 2 || n > 258)
		FAIL();
	sw1 = out[n - 2];
	sw2 = out[n - 1];
	if (sw1 == 0x63) {
		if (apdu[1] != 0x36 || sw2 == 0)
			FAIL();
	} else if (!((sw1 == 0x90 && sw2 == 0) || (sw1 == 0x67 && sw2 == 0) ||
		     (sw1 == 0x6A && sw2 == 0x86) || (sw1 == 0x6B && sw2 == 0))) {
		FAIL();
	}
	if (apdu[1] == 0x52 && len >= 7 && n > 2 &&
	    n - 2 > (size_t)(apdu[6] == 0 ? 256 : apdu[6]))
		FAIL();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t answers[4][2] = {
		{ 0x90, 0x00 }, { 0x61, 0x0D }, { 0x6A, 0x82 }, { 0x90, 0x00 },
	};
	static uint8_t certs[3][700];
	const uint8_t *der[3] = { certs[0], certs[1], certs[2] };
	size_t lens[3] = { 700, 300, 1 };
	uint8_t out[600];
	struct vcg_cacpki *f;
	size_t i = 0;
	static bool filled; /* the same bytes every time: filled once */

	for (int c = 0; !filled && c < 3; c++)
		for (size_t j = 0; j < sizeof(certs[c]); j++)
			certs[c][j] = (uint8_t)(j + c);
	filled = true;
	f = vcg_cacpki_new(der, lens);
	if (f == NULL)
		return 0;
	while (i + 2 <= size) {
		uint8_t flags = data[i];
		size_t len = data[i + 1], n;
		const uint8_t *apdu = data + i + 2;

		if (i + 2 + len > size)
			len = size - i - 2;
		i += 2 + len;
		if (flags & 4) {
			vcg_cacpki_reset(f);
			continue;
		}
		n = vcg_cacpki_answer(f, apdu, len, out, sizeof(out));
		if (n > 0)
			check(apdu, len, out, n);
		else
			vcg_cacpki_observe(f, apdu, len, answers[flags & 3], 2);
	}
	vcg_cacpki_free(f);
	return 0;
}
