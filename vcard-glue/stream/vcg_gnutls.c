/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GnuTLS loaded on demand (util/dl_table.h): see vcg_gnutls.h. */
#include "vcg_gnutls.h"

#include "dl_table.h"

struct vcg_gnutls_api vcg_gnutls;

static const char *const gnutls_soname = VCG_GNUTLS_SONAME;

static const struct dl_sym gnutls_syms[] = {
#define VCG_GNUTLS_SYM(f) DL_SYM(struct vcg_gnutls_api, f),
	VCG_GNUTLS_FUNCS(VCG_GNUTLS_SYM)
#undef VCG_GNUTLS_SYM
	/* a variable: dlsym() gives its address, &gnutls_free */
	{ "gnutls_free", offsetof(struct vcg_gnutls_api, free_fn) },
};

static const struct dl_lib gnutls_lib = {
	.feature = "TLS (tls-creds=)",
	.name = "GnuTLS 3.4 or later",
	.package = "libgnutls30",
	.sonames = &gnutls_soname,
	.n_sonames = 1,
	.syms = gnutls_syms,
	.n_syms = sizeof(gnutls_syms) / sizeof(gnutls_syms[0]),
	.table_size = sizeof(struct vcg_gnutls_api),
};

int vcg_gnutls_load_from(const char *soname, struct vcg_gnutls_api *api,
			 char *err, size_t errlen)
{
	struct dl_lib lib = gnutls_lib;

	lib.sonames = &soname;
	return dl_table_load(&lib, api, err, errlen);
}

int vcg_gnutls_load(char *err, size_t errlen)
{
	static struct dl_once once = DL_ONCE_INIT;

	return dl_once_load(&once, &gnutls_lib, &vcg_gnutls, err, errlen);
}
