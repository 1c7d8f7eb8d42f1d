/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpcap loaded on demand (util/dl_table.h): see pcap_lib.h. */
#include "pcap_lib.h"

#include "dl_table.h"

struct pcap_lib_api pcap_lib;

static const char *const pcap_sonames[] = PCAP_LIB_SONAMES;

static const struct dl_sym pcap_syms[] = {
#define PCAP_LIB_SYM(f) DL_SYM(struct pcap_lib_api, f),
	PCAP_LIB_FUNCS(PCAP_LIB_SYM)
#undef PCAP_LIB_SYM
};

static const struct dl_lib pcap_dl = {
	.feature = "--pcap",
	.name = "libpcap",
	.package = "libpcap0.8",
	.sonames = pcap_sonames,
	.n_sonames = sizeof(pcap_sonames) / sizeof(pcap_sonames[0]),
	.syms = pcap_syms,
	.n_syms = sizeof(pcap_syms) / sizeof(pcap_syms[0]),
	.table_size = sizeof(struct pcap_lib_api),
};

int pcap_lib_load_from(const char *const *sonames, size_t n,
		       struct pcap_lib_api *api, char *err, size_t errlen)
{
	struct dl_lib lib = pcap_dl;

	lib.sonames = sonames;
	lib.n_sonames = n;
	return dl_table_load(&lib, api, err, errlen);
}

int pcap_lib_load(char *err, size_t errlen)
{
	static struct dl_once once = DL_ONCE_INIT;

	return dl_once_load(&once, &pcap_dl, &pcap_lib, err, errlen);
}
