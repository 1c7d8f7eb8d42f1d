/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xfr_cost: the daemon's own cost per XfrBlock, for callgrind (make bench).
 *
 * In one process, without FunctionFS: the daemon's engine (libccid-engine),
 * its transfer glue (gadget/ffs/gadget_xfer.c, unchanged: kick_out / kick_bulk_in
 * / kick_intr_in / update_timer and the completion handlers), its card
 * layer (vcard-glue: vcg_card_create() with the SPEC given, the -v APDU
 * hook the daemon installs) and a fake transport: this file defines
 * ffs_io_read/ffs_io_write/... (ffs_io.h), so the linker takes them instead
 * of gadget/ffs/ffs_io.c; a "read" is filled from the next PC_to_RDR message,
 * a "write" is completed at once. What the real daemon does on top, per
 * transfer, is not here: epoll_wait and dispatch (gadget_loop.c), eventfd
 * read + io_getevents + io_submit (ffs_io.c): a few dozen instructions of
 * user code around each syscall; the syscalls themselves are kernel time.
 *
 *   xfr_cost SPEC WARMUP N [APDU-HEX] [MPS]
 *   xfr_cost SPEC 0 N @FILE [MPS]
 *
 * Powers the card on, sends WARMUP then N XfrBlocks of APDU (default: the
 * test card's SELECT), checks each answer ends in 90 00 or 61 xx, prints
 * "xfr_cost: N XfrBlocks done". @FILE: a recorded session instead, one
 * APDU in hex per line (bench/sessions/); the first N lines are sent once
 * each, in order, any status word accepted. Run it twice under callgrind (N and 0):
 * the difference of the totals / N is the cost of one XfrBlock.
 * XFR_COST_ENGINE_LOG=0 in the environment leaves the engine's log hook
 * unset (the daemon always sets it). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "apdu_log.h"
#include "ccid_engine.h"
#include "ccid_proto.h"
#include "gadget_int.h"
#include "log.h"
#include "vcg_card.h"

/* ---- the fake transport: ffs_io.h, without a kernel ---- */

static size_t pending_len[FFS_EP_COUNT];
static const uint8_t *pending_data[FFS_EP_COUNT];

int ffs_io_init(struct ffs_io *io, const int fds[FFS_EP_COUNT], size_t out_cap)
{
	memset(io, 0, sizeof(*io));
	for (int i = 0; i < FFS_EP_COUNT; i++)
		io->ep[i].fd = fds[i];
	io->evfd = -1;
	io->ep[FFS_EP_BULK_OUT].buf = malloc(out_cap);
	io->ep[FFS_EP_BULK_OUT].cap = out_cap;
	return io->ep[FFS_EP_BULK_OUT].buf ? 0 : -ENOMEM;
}

void ffs_io_destroy(struct ffs_io *io)
{
	free(io->ep[FFS_EP_BULK_OUT].buf);
	io->ep[FFS_EP_BULK_OUT].buf = NULL;
}

int ffs_io_read(struct ffs_io *io, enum ffs_ep_index ep, size_t len)
{
	if (io->ep[ep].busy)
		return -EBUSY;
	if (len > io->ep[ep].cap)
		return -EINVAL;
	io->ep[ep].busy = true;
	pending_len[ep] = len;
	return 0;
}

int ffs_io_write(struct ffs_io *io, enum ffs_ep_index ep, const void *data,
		 size_t len)
{
	if (io->ep[ep].busy)
		return -EBUSY;
	io->ep[ep].busy = true;
	pending_data[ep] = data;
	pending_len[ep] = len;
	return 0;
}

void ffs_io_cancel_all(struct ffs_io *io)
{
	for (int i = 0; i < FFS_EP_COUNT; i++)
		io->ep[i].busy = false;
}

int ffs_io_reap(struct ffs_io *io, ffs_io_done_fn done, void *ctx)
{
	(void)io;
	(void)done;
	(void)ctx;
	return 0;
}

/* No transfer thread here: the blocking write (CCID_GADGET_OUT_THREAD=2)
 * is never asked for. */
int ffs_io_write_sync(struct ffs_io *io, enum ffs_ep_index ep, const void *data,
		      size_t len)
{
	(void)io;
	(void)ep;
	(void)data;
	(void)len;
	return -EINVAL;
}

void ffs_io_interrupt_sync(struct ffs_io *io)
{
	(void)io;
}

bool ffs_io_sync_busy(const struct ffs_io *io)
{
	(void)io;
	return false;
}

/* ---- driving the glue ---- */

static struct gadget_loop loop;
static struct vcg_card *card;
static uint8_t seq;
static uint8_t answer[70000];
static size_t answer_len;

static void complete_writes(void)
{
	struct ffs_ep_io *in = &loop.io.ep[FFS_EP_BULK_IN];
	struct ffs_ep_io *intr = &loop.io.ep[FFS_EP_INTR_IN];

	for (;;) {
		gadget_xfer_kick(&loop);
		if (intr->busy) {
			intr->busy = false;
			gadget_xfer_done(&loop, FFS_EP_INTR_IN, (long)pending_len[FFS_EP_INTR_IN]);
			continue;
		}
		if (in->busy) {
			size_t n = pending_len[FFS_EP_BULK_IN];

			if (n) {
				memcpy(answer, pending_data[FFS_EP_BULK_IN], n);
				answer_len = n;
			}
			in->busy = false;
			gadget_xfer_done(&loop, FFS_EP_BULK_IN, (long)n);
			continue;
		}
		return;
	}
}

/* Send one PC_to_RDR message and wait for its RDR_to_PC answer. */
static int exchange(uint8_t type, const uint8_t *data, size_t len)
{
	static uint8_t msg[70000];
	struct ffs_ep_io *out = &loop.io.ep[FFS_EP_BULK_OUT];
	size_t off = 0, total = 10 + len;
	uint8_t my_seq = seq++;

	memset(msg, 0, 10);
	msg[0] = type;
	msg[1] = (uint8_t)len;
	msg[2] = (uint8_t)(len >> 8);
	msg[3] = (uint8_t)(len >> 16);
	msg[6] = my_seq;
	memcpy(msg + 10, data, len);
	answer_len = 0;
	while (off < total) {
		complete_writes();
		if (!out->busy) {
			fprintf(stderr, "xfr_cost: no bulk-OUT read armed\n");
			return -1;
		}
		size_t n = pending_len[FFS_EP_BULK_OUT];

		if (n > total - off)
			n = total - off;
		memcpy(out->buf, msg + off, n);
		off += n;
		out->busy = false;
		gadget_xfer_done(&loop, FFS_EP_BULK_OUT, (long)n);
	}
	for (int spins = 0;; spins++) {
		complete_writes();
		if (answer_len >= 10 && answer[6] == my_seq &&
		    !(answer[7] & 0x80))   /* not a time extension */
			return 0;
		int fd = vcg_card_fd(card);

		if (fd < 0 || spins > 1000) {
			fprintf(stderr, "xfr_cost: no answer\n");
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0) {
			fprintf(stderr, "xfr_cost: card did not answer\n");
			return -1;
		}
		vcg_card_dispatch(card);
	}
}

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const char *const select_test = "00A4040008F043434944544301";
	struct ccid_reader_config cfg;
	struct gadget_loop_params lp = { 0 };
	struct ffs_fds fds = { .ep0 = -1, .ep = { -1, -1, -1 } };
	static struct apdu_log alog;
	uint8_t apdu[512];
	char err[512] = "";
	size_t apdu_len;
	long warmup, n;
	unsigned mps = 512;
	int rc = 0;
	FILE *session = NULL;
	char line[1200];

	if (argc < 4) {
		fprintf(stderr, "usage: xfr_cost SPEC WARMUP N [APDU-HEX] [MPS]\n");
		return 2;
	}
	warmup = atol(argv[2]);
	n = atol(argv[3]);
	if (argc > 4 && argv[4][0] == '@') {
		session = fopen(argv[4] + 1, "r");
		if (session == NULL) {
			perror(argv[4] + 1);
			return 2;
		}
		warmup = 0;
		apdu_len = 0;
	} else {
		apdu_len = parse_hex(argc > 4 ? argv[4] : select_test, apdu,
				     sizeof(apdu));
	}
	if (argc > 5)
		mps = (unsigned)atoi(argv[5]);
	gadget_log_set_level(LOG_NOTICE);   /* the daemon's default */
	gadget_signals_block();

	ccid_reader_config_default(&cfg);
	lp.eng = ccid_engine_new(&cfg);
	if (!lp.eng)
		return 1;
	/* XFR_COST_ENGINE_LOG=0: no engine log hook, i.e. what the daemon
	 * would cost if the engine did not format lines nobody prints. */
	if (!getenv("XFR_COST_ENGINE_LOG") || strcmp(getenv("XFR_COST_ENGINE_LOG"), "0"))
		ccid_engine_set_log(lp.eng, gadget_log_engine, NULL);
	/* As gadget/daemon/main.c: lines the log would drop are not formatted. */
	ccid_engine_set_log_level(lp.eng, gadget_log_enabled(LOG_INFO) ?
				  LOG_DEBUG : LOG_NOTICE);
	ccid_engine_set_apdu_hook(lp.eng, apdu_log_hook, &alog);
	card = vcg_card_create(argv[1], lp.eng, 0, &rc, err, sizeof(err));
	if (!card) {
		fprintf(stderr, "xfr_cost: %s\n", err);
		return 1;
	}
	vcg_card_set_log(card, gadget_log_card, NULL);
	lp.cards = &card;
	lp.nslots = 1;
	lp.fds = &fds;
	lp.out_buf_len = ((size_t)cfg.max_msg_len + 1023) / 1024 * 1024;

	loop.p = &lp;
	loop.eng = lp.eng;
	loop.epfd = loop.sigfd = -1;
	loop.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ffs_io_init(&loop.io, fds.ep, lp.out_buf_len) < 0)
		return 1;
	/* what gadget_events.c's enable() does */
	loop.out_mps = loop.in_mps = (uint16_t)mps;
	loop.usb.enabled = true;
	loop.usb.bound = true;
	ccid_engine_set_packet_sizes(loop.eng, loop.out_mps, loop.in_mps);
	ccid_engine_enabled(loop.eng);

	/* The emulated card inserts itself asynchronously: wait for it. */
	for (int i = 0; i < 500; i++) {
		struct ccid_slot_stats st;

		complete_writes();
		if (ccid_engine_slot_stats(loop.eng, 0, &st) == 0 &&
		    st.icc != CCID_ICC_ABSENT)
			break;
		if (vcg_card_fd(card) >= 0) {
			struct pollfd p = { .fd = vcg_card_fd(card), .events = POLLIN };

			poll(&p, 1, 20);
			vcg_card_dispatch(card);
		}
	}
	if (exchange(CCID_PC_ICC_POWER_ON, NULL, 0) < 0 || answer[7] != 0) {
		fprintf(stderr, "xfr_cost: IccPowerOn failed (status %02x error %02x)\n",
			answer[7], answer[8]);
		return 1;
	}
	for (long k = 0; k < warmup + n; k++) {
		if (session != NULL) {
			if (fgets(line, sizeof(line), session) == NULL)
				break;
			apdu_len = parse_hex(line, apdu, sizeof(apdu));
		}
		if (exchange(CCID_PC_XFR_BLOCK, apdu, apdu_len) < 0)
			return 1;
		size_t l = answer_len;

		if (session != NULL) {
			if (answer[7] != 0 || l < 12) {
				fprintf(stderr, "xfr_cost: session line %ld: status %02x\n",
					k + 1, answer[7]);
				return 1;
			}
			continue;
		}
		if (answer[7] != 0 || l < 12 ||
		    !(answer[l - 2] == 0x90 || answer[l - 2] == 0x61)) {
			fprintf(stderr, "xfr_cost: XfrBlock %ld: status %02x, SW %02x%02x\n",
				k, answer[7], answer[l - 2], answer[l - 1]);
			return 1;
		}
	}
	printf("xfr_cost: %ld XfrBlocks done (%s)\n", n, vcg_card_describe(card));
	/* XFR_COST_SMAPS=1: where the resident memory is (bench/run uses it
	 * to explain the RSS figures). */
	if (getenv("XFR_COST_SMAPS") && system("grep -E '^Vm(HWM|RSS)' /proc/$PPID/status; "
			"awk '/^[0-9a-f]+-/ { n = NF >= 6 ? $6 : \"[anon]\" } /^Rss:/ { r[n] += $2 } "
			"END { for (k in r) if (r[k] >= 64) print r[k] \" kB \" k }' /proc/$PPID/smaps | sort -rn") != 0)
		fprintf(stderr, "xfr_cost: smaps summary failed\n");
	vcg_card_destroy(card);
	ffs_io_destroy(&loop.io);
	close(loop.timerfd);
	ccid_engine_free(loop.eng);
	return 0;
}
