/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GnuTLS loaded on demand: see vcg_gnutls.h. */
#include "vcg_gnutls.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct vcg_gnutls_api vcg_gnutls;

/* a data pointer from dlsym() stored into a function pointer slot: the
 * POSIX guarantee dlsym() relies on */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function and data pointers differ in size");

static void put_sym(void *slot, void *sym)
{
	memcpy(slot, &sym, sizeof(sym));
}

int vcg_gnutls_load_from(const char *soname, struct vcg_gnutls_api *api,
			 char *err, size_t errlen)
{
	struct vcg_gnutls_api t;
	void *h, *sym;

	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "TLS (tls-creds=) needs %s (Debian "
			 "package libgnutls30): %s", soname, dlerror());
		return -ENOENT;
	}
#define VCG_GNUTLS_SYM(f) \
	if ((sym = dlsym(h, #f)) == NULL) \
		goto missing; \
	put_sym(&t.f, sym);
	VCG_GNUTLS_FUNCS(VCG_GNUTLS_SYM)
#undef VCG_GNUTLS_SYM
	if ((sym = dlsym(h, "gnutls_free")) == NULL)
		goto missing;
	t.free_fn = sym;
	*api = t;
	return 0;
missing:
	snprintf(err, errlen, "TLS (tls-creds=): %s is not a usable GnuTLS "
		 "(3.4 or later): %s", soname, dlerror());
	dlclose(h);
	return -ENOENT;
}

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[256];

static void load(void)
{
	load_rc = vcg_gnutls_load_from(VCG_GNUTLS_SONAME, &vcg_gnutls,
				       load_err, sizeof(load_err));
}

int vcg_gnutls_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (load_rc < 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", load_err);
	return load_rc;
}
