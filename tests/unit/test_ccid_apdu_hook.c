/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's APDU hook (ccid_engine_set_apdu_hook, behind -v's one line
 * per APDU): a start with the whole command APDU and a done with the
 * response or the error, per XfrBlock, with the slot and bSeq; nothing for
 * IccPowerOn. Also cross-built and run under qemu-user. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

struct call {
	unsigned slot;
	uint8_t seq;
	bool done;
	int err;
	uint8_t data[16];
	size_t len;
};
static struct call calls[8];
static unsigned ncalls;
static struct ccid_fake_card card;

static void hook(void *ctx, unsigned slot, uint8_t seq, bool done, int err,
		 const uint8_t *data, size_t len)
{
	struct call *c = &calls[ncalls < 8 ? ncalls : 7];

	CHECK(ctx == &card);
	c->slot = slot;
	c->seq = seq;
	c->done = done;
	c->err = err;
	c->len = len;
	if (data)
		memcpy(c->data, data, len < 16 ? len : 16);
	ncalls++;
}

static struct ccid_engine *powered(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);

	ccid_fake_card_init(&card, eng, 0);
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	ccid_engine_set_apdu_hook(eng, hook, &card);
	ncalls = 0;
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	ccid_fake_drain(eng);
	return eng;
}

static void start_and_done(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
	struct ccid_engine *eng = powered();

	CHECK_EQ(ncalls, 0);   /* IccPowerOn is no APDU */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 7, 0, 0, 0, apdu, sizeof(apdu));
	CHECK_EQ(ncalls, 2);
	CHECK(!calls[0].done && calls[0].seq == 7 && calls[0].slot == 0);
	CHECK_EQ(calls[0].len, sizeof(apdu));
	CHECK_MEM(calls[0].data, apdu, sizeof(apdu));
	CHECK(calls[1].done && calls[1].seq == 7 && calls[1].err == 0);
	CHECK_EQ(calls[1].len, 2);
	CHECK(calls[1].data[0] == 0x90 && calls[1].data[1] == 0x00);
	ccid_engine_free(eng);
}

static void card_error(void)
{
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	struct ccid_engine *eng = powered();

	card.deferred = true;
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 9, 0, 0, 0, apdu, sizeof(apdu));
	CHECK_EQ(ncalls, 1);
	ccid_fake_complete(&card, -ETIMEDOUT, NULL, 0);
	CHECK_EQ(ncalls, 2);
	CHECK(calls[1].done && calls[1].err == -ETIMEDOUT && calls[1].len == 0);
	ccid_engine_free(eng);
}

static void no_hook_no_call(void)
{
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	struct ccid_engine *eng = powered();

	ccid_engine_set_apdu_hook(eng, NULL, NULL);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 9, 0, 0, 0, apdu, sizeof(apdu));
	CHECK_EQ(ncalls, 0);
	CHECK_EQ(ccid_fake_drain(eng), 1);
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(start_and_done);
	RUN(card_error);
	RUN(no_hook_no_call);
	TAP_EXIT();
}
