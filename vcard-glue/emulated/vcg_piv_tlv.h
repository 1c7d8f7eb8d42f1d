/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BER-TLV for the PIV card edge (SP 800-73-4 Part 2, 2.4: "BER-TLV" as
 * ISO/IEC 8825-1 gives it, lengths in the short form or 81 / 82 / 83
 * long forms): a reader that treats every length as untrusted and a
 * writer that never runs past its buffer.
 *
 * Pure: no I/O, no allocation. Buffers are the caller's; a parsed
 * struct vcg_piv_tlv points into the caller's input and is valid as long
 * as that input is. */
#ifndef VCG_PIV_TLV_H
#define VCG_PIV_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcg_piv_tlv {
	uint32_t tag;          /* 1..3 tag bytes, big-endian (5FC105, 7F61) */
	const uint8_t *val;    /* into the parsed buffer */
	size_t len;
};

/* One TLV at buf[0..len). Returns the bytes it takes (header + value),
 * or 0 when malformed: a tag of more than 3 bytes, a length form other
 * than 00..7F / 81 / 82 / 83, or a value running past len. */
size_t vcg_piv_tlv_parse(const uint8_t *buf, size_t len,
			 struct vcg_piv_tlv *out);

/* The first TLV tagged `tag` among the TLVs that fill buf[0..len)
 * exactly (one level, no recursion). 1 found (in *out), 0 absent, -1
 * malformed (a bad TLV anywhere before the match or after it). */
int vcg_piv_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		     struct vcg_piv_tlv *out);

/* A writer over the caller's buffer: on overflow nothing more is written
 * and `overflow` stays set (check it once at the end). */
struct vcg_piv_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool overflow;
};

void vcg_piv_buf_init(struct vcg_piv_buf *b, uint8_t *p, size_t cap);
void vcg_piv_put_bytes(struct vcg_piv_buf *b, const void *data, size_t n);
void vcg_piv_put_byte(struct vcg_piv_buf *b, uint8_t v);
/* Tag (1..3 bytes by value: 0x53, 0x5FC102) then the length in the
 * shortest form. */
void vcg_piv_put_header(struct vcg_piv_buf *b, uint32_t tag, size_t len);
void vcg_piv_put_tlv(struct vcg_piv_buf *b, uint32_t tag, const void *val,
		     size_t len);
/* Bytes a header for (tag, len) takes. */
size_t vcg_piv_header_size(uint32_t tag, size_t len);

#endif
