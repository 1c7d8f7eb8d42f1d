/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's libcacard side: vcard_emul_options() +
 * vcard_emul_init(), one thread in vevent_wait_next_vevent() that hands
 * every event to the main loop through a pipe (so every other libcacard
 * call, power-on and APDU transfers included, is made by the main thread),
 * and the card callbacks the session uses.
 *
 * One reader is passed to the server: the first one libcacard announces
 * (the soft card's "Test", or the first hardware reader); events of
 * other readers are logged and ignored. libcacard is process-wide, so one
 * vscc_cacard per process. */
#ifndef VSCC_CACARD_H
#define VSCC_CACARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vcg_slotwatch.h"

/* Not vscc_session.h: libcacard.h declares VSC_ATR and VSC_APDU too
 * (vscard_common.h), clashing with vscard_codec.h's enum. */
struct VReaderStruct;
struct vscc_card_ops;

#define VSCC_ATR_MAX 33   /* VSC_MAX_ATR */

enum vscc_event_kind {
	VSCC_EV_NONE,           /* nothing for the session (another reader) */
	VSCC_EV_READER_ADD,     /* name */
	VSCC_EV_READER_REMOVE,
	VSCC_EV_CARD_INSERT,    /* atr, atr_len */
	VSCC_EV_CARD_REMOVE,
};

struct vscc_event {
	enum vscc_event_kind kind;
	char name[128];
	uint8_t atr[VSCC_ATR_MAX];
	size_t atr_len;
};

struct vscc_cacard {
	int ev_rd, ev_wr;                 /* the pipe from the vevent thread */
	pthread_t thread;
	bool thread_started;
	struct VReaderStruct *reader;     /* ours, referenced; NULL until announced */
	/* Hardware mode: the watch on our reader's NSS slot (a module's,
	 * not NSS's internal one; vcg_slotwatch.h); none found for a soft
	 * card: nothing to watch. */
	struct vcg_slotwatch watch;
};

/* The card callbacks for vscc_session (ctx: the struct vscc_cacard). */
extern const struct vscc_card_ops vscc_cacard_ops;

/* Start libcacard with `options` ("" = its defaults). Returns 0 or -errno
 * with one line in why. */
int vscc_cacard_start(struct vscc_cacard *c, const char *options, char *why,
		      size_t whylen);

/* The fd that is readable when events wait. */
static inline int vscc_cacard_event_fd(const struct vscc_cacard *c)
{
	return c->ev_rd;
}

/* Take one event (the fd was readable) into *ev. 0 or -errno. */
int vscc_cacard_next_event(struct vscc_cacard *c, struct vscc_event *ev);

/* The stdin commands' actions on our reader: insert/remove the card.
 * Print one line to out saying what happened. */
void vscc_cacard_insert(struct vscc_cacard *c, FILE *out);
void vscc_cacard_remove(struct vscc_cacard *c, FILE *out);
/* Every reader libcacard has, one a line. */
void vscc_cacard_list(struct vscc_cacard *c, FILE *out);

/* Hardware mode: look at our reader's slot and remove, insert or replace
 * libcacard's card when the slot changed since the last look (one line
 * on stderr then; libcacard's own slot-event thread may have stopped,
 * vcg_slotwatch.h says why). Call every VCG_SLOT_POLL_MS while
 * vscc_cacard_watching(). */
void vscc_cacard_watch(struct vscc_cacard *c);

static inline bool vscc_cacard_watching(const struct vscc_cacard *c)
{
	return vcg_slotwatch_found(&c->watch) && c->reader != NULL;
}

void vscc_cacard_stop(struct vscc_cacard *c);

#endif
