/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The usbmon binary header (usbmon.rst's struct usbmon_packet) byte by
 * byte, little-endian whatever the build: also cross-built and run under
 * qemu-user (tests/sh/cross-engine.sh). */
#include <stdint.h>

#include "tap.h"
#include "usbmon.h"

static void header_bytes(void)
{
	struct usbmon_event e = {
		.id = 0x1122334455667788ULL, .type = USBMON_SUBMIT,
		.xfer_type = USBMON_XFER_CONTROL, .epnum = 0x80, .devnum = 5,
		.busnum = 0x0102, .has_setup = true,
		.setup = { 0x80, 6, 0, 1, 0, 0, 18, 0 },
		.ts_sec = 0x0a0b0c0d, .ts_usec = 999999,
		.status = USBMON_STATUS_IN_PROGRESS, .length = 18,
		.xfer_flags = USBMON_URB_DIR_IN,
	};
	static const uint8_t want[USBMON_HDR_LEN] = {
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,   /* id */
		'S', 2, 0x80, 5, 0x02, 0x01, 0, '<',              /* flags */
		0x0d, 0x0c, 0x0b, 0x0a, 0, 0, 0, 0,               /* ts_sec */
		0x3f, 0x42, 0x0f, 0x00,                           /* ts_usec */
		0x8d, 0xff, 0xff, 0xff,                           /* -115 */
		18, 0, 0, 0, 0, 0, 0, 0,                          /* length, len_cap */
		0x80, 6, 0, 1, 0, 0, 18, 0,                       /* setup */
		0, 0, 0, 0, 0, 0, 0, 0,                           /* interval, start_frame */
		0x00, 0x02, 0, 0, 0, 0, 0, 0,                     /* xfer_flags, ndesc */
	};
	uint8_t out[USBMON_HDR_LEN];

	usbmon_header_encode(&e, out);
	CHECK_MEM(out, want, sizeof(want));
	/* OUT completion: no setup ('-'), data not repeated ('>') */
	e.type = USBMON_COMPLETE;
	e.epnum = 0x01;
	e.has_setup = false;
	usbmon_header_encode(&e, out);
	CHECK_EQ(out[14], '-');
	CHECK_EQ(out[15], '>');
	CHECK_EQ(out[40], 0);
}

int main(void)
{
	RUN(header_bytes);
	TAP_EXIT();
}
