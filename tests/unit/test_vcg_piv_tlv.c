/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BER-TLV helpers (vcard-glue/emulated/vcg_piv_tlv.c) and the command
 * APDU cases (vcg_piv_apdu.c): tables of well-formed and malformed
 * input, every length one byte short or long, and the writer's
 * overflow. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "vcg_piv_apdu.h"
#include "vcg_piv_tlv.h"

struct tlv_case {
	const char *name;
	uint8_t in[12];
	size_t len;
	size_t want;          /* bytes taken; 0 = malformed */
	uint32_t tag;
	size_t vlen;
};

static const struct tlv_case tlv_cases[] = {
	{ "short form", { 0x5C, 0x01, 0x7E }, 3, 3, 0x5C, 1 },
	{ "empty value", { 0x82, 0x00 }, 2, 2, 0x82, 0 },
	{ "two-byte tag", { 0x7F, 0x61, 0x00 }, 3, 3, 0x7F61, 0 },
	{ "three-byte tag", { 0x5F, 0xC1, 0x05, 0x01, 0xAA }, 5, 5, 0x5FC105, 1 },
	{ "81 form", { 0x53, 0x81, 0x02, 1, 2 }, 5, 5, 0x53, 2 },
	{ "82 form", { 0x53, 0x82, 0x00, 0x01, 9 }, 5, 5, 0x53, 1 },
	{ "83 form", { 0x53, 0x83, 0x00, 0x00, 0x01, 9 }, 6, 6, 0x53, 1 },
	{ "trailing bytes ignored", { 0x80, 0x01, 0x07, 0xFF }, 4, 3, 0x80, 1 },
	{ "value one byte short", { 0x53, 0x03, 1, 2 }, 4, 0, 0, 0 },
	{ "81 length past end", { 0x53, 0x81, 0xFF, 1 }, 4, 0, 0, 0 },
	{ "82 length cut", { 0x53, 0x82, 0x01 }, 3, 0, 0, 0 },
	{ "84 form refused", { 0x53, 0x84, 0, 0, 0, 1, 9 }, 7, 0, 0, 0 },
	{ "indefinite 80 refused", { 0x53, 0x80, 0x00, 0x00 }, 4, 0, 0, 0 },
	{ "four-byte tag refused", { 0x5F, 0xC1, 0x85, 0x01, 0x00 }, 5, 0, 0, 0 },
	{ "tag cut", { 0x5F, 0xC1 }, 2, 0, 0, 0 },
	{ "no length", { 0x5C }, 1, 0, 0, 0 },
	{ "nothing", { 0 }, 0, 0, 0, 0 },
};

static void tlv_table(void)
{
	for (size_t i = 0; i < sizeof(tlv_cases) / sizeof(tlv_cases[0]); i++) {
		const struct tlv_case *c = &tlv_cases[i];
		struct vcg_piv_tlv t = { 0, NULL, 0 };
		size_t n = vcg_piv_tlv_parse(c->in, c->len, &t);

		if (n != c->want)
			fprintf(stderr, "  case '%s'\n", c->name);
		CHECK_EQ(n, c->want);
		if (n != 0 && c->want != 0) {
			CHECK_EQ(t.tag, c->tag);
			CHECK_EQ(t.len, c->vlen);
			CHECK(t.val + t.len <= c->in + c->len);
		}
	}
}

static void tlv_find(void)
{
	static const uint8_t tmpl[] = { 0x82, 0x00, 0x81, 0x02, 0xAB, 0xCD };
	static const uint8_t bad_after[] = { 0x81, 0x01, 0x01, 0x82, 0x05 };
	struct vcg_piv_tlv t;

	CHECK_EQ(vcg_piv_tlv_find(tmpl, sizeof(tmpl), 0x81, &t), 1);
	CHECK_EQ(t.len, 2);
	CHECK_EQ(t.val[1], 0xCD);
	CHECK_EQ(vcg_piv_tlv_find(tmpl, sizeof(tmpl), 0x82, &t), 1);
	CHECK_EQ(t.len, 0);
	CHECK_EQ(vcg_piv_tlv_find(tmpl, sizeof(tmpl), 0x85, &t), 0);
	/* A broken TLV after the match still makes the whole list bad. */
	CHECK_EQ(vcg_piv_tlv_find(bad_after, sizeof(bad_after), 0x81, &t), -1);
	CHECK_EQ(vcg_piv_tlv_find(tmpl, sizeof(tmpl) - 1, 0x82, &t), -1);
}

