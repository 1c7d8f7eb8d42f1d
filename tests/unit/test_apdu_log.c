/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -v APDU lines: the command summary (ISO/IEC 7816-4 cases 1-4, short and
 * extended) and the answer part (status word, length, errors). */
#include <errno.h>

#include "apdu_log.h"
#include "tap.h"

static char out[64];

#define CMD(want, ...) do { \
	static const uint8_t a_[] = { __VA_ARGS__ }; \
	apdu_log_command(a_, sizeof(a_), out, sizeof(out)); \
	if (strcmp(out, want)) { \
		fprintf(stderr, "  got '%s', want '%s'\n", out, want); \
		tap_failed_now = 1; \
	} \
} while (0)

static void commands(void)
{
	CMD("00 12 00 00", 0x00, 0x12, 0x00, 0x00);                      /* case 1 */
	CMD("80 EF 00 00 Le=4", 0x80, 0xef, 0, 0, 4);                     /* case 2 */
	CMD("00 B0 00 00 Le=256", 0x00, 0xb0, 0, 0, 0);
	CMD("00 B0 00 00 Le=65536", 0x00, 0xb0, 0, 0, 0, 0, 0);           /* 2E */
	CMD("00 A4 04 00 Lc=2", 0x00, 0xa4, 4, 0, 2, 0x3f, 0x00);         /* case 3 */
	CMD("00 A4 04 00 Lc=2", 0x00, 0xa4, 4, 0, 2, 0x3f, 0x00, 0x00);   /* case 4 */
	CMD("00 A4 04 00 Lc=2", 0x00, 0xa4, 4, 0, 0, 0, 2, 0x3f, 0x00);   /* 3E */
	CMD("00 A4 04 00 Lc=2", 0x00, 0xa4, 4, 0, 0, 0, 2, 0x3f, 0x00, 0, 0); /* 4E */
	CMD("00 A4 04 00 Lc=256", 0x00, 0xa4, 4, 0, 0, 1, 0,              /* 3E */
	    [9 ... 262] = 0xaa);
	/* a length that does not fit Lc: no guessed Lc */
	CMD("80 EE 00 00 malformed (8 bytes)", 0x80, 0xee, 0, 0, 0, 1, 2, 0xaa);
	CMD("00 A4 04 00 malformed (6 bytes)", 0x00, 0xa4, 4, 0, 2, 0x3f);
	CMD("00 A4 04 00 malformed (6 bytes)", 0x00, 0xa4, 4, 0, 0, 0);
	CMD("short APDU (3 bytes)", 1, 2, 3);
	apdu_log_command(NULL, 0, out, sizeof(out));
	CHECK(!strcmp(out, "short APDU (0 bytes)"));
	/* a tiny buffer is cut, never overrun */
	char tiny[6];
	static const uint8_t a[] = { 0, 0xa4, 4, 0, 2, 0x3f, 0 };

	apdu_log_command(a, sizeof(a), tiny, sizeof(tiny));
	CHECK_EQ(strlen(tiny), 5);
}

static void answers(void)
{
	static const uint8_t ok[] = { 0xca, 0xfe, 0x90, 0x00 };
	static const uint8_t one[] = { 0x61 };

	apdu_log_answer(0, ok, sizeof(ok), out, sizeof(out));
	CHECK(!strcmp(out, "90 00 (4 bytes)"));
	apdu_log_answer(0, one, sizeof(one), out, sizeof(out));
	CHECK(!strcmp(out, "no status word (1 bytes)"));
	apdu_log_answer(-ETIMEDOUT, NULL, 0, out, sizeof(out));
	CHECK(strstr(out, "card error") != NULL);
	apdu_log_answer(-ECANCELED, NULL, 0, out, sizeof(out));
	CHECK(strstr(out, "aborted") != NULL);
}

int main(void)
{
	RUN(commands);
	RUN(answers);
	TAP_EXIT();
}
