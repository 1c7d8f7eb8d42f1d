/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcsc_bench: the benchmark's PC/SC timing client (make bench). One
 * connection, warm-up APDUs, then COUNT SCardTransmit calls, each timed with
 * clock_gettime(CLOCK_MONOTONIC). Prints one CSV line:
 *
 *   LABEL,COUNT,median_us,p90_us,p99_us,mean_us,min_us,max_us,bytes
 *
 * (bytes: command + response APDU bytes of one exchange, for throughput:
 * bytes / median). With --raw FILE every latency (us) goes to FILE, one a
 * line. Every response's status word is checked against --sw (default:
 * the one the first response had); a mismatch or a PC/SC error exits 1.
 *
 *   pcsc_bench [--label L] [--wait S] [--warmup N] [--count N]
 *              [--protocol t0|t1|any] [--sw HEX4] [--raw FILE]
 *              (APDU-HEX | --echo N)
 *
 * --echo N: the test card's ECHO (80 EE 00 00, extended Lc when N > 255,
 * N pattern bytes, Le 00 00), whose answer is the data + 90 00: both are
 * checked, byte for byte. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "../tests/tools/pcsc_util.h"

#define RSP_MAX (65536 + 2)

static void die(const char *what, LONG rv)
{
	pcsc_report("pcsc_bench", what, rv);
	exit(1);
}

static double now_us(void)
{
	return now_s() * 1e6;
}

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0, len = strlen(s);

	if (len % 2 || len / 2 > cap) {
		fprintf(stderr, "pcsc_bench: bad hex '%s'\n", s);
		exit(2);
	}
	for (size_t i = 0; i < len; i += 2) {
		int h = hex_val(s[i]), l = hex_val(s[i + 1]);

		if (h < 0 || l < 0) {
			fprintf(stderr, "pcsc_bench: bad hex '%s'\n", s);
			exit(2);
		}
		out[n++] = (uint8_t)(h << 4 | l);
	}
	return n;
}

/* The ECHO answer carries the pattern echo_apdu() sent (so the floor
 * reader and the daemon are shown to move the same bytes). */
static bool echo_is_pattern(const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (data[i] != echo_pattern_byte(i))
			return false;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n-1]. */
static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static double median(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Wait up to `secs` for a reader with a card; returns its name. */
static char *wait_card(SCARDCONTEXT ctx, double secs)
{
	double end = now_us() + secs * 1e6;
	static char name[2048];

	for (;;) {
		char buf[2048];
		DWORD len = sizeof(buf);
		LONG rv = SCardListReaders(ctx, NULL, buf, &len);

		if (rv == SCARD_S_SUCCESS && buf[0]) {
			SCARD_READERSTATE st = { .szReader = buf,
						 .dwCurrentState = SCARD_STATE_UNAWARE };

			if (SCardGetStatusChange(ctx, 0, &st, 1) == SCARD_S_SUCCESS &&
			    (st.dwEventState & SCARD_STATE_PRESENT)) {
				snprintf(name, sizeof(name), "%s", buf);
				return name;
			}
		}
		if (now_us() > end) {
			fprintf(stderr, "pcsc_bench: no reader with a card after %.0f s\n",
				secs);
			exit(4);
		}
		usleep(100000);
	}
}

int main(int argc, char **argv)
{
	const char *label = "apdu", *raw = NULL;
	long warmup = 50, count = 1000, echo = -1;
	double wait = 20;
	int want_sw = -1;
	DWORD protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, proto;
	static uint8_t apdu[4 + 3 + 65535 + 2], rsp[RSP_MAX];
	size_t apdu_len = 0;
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	double *lat, sum = 0;
	LONG rv;
	int c, i;
	static const struct option longs[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "wait", required_argument, NULL, 'w' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "count", required_argument, NULL, 'n' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "sw", required_argument, NULL, 's' },
		{ "raw", required_argument, NULL, 'r' },
		{ "echo", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'l': label = optarg; break;
		case 'w': wait = atof(optarg); break;
		case 'W': warmup = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'p':
			protocols = !strcmp(optarg, "t0") ? SCARD_PROTOCOL_T0 :
				    !strcmp(optarg, "t1") ? SCARD_PROTOCOL_T1 :
				    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
			break;
		case 's': want_sw = (int)strtol(optarg, NULL, 16); break;
		case 'r': raw = optarg; break;
		case 'e': echo = atol(optarg); break;
		default:
			fprintf(stderr, "usage: pcsc_bench [--label L] [--wait S] [--warmup N] [--count N] [--protocol t0|t1|any] [--sw HEX4] [--raw FILE] (APDU-HEX | --echo N)\n");
			return 2;
		}
	}
	if (echo > 0 && echo <= 65535)
		apdu_len = echo_apdu(apdu, (size_t)echo);
	else if (optind < argc)
		apdu_len = parse_hex(argv[optind], apdu, sizeof(apdu));
	if (apdu_len < 4 || count < 1 || warmup < 0) {
		fprintf(stderr, "pcsc_bench: give one APDU (or --echo 1..65535) and --count >= 1\n");
		return 2;
	}
	lat = calloc((size_t)count, sizeof(*lat));
	if (!lat)
		return 1;

	/* pcscd refuses a context for ~0.3 s after it starts (bed trap 4 (tests/vm/README.md)). */
	for (i = 0; (rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
						&ctx)) != SCARD_S_SUCCESS; i++) {
		if (i > 100)
			die("SCardEstablishContext", rv);
		usleep(100000);
	}
	const char *reader = wait_card(ctx, wait);

	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, protocols, &card,
			  &proto);
	if (rv != SCARD_S_SUCCESS)
		die("SCardConnect", rv);
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 :
								    SCARD_PCI_T0;
	size_t rsp_len = 0;

	for (long k = -warmup; k < count; k++) {
		DWORD rlen = sizeof(rsp);
		double t0 = now_us();

		rv = SCardTransmit(card, pci, apdu, (DWORD)apdu_len, NULL, rsp,
				   &rlen);
		double dt = now_us() - t0;

		if (rv != SCARD_S_SUCCESS)
			die("SCardTransmit", rv);
		if (rlen < 2) {
			fprintf(stderr, "pcsc_bench: %lu-byte response\n",
				(unsigned long)rlen);
			return 1;
		}
		int sw = rsp[rlen - 2] << 8 | rsp[rlen - 1];

		if (want_sw < 0)
			want_sw = sw;
		if (sw != want_sw) {
			fprintf(stderr, "pcsc_bench: SW %04X, expected %04X\n", sw,
				want_sw);
			return 1;
		}
		if (echo > 0 && (rlen != (DWORD)echo + 2 ||
				 !echo_is_pattern(rsp, (size_t)echo))) {
			fprintf(stderr, "pcsc_bench: ECHO %ld answered %lu bytes%s\n",
				echo, (unsigned long)rlen,
				rlen == (DWORD)echo + 2 ? ", not the data sent" : "");
			return 1;
		}
		rsp_len = rlen;
		if (k >= 0) {
			lat[k] = dt;
			sum += dt;
		}
	}
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);

	if (raw) {
		FILE *f = fopen(raw, "w");

		if (f) {
			for (long k = 0; k < count; k++)
				fprintf(f, "%.1f\n", lat[k]);
			fclose(f);
		}
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp_double);
	printf("%s,%ld,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%zu\n", label, count,
	       median(lat, (size_t)count), pct(lat, (size_t)count, 90),
	       pct(lat, (size_t)count, 99), sum / (double)count, lat[0],
	       lat[count - 1], apdu_len + rsp_len);
	free(lat);
	return 0;
}
