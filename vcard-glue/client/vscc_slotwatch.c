/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's rule for a hardware card's slot: see vscc_slotwatch.h. */
#include "vscc_slotwatch.h"

enum vscc_slot_change vscc_slot_change(const struct vscc_slot_look *was,
				       const struct vscc_slot_look *now)
{
	if (was->present && !now->present)
		return VSCC_SLOT_REMOVED;
	if (!was->present && now->present)
		return VSCC_SLOT_INSERTED;
	/* The series of an empty slot is stale: compare only present ones. */
	if (was->present && now->present && was->series != now->series)
		return VSCC_SLOT_REPLACED;
	return VSCC_SLOT_SAME;
}

const char *vscc_slot_change_name(enum vscc_slot_change ch)
{
	switch (ch) {
	case VSCC_SLOT_REMOVED:
		return "removed";
	case VSCC_SLOT_INSERTED:
		return "inserted";
	case VSCC_SLOT_REPLACED:
		return "replaced";
	default:
		return "unchanged";
	}
}
