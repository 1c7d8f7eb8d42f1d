/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VSCard wire codec: QEMU's "passthru" smart-card protocol (libcacard
 * src/vscard_common.h, QEMU hw/usb/ccid-card-passthru.c). Pure code: bytes
 * in, messages out, and messages to bytes; no I/O, no allocation.
 *
 * Wire format (vscard_common.h, struct VSCMsgHeader): a 12-byte header of
 * three big-endian u32 (type, reader_id, length), then `length` payload
 * bytes. Payloads by type:
 *   Init           "VSCD" as 4 raw bytes (VSCARD_MAGIC_CONST builds the u32
 *                  so that its memory order is V,S,C,D on either host
 *                  endianness, and QEMU sends and compares it without
 *                  htonl), then version u32 BE, then capabilities u32 BE[]
 *                  (QEMU and vscclient send one, value 0).
 *   Error          code u32 (see vsc_msg.error_code for the byte order).
 *   ReaderAdd      reader name, UTF-8, maybe empty, maybe NUL-terminated.
 *   ATR            1..VSC_MAX_ATR bytes.
 *   APDU           1..VSC_MAX_PAYLOAD bytes, command or response.
 *   ReaderRemove, CardRemove, Flush, FlushComplete: empty.
 *
 * Errors are 0 / -errno; the decoder adds a static one-line reason. */
#ifndef VSCARD_CODEC_H
#define VSCARD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSC_HEADER_LEN 12u

/* Largest payload accepted or produced. An extended command APDU is at
 * most 65545 bytes and an extended response 65538 (65536 data + SW1 SW2);
 * 65548 is the larger of the two rounded up to a multiple of 4. Anything
 * bigger is not a message this protocol carries, so the decoder refuses
 * the length as soon as the header is in and its memory stays bounded.
 * (QEMU itself buffers 64 KiB per connection, header included.) */
#define VSC_MAX_PAYLOAD 65548u

/* An ATR is at most 33 bytes, TS included (ISO/IEC 7816-3). Stricter
 * than QEMU, which accepts up to 40 (its MAX_ATR_SIZE). */
#define VSC_MAX_ATR 33u

/* MAKE_VERSION(major, middle, minor) of vscard_common.h: 11, 11 and 10
 * bits. VSCARD_VERSION is MAKE_VERSION(0, 0, 2) = 2. */
#define VSC_MAKE_VERSION(major, middle, minor) \
	(((uint32_t)(major) << 21) | ((uint32_t)(middle) << 10) | (uint32_t)(minor))
#define VSC_VERSION_MAJOR(v) ((uint32_t)(v) >> 21)
#define VSC_VERSION VSC_MAKE_VERSION(0, 0, 2)

#define VSC_MAGIC "VSCD"          /* 4 raw bytes on the wire, no NUL */
#define VSC_INIT_FIXED_LEN 8u     /* magic + version, before capabilities */
#define VSC_MAX_CAPS ((VSC_MAX_PAYLOAD - VSC_INIT_FIXED_LEN) / 4u)

#define VSC_READER_UNDEFINED 0xffffffffu /* VSCARD_UNDEFINED_READER_ID */
#define VSC_READER_MINIMAL 0u            /* VSCARD_MINIMAL_READER_ID */

enum vsc_type {
	VSC_INIT = 1,
	VSC_ERROR = 2,
	VSC_READER_ADD = 3,
	VSC_READER_REMOVE = 4,
	VSC_ATR = 5,
	VSC_CARD_REMOVE = 6,
	VSC_APDU = 7,
	VSC_FLUSH = 8,
	VSC_FLUSH_COMPLETE = 9,
};

enum vsc_error_code {
	VSC_ERR_SUCCESS = 0,
	VSC_ERR_GENERAL = 1,
	VSC_ERR_CANNOT_ADD_MORE_READERS = 2,
	VSC_ERR_CARD_ALREADY_INSERTED = 3,
};

/* One decoded message. Every pointer points into the decoder and is valid
 * until the next vsc_decoder_feed() / vsc_decoder_reset() on it. */
struct vsc_msg {
	enum vsc_type type;
	uint32_t reader_id;
	uint32_t length;          /* payload bytes */
	const uint8_t *payload;   /* `length` bytes; non-NULL even if empty */

	/* Init only. */
	uint32_t version;
	uint32_t n_caps;          /* capabilities: vsc_msg_init_cap() */

	/* Error only. The byte order is guessed: QEMU sends htonl(code) but
	 * reads the code raw (host order), and clients copied either. Codes
	 * 0..3 are the only ones defined, so: if the big-endian value is
	 * 0..3 it is the code; else if the little-endian value is 0..3 it is
	 * the code (error_code_swapped = true); else the big-endian value is
	 * passed through unchanged (an unknown code, the caller treats it as
	 * a general error). Unambiguous: no value is 0..3 both ways except
	 * 0, which is 0 both ways. */
	uint32_t error_code;
	bool error_code_swapped;
};

