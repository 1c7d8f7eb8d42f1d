/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpcap loaded on demand: see pcap_lib.h. */
#include "pcap_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct pcap_lib_api pcap_lib;

/* dlsym()'s data pointer into a function pointer slot (POSIX) */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function and data pointers differ in size");

int pcap_lib_load_from(const char *const *sonames, size_t n,
		       struct pcap_lib_api *api, char *err, size_t errlen)
{
	struct pcap_lib_api t;
	void *h = NULL, *sym;
	size_t i;

	for (i = 0; i < n && h == NULL; i++)
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "--pcap needs libpcap (%s; Debian "
			 "package libpcap0.8): %s", n > 0 ? sonames[0] : "?",
			 dlerror());
		return -ENOENT;
	}
#define PCAP_LIB_SYM(f) \
	if ((sym = dlsym(h, #f)) == NULL) \
		goto missing; \
	memcpy(&t.f, &sym, sizeof(sym));
	PCAP_LIB_FUNCS(PCAP_LIB_SYM)
#undef PCAP_LIB_SYM
	*api = t;
	return 0;
missing:
	snprintf(err, errlen, "--pcap: %s is not a usable libpcap: %s",
		 sonames[i - 1], dlerror());
	dlclose(h);
	return -ENOENT;
}

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[256];

static void load(void)
{
	static const char *const names[] = PCAP_LIB_SONAMES;

	load_rc = pcap_lib_load_from(names, sizeof(names) / sizeof(names[0]),
				     &pcap_lib, load_err, sizeof(load_err));
}

int pcap_lib_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (load_rc < 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", load_err);
	return load_rc;
}
