/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcsc_hold: a PC/SC client that holds a card while it is pulled out of
 * the reader, and reconnects when it comes back. For the VM bed's card
 * suite (tests/vm/suites/cards.sh: `ccid-gadget ctl remove` while a client
 * holds the card), and for a person at a PC testing the same by hand.
 *
 *   pcsc_hold [--reader N] [--wait-card S] [--gone-within S]
 *             [--back-within S] APDU
 *
 *  1. waits up to --wait-card S (default 10) for a card in reader N
 *     (default 0), connects (shared, T=0 or T=1) and sends APDU, which
 *     must answer 9000 or 61XX; prints "held: SW XXXX" (stdout, flushed);
 *  2. keeps that handle and asks SCardStatus every 100 ms for up to
 *     --gone-within S (default 30) until PC/SC says the card is gone;
 *     prints "gone: SCardStatus: NAME", then what SCardTransmit on the
 *     same stale handle says ("gone: SCardTransmit: NAME");
 *  3. with --back-within S: waits up to S seconds for a card again,
 *     connects anew, sends APDU again; prints "back: SW XXXX".
 * The card counts as removed only if both calls on the held handle say
 * SCARD_W_REMOVED_CARD: any other error (a reset, a lost reader, a
 * generic failure) is a wrong answer, as is a stale handle that still
 * works.
 *
 * Exit: 0 all as described, 1 a wrong answer (APDU status, the error the
 * held handle reports), 2 usage, 3 PC/SC error, 4 timed out. Errors are
 * one line on stderr naming the PC/SC call, its text, name and code. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "pcsc_util.h"

enum {
	EXIT_WRONG = 1,
	EXIT_USAGE = 2,
	EXIT_PCSC = 3,
	EXIT_TIMEOUT = 4,
};

#define APDU_MAX (4 + 3 + 65535 + 3)
#define RSP_MAX (65536 + 2)
#define POLL_MS 100

struct opts {
	unsigned reader;
	double wait_card, gone_within, back_within;
	uint8_t apdu[APDU_MAX];
	size_t apdu_len;
};

static void pcsc_err(const char *call, LONG rv)
{
	pcsc_report("pcsc_hold", call, rv);
}

static void usage(FILE *f)
{
	fputs(
"usage: pcsc_hold [--reader N] [--wait-card S] [--gone-within S]\n"
"                 [--back-within S] APDU\n"
"Connect to the card in reader N, send APDU (hex; must answer 9000 or 61XX),\n"
"hold the connection until the card is removed (the held handle must say\n"
"SCARD_W_REMOVED_CARD), and with --back-within S reconnect when it is back.\n"
"Prints \"held: SW XXXX\", \"gone: CALL: NAME\", \"back: SW XXXX\".\n"
"Exit: 0 ok, 1 wrong answer, 2 usage, 3 PC/SC error, 4 timed out.\n", f);
}

static void bad_arg(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "pcsc_hold: %s '%s': %s (see --help)\n", opt, val, want);
	exit(EXIT_USAGE);
}

static int parse_secs(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Hex (spaces and ':' allowed between bytes) into out[cap]. */
static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		v = hex_val(*s);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -E2BIG;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;
	*len = n;
	return 0;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_READER = 256, O_WAIT_CARD, O_GONE, O_BACK };
	static const struct option lo[] = {
		{ "reader", required_argument, NULL, O_READER },
		{ "wait-card", required_argument, NULL, O_WAIT_CARD },
		{ "gone-within", required_argument, NULL, O_GONE },
		{ "back-within", required_argument, NULL, O_BACK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long r;
	int c;

	o->reader = 0;
	o->wait_card = 10;
	o->gone_within = 30;
	o->back_within = -1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_READER:
			errno = 0;
			r = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || r > 15)
				bad_arg("--reader", optarg, "expected an index 0..15");
			o->reader = (unsigned)r;
			break;
		case O_WAIT_CARD:
			if (parse_secs(optarg, &o->wait_card) < 0)
				bad_arg("--wait-card", optarg, "expected seconds, 0..3600");
			break;
		case O_GONE:
			if (parse_secs(optarg, &o->gone_within) < 0)
				bad_arg("--gone-within", optarg, "expected seconds, 0..3600");
			break;
		case O_BACK:
			if (parse_secs(optarg, &o->back_within) < 0)
				bad_arg("--back-within", optarg, "expected seconds, 0..3600");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "pcsc_hold: expected exactly one APDU (see --help)\n");
		exit(EXIT_USAGE);
	}
	if (parse_hex(argv[optind], o->apdu, sizeof(o->apdu), &o->apdu_len) < 0 ||
	    o->apdu_len < 4)
		bad_arg("APDU", argv[optind], "expected 4 to 65545 bytes of hex");
}

/* The name of reader N, waiting until `end` for it to be listed. Returns
 * 0 or an exit code. */
static int find_reader(SCARDCONTEXT ctx, unsigned idx, double end, char *buf,
		       DWORD cap, const char **name)
{
	for (;;) {
		DWORD len = cap;
		LONG rv = SCardListReaders(ctx, NULL, buf, &len);
		unsigned n = 0;
		char *p;

		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_NO_READERS_AVAILABLE) {
			pcsc_err("SCardListReaders", rv);
			return EXIT_PCSC;
		}
		if (rv == SCARD_S_SUCCESS) {
			for (p = buf; *p; p += strlen(p) + 1, n++) {
				if (n == idx) {
					*name = p;
					return 0;
				}
			}
		}
		if (now_s() >= end) {
			fprintf(stderr, "pcsc_hold: no reader %u (pcscd lists %u)\n",
				idx, n);
			return EXIT_TIMEOUT;
		}
		sleep_ms(POLL_MS);
	}
}

