/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The FunctionFS descriptor and string blobs, parsed back byte by byte. */
#include <errno.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#include "ccid_wire.h"
#include "ffs_desc.h"
#include "tap.h"

static uint8_t blob[FFS_DESC_BUF_LEN];
static ssize_t blob_len;
static struct ccid_reader_config cfg;

static void build(void)
{
	ccid_reader_config_default(&cfg);
	blob_len = ffs_desc_build(&cfg, blob, sizeof(blob));
}

static void header(void)
{
	build();
	CHECK(blob_len > 24);
	CHECK_EQ(ccid_get_le32(blob), FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	CHECK_EQ(ccid_get_le32(blob + 4), blob_len);
	CHECK_EQ(ccid_get_le32(blob + 8), FUNCTIONFS_HAS_FS_DESC |
						  FUNCTIONFS_HAS_HS_DESC |
						  FUNCTIONFS_HAS_SS_DESC);
	CHECK_EQ(ccid_get_le32(blob + 12), 5);   /* intf, class, 3 eps */
	CHECK_EQ(ccid_get_le32(blob + 16), 5);
	CHECK_EQ(ccid_get_le32(blob + 20), 8);   /* + 3 SS companions */
	/* 24 + 2 * (9 + 54 + 3 * 7) + (9 + 54 + 3 * (7 + 6)) */
	CHECK_EQ(blob_len, 24 + 2 * 84 + 102);
}

/* Walk one speed's descriptors from *off; check them. */
static void check_speed(size_t *off, enum ffs_speed speed)
{
	static const uint8_t addrs[3] = { 0x01, 0x82, 0x83 };
	static const uint8_t types[3] = { USB_ENDPOINT_XFER_BULK,
					  USB_ENDPOINT_XFER_BULK,
					  USB_ENDPOINT_XFER_INT };
	uint8_t class_desc[CCID_CLASS_DESC_LEN];
	const uint8_t *p = blob + *off;
	int ep;

	/* Interface: class 0x0B, subclass 0, protocol 0 (Section 4.3). */
	CHECK_EQ(p[0], 9);
	CHECK_EQ(p[1], USB_DT_INTERFACE);
	CHECK_EQ(p[4], 3);
	CHECK_EQ(p[5], 0x0B);
	CHECK_EQ(p[6], 0);
	CHECK_EQ(p[7], 0);
	CHECK_EQ(p[8], 1);
	p += 9;
	/* The class descriptor right after it, exactly the engine's. */
	ccid_class_descriptor(&cfg, class_desc);
	CHECK_EQ(p[0], CCID_CLASS_DESC_LEN);
	CHECK_MEM(p, class_desc, CCID_CLASS_DESC_LEN);
	p += CCID_CLASS_DESC_LEN;
	for (ep = 0; ep < 3; ep++) {
		CHECK_EQ(p[0], 7);
		CHECK_EQ(p[1], USB_DT_ENDPOINT);
		CHECK_EQ(p[2], addrs[ep]);
		CHECK_EQ(p[3], types[ep]);
		CHECK_EQ(ccid_get_le16(p + 4),
			 ep == 2 ? ffs_desc_intr_mps(speed)
				 : ffs_desc_bulk_mps(speed));
		if (ep == 2)
			CHECK(p[6] >= 1);   /* interrupt bInterval */
		p += 7;
		if (speed == FFS_SPEED_SUPER) {
			CHECK_EQ(p[0], 6);
			CHECK_EQ(p[1], USB_DT_SS_ENDPOINT_COMP);
			CHECK_EQ(p[2], 0);
			CHECK_EQ(ccid_get_le16(p + 4),
				 ep == 2 ? ffs_desc_intr_mps(speed) : 0);
			p += 6;
		}
	}
	*off = (size_t)(p - blob);
}

static void speeds(void)
{
	size_t off = 24;

	build();
	check_speed(&off, FFS_SPEED_FULL);
	check_speed(&off, FFS_SPEED_HIGH);
	check_speed(&off, FFS_SPEED_SUPER);
	CHECK_EQ(off, blob_len);
}

static void packet_sizes(void)
{
	CHECK_EQ(ffs_desc_bulk_mps(FFS_SPEED_FULL), 64);
	CHECK_EQ(ffs_desc_bulk_mps(FFS_SPEED_HIGH), 512);
	CHECK_EQ(ffs_desc_bulk_mps(FFS_SPEED_SUPER), 1024);
	CHECK_EQ(ffs_desc_intr_mps(FFS_SPEED_FULL), 8);
	CHECK_EQ(ffs_desc_intr_mps(FFS_SPEED_HIGH), 16);
	CHECK_EQ(ffs_speed_from_bulk_mps(64), FFS_SPEED_FULL);
	CHECK_EQ(ffs_speed_from_bulk_mps(512), FFS_SPEED_HIGH);
	CHECK_EQ(ffs_speed_from_bulk_mps(1024), FFS_SPEED_SUPER);
	CHECK_EQ(ffs_speed_from_bulk_mps(8), FFS_SPEED_FULL);
}

static void slots_in_class_descriptor(void)
{
	size_t off = 24 + 9;

	ccid_reader_config_default(&cfg);
	cfg.nslots = 3;
	if (cfg.max_busy_slots > 3)
		cfg.max_busy_slots = 3;
	blob_len = ffs_desc_build(&cfg, blob, sizeof(blob));
	CHECK(blob_len > 0);
	/* bMaxSlotIndex, Table 5.1-1 offset 4 */
	CHECK_EQ(blob[off + 4], 2);
}

static void too_small(void)
{
	uint8_t small[100];

	ccid_reader_config_default(&cfg);
	CHECK_EQ(ffs_desc_build(&cfg, small, sizeof(small)), -ENOSPC);
	CHECK_EQ(ffs_desc_build(&cfg, small, 0), -ENOSPC);
	CHECK_EQ(ffs_strings_build("x", small, 10), -ENOSPC);
}

static void strings(void)
{
	ssize_t n = ffs_strings_build("CCID", blob, sizeof(blob));

	CHECK_EQ(n, 16 + 2 + 5);
	CHECK_EQ(ccid_get_le32(blob), FUNCTIONFS_STRINGS_MAGIC);
	CHECK_EQ(ccid_get_le32(blob + 4), n);
	CHECK_EQ(ccid_get_le32(blob + 8), 1);
	CHECK_EQ(ccid_get_le32(blob + 12), 1);
	CHECK_EQ(ccid_get_le16(blob + 16), 0x0409);
	CHECK_MEM(blob + 18, "CCID", 5);
}

int main(void)
{
	RUN(header);
	RUN(speeds);
	RUN(packet_sizes);
	RUN(slots_in_class_descriptor);
	RUN(too_small);
	RUN(strings);
	TAP_EXIT();
}
