/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VSCard wire codec (see vscard_codec.h): header, per-type payload checks,
 * streaming reassembly, and the encoders. */
#include "vscard_codec.h"

#include <errno.h>
#include <string.h>

#include "ccid_wire.h"

/* Header field offsets (VSCMsgHeader: type, reader_id, length). */
#define OFF_TYPE 0
#define OFF_READER 4
#define OFF_LENGTH 8
/* Init payload offsets (VSCMsgInit: magic, version, capabilities[]). */
#define OFF_INIT_MAGIC 0
#define OFF_INIT_VERSION 4
#define OFF_INIT_CAPS 8
#define ERROR_PAYLOAD_LEN 4u

static const char *const type_names[] = {
	[VSC_INIT] = "Init",
	[VSC_ERROR] = "Error",
	[VSC_READER_ADD] = "ReaderAdd",
	[VSC_READER_REMOVE] = "ReaderRemove",
	[VSC_ATR] = "ATR",
	[VSC_CARD_REMOVE] = "CardRemove",
	[VSC_APDU] = "APDU",
	[VSC_FLUSH] = "Flush",
	[VSC_FLUSH_COMPLETE] = "FlushComplete",
};

const char *vsc_type_name(uint32_t type)
{
	if (type < VSC_INIT || type > VSC_FLUSH_COMPLETE)
		return "unknown";
	return type_names[type];
}

int vsc_header_decode(const uint8_t *buf, size_t len, struct vsc_header *h)
{
	if (len < VSC_HEADER_LEN)
		return -EINVAL;
	h->type = ccid_get_be32(buf + OFF_TYPE);
	h->reader_id = ccid_get_be32(buf + OFF_READER);
	h->length = ccid_get_be32(buf + OFF_LENGTH);
	return 0;
}

uint32_t vsc_msg_init_cap(const struct vsc_msg *msg, uint32_t i)
{
	if (msg->type != VSC_INIT || i >= msg->n_caps)
		return 0;
	return ccid_get_be32(msg->payload + OFF_INIT_CAPS + 4u * i);
}

/* ---- decoder ---- */

void vsc_decoder_init(struct vsc_decoder *dec)
{
	dec->header_have = 0;
	dec->type = dec->reader_id = dec->length = 0;
	dec->payload_have = 0;
	dec->ready = false;
	dec->error = 0;
	dec->reason = "";
}

void vsc_decoder_reset(struct vsc_decoder *dec)
{
	vsc_decoder_init(dec);
}

const char *vsc_decoder_error(const struct vsc_decoder *dec)
{
	return dec->error ? dec->reason : "";
}

static int fail(struct vsc_decoder *dec, int err, const char *reason)
{
	dec->error = err;
	dec->reason = reason;
	dec->ready = false;
	return err;
}

/* Checks that need only the header: type known, length within bounds and
 * right for the type. Done before any payload byte is stored. */
static int check_header(struct vsc_decoder *dec)
{
	uint32_t len = dec->length;

	if (dec->type < VSC_INIT || dec->type > VSC_FLUSH_COMPLETE)
		return fail(dec, -EPROTO, "unknown message type");
	if (len > VSC_MAX_PAYLOAD)
		return fail(dec, -EMSGSIZE, "payload length over the limit");
	switch (dec->type) {
	case VSC_INIT:
		if (len < VSC_INIT_FIXED_LEN || (len - VSC_INIT_FIXED_LEN) % 4)
			return fail(dec, -EBADMSG,
				    "Init length is not 8 + 4 * capabilities");
		break;
	case VSC_ERROR:
		if (len != ERROR_PAYLOAD_LEN)
			return fail(dec, -EBADMSG, "Error payload is not 4 bytes");
		break;
	case VSC_ATR:
		if (len == 0)
			return fail(dec, -EBADMSG, "empty ATR");
		if (len > VSC_MAX_ATR)
			return fail(dec, -EMSGSIZE, "ATR too long (over 33 bytes)");
		break;
	case VSC_APDU:
		if (len == 0)
			return fail(dec, -EBADMSG, "empty APDU");
		break;
	case VSC_READER_REMOVE:
	case VSC_CARD_REMOVE:
	case VSC_FLUSH:
	case VSC_FLUSH_COMPLETE:
		if (len != 0)
			return fail(dec, -EBADMSG,
				    "payload on a message that has none");
		break;
	default: /* ReaderAdd: any name, empty included */
		break;
	}
	return 0;
}

