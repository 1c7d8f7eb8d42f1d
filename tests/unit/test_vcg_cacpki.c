/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PKI-applet filter (vcard-glue/emulated/vcg_cacpki.c): byte vectors for
 * SELECT tracking, READ BUFFER of the tag and value buffers, CAC 1 GET
 * CERTIFICATE chunks, what passes to libcacard, and the stored zlib
 * stream (checked against RFC 1950/1951 by hand: header, block header,
 * Adler-32). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vcg_cacpki.h"

static const uint8_t select_pki0[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00,
				       0x00, 0x00, 0x79, 0x01, 0x00 };
static const uint8_t select_pki2[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00,
				       0x00, 0x00, 0x79, 0x01, 0x02 };
static const uint8_t select_ccc[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00,
				      0x00, 0x01, 0x16, 0xDB, 0x00 };
static const uint8_t sw_61[] = { 0x61, 0x0D };
static const uint8_t sw_9000[] = { 0x90, 0x00 };
static const uint8_t sw_6a82[] = { 0x6A, 0x82 };

static uint8_t cert[3][300];
static uint8_t out[600];

static struct vcg_cacpki *make(void)
{
	const uint8_t *der[3];
	size_t len[3] = { 300, 40, 1 };

	for (int i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizeof(cert[i]); j++)
			cert[i][j] = (uint8_t)(j * 7 + i);
		der[i] = cert[i];
	}
	return vcg_cacpki_new(der, len);
}

static size_t read_buffer(struct vcg_cacpki *f, uint8_t type, size_t off,
			  uint8_t count)
{
	uint8_t apdu[] = { 0x80, 0x52, (uint8_t)(off >> 8), (uint8_t)off, 0x02,
			   type, count };

	return vcg_cacpki_answer(f, apdu, sizeof(apdu), out, sizeof(out));
}

static void zlib_stored_vector(void)
{
	static const uint8_t in[] = { 'a', 'b', 'c' };
	/* 78 01 | 01 (BFINAL, stored) 03 00 FC FF | "abc" | Adler-32 of
	 * "abc" = 0x024D0127 */
	static const uint8_t want[] = { 0x78, 0x01, 0x01, 0x03, 0x00, 0xFC, 0xFF,
					'a', 'b', 'c', 0x02, 0x4D, 0x01, 0x27 };
	uint8_t z[32];

	CHECK_EQ(vcg_cacpki_zlib_stored(in, 3, z, sizeof(z)), sizeof(want));
	CHECK_MEM(z, want, sizeof(want));
	CHECK_EQ((0x78 * 256 + 0x01) % 31, 0);   /* RFC 1950 FCHECK */
	CHECK_EQ(vcg_cacpki_zlib_stored(in, 3, z, 13), 0);   /* too small */
}

static void zlib_stored_two_blocks(void)
{
	size_t n = 70000, cap = n + 64;
	uint8_t *in = calloc(1, n), *z = malloc(cap);
	size_t len;

	CHECK(in != NULL && z != NULL);
	if (in == NULL || z == NULL) {
		free(in);
		free(z);
		return;
	}
	len = vcg_cacpki_zlib_stored(in, n, z, cap);
	CHECK_EQ(len, 2 + 2 * 5 + n + 4);
	CHECK_EQ(z[2], 0x00);                 /* first block: not final */
	CHECK_EQ(z[3] | z[4] << 8, 65535);
	CHECK_EQ(z[2 + 5 + 65535], 0x01);     /* second block: final */
	CHECK_EQ(z[2 + 5 + 65535 + 1] | z[2 + 5 + 65535 + 2] << 8, n - 65535);
	free(in);
	free(z);
}

