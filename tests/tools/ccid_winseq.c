/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid_winseq: replays, through real USB (usbdevfs, no libccid, no pcscd),
 * the sequence Windows' USB CCID class driver (usbccid.sys) sends a
 * reader, and asserts every answer against CCID 1.1. The sequence, from
 * Microsoft's and users' accounts of the class driver:
 *
 *   - the GET_CLOCK_FREQUENCIES and GET_DATA_RATES class requests ("USB
 *     CCID readers should implement the GET_CLOCK_FREQUENCIES and
 *     GET_DATA_RATES properties, even if bit 20h in dwFeatures is set",
 *     Microsoft Class Drivers for USB CCID Smart Cards, learn.microsoft.com
 *     previous-versions/windows/hardware/design/dn653571), asked for as
 *     many dwords as the descriptor counts;
 *   - at arrival "power off, power on, ... Set parameters (11, 00, 02, 0f,
 *     00) ..., and set freq and baud rate with the only values that I
 *     specified in the descriptor" (a usbccid.sys trace,
 *     community.osr.com "problems comunicating with windows ccid
 *     driver"), with GetSlotStatus polls between, the power-on at 5 V
 *     first (bPowerSelect 1: the class driver supports "5.0V, 3.0V, and
 *     1.8V cards", dn653571), GetParameters, SetParameters for T=0 and
 *     T=1 with the ATR's values (SmartcardUpdateCardCapabilities, smclib);
 *   - XfrBlock of every APDU case (ISO/IEC 7816-4 5.1: 1, 2, 3, 4, short
 *     and extended, up to 64 KiB: the reader is extended-APDU level), a
 *     card that takes long (time extensions, Section 6.2.6), ABORT (class
 *     request, Section 5.3.1, then PC_to_RDR_Abort, 6.1.13), IccPowerOff
 *     and a second power-on.
 *
 *   ccid_winseq [--sysfs DIR] [--slow MS] [--atr HEX]
 *
 * Without --slow the card must answer at once (--card test); with --slow
 * MS it takes MS ms per command (--card test,delay_ms=MS), and the slow
 * part runs: time extensions while an APDU is pending, ABORT of a pending
 * APDU. Prints TAP lines ("ok - ..."); exit 0 if all passed. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usbdev.h"

#define HDR 10
#define IO_MS 3000

static struct usbdev u = { .fd = -1 };
static uint8_t *out, *in;     /* a whole message each way */
static size_t cap;
static uint8_t seq;
static int failures;
static uint8_t atr[40];
static size_t atr_len;

static void result(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Send one PC_to_RDR message (Section 6.1 header + data). */
static int send_msg(uint8_t type, uint8_t b7, uint8_t b8, uint8_t b9,
		    const uint8_t *data, size_t len)
{
	int n;

	out[0] = type;
	usbdev_put_le32(out + 1, (uint32_t)len);
	out[5] = 0;          /* bSlot */
	out[6] = ++seq;
	out[7] = b7;
	out[8] = b8;
	out[9] = b9;
	if (len)
		memcpy(out + HDR, data, len);
	n = usbdev_bulk(&u, u.ep_out, out, HDR + len, IO_MS);
	return n == (int)(HDR + len) ? 0 : (n < 0 ? n : -EIO);
}

struct answer {
	int len;             /* bytes, or -errno */
	unsigned te;         /* time extensions before it */
	uint8_t te_berr_min; /* smallest bError among them */
	long first_te_ms;    /* from the command, -1 if none */
	long max_gap_ms;     /* the longest wait between two messages */
	long took_ms;
};

/* Read the answer to the last command; count the time extensions
 * (DataBlock, bmCommandStatus 2) on the way. */
static struct answer recv_answer(unsigned timeout_ms)
{
	struct answer a = { .te_berr_min = 0xFF, .first_te_ms = -1 };
	long t0 = now_ms(), last = t0;

	for (;;) {
		int n = usbdev_bulk(&u, u.ep_in, in, cap, timeout_ms);
		long t = now_ms();

		if (t - last > a.max_gap_ms)
			a.max_gap_ms = t - last;
		last = t;
		a.took_ms = t - t0;
		if (n >= HDR && in[0] == 0x80 && (in[7] >> 6) == 2 &&
		    in[6] == seq) {
			if (a.te == 0)
				a.first_te_ms = t - t0;
			a.te++;
			if (in[8] < a.te_berr_min)
				a.te_berr_min = in[8];
			continue;
		}
		a.len = n;
		return a;
	}
}

/* The header of the last answer is (type, bSeq = ours, bStatus, bError,
 * dwLength = the bytes after it) and, if want_b9 >= 0, byte 9. */
static bool header_is(const struct answer *a, uint8_t type, uint8_t status,
		      uint8_t error, int want_b9, char *why, size_t whylen)
{
	if (a->len < HDR) {
		snprintf(why, whylen, "no answer (%d)", a->len);
		return false;
	}
	if (in[0] != type || in[5] != 0 || in[6] != seq || in[7] != status ||
	    in[8] != error || (want_b9 >= 0 && in[9] != want_b9) ||
	    usbdev_le32(in + 1) != (uint32_t)(a->len - HDR)) {
		snprintf(why, whylen,
			 "got %02X len %u slot %u seq %u status %02X error %02X b9 %02X "
			 "(%d bytes); want %02X seq %u status %02X error %02X",
			 in[0], usbdev_le32(in + 1), in[5], in[6], in[7], in[8],
			 in[9], a->len, type, seq, status, error);
		return false;
	}
	snprintf(why, whylen, "%02X seq %u status %02X error %02X, %d data bytes",
		 type, seq, status, error, a->len - HDR);
	return true;
}

static struct answer command(uint8_t type, uint8_t b7, uint8_t b8, uint8_t b9,
			     const uint8_t *data, size_t len, unsigned timeout)
{
	struct answer a = { .len = send_msg(type, b7, b8, b9, data, len) };

	if (a.len < 0)
		return a;
	return recv_answer(timeout);
}

/* ---- the steps ---- */

static void class_requests(void)
{
	uint8_t b[1024];
	unsigned nclk = u.ccid[18], nrate = u.ccid[27];
	int n;
	bool ok;

	n = usbdev_class_request(&u, 0xA1, 0x02, 0, b, (uint16_t)(4 * nclk), IO_MS);
	ok = nclk >= 1 && n == (int)(4 * nclk) &&
	     usbdev_le32(b) == usbdev_le32(u.ccid + 10) &&
	     usbdev_le32(b + n - 4) == usbdev_le32(u.ccid + 14);
	result(ok, "GET_CLOCK_FREQUENCIES: %d bytes for bNumClockSupported %u, "
	       "%u .. %u kHz (dwDefaultClock %u, dwMaximumClock %u)", n, nclk,
	       n >= 4 ? usbdev_le32(b) : 0, n >= 4 ? usbdev_le32(b + n - 4) : 0,
	       usbdev_le32(u.ccid + 10), usbdev_le32(u.ccid + 14));
	n = usbdev_class_request(&u, 0xA1, 0x03, 0, b, (uint16_t)(4 * nrate), IO_MS);
	ok = nrate >= 1 && n == (int)(4 * nrate) &&
	     usbdev_le32(b) == usbdev_le32(u.ccid + 19) &&
	     usbdev_le32(b + n - 4) == usbdev_le32(u.ccid + 23);
	for (int i = 4; ok && i < n; i += 4)
		ok = usbdev_le32(b + i) > usbdev_le32(b + i - 4);
	result(ok, "GET_DATA_RATES: %d bytes for bNumDataRatesSupported %u, "
	       "ascending %u .. %u bps (dwDataRate %u, dwMaxDataRate %u)", n,
	       nrate, n >= 4 ? usbdev_le32(b) : 0,
	       n >= 4 ? usbdev_le32(b + n - 4) : 0, usbdev_le32(u.ccid + 19),
	       usbdev_le32(u.ccid + 23));
	/* a longer wLength gets the same list, no more */
	n = usbdev_class_request(&u, 0xA1, 0x03, 0, b, sizeof(b), IO_MS);
	result(n == (int)(4 * nrate), "GET_DATA_RATES with wLength %zu: %d bytes",
	       sizeof(b), n);
}

static void slot_status(const char *when, bool powered)
{
	struct answer a = command(0x65, 0, 0, 0, NULL, 0, IO_MS);
	char why[200];

	/* bClockStatus (6.2.2): running when powered, "stopped in an unknown
	 * state" (3) when not */
	result(header_is(&a, 0x81, powered ? 0x00 : 0x01, 0, powered ? 0 : 3,
			 why, sizeof(why)),
	       "GetSlotStatus %s: ICC %s, clock %s: %s", when,
	       powered ? "active" : "inactive", powered ? "running" : "stopped",
	       why);
}

static void power_off(const char *when)
{
	struct answer a = command(0x63, 0, 0, 0, NULL, 0, IO_MS);
	char why[200];

	result(header_is(&a, 0x81, 0x01, 0, -1, why, sizeof(why)),
	       "IccPowerOff %s: SlotStatus, ICC inactive: %s", when, why);
}

static void power_on(const char *when, unsigned slow_ms)
{
	struct answer a = command(0x62, 1, 0, 0, NULL, 0, slow_ms + 10000);
	char why[200];
	bool ok = header_is(&a, 0x80, 0x00, 0, 0, why, sizeof(why));

	if (ok && atr_len)
		ok = (size_t)(a.len - HDR) == atr_len && !memcmp(in + HDR, atr, atr_len);
	if (!atr_len && ok && a.len > HDR) {   /* remember the first one */
		atr_len = (size_t)(a.len - HDR) < sizeof(atr) ? (size_t)(a.len - HDR) : sizeof(atr);
		memcpy(atr, in + HDR, atr_len);
	}
	result(ok && a.te == 0 && a.took_ms + 50 >= (long)slow_ms,
	       "IccPowerOn %s, bPowerSelect 1 (5 V): DataBlock with the ATR "
	       "(%d bytes) after %ld ms, %u time extensions: %s", when,
	       a.len - HDR, a.took_ms, a.te, why);
}

static void parameters(void)
{
	static const uint8_t t0[] = { 0x11, 0x00, 0x00, 0x0A, 0x00 };
	uint8_t t1[] = { 0x11, 0x10, 0x00, 0x4D, 0x00, 0x20, 0x00 };
	uint8_t bad[7];
	struct answer a;
	char why[200];
	bool ok;

	a = command(0x6C, 0, 0, 0, NULL, 0, IO_MS);
	ok = header_is(&a, 0x82, 0x00, 0, -1, why, sizeof(why)) &&
	     (a.len == HDR + 5 || a.len == HDR + 7) &&
	     in[9] == (a.len == HDR + 7 ? 1 : 0);
	result(ok, "GetParameters: bProtocolNum %u, %d bytes: %s", in[9],
	       a.len - HDR, why);
	/* Windows' T=0 block from the ATR (no TC1/TC2 in the test card's) */
	a = command(0x61, 0, 0, 0, t0, sizeof(t0), IO_MS);
	ok = header_is(&a, 0x82, 0x00, 0, 0, why, sizeof(why)) &&
	     a.len == HDR + 5 && !memcmp(in + HDR, t0, 5);
	result(ok, "SetParameters T=0 11 00 00 0A 00: accepted, echoed: %s", why);
	/* and T=1 with the ATR's TA3 / TB3 when it offers T=1 (test card:
	 * IFSC FE, BWI 4 CWI 5) */
	t1[3] = 0x45;
	t1[5] = 0xFE;
	a = command(0x61, 1, 0, 0, t1, sizeof(t1), IO_MS);
	ok = header_is(&a, 0x82, 0x00, 0, 1, why, sizeof(why)) &&
	     a.len == HDR + 7 && !memcmp(in + HDR, t1, 7);
	result(ok, "SetParameters T=1 11 10 00 45 00 FE 00: accepted, echoed: %s", why);
	/* refused: a NAD the reader does not offer (bError 16, the field) */
	memcpy(bad, t1, 7);
	bad[6] = 0x01;
	a = command(0x61, 1, 0, 0, bad, sizeof(bad), IO_MS);
	ok = header_is(&a, 0x82, 0x40, 16, 1, why, sizeof(why)) &&
	     a.len == HDR + 7 && !memcmp(in + HDR, t1, 7);
	result(ok, "SetParameters T=1 with NAD 01: refused, bError 16, the "
	       "parameters unchanged: %s", why);
	/* SetDataRateAndClockFrequency with the descriptor's values */
	{
		uint8_t rc[8];

		memcpy(rc, u.ccid + 10, 4);    /* dwDefaultClock */
		memcpy(rc + 4, u.ccid + 19, 4);   /* dwDataRate */
		a = command(0x73, 0, 0, 0, rc, sizeof(rc), IO_MS);
		ok = header_is(&a, 0x84, 0x00, 0, -1, why, sizeof(why)) &&
		     a.len == HDR + 8 && !memcmp(in + HDR, rc, 8);
		result(ok, "SetDataRateAndClockFrequency %u kHz %u bps: the same "
		       "values answered: %s", usbdev_le32(rc), usbdev_le32(rc + 4),
		       why);
	}
}

/* One APDU through XfrBlock; the answer must be `want` (wlen bytes). */
static void xfr(const char *name, const uint8_t *apdu, size_t alen,
		const uint8_t *want, size_t wlen)
{
	struct answer a = command(0x6F, 0, 0, 0, apdu, alen, 10000);
	char why[200];
	bool ok = header_is(&a, 0x80, 0x00, 0, 0, why, sizeof(why)) &&
		  (size_t)(a.len - HDR) == wlen && !memcmp(in + HDR, want, wlen);

	result(ok, "XfrBlock %s: %zu-byte command, %zu-byte answer: %s", name,
	       alen, wlen, why);
}

static void apdu_cases(void)
{
	size_t big = 65535;
	uint8_t *cmd = malloc(big + 16), *want = malloc(65536 + 16);

	if (!cmd || !want) {
		result(false, "APDU cases: no memory");
		free(cmd);
		free(want);
		return;
	}
	/* case 1: ECHO with no data */
	xfr("case 1 (80 EE 00 00)", (const uint8_t *)"\x80\xEE\x00\x00", 4,
	    (const uint8_t *)"\x90\x00", 2);
	/* case 2 short: GENERATE Le */
	for (size_t i = 0; i < 256; i++)
		want[i] = (uint8_t)i;
	want[16] = 0x90;
	want[17] = 0x00;
	xfr("case 2 short (GENERATE Le 10)", (const uint8_t *)"\x80\xEF\x00\x00\x10", 5,
	    want, 18);
	for (size_t i = 0; i < 256; i++)
		want[i] = (uint8_t)i;
	want[256] = 0x90;
	want[257] = 0x00;
	xfr("case 2 short (GENERATE Le 00 = 256)",
	    (const uint8_t *)"\x80\xEF\x00\x00\x00", 5, want, 258);
	/* case 3 short: ECHO Lc 5 */
	memcpy(cmd, "\x80\xEE\x00\x00\x05\x01\x02\x03\x04\x05", 10);
	xfr("case 3 short (ECHO Lc 05)", cmd, 10,
	    (const uint8_t *)"\x01\x02\x03\x04\x05\x90\x00", 7);
	/* case 4 short: ECHO Lc FF, Le 00 */
	memcpy(cmd, "\x80\xEE\x00\x00\xFF", 5);
	for (size_t i = 0; i < 255; i++)
		cmd[5 + i] = want[i] = (uint8_t)(0xA5 ^ i);
	cmd[260] = 0x00;
	want[255] = 0x90;
	want[256] = 0x00;
	xfr("case 4 short (ECHO Lc FF Le 00)", cmd, 261, want, 257);
	/* case 2 extended: GENERATE Le 0000 = 65536 */
	for (size_t i = 0; i < 65536; i++)
		want[i] = (uint8_t)i;
	want[65536] = 0x90;
	want[65537] = 0x00;
	xfr("case 2 extended (GENERATE Le 0000 = 65536)",
	    (const uint8_t *)"\x80\xEF\x00\x00\x00\x00\x00", 7, want, 65538);
	/* case 3 extended: ECHO Lc FFFF */
	memcpy(cmd, "\x80\xEE\x00\x00\x00\xFF\xFF", 7);
	for (size_t i = 0; i < big; i++)
		cmd[7 + i] = want[i] = (uint8_t)(i * 7 + 3);
	want[big] = 0x90;
	want[big + 1] = 0x00;
	xfr("case 3 extended (ECHO Lc FFFF)", cmd, 7 + big, want, big + 2);
	/* case 4 extended: ECHO Lc 1000 Le 0000, and the largest one the
	 * reader takes in one XfrBlock (dwMaxCCIDMessageLength - 10) */
	memcpy(cmd, "\x80\xEE\x00\x00\x00\x10\x00", 7);
	cmd[7 + 4096] = cmd[8 + 4096] = 0;
	want[4096] = 0x90;
	want[4097] = 0x00;
	for (size_t i = 0; i < 4096; i++)
		want[i] = cmd[7 + i];
	xfr("case 4 extended (ECHO Lc 1000 Le 0000)", cmd, 7 + 4096 + 2, want, 4098);
	{
		size_t lc = u.max_msg - HDR - 9;   /* 4 + 3 + Lc + 2 */

		if (lc > 65535)
			lc = 65535;
		cmd[4] = 0;
		cmd[5] = (uint8_t)(lc >> 8);
		cmd[6] = (uint8_t)lc;
		for (size_t i = 0; i < lc; i++)
			cmd[7 + i] = want[i] = (uint8_t)(i ^ (i >> 8));
		cmd[7 + lc] = cmd[8 + lc] = 0;
		want[lc] = 0x90;
		want[lc + 1] = 0x00;
		xfr("case 4 extended, largest (ECHO Lc max Le 0000)", cmd,
		    9 + lc, want, lc + 2);
	}
	free(cmd);
	free(want);
}

/* ABORT (Section 5.3.1): the class request with bSeq and bSlot, then
 * PC_to_RDR_Abort with that bSeq; with `pending` an XfrBlock runs on the
 * (slow) card and is answered failed CMD_ABORTED first. */
static void abort_seq(bool pending)
{
	uint8_t xseq = 0;
	struct answer a;
	char why[200];
	int rc;
	bool ok = true;

	if (pending) {
		ok = send_msg(0x6F, 0, 0, 0, (const uint8_t *)"\x80\xEE\x00\x00\x01\x42", 6) == 0;
		xseq = seq;
		usleep(300 * 1000);
	}
	rc = usbdev_class_request(&u, 0x21, 0x01, (uint16_t)((seq + 1) << 8 | 0),
				  NULL, 0, IO_MS);
	result(rc == 0, "ABORT class request (bSeq %u, bSlot 0)%s: %s",
	       (uint8_t)(seq + 1), pending ? " with an APDU pending" : "",
	       rc == 0 ? "acknowledged" : strerror(-rc));
	if (pending) {
		/* the aborted XfrBlock's answer comes before the Abort's */
		a = recv_answer(IO_MS);
		ok = ok && a.len >= HDR && in[0] == 0x80 && in[6] == xseq &&
		     in[7] == 0x40 && in[8] == 0xFF;
		result(ok, "the pending XfrBlock (bSeq %u) answered failed, bError "
		       "FF (CMD_ABORTED), after %u time extensions: got %02X seq %u "
		       "status %02X error %02X", xseq, a.te, in[0], in[6], in[7], in[8]);
		a = command(0x72, 0, 0, 0, NULL, 0, IO_MS);
	} else {
		a = command(0x72, 0, 0, 0, NULL, 0, IO_MS);
	}
	result(header_is(&a, 0x81, 0x00, 0, -1, why, sizeof(why)),
	       "PC_to_RDR_Abort (bSeq %u): SlotStatus, success: %s", seq, why);
}

static void slow_apdu(unsigned slow_ms)
{
	struct answer a = command(0x6F, 0, 0, 0,
				  (const uint8_t *)"\x80\xEE\x00\x00\x02\xCA\xFE", 7,
				  IO_MS);
	char why[200];
	bool ok = header_is(&a, 0x80, 0x00, 0, 0, why, sizeof(why)) &&
		  a.len == HDR + 4 && !memcmp(in + HDR, "\xCA\xFE\x90\x00", 4);

	result(ok && a.took_ms + 50 >= (long)slow_ms, "slow APDU answered after "
	       "%ld ms (card delay %u ms): %s", a.took_ms, slow_ms, why);
	result(a.te >= 1 && a.te_berr_min >= 1 && a.first_te_ms >= 0 &&
	       a.first_te_ms < 1000 && a.max_gap_ms < 1000,
	       "slow APDU: %u time extensions (bError >= %u), the first after %ld ms, "
	       "never more than %ld ms apart (inside the 997 ms T=0 WWT)", a.te,
	       a.te_berr_min, a.first_te_ms, a.max_gap_ms);
}

int main(int argc, char **argv)
{
	const char *sysdir = "/sys/bus/usb/devices/1-1";
	unsigned slow = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sysfs") && i + 1 < argc) {
			sysdir = argv[++i];
		} else if (!strcmp(argv[i], "--slow") && i + 1 < argc) {
			slow = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: ccid_winseq [--sysfs DIR] [--slow MS]\n");
			return 2;
		}
	}
	if (usbdev_open(&u, sysdir, "ccid_winseq") < 0)
		return 1;
	cap = (size_t)u.max_msg + u.mps;
	out = malloc(cap);
	in = malloc(cap);
	if (!out || !in)
		return 1;
	fprintf(stderr, "ccid_winseq: %04x:%04x interface %d, OUT %02x IN %02x, "
		"packets of %u, dwMaxCCIDMessageLength %u\n", u.vid, u.pid,
		u.iface, u.ep_out, u.ep_in, u.mps, u.max_msg);
	class_requests();
	slot_status("at arrival", false);
	power_off("at arrival");
	power_on("at arrival", slow);
	slot_status("after power-on", true);
	if (!slow) {
		parameters();
		apdu_cases();
		abort_seq(false);
	} else {
		slow_apdu(slow);
		abort_seq(true);
		/* the card's late answer to the aborted APDU is dropped: the
		 * next command is answered in step */
		usleep((slow + 500) * 1000);
		slot_status("after the aborted APDU's late answer", true);
	}
	power_off("at the end");
	slot_status("powered off", false);
	power_on("again (second power-on)", slow);
	if (!slow)
		xfr("after the second power-on", (const uint8_t *)"\x80\xEE\x00\x00", 4,
		    (const uint8_t *)"\x90\x00", 2);
	usbdev_close(&u);
	free(out);
	free(in);
	return failures ? 1 : 0;
}
