/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's VSCard session (vcard-glue/client/vscc_session.c)
 * against a socketpair playing the server, bytes in and out through the
 * codec, and a fake card: the Init exchange, ReaderAdd answered by
 * Error(success), the ATR, APDU round trips (65538-byte response, one
 * byte too many, card errors), Flush, byte-swapped error codes, a bad
 * magic, a server closing mid-message, an unknown type, quit. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "vscard_codec.h"
#include "vscc_session.h"

static struct vscc_session sess;
static struct vsc_decoder sdec;          /* the server's decoder */
static uint8_t wire[VSC_HEADER_LEN + VSC_MAX_PAYLOAD + 16];
static int srv = -1;                      /* the server's end */
static struct vcg_stream *stream;

/* ---- the fake card ---- */

static size_t fake_resp_len;              /* 0: echo the APDU + 90 00 */
static int fake_rc;
static unsigned fake_calls;
static uint8_t fake_last[64];

static int fake_xfr(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
		    size_t cap, size_t *resp_len)
{
	(void)ctx;
	fake_calls++;
	memcpy(fake_last, apdu, len < sizeof(fake_last) ? len : sizeof(fake_last));
	if (fake_rc < 0)
		return fake_rc;
	if (fake_resp_len > 0) {
		size_t n = fake_resp_len < cap ? fake_resp_len : cap;

		for (size_t i = 0; i < n; i++)
			resp[i] = (uint8_t)i;
		resp[n - 2] = 0x90;
		resp[n - 1] = 0x00;
		*resp_len = n;
		return 0;
	}
	if (len + 2 > cap)
		return -ENOSPC;
	memcpy(resp, apdu, len);
	resp[len] = 0x90;
	resp[len + 1] = 0x00;
	*resp_len = len + 2;
	return 0;
}

static const struct vscc_card_ops fake_ops = { .xfr = fake_xfr };

static void quiet(void *ctx, int level, const char *line)
{
	(void)ctx;
	(void)level;
	(void)line;
}

/* ---- the server side ---- */

static void setup(void)
{
	int sv[2], big = 1 << 20;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	srv = sv[1];
	stream = vcg_stream_plain(sv[0], "test-server");
	vscc_session_init(&sess, stream, &fake_ops, NULL);
	sess.log = quiet;
	vsc_decoder_init(&sdec);
	fake_resp_len = 0;
	fake_rc = 0;
	fake_calls = 0;
}

static void teardown(void)
{
	vcg_stream_free(stream);
	stream = NULL;
	if (srv >= 0)
		close(srv);
	srv = -1;
}

static void srv_send(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(srv, buf + off, len - off);

		if (n <= 0) {
			CHECK(n > 0);
			return;
		}
		off += (size_t)n;
	}
}

static void srv_send_msg(int len)
{
	CHECK(len > 0);
	if (len > 0)
		srv_send(wire, (size_t)len);
}

/* The client handles everything the server sent (reads until the socket
 * is drained). Returns the last session result. */
static int client_input(void)
{
	struct pollfd p = { .fd = stream->fd, .events = POLLIN };
	int rc = 0;

	while (rc == 0 && poll(&p, 1, 50) == 1)
		rc = vscc_session_input(&sess);
	return rc;
}

/* The next message the client sent, into *m (payload valid until the next
 * call). 1, or 0 if none came within 1 s. */
static int srv_recv(struct vsc_msg *m)
{
	static uint8_t buf[8192];
	static size_t have, pos;

	for (;;) {
		while (pos < have) {
			size_t used;
			int rc = vsc_decoder_feed(&sdec, buf + pos, have - pos, &used);

			if (rc < 0)
				return 0;
			pos += used;
			if (vsc_decoder_next(&sdec, m) == 1)
				return 1;
		}
		struct pollfd p = { .fd = srv, .events = POLLIN };

		if (poll(&p, 1, 1000) != 1)
			return 0;
		ssize_t n = read(srv, buf, sizeof(buf));
		if (n <= 0)
			return 0;
		have = (size_t)n;
		pos = 0;
	}
}

static int srv_nothing_sent(void)
{
	struct pollfd p = { .fd = srv, .events = POLLIN };

	return poll(&p, 1, 50) == 0;
}

