/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated card's certificates as libcacard serves them, read from
 * NSS by nickname, for the PKI-applet filter (vcg_cacpki.h). NSS is
 * libcacard's: initialised by vcard_emul_init() in this process. */
#include <cert.h>
#include <pk11pub.h>
#include <stdio.h>

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
		certs[i] = PK11_FindCertFromNickname(cfg->certs[i], NULL);
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
