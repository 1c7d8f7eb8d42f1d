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

/* nss-emulated: hold (true) or let go (false) NSS's per-module refLock,
 * which NSS's simulated slot-event loop (modules without
 * C_WaitForSlotEvent, e.g. SoftHSM2) takes before each scan, around
 * every libcacard call of the worker. Seen on the build machine: the
 * worker in vcard_emul_login (PK11_Authenticate) and libcacard's polling
 * thread, scanning the slots, deadlock inside NSS (a reader-writer lock
 * against a slot monitor); the PC then sees time extensions for ever.
 * This narrows that to a scan already under way; it does not close it. */
void vcg_cacard_hold_pollers(bool hold);

/* The card is gone; libcacard stays initialised for a later acquire. */
void vcg_cacard_release(void);

#endif
