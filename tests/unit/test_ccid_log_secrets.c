/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -v must not write PINs or decrypted data to the journal. At the level
 * the daemon sets for -v (LOG_DEBUG, 7: gadget/daemon/main.c) the engine's APDU dumps show CLA INS
 * P1 P2 of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (and their
 * kin) and only SW1 SW2 of every response; at CCID_LOG_SECRETS (-vv) the
 * whole bytes, which also proves the checks below can see a PIN. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ccid_engine.h"
#include "ccid_fake.h"
#include "tap.h"

static struct ccid_fake_card card;

static char log_text[16384];   /* every line, '\n'-separated */
static size_t log_len;

static void capture_log(void *ctx, int level, const char *line)
{
	int n;

	(void)ctx;
	n = snprintf(log_text + log_len, sizeof(log_text) - log_len, "%d %s\n",
		     level, line);
	if (n > 0 && (size_t)n < sizeof(log_text) - log_len)
		log_len += (size_t)n;
}

/* ASCII "123456" padded with FF, as a PIV or OpenPGP card's PIN. */
#define PIN_HEX "31 32 33 34 35 36 FF FF"
static const uint8_t pin[] = { 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xFF,
			       0xFF };
/* A response with data: what a decipher would return. */
#define SECRET_HEX "5E C2 E7 DA 7A"
static const uint8_t rsp[] = { 0x5E, 0xC2, 0xE7, 0xDA, 0x7A, 0x90, 0x00 };

static struct ccid_engine *engine_at(int level, uint32_t max_msg_len)
{
	struct ccid_engine *eng = ccid_fake_active_engine(&card, max_msg_len,
							  NULL);

	card.echo = false;
	memcpy(card.rsp, rsp, sizeof(rsp));
	card.rsp_len = sizeof(rsp);
	ccid_engine_set_log_level(eng, level);
	ccid_engine_set_log(eng, capture_log, NULL);
	log_len = 0;
	log_text[0] = '\0';
	return eng;
}

/* Send CLA INS P1 P2 Lc PIN as one XfrBlock, drain the answer. */
static void send_pin_command(struct ccid_engine *eng, uint8_t ins,
			     uint8_t seq)
{
	uint8_t apdu[5 + sizeof(pin)] = { 0x00, ins, 0x00, 0x80,
					  (uint8_t)sizeof(pin) };

	memcpy(apdu + 5, pin, sizeof(pin));
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, seq, 0, 0, 0, apdu,
		       sizeof(apdu));
	CHECK_EQ(ccid_fake_drain(eng), 1);
}

static void test_pin_commands_masked_at_v(void)
{
	static const uint8_t ins[] = { 0x20, 0x21, 0x24, 0x25, 0x26, 0x28,
				       0x2C, 0x2D };
	char header[32];

	for (size_t i = 0; i < sizeof(ins); i++) {
		struct ccid_engine *eng = engine_at(LOG_DEBUG, 0);

		send_pin_command(eng, ins[i], (uint8_t)i);
		snprintf(header, sizeof(header), "00 %02X 00 80 [9 bytes masked]",
			 ins[i]);
		CHECK(strstr(log_text, header) != NULL);
		CHECK(strstr(log_text, PIN_HEX) == NULL);
		CHECK(strstr(log_text, "31 32 33") == NULL);
		if (tap_failed_now)
			fprintf(stderr, "  ^ INS %02X, log:\n%s", ins[i],
				log_text);
		ccid_engine_free(eng);
	}
}

static void test_responses_masked_at_v(void)
{
	struct ccid_engine *eng = engine_at(LOG_DEBUG, 0);
	static const uint8_t get_data[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x00 };

	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 0, 0, get_data,
		       sizeof(get_data));
	CHECK_EQ(ccid_fake_drain(eng), 1);
	/* a command without a PIN is shown whole */
	CHECK(strstr(log_text, "C-APDU (5 bytes): 00 CB 3F FF 00") != NULL);
	CHECK(strstr(log_text, "R-APDU (7 bytes): [5 bytes masked] 90 00")
	      != NULL);
	CHECK(strstr(log_text, SECRET_HEX) == NULL);
	CHECK(strstr(log_text, "5E C2") == NULL);
	ccid_engine_free(eng);
}

/* A chained (extended) VERIFY and a response sent back in pieces are
 * dumped once, whole APDU, masked the same way. */
static void test_chained_masked_at_v(void)
{
	struct ccid_engine *eng = engine_at(LOG_DEBUG, 271);
	uint8_t big[300];
	uint8_t apdu[7 + sizeof(pin)] = { 0x00, 0x20, 0x00, 0x80, 0x00, 0x00,
					  (uint8_t)sizeof(pin) };

	memset(big, 0x5E, sizeof(big));
	big[298] = 0x90;
	big[299] = 0x00;
	memcpy(card.rsp, big, sizeof(big));
	card.rsp_len = sizeof(big);
	memcpy(apdu + 7, pin, sizeof(pin));
	/* wLevelParameter 1 then 2: begins, ends */
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 1, 0, 1, 0, apdu, 9);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 2, 0, apdu + 9,
		       sizeof(apdu) - 9);
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 3, 0, 0x10, 0, NULL, 0);
	CHECK_EQ(ccid_fake_drain(eng), 3);
	CHECK(strstr(log_text, "C-APDU (15 bytes): 00 20 00 80 [11 bytes "
			       "masked]") != NULL);
	CHECK(strstr(log_text, "R-APDU (300 bytes): [298 bytes masked] 90 00")
	      != NULL);
	CHECK(strstr(log_text, "31 32 33") == NULL);
	CHECK(strstr(log_text, "5E 5E") == NULL);
	ccid_engine_free(eng);
}

/* -vv (CCID_LOG_SECRETS): the whole bytes, PIN included: the checks
 * above would see one. */
static void test_secrets_level_shows_all(void)
{
	struct ccid_engine *eng = engine_at(CCID_LOG_SECRETS, 0);

	send_pin_command(eng, 0x20, 1);
	CHECK(strstr(log_text, "00 20 00 80 08 " PIN_HEX) != NULL);
	CHECK(strstr(log_text, "R-APDU (7 bytes): " SECRET_HEX " 90 00")
	      != NULL);
	CHECK(strstr(log_text, "masked") == NULL);
	ccid_engine_free(eng);
}

/* Without -v (notice) nothing of an APDU is formatted at all. */
static void test_quiet_default(void)
{
	struct ccid_engine *eng = engine_at(LOG_NOTICE, 0);

	send_pin_command(eng, 0x20, 1);
	CHECK(strstr(log_text, "APDU") == NULL);
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(test_pin_commands_masked_at_v);
	RUN(test_responses_masked_at_v);
	RUN(test_chained_masked_at_v);
	RUN(test_secrets_level_shows_all);
	RUN(test_quiet_default);
	TAP_EXIT();
}
