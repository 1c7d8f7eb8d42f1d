/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the passthru server's message handling (vcard-glue/passthru/vcg_pt_proto.c)
 * behind a real engine: client bytes, host CCID commands, disconnects,
 * deadlines and USB resets interleaved as the input says. No sockets: the
 * protocol half is driven directly, its output queue drained here.
 *
 * Input: a sequence of records, each one op byte then its operands:
 *   op % 8 == 0  client bytes: u8 n, then n bytes (fewer at the end)
 *   op % 8 == 1  host PowerOn
 *   op % 8 == 2  host XfrBlock: u8 n, then n APDU bytes
 *   op % 8 == 3  the client drops, a new one connects (and sends Init)
 *   op % 8 == 4  time passes: u8 seconds, then deadlines expire
 *   op % 8 == 5  USB reset (host gone) then enabled again
 *   op % 8 == 6  host Abort of the pending command (class request)
 *   op % 8 == 7  a well-formed client message: u8 type, u8 len, bytes
 * The first connection starts with the client's Init already sent, so
 * inputs reach the interesting states quickly.
 *
 * Oracles besides "no crash, no sanitizer report": everything the server
 * queues is a valid VSCard stream (a fresh decoder accepts it, message by
 * message); the FIFO of APDUs never exceeds its bound; what the engine
 * sees (presence) matches the protocol state; queued output stays under
 * its limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "vcg_pt.h"
#include "fuzz_target.h"

#define FAIL() __builtin_trap()

static uint8_t scratch[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];
static struct vsc_decoder out_dec;

static void quiet(void *ctx, int level, const char *line)
{
	(void)ctx;
	(void)level;
	(void)line;
}

/* The fuzz target owns time: deterministic deadlines. */
static uint64_t now_ms = 1000;

static uint64_t fuzz_now(void)
{
	return now_ms;
}

static void drain_out(struct vcg_pt *pt)
{
	while (pt->out != NULL) {
		struct vcg_pt_msg *m = pt->out;
		size_t off = 0;

		while (off < m->len) {
			struct vsc_msg msg;
			size_t used = 0;

			if (vsc_decoder_feed(&out_dec, m->data + off, m->len - off,
					     &used) < 0)
				FAIL();
			off += used;
			if (vsc_decoder_next(&out_dec, &msg) < 0)
				FAIL();
		}
		pt->out = m->next;
		pt->out_bytes -= m->len;
		free(m);
	}
	pt->out_tail = &pt->out;
	if (pt->out_bytes != 0)
		FAIL();
}

static void drain_engine(struct ccid_engine *eng)
{
	while (ccid_engine_peek_bulk_in(eng) != NULL)
		ccid_engine_pop_bulk_in(eng);
	while (ccid_engine_peek_intr_in(eng) != NULL)
		ccid_engine_pop_intr_in(eng);
}

static void host_msg(struct ccid_engine *eng, uint8_t type, uint8_t seq,
		     const uint8_t *data, size_t len)
{
	uint8_t *m = scratch;

	m[0] = type;
	m[1] = (uint8_t)len;
	m[2] = (uint8_t)(len >> 8);
	m[3] = m[4] = 0;
	m[5] = 0;      /* slot */
	m[6] = seq;
	m[7] = m[8] = m[9] = 0;
	if (len > 0)
		memcpy(m + 10, data, len);
	ccid_engine_bulk_out(eng, m, 10 + len);
}