/* Checks on the complete payload. */
static int check_payload(struct vsc_decoder *dec)
{
	if (dec->type == VSC_INIT) {
		/* check_header() made the payload at least 8 bytes */
		uint32_t version = ccid_get_be32(dec->payload + OFF_INIT_VERSION);

		if (memcmp(dec->payload + OFF_INIT_MAGIC, VSC_MAGIC, 4) != 0)
			return fail(dec, -EPROTO, "bad magic in Init (not \"VSCD\")");
		/* Only the major number is a breaking change (the
		 * "IMPORTANT NOTE on VERSION" in vscard_common.h). */
		if (VSC_VERSION_MAJOR(version) != VSC_VERSION_MAJOR(VSC_VERSION))
			return fail(dec, -EPROTONOSUPPORT,
				    "incompatible protocol version in Init");
	}
	return 0;
}

int vsc_decoder_feed(struct vsc_decoder *dec, const uint8_t *buf, size_t len,
		     size_t *consumed)
{
	struct vsc_header h;
	size_t used = 0;
	int rc;

	*consumed = 0;
	if (dec->error)
		return dec->error;
	if (dec->ready)
		return -EBUSY;
	while (used < len) {
		if (dec->header_have < VSC_HEADER_LEN) {
			size_t n = VSC_HEADER_LEN - dec->header_have;

			if (n > len - used)
				n = len - used;
			memcpy(dec->header + dec->header_have, buf + used, n);
			dec->header_have += (uint32_t)n;
			used += n;
			if (dec->header_have < VSC_HEADER_LEN)
				break;
			vsc_header_decode(dec->header, VSC_HEADER_LEN, &h);
			dec->type = h.type;
			dec->reader_id = h.reader_id;
			dec->length = h.length;
			dec->payload_have = 0;
			rc = check_header(dec);
			if (rc < 0) {
				*consumed = used;
				return rc;
			}
		} else {
			size_t n = dec->length - dec->payload_have;

			if (n > len - used)
				n = len - used;
			memcpy(dec->payload + dec->payload_have, buf + used, n);
			dec->payload_have += (uint32_t)n;
			used += n;
		}
		if (dec->header_have == VSC_HEADER_LEN &&
		    dec->payload_have == dec->length) {
			rc = check_payload(dec);
			*consumed = used;
			if (rc < 0)
				return rc;
			dec->ready = true;
			return 0;
		}
	}
	*consumed = used;
	return 0;
}

int vsc_decoder_next(struct vsc_decoder *dec, struct vsc_msg *out)
{
	if (dec->error)
		return dec->error;
	if (!dec->ready)
		return 0;
	memset(out, 0, sizeof(*out));
	out->type = (enum vsc_type)dec->type;
	out->reader_id = dec->reader_id;
	out->length = dec->length;
	out->payload = dec->payload;
	if (dec->type == VSC_INIT) {
		out->version = ccid_get_be32(dec->payload + OFF_INIT_VERSION);
		out->n_caps = (dec->length - VSC_INIT_FIXED_LEN) / 4u;
	} else if (dec->type == VSC_ERROR) {
		uint32_t be = ccid_get_be32(dec->payload);
		uint32_t le = ccid_get_le32(dec->payload);

		if (be <= VSC_ERR_CARD_ALREADY_INSERTED) {
			out->error_code = be;
		} else if (le <= VSC_ERR_CARD_ALREADY_INSERTED) {
			out->error_code = le;
			out->error_code_swapped = true;
		} else {
			out->error_code = be;
		}
	}
	/* The next message starts from an empty header. */
	dec->ready = false;
	dec->header_have = 0;
	dec->payload_have = 0;
	return 1;
}

