/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The FunctionFS descriptor and string blobs: see ffs_desc.h.
 *
 * Built byte by byte (no packed structs over the buffer); the layout of
 * the V2 blob is the kernel's Documentation/usb/functionfs.rst and
 * include/uapi/linux/usb/functionfs.h. */
#include "ffs_desc.h"

#include <errno.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <string.h>

#include "ccid_wire.h"

#define CCID_INTERFACE_CLASS 0x0B   /* Section 4.3, Table 4.3-1 */

/* Interrupt-IN polling: 16 ms at every speed. Full speed counts frames
 * (1 ms); high and super speed use 2^(bInterval-1) x 125 us. */
#define INTR_INTERVAL_FS 16
#define INTR_INTERVAL_HS 8

static const uint8_t ep_addr[FFS_EP_COUNT] = {
	[FFS_EP_BULK_OUT] = 1 | USB_DIR_OUT,
	[FFS_EP_BULK_IN] = 2 | USB_DIR_IN,
	[FFS_EP_INTR_IN] = 3 | USB_DIR_IN,
};

void ffs_bw_init(struct ffs_bw *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

void ffs_bw_bytes(struct ffs_bw *w, const void *p, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void ffs_bw_u8(struct ffs_bw *w, uint8_t v)
{
	ffs_bw_bytes(w, &v, 1);
}

void ffs_bw_le16(struct ffs_bw *w, uint16_t v)
{
	uint8_t b[2];

	ccid_put_le16(b, v);
	ffs_bw_bytes(w, b, sizeof(b));
}

void ffs_bw_le32(struct ffs_bw *w, uint32_t v)
{
	uint8_t b[4];

	ccid_put_le32(b, v);
	ffs_bw_bytes(w, b, sizeof(b));
}

void ffs_bw_patch_le32(struct ffs_bw *w, size_t off, uint32_t v)
{
	if (w->overflow || off > w->len || w->len - off < 4)
		return;
	ccid_put_le32(w->buf + off, v);
}

uint16_t ffs_desc_bulk_mps(enum ffs_speed speed)
{
	switch (speed) {
	case FFS_SPEED_SUPER:
		return 1024;
	case FFS_SPEED_HIGH:
		return 512;
	default:
		return 64;
	}
}

uint16_t ffs_desc_intr_mps(enum ffs_speed speed)
{
	/* NotifySlotChange is 1 + 2 bits per slot (Section 6.3.1): 3 bytes
	 * for 8 slots; HardwareError is 4 (Section 6.3.2). */
	return speed == FFS_SPEED_FULL ? 8 : 16;
}

enum ffs_speed ffs_speed_from_bulk_mps(uint16_t mps)
{
	if (mps == 1024)
		return FFS_SPEED_SUPER;
	if (mps == 512)
		return FFS_SPEED_HIGH;
	return FFS_SPEED_FULL;
}

const char *ffs_speed_name(enum ffs_speed speed)
{
	switch (speed) {
	case FFS_SPEED_SUPER:
		return "super";
	case FFS_SPEED_HIGH:
		return "high";
	default:
		return "full";
	}
}

static void put_interface(struct ffs_bw *w)
{
	ffs_bw_u8(w, USB_DT_INTERFACE_SIZE);
	ffs_bw_u8(w, USB_DT_INTERFACE);
	ffs_bw_u8(w, 0);                    /* bInterfaceNumber (remapped) */
	ffs_bw_u8(w, 0);                    /* bAlternateSetting */
	ffs_bw_u8(w, FFS_EP_COUNT);         /* bNumEndpoints */
	ffs_bw_u8(w, CCID_INTERFACE_CLASS); /* bInterfaceClass */
	ffs_bw_u8(w, 0);                    /* bInterfaceSubClass */
	ffs_bw_u8(w, 0);                    /* bInterfaceProtocol: CCID */
	ffs_bw_u8(w, 1);                    /* iInterface: string 1 */
}

static void put_endpoint(struct ffs_bw *w, enum ffs_ep_index ep,
			 enum ffs_speed speed)
{
	bool intr = ep == FFS_EP_INTR_IN;

	ffs_bw_u8(w, USB_DT_ENDPOINT_SIZE);
	ffs_bw_u8(w, USB_DT_ENDPOINT);
	ffs_bw_u8(w, ep_addr[ep]);
	ffs_bw_u8(w, intr ? USB_ENDPOINT_XFER_INT : USB_ENDPOINT_XFER_BULK);
	ffs_bw_le16(w, intr ? ffs_desc_intr_mps(speed) : ffs_desc_bulk_mps(speed));
	if (!intr)
		ffs_bw_u8(w, 0);
	else
		ffs_bw_u8(w, speed == FFS_SPEED_FULL ? INTR_INTERVAL_FS
						     : INTR_INTERVAL_HS);
}

static void put_ss_companion(struct ffs_bw *w, enum ffs_ep_index ep)
{
	ffs_bw_u8(w, USB_DT_SS_EP_COMP_SIZE);
	ffs_bw_u8(w, USB_DT_SS_ENDPOINT_COMP);
	ffs_bw_u8(w, 0);   /* bMaxBurst: one packet */
	ffs_bw_u8(w, 0);   /* bmAttributes: no streams */
	/* wBytesPerInterval: periodic endpoints only (USB 3.2 9.6.7) */
	ffs_bw_le16(w, ep == FFS_EP_INTR_IN ?
			       ffs_desc_intr_mps(FFS_SPEED_SUPER) : 0);
}

/* One speed's descriptors; returns how many descriptors were written. */
static uint32_t put_speed(struct ffs_bw *w, const uint8_t *class_desc,
			  enum ffs_speed speed)
{
	uint32_t count = 2;
	int ep;

	put_interface(w);
	/* Section 5.1: the class descriptor follows the interface one. */
	ffs_bw_bytes(w, class_desc, CCID_CLASS_DESC_LEN);
	for (ep = 0; ep < FFS_EP_COUNT; ep++) {
		put_endpoint(w, ep, speed);
		count++;
		if (speed == FFS_SPEED_SUPER) {
			put_ss_companion(w, ep);
			count++;
		}
	}
	return count;
}

ssize_t ffs_desc_build(const struct ccid_reader_config *cfg, uint8_t *buf,
		       size_t cap)
{
	uint8_t class_desc[CCID_CLASS_DESC_LEN];
	size_t counts_off;
	struct ffs_bw w;
	int speed;

	ccid_class_descriptor(cfg, class_desc);
	ffs_bw_init(&w, buf, cap);
	ffs_bw_le32(&w, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	ffs_bw_le32(&w, 0);   /* length, patched below */
	ffs_bw_le32(&w, FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC |
				FUNCTIONFS_HAS_SS_DESC);
	counts_off = w.len;
	for (speed = 0; speed < FFS_SPEED_COUNT; speed++)
		ffs_bw_le32(&w, 0);   /* fs_count, hs_count, ss_count */
	for (speed = 0; speed < FFS_SPEED_COUNT; speed++)
		ffs_bw_patch_le32(&w, counts_off + 4 * (size_t)speed,
				  put_speed(&w, class_desc, speed));
	if (w.overflow)
		return -ENOSPC;
	ffs_bw_patch_le32(&w, 4, (uint32_t)w.len);
	return (ssize_t)w.len;
}

ssize_t ffs_desc_speed(const struct ccid_reader_config *cfg,
		       enum ffs_speed speed, uint8_t *buf, size_t cap)
{
	uint8_t class_desc[CCID_CLASS_DESC_LEN];
	struct ffs_bw w;

	ccid_class_descriptor(cfg, class_desc);
	ffs_bw_init(&w, buf, cap);
	put_speed(&w, class_desc, speed);
	if (w.overflow)
		return -ENOSPC;
	return (ssize_t)w.len;
}

uint8_t ffs_desc_ep_address(enum ffs_ep_index ep)
{
	return ep_addr[ep];
}

ssize_t ffs_strings_build(const char *interface_name, uint8_t *buf,
			  size_t cap)
{
	struct ffs_bw w;

	ffs_bw_init(&w, buf, cap);
	ffs_bw_le32(&w, FUNCTIONFS_STRINGS_MAGIC);
	ffs_bw_le32(&w, 0);      /* length, patched below */
	ffs_bw_le32(&w, 1);      /* str_count */
	ffs_bw_le32(&w, 1);      /* lang_count */
	ffs_bw_le16(&w, 0x0409); /* en-US */
	ffs_bw_bytes(&w, interface_name, strlen(interface_name) + 1);
	if (w.overflow)
		return -ENOSPC;
	ffs_bw_patch_le32(&w, 4, (uint32_t)w.len);
	return (ssize_t)w.len;
}
