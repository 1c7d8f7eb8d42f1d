/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apdu_replay: replay a host's APDU sequence (a script) against the card in
 * a PC/SC reader and check every answer: its status word and the shape of
 * its data (BER-TLV tags, lengths, bytes). tests/vm/suites/piv.sh replays
 * what Windows' smart-card discovery and macOS's PIV token send first.
 *
 *   apdu_replay [--reader N] [--wait-card S] [--reset] [--max-ms MS] SCRIPT
 *
 * --reset: reset the card first (SCardReconnect), as a host sees it after
 * insertion. --max-ms: a step (with its GET RESPONSEs) that takes longer
 * is WRONG; each step's time is printed either way.
 *
 * SCRIPT: one step per line; '#' starts a comment; blank lines are skipped.
 *
 *   APDU-HEX [CHECK]...
 *
 * Like the host stacks do (ISO/IEC 7816-4 5.3.4 / T=0 case 2 and 4), a 61xx
 * answer is followed by GET RESPONSE (00 C0 00 00 xx) until the last part,
 * and a 6Cxx answer is re-sent with Le = xx; the checks apply to the whole
 * data and the last status word. Checks:
 *   sw=XXXX[|XXXX]...  the status word is one of these ('X' any nibble)
 *   len=N              N data bytes; minlen=N: at least N
 *   data=HEX           the data is exactly HEX
 *   tag=HEX            the data is exactly one BER-TLV with this tag, its
 *                      length field matching the data's length
 *   has=HEX[,HEX]...   inside that TLV's value (which must parse as BER-TLVs
 *                      to its end) each of these tags is present
 *   eq=TAG:FILE        the value of child TAG is byte-identical to FILE
 *   raw                no GET RESPONSE / re-send: check the first answer
 *   ok-only            the data checks (len .. eq) apply only to a 9000
 *                      answer (a step whose documented answer is either
 *                      "here it is" or an error)
 *
 * Prints each exchange and, for a failed check, a line with "WRONG".
 * Exit: 0 every check passed, 1 a check failed, 2 usage or a script error,
 * 3 PC/SC error, 4 timed out waiting for the card. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "pcsc_util.h"

enum { EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_PCSC = 3, EXIT_TIMEOUT = 4 };

#define PROG "apdu_replay"
#define CMD_MAX (4 + 3 + 65535 + 3)
#define RSP_MAX (65536 + 2)
#define DATA_MAX (1024 * 1024)   /* all GET RESPONSE parts together */
#define GET_RESPONSE_MAX 4096    /* parts: a card that never stops is wrong */

/* ---- hex ---- */

