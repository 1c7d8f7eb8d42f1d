/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV data objects: see vcg_piv_objects.h. */
#include <stdlib.h>
#include <string.h>

#include "vcg_piv_objects.h"
#include "vcg_piv_tlv.h"

const uint8_t vcg_piv_aid[11] = { 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00,
				  0x10, 0x00, 0x01, 0x00 };

#define NOBJ VCG_PIV_OBJECTS_MAX

struct object {
	uint32_t tag;
	uint8_t *data;
	size_t len;
};

struct vcg_piv_objects {
	struct object obj[NOBJ];
	size_t n;
};

static const uint32_t cert_tags[VCG_PIV_NKEYS] = {
	VCG_PIV_TAG_CERT_9A, VCG_PIV_TAG_CERT_9C, VCG_PIV_TAG_CERT_9D,
	VCG_PIV_TAG_CERT_9E,
};

uint32_t vcg_piv_cert_tag(int key)
{
	return key >= 0 && key < VCG_PIV_NKEYS ? cert_tags[key] : 0;
}

/* FASC-N (Part 1 Table 9, tag 30): a fixed 25-byte value in the
 * 5-bit BCD-with-parity form of TIG SCEPACS 6.6 that names a test
 * credential; the card is not in any agency's PACS, and the hosts we
 * target only check that the element is there. The GUID (34) is what
 * tells cards apart. */
static const uint8_t fascn[25] = {
	0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D,
	0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42,
	0x10, 0xC3, 0xEB,
};

/* Wrap `inner` (n bytes) as tag/len into a new object. */
static int add(struct vcg_piv_objects *o, uint32_t tag, uint32_t outer,
	       const uint8_t *inner, size_t n)
{
	size_t cap = vcg_piv_header_size(outer, n) + n;
	struct vcg_piv_buf b;
	uint8_t *p = malloc(cap);

	if (p == NULL)
		return -1;
	vcg_piv_buf_init(&b, p, cap);
	vcg_piv_put_tlv(&b, outer, inner, n);
	if (b.overflow) {
		free(p);
		return -1;
	}
	o->obj[o->n].tag = tag;
	o->obj[o->n].data = p;
	o->obj[o->n].len = b.len;
	o->n++;
	return 0;
}

static int add_fixed(struct vcg_piv_objects *o, const uint8_t guid[16])
{
	uint8_t in[128];
	struct vcg_piv_buf b;

	/* CHUID, Part 1 Table 9. */
	vcg_piv_buf_init(&b, in, sizeof(in));
	vcg_piv_put_tlv(&b, 0x30, fascn, sizeof(fascn));
	vcg_piv_put_tlv(&b, 0x34, guid, VCG_PIV_GUID_LEN);
	vcg_piv_put_tlv(&b, 0x35, "20991231", 8);     /* YYYYMMDD */
	vcg_piv_put_tlv(&b, 0x3E, NULL, 0);
	vcg_piv_put_tlv(&b, 0xFE, NULL, 0);
	if (b.overflow || add(o, VCG_PIV_TAG_CHUID, 0x53, in, b.len) < 0)
		return -1;

	/* CCC, Part 1 Table 8 (SP 800-73-4 Appendix A). */
	vcg_piv_buf_init(&b, in, sizeof(in));
	vcg_piv_put_header(&b, 0xF0, 21);
	vcg_piv_put_bytes(&b, (const uint8_t[]){ 0xA0, 0x00, 0x00, 0x01, 0x16,
						 0xFF, 0x02 }, 7);
	vcg_piv_put_bytes(&b, guid, 14);
	vcg_piv_put_tlv(&b, 0xF1, (const uint8_t[]){ 0x21 }, 1);
	vcg_piv_put_tlv(&b, 0xF2, (const uint8_t[]){ 0x21 }, 1);
	vcg_piv_put_tlv(&b, 0xF3, NULL, 0);
	vcg_piv_put_tlv(&b, 0xF4, (const uint8_t[]){ 0x00 }, 1);
	vcg_piv_put_tlv(&b, 0xF5, (const uint8_t[]){ 0x10 }, 1);
	for (uint32_t t = 0xF6; t <= 0xFE; t++)
		if (t != 0xF8 && t != 0xF9)
			vcg_piv_put_tlv(&b, t, NULL, 0);
	if (b.overflow || add(o, VCG_PIV_TAG_CCC, 0x53, in, b.len) < 0)
		return -1;

	/* Discovery Object, Part 1 3.3.2: its own 7E template. */
	vcg_piv_buf_init(&b, in, sizeof(in));
	vcg_piv_put_tlv(&b, 0x4F, vcg_piv_aid, sizeof(vcg_piv_aid));
	vcg_piv_put_tlv(&b, 0x5F2F, (const uint8_t[]){ 0x40, 0x00 }, 2);
	if (b.overflow || add(o, VCG_PIV_TAG_DISCOVERY, 0x7E, in, b.len) < 0)
		return -1;

	/* Key History, Part 1 3.3.3: no retired keys. */
	vcg_piv_buf_init(&b, in, sizeof(in));
	vcg_piv_put_tlv(&b, 0xC1, (const uint8_t[]){ 0x00 }, 1);
	vcg_piv_put_tlv(&b, 0xC2, (const uint8_t[]){ 0x00 }, 1);
	vcg_piv_put_tlv(&b, 0xFE, NULL, 0);
	if (b.overflow || add(o, VCG_PIV_TAG_KEY_HISTORY, 0x53, in, b.len) < 0)
		return -1;
	return 0;
}

