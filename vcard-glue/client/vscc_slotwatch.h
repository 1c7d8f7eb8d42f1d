/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's own watch on a hardware card's NSS slot: what changed
 * between two looks, and what the session must do about it.
 *
 * Why: libcacard 2.8 learns of card removal and insertion from one thread
 * per PKCS#11 module blocked in SECMOD_WaitForAnyTokenEvent() (its
 * vcard_emul_event_thread()), and that thread returns for good at the
 * first error other than "no event". OpenSC's C_WaitForSlotEvent() gives
 * one (CKR_GENERAL_ERROR from SC_ERROR_EVENT_TIMEOUT) whenever pcscd
 * reports a reader plugged in that OpenSC does not take, e.g. the reader
 * its ignored_readers keeps out: from then on libcacard never sees the
 * card leave, the server keeps a card whose token is gone, and the PC's
 * next login fails. So the client looks at its reader's slot itself
 * (PK11_IsPresent, PK11_GetSlotSeries) every VSCC_SLOT_POLL_MS and
 * removes or inserts libcacard's card when the slot changed; whatever
 * libcacard's thread still does, a second removal or insertion is a
 * no-op (vcard_emul_force_card_*() refuse it).
 *
 * Pure: no NSS here (vscc_cacard.c makes the looks), so the rule is
 * unit-tested (tests/unit/test_vscclient_slotwatch.c). */
#ifndef VSCC_SLOTWATCH_H
#define VSCC_SLOTWATCH_H

#include <stdbool.h>

/* NSS reads the slot's state again after ~1 s (nssSlot_IsTokenPresent's
 * delay), OpenSC after 1 s (C_GetSlotInfo): a look every 0.5 s sees a
 * change within ~1.5 s and costs nothing in between. */
#define VSCC_SLOT_POLL_MS 500

/* One look at the slot. series: PK11_GetSlotSeries(), which NSS raises
 * each time it finds a token newly in the slot; meaningful only while
 * present. */
struct vscc_slot_look {
	bool present;
	int series;
};

enum vscc_slot_change {
	VSCC_SLOT_SAME,     /* nothing to do */
	VSCC_SLOT_REMOVED,  /* remove the card */
	VSCC_SLOT_INSERTED, /* insert the card (mirror the new token) */
	VSCC_SLOT_REPLACED, /* another token between two looks: remove, insert */
};

/* What happened between the look `was` and the look `now`. */
enum vscc_slot_change vscc_slot_change(const struct vscc_slot_look *was,
				       const struct vscc_slot_look *now);

/* Its name for a log line ("removed", ...). */
const char *vscc_slot_change_name(enum vscc_slot_change ch);

#endif
