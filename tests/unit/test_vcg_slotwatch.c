/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NSS slot watch the daemon and ccid-vscclient share (vcg_slotwatch.c):
 * each pair of looks gives the one action the session must take, and a
 * stale series of an empty slot never gives one; the watch itself, on an
 * NSS without a db: a reader no slot is named after looks empty and is
 * never found, NSS's internal slots are no reader's, the first look at
 * a name is the baseline. (A module's slot with a token coming and going
 * is test_vcg_emul_softhsm's, whose first look must change nothing,
 * and tests/vm/host/reader.sh's and lend.sh's.) */
#include <nss.h>
#include <pk11pub.h>
#include <string.h>

#include "tap.h"
#include "vcg_slotwatch.h"

struct pair {
	const char *name;
	struct vcg_slot_look was, now;
	enum vcg_slot_change want;
};

static const struct pair pairs[] = {
	{ "present, same series: nothing",
	  { true, 3 },
	  { true, 3 },
	  VCG_SLOT_SAME },
	{ "empty, still empty: nothing",
	  { false, 0 },
	  { false, 0 },
	  VCG_SLOT_SAME },
	{ "empty, stale series differs: nothing",
	  { false, 3 },
	  { false, 7 },
	  VCG_SLOT_SAME },
	{ "present, then empty: removed",
	  { true, 3 },
	  { false, 0 },
	  VCG_SLOT_REMOVED },
	{ "present, then empty with the old series: removed",
	  { true, 3 },
	  { false, 3 },
	  VCG_SLOT_REMOVED },
	{ "empty, then present: inserted",
	  { false, 0 },
	  { true, 4 },
	  VCG_SLOT_INSERTED },
	{ "empty, then present with the old series: inserted",
	  { false, 3 },
	  { true, 3 },
	  VCG_SLOT_INSERTED },
	{ "present, new series (swapped between looks): replaced",
	  { true, 3 },
	  { true, 4 },
	  VCG_SLOT_REPLACED },
};

static void one_pair(const void *arg)
{
	const struct pair *p = arg;

	CHECK_EQ(vcg_slot_change(&p->was, &p->now), p->want);
}

/* The names the log lines use, and one for a value out of the enum. */
static void names(void)
{
	CHECK(strcmp(vcg_slot_change_name(VCG_SLOT_REMOVED), "removed") == 0);
	CHECK(strcmp(vcg_slot_change_name(VCG_SLOT_INSERTED), "inserted") == 0);
	CHECK(strcmp(vcg_slot_change_name(VCG_SLOT_REPLACED), "replaced") == 0);
	CHECK(strcmp(vcg_slot_change_name(VCG_SLOT_SAME), "unchanged") == 0);
	CHECK(strcmp(vcg_slot_change_name((enum vcg_slot_change)99),
		     "unchanged") == 0);
}

/* A name no slot has: found never, empty at every look, no change. */
static void no_such_slot(void)
{
	struct vcg_slotwatch w;
	struct vcg_slot_look now = { true, 9 };

	vcg_slotwatch_init(&w);
	CHECK_EQ(vcg_slotwatch_look(&w, "no such reader", &now), VCG_SLOT_SAME);
	CHECK(!vcg_slotwatch_found(&w));
	CHECK(!now.present && now.series == 0);
	CHECK_EQ(vcg_slotwatch_look(&w, "no such reader", &now), VCG_SLOT_SAME);
	CHECK(!vcg_slotwatch_found(&w));
	/* NULL and over-long names: no slot's, no crash */
	CHECK_EQ(vcg_slotwatch_look(&w, NULL, &now), VCG_SLOT_SAME);
	CHECK_EQ(
		vcg_slotwatch_look(
			&w,
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
			&now),
		VCG_SLOT_SAME);
	CHECK(!vcg_slotwatch_found(&w) && !now.present);
	vcg_slotwatch_stop(&w);
	CHECK(!w.started && w.slot == NULL);
}

/* libcacard never names a hardware reader after NSS's own slots: the
 * internal slot is there by that name, and not found. */
static void internal_slot_is_no_reader(void)
{
	PK11SlotInfo *internal = PK11_GetInternalSlot();
	struct vcg_slotwatch w;

	CHECK(internal != NULL);
	if (internal == NULL)
		return;
	CHECK(PK11_GetSlotName(internal)[0] != '\0');
	CHECK(vcg_slot_named(PK11_GetSlotName(internal)) == NULL);
	vcg_slotwatch_init(&w);
	(void)vcg_slotwatch_look(&w, PK11_GetSlotName(internal), NULL);
	CHECK(!vcg_slotwatch_found(&w));
	vcg_slotwatch_stop(&w);
	PK11_FreeSlot(internal);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		tap_run_case(pairs[i].name, one_pair, &pairs[i]);
	RUN(names);
	if (NSS_NoDB_Init(NULL) != SECSuccess) {
		printf("not ok - NSS_NoDB_Init\n");
		return 1;
	}
	RUN(no_such_slot);
	RUN(internal_slot_is_no_reader);
	NSS_Shutdown();
	TAP_EXIT();
}
