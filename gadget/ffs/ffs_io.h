/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous transfers on the FunctionFS endpoints: one libaio context,
 * one eventfd that every request signals (IOCB_FLAG_RESFD), at most one
 * request in flight per endpoint (the kernel's ffs-aio-example pattern).
 *
 * Errors: 0 / -errno. Threading: the loop thread only. */
#ifndef FFS_IO_H
#define FFS_IO_H

#include <libaio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ffs_desc.h"

struct ffs_ep_io {
	int fd;              /* the endpoint file, not owned */
	struct iocb iocb;    /* the one request; valid while busy */
	bool busy;           /* submitted, completion not reaped yet */
	bool stale;          /* its completion belongs to an older session:
	                        drop it */
	uint8_t *buf;        /* OUT: read buffer (owned), NULL for IN */
	size_t cap;          /* OUT: buffer size */
};

struct ffs_io {
	io_context_t ctx;
	int evfd;            /* readable when a request completed; owned */
	struct ffs_ep_io ep[FFS_EP_COUNT];
};

/* Set up the context and eventfd; out_cap is the bulk-OUT read buffer
 * size. `fds` are the ep1..ep3 files (kept, not owned). */
int ffs_io_init(struct ffs_io *io, const int fds[FFS_EP_COUNT],
		size_t out_cap);

/* Destroy the context (waits for what is in flight), free the buffer,
 * close the eventfd. */
void ffs_io_destroy(struct ffs_io *io);

/* Start a read of `len` bytes into the endpoint's own buffer (len <= cap)
 * or a write of `len` bytes from `data` (the caller's). len 0 writes a
 * zero-length packet. Fails with -EBUSY if a request is in flight.
 *
 * Buffer lifetimes, the one place this is written down. The kernel's
 * drivers/usb/gadget/function/f_fs.c, ffs_epfile_io() (reached from
 * io_submit() through ffs_epfile_write_iter() / ffs_epfile_read_iter();
 * the same from 4.x to 6.x, Debian 12's 6.1 included) allocates its own
 * request buffer and:
 *   - for a write, copies `data` into it (copy_from_iter_full) before the
 *     request is queued, inside io_submit(): `data` may be reused or freed
 *     as soon as ffs_io_write() returns, and the engine may drop a queued
 *     message (ccid_engine_reset()) while its write is still in flight;
 *   - for a read, copies into the endpoint buffer only when the transfer
 *     completes (ffs_user_copy_worker(), in the daemon's address space):
 *     the read buffer must stay until that completion is reaped, even
 *     after a cancel (a request can complete before the cancel lands),
 *     or until io_destroy() has returned (ffs_io_destroy()). busy keeps
 *     the next read out of it until then. */
int ffs_io_read(struct ffs_io *io, enum ffs_ep_index ep, size_t len);
int ffs_io_write(struct ffs_io *io, enum ffs_ep_index ep, const void *data,
		 size_t len);

/* Ask the kernel to cancel every request in flight and mark them stale.
 * Their completions still arrive (with -ECONNRESET, -ESHUTDOWN or even
 * success) and are dropped by ffs_io_reap(). */
void ffs_io_cancel_all(struct ffs_io *io);

/* One finished transfer: res is a byte count (>= 0) or -errno. */
typedef void (*ffs_io_done_fn)(void *ctx, enum ffs_ep_index ep, long res);

/* Drain the eventfd and hand every completion that is not stale to done().
 * Returns 0 or -errno. */
int ffs_io_reap(struct ffs_io *io, ffs_io_done_fn done, void *ctx);

#endif
