/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's watch on a hardware card's slot (vscc_slotwatch.c):
 * each pair of looks gives the one action the session must take, and a
 * stale series of an empty slot never gives one. */
#include "tap.h"
#include "vscc_slotwatch.h"

struct pair {
	const char *name;
	struct vscc_slot_look was, now;
	enum vscc_slot_change want;
};

static const struct pair pairs[] = {
	{ "present, same series: nothing",
	  { true, 3 },
	  { true, 3 },
	  VSCC_SLOT_SAME },
	{ "empty, still empty: nothing",
	  { false, 0 },
	  { false, 0 },
	  VSCC_SLOT_SAME },
	{ "empty, stale series differs: nothing",
	  { false, 3 },
	  { false, 7 },
	  VSCC_SLOT_SAME },
	{ "present, then empty: removed",
	  { true, 3 },
	  { false, 0 },
	  VSCC_SLOT_REMOVED },
	{ "present, then empty with the old series: removed",
	  { true, 3 },
	  { false, 3 },
	  VSCC_SLOT_REMOVED },
	{ "empty, then present: inserted",
	  { false, 0 },
	  { true, 4 },
	  VSCC_SLOT_INSERTED },
	{ "empty, then present with the old series: inserted",
	  { false, 3 },
	  { true, 3 },
	  VSCC_SLOT_INSERTED },
	{ "present, new series (swapped between looks): replaced",
	  { true, 3 },
	  { true, 4 },
	  VSCC_SLOT_REPLACED },
};

static void one_pair(const void *arg)
{
	const struct pair *p = arg;

	CHECK_EQ(vscc_slot_change(&p->was, &p->now), p->want);
}

/* The names the log lines use, and one for a value out of the enum. */
static void names(void)
{
	CHECK(strcmp(vscc_slot_change_name(VSCC_SLOT_REMOVED), "removed") == 0);
	CHECK(strcmp(vscc_slot_change_name(VSCC_SLOT_INSERTED), "inserted") ==
	      0);
	CHECK(strcmp(vscc_slot_change_name(VSCC_SLOT_REPLACED), "replaced") ==
	      0);
	CHECK(strcmp(vscc_slot_change_name(VSCC_SLOT_SAME), "unchanged") == 0);
	CHECK(strcmp(vscc_slot_change_name((enum vscc_slot_change)99),
		     "unchanged") == 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		tap_run_case(pairs[i].name, one_pair, &pairs[i]);
	RUN(names);
	TAP_EXIT();
}
