/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "passthru" card driver (vcard-glue/passthru/vcg_pt_*.c): a VSCard server in
 * front of an engine slot, driven by a scripted client on a real socket
 * (TCP on 127.0.0.1 with a kernel-picked port, and a Unix socket), the
 * host side by CCID messages into the engine.
 *
 * The seed's scenario (Init, ReaderAdd, ATR, APDUs both ways, CardRemove,
 * ReaderRemove), reconnects, a second client, answers in order after an
 * APDU timed out, client errors in both byte orders, an extended APDU,
 * and malformed streams that must drop the client and leave the daemon
 * serving the next one. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ccid_proto.h"
#include "ccid_fake.h"
#include "tap.h"
#include "vcg_card.h"
#include "vcg_stream.h"
#include "vcg_tls.h"
#include "vscard_codec.h"
#include "vsc_tls_peer.h"

static const uint8_t atr[] = { 0x3B, 0x02, 0x14, 0x50 };
static const uint8_t select_apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };

static char err[512];
static uint8_t in[70000];
static uint8_t big[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];

struct peer {
	int fd;
	struct vsc_decoder dec;
};

/* ---- the server side: dispatch the card until quiet ---- */

static int dispatch_for(struct vcg_card *card, int ms)
{
	struct pollfd p = { .fd = vcg_card_fd(card), .events = POLLIN };
	int n = poll(&p, 1, ms);

	if (n == 1)
		vcg_card_dispatch(card);
	return n;
}

/* Dispatch until the card is quiet. Called after the client wrote, so
 * the first event is due; loopback delivery can still lag on a loaded
 * machine, hence the long first wait. */
static void pump(struct vcg_card *card)
{
	if (dispatch_for(card, 2000) != 1)
		return;
	for (int i = 0; i < 64 && dispatch_for(card, 20) == 1; i++)
		;
}

/* ---- the client side ---- */

static int port_of(struct vcg_card *card)
{
	const char *d = strrchr(vcg_card_describe(card), ':');

	return d ? atoi(d + 1) : -1;
}

static struct peer *peer_new(int fd)
{
	struct peer *p = calloc(1, sizeof(*p));

	p->fd = fd;
	vsc_decoder_init(&p->dec);
	return p;
}

static void peer_free(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

static void raw_send(struct peer *p, const void *buf, size_t len)
{
	CHECK_EQ(send(p->fd, buf, len, MSG_NOSIGNAL), (long long)len);
}

/* Next message from the server within 2 s (the server already wrote it
 * during a pump): 1 and *m, 0 at EOF, -1 on timeout or a bad stream. */
static int next_msg(struct peer *p, struct vsc_msg *m)
{
	for (;;) {
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };
		uint8_t c;
		size_t used;
		int rc = vsc_decoder_next(&p->dec, m);

		if (rc != 0)
			return rc > 0 ? 1 : -1;
		if (poll(&pf, 1, 2000) != 1)
			return -1;
		/* Byte by byte: the decoder must never see a second message
		 * behind the first in one feed (simpler than keeping rest). */
		if (recv(p->fd, &c, 1, 0) != 1)
			return 0;
		if (vsc_decoder_feed(&p->dec, &c, 1, &used) < 0)
			return -1;
	}
}

static bool expect(struct peer *p, uint32_t type, uint32_t code)
{
	struct vsc_msg m;

	if (next_msg(p, &m) != 1) {
		fprintf(stderr, "  expected %s, got nothing\n", vsc_type_name(type));
		return false;
	}
	if (m.type != type || (type == VSC_ERROR && m.error_code != code)) {
		fprintf(stderr, "  expected %s (%u), got %s (%u)\n",
			vsc_type_name(type), code, vsc_type_name(m.type),
			m.type == VSC_ERROR ? m.error_code : 0);
		return false;
	}
	return true;
}