static void srv_init(void)
{
	static const uint32_t caps[1] = { 0 };

	srv_send_msg(vsc_encode_init(wire, sizeof(wire), VSC_READER_UNDEFINED, caps, 1));
}

static void srv_error(uint32_t id, uint32_t code)
{
	srv_send_msg(vsc_encode_error(wire, sizeof(wire), id, code));
}

/* Start, Init both ways, ReaderAdd "Test", Error(success) with reader id
 * `id`, card with a 4-byte ATR: the state every APDU test starts from. */
static void up_with_card(uint32_t id)
{
	static const uint8_t atr[] = { 0x3b, 0x02, 0x14, 0x50 };
	struct vsc_msg m;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m) && m.type == VSC_INIT);
	srv_init();
	CHECK_EQ(client_input(), 0);
	CHECK_EQ(vscc_session_card_insert(&sess, atr, sizeof(atr)), 0);
	CHECK_EQ(vscc_session_reader_add(&sess, "Test"), 0);
	CHECK(srv_recv(&m) && m.type == VSC_READER_ADD);
	srv_error(id, VSC_ERR_SUCCESS);
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m) && m.type == VSC_ATR);
	CHECK_EQ(m.reader_id, id);
}

static void apdu_exchange(uint32_t id, const uint8_t *apdu, size_t len)
{
	srv_send_msg(vsc_encode_apdu(wire, sizeof(wire), id, apdu, len));
}

/* ---- cases ---- */

static void init_is_vsc_init_version_2_one_cap_0(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 12,
		'V', 'S', 'C', 'D', 0, 0, 0, 2, 0, 0, 0, 0,
	};
	uint8_t got[sizeof(want)];
	struct pollfd p = { .fd = 0, .events = POLLIN };

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	p.fd = srv;
	CHECK(poll(&p, 1, 1000) == 1);
	CHECK_EQ(read(srv, got, sizeof(got)), (ssize_t)sizeof(got));
	CHECK_MEM(got, want, sizeof(want));
	CHECK(srv_nothing_sent());
	teardown();
}

static void server_init_twice_is_accepted(void)
{
	struct vsc_msg m;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	srv_init();   /* QEMU: one on connect */
	srv_init();   /* and one in reply to ours */
	CHECK_EQ(client_input(), 0);
	CHECK(sess.got_init);
	CHECK_EQ(sess.server_version, VSC_VERSION);
	CHECK(srv_nothing_sent());
	teardown();
}

static void reader_add_waits_for_server_init(void)
{
	struct vsc_msg m;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(vscc_session_reader_add(&sess, "Test"), 0);
	CHECK_EQ(sess.reader, VSCC_READER_WAIT_INIT);
	CHECK(srv_nothing_sent());
	srv_init();
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_READER_ADD);
	CHECK_EQ(m.reader_id, VSC_READER_UNDEFINED);
	CHECK_EQ(m.length, 4);
	CHECK_MEM(m.payload, "Test", 4);
	CHECK_EQ(sess.reader, VSCC_READER_PENDING);
	teardown();
}

static void reader_add_error_success_assigns_id_then_atr(void)
{
	static const uint8_t atr[] = { 0x3b, 0x7a, 0x18, 0x00, 0x00, 0x73 };
	struct vsc_msg m;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	srv_init();
	CHECK_EQ(client_input(), 0);
	/* the card is in before the reader is added: the ATR waits */
	CHECK_EQ(vscc_session_card_insert(&sess, atr, sizeof(atr)), 0);
	CHECK(srv_nothing_sent());
	CHECK_EQ(vscc_session_reader_add(&sess, "Test"), 0);
	CHECK(srv_recv(&m) && m.type == VSC_READER_ADD);
	srv_error(VSC_READER_MINIMAL, VSC_ERR_SUCCESS);
	CHECK_EQ(client_input(), 0);
	CHECK_EQ(sess.reader, VSCC_READER_ADDED);
	CHECK_EQ(sess.reader_id, 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_ATR);
	CHECK_EQ(m.reader_id, 0);
	CHECK_EQ(m.length, sizeof(atr));
	CHECK_MEM(m.payload, atr, sizeof(atr));
	/* QEMU acknowledges the ATR with Error(success): nothing more */
	srv_error(0, VSC_ERR_SUCCESS);
	CHECK_EQ(client_input(), 0);
	CHECK(srv_nothing_sent());
	teardown();
}

