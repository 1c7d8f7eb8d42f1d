/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to the event loop's files (gadget_loop.c, gadget_xfer.c,
 * gadget_events.c, gadget_cardout.c): the loop's state. */
#ifndef GADGET_INT_H
#define GADGET_INT_H

#include <linux/usb/functionfs.h>

#include "ctl.h"
#include "ffs_io.h"
#include "gadget_cardout.h"
#include "gadget_loop.h"

/* The timer ticks every CCID_TICK_MS (ccid_engine.h: the engine's time
 * extensions and abort bound) while the engine is busy or an endpoint is
 * down, and is idle otherwise. An endpoint that failed is retried every
 * GADGET_RETRY_TICKS ticks (1 s): not 10 times a second with a warning
 * each time. */
#define GADGET_RETRY_TICKS (1000 / CCID_TICK_MS)

/* Bulk-IN: a message, then (if msg->zlp) a zero-length packet. */
enum gadget_in_phase {
	IN_IDLE,       /* nothing written */
	IN_DATA,       /* the message is in flight */
	IN_ZLP_DUE,    /* the message went out; the ZLP is still to send */
	IN_ZLP,        /* the ZLP is in flight */
};

struct gadget_loop {
	const struct gadget_loop_params *p;
	struct ccid_engine *eng;
	struct ffs_io io;
	int epfd, timerfd, sigfd;
	bool stop;                       /* a signal came */
	struct gadget_cardout cardout;   /* the card out before the stop */
	int fatal;                       /* -errno that ends the loop */
	struct gadget_usb_state usb;
	uint16_t out_mps, in_mps;
	bool ep_down[FFS_EP_COUNT];      /* failed: retry on ENABLE or tick */
	enum gadget_in_phase in_phase;
	bool timer_armed;
	unsigned retry_ticks;            /* ticks since endpoints were retried */
	bool usb_wanted;                 /* gadget_cards_want_usb() last time */
	/* The transfer thread's blocking write of an answer (p->sync_write,
	 * gadget_xfer.c): */
	bool in_sync_next;    /* the read just handled was answered at once */
	bool in_resubmit;     /* bulk-IN resends an interrupted write: the
	                          host's URB is the same (--pcap) */
	bool sync_timer;      /* keep the timer ticking: a blocking write
	                          was made since the last idle tick */
	unsigned sync_writes; /* blocking writes started */
	unsigned sync_seen;   /* sync_writes at the last tick */
	struct gadget_ctl_conn conns[GADGET_CTL_CLIENTS];
	/* Held by the loop thread except in epoll_wait, and by the bulk-OUT
	 * transfer thread (p->out_thread) while it handles a read: all of
	 * the above is the loop's, whichever thread holds the lock. */
	pthread_mutex_t lock;
	struct ffs_out_thread out_thread;
};

/* gadget_xfer.c: transfers on ep1..ep3 and the timer. */
void gadget_xfer_kick(struct gadget_loop *l);
void gadget_xfer_done(void *ctx, enum ffs_ep_index ep, long res);
void gadget_xfer_tick(struct gadget_loop *l);

/* gadget_events.c: FunctionFS ep0 events. */
void gadget_event(struct gadget_loop *l,
		  const struct usb_functionfs_event *ev);
void gadget_host_gone(struct gadget_loop *l);

#endif