static void send_msg_type(struct peer *p, uint32_t type, const uint8_t *data,
			  size_t len)
{
	static const uint32_t caps[1] = { 0 };
	int n = -1;

	switch (type) {
	case VSC_INIT:
		n = vsc_encode_init(big, sizeof(big), VSC_READER_UNDEFINED, caps, 1);
		break;
	case VSC_READER_ADD:
		n = vsc_encode_reader_add(big, sizeof(big), VSC_READER_UNDEFINED,
					  data, len);
		break;
	case VSC_READER_REMOVE:
		n = vsc_encode_reader_remove(big, sizeof(big), 0);
		break;
	case VSC_ATR:
		n = vsc_encode_atr(big, sizeof(big), 0, data, len);
		break;
	case VSC_CARD_REMOVE:
		n = vsc_encode_card_remove(big, sizeof(big), 0);
		break;
	case VSC_APDU:
		n = vsc_encode_apdu(big, sizeof(big), 0, data, len);
		break;
	case VSC_FLUSH:
		n = vsc_encode_flush(big, sizeof(big), 0);
		break;
	}
	CHECK(n > 0);
	if (n > 0)
		raw_send(p, big, (size_t)n);
}

/* Connect, see the server's Init, send ours. */
static struct peer *hello(struct vcg_card *card, int port)
{
	struct peer *p = peer_new(connect_tcp(port, 0));
	struct vsc_msg m;

	CHECK(p->fd >= 0);
	pump(card);
	CHECK_EQ(next_msg(p, &m), 1);
	CHECK_EQ(m.type, VSC_INIT);
	CHECK_EQ(m.version, VSC_VERSION);
	CHECK_EQ(m.reader_id, VSC_READER_UNDEFINED);
	send_msg_type(p, VSC_INIT, NULL, 0);
	pump(card);
	return p;
}

/* Hello, ReaderAdd, ATR: the card is in. */
static struct peer *with_card(struct vcg_card *card, int port)
{
	struct peer *p = hello(card, port);

	send_msg_type(p, VSC_READER_ADD, (const uint8_t *)"laptop", 6);
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	send_msg_type(p, VSC_ATR, atr, sizeof(atr));
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	return p;
}

/* The client answers the APDU it is sent with `rsp`. */
static void answer(struct vcg_card *card, struct peer *p, const uint8_t *cmd,
		   size_t cmd_len, const uint8_t *rsp, size_t rsp_len)
{
	struct vsc_msg m;

	CHECK_EQ(next_msg(p, &m), 1);
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.length, cmd_len);
	if (m.length == cmd_len)
		CHECK_MEM(m.payload, cmd, cmd_len);
	send_msg_type(p, VSC_APDU, rsp, rsp_len);
	pump(card);
}

static struct vcg_card *server(struct ccid_engine *eng, const char *extra)
{
	char spec[256];
	struct vcg_card *card;

	snprintf(spec, sizeof(spec), "passthru,listen=127.0.0.1:0%s", extra);
	card = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));
	if (card == NULL)
		fprintf(stderr, "  %s\n", err);
	else
		vcg_card_set_log(card, ccid_fake_log, NULL);
	return card;
}

static void drain_intr(struct ccid_engine *eng)
{
	while (ccid_engine_peek_intr_in(eng) != NULL)
		ccid_engine_pop_intr_in(eng);
}

/* Power on through the engine: the ATR the client sent. */
static void power_on_sees_atr(struct ccid_engine *eng, uint8_t seq)
{
	size_t n;

	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, seq, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(atr));
	CHECK_EQ(in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(in[7], 0x00);
	CHECK_MEM(in + 10, atr, sizeof(atr));
}

/* ---- cases ---- */

