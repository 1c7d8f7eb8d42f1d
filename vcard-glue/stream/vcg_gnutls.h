/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GnuTLS, loaded only when TLS is configured (tls-creds=): the daemon and
 * the client do not link it, so a reader without TLS never maps GnuTLS
 * and the libraries under it (p11-kit, nettle, gmp, libtasn1, libidn2,
 * ...), about 1.5 MB of RSS on the board (bench/README.md).
 *
 * vcg_gnutls_load() dlopen()s the library once (util/dl_table.h) and
 * fills vcg_gnutls with typed pointers to the functions vcard-glue/stream
 * uses (their types are GnuTLS's own declarations, through __typeof__);
 * call them as GT(gnutls_init)(...). The library stays loaded until exit (GnuTLS is
 * not safe to unload). Thread-safe. */
#ifndef VCG_GNUTLS_H
#define VCG_GNUTLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* soname 30 is GnuTLS's ABI since 3.4 (2015) */
#if GNUTLS_VERSION_NUMBER < 0x030400
#error "GnuTLS 3.4 or later is needed (soname libgnutls.so.30)"
#endif
#define VCG_GNUTLS_SONAME "libgnutls.so.30"

/* Every GnuTLS function vcard-glue/stream calls. gnutls_transport_set_int
 * is a macro over gnutls_transport_set_int2; gnutls_free is a variable
 * (a pointer to the free function), loaded as free_fn. */
#define VCG_GNUTLS_FUNCS(X) \
	X(gnutls_alert_get) X(gnutls_alert_get_name) X(gnutls_alert_send) \
	X(gnutls_alert_send_appropriate) X(gnutls_bye) \
	X(gnutls_certificate_allocate_credentials) \
	X(gnutls_certificate_free_credentials) X(gnutls_certificate_get_peers) \
	X(gnutls_certificate_send_x509_rdn_sequence) \
	X(gnutls_certificate_server_set_request) \
	X(gnutls_certificate_set_x509_crl_file) \
	X(gnutls_certificate_set_x509_key_file) \
	X(gnutls_certificate_set_x509_trust_file) X(gnutls_certificate_type_get) \
	X(gnutls_certificate_verification_status_print) \
	X(gnutls_certificate_verify_peers) X(gnutls_credentials_set) \
	X(gnutls_deinit) X(gnutls_error_is_fatal) X(gnutls_fingerprint) \
	X(gnutls_handshake) X(gnutls_handshake_set_timeout) X(gnutls_init) \
	X(gnutls_priority_deinit) X(gnutls_priority_init2) \
	X(gnutls_priority_set) X(gnutls_record_check_pending) \
	X(gnutls_record_get_direction) X(gnutls_record_recv) \
	X(gnutls_record_send) X(gnutls_server_name_set) \
	X(gnutls_session_get_verify_cert_status) \
	X(gnutls_session_set_verify_cert) X(gnutls_strerror) \
	X(gnutls_transport_set_int2) X(gnutls_x509_crt_deinit) \
	X(gnutls_x509_crt_get_dn3) X(gnutls_x509_crt_get_dn_by_oid) \
	X(gnutls_x509_crt_import) X(gnutls_x509_crt_init)

struct vcg_gnutls_api {
#define VCG_GNUTLS_PTR(f) __typeof__(f) *f;
	VCG_GNUTLS_FUNCS(VCG_GNUTLS_PTR)
#undef VCG_GNUTLS_PTR
	gnutls_free_function *free_fn;   /* &gnutls_free */
};

/* Filled by a successful vcg_gnutls_load(); all NULL before. */
extern struct vcg_gnutls_api vcg_gnutls;
#define GT(f) (vcg_gnutls.f)
/* gnutls_free(p) as GnuTLS's own macro has it */
#define GT_FREE(p) ((*vcg_gnutls.free_fn)(p))

/* Load GnuTLS (once; later calls return the first result). 0, or -ENOENT
 * with one line in err (caller-owned, errlen bytes) naming the library,
 * its Debian package and why, e.g. "TLS (tls-creds=) needs GnuTLS 3.4 or
 * later (libgnutls.so.30): ...; install the Debian package libgnutls30". */
int vcg_gnutls_load(char *err, size_t errlen);

/* For tests: fill `api` from the library `soname` (not the shared table);
 * 0 or -ENOENT as above (a missing library or a missing symbol; `api` all
 * NULL then). The library stays loaded on success. */
int vcg_gnutls_load_from(const char *soname, struct vcg_gnutls_api *api,
			 char *err, size_t errlen);

#endif
