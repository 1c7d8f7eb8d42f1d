/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card interface: what a slot's card must do for the engine.
 *
 * A card is an ops table plus an opaque context. Operations are
 * asynchronous: power_on and transmit start work and return 0; the card
 * reports the result later with ccid_engine_card_done() (ccid_engine.h),
 * on the thread that drives the engine. A card may complete synchronously,
 * from inside power_on/transmit; the engine allows that.
 *
 * Each started operation carries a tag chosen by the engine. A completion
 * whose tag is not the slot's pending one (the host aborted, the card was
 * removed, the USB host went away) is dropped by the engine, so a card never
 * has to know about aborts. */
#ifndef CCID_CARD_H
#define CCID_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ccid_card_ops {
	/* Start a cold/warm reset of the card. Completion carries the ATR.
	 * Returns 0 (started), -ENOMEDIUM (no card), or another -errno. */
	int (*power_on)(void *ctx, uint32_t tag);

	/* Deactivate the card. Synchronous; never fails. Any pending
	 * operation is implicitly cancelled. */
	void (*power_off)(void *ctx);

	/* Start one APDU exchange. `apdu` is owned by the engine and stays
	 * valid until the completion for `tag` or until cancel(tag) returns.
	 * Completion carries the response APDU (data + SW1 SW2).
	 * Returns 0, -ENOMEDIUM, or another -errno. */
	int (*transmit)(void *ctx, uint32_t tag, const uint8_t *apdu, size_t len);

	/* Optional (may be NULL): best-effort cancel of the operation `tag`.
	 * After it returns the card must not read the apdu buffer any more.
	 * A completion may still arrive; the engine ignores it. */
	void (*cancel)(void *ctx, uint32_t tag);

	/* Is a card in the slot? (bmICCStatus present vs absent) */
	bool (*present)(void *ctx);
};

#endif
