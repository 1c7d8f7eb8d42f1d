/* SPDX-License-Identifier: GPL-2.0-or-later */
/* echo_reader: the transport floor of make bench. A FunctionFS CCID reader
 * with the daemon's exact USB identity (08e6:4433, the same configfs gadget
 * through libcfs, the same descriptors and CCID class descriptor through
 * ffs_open()), but no engine, no event loop, no AIO and no card: blocking
 * read() on ep1, the answer built in place, blocking write() on ep2.
 * Every XfrBlock is answered at once with 90 00; IccPowerOn with the test
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

static size_t reply(const uint8_t *rx, size_t rxlen, uint8_t *tx,
		    bool *powered)
{
	uint8_t type = rx[0], icc;
	size_t len = 0;

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
		tx[10] = 0x90;
		tx[11] = 0x00;
		len = 2;
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
	(void)rxlen;
	ccid_put_le32(tx + 1, (uint32_t)len);
	return 10 + len;
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
	pthread_t th;
	int i, ret = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-a"))
			use_aio = 1;
	}
	if (use_aio) {
		struct epoll_event eev = { .events = EPOLLIN };

		aio_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		aio_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (aio_evfd < 0 || aio_epfd < 0 || io_setup(4, &aio_ctx) < 0 ||
		    epoll_ctl(aio_epfd, EPOLL_CTL_ADD, aio_evfd, &eev) < 0) {
			fprintf(stderr, "echo_reader: AIO set-up failed\n");
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
	ffs_close(&fds);
	cfs_gadget_destroy(cg);
	return 0;

fail:
	fprintf(stderr, "echo_reader: %s\n", err);
	if (cg)
		cfs_gadget_destroy(cg);
	return ret;
}