static void passes_until_pki_selected(void)
{
	struct vcg_cacpki *f = make();

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(read_buffer(f, 0x01, 0, 2), 0);   /* nothing selected */
	vcg_cacpki_observe(f, select_ccc, sizeof(select_ccc), sw_61, 2);
	CHECK_EQ(read_buffer(f, 0x01, 0, 2), 0);   /* the CCC: libcacard's */
	vcg_cacpki_observe(f, select_pki0, sizeof(select_pki0), sw_61, 2);
	CHECK(read_buffer(f, 0x01, 0, 2) > 0);
	/* a failed SELECT leaves PKI 0 current (ISO 7816-4 7.1.1) */
	vcg_cacpki_observe(f, select_ccc, sizeof(select_ccc), sw_6a82, 2);
	CHECK(read_buffer(f, 0x01, 0, 2) > 0);
	/* other instructions and classes go to libcacard */
	{
		static const uint8_t sign[] = { 0x80, 0x42, 0x00, 0x00, 0x01, 0x00 };
		static const uint8_t props[] = { 0x80, 0x56, 0x01, 0x00, 0x00 };
		static const uint8_t iso_rb[] = { 0x00, 0x52, 0x00, 0x00, 0x02, 0x01, 0x02 };

		CHECK_EQ(vcg_cacpki_answer(f, sign, sizeof(sign), out, sizeof(out)), 0);
		CHECK_EQ(vcg_cacpki_answer(f, props, sizeof(props), out, sizeof(out)), 0);
		CHECK_EQ(vcg_cacpki_answer(f, iso_rb, sizeof(iso_rb), out, sizeof(out)), 0);
	}
	/* a good SELECT of another applet, and a reset, deselect */
	vcg_cacpki_observe(f, select_ccc, sizeof(select_ccc), sw_9000, 2);
	CHECK_EQ(read_buffer(f, 0x01, 0, 2), 0);
	vcg_cacpki_observe(f, select_pki0, sizeof(select_pki0), sw_9000, 2);
	vcg_cacpki_reset(f);
	CHECK_EQ(read_buffer(f, 0x01, 0, 2), 0);
	vcg_cacpki_free(f);
}

static void tag_buffer(void)
{
	struct vcg_cacpki *f = make();
	/* 0A 00 | 71 01 | 70 FF len16 | 72 00 | FE 00; cert 0 is 300 bytes:
	 * zlib 2 + 5 + 300 + 4 = 311 = 0x0137 */
	static const uint8_t want[] = { 0x0A, 0x00, 0x71, 0x01, 0x70, 0xFF, 0x37,
					0x01, 0x72, 0x00, 0xFE, 0x00, 0x90, 0x00 };

	CHECK(f != NULL);
	if (f == NULL)
		return;
	vcg_cacpki_observe(f, select_pki0, sizeof(select_pki0), sw_61, 2);
	CHECK_EQ(read_buffer(f, 0x01, 0, 2), 4);
	CHECK_MEM(out, want, 2);
	CHECK_MEM(out + 2, "\x90\x00", 2);
	CHECK_EQ(read_buffer(f, 0x01, 2, 10), 12);
	CHECK_MEM(out, want + 2, 12);
	/* past the end: what is left; beyond it: 6B00 */
	CHECK_EQ(read_buffer(f, 0x01, 10, 0xFF), 4);
	CHECK_EQ(read_buffer(f, 0x01, 13, 1), 2);
	CHECK_MEM(out, "\x6B\x00", 2);
	vcg_cacpki_free(f);
}

static void value_buffer(void)
{
	struct vcg_cacpki *f = make();
	uint8_t v[400];
	size_t got = 0, total;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	vcg_cacpki_observe(f, select_pki2, sizeof(select_pki2), sw_9000, 2);
	/* cert 2 is 1 byte: V = 0F 00 | 01 | 78 01 01 01 00 FE FF xx | adler */
	CHECK_EQ(read_buffer(f, 0x02, 0, 2), 4);
	total = (size_t)out[0] | (size_t)out[1] << 8;
	CHECK_EQ(total, 1 + 2 + 5 + 1 + 4);
	while (got < total) {
		size_t n = read_buffer(f, 0x02, 2 + got, 5);

		CHECK(n >= 3);
		if (n < 3)
			break;
		CHECK_MEM(out + n - 2, "\x90\x00", 2);
		memcpy(v + got, out, n - 2);
		got += n - 2;
	}
	CHECK_EQ(v[0], 0x01);   /* CertInfo: compressed */
	CHECK_EQ(v[1], 0x78);
	CHECK_EQ(v[3], 0x01);
	CHECK_EQ(v[8], cert[2][0]);
	/* bad Lc, unknown buffer type */
	{
		static const uint8_t bad_lc[] = { 0x80, 0x52, 0x00, 0x00, 0x01, 0x01 };
		static const uint8_t bad_type[] = { 0x80, 0x52, 0x00, 0x00, 0x02, 0x03, 0x02 };

		CHECK_EQ(vcg_cacpki_answer(f, bad_lc, sizeof(bad_lc), out, sizeof(out)), 2);
		CHECK_MEM(out, "\x67\x00", 2);
		CHECK_EQ(vcg_cacpki_answer(f, bad_type, sizeof(bad_type), out, sizeof(out)), 2);
		CHECK_MEM(out, "\x6A\x86", 2);
	}
	vcg_cacpki_free(f);
}

