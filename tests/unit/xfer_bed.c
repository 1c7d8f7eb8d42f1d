/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transfer tests' bed: see xfer_bed.h. */
#include "xfer_bed.h"

#include <stdio.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int pair(int *mine, int *theirs)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) < 0)
		return -1;
	*mine = sp[0];
	*theirs = sp[1];
	return 0;
}

int xfer_bed_open(struct gadget_loop *l, struct gadget_loop_params *params,
		  struct xfer_bed_files *f, struct vcg_card **card)
{
	struct ccid_reader_config cfg;
	char err[256];
	int i;

	for (i = 0; i < FFS_EP_COUNT; i++)
		if (pair(&f->ffs.ep[i], &f->peer[i]) < 0)
			goto fail;
	if (pair(&f->ffs.ep0, &f->ep0_peer) < 0)
		goto fail;
	params->fds = &f->ffs;
	ccid_reader_config_default(&cfg);
	l->eng = ccid_engine_new(&cfg);
	*card = l->eng ? vcg_card_create("test", l->eng, 0, NULL, err,
					 sizeof(err))
		       : NULL;
	if (!*card)
		goto fail;
	l->p = params;
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (l->timerfd < 0 || ffs_io_init(&l->io, f->ffs.ep, 65536 + 1024) < 0)
		goto fail;
	l->usb.enabled = true;
	l->out_mps = l->in_mps = 64;
	ccid_engine_set_packet_sizes(l->eng, 64, 64);
	return 0;
fail:
	printf("not ok - the transfer bed: sockets, engine, test card, "
	       "timer, I/O\n");
	return -1;
}

void xfer_bed_close(struct gadget_loop *l, struct xfer_bed_files *f,
		    struct vcg_card *card)
{
	int i;

	ffs_io_destroy(&l->io);
	close(l->timerfd);
	vcg_card_destroy(card);
	ccid_engine_free(l->eng);
	for (i = 0; i < FFS_EP_COUNT; i++) {
		close(f->ffs.ep[i]);
		close(f->peer[i]);
	}
	close(f->ffs.ep0);
	close(f->ep0_peer);
}
