/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PKI applets' certificate answers in front of libcacard: see
 * vcg_cacpki.h. */
#include <stdlib.h>
#include <string.h>

#include "ccid_wire.h"
#include "vcg_cacpki.h"

#define CLA_ISO 0x00
#define CLA_CAC 0x80            /* GSC-IS 2.1: proprietary class */
#define INS_SELECT 0xA4         /* ISO 7816-4 7.1.1 */
#define P1_SELECT_DF_NAME 0x04
#define INS_READ_BUFFER 0x52    /* GSC-IS 2.1 5.3.4 (CAC 2 "READ BUFFER") */
#define INS_GET_CERTIFICATE 0x36 /* CAC 1 "GET CERTIFICATE" */
#define BUF_TAG 0x01            /* READ BUFFER: the tag (TL) buffer */
#define BUF_VALUE 0x02          /* READ BUFFER: the value buffer */
#define TAG_CERTIFICATE 0x70    /* CAC certificate buffer tags */
#define TAG_CERTINFO 0x71
#define TAG_MSCUID 0x72
#define TAG_ERROR_DETECTION 0xFE
#define CERTINFO_ZLIB 0x01      /* CertInfo bit 0: compressed */
#define SW_MORE 0x63            /* CAC 1: SW2 more bytes follow */
#define STORED_MAX 65535        /* RFC 1951 3.2.4: LEN is 16 bits */

/* A0 00 00 00 79 01 0n: the CAC PKI applets (CAC Endpoint guide). */
static const uint8_t pki_aid_prefix[] = { 0xA0, 0x00, 0x00, 0x00, 0x79, 0x01 };

struct applet {
	uint8_t *tbuf;          /* LE16 length + TL entries */
	size_t tlen;
	uint8_t *vbuf;          /* LE16 length + CertInfo + zlib stream */
	size_t vlen;
};

struct vcg_cacpki {
	struct applet a[VCG_CACPKI_NAPPLETS];
	int selected;           /* PKI applet index, or -1 */
	size_t cert_off;        /* GET CERTIFICATE: bytes already sent */
};

/* RFC 1950 8: Adler-32. */
static uint32_t adler32(const uint8_t *p, size_t n)
{
	uint32_t a = 1, b = 0;

	for (size_t i = 0; i < n; i++) {
		a = (a + p[i]) % 65521;
		b = (b + a) % 65521;
	}
	return (b << 16) | a;
}

size_t vcg_cacpki_zlib_stored(const uint8_t *in, size_t n, uint8_t *out,
			      size_t cap)
{
	size_t blocks = n == 0 ? 1 : (n + STORED_MAX - 1) / STORED_MAX;
	size_t need = 2 + blocks * 5 + n + 4;
	size_t o = 0, i = 0;

	if (cap < need)
		return 0;
	/* CMF 0x78 (CM 8, 32K window), FLG 0x01: (CMF * 256 + FLG) % 31 == 0,
	 * FDICT 0, FLEVEL 0 (RFC 1950 2.2). */
	out[o++] = 0x78;
	out[o++] = 0x01;
	do {
		size_t len = n - i > STORED_MAX ? STORED_MAX : n - i;

		out[o++] = i + len == n ? 0x01 : 0x00;   /* BFINAL, BTYPE 00 */
		ccid_put_le16(out + o, len);
		ccid_put_le16(out + o + 2, ~len & 0xFFFF);    /* NLEN */
		o += 4;
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	} while (i < n);
	ccid_put_be32(out + o, adler32(in, n));
	return o + 4;
}

/* The tag and value buffers of one applet from its certificate. */
static int build(struct applet *ap, const uint8_t *der, size_t len)
{
	size_t zcap = 2 + 5 + len + 4, zlen, vcontent, t = 2;
	uint8_t *v;

	if (len == 0 || len > VCG_CACPKI_CERT_MAX)
		return -1;
	v = malloc(2 + 1 + zcap);
	ap->tbuf = malloc(2 + 12);
	if (v == NULL || ap->tbuf == NULL) {
		free(v);
		return -1;
	}
	zlen = vcg_cacpki_zlib_stored(der, len, v + 3, zcap);
	if (zlen == 0) {
		free(v);
		return -1;
	}
	v[2] = CERTINFO_ZLIB;
	vcontent = 1 + zlen;
	ccid_put_le16(v, vcontent);
	ap->vbuf = v;
	ap->vlen = 2 + vcontent;

	/* TL entries as libcacard writes them: one length byte, or 0xFF and
	 * a little-endian 16-bit length. */
	ap->tbuf[t++] = TAG_CERTINFO;
	ap->tbuf[t++] = 1;
	ap->tbuf[t++] = TAG_CERTIFICATE;
	if (zlen < 0xFF) {
		ap->tbuf[t++] = (uint8_t)zlen;
	} else {
		ap->tbuf[t++] = 0xFF;
		ccid_put_le16(ap->tbuf + t, zlen);
		t += 2;
	}
	ap->tbuf[t++] = TAG_MSCUID;
	ap->tbuf[t++] = 0;
	ap->tbuf[t++] = TAG_ERROR_DETECTION;
	ap->tbuf[t++] = 0;
	ccid_put_le16(ap->tbuf, t - 2);
	ap->tlen = t;
	return 0;
}

