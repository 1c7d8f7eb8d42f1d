/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check_descriptors: check a USB CCID reader's descriptors as the host read
 * them, field by field, against USB 2.0 / 3.x chapter 9 and CCID 1.1.
 *
 *   check_descriptors [OPTIONS] FILE
 *
 * FILE is the binary sysfs attribute /sys/bus/usb/devices/B-P/descriptors:
 * the 18-byte device descriptor followed by the configuration descriptor(s)
 * with everything under them, as the host received them.
 *
 * Every field checked prints one line "NAME = VALUE" with "ok" or
 * "WRONG (expected ...)". Exit 0 if all are right, 1 if any is wrong or the
 * blob is malformed, 2 for a usage or I/O error. Expected values come from
 * the specifications, and where the spec leaves a choice, from what
 * ccid-gadget documents (overridable below). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum speed { SPEED_FULL, SPEED_HIGH, SPEED_SUPER };

struct expect {
	enum speed speed;
	unsigned vid, pid;
	long bcd_usb;              /* -1: by speed (0x0200, or >= 0x0300 at super) */
	unsigned slots;
	unsigned long max_msg;     /* dwMaxCCIDMessageLength */
	unsigned long features;    /* dwFeatures */
	unsigned long protocols;   /* dwProtocols */
	bool verbose;
};

static int wrong;

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* One field: print it, and whether it is what was expected. */
static void field(const char *name, unsigned long got, bool good,
		  const char *fmt, ...)
{
	va_list ap;

	printf("%-40s = 0x%08lx (%lu)  ", name, got, got);
	if (good) {
		puts("ok");
		return;
	}
	wrong++;
	fputs("WRONG (expected ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	puts(")");
}

static void eq(const char *name, unsigned long got, unsigned long want)
{
	field(name, got, got == want, "0x%lx", want);
}

static void malformed(const char *what, size_t off)
{
	printf("MALFORMED at byte %zu: %s\n", off, what);
	wrong++;
}

static void check_device(const uint8_t *d, const struct expect *e)
{
	unsigned bcd = le16(d + 2);

	eq("device.bLength", d[0], 18);
	eq("device.bDescriptorType", d[1], 1);
	if (e->bcd_usb >= 0)
		eq("device.bcdUSB", bcd, (unsigned long)e->bcd_usb);
	else if (e->speed == SPEED_SUPER)
		field("device.bcdUSB", bcd, bcd >= 0x0300 && bcd <= 0x0320,
		      "0x0300..0x0320 at super speed");
	else
		eq("device.bcdUSB", bcd, 0x0200);
	/* CCID 1.1 Section 4.1: the class is given at interface level. */
	eq("device.bDeviceClass", d[4], 0);
	eq("device.bDeviceSubClass", d[5], 0);
	eq("device.bDeviceProtocol", d[6], 0);
	/* USB 3.x 9.6.1: 09h (2^9 = 512) at super speed; 64 for a high
	 * speed device (USB 2.0 5.5.3), 8..64 at full speed. */
	if (e->speed == SPEED_SUPER)
		eq("device.bMaxPacketSize0", d[7], 9);
	else if (e->speed == SPEED_HIGH)
		eq("device.bMaxPacketSize0", d[7], 64);
	else
		field("device.bMaxPacketSize0", d[7],
		      d[7] == 8 || d[7] == 16 || d[7] == 32 || d[7] == 64,
		      "8, 16, 32 or 64");
	eq("device.idVendor", le16(d + 8), e->vid);
	eq("device.idProduct", le16(d + 10), e->pid);
	printf("%-40s = 0x%04x\n", "device.bcdDevice", le16(d + 12));
	field("device.iManufacturer", d[14], d[14] != 0, "a string index");
	field("device.iProduct", d[15], d[15] != 0, "a string index");
	field("device.iSerialNumber", d[16], d[16] != 0, "a string index");
	eq("device.bNumConfigurations", d[17], 1);
}

