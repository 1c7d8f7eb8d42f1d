/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transfer state machine (gadget_xfer.c) with the real engine and the
 * test card, over socketpairs standing in for the endpoint files: OUT reads
 * feed the engine, replies go out on bulk-IN and are popped only after
 * their write (and ZLP) completed, notifications go out on interrupt-IN,
 * and a host that goes away leaves nothing half-done. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "xfer_bed.h"
#include "pcap_writer.h"
#include "tap.h"

static struct gadget_loop l;
static struct gadget_loop_params params;
static struct vcg_card *card;
static struct xfer_bed_files files;

/* Run completions and kicks until nothing moves. A socket with nothing to
 * read completes a read with -EAGAIN, which marks bulk-OUT down; the real
 * timer would retry it, here the next send_cmd() does. */
static void pump(void)
{
	struct pollfd pfd;
	int i;

	for (i = 0; i < 50; i++) {
		gadget_xfer_kick(&l);
		pfd.fd = l.io.evfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1)
			return;
		ffs_io_reap(&l.io, gadget_xfer_done, &l);
	}
}

static void send_cmd(const uint8_t *msg, size_t len)
{
	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], msg, len), (ssize_t)len);
	l.ep_down[FFS_EP_BULK_OUT] = false;
	pump();
}

static ssize_t recv_on(enum ffs_ep_index ep, uint8_t *buf, size_t cap)
{
	return read(files.peer[ep], buf, cap);
}

static void notify_on_enable(void)
{
	uint8_t buf[16];

	ccid_engine_enabled(l.eng);
	pump();
	/* RDR_to_PC_NotifySlotChange (Section 6.3.1): slot 0 present, changed */
	CHECK_EQ(recv_on(FFS_EP_INTR_IN, buf, sizeof(buf)), 2);
	CHECK_EQ(buf[0], 0x50);
	CHECK_EQ(buf[1], 0x03);
	CHECK(ccid_engine_peek_intr_in(l.eng) == NULL);
}

static void slot_status(void)
{
	static const uint8_t cmd[10] = { 0x65, 0, 0, 0, 0, 0, 0x21, 0, 0, 0 };
	uint8_t buf[64];

	send_cmd(cmd, sizeof(cmd));
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);
	CHECK_EQ(buf[0], 0x81);    /* RDR_to_PC_SlotStatus */
	CHECK_EQ(buf[6], 0x21);    /* bSeq */
	CHECK(ccid_engine_peek_bulk_in(l.eng) == NULL);
	CHECK_EQ(l.in_phase, IN_IDLE);
}

static void apdu_round_trip(void)
{
	static const uint8_t power_on[10] = { 0x62, 0, 0, 0, 0, 0, 0x22, 0, 0, 0 };
	/* SELECT the test card's AID (vcg_testcard.c) */
	static const uint8_t xfr[10 + 13] = {
		0x6F, 13, 0, 0, 0, 0, 0x23, 0, 0, 0,
		0x00, 0xA4, 0x04, 0x00, 0x08,
		0xF0, 0x43, 0x43, 0x49, 0x44, 0x54, 0x43, 0x01,
	};
	uint8_t buf[128];
	ssize_t n;

	send_cmd(power_on, sizeof(power_on));
	n = recv_on(FFS_EP_BULK_IN, buf, sizeof(buf));
	CHECK(n > 10);
	CHECK_EQ(buf[0], 0x80);    /* RDR_to_PC_DataBlock with the ATR */
	CHECK_EQ(buf[7] & 0x40, 0);
	send_cmd(xfr, sizeof(xfr));
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 12);
	CHECK_EQ(buf[0], 0x80);
	CHECK_EQ(buf[1], 2);
	CHECK_EQ(buf[6], 0x23);
	CHECK_EQ(buf[10], 0x90);
	CHECK_EQ(buf[11], 0x00);
}

