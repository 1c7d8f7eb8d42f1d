/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous endpoint transfers: see ffs_io.h. */
#include "ffs_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

int ffs_io_init(struct ffs_io *io, const int fds[FFS_EP_COUNT],
		size_t out_cap)
{
	int i, ret;

	memset(io, 0, sizeof(*io));
	io->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->evfd < 0)
		return -errno;
	for (i = 0; i < FFS_EP_COUNT; i++)
		io->ep[i].fd = fds[i];
	io->ep[FFS_EP_BULK_OUT].buf = malloc(out_cap);
	if (!io->ep[FFS_EP_BULK_OUT].buf) {
		ret = -ENOMEM;
		goto fail_evfd;
	}
	io->ep[FFS_EP_BULK_OUT].cap = out_cap;
	ret = io_setup(FFS_EP_COUNT, &io->ctx);   /* libaio: -errno */
	if (ret < 0)
		goto fail_buf;
	return 0;

fail_buf:
	free(io->ep[FFS_EP_BULK_OUT].buf);
	io->ep[FFS_EP_BULK_OUT].buf = NULL;
fail_evfd:
	close(io->evfd);
	io->evfd = -1;
	return ret;
}

void ffs_io_destroy(struct ffs_io *io)
{
	int i;

	ffs_out_thread_stop(io);   /* no read into the buffer after this */
	ffs_io_cancel_all(io);
	/* io_destroy waits for the requests in flight, so the read buffer
	 * is no longer written to once it returns. */
	if (io->ctx)
		io_destroy(io->ctx);
	io->ctx = 0;
	for (i = 0; i < FFS_EP_COUNT; i++) {
		free(io->ep[i].buf);
		io->ep[i].buf = NULL;
		io->ep[i].busy = false;
		io->ep[i].sync = false;
	}
	if (io->evfd >= 0)
		close(io->evfd);
	io->evfd = -1;
}

/* The endpoint has a request from now on: an AIO one, or one the
 * transfer thread makes (sync: its blocking write of a bulk-IN answer). */
static void mark_busy(struct ffs_ep_io *e, bool sync)
{
	e->busy = true;
	e->stale = false;
	e->sync = sync;
}

static int submit(struct ffs_io *io, struct ffs_ep_io *e)
{
	struct iocb *list[1] = { &e->iocb };
	int ret;

	io_set_eventfd(&e->iocb, io->evfd);
	ret = io_submit(io->ctx, 1, list);   /* libaio: count or -errno */
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EAGAIN;
	mark_busy(e, false);
	return 0;
}

int ffs_io_read(struct ffs_io *io, enum ffs_ep_index ep, size_t len)
{
	struct ffs_ep_io *e = &io->ep[ep];

	if (e->busy)
		return -EBUSY;
	if (!e->buf || len > e->cap)
		return -EINVAL;
	io_prep_pread(&e->iocb, e->fd, e->buf, len, 0);
	if (ep == FFS_EP_BULK_OUT && io->out_thread) {
		/* the iocb only records the request for the thread */
		mark_busy(e, false);
		ffs_out_thread_arm(io);
		return 0;
	}
	return submit(io, e);
}

int ffs_io_write(struct ffs_io *io, enum ffs_ep_index ep, const void *data,
		 size_t len)
{
	struct ffs_ep_io *e = &io->ep[ep];

	if (e->busy)
		return -EBUSY;
	/* libaio's prototype takes void *; f_fs only reads it. */
	io_prep_pwrite(&e->iocb, e->fd, (void *)data, len, 0);
	return submit(io, e);
}

int ffs_io_write_sync(struct ffs_io *io, enum ffs_ep_index ep, const void *data,
		      size_t len)
{
	struct ffs_ep_io *e = &io->ep[ep];
	struct ffs_out_thread *ot = io->out_thread;

	if (!ot || ep != FFS_EP_BULK_IN || len == 0 || len > sizeof(ot->wbuf))
		return -EINVAL;
	if (e->busy)
		return -EBUSY;
	/* Copied, as f_fs copies an AIO write's data at submit (above): the
	 * engine may drop the message while the write is in flight. */
	memcpy(ot->wbuf, data, len);
	ot->wlen = len;
	mark_busy(e, true);
	ffs_out_thread_arm(io);
	return 0;
}

void ffs_io_interrupt_sync(struct ffs_io *io)
{
	if (ffs_io_sync_busy(io))
		ffs_out_thread_interrupt_write(io);
}

bool ffs_io_sync_busy(const struct ffs_io *io)
{
	const struct ffs_ep_io *e = &io->ep[FFS_EP_BULK_IN];

	return e->busy && e->sync;
}

void ffs_io_cancel_all(struct ffs_io *io)
{
	struct io_event ev;
	int i, ret;

	for (i = 0; i < FFS_EP_COUNT; i++) {
		struct ffs_ep_io *e = &io->ep[i];

		if (!e->busy || e->stale)
			continue;
		e->stale = true;
		if (i == FFS_EP_BULK_OUT && io->out_thread) {
			ffs_out_thread_interrupt(io);
			continue;
		}
		if (e->sync) { /* the thread drops its result */
			ffs_out_thread_interrupt_write(io);
			continue;
		}
		/* -EINPROGRESS: cancelling, the completion comes through the
		 * ring; -EINVAL: already finished, likewise. */
		ret = io_cancel(io->ctx, &e->iocb, &ev);
		gadget_log(LOG_DEBUG, "ffs", "cancel ep%d: %s", i + 1,
			   ret == 0 ? "done" : strerror(-ret));
	}
}

int ffs_io_reap(struct ffs_io *io, ffs_io_done_fn done, void *ctx)
{
	struct io_event events[FFS_EP_COUNT];
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int n, i, ep;

	if (read(io->evfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	for (;;) {
		n = io_getevents(io->ctx, 0, FFS_EP_COUNT, events, &zero);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return n;
		for (i = 0; i < n; i++) {
			struct ffs_ep_io *e = NULL;
			bool stale;

			for (ep = 0; ep < FFS_EP_COUNT; ep++)
				if (events[i].obj == &io->ep[ep].iocb) {
					e = &io->ep[ep];
					break;
				}
			if (!e || !e->busy) {
				gadget_log(LOG_WARNING, "ffs",
					   "completion for an unknown request");
				continue;
			}
			stale = e->stale;
			e->busy = false;
			e->stale = false;
			if (stale) {
				gadget_log(LOG_DEBUG, "ffs",
					   "ep%d: stale completion %ld dropped",
					   ep + 1, (long)events[i].res);
				continue;
			}
			/* res is unsigned long in the ABI: a negative value
			 * is -errno, never a length. */
			done(ctx, ep, (long)events[i].res);
		}
	}
}