static void scenario(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, "");
	const struct ccid_msg *note;
	static const uint8_t rsp[] = { 0x6F, 0x00, 0x90, 0x00 };
	struct peer *p;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	CHECK(port_of(card) > 0);
	CHECK(!vcg_card_wants_usb(card));   /* attach=reader: no reader yet */
	drain_intr(eng);
	p = hello(card, port_of(card));
	CHECK(!vcg_card_wants_usb(card));
	send_msg_type(p, VSC_READER_ADD, NULL, 0);   /* vscclient: no name */
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	CHECK(vcg_card_wants_usb(card));
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);   /* no card yet */

	send_msg_type(p, VSC_ATR, atr, sizeof(atr));
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	note = ccid_engine_peek_intr_in(eng);
	CHECK(note != NULL && note->data[0] == CCID_RDR_NOTIFY_SLOT_CHANGE &&
	      (note->data[1] & 0x03) == 0x03);
	drain_intr(eng);
	power_on_sees_atr(eng, 1);

	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 0);   /* waits for the client */
	answer(card, p, select_apdu, sizeof(select_apdu), rsp, sizeof(rsp));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(rsp));
	CHECK_EQ(in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(in[6], 2);
	CHECK_MEM(in + 10, rsp, sizeof(rsp));

	/* Flush is answered. */
	send_msg_type(p, VSC_FLUSH, NULL, 0);
	pump(card);
	CHECK(expect(p, VSC_FLUSH_COMPLETE, 0));

	send_msg_type(p, VSC_CARD_REMOVE, NULL, 0);
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	note = ccid_engine_peek_intr_in(eng);
	CHECK(note != NULL && (note->data[1] & 0x03) == 0x02);   /* absent, changed */
	drain_intr(eng);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 3, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[7], CCID_STATUS(0, CCID_CMD_STATUS_FAILED) | CCID_ICC_STATUS_ABSENT);
	CHECK(vcg_card_wants_usb(card));

	send_msg_type(p, VSC_READER_REMOVE, NULL, 0);
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	CHECK(!vcg_card_wants_usb(card));
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void reconnect_gets_reader_back(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, "");
	static const uint8_t rsp[] = { 0x90, 0x00 };
	struct peer *p;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	p = with_card(card, port_of(card));
	CHECK(vcg_card_wants_usb(card));
	power_on_sees_atr(eng, 1);
	/* Dropped mid-APDU: the host's command fails, the slot empties. */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	peer_free(p);
	pump(card);
	CHECK(!vcg_card_wants_usb(card));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[6], 2);
	CHECK_EQ(in[7] & CCID_STATUS(0, CCID_CMD_STATUS_FAILED), CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
	drain_intr(eng);

	p = with_card(card, port_of(card));
	CHECK(vcg_card_wants_usb(card));
	power_on_sees_atr(eng, 3);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 4, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	answer(card, p, select_apdu, sizeof(select_apdu), rsp, sizeof(rsp));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 12);
	CHECK_EQ(in[6], 4);
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void second_client_refused(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, "");
	static const uint8_t rsp[] = { 0x90, 0x00 };
	struct peer *p, *q;
	struct vsc_msg m;

	CHECK(card != NULL);
	if (!card)
		return;
	p = with_card(card, port_of(card));
	q = peer_new(connect_tcp(port_of(card), 0));
	pump(card);
	CHECK(expect(q, VSC_INIT, 0));
	CHECK(expect(q, VSC_ERROR, VSC_ERR_CANNOT_ADD_MORE_READERS));
	CHECK_EQ(next_msg(q, &m), 0);   /* closed */
	peer_free(q);
	/* The first client is untouched. */
	power_on_sees_atr(eng, 1);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	answer(card, p, select_apdu, sizeof(select_apdu), rsp, sizeof(rsp));
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 12);
	/* A second reader on the same connection is refused too. */
	send_msg_type(p, VSC_READER_ADD, NULL, 0);
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_CANNOT_ADD_MORE_READERS));
	/* And an ATR with the card already in. */
	send_msg_type(p, VSC_ATR, atr, sizeof(atr));
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_CARD_ALREADY_INSERTED));
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

