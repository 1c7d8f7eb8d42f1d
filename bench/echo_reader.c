/* SPDX-License-Identifier: GPL-2.0-or-later */
/* echo_reader: the transport floor of make bench. A FunctionFS CCID reader
 * with the daemon's exact USB identity (08e6:4433, the same configfs gadget
 * through libcfs, the same descriptors and CCID class descriptor through
 * ffs_open()), but no engine, no event loop, no AIO and no card: blocking
 * read() on ep1, the answer built in place, blocking write() on ep2.
 * Every XfrBlock is answered at once with 90 00 (the test card's ECHO with
 * its data + 90 00, for the large-transfer rows); IccPowerOn with the test
 * card's ATR; GetSlotStatus / IccPowerOff / the parameter commands with
 * the minimum libccid needs. Whatever ccid-gadget takes on top of this for
 * the same SCardTransmit is the cost of its engine, loop and card.
 *
 *   echo_reader [-a] [-v] runs until SIGINT/SIGTERM; prints "echo_reader:
 *                         bound" once the UDC is bound
 *
 * -a: the same answers, but every transfer goes the way the daemon's do
 * (gadget/ffs/ffs_io.c): io_submit with IOCB_FLAG_RESFD on an eventfd,
 * epoll_wait on it, read the eventfd, io_getevents. The floor with the
 * daemon's I/O model: what -a adds over blocking I/O is the cost of that
 * model, what the daemon adds over -a is its engine and card.
 *
 * Two more I/O models, candidates for the daemon's transport, each with a
 * loop thread standing for the daemon's event loop (epoll on an eventfd):
 * -t: a transfer thread reads bulk-OUT with blocking read(), hands the
 *     message to the loop thread (eventfd), which builds the answer,
 *     submits its bulk-IN write with AIO and lets the transfer thread read
 *     again (a second eventfd): blocking OUT, the engine where it is.
 * -l: the transfer thread reads bulk-OUT with blocking read() and builds
 *     and submits the answer itself (AIO write) under a mutex the loop
 *     thread also takes: the engine run on the transfer thread under the
 *     loop's lock, no hand-off. The loop thread reaps the write
 *     completions.
 *
 * Bulk-OUT reads follow bed trap 6 (tests/vm/README.md) (one wMaxPacketSize, then the rest
 * of dwLength rounded up to it); bulk-IN replies that fill their last
 * packet get a zero-length packet (trap 7). Two threads: ep0 events
 * (main) and the bulk endpoints. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libaio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cfs.h"
#include "ccid_engine.h"
#include "ccid_proto.h"
#include "ccid_wire.h"
#include "ffs_ep0.h"

/* vcg_testcard.c's ATR: "ccidgadget", T=0 and T=1. */
static const uint8_t atr[] = { 0x3B, 0x9A, 0x11, 0x80, 0x31, 0xFE, 0x45,
			       'c', 'c', 'i', 'd', 'g', 'a', 'd', 'g', 'e',
			       't', 0x98 };

static volatile sig_atomic_t stop;
static int verbose, use_aio;
/* -t / -l: the transport candidates for the daemon (bench/README.md) */
static int use_thread, use_inline;

/* -a: one transfer the daemon's way; returns bytes or -errno. */
static io_context_t aio_ctx;
static int aio_evfd = -1, aio_epfd = -1;

