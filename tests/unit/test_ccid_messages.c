/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every PC_to_RDR message and its error paths, table-driven: a slot in a
 * given state, bytes in, the exact bytes out (one response, nothing else
 * queued). Hex strings keep the wire format readable. */
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

enum state { NOCARD, ABSENT, INACTIVE, ACTIVE, BUSY };

struct wire_case {
	const char *name;
	enum state state;
	const char *in;
	const char *out;   /* "" = no response */
};

static const struct wire_case cases[] = {
	/* IccPowerOn, Section 6.1.1 -> DataBlock with the ATR */
	{ "power_on", INACTIVE, "62 00000000 00 01 00 0000",
	  "80 02000000 00 01 00 00 00 3B00" },
	{ "power_on_warm", ACTIVE, "62 00000000 00 01 01 0000",
	  "80 02000000 00 01 00 00 00 3B00" },
	{ "power_on_absent", ABSENT, "62 00000000 00 01 00 0000",
	  "80 00000000 00 01 42 FE 00" },
	{ "power_on_nocard", NOCARD, "62 00000000 00 01 00 0000",
	  "80 00000000 00 01 42 FE 00" },
	{ "power_on_bad_voltage", INACTIVE, "62 00000000 00 01 04 0000",
	  "80 00000000 00 01 41 07 00" },
	{ "power_on_bad_length", INACTIVE, "62 01000000 00 01 00 0000 AA",
	  "80 00000000 00 01 41 01 00" },
	{ "power_on_bad_slot", INACTIVE, "62 00000000 01 01 00 0000",
	  "80 00000000 01 01 42 05 00" },
	{ "power_on_busy", BUSY, "62 00000000 00 01 00 0000",
	  "80 00000000 00 01 40 E0 00" },
	/* IccPowerOff, 6.1.2 -> SlotStatus (bClockStatus 3: not active) */
	{ "power_off", ACTIVE, "63 00000000 00 02 000000",
	  "81 00000000 00 02 01 00 03" },
	{ "power_off_absent", ABSENT, "63 00000000 00 02 000000",
	  "81 00000000 00 02 02 00 03" },
	{ "power_off_bad_length", ACTIVE, "63 02000000 00 02 000000 0102",
	  "81 00000000 00 02 40 01 00" },
	/* GetSlotStatus, 6.1.3 */
	{ "slot_status_active", ACTIVE, "65 00000000 00 03 000000",
	  "81 00000000 00 03 00 00 00" },
	{ "slot_status_inactive", INACTIVE, "65 00000000 00 03 000000",
	  "81 00000000 00 03 01 00 03" },
	{ "slot_status_absent", ABSENT, "65 00000000 00 03 000000",
	  "81 00000000 00 03 42 FE 03" },
	{ "slot_status_bad_slot", ACTIVE, "65 00000000 07 03 000000",
	  "81 00000000 07 03 42 05 03" },
	{ "slot_status_busy", BUSY, "65 00000000 00 03 000000",
	  "81 00000000 00 03 40 E0 00" },
	/* XfrBlock, 6.1.4 */
	{ "xfr", ACTIVE, "6F 04000000 00 05 00 0000 00A40400",
	  "80 02000000 00 05 00 00 00 9000" },
	{ "xfr_inactive", INACTIVE, "6F 04000000 00 05 00 0000 00A40400",
	  "80 00000000 00 05 41 FE 00" },
	{ "xfr_absent", ABSENT, "6F 04000000 00 05 00 0000 00A40400",
	  "80 00000000 00 05 42 FE 00" },
	{ "xfr_empty", ACTIVE, "6F 00000000 00 05 00 0000",
	  "80 00000000 00 05 40 01 00" },
	{ "xfr_bad_level", ACTIVE, "6F 04000000 00 05 00 0400 00A40400",
	  "80 00000000 00 05 40 08 00" },
	{ "xfr_continue_nothing", ACTIVE, "6F 04000000 00 05 00 0300 00A40400",
	  "80 00000000 00 05 40 08 00" },
	{ "xfr_end_nothing", ACTIVE, "6F 04000000 00 05 00 0200 00A40400",
	  "80 00000000 00 05 40 08 00" },
	{ "xfr_next_piece_nothing", ACTIVE, "6F 00000000 00 05 00 1000",
	  "80 00000000 00 05 40 08 00" },
	{ "xfr_busy", BUSY, "6F 04000000 00 05 00 0000 00A40400",
	  "80 00000000 00 05 40 E0 00" },
	{ "xfr_bad_slot", ACTIVE, "6F 04000000 02 05 00 0000 00A40400",
	  "80 00000000 02 05 42 05 00" },
	/* GetParameters / ResetParameters, 6.1.5 / 6.1.6 (ATR 3B 00: T=0,
	 * Fi/Di 11, WI 0A) */
	{ "get_params", ACTIVE, "6C 00000000 00 07 000000",
	  "82 05000000 00 07 00 00 00 1100000A00" },
	{ "get_params_inactive", INACTIVE, "6C 00000000 00 07 000000",
	  "82 05000000 00 07 01 00 00 1100000A00" },
	{ "get_params_absent", ABSENT, "6C 00000000 00 07 000000",
	  "82 00000000 00 07 42 FE 00" },
	{ "get_params_bad_length", ACTIVE, "6C 01000000 00 07 000000 00",
	  "82 00000000 00 07 40 01 00" },
	{ "reset_params", ACTIVE, "6D 00000000 00 08 000000",
	  "82 05000000 00 08 00 00 00 1100000A00" },
	{ "reset_params_absent", ABSENT, "6D 00000000 00 08 000000",
	  "82 00000000 00 08 42 FE 00" },
	/* SetParameters, 6.1.7 */
	{ "set_params_t0", ACTIVE, "61 05000000 00 09 00 0000 1102000A00",
	  "82 05000000 00 09 00 00 00 1102000A00" },
	{ "set_params_absent", ABSENT, "61 05000000 00 09 00 0000 1102000A00",
	  "82 00000000 00 09 42 FE 00" },
	{ "set_params_bad_tccks", ACTIVE, "61 05000000 00 09 00 0000 1101000A00",
	  "82 05000000 00 09 40 0B 00 1100000A00" },
	/* Escape, 6.1.8 -> RDR_to_PC_Escape, not supported */
	{ "escape", ACTIVE, "6B 02000000 00 0A 000000 0102",
	  "83 00000000 00 0A 40 00 00" },
	{ "escape_absent", ABSENT, "6B 00000000 00 0A 000000",
	  "83 00000000 00 0A 42 00 00" },
	/* IccClock, 6.1.9 */
	{ "clock_stop", ACTIVE, "6E 00000000 00 0B 01 0000",
	  "81 00000000 00 0B 00 00 00" },
	{ "clock_restart", ACTIVE, "6E 00000000 00 0B 00 0000",
	  "81 00000000 00 0B 00 00 00" },
	{ "clock_bad_command", ACTIVE, "6E 00000000 00 0B 02 0000",
	  "81 00000000 00 0B 40 07 00" },
	{ "clock_absent", ABSENT, "6E 00000000 00 0B 00 0000",
	  "81 00000000 00 0B 42 FE 03" },
	/* T0APDU, Secure, Mechanical: not supported, paired types */
	{ "t0apdu", ACTIVE, "6A 00000000 00 0C 03 0000",
	  "81 00000000 00 0C 40 00 00" },
	{ "secure", ACTIVE, "69 01000000 00 0D 00 0000 00",
	  "80 00000000 00 0D 40 00 00" },
	{ "mechanical", ACTIVE, "71 00000000 00 0E 01 0000",
	  "81 00000000 00 0E 40 00 00" },
	/* SetDataRateAndClockFrequency, 6.1.14: the current values,
	 * 3580 kHz and 9623 bps (f / 372) */
	{ "set_rate", ACTIVE, "73 08000000 00 0F 000000 A00F0000 00960000",
	  "84 08000000 00 0F 00 00 00 FC0D0000 97250000" },
	{ "set_rate_absent", ABSENT, "73 08000000 00 0F 000000 A00F0000 00960000",
	  "84 08000000 00 0F 02 00 00 FC0D0000 97250000" },
	{ "set_rate_bad_length", ACTIVE, "73 00000000 00 0F 000000",
	  "84 00000000 00 0F 40 01 00" },
	/* unknown message type -> SlotStatus, CMD_NOT_SUPPORTED */
	{ "unknown_type", ACTIVE, "99 00000000 00 10 000000",
	  "81 00000000 00 10 40 00 00" },
	{ "unknown_type_bad_slot", ACTIVE, "99 00000000 05 10 000000",
	  "81 00000000 05 10 42 00 03" },
	/* Abort without the control request: held, no answer yet */
	{ "abort_alone", ACTIVE, "72 00000000 00 11 000000", "" },
	{ "abort_bad_length", ACTIVE, "72 01000000 00 11 000000 00",
	  "81 00000000 00 11 40 01 00" },
};

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s && n < cap) {
		if (*s == ' ') {
			s++;
			continue;
		}
		out[n++] = (uint8_t)strtoul((char[]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
	}
	return n;
}

static struct ccid_fake_card card;

static struct ccid_engine *setup(enum state st)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);

	ccid_fake_card_init(&card, eng, 0);
	if (st == NOCARD)
		return eng;
	card.present = st != ABSENT;
	ccid_engine_attach_card(eng, 0, &ccid_fake_ops, &card);
	if (st == ACTIVE || st == BUSY)
		ccid_fake_power_on(eng, 0);
	if (st == BUSY) {
		card.deferred = true;
		ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 0x20, 0, 0, 0,
			       (const uint8_t *)"\x00\xA4\x04\x00", 4);
	}
	ccid_fake_drain(eng);
	return eng;
}