/* The 12-byte header, host order. */
struct vsc_header {
	uint32_t type;
	uint32_t reader_id;
	uint32_t length;          /* payload bytes after the header */
};

/* Read the header at the start of `buf` (len bytes, owned by the caller,
 * e.g. a message an encoder wrote): 0, or -EINVAL if len is under
 * VSC_HEADER_LEN. The values are not checked (the decoder does that). */
int vsc_header_decode(const uint8_t *buf, size_t len, struct vsc_header *h);

/* Capability i (0 <= i < msg->n_caps) of an Init message, host order. */
uint32_t vsc_msg_init_cap(const struct vsc_msg *msg, uint32_t i);

/* "Init", "APDU", ...; "unknown" outside 1..9. Static strings. */
const char *vsc_type_name(uint32_t type);

/* Streaming decoder. The caller owns the struct (about 64 KiB: it holds
 * one whole message, so memory is bounded by VSC_MAX_PAYLOAD). */
struct vsc_decoder {
	uint8_t header[VSC_HEADER_LEN];
	uint32_t header_have;
	uint32_t type, reader_id, length;   /* valid once header is complete */
	uint32_t payload_have;
	bool ready;              /* a complete, valid message waits for next() */
	int error;               /* 0 or the sticky -errno */
	const char *reason;      /* static one-line reason, "" if none */
	uint8_t payload[VSC_MAX_PAYLOAD];
};

void vsc_decoder_init(struct vsc_decoder *dec);
/* Back to the initial state (a new connection): drops partial input and
 * a sticky error. */
void vsc_decoder_reset(struct vsc_decoder *dec);

/* Consume bytes of `buf` (len bytes, owned by the caller, not kept: the
 * decoder copies what it needs) up to the end of the next complete
 * message, and stop there. *consumed (always set) is how many bytes were
 * taken; when it is below len, a message is ready: take it with
 * vsc_decoder_next(), then feed the rest.
 * Returns 0, or -errno for a protocol error, after which the decoder stays
 * in error (drop the connection): -EMSGSIZE length over VSC_MAX_PAYLOAD or
 * ATR too long; -EPROTO unknown type or bad magic; -EPROTONOSUPPORT
 * incompatible version; -EBADMSG a payload length wrong for its type.
 * -EBUSY (not sticky) if a ready message was not taken yet: nothing is
 * consumed. */
int vsc_decoder_feed(struct vsc_decoder *dec, const uint8_t *buf, size_t len,
		     size_t *consumed);

/* Take the ready message: returns 1 and fills *out (pointers into dec,
 * valid until the next feed/reset), 0 if no message is complete yet, or
 * the sticky -errno. */
int vsc_decoder_next(struct vsc_decoder *dec, struct vsc_msg *out);

/* Why the decoder is in error: a static one-line string, "" if it is not. */
const char *vsc_decoder_error(const struct vsc_decoder *dec);

/* Encoders: each writes one complete message (header + payload) into
 * `out` (cap bytes, owned by the caller) so the socket side can send it
 * with one write. Returns the bytes written, -ENOSPC if cap is too small
 * (nothing useful written), or -EINVAL for a payload the decoder would
 * refuse (ATR of 0 or more than VSC_MAX_ATR bytes, empty APDU, payload
 * over VSC_MAX_PAYLOAD, more than VSC_MAX_CAPS capabilities). Payload
 * inputs are read only. The Error code is written big-endian (htonl, as
 * QEMU sends it). QEMU sends Init with reader VSC_READER_UNDEFINED. */
int vsc_encode_init(uint8_t *out, size_t cap, uint32_t reader_id,
		    const uint32_t *caps, size_t n_caps);
int vsc_encode_error(uint8_t *out, size_t cap, uint32_t reader_id,
		     uint32_t code);
int vsc_encode_reader_add(uint8_t *out, size_t cap, uint32_t reader_id,
			  const uint8_t *name, size_t name_len);
int vsc_encode_reader_remove(uint8_t *out, size_t cap, uint32_t reader_id);
int vsc_encode_atr(uint8_t *out, size_t cap, uint32_t reader_id,
		   const uint8_t *atr, size_t atr_len);
int vsc_encode_card_remove(uint8_t *out, size_t cap, uint32_t reader_id);
int vsc_encode_apdu(uint8_t *out, size_t cap, uint32_t reader_id,
		    const uint8_t *apdu, size_t apdu_len);
int vsc_encode_flush(uint8_t *out, size_t cap, uint32_t reader_id);
int vsc_encode_flush_complete(uint8_t *out, size_t cap, uint32_t reader_id);

#endif