static ssize_t aio_xfer(int fd, void *buf, size_t len, bool wr)
{
	struct iocb cb, *list[1] = { &cb };
	struct io_event ev;
	struct epoll_event eev;
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int n;

	if (wr)
		io_prep_pwrite(&cb, fd, buf, len, 0);
	else
		io_prep_pread(&cb, fd, buf, len, 0);
	io_set_eventfd(&cb, aio_evfd);
	n = io_submit(aio_ctx, 1, list);
	if (n != 1)
		return n < 0 ? n : -EAGAIN;
	for (;;) {
		n = epoll_wait(aio_epfd, &eev, 1, -1);
		if (n < 0 && errno == EINTR) {
			if (stop)
				return -EINTR;
			continue;
		}
		if (read(aio_evfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return -errno;
		n = io_getevents(aio_ctx, 0, 1, &ev, &zero);
		if (n == 1)
			return (long)ev.res;
	}
}

/* -t / -l: submit the answer (and its ZLP) and return at once: f_fs copies
 * the data at submit (gadget/ffs/ffs_io.h); the loop thread reaps. */
static int aio_send(int fd, void *buf, size_t len, bool zlp)
{
	struct iocb cb[2], *list[2] = { &cb[0], &cb[1] };
	int n;

	io_prep_pwrite(&cb[0], fd, buf, len, 0);
	io_set_eventfd(&cb[0], aio_evfd);
	io_prep_pwrite(&cb[1], fd, buf, 0, 0);
	io_set_eventfd(&cb[1], aio_evfd);
	n = io_submit(aio_ctx, zlp ? 2 : 1, list);
	return n == (zlp ? 2 : 1) ? 0 : -EIO;
}

static ssize_t ep_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	if (use_aio) {
		n = aio_xfer(fd, buf, len, false);
		if (n < 0) {
			errno = (int)-n;
			return -1;
		}
		return n;
	}
	return read(fd, buf, len);
}

static ssize_t ep_write(int fd, const void *buf, size_t len)
{
	ssize_t n;

	if (use_aio) {
		n = aio_xfer(fd, (void *)buf, len, true);
		if (n < 0) {
			errno = (int)-n;
			return -1;
		}
		return n;
	}
	return write(fd, buf, len);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct bulk {
	int out, in;
	size_t cap;
	uint8_t *rx, *tx;
};

static uint16_t ep_mps(int fd)
{
	struct usb_endpoint_descriptor d;

	/* f_fs waits (blocking file) until the endpoint is enabled. */
	if (ioctl(fd, FUNCTIONFS_ENDPOINT_DESC, &d) < 0)
		return 0;
	return le16toh(d.wMaxPacketSize);
}

/* One whole PC_to_RDR message into b->rx; returns its length or -errno. */
static long read_msg(struct bulk *b, uint16_t mps)
{
	ssize_t n = ep_read(b->out, b->rx, mps);
	size_t want, have;

	if (n < 0)
		return -errno;
	have = (size_t)n;
	if (have < 10 || have < mps)
		return (long)have;
	want = 10 + (size_t)ccid_get_le32(b->rx + 1);
	if (want > b->cap)
		want = b->cap;
	while (have < want) {
		size_t rest = want - have;

		rest = (rest + mps - 1) / mps * mps;
		if (have + rest > b->cap)
			rest = b->cap - have;
		n = ep_read(b->out, b->rx + have, rest);
		if (n < 0)
			return -errno;
		have += (size_t)n;
		if ((size_t)n < rest)
			break;   /* short packet: the transfer ended */
	}
	return (long)have;
}

/* The test card's ECHO (vcg_testcard.h: 80 EE 00 00 Lc data [Le], short
 * or extended Lc): the data is copied to `out` (room for 65535 bytes), so
 * the floor moves the same bytes as the daemon for make bench's large
 * transfers. Anything else: no data. Returns the data length. */
static size_t echo_data(const uint8_t *apdu, size_t len, uint8_t *out)
{
	size_t lc, off;

	if (len < 5 || apdu[0] != 0x80 || apdu[1] != 0xEE)
		return 0;
	if (apdu[4] != 0) {
		lc = apdu[4];
		off = 5;
	} else if (len >= 7) {
		lc = (size_t)apdu[5] << 8 | apdu[6];
		off = 7;
	} else {
		return 0;
	}
	if (lc > len - off)
		return 0;
	memcpy(out, apdu + off, lc);
	return lc;
}

static size_t reply(const uint8_t *rx, size_t rxlen, uint8_t *tx,
		    bool *powered)
{
	uint8_t type = rx[0], icc;
	size_t len = 0, dlen;

	memset(tx, 0, 10);
	tx[5] = rx[5];   /* bSlot */
	tx[6] = rx[6];   /* bSeq */
	switch (type) {
	case CCID_PC_ICC_POWER_ON:
		*powered = true;
		tx[0] = CCID_RDR_DATA_BLOCK;
		memcpy(tx + 10, atr, sizeof(atr));
		len = sizeof(atr);
		break;
	case CCID_PC_XFR_BLOCK:
		tx[0] = CCID_RDR_DATA_BLOCK;
		dlen = ccid_get_le32(rx + 1);
		len = echo_data(rx + 10, dlen < rxlen - 10 ? dlen : rxlen - 10,
				tx + 10);
		tx[10 + len] = 0x90;
		tx[11 + len] = 0x00;
		len += 2;
		break;
	case CCID_PC_GET_PARAMETERS:
	case CCID_PC_RESET_PARAMETERS:
	case CCID_PC_SET_PARAMETERS:
		tx[0] = CCID_RDR_PARAMETERS;
		tx[9] = 0;        /* bProtocolNum: T=0 */
		tx[10] = 0x11;    /* bmFindexDindex */
		tx[11] = 0x00;
		tx[12] = 0x00;
		tx[13] = 0x0A;    /* bWaitingIntegerT0 */
		tx[14] = 0x00;
		len = 5;
		break;
	case CCID_PC_ICC_POWER_OFF:
		*powered = false;
		/* fall through */
	default:
		tx[0] = CCID_RDR_SLOT_STATUS;
		break;
	}
	icc = *powered ? CCID_ICC_STATUS_ACTIVE : CCID_ICC_STATUS_INACTIVE;
	tx[7] = icc;
	if (type != CCID_PC_ICC_POWER_ON && type != CCID_PC_XFR_BLOCK &&
	    type != CCID_PC_GET_PARAMETERS && type != CCID_PC_RESET_PARAMETERS &&
	    type != CCID_PC_SET_PARAMETERS && type != CCID_PC_ICC_POWER_OFF &&
	    type != CCID_PC_GET_SLOT_STATUS) {
		tx[7] = CCID_STATUS(icc, CCID_CMD_STATUS_FAILED);
		tx[8] = CCID_ERR_CMD_NOT_SUPPORTED;
	}
	if (type == CCID_PC_XFR_BLOCK && !*powered) {
		tx[7] = CCID_STATUS(icc, CCID_CMD_STATUS_FAILED);
		tx[8] = CCID_ERR_ICC_MUTE;
		len = 0;
	}
	ccid_put_le32(tx + 1, (uint32_t)len);
	return 10 + len;
}

/* -t / -l: the loop thread's state */
static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static int handoff_efd = -1, go_efd = -1;   /* -t: message in; read on */
static long handoff_len;
static uint16_t handoff_in_mps;
static bool loop_powered;

static void *loop_main(void *arg)
{
	struct bulk *b = arg;
	struct epoll_event eev[2];
	struct io_event ev[8];
	struct timespec zero = { 0, 0 };
	uint64_t count;
	int i, n;

	while (!stop) {
		n = epoll_wait(aio_epfd, eev, 2, 200);
		pthread_mutex_lock(&loop_lock);
		for (i = 0; i < n; i++) {
			if (eev[i].data.fd == aio_evfd) {
				if (read(aio_evfd, &count, sizeof(count)) < 0 &&
				    errno != EAGAIN)
					break;
				while (io_getevents(aio_ctx, 0, 8, ev, &zero) > 0)
					;
			} else if (eev[i].data.fd == handoff_efd &&
				   read(handoff_efd, &count, sizeof(count)) > 0) {
				size_t len = reply(b->rx, (size_t)handoff_len,
						   b->tx, &loop_powered);

				aio_send(b->in, b->tx, len,
					 len % handoff_in_mps == 0);
				count = 1;
				if (write(go_efd, &count, sizeof(count)) < 0)
					break;
			}
		}
		pthread_mutex_unlock(&loop_lock);
	}
	return NULL;
}

/* -t / -l: one message read on the transfer thread, then handed off (-t)
 * or answered here under the loop's lock (-l). false: the endpoint went
 * away (ask the speed again). */
static bool candidate_step(struct bulk *b, long n, uint16_t in_mps)
{
	uint64_t one = 1;

	if (use_inline) {
		size_t len;
		int ret;

		pthread_mutex_lock(&loop_lock);
		len = reply(b->rx, (size_t)n, b->tx, &loop_powered);
		ret = aio_send(b->in, b->tx, len, len % in_mps == 0);
		pthread_mutex_unlock(&loop_lock);
		return ret == 0;
	}
	handoff_len = n;
	handoff_in_mps = in_mps;
	if (write(handoff_efd, &one, sizeof(one)) < 0)
		return false;
	/* blocking eventfd: the loop has answered, b->rx is free again */
	while (read(go_efd, &one, sizeof(one)) < 0)
		if (errno != EINTR || stop)
			return false;
	return true;
}

static void *bulk_main(void *arg)
{
	struct bulk *b = arg;
	bool powered = false;

	while (!stop) {
		uint16_t out_mps = ep_mps(b->out), in_mps = ep_mps(b->in);
		long n;

		if (!out_mps || !in_mps) {
			usleep(10000);
			continue;
		}
		while (!stop) {
			n = read_msg(b, out_mps);
			if (n < 0)
				break;   /* disabled / reset: ask the speed again */
			if (n < 10)
				continue;
			if (use_thread || use_inline) {
				if (!candidate_step(b, n, in_mps))
					break;
				continue;
			}
			size_t len = reply(b->rx, (size_t)n, b->tx, &powered);

			if (ep_write(b->in, b->tx, len) < 0)
				break;
			if (len % in_mps == 0 && ep_write(b->in, b->tx, 0) < 0)
				break;
			if (verbose)
				fprintf(stderr, "echo_reader: %02x -> %02x %zu\n",
					b->rx[0], b->tx[0], len);
		}
		usleep(1000);
	}
	return NULL;
}

static void ep0_answer(int ep0, const struct usb_ctrlrequest *req)
{
	ssize_t n;

	/* No class request is needed by libccid (dwFeatures: automatic
	 * parameters): acknowledge host-to-device ones, stall the rest. */
	if (!(req->bRequestType & USB_DIR_IN) && !le16toh(req->wLength))
		n = read(ep0, NULL, 0);
	else if (req->bRequestType & USB_DIR_IN)
		n = read(ep0, NULL, 0);    /* stall */
	else
		n = write(ep0, NULL, 0);   /* stall */
	(void)n;
}

int main(int argc, char **argv)
{
	struct ccid_reader_config cfg;
	struct cfs_gadget *cg = NULL;
	struct ffs_fds fds;
	struct bulk b = { 0 };
	char udc[256], serial[64], err[512];
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t th, loop_th;
	int i, ret = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-a"))
			use_aio = 1;
		else if (!strcmp(argv[i], "-t"))
			use_thread = 1;
		else if (!strcmp(argv[i], "-l"))
			use_inline = 1;
	}
	if (use_aio || use_thread || use_inline) {
		struct epoll_event eev = { .events = EPOLLIN };

		aio_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		aio_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (aio_evfd < 0 || aio_epfd < 0 || io_setup(4, &aio_ctx) < 0 ||
		    (eev.data.fd = aio_evfd,
		     epoll_ctl(aio_epfd, EPOLL_CTL_ADD, aio_evfd, &eev) < 0)) {
			fprintf(stderr, "echo_reader: AIO set-up failed\n");
			return 1;
		}
	}
	if (use_thread) {
		struct epoll_event eev = { .events = EPOLLIN };

		handoff_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		go_efd = eventfd(0, EFD_CLOEXEC);
		eev.data.fd = handoff_efd;
		if (handoff_efd < 0 || go_efd < 0 ||
		    epoll_ctl(aio_epfd, EPOLL_CTL_ADD, handoff_efd, &eev) < 0) {
			fprintf(stderr, "echo_reader: hand-off set-up failed\n");
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ccid_reader_config_default(&cfg);
	if (cfs_pick_udc(CFS_UDC_CLASS, NULL, udc, sizeof(udc), err, sizeof(err)) < 0)
		goto fail;
	if (cfs_default_serial("", serial, sizeof(serial)) < 0)
		snprintf(serial, sizeof(serial), "0000000000000000");
	struct cfs_params p = {
		.configfs = CFS_CONFIGFS,
		.run_dir = CFS_RUN_DIR,
		.gadget_name = CFS_GADGET_NAME,
		.ffs_instance = CFS_FFS_INSTANCE,
		.udc = udc,
		.vid = 0x08e6,
		.pid = 0x4433,
		.bcd_device = CFS_BCD_DEVICE,
		.manufacturer = "ccid-gadget",
		.product = "ccid-gadget echo reader",
		.serial = serial,
	};
	if (cfs_gadget_create(&p, &cg, err, sizeof(err)) < 0)
		goto fail;
	if (ffs_open(cfs_gadget_ffs_dir(cg), &cfg, &fds, err, sizeof(err)) < 0)
		goto fail;
	/* ffs_open makes every file non-blocking (for AIO): undo that. */
	fcntl(fds.ep0, F_SETFL, O_RDWR);
	for (i = 0; i < FFS_EP_COUNT; i++)
		fcntl(fds.ep[i], F_SETFL, O_RDWR);
	b.out = fds.ep[FFS_EP_BULK_OUT];
	b.in = fds.ep[FFS_EP_BULK_IN];
	b.cap = ((size_t)cfg.max_msg_len + 1023) / 1024 * 1024;
	b.rx = malloc(b.cap);
	b.tx = malloc(b.cap + 16);
	if (!b.rx || !b.tx) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (cfs_gadget_bind(cg, err, sizeof(err)) < 0)
		goto fail;
	printf("echo_reader: bound to %s\n", udc);
	fflush(stdout);
	if ((use_thread || use_inline) &&
	    pthread_create(&loop_th, NULL, loop_main, &b) != 0) {
		snprintf(err, sizeof(err), "pthread_create failed");
		goto fail;
	}
	if (pthread_create(&th, NULL, bulk_main, &b) != 0) {
		snprintf(err, sizeof(err), "pthread_create failed");
		goto fail;
	}
	while (!stop) {
		struct usb_functionfs_event ev[4];
		ssize_t n = read(fds.ep0, ev, sizeof(ev));

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EIDRM)
				continue;
			snprintf(err, sizeof(err), "ep0: %s", strerror(errno));
			goto fail;
		}
		for (i = 0; i < (int)((size_t)n / sizeof(ev[0])); i++)
			if (ev[i].type == FUNCTIONFS_SETUP)
				ep0_answer(fds.ep0, &ev[i].u.setup);
	}
	cfs_gadget_unbind(cg);   /* ends the blocking transfers */
	pthread_kill(th, SIGTERM);
	pthread_join(th, NULL);
	if (use_thread || use_inline)
		pthread_join(loop_th, NULL);
	ffs_close(&fds);
	cfs_gadget_destroy(cg);
	return 0;

fail:
	fprintf(stderr, "echo_reader: %s\n", err);
	if (cg)
		cfs_gadget_destroy(cg);
	return ret;
}
