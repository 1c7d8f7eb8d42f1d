/* Card backends as the daemon sees them: one object per slot, created
 * from a card SPEC in QEMU's property syntax ("driver,key=value,...";
 * ",," is a literal comma), e.g.
 *   test[,delay_ms=N][,absent]
 *   emulated,backend=certificates,db=sql:DIR,cert1=N,cert2=N,cert3=N
 *   emulated,backend=nss-emulated[,db=sql:DIR]
 *
 * The card is attached to the engine's slot by vcg_card_create(). Work that
 * happens off the event loop (libcacard threads, timers) is handed back
 * through vcg_card_fd(): when it is readable the loop calls
 * vcg_card_dispatch(), which completes operations on the loop thread with
 * ccid_engine_card_done() / ccid_engine_card_presence(). */
#ifndef VCG_CARD_H
#define VCG_CARD_H

#include <stdbool.h>
#include <stddef.h>

#include "ccid_engine.h"

struct vcg_card;

/* Parse and validate `spec`, build the card and attach it to `slot` of
 * `eng`. On error returns NULL and writes one line saying what is wrong
 * and how to fix it into err (errlen bytes, NUL-terminated). Nothing is
 * left attached on error. */
struct vcg_card *vcg_card_create(const char *spec, struct ccid_engine *eng,
				 unsigned slot, char *err, size_t errlen);

/* Detach from the engine and free everything (joins threads). */
void vcg_card_destroy(struct vcg_card *card);

/* An fd to poll for readability, or -1 if the card never needs it. Owned
 * by the card. */
int vcg_card_fd(const struct vcg_card *card);

/* Run what the card's threads/timers finished, on the calling (loop)
 * thread. Never blocks. */
void vcg_card_dispatch(struct vcg_card *card);

/* Runtime insert / remove (the control socket's insert/remove). */
int vcg_card_set_present(struct vcg_card *card, bool present);

/* A short human description for logs and status ("test", "emulated
 * certificates sql:/path"). Owned by the card. */
const char *vcg_card_describe(const struct vcg_card *card);

#endif
