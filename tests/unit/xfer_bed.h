/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transfer tests' bed (test_ffs_xfer.c, test_ffs_sync_write.c): the
 * loop's state (gadget_int.h) with the real engine and the test card in
 * slot 0, over socketpairs standing in for the endpoint files (ep0 too: a
 * byte written to *ep0_peer is an event waiting). Enabled at full speed
 * (64-byte packets), bulk-OUT read buffer 64 KiB + 1 KiB. All of it is the
 * caller's storage; the peers are the "host" ends, non-blocking. */
#ifndef XFER_BED_H
#define XFER_BED_H

#include "gadget_int.h"

struct xfer_bed_files {
	struct ffs_fds ffs;     /* the daemon's ends */
	int peer[FFS_EP_COUNT]; /* the host's ends of ep1..ep3 */
	int ep0_peer;
};

/* 0, or -1 with "not ok" printed. l->p = params, params->fds = &f->ffs. */
int xfer_bed_open(struct gadget_loop *l, struct gadget_loop_params *params,
		  struct xfer_bed_files *f, struct vcg_card **card);

/* Destroys the I/O (joining a transfer thread: call with l->lock held if
 * one runs), the card, the engine; closes the files. */
void xfer_bed_close(struct gadget_loop *l, struct xfer_bed_files *f,
		    struct vcg_card *card);

#endif