/* Parse hex (spaces not allowed) into out (cap bytes); -1 if malformed. */
static long parse_hex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t i;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = hex_val(s[i]), lo = hex_val(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static void print_hex(const char *prefix, const uint8_t *b, size_t n)
{
	size_t i, shown = n > 96 ? 96 : n;

	fputs(prefix, stdout);
	for (i = 0; i < shown; i++)
		printf("%02X", b[i]);
	if (shown < n)
		printf("... (%zu bytes)", n);
	putchar('\n');
}

/* ---- BER-TLV (ISO/IEC 7816-4 5.2, 8825-1) with every length untrusted ---- */

struct tlv {
	uint32_t tag;        /* the tag bytes as a big-endian number: 5FC102 */
	const uint8_t *value;
	size_t len;          /* value length */
	size_t total;        /* tag + length + value bytes */
};

/* One TLV at the start of b (n bytes). 0, or -1 if it does not fit or is
 * malformed (a tag over 3 bytes, a length over 3 bytes, indefinite). */
static int tlv_next(const uint8_t *b, size_t n, struct tlv *t)
{
	size_t p = 0, len = 0, k, nlen;

	if (n < 2)
		return -1;
	t->tag = b[p++];
	if ((t->tag & 0x1F) == 0x1F) {
		do {
			if (p >= n || p >= 3)
				return -1;
			t->tag = t->tag << 8 | b[p];
		} while (b[p++] & 0x80);
	}
	if (p >= n)
		return -1;
	if (b[p] < 0x80) {
		len = b[p++];
	} else {
		nlen = b[p++] & 0x7F;
		if (nlen == 0 || nlen > 3 || p + nlen > n)
			return -1;
		for (k = 0; k < nlen; k++)
			len = len << 8 | b[p++];
	}
	if (len > n - p)
		return -1;
	t->value = b + p;
	t->len = len;
	t->total = p + len;
	return 0;
}

/* The child with tag in value v (n bytes): 1 found, 0 not, -1 if v does
 * not parse as a sequence of TLVs to its end. */
static int tlv_find(const uint8_t *v, size_t n, uint32_t tag, struct tlv *out)
{
	struct tlv t;
	size_t p = 0;
	int found = 0;

	while (p < n) {
		if (tlv_next(v + p, n - p, &t) < 0)
			return -1;
		if (t.tag == tag && !found) {
			*out = t;
			found = 1;
		}
		p += t.total;
	}
	return found;
}

/* ---- one step ---- */

struct step {
	uint8_t apdu[CMD_MAX];
	size_t apdu_len;
	bool raw;
	bool ok_only;              /* data checks only for SW 9000 */
	char sw[8][5];            /* alternatives, "XXXX" patterns */
	int n_sw;
	long len, minlen;         /* -1: not checked */
	uint8_t *data;            /* data=, or NULL (owned) */
	long data_len;
	bool tag_set;
	uint32_t tag;
	uint32_t has[16];
	int n_has;
	uint32_t eq_tag;
	const char *eq_file;      /* points into the script line (owned by caller) */
};

static bool sw_matches(const char *pat, unsigned sw)
{
	char got[5];
	int i;

	snprintf(got, sizeof(got), "%04X", sw & 0xFFFF);
	for (i = 0; i < 4; i++)
		if (pat[i] != 'X' && pat[i] != got[i])
			return false;
	return true;
}

static int parse_tag(const char *s, size_t n, uint32_t *tag)
{
	uint8_t b[3];
	long k = parse_hex(s, n, b, sizeof(b));
	long i;

	if (k <= 0)
		return -1;
	*tag = 0;
	for (i = 0; i < k; i++)
		*tag = *tag << 8 | b[i];
	return 0;
}

/* Parse one script line into st (words split in place). 0, 1 for a line
 * with no step, -1 with a message. */
static int parse_line(char *line, struct step *st, unsigned lineno)
{
	char *w, *save = NULL;
	long n;

	memset(st, 0, sizeof(*st));
	st->len = st->minlen = -1;
	line[strcspn(line, "#\r\n")] = '\0';
	w = strtok_r(line, " \t", &save);
	if (!w)
		return 1;
	n = parse_hex(w, strlen(w), st->apdu, sizeof(st->apdu));
	if (n < 4) {
		fprintf(stderr, PROG ": line %u: '%s' is no APDU (hex, 4 bytes or more)\n", lineno, w);
		return -1;
	}
	st->apdu_len = (size_t)n;
	while ((w = strtok_r(NULL, " \t", &save)) != NULL) {
		char *v = strchr(w, '=');
		size_t vl = v ? strlen(v + 1) : 0;

		if (strcmp(w, "raw") == 0) {
			st->raw = true;
		} else if (strcmp(w, "ok-only") == 0) {
			st->ok_only = true;
		} else if (v && strncmp(w, "sw=", 3) == 0) {
			char *alt = v + 1, *bar;

			do {
				bar = strchr(alt, '|');
				if (st->n_sw == 8 || (bar ? (size_t)(bar - alt) : strlen(alt)) != 4)
					goto bad;
				memcpy(st->sw[st->n_sw], alt, 4);
				st->sw[st->n_sw++][4] = '\0';
				alt = bar + 1;
			} while (bar);
		} else if (v && strncmp(w, "len=", 4) == 0) {
			st->len = strtol(v + 1, NULL, 10);
		} else if (v && strncmp(w, "minlen=", 7) == 0) {
			st->minlen = strtol(v + 1, NULL, 10);
		} else if (v && strncmp(w, "data=", 5) == 0) {
			st->data = malloc(vl / 2 + 1);
			if (!st->data || (st->data_len = parse_hex(v + 1, vl, st->data, vl / 2 + 1)) < 0)
				goto bad;
		} else if (v && strncmp(w, "tag=", 4) == 0) {
			if (parse_tag(v + 1, vl, &st->tag) < 0)
				goto bad;
			st->tag_set = true;
		} else if (v && strncmp(w, "has=", 4) == 0) {
			char *t = v + 1, *comma;

			do {
				comma = strchr(t, ',');
				if (st->n_has == 16 ||
				    parse_tag(t, comma ? (size_t)(comma - t) : strlen(t), &st->has[st->n_has++]) < 0)
					goto bad;
				t = comma + 1;
			} while (comma);
		} else if (v && strncmp(w, "eq=", 3) == 0) {
			char *colon = strchr(v + 1, ':');

			if (!colon || parse_tag(v + 1, (size_t)(colon - v - 1), &st->eq_tag) < 0 || !colon[1])
				goto bad;
			st->eq_file = colon + 1;
		} else {
			goto bad;
		}
	}
	if ((st->n_has || st->eq_file) && !st->tag_set) {
		fprintf(stderr, PROG ": line %u: has= and eq= need tag=\n", lineno);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, PROG ": line %u: bad check '%s' (see the comment at the top of apdu_replay.c)\n",
		lineno, w);
	free(st->data);
	st->data = NULL;
	return -1;
}

/* Send one APDU; rsp gets the answer (RSP_MAX), *rlen its length. */
static int transmit(SCARDHANDLE card, DWORD proto, const uint8_t *apdu,
		    size_t n, uint8_t *rsp, DWORD *rlen)
{
	LONG rv;

	*rlen = RSP_MAX;
	rv = SCardTransmit(card, proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0,
			   apdu, (DWORD)n, NULL, rsp, rlen);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_report(PROG, "SCardTransmit", rv);
		return EXIT_PCSC;
	}
	if (*rlen < 2) {
		fprintf(stderr, PROG ": WRONG: an answer of %lu bytes, no status word\n",
			(unsigned long)*rlen);
		return EXIT_CHECK;
	}
	return 0;
}

