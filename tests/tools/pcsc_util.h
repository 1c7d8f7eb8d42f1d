/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers the PC/SC tools share (pcsc_client, pcsc_hold and
 * bench/pcsc_bench): PC/SC error names, a monotonic clock, sleeping, hex
 * digits, the test card's ECHO APDU. Header-only: each tool is one .c file built on its own. */
#ifndef PCSC_UTIL_H
#define PCSC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

/* The SCARD_* name of rv, "unknown" if none. */
static inline const char *pcsc_name(LONG rv)
{
	switch (rv) {
#define N(x) case x: return #x
	N(SCARD_S_SUCCESS); N(SCARD_F_INTERNAL_ERROR); N(SCARD_E_CANCELLED);
	N(SCARD_E_INVALID_HANDLE); N(SCARD_E_INVALID_PARAMETER);
	N(SCARD_E_INVALID_TARGET); N(SCARD_E_NO_MEMORY);
	N(SCARD_F_WAITED_TOO_LONG); N(SCARD_E_INSUFFICIENT_BUFFER);
	N(SCARD_E_UNKNOWN_READER); N(SCARD_E_TIMEOUT);
	N(SCARD_E_SHARING_VIOLATION); N(SCARD_E_NO_SMARTCARD);
	N(SCARD_E_UNKNOWN_CARD); N(SCARD_E_CANT_DISPOSE);
	N(SCARD_E_PROTO_MISMATCH); N(SCARD_E_NOT_READY);
	N(SCARD_E_INVALID_VALUE); N(SCARD_E_SYSTEM_CANCELLED);
	N(SCARD_F_COMM_ERROR); N(SCARD_F_UNKNOWN_ERROR);
	N(SCARD_E_INVALID_ATR); N(SCARD_E_NOT_TRANSACTED);
	N(SCARD_E_READER_UNAVAILABLE); N(SCARD_E_PCI_TOO_SMALL);
	N(SCARD_E_READER_UNSUPPORTED); N(SCARD_E_DUPLICATE_READER);
	N(SCARD_E_CARD_UNSUPPORTED); N(SCARD_E_NO_SERVICE);
	N(SCARD_E_SERVICE_STOPPED); N(SCARD_E_UNSUPPORTED_FEATURE);
	N(SCARD_E_NO_READERS_AVAILABLE); N(SCARD_E_COMM_DATA_LOST);
	N(SCARD_E_SERVER_TOO_BUSY); N(SCARD_W_UNSUPPORTED_CARD);
	N(SCARD_W_UNRESPONSIVE_CARD); N(SCARD_W_UNPOWERED_CARD);
	N(SCARD_W_RESET_CARD); N(SCARD_W_REMOVED_CARD);
#undef N
	default:
		return "unknown";
	}
}

/* The code of an SCARD_* error name; SCARD_S_SUCCESS if it names none
 * (or names success). Scans the codes pcsc_name() knows. */
static inline LONG pcsc_code(const char *name)
{
	static const LONG first = (LONG)0x80100001, last = (LONG)0x80100070;

	for (LONG rv = first; rv <= last; rv++)
		if (strcmp(pcsc_name(rv), name) == 0)
			return rv;
	return SCARD_S_SUCCESS;
}

/* "PROG: CALL: text (NAME, 0x...)" on stderr: one line. */
static inline void pcsc_report(const char *prog, const char *call, LONG rv)
{
	fprintf(stderr, "%s: %s: %s (%s, 0x%08lX)\n", prog, call,
		pcsc_stringify_error(rv), pcsc_name(rv), (unsigned long)rv);
}

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A hex digit's value, -1 if c is none. */
static inline int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Byte i of the ECHO data every tool sends: position-dependent, so a
 * dropped, doubled or reordered packet shows. */
static inline uint8_t echo_pattern_byte(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) + 1);
}

/* ECHO (CLA 0x80 INS 0xEE) of n pattern bytes into a (n + 9 bytes):
 * case 4, short if n <= 255 (Le 00), else extended (Le 00 00). The test
 * card answers the data + 90 00. Returns the APDU's length. */
static inline size_t echo_apdu(uint8_t *a, size_t n)
{
	size_t i, p = 0;

	a[p++] = 0x80;
	a[p++] = 0xEE;
	a[p++] = 0x00;
	a[p++] = 0x00;
	if (n <= 255) {
		a[p++] = (uint8_t)n;
	} else {
		a[p++] = 0x00;
		a[p++] = (uint8_t)(n >> 8);
		a[p++] = (uint8_t)n;
	}
	for (i = 0; i < n; i++)
		a[p++] = echo_pattern_byte(i);
	a[p++] = 0x00;           /* Le: up to 256, or */
	if (n > 255)
		a[p++] = 0x00;   /* up to 65536 */
	return p;
}

#endif