/* A reply that fills its last packet: data, then a ZLP, then the pop. */
static void zlp_before_pop(void)
{
	static const uint8_t cmd[10] = { 0x65, 0, 0, 0, 0, 0, 0x24, 0, 0, 0 };
	uint8_t buf[64];

	l.in_mps = 10;   /* a SlotStatus (10 bytes) now ends on a packet edge */
	ccid_engine_set_packet_sizes(l.eng, l.out_mps, l.in_mps);
	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)), 10);
	l.ep_down[FFS_EP_BULK_OUT] = false;

	gadget_xfer_kick(&l);                    /* OUT read */
	ffs_io_reap(&l.io, gadget_xfer_done, &l); /* -> engine -> reply */
	CHECK(ccid_engine_peek_bulk_in(l.eng) != NULL);
	CHECK(ccid_engine_peek_bulk_in(l.eng)->zlp);
	gadget_xfer_kick(&l);                    /* the reply */
	CHECK_EQ(l.in_phase, IN_DATA);
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	CHECK_EQ(l.in_phase, IN_ZLP_DUE);
	CHECK(ccid_engine_peek_bulk_in(l.eng) != NULL);   /* not popped yet */
	gadget_xfer_kick(&l);                    /* the ZLP */
	CHECK_EQ(l.in_phase, IN_ZLP);
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	CHECK_EQ(l.in_phase, IN_IDLE);
	CHECK(ccid_engine_peek_bulk_in(l.eng) == NULL);
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);
	CHECK_EQ(buf[6], 0x24);

	l.in_mps = 64;
	ccid_engine_set_packet_sizes(l.eng, l.out_mps, l.in_mps);
}

/* The host goes away with a reply in flight: its completion is stale, the
 * engine was reset, nothing is popped twice. */
static void host_gone_mid_write(void)
{
	static const uint8_t cmd[10] = { 0x65, 0, 0, 0, 0, 0, 0x25, 0, 0, 0 };
	uint8_t buf[64];

	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)), 10);
	l.ep_down[FFS_EP_BULK_OUT] = false;
	gadget_xfer_kick(&l);
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	gadget_xfer_kick(&l);                    /* reply in flight */
	CHECK_EQ(l.in_phase, IN_DATA);
	CHECK(l.io.ep[FFS_EP_BULK_IN].busy);

	gadget_host_gone(&l);
	CHECK(!l.usb.enabled);
	CHECK_EQ(l.in_phase, IN_IDLE);
	CHECK(ccid_engine_peek_bulk_in(l.eng) == NULL);
	ffs_io_reap(&l.io, gadget_xfer_done, &l);   /* stale: dropped */
	CHECK(!l.io.ep[FFS_EP_BULK_IN].busy);
	CHECK_EQ(l.in_phase, IN_IDLE);
	/* the bytes did reach the socket; a real host would never see them */
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);

	/* disabled: nothing is started */
	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)), 10);
	l.ep_down[FFS_EP_BULK_OUT] = false;
	pump();
	CHECK(!l.io.ep[FFS_EP_BULK_OUT].busy);
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), -1);
	/* re-enabled: served again, the card kept */
	l.usb.enabled = true;
	pump();
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);
	CHECK_EQ(buf[0], 0x81);
	CHECK_EQ(buf[6], 0x25);
	CHECK_EQ(buf[7] & 0x03, 1);   /* card present, not powered */
}

/* A new host session's endpoints are live before the loop has read its
 * ENABLE (FunctionFS re-enables them, then queues the event; a DISABLE
 * before it may be merged away, so the loop still thinks the old session
 * is on). Its first command must wait for enable(): read before it, it
 * would be dropped with the old session and the host would never get an
 * answer (a port reset that hung in the 1000-storm soak). */
static void new_session_waits_for_its_enable(void)
{
	static const uint8_t cmd[10] = { 0x65, 0, 0, 0, 0, 0, 0x28, 0, 0, 0 };
	uint8_t buf[64], ev = 1;

	CHECK(l.usb.enabled);
	CHECK(!l.io.ep[FFS_EP_BULK_OUT].busy);
	CHECK_EQ(write(files.ep0_peer, &ev, 1), 1); /* the ENABLE, unread */
	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)), 10);
	l.ep_down[FFS_EP_BULK_OUT] = false;
	gadget_xfer_kick(&l);
	CHECK(!l.io.ep[FFS_EP_BULK_OUT].busy);   /* no read submitted */
	/* the loop reads ep0; enable() starts the new session */
	CHECK_EQ(read(files.ffs.ep0, &ev, 1), 1);
	gadget_host_gone(&l);
	l.usb.enabled = true;
	pump();
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);
	CHECK_EQ(buf[0], 0x81);
	CHECK_EQ(buf[6], 0x28);
}

/* A transfer error other than "host gone" drops the message instead of
 * sending it again and again. */
static void failed_write_drops_message(void)
{
	static const uint8_t cmd[10] = { 0x65, 0, 0, 0, 0, 0, 0x26, 0, 0, 0 };

	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)), 10);
	l.ep_down[FFS_EP_BULK_OUT] = false;
	gadget_xfer_kick(&l);
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	CHECK(ccid_engine_peek_bulk_in(l.eng) != NULL);
	l.in_phase = IN_DATA;   /* as if the write was submitted */
	gadget_xfer_done(&l, FFS_EP_BULK_IN, -EPIPE);
	CHECK(ccid_engine_peek_bulk_in(l.eng) == NULL);
	CHECK_EQ(l.in_phase, IN_IDLE);
	CHECK(!l.ep_down[FFS_EP_BULK_IN]);
	/* "host gone" errors keep it for the retry */
	gadget_xfer_done(&l, FFS_EP_INTR_IN, -ESHUTDOWN);
	CHECK(l.ep_down[FFS_EP_INTR_IN]);
	l.ep_down[FFS_EP_INTR_IN] = false;
}

