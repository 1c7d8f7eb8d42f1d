/* The built-in test card: deterministic answers to a few ISO 7816-4
 * commands, for unit tests, the VM bed and `--card test`.
 *
 * Commands (CLA INS): see ccid_testcard.c for the table. */
#ifndef CCID_TESTCARD_H
#define CCID_TESTCARD_H

#include <stdbool.h>
#include "ccid_engine.h"

struct ccid_testcard;

extern const struct ccid_card_ops ccid_testcard_ops;

/* A present test card for (eng, slot); attach it with
 * ccid_engine_attach_card(eng, slot, &ccid_testcard_ops, tc). */
struct ccid_testcard *ccid_testcard_new(struct ccid_engine *eng,
					unsigned slot);
void ccid_testcard_free(struct ccid_testcard *tc);

/* Deferred mode: power_on/transmit hold their answer until
 * ccid_testcard_complete() (a slow card; the transport runs a timer). */
void ccid_testcard_set_deferred(struct ccid_testcard *tc, bool deferred);
bool ccid_testcard_pending(const struct ccid_testcard *tc);
void ccid_testcard_complete(struct ccid_testcard *tc);

/* Insert / remove the card; tells the engine. */
void ccid_testcard_set_present(struct ccid_testcard *tc, bool present);

#endif
