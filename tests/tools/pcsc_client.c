/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcsc_client: a small PC/SC client for the VM bed (and for a person at a
 * PC with the reader plugged in). It talks to pcscd through libpcsclite
 * like any application, so what it sees is what the PC's stack sees.
 *
 *   pcsc_client --context                   pcscd answers? (exit 0 / 3)
 *   pcsc_client --list [--expect-readers N]
 *   pcsc_client [--reader N] [--atr] [--expect-atr HEX] APDU [-e RESP]...
 *
 * Run `pcsc_client --help` for every option. Exit status:
 *   0 all good, 1 a check failed (response, ATR, reader count),
 *   2 usage error, 3 PC/SC error, 4 timed out waiting for a reader/card.
 * Errors are one line on stderr naming the PC/SC call, the error's text
 * (pcsc_stringify_error), its name and code. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "pcsc_util.h"

enum {
	EXIT_CHECK = 1,
	EXIT_USAGE = 2,
	EXIT_PCSC = 3,
	EXIT_TIMEOUT = 4,
	RC_READER_GONE = 100,   /* internal: look the reader up again */
};

#define MAX_READERS 16
#define RSP_MAX (65536 + 2)   /* extended APDU: 65536 data + SW1 SW2 */
#define CMD_MAX (4 + 3 + 65535 + 3)

/* One step of the APDU list. */
struct step {
	uint8_t *apdu;
	size_t apdu_len;
	uint8_t *expect;         /* whole response, or NULL */
	size_t expect_len;
	long expect_data_len;    /* response length minus SW, or -1 */
	int expect_sw;           /* SW1SW2, or -1 */
	const char *label;       /* what it is, for messages */
};

struct opts {
	bool context_only, list, print_atr, quiet, loop, stats, reader_atr;
	long expect_readers;
	unsigned reader;
	double wait_reader, wait_card, wait_absent;
	const uint8_t *expect_atr;
	size_t expect_atr_len;
	DWORD protocols;
	long repeat;
	DWORD disposition;       /* SCardDisconnect's, default leave */
	LONG loop_errors[16];    /* --loop-errors: the PC/SC errors allowed */
	size_t n_loop_errors;    /* 0: any */
	long loop_max_ms;        /* --loop-max-ms: longest call allowed, or 0 */
	const char *loop_progress;   /* --loop-progress: count written here */
	struct step *steps;
	size_t nsteps;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ---- PC/SC errors: text, name and code on one line ---- */

static void pcsc_err(const char *call, LONG rv)
{
	pcsc_report("pcsc_client", call, rv);
}

/* ---- small helpers ---- */

static void print_hex(FILE *f, const char *prefix, const uint8_t *b, size_t n)
{
	size_t i;

	fputs(prefix, f);
	for (i = 0; i < n; i++)
		fprintf(f, "%02X", b[i]);
	fputc('\n', f);
}

/* Parse hex (spaces and ':' allowed between bytes) into a new buffer.
 * Returns 0 or -EINVAL. The buffer is the caller's to free. */
static int parse_hex(const char *s, uint8_t **out, size_t *outlen)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);
	int hi = -1;

	if (!b)
		return -ENOMEM;
	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == ':' || *s == '\t')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			goto bad;
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto bad;
	*out = b;
	*outlen = n;
	return 0;