static void get_certificate_chunks(void)
{
	struct vcg_cacpki *f = make();
	static const uint8_t gc100[] = { 0x80, 0x36, 0x00, 0x00, 0x64 };
	uint8_t gc[] = { 0x80, 0x36, 0x00, 0x00, 0x00 };
	uint8_t data[400];
	size_t n, got = 0, total = 1 + 311;   /* CertInfo + zlib(cert 0) */

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(vcg_cacpki_answer(f, gc100, 5, out, sizeof(out)), 0);   /* no applet */
	vcg_cacpki_observe(f, select_pki0, sizeof(select_pki0), sw_61, 2);
	/* CoolKey: 100 bytes first, then what SW2 says */
	n = vcg_cacpki_answer(f, gc100, 5, out, sizeof(out));
	CHECK_EQ(n, 102);
	CHECK_EQ(out[100], 0x63);
	CHECK_EQ(out[101], 212);   /* 312 - 100 left */
	memcpy(data, out, 100);
	got = 100;
	gc[4] = out[101];
	n = vcg_cacpki_answer(f, gc, 5, out, sizeof(out));
	CHECK_EQ(n, 212 + 2);
	CHECK_MEM(out + 212, "\x90\x00", 2);
	memcpy(data + got, out, 212);
	got += 212;
	CHECK_EQ(got, total);
	CHECK_EQ(data[0], 0x01);
	CHECK_EQ(data[1], 0x78);
	CHECK_MEM(data + 8, cert[0], 300);
	/* the next read starts over; P1 P2 must be 00 00; Le 00 is 256 */
	gc[4] = 0x00;
	n = vcg_cacpki_answer(f, gc, 5, out, sizeof(out));
	CHECK_EQ(n, 258);
	CHECK_EQ(out[0], 0x01);
	CHECK_EQ(out[256], 0x63);
	CHECK_EQ(out[257], 312 - 256);
	{
		static const uint8_t bad_p1[] = { 0x80, 0x36, 0x01, 0x00, 0x10 };

		CHECK_EQ(vcg_cacpki_answer(f, bad_p1, 5, out, sizeof(out)), 2);
		CHECK_MEM(out, "\x6A\x86", 2);
	}
	vcg_cacpki_free(f);
}

static void refuses_bad_certificates(void)
{
	const uint8_t *der[3] = { cert[0], cert[1], NULL };
	size_t len[3] = { 10, 10, 10 };

	CHECK(vcg_cacpki_new(der, len) == NULL);   /* a missing one */
	der[2] = cert[2];
	len[1] = 0;
	CHECK(vcg_cacpki_new(der, len) == NULL);   /* an empty one */
	len[1] = VCG_CACPKI_CERT_MAX + 1;
	CHECK(vcg_cacpki_new(der, len) == NULL);   /* too big */
	vcg_cacpki_free(NULL);
	CHECK_EQ(vcg_cacpki_answer(NULL, select_pki0, sizeof(select_pki0), out,
				   sizeof(out)), 0);
	vcg_cacpki_observe(NULL, select_pki0, sizeof(select_pki0), sw_9000, 2);
}

int main(void)
{
	RUN(zlib_stored_vector);
	RUN(zlib_stored_two_blocks);
	RUN(passes_until_pki_selected);
	RUN(tag_buffer);
	RUN(value_buffer);
	RUN(get_certificate_chunks);
	RUN(refuses_bad_certificates);
	TAP_EXIT();
}
