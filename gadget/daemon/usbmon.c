/* SPDX-License-Identifier: GPL-2.0-or-later */
/* usbmon binary header encoding: see usbmon.h. Offsets are usbmon.rst's
 * struct usbmon_packet. */
#include "usbmon.h"

#include <string.h>

#include "ccid_wire.h"

#define OFF_ID 0
#define OFF_TYPE 8
#define OFF_XFER_TYPE 9
#define OFF_EPNUM 10
#define OFF_DEVNUM 11
#define OFF_BUSNUM 12
#define OFF_FLAG_SETUP 14
#define OFF_FLAG_DATA 15
#define OFF_TS_SEC 16
#define OFF_TS_USEC 24
#define OFF_STATUS 28
#define OFF_LENGTH 32
#define OFF_LEN_CAP 36
#define OFF_SETUP 40
#define OFF_INTERVAL 48
#define OFF_START_FRAME 52
#define OFF_XFER_FLAGS 56
#define OFF_NDESC 60

static uint8_t flag_data(const struct usbmon_event *e)
{
	if (e->has_data)
		return 0;
	if (e->type == USBMON_SUBMIT && (e->epnum & 0x80))
		return '<';
	if (e->type == USBMON_COMPLETE && !(e->epnum & 0x80))
		return '>';
	return '=';   /* usbmon: no data for another reason (length 0) */
}

void usbmon_header_encode(const struct usbmon_event *e,
			  uint8_t out[USBMON_HDR_LEN])
{
	memset(out, 0, USBMON_HDR_LEN);
	ccid_put_le64(out + OFF_ID, e->id);
	out[OFF_TYPE] = e->type;
	out[OFF_XFER_TYPE] = e->xfer_type;
	out[OFF_EPNUM] = e->epnum;
	out[OFF_DEVNUM] = e->devnum;
	ccid_put_le16(out + OFF_BUSNUM, e->busnum);
	out[OFF_FLAG_SETUP] = e->has_setup ? 0 : '-';
	out[OFF_FLAG_DATA] = flag_data(e);
	ccid_put_le64(out + OFF_TS_SEC, (uint64_t)e->ts_sec);
	ccid_put_le32(out + OFF_TS_USEC, (uint32_t)e->ts_usec);
	ccid_put_le32(out + OFF_STATUS, (uint32_t)e->status);
	ccid_put_le32(out + OFF_LENGTH, e->length);
	ccid_put_le32(out + OFF_LEN_CAP, e->len_cap);
	if (e->has_setup)
		memcpy(out + OFF_SETUP, e->setup, sizeof(e->setup));
	ccid_put_le32(out + OFF_INTERVAL, (uint32_t)e->interval);
	ccid_put_le32(out + OFF_START_FRAME, 0);
	ccid_put_le32(out + OFF_XFER_FLAGS, e->xfer_flags);
	ccid_put_le32(out + OFF_NDESC, 0);
}