bad:
	free(b);
	return -EINVAL;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_secs(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0 || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- the APDU list ---- */

static struct step *add_step(struct opts *o)
{
	struct step *s = realloc(o->steps, (o->nsteps + 1) * sizeof(*s));

	if (!s) {
		fprintf(stderr, "pcsc_client: out of memory\n");
		exit(EXIT_PCSC);
	}
	o->steps = s;
	s = &o->steps[o->nsteps++];
	memset(s, 0, sizeof(*s));
	s->expect_data_len = -1;
	s->expect_sw = -1;
	return s;
}

/* ECHO (CLA 0x80 INS 0xEE) of n pattern bytes (pcsc_util.h); the card
 * answers the data + 9000. */
static void add_echo(struct opts *o, long n)
{
	struct step *s = add_step(o);
	size_t i;
	uint8_t *a = malloc((size_t)n + 9);

	if (!a) {
		fprintf(stderr, "pcsc_client: out of memory\n");
		exit(EXIT_PCSC);
	}
	s->apdu = a;
	s->apdu_len = echo_apdu(a, (size_t)n);
	s->expect = malloc((size_t)n + 2);
	if (!s->expect) {
		fprintf(stderr, "pcsc_client: out of memory\n");
		exit(EXIT_PCSC);
	}
	for (i = 0; i < (size_t)n; i++)
		s->expect[i] = echo_pattern_byte(i);
	s->expect[n] = 0x90;
	s->expect[n + 1] = 0x00;
	s->expect_len = (size_t)n + 2;
	s->label = "ECHO";
}

/* GENERATE (CLA 0x80 INS 0xEF): the card returns Ne bytes + 9000; case 2,
 * short Le if n <= 256 (Le 00 = 256), else extended Le. */
static void add_generate(struct opts *o, long n)
{
	struct step *s = add_step(o);
	uint8_t *a = malloc(8);
	size_t p = 0;

	if (!a) {
		fprintf(stderr, "pcsc_client: out of memory\n");
		exit(EXIT_PCSC);
	}
	a[p++] = 0x80;
	a[p++] = 0xEF;
	a[p++] = 0x00;
	a[p++] = 0x00;
	if (n <= 256) {
		a[p++] = (uint8_t)n;     /* 256 -> 00 */
	} else {
		a[p++] = 0x00;
		a[p++] = (uint8_t)(n >> 8);  /* 65536 -> 00 00 */
		a[p++] = (uint8_t)n;
	}
	s->apdu = a;
	s->apdu_len = p;
	/* vcard-glue/test/vcg_testcard.c: the data is 00 01 02 .. FF 00 01 .. */
	s->expect = malloc((size_t)n + 2);
	if (!s->expect) {
		fprintf(stderr, "pcsc_client: out of memory\n");
		exit(EXIT_PCSC);
	}
	for (size_t i = 0; i < (size_t)n; i++)
		s->expect[i] = (uint8_t)i;
	s->expect[n] = 0x90;
	s->expect[n + 1] = 0x00;
	s->expect_len = (size_t)n + 2;
	s->label = "GENERATE";
}

/* Check one response against its step; prints why not. */
static bool response_ok(const struct step *s, const uint8_t *r, size_t n,
			size_t idx)
{
	if (s->expect && (n != s->expect_len || memcmp(r, s->expect, n) != 0)) {
		size_t i = 0;

		while (i < n && i < s->expect_len && r[i] == s->expect[i])
			i++;
		fprintf(stderr, "pcsc_client: APDU %zu (%s): response of %zu bytes "
			"differs from the %zu expected, first at byte %zu\n",
			idx, s->label ? s->label : "raw", n, s->expect_len, i);
		return false;
	}
	if (s->expect_sw >= 0 &&
	    (n < 2 || ((r[n - 2] << 8) | r[n - 1]) != s->expect_sw)) {
		fprintf(stderr, "pcsc_client: APDU %zu (%s): status word %s%02X%02X, "
			"expected %04X\n", idx, s->label ? s->label : "raw",
			n < 2 ? "missing " : "", n >= 2 ? r[n - 2] : 0,
			n >= 2 ? r[n - 1] : 0, s->expect_sw);
		return false;
	}
	if (s->expect_data_len >= 0 &&
	    (n < 2 || (long)(n - 2) != s->expect_data_len)) {
		fprintf(stderr, "pcsc_client: APDU %zu (%s): %zu data bytes, "
			"expected %ld\n", idx, s->label ? s->label : "raw",
			n >= 2 ? n - 2 : 0, s->expect_data_len);
		return false;
	}
	return true;
}

/* ---- readers and cards ---- */

/* Fill names[] from SCardListReaders; returns the count or -1 (error
 * printed unless `quiet_none` and there are simply no readers). */
static int list_readers_rv(SCARDCONTEXT ctx, char *buf, DWORD cap,
			   const char *names[MAX_READERS], bool quiet_none,
			   LONG *rv_out)
{
	DWORD len = cap;
	LONG rv = SCardListReaders(ctx, NULL, buf, &len);
	int n = 0;
	char *p;

	*rv_out = rv;
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		return 0;
	if (rv != SCARD_S_SUCCESS) {
		if (!quiet_none)
			pcsc_err("SCardListReaders", rv);
		return -1;
	}
	for (p = buf; *p && n < MAX_READERS; p += strlen(p) + 1)
		names[n++] = p;
	return n;
}

static int list_readers(SCARDCONTEXT ctx, char *buf, DWORD cap,
			const char *names[MAX_READERS], bool quiet_none)
{
	LONG rv;

	return list_readers_rv(ctx, buf, cap, names, quiet_none, &rv);
}

/* Wait until the reader index exists; returns its name or NULL. */
static const char *find_reader(SCARDCONTEXT ctx, const struct opts *o,
			       char *buf, DWORD cap, int *exit_code)
{
	const char *names[MAX_READERS];
	double end = now_s() + o->wait_reader;
	int n;

	for (;;) {
		n = list_readers(ctx, buf, cap, names, false);
		if (n < 0) {
			*exit_code = EXIT_PCSC;
			return NULL;
		}
		if ((unsigned)n > o->reader)
			return names[o->reader];
		if (now_s() >= end || stop_flag)
			break;
		sleep_ms(100);
	}
	fprintf(stderr, "pcsc_client: no reader %u (pcscd lists %d reader%s)\n",
		o->reader, n, n == 1 ? "" : "s");
	*exit_code = o->wait_reader > 0 ? EXIT_TIMEOUT : EXIT_PCSC;
	return NULL;
}

/* Wait until the reader's card state matches `present`. Returns 0, or an
 * exit code. */
/* Wait until the reader's card state matches `present`. Returns 0, or an
 * exit code (RC_READER_GONE: look it up again). The ATR pcscd holds for
 * the card goes to atr/atr_len (MAX_ATR_SIZE bytes, owned by the caller). */
static int wait_card_state(SCARDCONTEXT ctx, const char *reader, bool present,
			   double secs, uint8_t *atr, DWORD *atr_len)
{
	SCARD_READERSTATE rs;
	double end = now_s() + secs;
	LONG rv;

	memset(&rs, 0, sizeof(rs));
	rs.szReader = reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	for (;;) {
		double left = end - now_s();
		DWORD ms = left <= 0 ? 0 : left > 0.5 ? 500 : (DWORD)(left * 1000);

		rv = SCardGetStatusChange(ctx, ms, &rs, 1);
		if (rv == SCARD_E_UNKNOWN_READER)
			return RC_READER_GONE;
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
			pcsc_err("SCardGetStatusChange", rv);
			return EXIT_PCSC;
		}
		if (rv == SCARD_S_SUCCESS)
			rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
		if (rs.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE))
			return RC_READER_GONE;
		if (present ? (rs.dwEventState & SCARD_STATE_PRESENT) != 0
			    : (rs.dwEventState & SCARD_STATE_EMPTY) != 0) {
			*atr_len = rs.cbAtr <= MAX_ATR_SIZE ? rs.cbAtr : MAX_ATR_SIZE;
			memcpy(atr, rs.rgbAtr, *atr_len);
			return 0;
		}
		if (now_s() >= end || stop_flag) {
			fprintf(stderr, "pcsc_client: timed out after %.1fs waiting "
				"for the card to be %s\n", secs,
				present ? "present" : "removed");
			return EXIT_TIMEOUT;
		}
	}
}