/* timeout=1: the host is kept waiting with time extensions, then the
 * APDU fails as a mute card; the late answer must not be taken for the
 * next APDU's. */
static void timeout_then_answers_stay_in_order(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, ",timeout=1");
	static const uint8_t late[] = { 0x6A, 0x82 };
	static const uint8_t ok_rsp[] = { 0x01, 0x02, 0x90, 0x00 };
	static const uint8_t second[] = { 0x00, 0xB0, 0x00, 0x00, 0x02 };
	struct peer *p;
	struct vsc_msg m;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	p = with_card(card, port_of(card));
	power_on_sees_atr(eng, 1);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	CHECK_EQ(next_msg(p, &m), 1);   /* the client has it, and stalls */
	CHECK_EQ(m.type, VSC_APDU);
	for (unsigned i = 0; i < CCID_FAKE_TE_TICKS; i++)
		ccid_engine_tick(eng);   /* the first time extension is due */
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[7] & CCID_STATUS(0, CCID_CMD_STATUS_TIME_EXT), CCID_STATUS(0, CCID_CMD_STATUS_TIME_EXT));
	CHECK_EQ(dispatch_for(card, 3000), 1);   /* the 1 s timer */
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);
	CHECK_EQ(in[6], 2);
	CHECK_EQ(in[7] & CCID_STATUS(0, CCID_CMD_STATUS_FAILED), CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
	CHECK_EQ(in[8], CCID_ERR_ICC_MUTE);

	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 3, 0, 0, 0, second, sizeof(second));
	CHECK_EQ(next_msg(p, &m), 1);
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.length, sizeof(second));
	/* Late answer to the first, then the second's answer. */
	send_msg_type(p, VSC_APDU, late, sizeof(late));
	pump(card);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 0);
	send_msg_type(p, VSC_APDU, ok_rsp, sizeof(ok_rsp));
	pump(card);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(ok_rsp));
	CHECK_EQ(in[6], 3);
	CHECK_MEM(in + 10, ok_rsp, sizeof(ok_rsp));
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

/* An Error in answer to an APDU fails it (hardware error), whichever
 * byte order the code came in (vscclient sends it raw, little-endian
 * here). */
static void client_error_fails_apdu(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, "");
	static const uint8_t le_general[VSC_HEADER_LEN + 4] = {
		0, 0, 0, VSC_ERROR, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0,
	};
	struct peer *p;
	struct vsc_msg m;
	uint8_t buf[64];
	int k;

	CHECK(card != NULL);
	if (!card)
		return;
	p = with_card(card, port_of(card));
	power_on_sees_atr(eng, 1);
	for (k = 0; k < 2; k++) {
		ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, (uint8_t)(2 + k), 0, 0, 0,
			       select_apdu, sizeof(select_apdu));
		CHECK_EQ(next_msg(p, &m), 1);
		if (k == 0) {
			int n = vsc_encode_error(buf, sizeof(buf), 0, VSC_ERR_GENERAL);

			raw_send(p, buf, (size_t)n);
		} else {
			raw_send(p, le_general, sizeof(le_general));
		}
		pump(card);
		CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10);
		CHECK_EQ(in[6], 2 + k);
		CHECK_EQ(in[7] & CCID_STATUS(0, CCID_CMD_STATUS_FAILED), CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
		CHECK_EQ(in[8], CCID_ERR_HW_ERROR);
	}
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