static void writer(void)
{
	static const uint8_t want[] = { 0x5F, 0xC1, 0x02, 0x81, 0x80 };
	static const uint8_t want82[] = { 0x53, 0x82, 0x01, 0x00 };
	uint8_t buf[8], big[300] = { 0 };
	struct vcg_piv_buf b;

	vcg_piv_buf_init(&b, buf, sizeof(buf));
	vcg_piv_put_header(&b, 0x5FC102, 128);
	CHECK(!b.overflow);
	CHECK_EQ(b.len, 5);
	CHECK_MEM(buf, want, 5);
	CHECK_EQ(vcg_piv_header_size(0x5FC102, 128), 5);
	vcg_piv_buf_init(&b, buf, sizeof(buf));
	vcg_piv_put_header(&b, 0x53, 256);
	CHECK_MEM(buf, want82, 4);
	CHECK_EQ(vcg_piv_header_size(0x53, 70000), 5);
	/* Overflow: nothing past cap, and the flag stays. */
	vcg_piv_buf_init(&b, buf, sizeof(buf));
	vcg_piv_put_tlv(&b, 0x70, big, sizeof(big));
	CHECK(b.overflow);
	CHECK(b.len <= sizeof(buf));
	vcg_piv_put_byte(&b, 1);
	CHECK(b.overflow);
	/* What the writer writes, the reader reads back. */
	{
		uint8_t out[400];
		struct vcg_piv_tlv t;

		vcg_piv_buf_init(&b, out, sizeof(out));
		vcg_piv_put_tlv(&b, 0x5FC105, big, sizeof(big));
		CHECK(!b.overflow);
		CHECK_EQ(vcg_piv_tlv_parse(out, b.len, &t), b.len);
		CHECK_EQ(t.tag, 0x5FC105);
		CHECK_EQ(t.len, sizeof(big));
	}
}

struct apdu_case {
	const char *name;
	uint8_t in[12];
	size_t len;
	int rc;
	size_t lc, le;
	int extended;
};

static const struct apdu_case apdu_cases[] = {
	{ "case 1", { 0, 0x20, 0, 0x80 }, 4, 0, 0, 0, 0 },
	{ "case 2S Le 00", { 0, 0x84, 0, 0, 0 }, 5, 0, 0, 256, 0 },
	{ "case 2S Le 08", { 0, 0x84, 0, 0, 8 }, 5, 0, 0, 8, 0 },
	{ "case 3S", { 0, 0xCB, 0x3F, 0xFF, 3, 0x5C, 1, 0x7E }, 8, 0, 3, 0, 0 },
	{ "case 4S", { 0, 0xCB, 0x3F, 0xFF, 3, 0x5C, 1, 0x7E, 0 }, 9, 0, 3, 256, 0 },
	{ "case 2E", { 0, 0xC0, 0, 0, 0, 0x10, 0x00 }, 7, 0, 0, 4096, 1 },
	{ "case 2E 0000", { 0, 0xC0, 0, 0, 0, 0, 0 }, 7, 0, 0, 65536, 1 },
	{ "case 3E", { 0, 0xCB, 0x3F, 0xFF, 0, 0, 3, 0x5C, 1, 0x7E }, 10, 0, 3, 0, 1 },
	{ "case 4E", { 0, 0xCB, 0x3F, 0xFF, 0, 0, 3, 0x5C, 1, 0x7E, 0, 0 }, 12, 0, 3, 65536, 1 },
	{ "Lc one byte long", { 0, 0xCB, 0x3F, 0xFF, 4, 0x5C, 1, 0x7E }, 8, -1, 0, 0, 0 },
	{ "Lc two bytes short", { 0, 0xCB, 0x3F, 0xFF, 1, 0x5C, 1, 0x7E }, 8, -1, 0, 0, 0 },
	{ "extended Lc 0", { 0, 0xCB, 0x3F, 0xFF, 0, 0, 0, 1 }, 8, -1, 0, 0, 0 },
	{ "extended cut", { 0, 0xCB, 0x3F, 0xFF, 0, 0 }, 6, -1, 0, 0, 0 },
	{ "extended Lc past end", { 0, 0xCB, 0x3F, 0xFF, 0, 0xFF, 0xFF, 1 }, 8, -1, 0, 0, 0 },
	{ "three bytes", { 0, 0xA4, 0x04 }, 3, -1, 0, 0, 0 },
};

static void apdu_table(void)
{
	for (size_t i = 0; i < sizeof(apdu_cases) / sizeof(apdu_cases[0]); i++) {
		const struct apdu_case *c = &apdu_cases[i];
		struct vcg_piv_apdu a;
		int rc = vcg_piv_apdu_parse(c->in, c->len, &a);

		if (rc != c->rc)
			fprintf(stderr, "  case '%s'\n", c->name);
		CHECK_EQ(rc, c->rc);
		if (rc == 0) {
			CHECK_EQ(a.lc, c->lc);
			CHECK_EQ(a.le, c->le);
			CHECK_EQ(a.extended, c->extended);
			CHECK(a.lc == 0 || a.data + a.lc <= c->in + c->len);
		}
	}
}

int main(void)
{
	RUN(tlv_table);
	RUN(tlv_find);
	RUN(writer);
	RUN(apdu_table);
	TAP_EXIT();
}