/* Connect, print/check the ATR. Returns 0 or an exit code. */
static int connect_card(SCARDCONTEXT ctx, const char *reader,
			const struct opts *o, SCARDHANDLE *card, DWORD *proto)
{
	BYTE atr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof(atr), state, rlen = 0;
	LONG rv;

	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, o->protocols, card,
			  proto);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_err("SCardConnect", rv);
		return EXIT_PCSC;
	}
	rv = SCardStatus(*card, NULL, &rlen, &state, proto, atr, &atr_len);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_err("SCardStatus", rv);
		return EXIT_PCSC;
	}
	if (o->print_atr) {
		print_hex(stdout, "ATR: ", atr, atr_len);
		printf("Protocol: T=%d\n", *proto == SCARD_PROTOCOL_T1 ? 1 : 0);
	}
	if (o->expect_atr && (atr_len != o->expect_atr_len ||
			      memcmp(atr, o->expect_atr, atr_len) != 0)) {
		print_hex(stderr, "pcsc_client: ATR mismatch: got ", atr, atr_len);
		print_hex(stderr, "pcsc_client:           expected ", o->expect_atr,
			  o->expect_atr_len);
		return EXIT_CHECK;
	}
	return 0;
}

/* What --loop saw: the longest PC/SC call, and each error's count. */
struct loop_stats {
	double longest_s;
	const char *longest_call;
	struct { LONG rv; unsigned long n; } err[16];
	size_t n_err;
	unsigned long unexpected;   /* errors not in --loop-errors */
	unsigned long contexts;     /* contexts established again */
	int progress_fd;            /* --loop-progress, or -1 */
};