static void reader_refused_cannot_add_more_readers(void)
{
	struct vsc_msg m;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	srv_init();
	CHECK_EQ(client_input(), 0);
	CHECK_EQ(vscc_session_reader_add(&sess, "Test"), 0);
	CHECK(srv_recv(&m));
	srv_error(VSC_READER_UNDEFINED, VSC_ERR_CANNOT_ADD_MORE_READERS);
	CHECK_EQ(client_input(), -ECONNREFUSED);
	CHECK(strstr(vscc_session_why(&sess), "cannot add more readers") != NULL);
	teardown();
}

/* ccid-gadget's answer to a second client: Init, Error(2), close, before
 * the client has sent its ReaderAdd. */
static void refused_before_reader_add(void)
{
	struct vsc_msg m;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	srv_init();
	srv_error(VSC_READER_UNDEFINED, VSC_ERR_CANNOT_ADD_MORE_READERS);
	CHECK_EQ(client_input(), -ECONNREFUSED);
	CHECK(strstr(vscc_session_why(&sess), "cannot add more readers") != NULL);
	teardown();
}

static void byte_swapped_error_code_is_understood(void)
{
	struct vsc_msg m;
	int len;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	srv_init();
	CHECK_EQ(client_input(), 0);
	CHECK_EQ(vscc_session_reader_add(&sess, "Test"), 0);
	CHECK(srv_recv(&m));
	/* code 2 in little-endian order: 02 00 00 00 */
	len = vsc_encode_error(wire, sizeof(wire), VSC_READER_UNDEFINED, 0);
	CHECK_EQ(len, 16);
	wire[12] = 2;
	wire[15] = 0;
	srv_send_msg(len);
	CHECK_EQ(client_input(), -ECONNREFUSED);
	CHECK(strstr(vscc_session_why(&sess), "error 2 (cannot add more readers)") != NULL);
	teardown();
}

static void apdu_round_trip_same_reader_id(void)
{
	static const uint8_t select[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xa0,
		0x00, 0x00, 0x00, 0x79, 0x01, 0x00 };
	struct vsc_msg m;

	up_with_card(7);   /* a server that assigns id 7 */
	apdu_exchange(7, select, sizeof(select));
	CHECK_EQ(client_input(), 0);
	CHECK_EQ(fake_calls, 1);
	CHECK_MEM(fake_last, select, sizeof(select));
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.reader_id, 7);
	CHECK_EQ(m.length, sizeof(select) + 2);
	CHECK_MEM(m.payload, select, sizeof(select));
	CHECK_EQ(m.payload[sizeof(select)], 0x90);
	CHECK_EQ(sess.apdus, 1);
	teardown();
}

static void apdu_response_of_65538_bytes(void)
{
	static const uint8_t get[] = { 0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct vsc_msg m;

	up_with_card(0);
	fake_resp_len = 65538;
	apdu_exchange(0, get, sizeof(get));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.length, 65538);
	CHECK_EQ(m.payload[1000], (uint8_t)1000);
	CHECK_EQ(m.payload[65536], 0x90);
	CHECK_EQ(m.payload[65537], 0x00);
	teardown();
}

static void extended_command_apdu_of_65545_bytes(void)
{
	static uint8_t big[65545];
	struct vsc_msg m;

	up_with_card(0);
	big[0] = 0x00;
	big[1] = 0xd6;
	apdu_exchange(0, big, sizeof(big));
	fake_resp_len = 2;
	CHECK_EQ(client_input(), 0);
	CHECK_EQ(fake_calls, 1);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.length, 2);
	teardown();
}

static void response_filling_the_buffer_is_error_general(void)
{
	static const uint8_t get[] = { 0x00, 0xb0, 0x00, 0x00, 0x00 };
	struct vsc_msg m;

	up_with_card(0);
	fake_resp_len = 65539;   /* one byte more than an extended response */
	apdu_exchange(0, get, sizeof(get));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_ERROR);
	CHECK_EQ(m.error_code, VSC_ERR_GENERAL);
	CHECK_EQ(m.reader_id, 0);
	teardown();
}

