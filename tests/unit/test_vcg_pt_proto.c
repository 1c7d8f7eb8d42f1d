/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's protocol half (vcard-glue/passthru/vcg_pt_proto.c)
 * driven directly, without sockets, as the fuzz target does: the test owns
 * the clock, feeds the client's bytes and reads what the server queued.
 *
 * The limits a slow or stuck client runs into: eight APDUs it never
 * answered in time and their late answers (each answer must still go to
 * its own command), and an output queue full because it stopped reading
 * (the connection is given up, not just the one APDU). */
#include <errno.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_fake.h"
#include "tap.h"
#include "vcg_pt.h"

#define MSG_ICC_POWER_ON 0x62       /* Section 6.1.1 */
#define MSG_XFR_BLOCK 0x6F          /* Section 6.1.4 */
#define MSG_DATA_BLOCK 0x80         /* Section 6.2.1 */
#define STATUS_FAILED 0x40          /* bmCommandStatus 1, Table 6.2-3 */
#define ERR_ICC_MUTE 0xFE           /* Table 6.2-2 */

static const uint8_t atr[] = { 0x3B, 0x02, 0x14, 0x50 };
static uint8_t in[70000];
static uint8_t scratch[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];
static struct vsc_decoder out_dec;

static uint64_t now_ms = 1000;

static uint64_t test_now(void)
{
	return now_ms;
}

/* The log, counted by level and kept (the last 16 lines). */
static unsigned warnings, lines;
static char last_lines[16][256];

static void count_log(void *ctx, int level, const char *line)
{
	(void)ctx;
	warnings += level <= LOG_WARNING;
	snprintf(last_lines[lines % 16], sizeof(last_lines[0]), "%s", line);
	lines++;
	ccid_fake_log(NULL, level, line);
}

static const struct vcg_log quiet_log = { .fn = count_log };

static const char *last_line(void)
{
	return lines ? last_lines[(lines - 1) % 16] : "";
}

/* A protocol half behind a fresh engine, attach=reader, timeout=2. */
static struct vcg_pt *pt_new(struct ccid_engine **engp)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_pt *pt = calloc(1, sizeof(*pt));

	CHECK(eng != NULL && pt != NULL);
	CHECK_EQ(vcg_pt_proto_init(pt), 0);
	pt->eng = eng;
	pt->log = &quiet_log;
	pt->now_ms = test_now;
	pt->epfd = pt->lfd = pt->tfd = pt->wakefd = -1;
	pt->cfg.attach = VCG_PT_ATTACH_READER;
	pt->cfg.timeout_s = 2;
	CHECK_EQ(ccid_engine_attach_card(eng, 0, &vcg_pt_card_ops, pt), 0);
	ccid_engine_enabled(eng);
	vsc_decoder_init(&out_dec);
	*engp = eng;
	return pt;
}

static void pt_free(struct vcg_pt *pt, struct ccid_engine *eng)
{
	ccid_engine_attach_card(eng, 0, NULL, NULL);
	vcg_pt_proto_free(pt);
	free(pt);
	ccid_engine_free(eng);
}

/* Pop the next message the server queued for the client: 1 and *m (its
 * payload valid until the next call), 0 if nothing is queued. */
static int server_said(struct vcg_pt *pt, struct vsc_msg *m)
{
	static uint8_t held[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];
	struct vcg_pt_msg *q = pt->out;
	size_t used = 0;

	if (q == NULL)
		return 0;
	memcpy(held, q->data, q->len);
	CHECK_EQ(vsc_decoder_feed(&out_dec, held, q->len, &used), 0);
	CHECK_EQ(used, q->len);
	pt->out = q->next;
	if (pt->out == NULL)
		pt->out_tail = &pt->out;
	pt->out_bytes -= q->len;
	free(q);
	return vsc_decoder_next(&out_dec, m) == 1 ? 1 : -1;
}

static void drain_said(struct vcg_pt *pt)
{
	struct vsc_msg m;

	while (server_said(pt, &m) == 1)
		;
}

static void client_says(struct vcg_pt *pt, int n)
{
	CHECK(n > 0);
	if (n > 0)
		CHECK_EQ(vcg_pt_feed(pt, scratch, (size_t)n), 0);
}

/* Init, ReaderAdd, ATR from the client; the host powers the card on. */
static void card_in(struct vcg_pt *pt, struct ccid_engine *eng)
{
	static const uint32_t caps[1] = { 0 };

	vcg_pt_connected(pt, "test client");
	client_says(pt, vsc_encode_init(scratch, sizeof(scratch),
					VSC_READER_UNDEFINED, caps, 1));
	client_says(pt, vsc_encode_reader_add(scratch, sizeof(scratch),
					      VSC_READER_UNDEFINED, NULL, 0));
	client_says(pt, vsc_encode_atr(scratch, sizeof(scratch), 0, atr,
				       sizeof(atr)));
	CHECK(pt->card_present);
	drain_said(pt);
	while (ccid_engine_peek_intr_in(eng) != NULL)
		ccid_engine_pop_intr_in(eng);
	ccid_fake_send(eng, MSG_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10 + sizeof(atr));
}