/* An extended APDU both ways: 65535-byte data out, 65536 + SW back. */
static void extended_apdu(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, "");
	static uint8_t cmd[7 + 65535 + 2], rsp[65538];
	struct peer *p;
	size_t n;

	CHECK(card != NULL);
	if (!card)
		return;
	cmd[0] = 0x00;
	cmd[1] = 0xD6;
	cmd[4] = 0x00;
	cmd[5] = 0xFF;
	cmd[6] = 0xFF;
	for (size_t i = 0; i < 65535; i++)
		cmd[7 + i] = (uint8_t)i;
	for (size_t i = 0; i < 65536; i++)
		rsp[i] = (uint8_t)(i * 7);
	rsp[65536] = 0x90;
	p = with_card(card, port_of(card));
	power_on_sees_atr(eng, 1);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, cmd, 7 + 65535);
	/* The big APDU may need several sends: pump until the client has
	 * read it all. */
	{
		struct vsc_msg m;
		int got = 0;

		for (int i = 0; i < 200 && !got; i++) {
			struct pollfd pf = { .fd = p->fd, .events = POLLIN };
			uint8_t chunk[8192];
			ssize_t r;
			size_t off = 0, used;

			dispatch_for(card, 5);
			if (poll(&pf, 1, 50) != 1)
				continue;
			r = recv(p->fd, chunk, sizeof(chunk), 0);
			while (r > 0 && off < (size_t)r && !got) {
				CHECK_EQ(vsc_decoder_feed(&p->dec, chunk + off,
							  (size_t)r - off, &used), 0);
				off += used;
				if (vsc_decoder_next(&p->dec, &m) == 1)
					got = 1;
			}
			CHECK_EQ(off, (size_t)r);
		}
		CHECK(got);
		if (got) {
			CHECK_EQ(m.type, VSC_APDU);
			CHECK_EQ(m.length, 7 + 65535);
			CHECK_MEM(m.payload, cmd, 7 + 65535);
		}
	}
	send_msg_type(p, VSC_APDU, rsp, sizeof(rsp));
	pump(card);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(rsp));
	CHECK_MEM(in + 10, rsp, sizeof(rsp));
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

/* Each bad stream drops the client (EOF) with the card state cleared;
 * the next client is served normally. */
