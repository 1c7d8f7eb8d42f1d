/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A clean stop takes the card out first (gadget_cardout.c).
 *
 * On the first SIGTERM/SIGINT, with a host attached, configured and not
 * suspended and a card in some slot, every slot with a card is reported
 * absent to the host exactly as `ctl remove N` reports it (the engine's
 * ccid_engine_card_presence: RDR_to_PC_NotifySlotChange, CCID 1.1 6.3.1,
 * and "no ICC present", bmICCStatus 2 of 6.2.6, from then on), and the
 * loop keeps serving until the host has looked at each such slot, or for
 * GADGET_CARDOUT_WAIT_MS at most; then the usual shutdown runs. Why:
 * pcscd 1.9.9 can keep a reader for ever that is unplugged with a card
 * in (tests/vm/README.md, "pcscd never drops the reader"); an empty
 * reader is safe. The card objects are not touched (their state, PIN
 * counters and keys stay).
 *
 * "Looked" means: a PC_to_RDR_GetSlotStatus (6.1.3) for the slot that
 * arrived on bulk-OUT after the report was answered, same bSlot and bSeq,
 * with bmICCStatus 2, twice, or once and GADGET_CARDOUT_SETTLE_MS
 * passed. A SlotStatus answering anything else (IccPowerOff: pcscd
 * powers an idle card down without looking at the status) does not
 * count.
 *
 * Threading: every function with the loop's lock held (the loop thread,
 * or the bulk-OUT transfer thread for the two hooks). */
#ifndef GADGET_CARDOUT_H
#define GADGET_CARDOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_engine.h"

#define GADGET_CARDOUT_WAIT_MS 500

/* pcscd 1.9.9 may ask twice: its status thread powers an idle card down
 * after a presence check (a GetSlotStatus whose "absent" it does not log:
 * the power-down just fails), then polls (a second GetSlotStatus, which
 * logs "Card Removed From" and is the one that matters); a card already
 * powered down gets the poll alone. Seen in tests/vm/suites/import.sh: a
 * stop after the first answer unplugged the reader before the poll. So a
 * slot is done at its second "absent" answer, or this long after its
 * first. */
#define GADGET_CARDOUT_SETTLE_MS 100

enum gadget_cardout_phase {
	CARDOUT_IDLE,    /* no stop asked yet */
	CARDOUT_WAITING, /* cards reported out; the host has not looked */
	CARDOUT_DONE,    /* the wait is over (or never began) */
};

/* Part of struct gadget_loop (gadget_int.h); zeroed storage is IDLE. */
struct gadget_cardout {
	enum gadget_cardout_phase phase;
	uint8_t reported;                /* slots reported out, bit per slot */
	uint8_t seen;                    /* of those, the host looked once */
	uint8_t seen_twice;              /* ... and twice */
	uint64_t seen_ms;                /* when `seen` became all of them */
	uint8_t asked;                   /* a GetSlotStatus since the report */
	uint8_t ask_seq[CCID_MAX_SLOTS]; /* its bSeq, per slot in `asked` */
	uint64_t start_ms;               /* CLOCK_MONOTONIC at the report */
	/* eventfd, owned, valid past IDLE (-1: none): written when the
	 * host has looked, so that the transfer thread's hook wakes the
	 * loop */
	int wake_fd;
};

struct gadget_loop;

/* SIGTERM/SIGINT: the first sets l->stop and begins the wait (or decides
 * there is none), the second ends the wait at once. Returns true when a
 * wait began: the caller watches wake_fd (readable: call
 * gadget_cardout_check). */
bool gadget_cardout_signal(struct gadget_loop *l);

/* Is the loop to keep serving the host before it stops? */
bool gadget_cardout_waiting(const struct gadget_loop *l);

/* For epoll_wait: ms until the bound, -1 when not waiting. */
int gadget_cardout_timeout_ms(const struct gadget_loop *l);

/* After each pass of the loop: end the wait if the host looked, went
 * away or suspended, or the bound passed (one log line says which). */
void gadget_cardout_check(struct gadget_loop *l);

/* The hooks (gadget_xfer.c): a bulk-OUT read that starts a message (buf,
 * len: what came, the caller's), and a bulk-IN message the host took.
 * Nothing unless waiting. */
void gadget_cardout_command(struct gadget_loop *l, const uint8_t *buf,
			    size_t len);
void gadget_cardout_answer(struct gadget_loop *l, const uint8_t *buf,
			   size_t len);

/* Close wake_fd, if a wait opened one (at loop close; zeroed storage
 * that never waited is fine). */
void gadget_cardout_close(struct gadget_cardout *c);

#endif