/* Eight APDUs the client does not answer within timeout= (each fails as a
 * mute card), then a ninth, then the eight late answers: no late answer
 * may be taken for a later command's. The ninth cannot be sent without
 * forgetting an answer that may still come: it fails at once (mute),
 * nothing goes to the client; once the late answers are in, the next
 * APDU goes out and gets its own answer. */
static void eight_abandoned_then_late_answers(void)
{
	static const uint8_t ninth[] = { 0x00, 0xB0, 0x00, 0x09, 0x01 };
	static const uint8_t tenth[] = { 0x00, 0xB0, 0x00, 0x0A, 0x01 };
	static const uint8_t tenth_rsp[] = { 0x0A, 0x90, 0x00 };
	struct ccid_engine *eng;
	struct vcg_pt *pt = pt_new(&eng);
	struct vsc_msg m;
	size_t n;

	card_in(pt, eng);
	for (uint8_t k = 0; k < VCG_PT_MAX_OUTSTANDING; k++) {
		const uint8_t apdu[] = { 0x00, 0xB0, 0x00, k, 0x01 };

		ccid_fake_send(eng, MSG_XFR_BLOCK, 0, (uint8_t)(2 + k), 0, 0, 0,
			       apdu, sizeof(apdu));
		CHECK_EQ(server_said(pt, &m), 1);
		CHECK_EQ(m.type, VSC_APDU);
		CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 0);   /* waiting */
		now_ms += 2500;
		vcg_pt_expire(pt, now_ms);
		CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10);
		CHECK_EQ(in[6], 2 + k);
		CHECK_EQ(in[7] & STATUS_FAILED, STATUS_FAILED);
		CHECK_EQ(in[8], ERR_ICC_MUTE);
	}
	CHECK_EQ(pt->pending_len, VCG_PT_MAX_OUTSTANDING);

	ccid_fake_send(eng, MSG_XFR_BLOCK, 0, 10, 0, 0, 0, ninth, sizeof(ninth));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10);                  /* refused at once ... */
	CHECK_EQ(in[6], 10);
	CHECK_EQ(in[7] & STATUS_FAILED, STATUS_FAILED);
	CHECK_EQ(in[8], ERR_ICC_MUTE);    /* ... as a mute card */
	CHECK_EQ(server_said(pt, &m), 0); /* and never sent */

	/* The late answers, in order: each pops its own abandoned entry. */
	for (uint8_t k = 0; k < VCG_PT_MAX_OUTSTANDING; k++) {
		const uint8_t late[] = { k, 0x90, 0x00 };

		client_says(pt, vsc_encode_apdu(scratch, sizeof(scratch), 0, late,
						sizeof(late)));
		n = ccid_fake_pop(eng, in, sizeof(in));
		if (n != 0)
			fprintf(stderr, "  late answer %u reached the host as seq %u's\n",
				k, in[6]);
		CHECK_EQ(n, 0);
	}
	CHECK_EQ(pt->pending_len, 0);

	ccid_fake_send(eng, MSG_XFR_BLOCK, 0, 11, 0, 0, 0, tenth, sizeof(tenth));
	CHECK_EQ(server_said(pt, &m), 1);
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.length, sizeof(tenth));
	client_says(pt, vsc_encode_apdu(scratch, sizeof(scratch), 0, tenth_rsp,
					sizeof(tenth_rsp)));
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(tenth_rsp));
	CHECK_EQ(in[0], MSG_DATA_BLOCK);
	CHECK_EQ(in[6], 11);
	CHECK_MEM(in + 10, tenth_rsp, sizeof(tenth_rsp));
	pt_free(pt, eng);
}

/* A client that stopped reading: 1 MiB waits for it already. An APDU
 * that does not fit fails, and the connection is marked broken so the
 * socket half drops it (vcg_pt_io.c; test_vcg_pt_limits.c shows the drop
 * on a real socket): a client that does not read cannot be given the
 * next command either. */
