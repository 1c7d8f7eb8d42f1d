/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated card's certificates as libcacard serves them, read from
 * NSS by nickname (certificates) or from the mirrored token's slot
 * (nss-emulated, vcg_slotwatch.h finds it), for the PKI-applet filter (vcg_cacpki.h). NSS is
 * libcacard's: initialised by vcard_emul_init() in this process. */
#include <cert.h>
#include <pk11pub.h>
#include <stdio.h>
#include <string.h>

#include "vcg_emul.h"

struct vcg_cacpki *vcg_emul_cacpki_new(const struct vcg_emul_config *cfg,
				       char *why, size_t whylen)
{
	CERTCertificate *certs[VCG_CACPKI_NAPPLETS] = { NULL };
	const uint8_t *der[VCG_CACPKI_NAPPLETS] = { NULL };
	size_t len[VCG_CACPKI_NAPPLETS] = { 0 };
	struct vcg_cacpki *f = NULL;
	int i;

	if (cfg->backend != VCG_EMUL_CERTIFICATES) {
		snprintf(why, whylen, "not a certificates card");
		return NULL;
	}
	for (i = 0; i < VCG_CACPKI_NAPPLETS; i++) {
		/* cert1..cert3 are PKI applets 0..2 (libcacard's order). */
		certs[i] = vcg_nssdb_find_cert(cfg->certs[i]);
		if (certs[i] == NULL) {
			snprintf(why, whylen, "NSS does not find certificate %d", i + 1);
			goto out;
		}
		der[i] = certs[i]->derCert.data;
		len[i] = certs[i]->derCert.len;
	}
	f = vcg_cacpki_new(der, len);
	if (f == NULL)
		snprintf(why, whylen, "out of memory or a certificate over %d bytes",
			 VCG_CACPKI_CERT_MAX);
out:
	for (i = 0; i < VCG_CACPKI_NAPPLETS; i++)
		if (certs[i] != NULL)
			CERT_DestroyCertificate(certs[i]);
	return f;
}

struct vcg_cacpki *vcg_emul_cacpki_from_slot(const char *reader, char *why,
					     size_t whylen)
{
	SECItem der[VCG_CACPKI_NAPPLETS + 1];
	const uint8_t *data[VCG_CACPKI_NAPPLETS] = { NULL };
	size_t len[VCG_CACPKI_NAPPLETS] = { 0 };
	PK11SlotInfo *slot = vcg_slot_named(reader);
	PK11GenericObject *first, *o;
	struct vcg_cacpki *f = NULL;
	int n = 0;

	memset(der, 0, sizeof(der));
	if (slot == NULL) {
		snprintf(why, whylen, "no NSS slot named like the reader");
		return NULL;
	}
	/* libcacard's vcard_emul_mirror_card() order: PKI applet n is the
	 * n-th certificate object the token returns. */
	first = PK11_FindGenericObjects(slot, CKO_CERTIFICATE);
	for (o = first; o != NULL && n <= VCG_CACPKI_NAPPLETS;
	     o = PK11_GetNextGenericObject(o)) {
		if (PK11_ReadRawAttribute(PK11_TypeGeneric, o, CKA_VALUE,
					  &der[n]) == SECSuccess)
			n++;
	}
	if (first != NULL)
		PK11_DestroyGenericObjects(first);
	PK11_FreeSlot(slot);
	if (n != VCG_CACPKI_NAPPLETS) {
		snprintf(why, whylen, "the token holds %s%d certificates, the filter serves exactly %d",
			 n > VCG_CACPKI_NAPPLETS ? "more than " : "",
			 n > VCG_CACPKI_NAPPLETS ? VCG_CACPKI_NAPPLETS : n,
			 VCG_CACPKI_NAPPLETS);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		data[i] = der[i].data;
		len[i] = der[i].len;
	}
	f = vcg_cacpki_new(data, len);
	if (f == NULL)
		snprintf(why, whylen, "out of memory or a certificate over %d bytes",
			 VCG_CACPKI_CERT_MAX);
out:
	for (int i = 0; i <= VCG_CACPKI_NAPPLETS; i++)
		if (der[i].data != NULL)
			SECITEM_FreeItem(&der[i], PR_FALSE);
	return f;
}
