/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CCID class requests on ep0: see ffs_setup.h. */
#include "ffs_setup.h"

#define REQ_OUT_CLASS_IFACE (USB_DIR_OUT | USB_TYPE_CLASS | USB_RECIP_INTERFACE)
#define REQ_IN_CLASS_IFACE (USB_DIR_IN | USB_TYPE_CLASS | USB_RECIP_INTERFACE)

enum ffs_setup_action ffs_setup_decide(struct ccid_engine *eng,
				       uint8_t bRequestType, uint8_t bRequest,
				       uint16_t wValue, uint16_t wIndex,
				       uint16_t wLength, uint8_t *buf,
				       size_t cap, size_t *len)
{
	size_t n;

	*len = 0;
	if ((wIndex & 0xff) != 0)   /* not our interface */
		return FFS_SETUP_STALL;

	if (bRequestType == REQ_OUT_CLASS_IFACE &&
	    bRequest == CCID_REQ_ABORT) {
		/* Section 5.3.1: wValue = bSlot | bSeq << 8, no data stage. */
		if (wLength != 0)
			return FFS_SETUP_STALL;
		if (ccid_engine_abort_request(eng, (uint8_t)wValue,
					      (uint8_t)(wValue >> 8)) < 0)
			return FFS_SETUP_STALL;
		return FFS_SETUP_ACK;
	}

	if (bRequestType == REQ_IN_CLASS_IFACE && wValue == 0 &&
	    (bRequest == CCID_REQ_GET_CLOCK_FREQUENCIES ||
	     bRequest == CCID_REQ_GET_DATA_RATES)) {
		/* Sections 5.3.2 and 5.3.3: an array of dwords. */
		if (bRequest == CCID_REQ_GET_CLOCK_FREQUENCIES)
			n = ccid_engine_clock_frequencies(eng, buf, cap);
		else
			n = ccid_engine_data_rates(eng, buf, cap);
		*len = n < wLength ? n : wLength;
		return FFS_SETUP_REPLY;
	}

	return FFS_SETUP_STALL;
}