static void connect_client(struct vcg_pt *pt)
{
	static const uint32_t caps[1] = { 0 };
	int n;

	vsc_decoder_reset(&out_dec);
	vcg_pt_connected(pt, "fuzz");
	n = vsc_encode_init(scratch, sizeof(scratch), VSC_READER_UNDEFINED, caps, 1);
	if (n < 0 || vcg_pt_feed(pt, scratch, (size_t)n) < 0)
		FAIL();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vcg_log log = { .fn = quiet };
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;
	struct vcg_pt *pt;
	uint8_t seq = 0;
	bool connected = true;
	size_t i = 0;

	ccid_reader_config_default(&cfg);
	eng = ccid_engine_new(&cfg);
	pt = calloc(1, sizeof(*pt));
	if (eng == NULL || pt == NULL || vcg_pt_proto_init(pt) < 0)
		FAIL();
	ccid_engine_set_packet_sizes(eng, 0, 64);   /* stream mode */
	pt->eng = eng;
	pt->log = &log;
	pt->now_ms = fuzz_now;
	now_ms = 1000;
	pt->epfd = pt->lfd = pt->tfd = pt->wakefd = -1;
	pt->cfg.attach = VCG_PT_ATTACH_READER;
	pt->cfg.timeout_s = 2;
	vsc_decoder_init(&out_dec);
	if (ccid_engine_attach_card(eng, 0, &vcg_pt_card_ops, pt) < 0)
		FAIL();
	ccid_engine_enabled(eng);
	connect_client(pt);

	while (i < size) {
		uint8_t op = data[i++] % 8;
		size_t n = i < size ? data[i] : 0;

		switch (op) {
		case 0:
			i++;
			if (n > size - (i < size ? i : size))
				n = size - (i < size ? i : size);
			if (connected && n > 0 &&
			    vcg_pt_feed(pt, data + i, n) < 0) {
				/* A protocol error: the server drops the client. */
				vcg_pt_disconnected(pt);
				connected = false;
			}
			i += n;
			break;
		case 1:
			host_msg(eng, 0x62, seq++, NULL, 0);
			break;
		case 2:
			i++;
			if (n > size - (i < size ? i : size))
				n = size - (i < size ? i : size);
			host_msg(eng, 0x6F, seq++, data + i, n);
			i += n;
			break;
		case 3:
			vcg_pt_disconnected(pt);
			drain_out(pt);
			connect_client(pt);
			connected = true;
			break;
		case 4:
			i++;
			now_ms += (uint64_t)n * 1000;
			vcg_pt_expire(pt, now_ms);
			if (vcg_pt_next_deadline(pt) != 0 &&
			    vcg_pt_next_deadline(pt) <= now_ms)
				FAIL();
			break;
		case 5:
			ccid_engine_reset(eng);
			ccid_engine_enabled(eng);
			break;
		case 6:
			ccid_engine_abort_request(eng, 0, (uint8_t)(seq - 1));
			host_msg(eng, 0x72, (uint8_t)(seq - 1), NULL, 0);
			break;
		case 7: {
			uint8_t type = i < size ? data[i] : 0;
			size_t len = i + 1 < size ? data[i + 1] : 0;
			uint32_t t = (uint32_t)(type % 9) + 1;

			i += 2;
			if (len > size - (i < size ? i : size))
				len = size - (i < size ? i : size);
			scratch[0] = scratch[1] = scratch[2] = 0;
			scratch[3] = (uint8_t)t;
			memset(scratch + 4, 0, 4);
			scratch[8] = scratch[9] = scratch[10] = 0;
			scratch[11] = (uint8_t)len;
			if (len > 0)
				memcpy(scratch + 12, data + i, len);
			i += len;
			if (connected &&
			    vcg_pt_feed(pt, scratch, VSC_HEADER_LEN + len) < 0) {
				vcg_pt_disconnected(pt);
				connected = false;
			}
			break;
		}
		}
		if (pt->pending_len > VCG_PT_MAX_OUTSTANDING ||
		    pt->out_bytes > VCG_PT_OUT_LIMIT)
			FAIL();
		if (pt->card_present && (!pt->reader_added || !pt->connected))
			FAIL();
		if (!connected && (pt->card_present || pt->reader_added))
			FAIL();
		drain_out(pt);
		drain_engine(eng);
	}
	ccid_engine_attach_card(eng, 0, NULL, NULL);
	vcg_pt_proto_free(pt);
	free(pt);
	ccid_engine_free(eng);
	return 0;
}