/* Wait until `end` for a card in reader N, connect and send the APDU.
 * Returns 0 or an exit code; on 0 the caller owns *card. */
static int connect_and_send(SCARDCONTEXT ctx, const struct opts *o,
			    double end, const char *what, SCARDHANDLE *card,
			    DWORD *proto)
{
	char buf[4096];
	const char *reader;
	SCARD_READERSTATE rs;
	uint8_t *rsp;
	DWORD rlen = RSP_MAX;
	LONG rv;
	int rc;

	rc = find_reader(ctx, o->reader, end, buf, sizeof(buf), &reader);
	if (rc)
		return rc;
	memset(&rs, 0, sizeof(rs));
	rs.szReader = reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	for (;;) {
		double left = end - now_s();

		rv = SCardGetStatusChange(ctx, left <= 0 ? 0 : 250, &rs, 1);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
			pcsc_err("SCardGetStatusChange", rv);
			return EXIT_PCSC;
		}
		if (rv == SCARD_S_SUCCESS)
			rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
		if ((rs.dwEventState & SCARD_STATE_PRESENT) &&
		    !(rs.dwEventState & SCARD_STATE_MUTE))
			break;
		if (left <= 0) {
			fprintf(stderr, "pcsc_hold: %s: no card in '%s'\n", what,
				reader);
			return EXIT_TIMEOUT;
		}
	}
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, card, proto);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_err("SCardConnect", rv);
		return EXIT_PCSC;
	}
	rsp = malloc(RSP_MAX);
	if (!rsp) {
		fprintf(stderr, "pcsc_hold: out of memory\n");
		SCardDisconnect(*card, SCARD_LEAVE_CARD);
		return EXIT_PCSC;
	}
	rv = SCardTransmit(*card, *proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 :
			   SCARD_PCI_T0, o->apdu, (DWORD)o->apdu_len, NULL, rsp,
			   &rlen);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_err("SCardTransmit", rv);
		rc = EXIT_PCSC;
	} else if (rlen < 2 || !((rsp[rlen - 2] == 0x90 && rsp[rlen - 1] == 0) ||
				 rsp[rlen - 2] == 0x61)) {
		fprintf(stderr, "pcsc_hold: %s: the APDU answered %s%02X%02X, "
			"expected 9000 or 61XX\n", what, rlen < 2 ? "(short) " : "",
			rlen >= 2 ? rsp[rlen - 2] : 0, rlen >= 2 ? rsp[rlen - 1] : 0);
		rc = EXIT_WRONG;
	} else {
		printf("%s: SW %02X%02X\n", what, rsp[rlen - 2], rsp[rlen - 1]);
		fflush(stdout);
	}
	free(rsp);
	if (rc)
		SCardDisconnect(*card, SCARD_LEAVE_CARD);
	return rc;
}

/* Hold the handle until PC/SC says the card is gone. Returns 0 if both
 * SCardStatus and SCardTransmit on it say SCARD_W_REMOVED_CARD. */
static int hold_until_gone(SCARDHANDLE card, DWORD proto,
			   const struct opts *o)
{
	double end = now_s() + o->gone_within;
	uint8_t atr[MAX_ATR_SIZE], rsp[258];
	DWORD atr_len, state, p, rlen = sizeof(rsp), nlen;
	LONG st, tx;

	for (;;) {
		atr_len = sizeof(atr);
		nlen = 0;
		st = SCardStatus(card, NULL, &nlen, &state, &p, atr, &atr_len);
		if (st != SCARD_S_SUCCESS)
			break;
		if (now_s() >= end) {
			fprintf(stderr, "pcsc_hold: the held card was not removed "
				"within %.1fs (SCardStatus still succeeds)\n",
				o->gone_within);
			return EXIT_TIMEOUT;
		}
		sleep_ms(POLL_MS);
	}
	printf("gone: SCardStatus: %s\n", pcsc_name(st));
	tx = SCardTransmit(card, proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 :
			   SCARD_PCI_T0, o->apdu, (DWORD)o->apdu_len, NULL, rsp,
			   &rlen);
	printf("gone: SCardTransmit: %s\n", pcsc_name(tx));
	fflush(stdout);
	if (st != SCARD_W_REMOVED_CARD || tx != SCARD_W_REMOVED_CARD) {
		fprintf(stderr, "pcsc_hold: the held handle reports %s / %s "
			"(0x%08lX / 0x%08lX), expected SCARD_W_REMOVED_CARD\n",
			pcsc_name(st), pcsc_name(tx), (unsigned long)st,
			(unsigned long)tx);
		return EXIT_WRONG;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct opts o;
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	LONG rv;
	int rc;

	parse_args(argc, argv, &o);
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_err("SCardEstablishContext", rv);
		return EXIT_PCSC;
	}
	rc = connect_and_send(ctx, &o, now_s() + o.wait_card, "held", &card,
			      &proto);
	if (rc)
		goto out;
	rc = hold_until_gone(card, proto, &o);
	/* The handle is stale either way; pcsc-lite frees it on disconnect. */
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	if (rc || o.back_within < 0)
		goto out;
	rc = connect_and_send(ctx, &o, now_s() + o.back_within, "back", &card,
			      &proto);
	if (rc == 0)
		SCardDisconnect(card, SCARD_LEAVE_CARD);
out:
	SCardReleaseContext(ctx);
	return rc;
}
