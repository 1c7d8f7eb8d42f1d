/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The built-in test card: deterministic answers to a few ISO 7816-4
 * commands, for unit tests, the VM bed and `--card test`.
 *
 * Commands (CLA INS): see vcg_testcard.c for the full table. In short:
 *   ATR 3B 9A 11 80 31 FE 45 "ccidgadget" 98 (T=0 and T=1, TCK valid)
 *   00 A4 04 00 Lc AID        SELECT: 90 00 for F0 43 43 49 44 54 43 01,
 *                             else 6A 82
 *   00 CA 01 00 Le            GET DATA: serial "CCID" 00 00 00 01, 90 00
 *   80 EE 00 00 Lc data [Le]  ECHO (short or extended Lc): data, 90 00
 *   80 EF P1 P2 [Le]          GENERATE Ne (or P1P2) bytes 00 01 02 ..., 90 00
 *   other INS 6D 00, other CLA 6E 00, malformed 67 00 */
#ifndef VCG_TESTCARD_H
#define VCG_TESTCARD_H

#include <stdbool.h>
#include "ccid_engine.h"

struct vcg_testcard;

extern const struct ccid_card_ops vcg_testcard_ops;

/* A present test card for (eng, slot); attach it with
 * ccid_engine_attach_card(eng, slot, &vcg_testcard_ops, tc). */
struct vcg_testcard *vcg_testcard_new(struct ccid_engine *eng,
					unsigned slot);
void vcg_testcard_free(struct vcg_testcard *tc);

/* Deferred mode: power_on/transmit hold their answer until
 * vcg_testcard_complete() (a slow card; the transport runs a timer). */
void vcg_testcard_set_deferred(struct vcg_testcard *tc, bool deferred);
bool vcg_testcard_pending(const struct vcg_testcard *tc);
void vcg_testcard_complete(struct vcg_testcard *tc);

/* Insert / remove the card; tells the engine. */
void vcg_testcard_set_present(struct vcg_testcard *tc, bool present);

#endif
