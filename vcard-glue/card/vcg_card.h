/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Card backends as the daemon sees them: one object per slot, created
 * from a card SPEC in QEMU's property syntax ("driver,key=value,...";
 * ",," is a literal comma), e.g.
 *   test[,delay_ms=N][,absent]
 *   emulated,backend=certificates,db=sql:DIR,cert1=N,cert2=N,cert3=N
 *   emulated,backend=nss-emulated[,db=sql:DIR]
 *   passthru,listen=[HOST:]PORT|unix:PATH[,attach=..][,timeout=S][,tls-creds=DIR]
 * (syntax: vcg_spec.h; the test driver: vcg_test.c; the emulated driver's
 * properties and defaults: vcg_emul_config.h; the passthru driver's:
 * vcg_pt_config.h).
 *
 * The card is attached to the engine's slot by vcg_card_create(). Work that
 * happens off the event loop (libcacard threads, timers) is handed back
 * through vcg_card_fd(): when it is readable the loop calls
 * vcg_card_dispatch(), which completes operations on the loop thread with
 * ccid_engine_card_done() / ccid_engine_card_presence().
 *
 * Threading: call every function from the loop thread (the one driving
 * the engine). The emulated driver runs two threads of its own and never
 * calls the engine from them.
 *
 * The emulated driver: libcacard initialises once per process, so at most
 * one emulated card exists at a time (a second create fails: "only one
 * emulated card per process"); after destroy, a card with exactly the same
 * backend, db and certificates can be created again (libcacard is reused,
 * with the card state it had), other options need a new process. */
#ifndef VCG_CARD_H
#define VCG_CARD_H

#include <stdbool.h>
#include <stddef.h>

#include "ccid_engine.h"

struct vcg_card;

/* Parse and validate `spec`, build the card and attach it to `slot` of
 * `eng`. On error returns NULL, writes one line saying what is wrong and
 * how to fix it into err (errlen bytes, NUL-terminated) and, unless rc is
 * NULL, the kind of error into *rc (0 on success):
 *   -EINVAL  the SPEC is wrong; err quotes it: "card spec '...': why"
 *   -ENOMEM  out of memory
 *   other    the SPEC is well-formed but what it names cannot be had:
 *            the passthru listening socket (-EADDRINUSE: another program
 *            has the port, -EADDRNOTAVAIL: the host does not resolve,
 *            -EEXIST, -EACCES, ...); err names the address, not the SPEC.
 * Nothing is left attached on error. */
struct vcg_card *vcg_card_create(const char *spec, struct ccid_engine *eng,
				 unsigned slot, int *rc, char *err,
				 size_t errlen);

/* Detach from the engine and free everything (joins threads). NULL is a
 * no-op. */
void vcg_card_destroy(struct vcg_card *card);

/* An fd to poll for readability, or -1 if the card never needs it (the
 * test card without delay_ms). Owned by the card; the same for its whole
 * life. */
int vcg_card_fd(const struct vcg_card *card);

/* Run what the card's threads/timers finished, on the calling (loop)
 * thread. Never blocks; a call with nothing to do is harmless. */
void vcg_card_dispatch(struct vcg_card *card);

/* Runtime insert / remove (the control socket's insert/remove). Asking
 * for the current state changes nothing. Returns 0 or -errno.
 *  test: synchronous; the engine hears of it before this returns.
 *  emulated: asynchronous; 0 means the request is queued, and the engine
 *    hears of the change from a later vcg_card_dispatch() (libcacard's
 *    insert/remove event). A re-inserted card is the same card (same
 *    certificates and keys; the PIN must be verified again). -ENODEV:
 *    there is no reader (nss-emulated without a hardware reader). */
int vcg_card_set_present(struct vcg_card *card, bool present);

/* Does this card want the USB reader plugged in now? True for every
 * card but a passthru card with attach=reader, which wants it only while
 * its client has a reader added (QEMU's usb-ccid attaches on
 * VSC_ReaderAdd). The daemon binds the UDC while any card wants it and
 * asks again after each vcg_card_dispatch(). */
bool vcg_card_wants_usb(const struct vcg_card *card);

/* The directory the card writes state to while it runs (the emulated
 * card's PIV retry counters, management key and provisioned objects:
 * state-dir=), or NULL if it writes none. Owned by the card. The daemon
 * gives it to its --user before dropping root. */
const char *vcg_card_state_dir(const struct vcg_card *card);

/* A short human description for logs and status ("test", "test
 * delay_ms=N", "emulated certificates sql:/path", "emulated nss-emulated
 * sql:/path"). Owned by the card. */
const char *vcg_card_describe(const struct vcg_card *card);

/* Where the card logs its runtime events (one line per event, syslog
 * levels 3..7, called on the loop thread only). Until set, or with
 * fn == NULL, warnings and errors go to stderr as "vcg: LINE" (notices
 * and below are dropped). Errors of vcg_card_create() are returned in its
 * err buffer, never logged. The emulated driver's warnings found at
 * create time (private keys readable by others, certificates served by
 * libcacard alone) are not printed by vcg_card_create(): they are queued
 * and logged once, through the logger set by then (or to stderr as
 * above), at the first vcg_card_dispatch(), or at vcg_card_destroy() if
 * no dispatch happened. So a logger set right after create gets them. */
void vcg_card_set_log(struct vcg_card *card, ccid_log_fn fn, void *ctx);

#endif