static void card_error_is_error_general(void)
{
	static const uint8_t get[] = { 0x00, 0xb0, 0x00, 0x00, 0x00 };
	struct vsc_msg m;

	up_with_card(3);
	fake_rc = -EIO;
	apdu_exchange(3, get, sizeof(get));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_ERROR);
	CHECK_EQ(m.reader_id, 3);
	CHECK_EQ(m.error_code, VSC_ERR_GENERAL);
	/* and the session goes on */
	fake_rc = 0;
	apdu_exchange(3, get, sizeof(get));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m) && m.type == VSC_APDU);
	teardown();
}

static void apdu_without_card_or_for_other_reader(void)
{
	static const uint8_t get[] = { 0x00, 0xb0, 0x00, 0x00, 0x00 };
	struct vsc_msg m;

	up_with_card(0);
	apdu_exchange(5, get, sizeof(get));   /* not our reader */
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_ERROR);
	CHECK_EQ(m.reader_id, 5);
	CHECK_EQ(vscc_session_card_remove(&sess), 0);
	CHECK(srv_recv(&m) && m.type == VSC_CARD_REMOVE);
	apdu_exchange(0, get, sizeof(get));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_ERROR);
	CHECK_EQ(fake_calls, 0);
	teardown();
}

static void flush_gets_flush_complete(void)
{
	struct vsc_msg m;

	up_with_card(0);
	srv_send_msg(vsc_encode_flush(wire, sizeof(wire), 0));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m));
	CHECK_EQ(m.type, VSC_FLUSH_COMPLETE);
	CHECK_EQ(m.reader_id, 0);
	teardown();
}

static void remove_insert_reader_remove_add_and_quit(void)
{
	static const uint8_t atr[] = { 0x3b, 0x02, 0x14, 0x50 };
	struct vsc_msg m;

	up_with_card(0);
	CHECK_EQ(vscc_session_card_remove(&sess), 0);
	CHECK(srv_recv(&m) && m.type == VSC_CARD_REMOVE);
	CHECK_EQ(vscc_session_card_insert(&sess, atr, sizeof(atr)), 0);
	CHECK(srv_recv(&m) && m.type == VSC_ATR);
	CHECK_EQ(vscc_session_reader_remove(&sess), 0);
	CHECK(srv_recv(&m) && m.type == VSC_READER_REMOVE);
	CHECK_EQ(m.reader_id, 0);
	CHECK_EQ(sess.reader, VSCC_READER_NONE);
	/* reader-add again, with the name kept; the card is still in */
	CHECK_EQ(vscc_session_reader_add(&sess, sess.reader_name), 0);
	CHECK(srv_recv(&m) && m.type == VSC_READER_ADD);
	CHECK_EQ(m.length, 4);
	CHECK_MEM(m.payload, "Test", 4);
	srv_error(0, VSC_ERR_SUCCESS);
	CHECK_EQ(client_input(), 0);
	CHECK(srv_recv(&m) && m.type == VSC_ATR);
	/* quit: CardRemove, then ReaderRemove */
	CHECK_EQ(vscc_session_quit(&sess), 0);
	CHECK(srv_recv(&m) && m.type == VSC_CARD_REMOVE);
	CHECK(srv_recv(&m) && m.type == VSC_READER_REMOVE);
	CHECK(srv_nothing_sent());
	teardown();
}

static void server_bad_magic_is_refused(void)
{
	static const uint32_t caps[1] = { 0 };
	struct vsc_msg m;
	int len;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	len = vsc_encode_init(wire, sizeof(wire), VSC_READER_UNDEFINED, caps, 1);
	memcpy(wire + VSC_HEADER_LEN, "DCSV", 4);
	srv_send_msg(len);
	CHECK_EQ(client_input(), -EPROTO);
	CHECK(strstr(vscc_session_why(&sess), "magic") != NULL);
	teardown();
}

