/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend=nss-emulated (libvirt's `host` mode): which PKCS#11 token the
 * card mirrors, and the one log line that says so or why none.
 *
 * What libcacard 2.8 needs from a token (vcard_emul_init() and
 * vcard_emul_mirror_card() in its vcard_emul_nss.c):
 *  - a slot of a PKCS#11 module registered in the db (pkcs11.txt), other
 *    than NSS's internal one, whose library loads;
 *  - the slot removable (CKF_REMOVABLE_DEVICE), and with use_hw=yes (its
 *    default) a hardware slot (CKF_HW_SLOT) too; use_hw=removable takes
 *    any removable slot (SoftHSM2 with slots.removable = true);
 *  - a token in it with at least one certificate object: the card is
 *    built from the certificates (one CAC PKI applet each); without one
 *    the reader stays empty;
 *  - the private keys, which a token usually shows only after the PIN
 *    (the PC's VERIFY reaches PK11_Authenticate): counted only on a token
 *    that needs no login.
 * libcacard says nothing about a slot it skips, so the survey (run on
 * the db before vcard_emul_init(), vcg_nssdb_survey()) does. Pure: no
 * NSS here, so the rules are unit-tested. */
#ifndef VCG_EMUL_TOKENS_H
#define VCG_EMUL_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#define VCG_TOKEN_NAME_MAX 64    /* PKCS#11 slotDescription / label: 64, 32 */
#define VCG_TOKEN_PATH_MAX 256
#define VCG_TOKENS_MAX 32

/* One slot of a registered module, or (loaded false) a module whose
 * library did not load (then only module and library are set). */
struct vcg_token_info {
	char module[VCG_TOKEN_NAME_MAX + 1];     /* its name in pkcs11.txt */
	char library[VCG_TOKEN_PATH_MAX + 1];
	bool loaded;
	char slot[VCG_TOKEN_NAME_MAX + 1];       /* PK11_GetSlotName: libcacard's reader name */
	char token[VCG_TOKEN_NAME_MAX + 1];      /* the token's label */
	bool removable, hardware, present, initialized;
	int certs;                               /* certificate objects */
	int keys;                                /* private keys; -1: behind the PIN */
};

struct vcg_token_verdict {
	int level;        /* syslog level of line; 0: nothing to say */
	char line[640];   /* no "card" prefix */
	/* The reader (slot name) the card follows; "": the first one
	 * libcacard reports (a reader plugged in later). */
	char reader[VCG_TOKEN_NAME_MAX + 1];
};

/* The verdict over n slots (0..VCG_TOKENS_MAX) of the db `db` ("sql:DIR")
 * with use_hw=removable (any_removable) or use_hw=yes. `modules`: how many
 * modules other than NSS's internal one the db registers. Fills v. */
void vcg_token_verdict(const struct vcg_token_info *slots, size_t n,
		       size_t modules, bool any_removable, const char *db,
		       struct vcg_token_verdict *v);

#endif
