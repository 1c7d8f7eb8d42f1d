/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nss-emulated: the worker's own watch on the mirrored token (vcg_emul.h).
 *
 * Why libcacard's slot-event thread is not enough: vcard_emul_event_thread
 * (libcacard 2.8, vcard_emul_nss.c) loops on SECMOD_WaitForAnyTokenEvent
 * and leaves its loop for good at the first error other than
 * SEC_ERROR_NO_EVENT. OpenSC 0.23's C_WaitForSlotEvent returns
 * CKR_GENERAL_ERROR when pcscd announces a reader OpenSC does not take
 * (one in ignored_readers: the gadget's own reader where board and PC
 * share a pcscd, tests/vm/host/reader.sh; its OpenSC debug log shows
 * "detected hotplug event" then sc_wait_for_event() -1112 and
 * C_WaitForSlotEvent() = CKR_GENERAL_ERROR). After that no removal or
 * insertion of the physical card reached the daemon, and a card put back
 * was never mirrored again (the PC's C_Login failed: libcacard still held
 * the removed card's objects). So the worker asks NSS itself between jobs
 * (VCG_EMUL_WATCH_MS; the look and the rule are vcg_slotwatch.h's, shared
 * with ccid-vscclient) and drives libcacard's own force remove/insert,
 * whose events take the usual path to the PC (NotifySlotChange). What is
 * the daemon's own: a card the control socket removed (`ctl remove`)
 * stays out while the same token stays in, until `ctl insert`. */
#include <stdbool.h>
#include <syslog.h>

#include "vcg_emul.h"

void vcg_emul_watch_token(struct vcg_emul *em, VReader *reader)
{
	enum vcg_slot_change ch;
	const char *name;
	bool card;

	if (reader == NULL)
		return;
	name = vreader_get_name(reader);
	/* The first look is the baseline: the state libcacard started with. */
	ch = vcg_slotwatch_look(&em->slotwatch, name, NULL);
	card = vreader_card_is_present(reader) == VREADER_OK;
	/* A token gone, or another one under a card libcacard still shows,
	 * or a token new to the watch under a card libcacard shows already
	 * (its own thread, while it lives, may mirror a token NSS cannot read
	 * whole yet: the PC then finds no token on that card): take that
	 * card out, and mirror the token again below. */
	if (card && ch != VCG_SLOT_SAME) {
		vcard_emul_force_card_remove(reader);
		card = false;
		vcg_emul_log(em, LOG_INFO,
			     "emulated card slot %u: the token in '%s' is gone (seen by the daemon's watch)",
			     em->slot, name);
	}
	/* A token (back) in the slot: mirror it. No change with no card is
	 * a card the control socket removed: left out until `ctl insert`. */
	if (!card && (ch == VCG_SLOT_INSERTED || ch == VCG_SLOT_REPLACED)) {
		if (vcard_emul_force_card_insert(reader) == VCARD_EMUL_OK)
			vcg_emul_log(em, LOG_INFO,
				     "emulated card slot %u: a token is in '%s' again: mirrored (seen by the daemon's watch)",
				     em->slot, name);
		else
			vcg_emul_log(em, LOG_WARNING,
				     "emulated card slot %u: a token is in '%s' but libcacard could not mirror it",
				     em->slot, name);
	}
}
