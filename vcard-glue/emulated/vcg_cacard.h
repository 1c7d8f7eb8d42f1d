/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libcacard's process-wide state, owned in one place.
 *
 * libcacard keeps one reader list, one event queue and one NSS context
 * per process, and vcard_emul_init() works once per process (a second
 * call returns VCARD_EMUL_INIT_ALREADY_INITED and changes nothing). So:
 *  - at most one emulated card exists at a time in a process; a second
 *    one gets a clear error (EBUSY) instead of sharing readers and events;
 *  - after that card is destroyed, a new one with exactly the same
 *    options (same backend, db and nicknames) reuses the initialised
 *    libcacard (QEMU does the same on device_del/device_add); other
 *    options get an error asking for a restart;
 *  - a failed vcard_emul_init() cannot be retried in the process.
 * This is the only module-global state in vcard-glue, and it exists
 * because libcacard's does. */
#ifndef VCG_CACARD_H
#define VCG_CACARD_H

#include <stdbool.h>
#include <stddef.h>

#include "vcg_emul_config.h"
#include "vcg_emul_tokens.h"

/* Claim libcacard for one card with cfg: check the db (vcg_nssdb.h) and
 * call vcard_emul_init() the first time, or check cfg matches the first
 * time's options. For backend=nss-emulated the first time also surveys
 * the db's tokens into *v (caller-owned; level 0 when libcacard was
 * already initialised). Returns 0, or -errno with one line in why. */
int vcg_cacard_acquire(const struct vcg_emul_config *cfg,
		       struct vcg_token_verdict *v, char *why, size_t whylen);

/* nss-emulated: hold (true) or let go (false) NSS's module list lock as
 * a writer, around every libcacard call of the worker, so libcacard's
 * slot-event thread is never inside a slot scan meanwhile.
 *
 * The deadlock it prevents (NSS 3.87; reproduced by
 * tests/unit/test_vcg_emul_softhsm.c, gdb on the hung child: the worker
 * in PR_WaitCondVar under PK11_Authenticate, the poller in
 * PR_EnterMonitor under a hash-table walk under
 * SECMOD_WaitForAnyTokenEvent; Debian has no NSS debug symbols at hand,
 * so the frames between are read from NSS's source): SoftHSM2
 * has no C_WaitForSlotEvent, so SECMOD_WaitForAnyTokenEvent simulates it
 * (secmod_HandleWaitForSlotEvent): every 500 ms it takes the module list
 * read lock and calls PK11_IsPresent on each slot. There
 * nssSlot_IsTokenPresent makes the poller the slot's one "isPresent
 * thread" (the others wait on slot->isPresentCondition) and, when it
 * finds the token's default session gone, calls
 * nssToken_NotifyCertsNotVisible -> nssTrustDomain_RemoveTokenCertsFromCache,
 * which locks each cached certificate's object monitor. Meanwhile the
 * worker, in vcard_emul_login -> PK11_Authenticate -> PK11_DoPassword,
 * refreshes the token's cached certificates after the login
 * (nssTrustDomain_UpdateCachedTokenCerts -> STAN_ForceCERTCertificateUpdate,
 * a certificate's monitor held) and asks nssSlot_IsTokenPresent again:
 * it waits for the isPresent thread, which waits for its certificate
 * monitor. The module list lock is the first lock the scan takes, so
 * the worker holding it as a writer orders the two threads; the scan
 * waits (at most one APDU) and runs between jobs. The module refLock
 * (held by an earlier version) is taken only at the top of each scan,
 * not across it, so a scan already under way could still deadlock. */
void vcg_cacard_hold_pollers(bool hold);

/* The card is gone; libcacard stays initialised for a later acquire. */
void vcg_cacard_release(void);

#endif