/* One table case: its own engine, one TAP line (named after the case). */
static void run_wire_case(const void *arg)
{
	const struct wire_case *c = arg;
	uint8_t in[64], want[64], got[128];
	struct ccid_engine *eng = setup(c->state);
	size_t nin = unhex(c->in, in, sizeof(in));
	size_t nwant = unhex(c->out, want, sizeof(want));
	size_t ngot;

	ccid_engine_bulk_out(eng, in, nin);
	ngot = ccid_fake_pop(eng, got, sizeof(got));
	CHECK_EQ(ngot, nwant);
	if (ngot == nwant)
		CHECK_MEM(got, want, nwant);
	CHECK(ccid_engine_peek_bulk_in(eng) == NULL);
	ccid_engine_free(eng);
}

/* The seq is echoed for all 256 values, and the message really reaches
 * the card (fake records the APDU). */
static void test_seq_echo_and_apdu(void)
{
	struct ccid_engine *eng = setup(ACTIVE);
	uint8_t got[64];
	const uint8_t apdu[] = { 0x80, 0xEE, 0x00, 0x00, 0x01, 0x42 };

	for (unsigned seq = 0; seq < 256; seq++) {
		ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, (uint8_t)seq, 0, 0, 0, apdu,
			       sizeof(apdu));
		CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 12);
		CHECK_EQ(got[6], seq);
	}
	CHECK_EQ(card.transmit_calls, 256);
	CHECK_EQ(card.apdu_len, sizeof(apdu));
	CHECK_MEM(card.apdu, apdu, sizeof(apdu));
	ccid_engine_free(eng);
}