/* CCID 1.1 Section 5.1, Table 5.1-1 (offsets within the descriptor). */
static void check_class(const uint8_t *c, const struct expect *e)
{
	unsigned long def_clk = le32(c + 10), max_clk = le32(c + 14);
	unsigned long rate = le32(c + 19), max_rate = le32(c + 23);
	unsigned long feat = le32(c + 40), msg = le32(c + 44);
	unsigned long level = feat & 0x00070000;

	eq("ccid.bLength", c[0], 54);
	eq("ccid.bDescriptorType", c[1], 0x21);
	eq("ccid.bcdCCID", le16(c + 2), 0x0110);
	eq("ccid.bMaxSlotIndex", c[4], e->slots - 1);
	field("ccid.bVoltageSupport", c[5], c[5] != 0 && (c[5] & ~7u) == 0,
	      "a non-empty subset of 5 V, 3 V, 1.8 V (bits 0..2)");
	eq("ccid.dwProtocols", le32(c + 6), e->protocols);
	field("ccid.dwDefaultClock", def_clk, def_clk != 0, "non-zero kHz");
	field("ccid.dwMaximumClock", max_clk, max_clk >= def_clk,
	      ">= dwDefaultClock");
	/* Section 5.1: the clocks GET_CLOCK_FREQUENCIES lists (the default,
	 * and the maximum if it differs) and the data rates GET_DATA_RATES
	 * lists (ISO pairs from f / 372 up), counted, not 0 */
	eq("ccid.bNumClockSupported", c[18], max_clk == def_clk ? 1 : 2);
	eq("ccid.dwDataRate", rate, def_clk * 1000 / 372);
	field("ccid.dwMaxDataRate", max_rate, max_rate >= rate, ">= dwDataRate");
	field("ccid.bNumDataRatesSupported", c[27], c[27] >= 1 && c[27] <= 64,
	      "1..64 (the rates GET_DATA_RATES answers)");
	/* T=1 is offered: IFSD 1..254 (ISO 7816-3 11.4.2). */
	field("ccid.dwMaxIFSD", le32(c + 28), le32(c + 28) >= 1 && le32(c + 28) <= 254,
	      "1..254 with T=1");
	eq("ccid.dwSynchProtocols", le32(c + 32), 0);
	eq("ccid.dwMechanical", le32(c + 36), 0);
	eq("ccid.dwFeatures", feat, e->features);
	/* Exactly one exchange level (TPDU 0x10000, short APDU 0x20000,
	 * extended APDU 0x40000), or none for character level. */
	field("ccid.dwFeatures exchange level", level,
	      level == 0 || level == 0x10000 || level == 0x20000 || level == 0x40000,
	      "at most one of 0x10000, 0x20000, 0x40000");
	/* Table 5.1-1: extended APDU level needs 261 + 10 .. 65544 + 10. */
	if (level == 0x40000)
		field("ccid.dwMaxCCIDMessageLength (range)", msg,
		      msg >= 271 && msg <= 65554, "271..65554 for extended APDU");
	eq("ccid.dwMaxCCIDMessageLength", msg, e->max_msg);
	/* 0xFF: echo the class of the APDU (Table 5.1-1). */
	eq("ccid.bClassGetResponse", c[48], 0xFF);
	eq("ccid.bClassEnvelope", c[49], 0xFF);
	eq("ccid.wLcdLayout", le16(c + 50), 0);
	eq("ccid.bPINSupport", c[52], 0);
	field("ccid.bMaxCCIDBusySlots", c[53], c[53] >= 1 && c[53] <= e->slots,
	      "1..%u", e->slots);
}

/* Endpoint rules per speed: USB 2.0 5.8.3 (bulk: 8..64 at full speed, 512
 * at high speed), USB 3.x 9.6.6 (bulk 1024 at super speed), interrupt
 * packets big enough for NotifySlotChange (CCID 6.3.1: 1 + 2 bits per
 * slot) and HardwareError (6.3.2: 4 bytes). */
static void check_endpoint(const uint8_t *d, const char *name, bool in,
			   int type, const struct expect *e)
{
	char n[64];
	unsigned mps = le16(d + 4) & 0x7ff;
	unsigned need = 1 + (2 * e->slots + 7) / 8;

	if (need < 4)
		need = 4;
	snprintf(n, sizeof(n), "%s.bEndpointAddress dir", name);
	field(n, d[2], !!(d[2] & 0x80) == in, in ? "IN (bit 7 set)" : "OUT (bit 7 clear)");
	snprintf(n, sizeof(n), "%s.bmAttributes", name);
	eq(n, d[3], (unsigned long)type);
	snprintf(n, sizeof(n), "%s.wMaxPacketSize", name);
	if (type == 2) {
		unsigned want = e->speed == SPEED_SUPER ? 1024 :
				e->speed == SPEED_HIGH ? 512 : 64;
		eq(n, le16(d + 4), want);
	} else {
		unsigned max = e->speed == SPEED_FULL ? 64 : 1024;

		field(n, mps, mps >= need && mps <= max, "%u..%u", need, max);
		snprintf(n, sizeof(n), "%s.bInterval", name);
		if (e->speed == SPEED_FULL)
			field(n, d[6], d[6] >= 1, "1..255 frames");
		else
			field(n, d[6], d[6] >= 1 && d[6] <= 16, "1..16");
	}
}