/* A call that took t seconds and returned rv (ls may be NULL). */
static void note_call(struct loop_stats *ls, const struct opts *o,
		      const char *call, double t, LONG rv)
{
	size_t i;
	bool allowed = o->n_loop_errors == 0;

	if (ls == NULL)
		return;
	if (t > ls->longest_s) {
		ls->longest_s = t;
		ls->longest_call = call;
	}
	if (rv == SCARD_S_SUCCESS)
		return;
	for (i = 0; i < o->n_loop_errors; i++)
		allowed |= o->loop_errors[i] == rv;
	if (!allowed) {
		ls->unexpected++;
		pcsc_err(call, rv);   /* which one, in the loop's output */
	}
	for (i = 0; i < ls->n_err && ls->err[i].rv != rv; i++)
		;
	if (i == ls->n_err && ls->n_err < sizeof(ls->err) / sizeof(ls->err[0]))
		ls->err[ls->n_err++].rv = rv;
	if (i < ls->n_err)
		ls->err[i].n++;
}

/* --loop-progress FILE: the number of exchanges so far, rewritten in
 * place after each one, so a test can see the loop move (or stall) while
 * it runs. Fixed width: a reader never sees a shorter number's leftovers. */
static void note_progress(const struct loop_stats *ls, unsigned long sent)
{
	char line[24];
	int n;

	if (ls->progress_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%20lu\n", sent);
	if (pwrite(ls->progress_fd, line, (size_t)n, 0) != n)
		fprintf(stderr, "pcsc_client: --loop-progress: %s\n",
			strerror(errno));
}

/* Send every step once. Returns 0, EXIT_CHECK or EXIT_PCSC; *sent counts
 * the exchanges that completed; ls (if not NULL) gets each call. */
static int run_steps(SCARDHANDLE card, DWORD proto, const struct opts *o,
		     uint8_t *rsp, unsigned long *sent, struct loop_stats *ls)
{
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ?
		SCARD_PCI_T1 : SCARD_PCI_T0;
	size_t i;

	for (i = 0; i < o->nsteps && !stop_flag; i++) {
		const struct step *s = &o->steps[i];
		DWORD rlen = RSP_MAX;
		LONG rv;

		if (!o->quiet && s->apdu_len <= 64)
			print_hex(stdout, "> ", s->apdu, s->apdu_len);
		else if (!o->quiet)
			printf("> %s, %zu bytes\n", s->label ? s->label : "APDU",
			       s->apdu_len);
		double t0 = now_s();

		rv = SCardTransmit(card, pci, s->apdu, (DWORD)s->apdu_len, NULL,
				   rsp, &rlen);
		note_call(ls, o, "SCardTransmit", now_s() - t0, rv);
		if (rv != SCARD_S_SUCCESS) {
			if (ls == NULL)
				pcsc_err("SCardTransmit", rv);
			return EXIT_PCSC;
		}
		(*sent)++;
		if (ls)
			note_progress(ls, *sent);
		if (!o->quiet && rlen <= 64)
			print_hex(stdout, "< ", rsp, rlen);
		else if (!o->quiet)
			printf("< %lu bytes, SW %02X%02X\n", (unsigned long)rlen,
			       rlen >= 2 ? rsp[rlen - 2] : 0,
			       rlen >= 2 ? rsp[rlen - 1] : 0);
		if (!response_ok(s, rsp, rlen, i))
			return EXIT_CHECK;
	}
	return 0;
}

/* Errors after which the context itself is dead: pcscd went away (and
 * maybe came back). libpcsclite does not reconnect a context: a loop that
 * kept it would list no reader for ever after pcscd restarted. */
static bool context_lost(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_COMM_ERROR;
}

/* A new context in place of *ctx; 0 or the PC/SC error (*ctx unchanged). */
static LONG renew_context(SCARDCONTEXT *ctx, struct loop_stats *ls)
{
	SCARDCONTEXT fresh;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &fresh);

	if (rv != SCARD_S_SUCCESS)
		return rv;
	SCardReleaseContext(*ctx);
	*ctx = fresh;
	ls->contexts++;
	return SCARD_S_SUCCESS;
}

/* "loop: N exchanges, M errors (NAME n, ...), K wrong; longest call:
 * CALL T ms" on one line. */
static void print_loop(const struct loop_stats *ls, unsigned long sent,
		       unsigned long errors, unsigned long wrong)
{
	printf("loop: %lu exchanges, %lu errors", sent, errors);
	for (size_t i = 0; i < ls->n_err; i++)
		printf("%s%s %lu", i ? ", " : " (", pcsc_name(ls->err[i].rv),
		       ls->err[i].n);
	printf("%s, %lu wrong, %lu new contexts; longest call: %s %.0f ms\n",
	       ls->n_err ? ")" : "", wrong, ls->contexts,
	       ls->longest_call ? ls->longest_call : "none",
	       ls->longest_s * 1000);
}

