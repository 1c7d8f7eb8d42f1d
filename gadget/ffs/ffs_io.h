/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous transfers on the FunctionFS endpoints: one libaio context,
 * one eventfd that every request signals (IOCB_FLAG_RESFD), at most one
 * request in flight per endpoint (the kernel's ffs-aio-example pattern).
 *
 * Optionally (ffs_io_out_thread_start) bulk-OUT is read by a transfer
 * thread with blocking read(), and its completion is handled on that
 * thread, under the loop's lock, without waking the loop: f_fs completes
 * an AIO request through a kworker (ffs_user_copy_worker), then the
 * eventfd wakes the loop, two hand-offs on the way from the host's
 * command to the card; a blocking read wakes its reader directly
 * (bench/README.md: the transport candidates and what they measured).
 *
 * With the thread, a bulk-IN message of one packet can also be written by
 * it with a blocking write() (ffs_io_write_sync), before it reads the next
 * command: the floor's shape, no AIO completion to wake the loop for. The
 * loop interrupts that write (ffs_io_interrupt_sync) when the host may be
 * waiting for something else first; the caller then sends it again by AIO.
 *
 * Errors: 0 / -errno. Threading: the loop thread only, holding the lock
 * given to ffs_io_out_thread_start() if there is a transfer thread. */
#ifndef FFS_IO_H
#define FFS_IO_H

#include <libaio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ffs_desc.h"
#include "thread_stack.h"

struct ffs_ep_io {
	int fd;              /* the endpoint file, not owned */
	struct iocb iocb;    /* the one request; valid while busy */
	bool busy;           /* submitted, completion not reaped yet */
	bool stale;          /* its completion belongs to an older session:
	                        drop it */
	bool sync;           /* bulk-IN: the transfer thread's blocking
	                        write(), not an AIO request */
	uint8_t *buf;        /* OUT: read buffer (owned), NULL for IN */
	size_t cap;          /* OUT: buffer size */
};

/* One finished transfer: res is a byte count (>= 0) or -errno. */
typedef void (*ffs_io_done_fn)(void *ctx, enum ffs_ep_index ep, long res);

/* The largest blocking write: one bulk packet at super speed (the 1024 of
 * ffs_desc.c's wMaxPacketSize). */
#define FFS_SYNC_WRITE_MAX 1024

/* The bulk-OUT transfer thread's state (ffs_io_out_thread_start). */
struct ffs_out_thread {
	pthread_t th;
	pthread_mutex_t *lock;   /* the loop's; not owned */
	pthread_cond_t armed;    /* a read was asked for, or quit */
	ffs_io_done_fn done;     /* called with the lock held, then */
	void (*after)(void *ctx);   /* this (the loop's "kick") */
	void *ctx;
	bool quit;
	atomic_bool in_read;     /* inside read(): interrupt it with a signal */
	atomic_bool in_write;    /* inside the blocking write(): likewise */
	uint8_t wbuf[FFS_SYNC_WRITE_MAX]; /* the blocking write's copy */
	size_t wlen;
};

struct ffs_io {
	io_context_t ctx;
	int evfd;            /* readable when a request completed; owned */
	struct ffs_ep_io ep[FFS_EP_COUNT];
	struct ffs_out_thread *out_thread;   /* NULL: bulk-OUT by AIO */
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

/* Drain the eventfd and hand every completion that is not stale to done().
 * Returns 0 or -errno. */
int ffs_io_reap(struct ffs_io *io, ffs_io_done_fn done, void *ctx);

/* The transfer thread's stack (thread_stack.h): it runs the engine and
 * a card's inline answer under the loop's lock. Its peak (valgrind
 * --tool=drd --show-stack-usage=yes, 2026-12-03, the VM bed): 6.1 kB
 * with the emulated card answering OpenSC's listing and signature; a
 * 32 KiB guard build passed tests/vm/suites/10-reader.sh. 256 KiB. */
#define FFS_OUT_STACK (256 * 1024)

/* Read bulk-OUT on a transfer thread from now on (call after
 * ffs_io_init, with `lock` held, before the first read). The thread reads
 * with blocking read() (it makes the endpoint file blocking: it alone uses
 * it), takes `lock`, hands the result to done(ctx, FFS_EP_BULK_OUT, res)
 * unless it went stale, then calls after(ctx). busy and stale keep their
 * meaning; ffs_io_cancel_all() interrupts a read in progress (SIGUSR1,
 * handled by a handler that does nothing). ffs_io_destroy() stops the
 * thread (it releases `lock` while it waits for it). The struct is the
 * caller's and must outlive ffs_io_destroy(). */
int ffs_io_out_thread_start(struct ffs_io *io, struct ffs_out_thread *ot,
			    pthread_mutex_t *lock, ffs_io_done_fn done,
			    void (*after)(void *ctx), void *ctx);

/* With the transfer thread, with the lock held: have it write `len` bytes
 * (1..FFS_SYNC_WRITE_MAX, copied now) on bulk-IN with a blocking write()
 * as soon as the caller releases the lock or, when the caller is the
 * thread's after(), before it reads again. busy, stale and
 * ffs_io_cancel_all() work as for an AIO write; the result comes to
 * done(ctx, FFS_EP_BULK_IN, res) on the thread, -EINTR when the write was
 * interrupted before the host took it (send it again, by AIO). -EINVAL
 * without a thread or for another endpoint or length; -EBUSY if a request
 * is in flight. Meant for one packet without a ZLP: a longer write could
 * be cut short by the interrupt (see ffs_out_thread.c). */
int ffs_io_write_sync(struct ffs_io *io, enum ffs_ep_index ep, const void *data,
		      size_t len);

/* With the lock held: make a blocking write in progress return now; its
 * result comes to done() as above (not dropped). Nothing without one. */
void ffs_io_interrupt_sync(struct ffs_io *io);

/* Is a blocking write asked for or in progress? */
bool ffs_io_sync_busy(const struct ffs_io *io);

/* Between ffs_io.c and ffs_out_thread.c only, with the lock held: wake the
 * thread for the read ffs_io_read() or the write ffs_io_write_sync()
 * prepared; interrupt a read or a write in progress; stop and join the
 * thread (releasing the lock meanwhile). */
void ffs_out_thread_arm(struct ffs_io *io);
void ffs_out_thread_interrupt(struct ffs_io *io);
void ffs_out_thread_interrupt_write(struct ffs_io *io);
void ffs_out_thread_stop(struct ffs_io *io);

#endif