/* ---- encoders ---- */

static int put_header(uint8_t *out, size_t cap, uint32_t type,
		      uint32_t reader_id, size_t payload_len)
{
	if (payload_len > VSC_MAX_PAYLOAD)
		return -EINVAL;
	if (cap < VSC_HEADER_LEN + payload_len)
		return -ENOSPC;
	ccid_put_be32(out + OFF_TYPE, type);
	ccid_put_be32(out + OFF_READER, reader_id);
	ccid_put_be32(out + OFF_LENGTH, (uint32_t)payload_len);
	return (int)(VSC_HEADER_LEN + payload_len);
}

static int encode_bytes(uint8_t *out, size_t cap, uint32_t type,
			uint32_t reader_id, const uint8_t *data, size_t len)
{
	int n = put_header(out, cap, type, reader_id, len);

	if (n >= 0 && len > 0)
		memcpy(out + VSC_HEADER_LEN, data, len);
	return n;
}

int vsc_encode_init(uint8_t *out, size_t cap, uint32_t reader_id,
		    const uint32_t *caps, size_t n_caps)
{
	if (n_caps > VSC_MAX_CAPS)
		return -EINVAL;
	int n = put_header(out, cap, VSC_INIT, reader_id,
			   VSC_INIT_FIXED_LEN + 4u * n_caps);
	if (n < 0)
		return n;
	uint8_t *p = out + VSC_HEADER_LEN;
	memcpy(p + OFF_INIT_MAGIC, VSC_MAGIC, 4);   /* raw, as QEMU sends it */
	ccid_put_be32(p + OFF_INIT_VERSION, VSC_VERSION);
	for (size_t i = 0; i < n_caps; i++)
		ccid_put_be32(p + OFF_INIT_CAPS + 4u * i, caps[i]);
	return n;
}

int vsc_encode_error(uint8_t *out, size_t cap, uint32_t reader_id,
		     uint32_t code)
{
	int n = put_header(out, cap, VSC_ERROR, reader_id, ERROR_PAYLOAD_LEN);

	if (n >= 0)
		ccid_put_be32(out + VSC_HEADER_LEN, code);
	return n;
}

int vsc_encode_reader_add(uint8_t *out, size_t cap, uint32_t reader_id,
			  const uint8_t *name, size_t name_len)
{
	return encode_bytes(out, cap, VSC_READER_ADD, reader_id, name, name_len);
}

int vsc_encode_reader_remove(uint8_t *out, size_t cap, uint32_t reader_id)
{
	return put_header(out, cap, VSC_READER_REMOVE, reader_id, 0);
}

int vsc_encode_atr(uint8_t *out, size_t cap, uint32_t reader_id,
		   const uint8_t *atr, size_t atr_len)
{
	if (atr_len == 0 || atr_len > VSC_MAX_ATR)
		return -EINVAL;
	return encode_bytes(out, cap, VSC_ATR, reader_id, atr, atr_len);
}

int vsc_encode_card_remove(uint8_t *out, size_t cap, uint32_t reader_id)
{
	return put_header(out, cap, VSC_CARD_REMOVE, reader_id, 0);
}

int vsc_encode_apdu(uint8_t *out, size_t cap, uint32_t reader_id,
		    const uint8_t *apdu, size_t apdu_len)
{
	if (apdu_len == 0)
		return -EINVAL;
	return encode_bytes(out, cap, VSC_APDU, reader_id, apdu, apdu_len);
}

int vsc_encode_flush(uint8_t *out, size_t cap, uint32_t reader_id)
{
	return put_header(out, cap, VSC_FLUSH, reader_id, 0);
}

int vsc_encode_flush_complete(uint8_t *out, size_t cap, uint32_t reader_id)
{
	return put_header(out, cap, VSC_FLUSH_COMPLETE, reader_id, 0);
}