/* --loop: until SIGTERM/SIGINT, connect and run the steps; a PC/SC error
 * (the reader was unbound, the card pulled) reconnects and goes on, pcscd
 * gone or restarted gets a new context, a wrong answer is a failure, and
 * so are an error not in --loop-errors and a call longer than
 * --loop-max-ms. */
static int run_loop(SCARDCONTEXT *ctx, const struct opts *o, uint8_t *rsp)
{
	unsigned long sent = 0, errors = 0, wrong = 0;
	struct loop_stats ls = { .progress_fd = -1 };
	char buf[4096];
	bool too_long;

	if (o->loop_progress) {
		ls.progress_fd = open(o->loop_progress, O_WRONLY | O_CREAT |
				      O_TRUNC | O_CLOEXEC, 0644);
		if (ls.progress_fd < 0) {
			fprintf(stderr, "pcsc_client: %s: %s\n", o->loop_progress,
				strerror(errno));
			return EXIT_USAGE;
		}
		note_progress(&ls, 0);
	}
	while (!stop_flag) {
		const char *names[MAX_READERS];
		SCARDHANDLE card;
		DWORD proto;
		int n, rc;
		LONG rv;

		n = list_readers_rv(*ctx, buf, sizeof(buf), names, true, &rv);
		if (context_lost(rv)) {
			/* pcscd down: tried again after the pause */
			renew_context(ctx, &ls);
			sleep_ms(50);
			continue;
		}
		if (n <= 0 || (unsigned)n <= o->reader) {
			sleep_ms(50);
			continue;
		}
		double t0 = now_s();
		rv = SCardConnect(*ctx, names[o->reader], SCARD_SHARE_SHARED,
				  o->protocols, &card, &proto);

		note_call(&ls, o, "SCardConnect", now_s() - t0, rv);
		if (rv != SCARD_S_SUCCESS) {
			errors++;
			sleep_ms(50);
			continue;
		}
		do {
			rc = run_steps(card, proto, o, rsp, &sent, &ls);
		} while (rc == 0 && !stop_flag);
		if (rc == EXIT_CHECK)
			wrong++;
		else if (rc == EXIT_PCSC)
			errors++;
		SCardDisconnect(card, SCARD_LEAVE_CARD);
	}
	print_loop(&ls, sent, errors, wrong);
	too_long = o->loop_max_ms > 0 && ls.longest_s * 1000 > o->loop_max_ms;
	if (ls.unexpected)
		fprintf(stderr, "pcsc_client: %lu PC/SC errors not in --loop-errors\n",
			ls.unexpected);
	if (too_long)
		fprintf(stderr, "pcsc_client: %s took %.0f ms, over --loop-max-ms %ld\n",
			ls.longest_call, ls.longest_s * 1000, o->loop_max_ms);
	return wrong || ls.unexpected || too_long ? EXIT_CHECK : 0;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fputs(
"usage: pcsc_client [OPTIONS] [APDU [-e RESPONSE]]...\n"
"A PC/SC client: lists readers, waits for a card, sends APDUs (hex).\n"
"  --context            only check that pcscd answers (establish a context)\n"
"  --list               print the readers, one per line: INDEX: NAME\n"
"  --expect-readers N   fail unless pcscd lists exactly N readers (within\n"
"                       --wait-reader S seconds if given)\n"
"  --reader N           use reader N of the list (default 0)\n"
"  --wait-reader S      wait up to S seconds for reader N (default 0)\n"
"  --wait-card S        wait up to S seconds for a card (default 10)\n"
"  --wait-absent S      wait up to S seconds for the card to go, then exit\n"
"  --atr                print the ATR (\"ATR: HEX\") and the protocol\n"
"  --expect-atr HEX     fail unless the ATR is HEX\n"
"  --reader-atr         do not connect: print (and check) the ATR pcscd got\n"
"                       when it powered the card up (\"Reader ATR: HEX\")\n"
"  --protocol P         t0, t1 or any (default any); pcscd keeps the protocol\n"
"                       of a card until it is reset: see --disconnect\n"
"  --disconnect D       leave, reset or unpower the card at the end\n"
"                       (default leave)\n"
"  --echo N             add the test card's ECHO (80 EE) of N pattern bytes,\n"
"                       expecting them back + 9000 (N > 255: extended APDU)\n"
"  --generate N         add the test card's GENERATE (80 EF), expecting N\n"
"                       bytes 00 01 .. FF 00 .. + 9000 (N > 256: extended Le)\n"
"  -e, --expect HEX     the APDU before must answer exactly HEX\n"
"  --expect-sw XXXX     the APDU before must end with this status word\n"
"  --expect-len N       the APDU before must answer N data bytes (+ SW)\n"
"  --repeat N           send the APDU list N times (default 1)\n"
"  --loop               repeat until SIGTERM; reconnect after PC/SC errors,\n"
"                       fail only on a wrong answer (and the two below)\n"
"  --loop-errors NAMES  the PC/SC errors the loop may see (SCARD_... names,\n"
"                       comma-separated); another fails it\n"
"  --loop-max-ms MS     fail the loop if one call took longer than MS\n"
"  --loop-progress FILE keep the number of exchanges so far in FILE\n"
"                       (rewritten after each one)\n"
"  --stats              print how many APDUs in how long (stderr)\n"
"  -q, --quiet          do not print APDUs and responses\n"
"Exit: 0 ok, 1 check failed, 2 usage, 3 PC/SC error, 4 timed out.\n", f);
}

