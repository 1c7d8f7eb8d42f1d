/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "emulated" card SPEC, validated, and the libcacard options string
 * built from it. Pure: no NSS, no libcacard, no I/O (fuzzed).
 *
 * QEMU's ccid-card-emulated property names:
 *   emulated,backend=certificates,db=sql:DIR,cert1=NICK,cert2=NICK,cert3=NICK
 *       libvirt "host-certificates": a soft card of three certificates
 *       (and their keys) from the NSS db; cert2 and cert3 default to
 *       cert1 (vcg_emul_config.c says why). Options string:
 *       db="sql:DIR" use_hw=no soft=(,ccid-gadget,CAC,,NICK1,NICK2,NICK3)
 *   emulated[,backend=nss-emulated][,db=sql:DIR][,use_hw=yes|removable]
 *       libvirt "host": physical cards NSS reaches through the PKCS#11
 *       modules registered in the db. Options string:
 *       db="sql:DIR" use_hw=yes|removable
 *       use_hw is libcacard's own option: yes (its default) mirrors
 *       removable hardware slots only, removable any removable slot (a
 *       SoftHSM2 token with slots.removable = true); no is refused (it
 *       mirrors nothing; that is backend=certificates).
 *       personality=cac is accepted (the mirrored card is CAC).
 * Ours, for the PIV card edge (vcg_piv_router.h), certificates only:
 *   personality=cac+piv|cac|piv   (default cac+piv)
 *   cert4=NICK        the 9E Card Authentication certificate (optional;
 *                     PIV only: libcacard's CAC keeps three applets)
 *   state-dir=DIR     the PIV retry counters and PUK (vcg_piv_state.h),
 *                     default /var/lib/ccid-gadget
 * db defaults to sql:/etc/pki/nssdb (QEMU's and libcacard's default);
 * backend defaults to nss-emulated, as in QEMU. `debug=N` (0..255) is
 * accepted for QEMU compatibility; tracing follows the daemon's -v.
 *
 * libcacard parses that string with strpbrk() and no escapes: a nickname
 * holding ',' or ')' would split or end the soft=( list (an unterminated
 * list aborts the process inside GLib; a bad one makes libcacard fall
 * back to hardware mode on /etc/pki/nssdb), leading blanks are stripped,
 * and the db path ends at '"'. Such values are refused here, never
 * escaped. */
#ifndef VCG_EMUL_CONFIG_H
#define VCG_EMUL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "vcg_piv_router.h"
#include "vcg_spec.h"

#define VCG_EMUL_NCERTS 3
#define VCG_EMUL_NICK_MAX 128          /* bytes of one nickname */
#define VCG_EMUL_DIR_MAX 512           /* bytes of the db directory */
#define VCG_EMUL_READER_NAME "ccid-gadget"
#define VCG_EMUL_DEFAULT_DB_DIR "/etc/pki/nssdb"

enum vcg_emul_backend {
	VCG_EMUL_CERTIFICATES,
	VCG_EMUL_NSS_EMULATED,
};

struct vcg_emul_config {
	enum vcg_emul_backend backend;
	char db_dir[VCG_EMUL_DIR_MAX + 1];          /* the directory */
	char db[VCG_EMUL_DIR_MAX + 8];              /* "sql:" + db_dir */
	char certs[VCG_EMUL_NCERTS][VCG_EMUL_NICK_MAX + 1]; /* certificates only */
	/* What vcard_emul_options() gets; also the identity of a libcacard
	 * initialisation (see vcg_cacard.h). */
	char options[VCG_EMUL_DIR_MAX + VCG_EMUL_NCERTS * (VCG_EMUL_NICK_MAX + 1) + 96];
	char describe[VCG_EMUL_DIR_MAX + 48];       /* "emulated certificates sql:DIR" */
	enum vcg_piv_personality personality;
	char cert4[VCG_EMUL_NICK_MAX + 1];          /* "" : no 9E key */
	char state_dir[VCG_EMUL_DIR_MAX + 1];
	bool any_removable;                         /* nss-emulated: use_hw=removable */
};

extern const char *const vcg_emul_keys[];   /* the accepted properties */

/* Validate `spec` (driver "emulated", keys already checked against
 * vcg_emul_keys) into cfg (caller-owned). Returns 0 or -EINVAL with one
 * line in err. */
int vcg_emul_config_from_spec(const struct vcg_spec *spec,
			      struct vcg_emul_config *cfg, char *err,
			      size_t errlen);

#endif