/* Run st: exchange (following 61xx / 6Cxx unless raw), then the checks.
 * data (DATA_MAX) and rsp (RSP_MAX) are the caller's buffers. */
static int run_step(SCARDHANDLE card, DWORD proto, struct step *st,
		    uint8_t *data, uint8_t *rsp, long max_ms)
{
	double t0 = now_s(), ms;
	uint8_t cmd[CMD_MAX];
	size_t dlen = 0, parts = 0;
	unsigned sw;
	DWORD rlen;
	struct tlv outer, child;
	int rc, i, ok = 1;

	print_hex("> ", st->apdu, st->apdu_len);
	memcpy(cmd, st->apdu, st->apdu_len);
	rc = transmit(card, proto, cmd, st->apdu_len, rsp, &rlen);
	for (;;) {
		if (rc)
			return rc;
		sw = (unsigned)rsp[rlen - 2] << 8 | rsp[rlen - 1];
		if (rlen - 2 > DATA_MAX - dlen) {
			fprintf(stderr, PROG ": WRONG: over %d bytes of data\n", DATA_MAX);
			return EXIT_CHECK;
		}
		memcpy(data + dlen, rsp, rlen - 2);
		dlen += rlen - 2;
		if (st->raw || ++parts > GET_RESPONSE_MAX)
			break;
		if ((sw >> 8) == 0x61) {
			const uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };

			printf("  61%02X: GET RESPONSE\n", sw & 0xFF);
			rc = transmit(card, proto, gr, sizeof(gr), rsp, &rlen);
		} else if ((sw >> 8) == 0x6C && st->apdu_len >= 4) {
			/* re-send with Le = SW2: a case 2 APDU is the header + Le */
			printf("  6C%02X: re-sent with Le %02X\n", sw & 0xFF, sw & 0xFF);
			cmd[st->apdu_len == 4 ? 4 : st->apdu_len - 1] = (uint8_t)sw;
			rc = transmit(card, proto, cmd, st->apdu_len == 4 ? 5 : st->apdu_len,
				      rsp, &rlen);
		} else {
			break;
		}
	}
	ms = (now_s() - t0) * 1000.0;
	print_hex("< ", data, dlen);
	printf("  SW %04X\n", sw);
	printf("  %.1f ms\n", ms);
	if (max_ms > 0 && ms > (double)max_ms) {
		printf("WRONG: %.0f ms, over --max-ms %ld\n", ms, max_ms);
		ok = 0;
	}

	if (st->n_sw) {
		int hit = 0;

		for (i = 0; i < st->n_sw; i++)
			hit |= sw_matches(st->sw[i], sw);
		if (!hit) {
			printf("WRONG: status word %04X, expected %s%s\n", sw, st->sw[0],
			       st->n_sw > 1 ? " (or another listed)" : "");
			ok = 0;
		}
	}
	if (st->ok_only && sw != 0x9000)
		return ok ? 0 : EXIT_CHECK;
	if (st->len >= 0 && (long)dlen != st->len) {
		printf("WRONG: %zu data bytes, expected %ld\n", dlen, st->len);
		ok = 0;
	}
	if (st->minlen >= 0 && (long)dlen < st->minlen) {
		printf("WRONG: %zu data bytes, expected at least %ld\n", dlen, st->minlen);
		ok = 0;
	}
	if (st->data && ((long)dlen != st->data_len || memcmp(data, st->data, dlen) != 0)) {
		printf("WRONG: data differs from the expected %ld bytes\n", st->data_len);
		ok = 0;
	}
	if (!st->tag_set)
		return ok ? 0 : EXIT_CHECK;
	if (tlv_next(data, dlen, &outer) < 0 || outer.total != dlen || outer.tag != st->tag) {
		printf("WRONG: the data is not one BER-TLV with tag %X filling it\n", st->tag);
		return EXIT_CHECK;
	}
	for (i = 0; i < st->n_has; i++) {
		int f = tlv_find(outer.value, outer.len, st->has[i], &child);

		if (f < 0) {
			printf("WRONG: the value of tag %X is not a sequence of BER-TLVs\n", st->tag);
			return EXIT_CHECK;
		}
		if (f == 0) {
			printf("WRONG: tag %X has no child %X\n", st->tag, st->has[i]);
			ok = 0;
		}
	}
	if (st->eq_file) {
		FILE *f = fopen(st->eq_file, "rb");
		static uint8_t want[DATA_MAX];
		size_t wl;

		if (!f) {
			printf("WRONG: cannot open %s\n", st->eq_file);
			return EXIT_CHECK;
		}
		wl = fread(want, 1, sizeof(want), f);
		fclose(f);
		if (tlv_find(outer.value, outer.len, st->eq_tag, &child) != 1) {
			printf("WRONG: tag %X has no child %X\n", st->tag, st->eq_tag);
			ok = 0;
		} else if (child.len != wl || memcmp(child.value, want, wl) != 0) {
			printf("WRONG: child %X (%zu bytes) differs from %s (%zu bytes)\n",
			       st->eq_tag, child.len, st->eq_file, wl);
			ok = 0;
		}
	}
	return ok ? 0 : EXIT_CHECK;
}