static void malformed_streams_drop_the_client(void)
{
	static const uint8_t bad_magic[] = {
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 12,
		'X', 'S', 'C', 'D', 0, 0, 0, 2, 0, 0, 0, 0,
	};
	static const uint8_t bad_version[] = {
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 12,
		'V', 'S', 'C', 'D', 0, 0x20, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t huge_len[] = {
		0, 0, 0, 7, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t unknown_type[] = {
		0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t not_init_first[] = {
		0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static uint8_t long_atr[VSC_HEADER_LEN + 34] = {
		0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 34, 0x3B,
	};
	struct {
		const char *name;
		const uint8_t *bytes;
		size_t len;
		bool after_init;
	} cases[] = {
		{ "bad magic", bad_magic, sizeof(bad_magic), false },
		{ "bad version", bad_version, sizeof(bad_version), false },
		{ "length 0xffffffff", huge_len, sizeof(huge_len), true },
		{ "unknown type", unknown_type, sizeof(unknown_type), true },
		{ "ReaderAdd before Init", not_init_first, sizeof(not_init_first), false },
		{ "ATR of 34 bytes", long_atr, sizeof(long_atr), true },
	};
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = server(eng, "");
	static const uint8_t rsp[] = { 0x90, 0x00 };
	struct peer *p;
	struct vsc_msg m;

	CHECK(card != NULL);
	if (!card)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		if (cases[i].after_init) {
			p = with_card(card, port_of(card));
		} else {
			p = peer_new(connect_tcp(port_of(card), 0));
			pump(card);
			CHECK(expect(p, VSC_INIT, 0));
		}
		raw_send(p, cases[i].bytes, cases[i].len);
		pump(card);
		while ((rc = next_msg(p, &m)) == 1)
			;   /* replies before the drop, if any */
		if (rc != 0)
			fprintf(stderr, "  %s: not dropped\n", cases[i].name);
		CHECK_EQ(rc, 0);
		CHECK(!vcg_card_wants_usb(card));
		peer_free(p);   /* the server closed first: nothing to see */
	}
	/* Split into single bytes: still one message. */
	p = hello(card, port_of(card));
	{
		uint8_t buf[64];
		int n = vsc_encode_reader_add(buf, sizeof(buf), VSC_READER_UNDEFINED,
					      NULL, 0);

		for (int k = 0; k < n; k++) {
			raw_send(p, buf + k, 1);
			pump(card);
		}
		CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	}
	send_msg_type(p, VSC_ATR, atr, sizeof(atr));
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	drain_intr(eng);
	power_on_sees_atr(eng, 1);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	answer(card, p, select_apdu, sizeof(select_apdu), rsp, sizeof(rsp));
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 12);
	/* An ATR that is no ATR is refused, the connection kept. */
	send_msg_type(p, VSC_CARD_REMOVE, NULL, 0);
	pump(card);
	CHECK(expect(p, VSC_ERROR, VSC_ERR_SUCCESS));
	{
		static const uint8_t junk[] = { 0x12, 0x34 };

		send_msg_type(p, VSC_ATR, junk, sizeof(junk));
		pump(card);
		CHECK(expect(p, VSC_ERROR, VSC_ERR_GENERAL));
	}
	/* An answer nobody asked for is ignored. */
	send_msg_type(p, VSC_APDU, rsp, sizeof(rsp));
	pump(card);
	send_msg_type(p, VSC_FLUSH, NULL, 0);
	pump(card);
	CHECK(expect(p, VSC_FLUSH_COMPLETE, 0));
	peer_free(p);
	pump(card);
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void unix_socket_and_attach_always(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char spec[160];
	struct vcg_card *card;
	struct peer *p;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/test_vcg_pt.%d", getpid());
	snprintf(spec, sizeof(spec), "passthru,listen=unix:%s,attach=always",
		 sa.sun_path);
	card = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));
	CHECK(card != NULL);
	if (!card) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(vcg_card_wants_usb(card));
	{
		struct stat st;

		CHECK_EQ(lstat(sa.sun_path, &st), 0);
		CHECK(S_ISSOCK(st.st_mode));
		CHECK_EQ(st.st_mode & 0777, 0600);   /* root and the daemon only */
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	p = peer_new(fd);
	pump(card);
	CHECK(expect(p, VSC_INIT, 0));
	CHECK_EQ(vcg_card_set_present(card, false), -EOPNOTSUPP);
	peer_free(p);
	pump(card);
	CHECK(vcg_card_wants_usb(card));
	vcg_card_destroy(card);
	CHECK(access(sa.sun_path, F_OK) != 0);   /* removed at the end */
	ccid_engine_free(eng);
}

/* ---- TLS: a client thread on the blocking TLS stream ---- */

struct tls_client {
	const char *dir;        /* client credentials */
	int port;
	int result;             /* 0: Init, ReaderAdd, ATR, one APDU done */
	char why[256];
};

static void *tls_client_main(void *arg)
{
	static const uint32_t caps[1] = { 0 };
	static const uint8_t rsp[] = { 0x90, 0x00 };
	struct tls_client *tc = arg;
	struct vcg_tls_client *cli = vcg_tls_client_new(tc->dir, tc->why,
							  sizeof(tc->why));
	struct vsc_decoder *dec = calloc(1, sizeof(*dec));
	struct vcg_stream *s;
	struct vsc_msg m;
	uint8_t buf[64];

	tc->result = -1;
	vsc_decoder_init(dec);
	s = tls_stream_open(cli, tc->port, tc->why, sizeof(tc->why));
	if (s == NULL)
		goto out;
	if (stream_next(s, dec, &m) != 1 || m.type != VSC_INIT) {
		snprintf(tc->why, sizeof(tc->why), "no Init: %s", s->why);
		goto out;
	}
	if (stream_send_msg(s, buf, vsc_encode_init(buf, sizeof(buf),
			VSC_READER_UNDEFINED, caps, 1)) < 0 ||
	    stream_send_msg(s, buf, vsc_encode_reader_add(buf, sizeof(buf),
			VSC_READER_UNDEFINED, NULL, 0)) < 0 ||
	    stream_next(s, dec, &m) != 1 || m.type != VSC_ERROR ||
	    stream_send_msg(s, buf, vsc_encode_atr(buf, sizeof(buf), 0, atr,
			sizeof(atr))) < 0 ||
	    stream_next(s, dec, &m) != 1 || m.type != VSC_ERROR ||
	    stream_next(s, dec, &m) != 1 || m.type != VSC_APDU ||
	    stream_send_msg(s, buf, vsc_encode_apdu(buf, sizeof(buf), 0, rsp,
			sizeof(rsp))) < 0) {
		snprintf(tc->why, sizeof(tc->why), "exchange: %s", s->why);
		goto out;
	}
	tc->result = 0;
out:
	vcg_stream_free(s);
	vcg_tls_client_free(cli);
	free(dec);
	return NULL;
}

static char tls_dir[64];

static void tls_client_certificates(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	char extra[256], cdir[128];
	struct tls_client tc = { 0 };
	struct vcg_card *card;
	pthread_t th;

	snprintf(extra, sizeof(extra), ",tls-creds=%s/server,tls-allow=%s/server/allow-list",
		 tls_dir, tls_dir);
	card = server(eng, extra);
	CHECK(card != NULL);
	if (!card)
		return;
	CHECK(strstr(vcg_card_describe(card), " tls") != NULL);

	/* A client of the CA, on the allow-list: the whole exchange. */
	snprintf(cdir, sizeof(cdir), "%s/client", tls_dir);
	tc.dir = cdir;
	tc.port = port_of(card);
	pthread_create(&th, NULL, tls_client_main, &tc);
	for (int i = 0; i < 200 && !vcg_card_wants_usb(card); i++)
		dispatch_for(card, 50);
	CHECK(vcg_card_wants_usb(card));
	for (int i = 0; i < 200 && ccid_engine_slot_stats(eng, 0, &(struct ccid_slot_stats){0}) == 0; i++) {
		struct ccid_slot_stats st;

		ccid_engine_slot_stats(eng, 0, &st);
		if (st.icc != CCID_ICC_ABSENT)
			break;
		dispatch_for(card, 50);
	}
	power_on_sees_atr(eng, 1);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	for (int i = 0; i < 200 && ccid_engine_peek_bulk_in(eng) == NULL; i++)
		dispatch_for(card, 50);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 12);
	pthread_join(th, NULL);
	if (tc.result != 0)
		fprintf(stderr, "  good client: %s\n", tc.why);
	CHECK_EQ(tc.result, 0);
	pump(card);
	CHECK(!vcg_card_wants_usb(card));

	/* A client that trusts our server but whose certificate is from
	 * another CA (tls_dir/mixed) is refused: it never gets an Init. */
	snprintf(cdir, sizeof(cdir), "%s/mixed", tls_dir);
	memset(&tc, 0, sizeof(tc));
	tc.dir = cdir;
	tc.port = port_of(card);
	pthread_create(&th, NULL, tls_client_main, &tc);
	for (int i = 0; i < 40; i++)
		dispatch_for(card, 50);
	pthread_join(th, NULL);
	CHECK(tc.result != 0);
	CHECK(!vcg_card_wants_usb(card));

	/* A plain client on the TLS port gets nothing either, and its
	 * partial record must not stall the loop (GnuTLS would wait in poll()
	 * with a handshake timeout set: 40 s). */
	{
		struct peer *p = peer_new(connect_tcp(port_of(card), 0));
		struct vsc_msg m;
		time_t t0 = time(NULL);

		raw_send(p, "\0\0\0\1", 4);
		for (int i = 0; i < 10; i++)
			dispatch_for(card, 20);
		CHECK(time(NULL) - t0 < 5);
		CHECK(next_msg(p, &m) != 1);
		peer_free(p);
		pump(card);
	}
	vcg_card_destroy(card);
	ccid_engine_free(eng);
}

static void spec_errors(void)
{
	static const struct {
		const char *spec;
		const char *want;   /* start of the error line */
	} cases[] = {
		{ "passthru", "card spec 'passthru': passthru needs listen=" },
		{ "passthru,listen=", "card spec 'passthru,listen=': 'listen=' is empty (give a value or leave listen out)" },
		{ "passthru,listen=70000", "card spec 'passthru,listen=70000': listen: the port is not a number 0..65535" },
		{ "passthru,listen=::1:5", "card spec 'passthru,listen=::1:5': listen: an IPv6 address needs brackets" },
		{ "passthru,listen=[::1]", "card spec 'passthru,listen=[::1]': listen: an IPv6 address needs brackets and a port" },
		{ "passthru,listen=unix:", "card spec 'passthru,listen=unix:': listen: unix: names no path" },
		{ "passthru,listen=1,attach=never", "card spec 'passthru,listen=1,attach=never': attach must be reader or always" },
		{ "passthru,listen=1,timeout=9999", "card spec 'passthru,listen=1,timeout=9999': timeout=9999 is out of range (use 0..3600)" },
		{ "passthru,listen=1,tls-allow=/x", "card spec 'passthru,listen=1,tls-allow=/x': tls-allow needs tls-creds=DIR" },
		{ "passthru,listen=1,color=red", "card spec 'passthru,listen=1,color=red': unknown property 'color'" },
		{ "passthru,listen=1,tls-creds=/nonexistent", "card spec 'passthru,listen=1,tls-creds=/nonexistent': " },
	};
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *a, *b;
	char spec[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = 1;
		struct vcg_card *card = vcg_card_create(cases[i].spec, eng, 0, &rc, err,
							sizeof(err));

		CHECK(card == NULL);
		CHECK_EQ(rc, -EINVAL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
			fprintf(stderr, "  %s\n    got:  %s\n    want: %s...\n",
				cases[i].spec, err, cases[i].want);
			tap_failed_now = 1;
		}
		CHECK(strchr(err, '\n') == NULL);
		vcg_card_destroy(card);
	}
	/* The port is taken: one line naming it. */
	a = server(eng, "");
	CHECK(a != NULL);
	if (a) {
		snprintf(spec, sizeof(spec), "passthru,listen=127.0.0.1:%d", port_of(a));
		int rc = 1;

		b = vcg_card_create(spec, eng, 0, &rc, err, sizeof(err));
		CHECK(b == NULL);
		CHECK(strstr(err, "Address already in use") != NULL);
		/* not a SPEC error: the kind says so, the line names the port */
		CHECK_EQ(rc, -EADDRINUSE);
		CHECK(strncmp(err, "card spec '", 11) != 0);
		vcg_card_destroy(b);
		vcg_card_destroy(a);
	}
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(scenario);
	RUN(reconnect_gets_reader_back);
	RUN(second_client_refused);
	RUN(timeout_then_answers_stay_in_order);
	RUN(client_error_fails_apdu);
	RUN(extended_apdu);
	RUN(malformed_streams_drop_the_client);
	RUN(unix_socket_and_attach_always);
	RUN(spec_errors);
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/test_vcg_pt_tls.XXXXXX");
	if (mkdtemp(tls_dir) != NULL) {
		char cmd[512];

		/* mixed/: trusts our CA, presents the other CA's certificate */
		snprintf(cmd, sizeof(cmd), "scripts/make-tls-certs %s >/dev/null && "
			 "mkdir %s/mixed && cp %s/client/ca-cert.pem %s/other/client/client-*.pem %s/mixed/",
			 tls_dir, tls_dir, tls_dir, tls_dir, tls_dir);
		if (system(cmd) == 0)
			RUN(tls_client_certificates);
		else
			printf("not ok - make-tls-certs (run from the repo root)\n"), tap_failures++;
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "  could not remove %s\n", tls_dir);
	}
	TAP_EXIT();
}
