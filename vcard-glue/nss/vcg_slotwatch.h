/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One NSS slot watched by its name: is a token in it, is it another one
 * than at the last look, so insert, remove or nothing. Used by both
 * watches that do not trust libcacard's slot-event thread: the daemon's
 * nss-emulated card (vcard-glue/emulated/vcg_emul_watch.c) and
 * ccid-vscclient's hardware mode (vcard-glue/client/vscc_cacard.c).
 *
 * Why they watch at all: libcacard 2.8 learns of card removal and
 * insertion from one thread per PKCS#11 module blocked in
 * SECMOD_WaitForAnyTokenEvent() (vcard_emul_event_thread()), and that
 * thread leaves its loop for good at the first error other than "no
 * event". OpenSC 0.23's C_WaitForSlotEvent() returns CKR_GENERAL_ERROR
 * whenever pcscd announces a reader OpenSC does not take (one in
 * ignored_readers: the gadget's own reader where board and PC share a
 * pcscd, tests/vm/host/reader.sh). From then on libcacard never sees the
 * card leave or come back. So each watcher looks at the slot itself
 * (PK11_IsPresent, PK11_GetSlotSeries) every VCG_SLOT_POLL_MS; what it
 * does about a change (libcacard's force remove/insert, the daemon's
 * cards removed with the control socket) is the caller's.
 *
 * Ownership and threads: a struct vcg_slotwatch belongs to one thread
 * (the daemon's card worker; the client's main thread); it holds one
 * reference on the slot (PK11_ReferenceSlot), dropped by
 * vcg_slotwatch_stop(), which must run before NSS is shut down. NSS must
 * be initialised (libcacard's vcard_emul_init()); NSS's calls are
 * thread-safe, the struct is not shared. vcg_slot_change() is pure: the
 * rule is unit-tested (tests/unit/test_vcg_slotwatch.c). */
#ifndef VCG_SLOTWATCH_H
#define VCG_SLOTWATCH_H

#include <stdbool.h>
#include <stddef.h>

/* NSS reads the slot's state again after ~1 s (nssSlot_IsTokenPresent's
 * delay), OpenSC after 1 s (C_GetSlotInfo): a look every 0.5 s sees a
 * change within ~1.5 s and costs nothing in between. */
#define VCG_SLOT_POLL_MS 500

/* CK_SLOT_INFO's slotDescription is 64 bytes (PKCS#11 2.40 section
 * 3.2), PK11_GetSlotName() its trimmed copy. */
#define VCG_SLOT_NAME_MAX 64

struct PK11SlotInfoStr;

/* One look at the slot. series: PK11_GetSlotSeries(), which NSS raises
 * each time it finds a token newly in the slot; meaningful only while
 * present (0 when not). */
struct vcg_slot_look {
	bool present;
	int series;
};

enum vcg_slot_change {
	VCG_SLOT_SAME,     /* nothing changed */
	VCG_SLOT_REMOVED,  /* the token left */
	VCG_SLOT_INSERTED, /* a token came (mirror it) */
	VCG_SLOT_REPLACED, /* another token between two looks: remove, insert */
};

/* What happened between the look `was` and the look `now`. */
enum vcg_slot_change vcg_slot_change(const struct vcg_slot_look *was,
				     const struct vcg_slot_look *now);

/* Its name for a log line ("removed", ...). */
const char *vcg_slot_change_name(enum vcg_slot_change ch);

/* The slot libcacard named a hardware reader after: PK11_GetSlotName()
 * of a slot of a module other than NSS's internal one (libcacard's
 * reader names are slot names, not token names, so PK11_FindSlotByName
 * does not find it). Referenced (PK11_FreeSlot it), or NULL. */
struct PK11SlotInfoStr *vcg_slot_named(const char *name);

struct vcg_slotwatch {
	bool started; /* a look was made at `name` */
	char name[VCG_SLOT_NAME_MAX + 1];
	struct PK11SlotInfoStr *slot; /* referenced; NULL: not found */
	struct vcg_slot_look seen;    /* the last look */
};

/* Zeroed is stopped; so is this. */
void vcg_slotwatch_init(struct vcg_slotwatch *w);

/* Look at the slot named `name` now and say what changed since the last
 * look. The first look, or the first at another name, is the baseline:
 * VCG_SLOT_SAME. The slot is found by name then and kept referenced, so
 * a look at a slot with a token is one PK11_IsPresent() and no walk of
 * NSS's module list. It is looked for again only while none is held or
 * the one held shows no token: a reader unplugged and plugged back can
 * come back as another slot of the same name (OpenSC's hot-plug), and
 * the one held is then gone for good. A slot not found looks empty.
 * `*now` (may be NULL): this look. */
enum vcg_slot_change vcg_slotwatch_look(struct vcg_slotwatch *w,
					const char *name,
					struct vcg_slot_look *now);

/* Is a slot held (was it found)? */
static inline bool vcg_slotwatch_found(const struct vcg_slotwatch *w)
{
	return w->slot != NULL;
}

/* Drop the slot's reference; back to not started. */
void vcg_slotwatch_stop(struct vcg_slotwatch *w);

#endif