static int check_all(const uint8_t *b, size_t len, const struct expect *e)
{
	const uint8_t *bulk_out = NULL, *bulk_in = NULL, *intr_in = NULL;
	size_t off, cfg_end;
	unsigned ifaces = 0, eps = 0, class_descs = 0, companions = 0;
	int extra_eps = 0;
	bool in_ccid = false;

	if (len < 18 + 9) {
		malformed("shorter than a device and a configuration descriptor", 0);
		return 1;
	}
	check_device(b, e);
	off = b[0];
	if (b[off + 1] != 2 || b[off] < 9) {
		malformed("no configuration descriptor after the device descriptor", off);
		return 1;
	}
	cfg_end = off + le16(b + off + 2);
	eq("config.bLength", b[off], 9);
	field("config.wTotalLength", le16(b + off + 2), cfg_end <= len,
	      "<= the %zu bytes read", len - off);
	eq("config.bNumInterfaces", b[off + 4], 1);
	field("config.bmAttributes", b[off + 7], (b[off + 7] & 0x80) != 0,
	      "bit 7 set (USB 2.0 9.6.3)");
	if (cfg_end > len)
		cfg_end = len;
	off += b[off];
	while (off < cfg_end) {
		const uint8_t *d = b + off;

		if (off + 2 > cfg_end || d[0] < 2 || off + d[0] > cfg_end) {
			malformed("descriptor runs past wTotalLength", off);
			return 1;
		}
		switch (d[1]) {
		case 4: /* interface */
			if (d[0] < 9) {
				malformed("short interface descriptor", off);
				return 1;
			}
			ifaces++;
			in_ccid = d[5] == 0x0B;
			eq("interface.bInterfaceClass", d[5], 0x0B);
			eq("interface.bInterfaceSubClass", d[6], 0);
			/* CCID 1.1 Section 4.3: 00h = CCID (01h/02h are ICCD) */
			eq("interface.bInterfaceProtocol", d[7], 0);
			eq("interface.bNumEndpoints", d[4], 3);
			eq("interface.bAlternateSetting", d[3], 0);
			break;
		case 0x21: /* CCID class descriptor */
			class_descs++;
			if (!in_ccid || d[0] != 54) {
				malformed(in_ccid ? "class descriptor is not 54 bytes"
						  : "class descriptor outside the CCID interface",
					  off);
				break;
			}
			/* Section 5.1: right after the interface descriptor,
			 * before the endpoints. */
			field("ccid descriptor position", eps, eps == 0,
			      "before the endpoint descriptors");
			check_class(d, e);
			break;
		case 5: /* endpoint */
			if (d[0] < 7) {
				malformed("short endpoint descriptor", off);
				return 1;
			}
			eps++;
			if ((d[3] & 3) == 2 && !(d[2] & 0x80) && !bulk_out)
				bulk_out = d;
			else if ((d[3] & 3) == 2 && (d[2] & 0x80) && !bulk_in)
				bulk_in = d;
			else if ((d[3] & 3) == 3 && (d[2] & 0x80) && !intr_in)
				intr_in = d;
			else
				extra_eps++;
			if (e->speed == SPEED_SUPER) {
				const uint8_t *c = d + d[0];

				if (off + d[0] + 6 > cfg_end || c[0] != 6 || c[1] != 0x30) {
					malformed("endpoint without its SuperSpeed companion "
						  "(USB 3.x 9.6.7)", off);
				} else {
					companions++;
					if (e->verbose)
						printf("ss companion of 0x%02x: bMaxBurst %u "
						       "bmAttributes 0x%02x wBytesPerInterval %u\n",
						       d[2], c[2], c[3], le16(c + 4));
					if ((d[3] & 3) == 3)
						field("intr-in companion wBytesPerInterval",
						      le16(c + 4), le16(c + 4) >= 4,
						      ">= 4 (one HardwareError)");
				}
			}
			break;
		case 0x30: /* SuperSpeed endpoint companion: checked above */
			break;
		default:
			printf("other descriptor type 0x%02x at byte %zu\n", d[1], off);
			break;
		}
		off += d[0];
	}
	eq("interfaces found", ifaces, 1);
	eq("ccid class descriptors found", class_descs, 1);
	eq("endpoints found", eps, 3);
	if (e->speed == SPEED_SUPER)
		eq("superspeed companions found", companions, 3);
	field("unexpected endpoints", (unsigned long)extra_eps, extra_eps == 0, "none");
	if (bulk_out)
		check_endpoint(bulk_out, "bulk-out", false, 2, e);
	else
		malformed("no bulk OUT endpoint (CCID 1.1 Section 3.2.1)", 0);
	if (bulk_in)
		check_endpoint(bulk_in, "bulk-in", true, 2, e);
	else
		malformed("no bulk IN endpoint (CCID 1.1 Section 3.2.1)", 0);
	if (intr_in)
		check_endpoint(intr_in, "intr-in", true, 3, e);
	else
		malformed("no interrupt IN endpoint (CCID 1.1 Section 3.2.1)", 0);
	return wrong ? 1 : 0;
}

