/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's event loop: one epoll set over FunctionFS ep0, the AIO
 * eventfd, a timerfd (time extensions, endpoint retries), a signalfd, each
 * card's fd and the control socket. Runs until SIGINT/SIGTERM.
 *
 * USB lifecycle events (host gone, bus reset, suspend, UDC unbind/rebind,
 * endpoint errors) are normal: the engine is reset, card state is kept,
 * the next host is served. */
#ifndef GADGET_LOOP_H
#define GADGET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ccid_engine.h"
#include "ffs_desc.h"
#include "ffs_ep0.h"
#include "vcg_card.h"

struct pcapw;

/* Plugging the reader in and out: bind / unbind the UDC, through configfs
 * directly or through the --user helper (privsep.h). */
struct gadget_attach {
	int (*bind)(void *ctx, char *err, size_t errlen);   /* 0 or -errno */
	int (*unbind)(void *ctx, char *err, size_t errlen);  /* likewise */
	void *ctx;
	const char *udc;                 /* its name, for log lines */
};

struct gadget_loop_params {
	struct ccid_engine *eng;
	struct vcg_card *const *cards;   /* nslots entries, NULL = empty slot;
	                                    not owned */
	unsigned nslots;
	const struct ffs_fds *fds;       /* opened by ffs_open(); not owned */
	size_t out_buf_len;              /* bulk-OUT read buffer size */
	int ctl_fd;                      /* listening control socket or -1 */
	const char *udc_class;           /* for status: /sys/class/udc */
	const char *udc_name;            /* NULL with --ffs */
	const char *gadget_name;         /* configfs name; NULL with --ffs */
	const struct gadget_attach *attach;   /* for ctl detach/attach and
	                                    passthru readers; NULL with --ffs;
	                                    not owned */
	/* Optional: called once the loop stops, before transfers in flight
	 * are cancelled (main unbinds the UDC here so they end at once). */
	void (*on_stop)(void *ctx);
	void *on_stop_ctx;
	struct pcapw *pcap;              /* --pcap capture or NULL; not owned */
	/* Optional: called once per BIND event (the gadget is on the bus:
	 * main sends sd_notify READY=1 here). */
	void (*on_bound)(void *ctx);
	void *on_bound_ctx;
	/* Read bulk-OUT on a transfer thread with blocking read() and handle
	 * its completion there, under the loop's lock (ffs_io.h), instead of
	 * by AIO through the loop. */
	bool out_thread;
	/* With out_thread: the thread also writes an answer of one packet
	 * itself, with blocking write(), when the engine gave it for the
	 * command it just read (gadget_xfer.c, sync_answer); everything
	 * else stays AIO. */
	bool sync_write;
};

/* What `ctl status` reports about the USB side. */
struct gadget_usb_state {
	bool bound;          /* FunctionFS BIND seen, no UNBIND since */
	bool enabled;        /* the host configured the interface */
	bool suspended;
	enum ffs_speed speed;
	uint64_t enables;    /* ENABLE events so far (hosts served) */
};

/* Block SIGINT and SIGTERM in the calling thread (and threads created
 * after it): call first in main, before any card thread starts, so the
 * loop's signalfd gets them. Also ignores SIGPIPE. */
int gadget_signals_block(void);

/* Does any card want the reader plugged in (vcg_card_wants_usb)? True
 * with no card at all. main binds the UDC at start only if so; the loop
 * binds and unbinds it when the answer changes (a passthru client added
 * or removed its reader). */
bool gadget_cards_want_usb(struct vcg_card *const *cards, unsigned nslots);

/* Run until a signal; returns 0, or -errno on a fatal error (FunctionFS
 * gone, epoll failure). */
int gadget_loop_run(const struct gadget_loop_params *p);

/* `ctl` requests (ctl_exec.c): "status", "insert SLOT", "remove SLOT",
 * "detach", "attach". */
int gadget_ctl_exec(const struct gadget_loop_params *p,
		    const struct gadget_usb_state *usb, const char *line,
		    FILE *out, const char **why);

#endif