static int add_cert(struct vcg_piv_objects *o, uint32_t tag,
		    const uint8_t *der, size_t len)
{
	size_t cap = len + 16;
	struct vcg_piv_buf b;
	uint8_t *in = malloc(cap);
	int rc;

	if (in == NULL)
		return -1;
	vcg_piv_buf_init(&b, in, cap);
	vcg_piv_put_tlv(&b, 0x70, der, len);
	vcg_piv_put_tlv(&b, 0x71, (const uint8_t[]){ 0x00 }, 1);
	vcg_piv_put_tlv(&b, 0xFE, NULL, 0);
	rc = b.overflow ? -1 : add(o, tag, 0x53, in, b.len);
	free(in);
	return rc;
}

struct vcg_piv_objects *vcg_piv_objects_new(const uint8_t guid[VCG_PIV_GUID_LEN],
					    const uint8_t *const cert[VCG_PIV_NKEYS],
					    const size_t len[VCG_PIV_NKEYS])
{
	struct vcg_piv_objects *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	if (add_fixed(o, guid) < 0)
		goto fail;
	for (int i = 0; i < VCG_PIV_NKEYS; i++) {
		if (cert[i] == NULL || len[i] == 0)
			continue;
		if (len[i] > VCG_PIV_CERT_MAX ||
		    add_cert(o, cert_tags[i], cert[i], len[i]) < 0)
			goto fail;
	}
	return o;
fail:
	vcg_piv_objects_free(o);
	return NULL;
}

void vcg_piv_objects_free(struct vcg_piv_objects *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->obj[i].data);
	free(o);
}

const uint8_t *vcg_piv_objects_get(const struct vcg_piv_objects *o,
				   uint32_t tag, size_t *len)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->obj[i].tag == tag) {
			*len = o->obj[i].len;
			return o->obj[i].data;
		}
	}
	return NULL;
}

int vcg_piv_objects_put(struct vcg_piv_objects *o, uint32_t tag,
			const uint8_t *data, size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);
	size_t i;

	if (p == NULL)
		return -1;
	if (len > 0)
		memcpy(p, data, len);
	for (i = 0; i < o->n; i++)
		if (o->obj[i].tag == tag)
			break;
	if (i == o->n) {
		if (o->n == NOBJ) {
			free(p);
			return -1;
		}
		o->n++;
	} else {
		free(o->obj[i].data);
	}
	o->obj[i].tag = tag;
	o->obj[i].data = p;
	o->obj[i].len = len;
	return 0;
}

int vcg_piv_object_tag_writable(uint32_t tag)
{
	return (tag >= 0x5FC101 && tag <= 0x5FC123) ||
	       tag == 0x5FFF00 || tag == 0x5FFF01;
}