static int usage(void)
{
	fprintf(stderr, "usage: " PROG " [--reader N] [--wait-card S] [--reset] [--max-ms MS] SCRIPT\n"
		"Replays SCRIPT's APDUs and checks each answer; the script syntax is\n"
		"described at the top of tests/tools/apdu_replay.c.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "wait-card", required_argument, NULL, 'w' },
		{ "reset", no_argument, NULL, 'R' },
		{ "max-ms", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned reader_ix = 0, lineno = 0, steps = 0, failed = 0;
	double wait_card = 10;
	long max_ms = 0;
	bool reset = false;
	char readers[4096], *names[16], line[2 * CMD_MAX + 4096];
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto, rlen = sizeof(readers);
	uint8_t *data, *rsp;
	struct step *st;
	FILE *script;
	int opt, n = 0, rc = 0;
	char *p;
	LONG rv;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': reader_ix = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': wait_card = strtod(optarg, NULL); break;
		case 'R': reset = true; break;
		case 'm': max_ms = strtol(optarg, NULL, 10); break;
		default: return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	script = fopen(argv[optind], "r");
	if (!script) {
		fprintf(stderr, PROG ": cannot open %s\n", argv[optind]);
		return EXIT_USAGE;
	}
	data = malloc(DATA_MAX);
	rsp = malloc(RSP_MAX);
	st = malloc(sizeof(*st));
	if (!data || !rsp || !st) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_PCSC;
	}

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		pcsc_report(PROG, "SCardEstablishContext", rv);
		return EXIT_PCSC;
	}
	rv = SCardListReaders(ctx, NULL, readers, &rlen);
	if (rv == SCARD_S_SUCCESS)
		for (p = readers; *p && n < 16; p += strlen(p) + 1)
			names[n++] = p;
	if ((unsigned)n <= reader_ix) {
		fprintf(stderr, PROG ": no reader %u (pcscd lists %d)\n", reader_ix, n);
		return EXIT_PCSC;
	}
	/* the card may still be on its way in */
	for (double end = now_s() + wait_card;;) {
		rv = SCardConnect(ctx, names[reader_ix], SCARD_SHARE_SHARED,
				  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
		if (rv == SCARD_S_SUCCESS)
			break;
		if (rv != SCARD_E_NO_SMARTCARD || now_s() >= end) {
			pcsc_report(PROG, "SCardConnect", rv);
			return rv == SCARD_E_NO_SMARTCARD ? EXIT_TIMEOUT : EXIT_PCSC;
		}
		sleep_ms(100);
	}
	/* --reset: the card as a host first sees it after insertion */
	if (reset) {
		rv = SCardReconnect(card, SCARD_SHARE_SHARED,
				    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD, &proto);
		if (rv != SCARD_S_SUCCESS) {
			pcsc_report(PROG, "SCardReconnect", rv);
			return EXIT_PCSC;
		}
	}
	while (fgets(line, sizeof(line), script)) {
		int r;

		lineno++;
		r = parse_line(line, st, lineno);
		if (r < 0) {
			rc = EXIT_USAGE;
			break;
		}
		if (r > 0)
			continue;
		steps++;
		printf("step %u (line %u):\n", steps, lineno);
		r = run_step(card, proto, st, data, rsp, max_ms);
		free(st->data);
		if (r == EXIT_CHECK) {
			failed++;
			continue;
		}
		if (r) {
			rc = r;
			break;
		}
	}
	fclose(script);
	if (!rc && failed)
		rc = EXIT_CHECK;
	printf("%u steps, %u wrong\n", steps, failed);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	free(st);
	free(rsp);
	free(data);
	return rc;
}