static void usage(FILE *f)
{
	fputs(
"usage: check_descriptors [OPTIONS] FILE\n"
"Check a CCID reader's descriptors (sysfs 'descriptors' attribute).\n"
"  --speed full|high|super  the speed it enumerated at (default high)\n"
"  --vid HEX --pid HEX      expected idVendor/idProduct (default 08e6:4433)\n"
"  --bcd-usb HEX            expected bcdUSB (default 0x0200, 0x03xx at super)\n"
"  --slots N                expected slot count (default 1)\n"
"  --max-message N          expected dwMaxCCIDMessageLength (default 65554)\n"
"  --features HEX           expected dwFeatures (default 0x000400fe)\n"
"  --protocols HEX          expected dwProtocols (default 3: T=0 and T=1)\n"
"  -v                       print the SuperSpeed companions too\n"
"Exit: 0 all right, 1 a field is wrong, 2 usage or I/O error.\n", f);
}

static unsigned long num(const char *opt, const char *s, int base,
			 unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "check_descriptors: %s '%s': not a number up to %lu\n",
			opt, s, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "speed", required_argument, NULL, 's' },
		{ "vid", required_argument, NULL, 'V' },
		{ "pid", required_argument, NULL, 'P' },
		{ "bcd-usb", required_argument, NULL, 'b' },
		{ "slots", required_argument, NULL, 'n' },
		{ "max-message", required_argument, NULL, 'm' },
		{ "features", required_argument, NULL, 'f' },
		{ "protocols", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* ccid/ccid_proto.h CCID_FEATURES: automatic ATR, activation,
	 * voltage, clock, baud, parameter negotiation, PPS; extended APDU. */
	struct expect e = {
		.speed = SPEED_HIGH, .vid = 0x08e6, .pid = 0x4433, .bcd_usb = -1,
		.slots = 1, .max_msg = 65554, .features = 0x000400fe,
		.protocols = 3,
	};
	static uint8_t buf[65536];
	size_t len;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!strcmp(optarg, "full"))
				e.speed = SPEED_FULL;
			else if (!strcmp(optarg, "high"))
				e.speed = SPEED_HIGH;
			else if (!strcmp(optarg, "super"))
				e.speed = SPEED_SUPER;
			else {
				fprintf(stderr, "check_descriptors: --speed '%s': "
					"expected full, high or super\n", optarg);
				return 2;
			}
			break;
		case 'V': e.vid = (unsigned)num("--vid", optarg, 16, 0xffff); break;
		case 'P': e.pid = (unsigned)num("--pid", optarg, 16, 0xffff); break;
		case 'b': e.bcd_usb = (long)num("--bcd-usb", optarg, 16, 0xffff); break;
		case 'n': e.slots = (unsigned)num("--slots", optarg, 10, 8); break;
		case 'm': e.max_msg = num("--max-message", optarg, 10, 0xffffffff); break;
		case 'f': e.features = num("--features", optarg, 16, 0xffffffff); break;
		case 'p': e.protocols = num("--protocols", optarg, 16, 0xffffffff); break;
		case 'v': e.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || e.slots < 1) {
		usage(stderr);
		return 2;
	}
	f = fopen(argv[optind], "rb");
	if (!f) {
		fprintf(stderr, "check_descriptors: %s: %s\n", argv[optind],
			strerror(errno));
		return 2;
	}
	len = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		fprintf(stderr, "check_descriptors: %s: read error\n", argv[optind]);
		fclose(f);
		return 2;
	}
	fclose(f);
	if (check_all(buf, len, &e)) {
		printf("%d field%s wrong\n", wrong, wrong == 1 ? "" : "s");
		return 1;
	}
	puts("all fields right");
	return 0;
}