/* A card response is copied: the fake's buffer can change afterwards. */
static void test_response_copied(void)
{
	struct ccid_engine *eng = setup(ACTIVE);
	uint8_t got[64];
	const struct ccid_msg *m;

	card.rsp_len = 4;
	memcpy(card.rsp, "\x01\x02\x90\x00", 4);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0,
		       (const uint8_t *)"\x00\xB0\x00\x00\x02", 5);
	memset(card.rsp, 0xEE, 4);
	m = ccid_engine_peek_bulk_in(eng);
	CHECK(m != NULL);
	CHECK_EQ(ccid_fake_pop(eng, got, sizeof(got)), 14);
	CHECK_MEM(got + 10, "\x01\x02\x90\x00", 4);
	ccid_engine_free(eng);
}

static char log_lines[32][256];
static int log_levels[32];
static unsigned log_count;

static void capture_log(void *ctx, int level, const char *line)
{
	(void)ctx;
	if (log_count < 32) {
		snprintf(log_lines[log_count], sizeof(log_lines[0]), "%s", line);
		log_levels[log_count++] = level;
	}
}

static int find_log(int level, const char *a, const char *b)
{
	for (unsigned i = 0; i < log_count; i++)
		if (log_levels[i] == level && strstr(log_lines[i], a) &&
		    strstr(log_lines[i], b))
			return 1;
	return 0;
}

/* One line per event, "(slot, seq)" first, message types by name, APDU
 * bytes at debug level. */
static void test_log_lines(void)
{
	struct ccid_engine *eng = setup(ACTIVE);

	ccid_engine_set_log(eng, capture_log, NULL);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 5, 0, 0, 0,
		       (const uint8_t *)"\x00\xA4\x04\x00", 4);
	ccid_fake_send(eng, 0x99, 0, 6, 0, 0, 0, NULL, 0);
	CHECK(find_log(7, "(0, 5) ", "PC_to_RDR_XfrBlock"));
	CHECK(find_log(7, "(0, 5) ", "C-APDU (4 bytes): 00 A4 04 00"));
	CHECK(find_log(7, "(0, 5) ", "R-APDU (2 bytes): 90 00"));
	CHECK(find_log(4, "(0, 6) ", "unknown message type 0x99"));
	CHECK(find_log(6, "(0, 6) ", "RDR_to_PC_SlotStatus failed"));
	for (unsigned i = 0; i < log_count; i++)
		CHECK(strchr(log_lines[i], '\n') == NULL);
	ccid_engine_free(eng);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_run_case(cases[i].name, run_wire_case, &cases[i]);
	RUN(test_log_lines);
	RUN(test_seq_echo_and_apdu);
	RUN(test_response_copied);
	TAP_EXIT();
}