/* --pcap through the real OUT path: a message read as one packet, then
 * the rest, is one URB in the capture, written once the engine's framing
 * says the transfer is over (not after the first packet). */
static void pcap_one_urb_per_split_message(void)
{
	struct ccid_reader_config cfg;
	struct pcapw_identity id = { 0, 0, 0x0100 };
	struct pcapw *w = NULL;
	uint8_t cmd[10 + 100] = { 0x6F, 100, 0, 0, 0, 0, 0x27, 0, 0, 0 };
	char path[64], err[256];
	uint8_t buf[64];

	snprintf(path, sizeof(path), "/tmp/test_ffs_xfer.%d.pcap",
		 (int)getpid());
	ccid_reader_config_default(&cfg);
	CHECK_EQ(pcapw_open(path, &cfg, &id, &w, err, sizeof(err)), 0);
	if (!w)
		return;
	params.pcap = w;
	memset(cmd + 10, 0x5A, 100);
	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)),
		 (ssize_t)sizeof(cmd));
	l.ep_down[FFS_EP_BULK_OUT] = false;
	gadget_xfer_kick(&l);                      /* one packet: 64 */
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	CHECK_EQ(pcapw_records(w), 0);             /* the transfer goes on */
	gadget_xfer_kick(&l);                      /* the rest: 46 of 64 */
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	CHECK_EQ(pcapw_records(w), 2);             /* Submit + Complete */
	pump();                                    /* the reply */
	CHECK(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)) >= 10);
	CHECK_EQ(buf[6], 0x27);
	CHECK_EQ(pcapw_records(w), 4);
	params.pcap = NULL;
	pcapw_close(w);
	unlink(path);
}

/* A transfer of whole packets that a zero-length packet ends before its
 * dwLength: the ZLP hides in the read that asked for more (it comes back
 * with 64 of 192 bytes). The message is answered bError 1 (dwLength) at
 * once, and the next command is answered in step, not swallowed. */
static void zlp_inside_a_longer_read(void)
{
	uint8_t cmd[128] = { 0x6F, 200, 0, 0, 0, 0, 0x28, 0, 0, 0 };
	static const uint8_t next[10] = { 0x65, 0, 0, 0, 0, 0, 0x29, 0, 0, 0 };
	uint8_t buf[64];

	memset(cmd + 10, 0xA5, sizeof(cmd) - 10);
	CHECK_EQ(write(files.peer[FFS_EP_BULK_OUT], cmd, sizeof(cmd)),
		 (ssize_t)sizeof(cmd));
	l.ep_down[FFS_EP_BULK_OUT] = false;
	gadget_xfer_kick(&l); /* one packet: 64 */
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	gadget_xfer_kick(&l); /* asks 192, gets 64 */
	CHECK_EQ(l.io.ep[FFS_EP_BULK_OUT].iocb.u.c.nbytes, 192);
	ffs_io_reap(&l.io, gadget_xfer_done, &l);
	CHECK(ccid_engine_out_idle(l.eng));
	pump();
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);
	CHECK_EQ(buf[0], 0x80); /* RDR_to_PC_DataBlock */
	CHECK_EQ(buf[6], 0x28);
	CHECK_EQ(buf[7] & 0x40, 0x40); /* failed */
	CHECK_EQ(buf[8], 0x01);        /* bError: dwLength */
	send_cmd(next, sizeof(next));
	CHECK_EQ(recv_on(FFS_EP_BULK_IN, buf, sizeof(buf)), 10);
	CHECK_EQ(buf[0], 0x81);
	CHECK_EQ(buf[6], 0x29);
}

int main(void)
{
	if (xfer_bed_open(&l, &params, &files, &card) < 0)
		return 1;

	RUN(notify_on_enable);
	RUN(slot_status);
	RUN(apdu_round_trip);
	RUN(zlp_before_pop);
	RUN(host_gone_mid_write);
	RUN(failed_write_drops_message);
	RUN(pcap_one_urb_per_split_message);
	RUN(zlp_inside_a_longer_read);
	RUN(new_session_waits_for_its_enable);

	xfer_bed_close(&l, &files, card);
	TAP_EXIT();
}
