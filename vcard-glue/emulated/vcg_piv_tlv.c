/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BER-TLV reader and writer: see vcg_piv_tlv.h. */
#include <string.h>

#include "vcg_piv_tlv.h"

size_t vcg_piv_tlv_parse(const uint8_t *buf, size_t len,
			 struct vcg_piv_tlv *out)
{
	size_t i = 0, vlen = 0, nlen;
	uint32_t tag;

	if (buf == NULL || len < 2)
		return 0;
	tag = buf[i++];
	/* ISO/IEC 8825-1 8.1.2.4: low five bits all set: more tag bytes,
	 * each with b8 set but the last. */
	if ((tag & 0x1F) == 0x1F) {
		do {
			if (i >= len || i >= 3)
				return 0;
			tag = tag << 8 | buf[i];
		} while (buf[i++] & 0x80);
	}
	if (i >= len)
		return 0;
	if (buf[i] < 0x80) {
		vlen = buf[i++];
	} else {
		nlen = buf[i++] & 0x7F;
		if (nlen == 0 || nlen > 3 || nlen > len - i)
			return 0;
		while (nlen-- > 0)
			vlen = vlen << 8 | buf[i++];
	}
	if (vlen > len - i)
		return 0;
	out->tag = tag;
	out->val = buf + i;
	out->len = vlen;
	return i + vlen;
}

int vcg_piv_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		     struct vcg_piv_tlv *out)
{
	struct vcg_piv_tlv t, found = { 0, NULL, 0 };
	bool have = false;
	size_t off = 0;

	while (off < len) {
		size_t n = vcg_piv_tlv_parse(buf + off, len - off, &t);

		if (n == 0)
			return -1;
		if (!have && t.tag == tag) {
			found = t;
			have = true;
		}
		off += n;
	}
	if (have)
		*out = found;
	return have ? 1 : 0;
}

void vcg_piv_buf_init(struct vcg_piv_buf *b, uint8_t *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
}

void vcg_piv_put_bytes(struct vcg_piv_buf *b, const void *data, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

void vcg_piv_put_byte(struct vcg_piv_buf *b, uint8_t v)
{
	vcg_piv_put_bytes(b, &v, 1);
}

static size_t tag_size(uint32_t tag)
{
	return tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1;
}

static size_t len_size(size_t len)
{
	return len < 0x80 ? 1 : len <= 0xFF ? 2 : len <= 0xFFFF ? 3 : 4;
}

size_t vcg_piv_header_size(uint32_t tag, size_t len)
{
	return tag_size(tag) + len_size(len);
}

void vcg_piv_put_header(struct vcg_piv_buf *b, uint32_t tag, size_t len)
{
	uint8_t h[8];
	size_t n = 0, ts = tag_size(tag), ls = len_size(len);

	if (len > 0xFFFFFF) {
		b->overflow = true;
		return;
	}
	for (size_t k = ts; k > 0; k--)
		h[n++] = (uint8_t)(tag >> (8 * (k - 1)));
	if (ls == 1) {
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = (uint8_t)(0x80 | (ls - 1));
		for (size_t k = ls - 1; k > 0; k--)
			h[n++] = (uint8_t)(len >> (8 * (k - 1)));
	}
	vcg_piv_put_bytes(b, h, n);
}

void vcg_piv_put_tlv(struct vcg_piv_buf *b, uint32_t tag, const void *val,
		     size_t len)
{
	vcg_piv_put_header(b, tag, len);
	vcg_piv_put_bytes(b, val, len);
}