static void bad_arg(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "pcsc_client: %s '%s': %s (see --help)\n", opt, val, want);
	exit(EXIT_USAGE);
}

/* --loop-errors: SCARD_* names, comma-separated. */
static void parse_error_names(const char *arg, struct opts *o)
{
	char *copy = strdup(arg), *save = NULL;

	o->n_loop_errors = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		LONG rv = pcsc_code(t);

		if (rv == SCARD_S_SUCCESS)
			bad_arg("--loop-errors", t, "expected a PC/SC error name, e.g. SCARD_W_REMOVED_CARD");
		if (o->n_loop_errors == sizeof(o->loop_errors) / sizeof(o->loop_errors[0]))
			bad_arg("--loop-errors", arg, "at most 16 names");
		o->loop_errors[o->n_loop_errors++] = rv;
	}
	free(copy);
	if (o->n_loop_errors == 0)
		bad_arg("--loop-errors", arg, "expected at least one name");
}

static struct step *last_step(struct opts *o, const char *opt)
{
	if (!o->nsteps) {
		fprintf(stderr, "pcsc_client: %s must follow an APDU\n", opt);
		exit(EXIT_USAGE);
	}
	return &o->steps[o->nsteps - 1];
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_CONTEXT = 256, O_LIST, O_EXPECT_READERS, O_READER,
	       O_WAIT_READER, O_WAIT_CARD, O_WAIT_ABSENT, O_ATR, O_EXPECT_ATR,
	       O_PROTOCOL, O_ECHO, O_GENERATE, O_EXPECT_SW, O_EXPECT_LEN,
	       O_REPEAT, O_LOOP, O_STATS, O_DISCONNECT, O_READER_ATR,
	       O_LOOP_ERRORS, O_LOOP_MAX_MS, O_LOOP_PROGRESS };
	static const struct option lo[] = {
		{ "context", no_argument, NULL, O_CONTEXT },
		{ "list", no_argument, NULL, O_LIST },
		{ "expect-readers", required_argument, NULL, O_EXPECT_READERS },
		{ "reader", required_argument, NULL, O_READER },
		{ "wait-reader", required_argument, NULL, O_WAIT_READER },
		{ "wait-card", required_argument, NULL, O_WAIT_CARD },
		{ "wait-absent", required_argument, NULL, O_WAIT_ABSENT },
		{ "atr", no_argument, NULL, O_ATR },
		{ "expect-atr", required_argument, NULL, O_EXPECT_ATR },
		{ "protocol", required_argument, NULL, O_PROTOCOL },
		{ "echo", required_argument, NULL, O_ECHO },
		{ "generate", required_argument, NULL, O_GENERATE },
		{ "expect", required_argument, NULL, 'e' },
		{ "expect-sw", required_argument, NULL, O_EXPECT_SW },
		{ "expect-len", required_argument, NULL, O_EXPECT_LEN },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "loop", no_argument, NULL, O_LOOP },
		{ "loop-errors", required_argument, NULL, O_LOOP_ERRORS },
		{ "loop-max-ms", required_argument, NULL, O_LOOP_MAX_MS },
		{ "loop-progress", required_argument, NULL, O_LOOP_PROGRESS },
		{ "reader-atr", no_argument, NULL, O_READER_ATR },
		{ "disconnect", required_argument, NULL, O_DISCONNECT },
		{ "stats", no_argument, NULL, O_STATS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct step *s;
	uint8_t *b;
	size_t n;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->expect_readers = -1;
	o->wait_card = 10;
	o->wait_absent = -1;
	o->protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
	o->repeat = 1;
	o->disposition = SCARD_LEAVE_CARD;
	/* '-': APDUs come back as option 1, in order with their -e. */
	while ((c = getopt_long(argc, argv, "-e:qh", lo, NULL)) != -1) {
		switch (c) {
		case 1:
			if (parse_hex(optarg, &b, &n) < 0 || n < 4 || n > CMD_MAX)
				bad_arg("APDU", optarg, "expected 4 to 65545 bytes of hex");
			s = add_step(o);
			s->apdu = b;
			s->apdu_len = n;
			break;
		case 'e':
			s = last_step(o, "--expect");
			if (parse_hex(optarg, &b, &n) < 0 || n < 2)
				bad_arg("--expect", optarg, "expected hex, at least SW1 SW2");
			free(s->expect);
			s->expect = b;
			s->expect_len = n;
			break;
		case O_EXPECT_SW:
			s = last_step(o, "--expect-sw");
			if (parse_hex(optarg, &b, &n) < 0 || n != 2)
				bad_arg("--expect-sw", optarg, "expected 4 hex digits, e.g. 9000");
			s->expect_sw = b[0] << 8 | b[1];
			free(b);
			break;
		case O_EXPECT_LEN:
			s = last_step(o, "--expect-len");
			if (parse_long(optarg, 0, 65536, &v) < 0)
				bad_arg("--expect-len", optarg, "expected 0..65536");
			s->expect_data_len = v;
			break;
		case O_CONTEXT: o->context_only = true; break;
		case O_LIST: o->list = true; break;
		case O_EXPECT_READERS:
			if (parse_long(optarg, 0, MAX_READERS, &o->expect_readers) < 0)
				bad_arg("--expect-readers", optarg, "expected 0..16");
			break;
		case O_READER:
			if (parse_long(optarg, 0, MAX_READERS - 1, &v) < 0)
				bad_arg("--reader", optarg, "expected an index 0..15");
			o->reader = (unsigned)v;
			break;
		case O_WAIT_READER:
			if (parse_secs(optarg, &o->wait_reader) < 0)
				bad_arg("--wait-reader", optarg, "expected seconds, 0..3600");
			break;
		case O_WAIT_CARD:
			if (parse_secs(optarg, &o->wait_card) < 0)
				bad_arg("--wait-card", optarg, "expected seconds, 0..3600");
			break;
		case O_WAIT_ABSENT:
			if (parse_secs(optarg, &o->wait_absent) < 0)
				bad_arg("--wait-absent", optarg, "expected seconds, 0..3600");
			break;
		case O_ATR: o->print_atr = true; break;
		case O_EXPECT_ATR:
			if (parse_hex(optarg, &b, &n) < 0 || n < 2 || n > MAX_ATR_SIZE)
				bad_arg("--expect-atr", optarg, "expected 2..33 bytes of hex");
			o->expect_atr = b;
			o->expect_atr_len = n;
			break;
		case O_PROTOCOL:
			if (!strcmp(optarg, "t0"))
				o->protocols = SCARD_PROTOCOL_T0;
			else if (!strcmp(optarg, "t1"))
				o->protocols = SCARD_PROTOCOL_T1;
			else if (!strcmp(optarg, "any"))
				o->protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
			else
				bad_arg("--protocol", optarg, "expected t0, t1 or any");
			break;
		case O_ECHO:
			if (parse_long(optarg, 1, 65535, &v) < 0)
				bad_arg("--echo", optarg, "expected 1..65535 bytes");
			add_echo(o, v);
			break;
		case O_GENERATE:
			if (parse_long(optarg, 1, 65536, &v) < 0)
				bad_arg("--generate", optarg, "expected 1..65536 bytes");
			add_generate(o, v);
			break;
		case O_REPEAT:
			if (parse_long(optarg, 1, 100000000, &o->repeat) < 0)
				bad_arg("--repeat", optarg, "expected a count >= 1");
			break;
		case O_LOOP: o->loop = true; break;
		case O_LOOP_ERRORS:
			parse_error_names(optarg, o);
			break;
		case O_LOOP_MAX_MS:
			if (parse_long(optarg, 1, 3600000, &o->loop_max_ms) < 0)
				bad_arg("--loop-max-ms", optarg, "expected 1..3600000 ms");
			break;
		case O_LOOP_PROGRESS: o->loop_progress = optarg; break;
		case O_READER_ATR: o->reader_atr = true; break;
		case O_DISCONNECT:
			if (!strcmp(optarg, "leave"))
				o->disposition = SCARD_LEAVE_CARD;
			else if (!strcmp(optarg, "reset"))
				o->disposition = SCARD_RESET_CARD;
			else if (!strcmp(optarg, "unpower"))
				o->disposition = SCARD_UNPOWER_CARD;
			else
				bad_arg("--disconnect", optarg, "expected leave, reset or unpower");
			break;
		case O_STATS: o->stats = true; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (o->loop && !o->nsteps) {
		fprintf(stderr, "pcsc_client: --loop needs at least one APDU\n");
		exit(EXIT_USAGE);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	char readers[4096];
	const char *names[MAX_READERS];
	const char *reader;
	uint8_t state_atr[MAX_ATR_SIZE];
	DWORD state_atr_len = 0;
	unsigned long sent = 0;
	struct opts o;
	uint8_t *rsp;
	double t0;
	long r;
	int rc = 0, n, i;
	LONG rv;

	parse_args(argc, argv, &o);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_err("SCardEstablishContext", rv);
		return EXIT_PCSC;
	}
	if (o.context_only)
		goto out_ctx;

	if (o.list || o.expect_readers >= 0) {
		/* With --expect-readers, --wait-reader S waits for the count. */
		t0 = now_s();
		for (;;) {
			n = list_readers(ctx, readers, sizeof(readers), names, false);
			if (n < 0) {
				rc = EXIT_PCSC;
				goto out_ctx;
			}
			if (o.expect_readers < 0 || n == o.expect_readers ||
			    now_s() - t0 >= o.wait_reader || stop_flag)
				break;
			sleep_ms(50);
		}
		if (o.list)
			for (i = 0; i < n; i++)
				printf("%d: %s\n", i, names[i]);
		if (o.expect_readers >= 0 && n != o.expect_readers) {
			fprintf(stderr, "pcsc_client: %d reader%s listed, expected %ld\n",
				n, n == 1 ? "" : "s", o.expect_readers);
			rc = EXIT_CHECK;
			goto out_ctx;
		}
		if (!o.nsteps && !o.print_atr && !o.expect_atr && o.wait_absent < 0)
			goto out_ctx;
	}

	rsp = malloc(RSP_MAX);
	if (!rsp) {
		fprintf(stderr, "pcsc_client: out of memory\n");
		rc = EXIT_PCSC;
		goto out_ctx;
	}
	if (o.loop) {
		rc = run_loop(&ctx, &o, rsp);
		goto out_rsp;
	}
	/* A reader that goes away while we wait (pcscd still listed one that
	 * was being unplugged) is looked up again while time is left. */
	t0 = now_s();
	for (;;) {
		double wait = o.wait_absent >= 0 ? o.wait_absent : o.wait_card;
		double left = wait - (now_s() - t0);

		reader = find_reader(ctx, &o, readers, sizeof(readers), &rc);
		if (!reader)
			goto out_rsp;
		rc = wait_card_state(ctx, reader, o.wait_absent < 0,
				     left > 0 ? left : 0, state_atr, &state_atr_len);
		if (rc != RC_READER_GONE)
			break;
		if (now_s() - t0 >= wait || stop_flag) {
			fprintf(stderr, "pcsc_client: reader '%s' went away\n", reader);
			rc = EXIT_PCSC;
			goto out_rsp;
		}
		sleep_ms(100);
	}
	if (rc || o.wait_absent >= 0)
		goto out_rsp;
	if (o.reader_atr) {
		/* What pcscd got at power-up, without connecting. */
		print_hex(stdout, "Reader ATR: ", state_atr, state_atr_len);
		if (o.expect_atr && (state_atr_len != o.expect_atr_len ||
				     memcmp(state_atr, o.expect_atr, state_atr_len))) {
			print_hex(stderr, "pcsc_client: reader ATR mismatch: got ",
				  state_atr, state_atr_len);
			rc = EXIT_CHECK;
		}
		goto out_rsp;
	}
	rc = connect_card(ctx, reader, &o, &card, &proto);
	if (rc)
		goto out_rsp;
	t0 = now_s();
	for (r = 0; r < o.repeat && rc == 0 && !stop_flag; r++)
		rc = run_steps(card, proto, &o, rsp, &sent, NULL);
	if (o.stats)
		fprintf(stderr, "pcsc_client: %lu APDUs in %.3f s\n", sent,
			now_s() - t0);
	rv = SCardDisconnect(card, o.disposition);
	if (rv != SCARD_S_SUCCESS && rc == 0) {
		pcsc_err("SCardDisconnect", rv);
		rc = EXIT_PCSC;
	}
out_rsp:
	free(rsp);
out_ctx:
	SCardReleaseContext(ctx);
	for (size_t k = 0; k < o.nsteps; k++) {
		free(o.steps[k].apdu);
		free(o.steps[k].expect);
	}
	free(o.steps);
	free((void *)o.expect_atr);
	return rc;
}
