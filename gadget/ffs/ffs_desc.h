/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The FunctionFS descriptor and string blobs written to ep0.
 *
 * One interface (USB CCID 1.1 Section 4.3: class 0x0B, subclass 0,
 * protocol 0), its 54-byte class descriptor (Section 5.1) right after it,
 * then Bulk-OUT, Bulk-IN and Interrupt-IN (Section 3.2.1, in that order),
 * for full, high and super speed. FunctionFS numbers the endpoint files in
 * descriptor order: ep1 = Bulk-OUT, ep2 = Bulk-IN, ep3 = Interrupt-IN. */
#ifndef FFS_DESC_H
#define FFS_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ccid_engine.h"

enum ffs_ep_index {
	FFS_EP_BULK_OUT = 0,   /* file ep1 */
	FFS_EP_BULK_IN = 1,    /* file ep2 */
	FFS_EP_INTR_IN = 2,    /* file ep3 */
	FFS_EP_COUNT = 3,
};

enum ffs_speed {
	FFS_SPEED_FULL,
	FFS_SPEED_HIGH,
	FFS_SPEED_SUPER,
	FFS_SPEED_COUNT,
};

/* Large enough for ffs_desc_build() and ffs_strings_build(). */
#define FFS_DESC_BUF_LEN 512

/* wMaxPacketSize per speed (USB 2.0 Section 5.8.3, USB 3.2 Section 9.6.6). */
uint16_t ffs_desc_bulk_mps(enum ffs_speed speed);
uint16_t ffs_desc_intr_mps(enum ffs_speed speed);

/* The speed whose bulk wMaxPacketSize is `mps`; FULL if none matches. */
enum ffs_speed ffs_speed_from_bulk_mps(uint16_t mps);
const char *ffs_speed_name(enum ffs_speed speed);

/* Write the FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob into buf (owned by the
 * caller). Returns its length, or -ENOSPC if cap is too small. */
ssize_t ffs_desc_build(const struct ccid_reader_config *cfg, uint8_t *buf,
		       size_t cap);

/* One speed's interface descriptors as a host reads them inside the
 * configuration descriptor (interface, CCID class descriptor, endpoints,
 * SS companions): for the --pcap enumeration records. Returns the length
 * or -ENOSPC. */
ssize_t ffs_desc_speed(const struct ccid_reader_config *cfg,
		       enum ffs_speed speed, uint8_t *buf, size_t cap);

/* bEndpointAddress of an endpoint in these descriptors (0x01, 0x82, 0x83). */
uint8_t ffs_desc_ep_address(enum ffs_ep_index ep);

/* A bounded little-endian writer for descriptor blobs (these, and the
 * --pcap enumeration records). Writes past `cap` are dropped and set
 * `overflow`; the caller checks it once at the end. The buffer is owned
 * by the caller. */
struct ffs_bw {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void ffs_bw_init(struct ffs_bw *w, uint8_t *buf, size_t cap);
void ffs_bw_bytes(struct ffs_bw *w, const void *p, size_t n);
void ffs_bw_u8(struct ffs_bw *w, uint8_t v);
void ffs_bw_le16(struct ffs_bw *w, uint16_t v);
void ffs_bw_le32(struct ffs_bw *w, uint32_t v);
/* Overwrite 4 bytes at `off` (already written), for a length filled in at
 * the end. */
void ffs_bw_patch_le32(struct ffs_bw *w, size_t off, uint32_t v);

/* Write the FUNCTIONFS_STRINGS_MAGIC blob (one language, en-US, one string:
 * the interface name, iInterface 1). Returns its length or -ENOSPC. */
ssize_t ffs_strings_build(const char *interface_name, uint8_t *buf,
			  size_t cap);

#endif
