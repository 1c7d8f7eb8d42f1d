/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A clean stop takes the card out first: see gadget_cardout.h. */
#include "gadget_cardout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ccid_proto.h"
#include "ccid_wire.h"
#include "gadget_int.h"
#include "log.h"
#include "mono_ms.h"

static void end(struct gadget_loop *l, const char *how)
{
	struct gadget_cardout *c = &l->cardout;

	c->phase = CARDOUT_DONE;
	gadget_log(LOG_INFO, "loop", "stop: %s", how);
}

/* Report every slot with a card in as absent, as `ctl remove` does at the
 * engine (ccid_engine_card_presence; the card objects are not asked).
 * Returns the slots reported, a bit each. */
static uint8_t report_cards_out(struct gadget_loop *l)
{
	struct ccid_slot_stats st;
	uint8_t out = 0;
	unsigned i;

	for (i = 0; i < l->p->nslots && i < CCID_MAX_SLOTS; i++) {
		if (ccid_engine_slot_stats(l->eng, i, &st) < 0 ||
		    st.icc == CCID_ICC_ABSENT)
			continue;
		ccid_engine_card_presence(l->eng, i, false);
		out |= (uint8_t)(1u << i);
	}
	return out;
}

static bool host_here(const struct gadget_loop *l)
{
	return l->usb.enabled && !l->usb.suspended;
}

bool gadget_cardout_signal(struct gadget_loop *l)
{
	struct gadget_cardout *c = &l->cardout;

	if (l->stop) {
		if (c->phase == CARDOUT_WAITING)
			end(l, "a second signal, unbinding at once");
		return false;
	}
	l->stop = true;
	c->wake_fd = -1;
	if (!host_here(l)) {
		end(l, "no host, unbinding at once");
		return false;
	}
	c->reported = report_cards_out(l);
	if (!c->reported) {
		end(l, "no card in, unbinding at once");
		return false;
	}
	c->seen = c->seen_twice = c->asked = 0;
	c->start_ms = mono_ms();
	c->phase = CARDOUT_WAITING;
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake_fd < 0) /* the bound still ends the wait */
		gadget_log(LOG_WARNING, "loop", "stop: eventfd: %s",
			   strerror(errno));
	return c->wake_fd >= 0;
}

bool gadget_cardout_waiting(const struct gadget_loop *l)
{
	return l->cardout.phase == CARDOUT_WAITING;
}

/* ms from `since` until `limit` ms after it (0: passed). */
static int left_ms(uint64_t now, uint64_t since, unsigned limit)
{
	return now - since >= limit ? 0 : (int)(limit - (now - since));
}

int gadget_cardout_timeout_ms(const struct gadget_loop *l)
{
	const struct gadget_cardout *c = &l->cardout;
	uint64_t now = mono_ms();
	int left, settle;

	if (c->phase != CARDOUT_WAITING)
		return -1;
	left = left_ms(now, c->start_ms, GADGET_CARDOUT_WAIT_MS);
	if (c->seen == c->reported) {
		settle = left_ms(now, c->seen_ms, GADGET_CARDOUT_SETTLE_MS);
		if (settle < left)
			left = settle;
	}
	return left;
}

void gadget_cardout_check(struct gadget_loop *l)
{
	struct gadget_cardout *c = &l->cardout;
	uint64_t now, spent, woken;
	char how[80];

	if (c->phase != CARDOUT_WAITING)
		return;
	if (c->wake_fd >= 0 && read(c->wake_fd, &woken, sizeof(woken)) < 0)
		woken = 0; /* not written: nothing to drain */
	now = mono_ms();
	spent = now - c->start_ms;
	if (c->seen_twice == c->reported ||
	    (c->seen == c->reported &&
	     !left_ms(now, c->seen_ms, GADGET_CARDOUT_SETTLE_MS))) {
		snprintf(how, sizeof(how),
			 "the host saw the card(s) out in %llu ms",
			 (unsigned long long)spent);
		end(l, how);
	} else if (!host_here(l)) {
		end(l, "the host went away or suspended, unbinding at once");
	} else if (spent >= GADGET_CARDOUT_WAIT_MS) {
		snprintf(how, sizeof(how), "the host did not ask within %d ms",
			 GADGET_CARDOUT_WAIT_MS);
		end(l, how);
	}
}

void gadget_cardout_command(struct gadget_loop *l, const uint8_t *buf,
			    size_t len)
{
	struct gadget_cardout *c = &l->cardout;
	uint8_t bit;

	if (c->phase != CARDOUT_WAITING || len < CCID_HEADER_LEN ||
	    buf[CCID_OFF_SLOT] >= CCID_MAX_SLOTS)
		return;
	bit = (uint8_t)(1u << buf[CCID_OFF_SLOT]);
	/* Only the slot's latest command counts: another command (an
	 * IccPowerOff) takes a noted GetSlotStatus's place. */
	c->asked &= (uint8_t)~bit;
	if (buf[CCID_OFF_TYPE] != CCID_PC_GET_SLOT_STATUS)
		return;
	c->asked |= bit;
	c->ask_seq[buf[CCID_OFF_SLOT]] = buf[CCID_OFF_SEQ];
}

void gadget_cardout_answer(struct gadget_loop *l, const uint8_t *buf,
			   size_t len)
{
	struct gadget_cardout *c = &l->cardout;
	uint8_t slot, bit;
	uint64_t one = 1;

	if (c->phase != CARDOUT_WAITING || len < CCID_HEADER_LEN ||
	    buf[CCID_OFF_TYPE] != CCID_RDR_SLOT_STATUS ||
	    buf[CCID_OFF_SLOT] >= CCID_MAX_SLOTS)
		return;
	slot = buf[CCID_OFF_SLOT];
	bit = (uint8_t)(1u << slot);
	if (!(c->asked & bit) || c->ask_seq[slot] != buf[CCID_OFF_SEQ])
		return; /* not the answer to a GetSlotStatus noted */
	c->asked &= (uint8_t)~bit;
	if ((buf[CCID_OFF_STATUS] & 0x03) != CCID_ICC_STATUS_ABSENT)
		return;
	bit &= c->reported;
	c->seen_twice |= c->seen & bit;
	if ((c->seen & bit) != bit) {
		c->seen |= bit;
		if (c->seen == c->reported)
			c->seen_ms = mono_ms(); /* the settle time starts */
	}
	/* the loop's wait (timeout) changes: wake it */
	if (c->seen == c->reported && c->wake_fd >= 0 &&
	    write(c->wake_fd, &one, sizeof(one)) < 0)
		gadget_log(LOG_DEBUG, "loop", "stop: eventfd write: %s",
			   strerror(errno));
}

void gadget_cardout_close(struct gadget_cardout *c)
{
	if (c->phase != CARDOUT_IDLE && c->wake_fd >= 0)
		close(c->wake_fd);
	c->wake_fd = -1;
}
