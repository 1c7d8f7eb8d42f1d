/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CCID class requests on ep0 (USB CCID 1.1 Section 5.3), decided without
 * I/O so a unit test can drive every case.
 *
 * FunctionFS passes on requests addressed to our interface or endpoints,
 * with wIndex already mapped to our interface number (0). */
#ifndef FFS_SETUP_H
#define FFS_SETUP_H

#include <linux/usb/ch9.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_engine.h"

/* Section 5.3, Table 5.3-1 */
#define CCID_REQ_ABORT 0x01
#define CCID_REQ_GET_CLOCK_FREQUENCIES 0x02
#define CCID_REQ_GET_DATA_RATES 0x03

enum ffs_setup_action {
	FFS_SETUP_STALL,   /* refuse: stall the control pipe */
	FFS_SETUP_ACK,     /* host-to-device, no data stage: acknowledge */
	FFS_SETUP_REPLY,   /* device-to-host: send `*len` bytes of buf */
};

/* Decide the answer to one SETUP packet (fields in host byte order, as
 * read from struct usb_ctrlrequest with le16toh). For REPLY, writes the
 * data stage into buf (cap bytes, owned by the caller) and sets *len
 * (<= wLength). ABORT is passed to ccid_engine_abort_request(). */
enum ffs_setup_action ffs_setup_decide(struct ccid_engine *eng,
				       uint8_t bRequestType, uint8_t bRequest,
				       uint16_t wValue, uint16_t wIndex,
				       uint16_t wLength, uint8_t *buf,
				       size_t cap, size_t *len);

#endif
