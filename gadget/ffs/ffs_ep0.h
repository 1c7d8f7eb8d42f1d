/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FunctionFS ep0: bring the function up (descriptors, strings, endpoint
 * files) and read its events.
 *
 * Errors: 0 / -errno; a failure also writes one line into err. */
#ifndef FFS_EP0_H
#define FFS_EP0_H

#include <linux/usb/functionfs.h>
#include <stddef.h>

#include "ccid_engine.h"
#include "ffs_desc.h"

struct ffs_fds {
	int ep0;
	int ep[FFS_EP_COUNT];   /* ep1..ep3, O_NONBLOCK */
};

/* Open DIR/ep0, write the descriptors for cfg and the strings, then open
 * DIR/ep1..ep3. After this the gadget may be bound to a UDC. On error
 * everything opened is closed again and fds is left all -1. */
int ffs_open(const char *dir, const struct ccid_reader_config *cfg,
	     struct ffs_fds *fds, char *err, size_t errlen);
void ffs_close(struct ffs_fds *fds);

/* Read up to `max` pending events from ep0 (non-blocking) into ev (owned
 * by the caller). Returns the number read (0 if none for now), or -errno
 * when FunctionFS is unusable. After a SETUP event the caller must answer
 * it (ffs_ep0_answer) before reading again. */
int ffs_ep0_read_events(int ep0, struct usb_functionfs_event *ev, int max);

/* Answer one SETUP (the control request's data or status stage), using
 * ffs_setup_decide() for CCID class requests and stalling the rest. */
void ffs_ep0_answer(int ep0, struct ccid_engine *eng,
		    const struct usb_ctrlrequest *req);

const char *ffs_event_name(unsigned type);

#endif
