/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to vcard-glue/stream/vcg_tls_*.c: the loaded credentials shared by
 * vcg_tls_creds.c (loading, the allow-list) and vcg_tls_stream.c (the
 * sessions). See vcg_tls.h. */
#ifndef VCG_TLS_INT_H
#define VCG_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcg_gnutls.h"

/* TLS 1.2 and 1.3 only; GnuTLS's NORMAL set of ciphers otherwise. */
#define VCG_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define FP_LEN 32                  /* SHA-256 */

struct allow_entry {
	bool is_fp;
	uint8_t fp[FP_LEN];
	char *dn;                  /* owned; NULL for a fingerprint */
};

struct vcg_tls_server {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t prio;
	bool use_allow;            /* an allow-list was given (may be empty) */
	struct allow_entry *allow; /* owned, n_allow entries */
	size_t n_allow;
};

struct vcg_tls_client {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t prio;
};

/* Is the client certificate with SHA-256 fingerprint fp and subject DN dn
 * (as GnuTLS prints it) on srv's allow-list? */
bool vcg_tls_allowed(const struct vcg_tls_server *srv, const uint8_t fp[FP_LEN],
		     const char *dn);

#endif
