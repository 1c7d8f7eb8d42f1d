/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card behind a ccid-vscclient session: one callback, so the session
 * (vscc_session.h) runs against libcacard (vscc_cacard.c) or a fake card
 * (tests/unit/test_vscclient_session.c). Kept apart from vscc_session.h
 * because libcacard.h and vscard_codec.h cannot be included together
 * (both define VSC_ATR and VSC_APDU). */
#ifndef VSCC_CARD_OPS_H
#define VSCC_CARD_OPS_H

#include <stddef.h>
#include <stdint.h>

struct vscc_card_ops {
	/* Send apdu (len bytes, read only) to the card; write the response
	 * into resp (cap bytes, owned by the caller) and its length into
	 * *resp_len. 0 or -errno (any error: the server gets
	 * Error(general)). */
	int (*xfr)(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
		   size_t cap, size_t *resp_len);
};

#endif
