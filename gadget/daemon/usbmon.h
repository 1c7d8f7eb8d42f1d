/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Linux usbmon binary record header, as pcap's LINKTYPE_USB_LINUX_MMAPPED
 * (220) carries it: the kernel's Documentation/usb/usbmon.rst, "Raw binary
 * format and API", the 64-byte struct usbmon_packet (48 bytes plus the
 * interval/start_frame/xfer_flags/ndesc words of the mmap variant).
 *
 * The fields are in the capture host's byte order; every board and PC this
 * runs on is little-endian, and the encoder writes little-endian
 * explicitly (the pcap writer refuses to run on a big-endian host). Pure
 * encoding: no I/O, so the cross-built unit tests check it under
 * qemu-user. */
#ifndef USBMON_H
#define USBMON_H

#include <stdbool.h>
#include <stdint.h>

#define USBMON_HDR_LEN 64

/* usbmon.rst: event types and transfer types of the binary API. */
#define USBMON_SUBMIT 'S'
#define USBMON_COMPLETE 'C'
#define USBMON_ERROR 'E'
#define USBMON_XFER_ISO 0
#define USBMON_XFER_INTR 1
#define USBMON_XFER_CONTROL 2
#define USBMON_XFER_BULK 3

/* URB transfer_flags (include/linux/usb.h): the direction bit usbmon's
 * binary API copies into xfer_flags. */
#define USBMON_URB_DIR_IN 0x0200

/* Status of a submission (the URB is in flight): -EINPROGRESS. */
#define USBMON_STATUS_IN_PROGRESS (-115)

struct usbmon_event {
	uint64_t id;            /* URB tag: the same for S and its C */
	uint8_t type;           /* USBMON_SUBMIT / _COMPLETE / _ERROR */
	uint8_t xfer_type;      /* USBMON_XFER_* */
	uint8_t epnum;          /* bEndpointAddress: number | 0x80 for IN */
	uint8_t devnum;         /* device address on the bus */
	uint16_t busnum;
	bool has_setup;         /* control submission: setup[] is valid */
	uint8_t setup[8];       /* the SETUP packet (USB 2.0 Section 9.3) */
	bool has_data;          /* data follows the header (len_cap bytes) */
	int64_t ts_sec;
	int32_t ts_usec;
	int32_t status;         /* 0, -errno, or USBMON_STATUS_IN_PROGRESS */
	uint32_t length;        /* URB length (submitted or actual) */
	uint32_t len_cap;       /* data bytes that follow the header */
	int32_t interval;       /* interrupt and ISO only */
	uint32_t xfer_flags;
};

/* Write the 64-byte header of `e` into out. flag_setup and flag_data are
 * derived as usbmon does: 0 when present, '-' (no setup), '<' (IN
 * submission, no data yet) or '>' (OUT completion, data not repeated). */
void usbmon_header_encode(const struct usbmon_event *e,
			  uint8_t out[USBMON_HDR_LEN]);

#endif
