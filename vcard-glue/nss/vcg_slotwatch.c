/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One NSS slot watched by its name: see vcg_slotwatch.h. */
#include "vcg_slotwatch.h"

#include <stdio.h>
#include <string.h>

#include <pk11pub.h>
#include <secmod.h>

enum vcg_slot_change vcg_slot_change(const struct vcg_slot_look *was,
				     const struct vcg_slot_look *now)
{
	if (was->present && !now->present)
		return VCG_SLOT_REMOVED;
	if (!was->present && now->present)
		return VCG_SLOT_INSERTED;
	/* The series of an empty slot is stale: compare only present ones. */
	if (was->present && now->present && was->series != now->series)
		return VCG_SLOT_REPLACED;
	return VCG_SLOT_SAME;
}

const char *vcg_slot_change_name(enum vcg_slot_change ch)
{
	switch (ch) {
	case VCG_SLOT_REMOVED:
		return "removed";
	case VCG_SLOT_INSERTED:
		return "inserted";
	case VCG_SLOT_REPLACED:
		return "replaced";
	default:
		return "unchanged";
	}
}

PK11SlotInfo *vcg_slot_named(const char *name)
{
	SECMODListLock *lock = SECMOD_GetDefaultModuleListLock();
	SECMODModule *internal = SECMOD_GetInternalModule();
	PK11SlotInfo *found = NULL;

	if (name == NULL || lock == NULL)
		return NULL;
	SECMOD_GetReadLock(lock);
	for (SECMODModuleList *m = SECMOD_GetDefaultModuleList();
	     m != NULL && found == NULL; m = m->next) {
		if (m->module == NULL || m->module == internal)
			continue;
		for (int i = 0; i < m->module->slotCount && found == NULL;
		     i++) {
			PK11SlotInfo *s = m->module->slots[i];

			if (s != NULL && strcmp(PK11_GetSlotName(s), name) == 0)
				found = PK11_ReferenceSlot(s);
		}
	}
	SECMOD_ReleaseReadLock(lock);
	return found;
}

void vcg_slotwatch_init(struct vcg_slotwatch *w)
{
	memset(w, 0, sizeof(*w));
}

void vcg_slotwatch_stop(struct vcg_slotwatch *w)
{
	if (w->slot != NULL)
		PK11_FreeSlot(w->slot);
	vcg_slotwatch_init(w);
}

static struct vcg_slot_look look_at(PK11SlotInfo *slot)
{
	struct vcg_slot_look l = { .present = PK11_IsPresent(slot) };

	l.series = l.present ? PK11_GetSlotSeries(slot) : 0;
	return l;
}

/* Hold the slot named w->name if one is found and is not the one held
 * (kept when none is found). true: another slot is held now. */
static bool find_again(struct vcg_slotwatch *w)
{
	PK11SlotInfo *s = vcg_slot_named(w->name);

	if (s == NULL || s == w->slot) {
		if (s != NULL)
			PK11_FreeSlot(s);
		return false;
	}
	if (w->slot != NULL)
		PK11_FreeSlot(w->slot);
	w->slot = s;
	return true;
}

enum vcg_slot_change vcg_slotwatch_look(struct vcg_slotwatch *w,
					const char *name,
					struct vcg_slot_look *now)
{
	struct vcg_slot_look l = { false, 0 };
	bool baseline = false, other = false;
	enum vcg_slot_change ch;

	if (name == NULL)
		name = "";
	if (!w->started || strcmp(w->name, name) != 0) {
		vcg_slotwatch_stop(w);
		w->started = true;
		/* A name over the limit is no slot's: never found. */
		if (strlen(name) <= VCG_SLOT_NAME_MAX)
			snprintf(w->name, sizeof(w->name), "%s", name);
		baseline = true;
	}
	if (w->name[0] != '\0') {
		bool held = w->slot != NULL;

		if (held)
			l = look_at(w->slot);
		if (!l.present && find_again(w)) {
			other = held; /* not the first slot found */
			l = look_at(w->slot);
		}
	}
	ch = baseline ? VCG_SLOT_SAME : vcg_slot_change(&w->seen, &l);
	/* Two slots' series are not comparable: a token in another slot
	 * than the one held at the last look is another token. */
	if (other && !baseline && ch == VCG_SLOT_SAME && l.present)
		ch = VCG_SLOT_REPLACED;
	w->seen = l;
	if (now != NULL)
		*now = l;
	return ch;
}