static void full_queue_breaks_the_connection(void)
{
	static const uint8_t select_apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
	struct ccid_engine *eng;
	struct vcg_pt *pt = pt_new(&eng);
	size_t flushes, k;
	uint8_t *buf;
	int one;

	card_in(pt, eng);
	/* Flushes, each answered with a 12-byte FlushComplete nobody reads:
	 * as many as fit. (No connection: the queue is never sent.) */
	one = vsc_encode_flush(scratch, sizeof(scratch), 0);
	CHECK_EQ(one, VSC_HEADER_LEN);
	flushes = VCG_PT_OUT_LIMIT / VSC_HEADER_LEN;
	buf = malloc(flushes * VSC_HEADER_LEN);
	for (k = 0; k < flushes; k++)
		memcpy(buf + k * VSC_HEADER_LEN, scratch, VSC_HEADER_LEN);
	CHECK_EQ(vcg_pt_feed(pt, buf, flushes * VSC_HEADER_LEN), 0);
	free(buf);
	CHECK(pt->out_bytes + VSC_HEADER_LEN + sizeof(select_apdu) > VCG_PT_OUT_LIMIT);
	CHECK(!pt->conn_broken);

	ccid_fake_send(eng, MSG_XFR_BLOCK, 0, 2, 0, 0, 0, select_apdu,
		       sizeof(select_apdu));
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10);   /* the APDU failed */
	CHECK_EQ(in[6], 2);
	CHECK_EQ(in[7] & STATUS_FAILED, STATUS_FAILED);
	CHECK_EQ(pt->pending_len, 0);
	CHECK(pt->conn_broken);    /* and the connection goes */
	CHECK(pt->broken_why != NULL && strstr(pt->broken_why, "does not read") != NULL);
	vcg_pt_out_clear(pt);
	pt_free(pt, eng);
}

/* A client sending the same bad message over and over (an ATR that is
 * none, 100 times, each refused with an Error): one warning line, not a
 * hundred; the rest are counted and the count is said once the interval
 * is over, at the next line of the kind or on its own. */
static void bad_messages_are_logged_once_then_counted(void)
{
	static const uint8_t junk[] = { 0x12, 0x34 };
	struct ccid_engine *eng;
	struct vcg_pt *pt = pt_new(&eng);
	unsigned before;

	card_in(pt, eng);
	client_says(pt, vsc_encode_card_remove(scratch, sizeof(scratch), 0));
	drain_said(pt);
	warnings = lines = 0;
	for (int k = 0; k < 100; k++) {
		struct vsc_msg m;

		client_says(pt, vsc_encode_atr(scratch, sizeof(scratch), 0, junk,
					       sizeof(junk)));
		CHECK_EQ(server_said(pt, &m), 1);   /* each still refused */
		CHECK(m.type == VSC_ERROR && m.error_code == VSC_ERR_GENERAL);
	}
	if (warnings != 1)
		fprintf(stderr, "  %u warning lines for 100 bad ATRs\n", warnings);
	CHECK_EQ(warnings, 1);
	CHECK(strstr(last_lines[0], "not one") != NULL);

	/* The interval passes: the count is said on its own ... */
	before = lines;
	now_ms += VCG_PT_LOG_INTERVAL_MS;
	vcg_pt_log_flush(pt, now_ms);
	CHECK_EQ(lines, before + 1);
	CHECK(strstr(last_line(), "99 more") != NULL);
	vcg_pt_log_flush(pt, now_ms + 1);   /* once */
	CHECK_EQ(lines, before + 1);
	/* ... and the next bad ATR has its line again. */
	client_says(pt, vsc_encode_atr(scratch, sizeof(scratch), 0, junk,
				       sizeof(junk)));
	CHECK_EQ(lines, before + 2);
	CHECK(strstr(last_line(), "not one") != NULL);
	/* Another kind is not held back by this one. */
	client_says(pt, vsc_encode_reader_add(scratch, sizeof(scratch),
					      VSC_READER_UNDEFINED, NULL, 0));
	CHECK_EQ(lines, before + 3);
	CHECK(strstr(last_line(), "second reader") != NULL);
	/* Within the next interval: counted, and said with the next line
	 * of the kind after it. */
	for (int k = 0; k < 5; k++)
		client_says(pt, vsc_encode_atr(scratch, sizeof(scratch), 0, junk,
					       sizeof(junk)));
	CHECK_EQ(lines, before + 3);
	now_ms += VCG_PT_LOG_INTERVAL_MS;
	client_says(pt, vsc_encode_atr(scratch, sizeof(scratch), 0, junk,
				       sizeof(junk)));
	CHECK_EQ(lines, before + 4);
	CHECK(strstr(last_line(), "not one") != NULL);
	CHECK(strstr(last_line(), "5 more") != NULL);
	drain_said(pt);
	pt_free(pt, eng);
}

int main(void)
{
	RUN(eight_abandoned_then_late_answers);
	RUN(full_queue_breaks_the_connection);
	RUN(bad_messages_are_logged_once_then_counted);
	TAP_EXIT();
}