static void server_other_major_version_is_refused(void)
{
	static const uint32_t caps[1] = { 0 };
	struct vsc_msg m;
	int len;

	setup();
	CHECK_EQ(vscc_session_start(&sess), 0);
	CHECK(srv_recv(&m));
	len = vsc_encode_init(wire, sizeof(wire), VSC_READER_UNDEFINED, caps, 1);
	wire[VSC_HEADER_LEN + 4] = 0x01 << 5;   /* major 1 */
	srv_send_msg(len);
	CHECK_EQ(client_input(), -EPROTONOSUPPORT);
	teardown();
}

static void server_closing_mid_message(void)
{
	static const uint8_t apdu[] = { 0x00, 0xa4, 0x04, 0x00, 0x00 };
	struct vsc_msg m;
	int len;

	up_with_card(0);
	len = vsc_encode_apdu(wire, sizeof(wire), 0, apdu, sizeof(apdu));
	srv_send(wire, (size_t)len - 2);
	close(srv);
	srv = -1;
	CHECK_EQ(client_input(), -EPIPE);
	CHECK(strstr(vscc_session_why(&sess), "middle of a message") != NULL);
	CHECK_EQ(fake_calls, 0);
	(void)m;
	teardown();
}

static void server_closing_cleanly(void)
{
	up_with_card(0);
	close(srv);
	srv = -1;
	CHECK_EQ(client_input(), -ECONNRESET);
	CHECK(strstr(vscc_session_why(&sess), "closed the connection") != NULL);
	/* the session is over: later calls return the same error */
	CHECK_EQ(vscc_session_card_remove(&sess), -ECONNRESET);
	teardown();
}

static void unknown_type_ends_the_session(void)
{
	struct vsc_msg m;
	int len;

	up_with_card(0);
	len = vsc_encode_flush(wire, sizeof(wire), 0);
	wire[3] = 42;
	srv_send_msg(len);
	CHECK_EQ(client_input(), -EPROTO);
	CHECK(vscc_session_why(&sess)[0] != '\0');
	(void)m;
	teardown();
}

static void client_only_types_from_server_are_ignored(void)
{
	static const uint8_t atr[] = { 0x3b, 0x00 };

	up_with_card(0);
	srv_send_msg(vsc_encode_atr(wire, sizeof(wire), 0, atr, sizeof(atr)));
	srv_send_msg(vsc_encode_reader_remove(wire, sizeof(wire), 0));
	CHECK_EQ(client_input(), 0);
	CHECK(srv_nothing_sent());
	CHECK_EQ(sess.reader, VSCC_READER_ADDED);
	teardown();
}

static void messages_split_byte_by_byte(void)
{
	static const uint8_t apdu[] = { 0x00, 0xca, 0x9f, 0x7f, 0x00 };
	struct vsc_msg m;
	int len;

	up_with_card(0);
	len = vsc_encode_apdu(wire, sizeof(wire), 0, apdu, sizeof(apdu));
	for (int i = 0; i < len; i++) {
		srv_send(wire + i, 1);
		CHECK_EQ(client_input(), 0);
	}
	CHECK_EQ(fake_calls, 1);
	CHECK(srv_recv(&m) && m.type == VSC_APDU);
	CHECK_EQ(m.length, sizeof(apdu) + 2);
	teardown();
}

int main(void)
{
	RUN(init_is_vsc_init_version_2_one_cap_0);
	RUN(server_init_twice_is_accepted);
	RUN(reader_add_waits_for_server_init);
	RUN(reader_add_error_success_assigns_id_then_atr);
	RUN(reader_refused_cannot_add_more_readers);
	RUN(refused_before_reader_add);
	RUN(byte_swapped_error_code_is_understood);
	RUN(apdu_round_trip_same_reader_id);
	RUN(apdu_response_of_65538_bytes);
	RUN(extended_command_apdu_of_65545_bytes);
	RUN(response_filling_the_buffer_is_error_general);
	RUN(card_error_is_error_general);
	RUN(apdu_without_card_or_for_other_reader);
	RUN(flush_gets_flush_complete);
	RUN(remove_insert_reader_remove_add_and_quit);
	RUN(server_bad_magic_is_refused);
	RUN(server_other_major_version_is_refused);
	RUN(server_closing_mid_message);
	RUN(server_closing_cleanly);
	RUN(unknown_type_ends_the_session);
	RUN(client_only_types_from_server_are_ignored);
	RUN(messages_split_byte_by_byte);
	TAP_EXIT();
}