struct vcg_cacpki *vcg_cacpki_new(const uint8_t *const der[VCG_CACPKI_NAPPLETS],
				  const size_t len[VCG_CACPKI_NAPPLETS])
{
	struct vcg_cacpki *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	for (int i = 0; i < VCG_CACPKI_NAPPLETS; i++) {
		if (der[i] == NULL || build(&f->a[i], der[i], len[i]) < 0) {
			vcg_cacpki_free(f);
			return NULL;
		}
	}
	f->selected = -1;
	return f;
}

void vcg_cacpki_free(struct vcg_cacpki *f)
{
	if (f == NULL)
		return;
	for (int i = 0; i < VCG_CACPKI_NAPPLETS; i++) {
		free(f->a[i].tbuf);
		free(f->a[i].vbuf);
	}
	free(f);
}

void vcg_cacpki_reset(struct vcg_cacpki *f)
{
	f->selected = -1;
	f->cert_off = 0;
}

static size_t sw(uint8_t *out, size_t n, uint8_t sw1, uint8_t sw2)
{
	out[n] = sw1;
	out[n + 1] = sw2;
	return n + 2;
}

/* 80 52 P1 P2 02 TYPE COUNT [Le]: COUNT bytes of buffer TYPE from offset
 * P1 P2 (big-endian); a short buffer gives what is left. */
static size_t read_buffer(const struct applet *ap, const uint8_t *apdu,
			  size_t len, uint8_t *out)
{
	size_t off = ccid_get_be16(apdu + 2);
	const uint8_t *buf;
	size_t blen, n;

	if ((len != 7 && len != 8) || apdu[4] != 2)
		return sw(out, 0, 0x67, 0x00);   /* wrong length */
	switch (apdu[5]) {
	case BUF_TAG:
		buf = ap->tbuf;
		blen = ap->tlen;
		break;
	case BUF_VALUE:
		buf = ap->vbuf;
		blen = ap->vlen;
		break;
	default:
		return sw(out, 0, 0x6A, 0x86);   /* incorrect P1-P2/data */
	}
	if (off > blen)
		return sw(out, 0, 0x6B, 0x00);   /* offset outside the buffer */
	n = apdu[6] == 0 ? 256 : apdu[6];
	if (n > blen - off)
		n = blen - off;
	memcpy(out, buf + off, n);
	return sw(out, n, 0x90, 0x00);
}

/* 80 36 00 00 Le: the next Le bytes of CertInfo || certificate. */
static size_t get_certificate(struct vcg_cacpki *f, const struct applet *ap,
			      const uint8_t *apdu, size_t len, uint8_t *out)
{
	const uint8_t *data = ap->vbuf + 2;   /* CertInfo, then the cert */
	size_t total = ap->vlen - 2, want, left, n;

	if (len != 5)
		return sw(out, 0, 0x67, 0x00);
	if (apdu[2] != 0 || apdu[3] != 0)
		return sw(out, 0, 0x6A, 0x86);
	want = apdu[4] == 0 ? 256 : apdu[4];
	left = total - f->cert_off;
	n = want < left ? want : left;
	memcpy(out, data + f->cert_off, n);
	f->cert_off += n;
	left -= n;
	if (left == 0) {
		f->cert_off = 0;   /* a new read starts over */
		return sw(out, n, 0x90, 0x00);
	}
	return sw(out, n, SW_MORE, (uint8_t)(left > 0xFF ? 0xFF : left));
}

size_t vcg_cacpki_answer(struct vcg_cacpki *f, const uint8_t *apdu,
			 size_t len, uint8_t *out, size_t cap)
{
	const struct applet *ap;

	if (f == NULL || f->selected < 0 || len < 4 || cap < 256 + 2 ||
	    apdu[0] != CLA_CAC)
		return 0;
	ap = &f->a[f->selected];
	switch (apdu[1]) {
	case INS_READ_BUFFER:
		return read_buffer(ap, apdu, len, out);
	case INS_GET_CERTIFICATE:
		return get_certificate(f, ap, apdu, len, out);
	default:
		return 0;
	}
}

void vcg_cacpki_observe(struct vcg_cacpki *f, const uint8_t *apdu,
			size_t len, const uint8_t *resp, size_t resp_len)
{
	uint8_t sw1;
	size_t lc;

	if (f == NULL || len < 5 || resp_len < 2 || apdu[0] != CLA_ISO ||
	    apdu[1] != INS_SELECT || apdu[2] != P1_SELECT_DF_NAME)
		return;
	sw1 = resp[resp_len - 2];
	if (!(sw1 == 0x61 || (sw1 == 0x90 && resp[resp_len - 1] == 0x00)))
		return;   /* failed: the current applet stays */
	lc = apdu[4];
	f->cert_off = 0;
	f->selected = -1;
	if (lc == sizeof(pki_aid_prefix) + 1 && len >= 5 + lc &&
	    memcmp(apdu + 5, pki_aid_prefix, sizeof(pki_aid_prefix)) == 0 &&
	    apdu[5 + sizeof(pki_aid_prefix)] < VCG_CACPKI_NAPPLETS)
		f->selected = apdu[5 + sizeof(pki_aid_prefix)];
}
