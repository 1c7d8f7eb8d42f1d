/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CCID class requests on ep0 (Section 5.3): what is answered, what stalls. */
#include <stdlib.h>

#include "ffs_setup.h"
#include "tap.h"

#define OUT_CLASS_IFACE 0x21
#define IN_CLASS_IFACE 0xA1

static struct ccid_engine *eng;

static enum ffs_setup_action decide(uint8_t type, uint8_t req, uint16_t value,
				    uint16_t index, uint16_t length,
				    uint8_t *buf, size_t cap, size_t *len)
{
	return ffs_setup_decide(eng, type, req, value, index, length, buf,
				cap, len);
}

static void abort_request(void)
{
	uint8_t buf[64];
	size_t len = 99;

	/* wValue = bSlot | bSeq << 8 (Section 5.3.1) */
	CHECK_EQ(decide(OUT_CLASS_IFACE, CCID_REQ_ABORT, 0x0500, 0, 0, buf,
			sizeof(buf), &len), FFS_SETUP_ACK);
	CHECK_EQ(len, 0);
	/* no such slot: stall */
	CHECK_EQ(decide(OUT_CLASS_IFACE, CCID_REQ_ABORT, 0x0507, 0, 0, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
	/* ABORT has no data stage */
	CHECK_EQ(decide(OUT_CLASS_IFACE, CCID_REQ_ABORT, 0x0000, 0, 4, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
	/* device-to-host ABORT does not exist */
	CHECK_EQ(decide(IN_CLASS_IFACE, CCID_REQ_ABORT, 0x0000, 0, 0, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
}

static void dword_lists(void)
{
	uint8_t buf[256], want[256];
	size_t len, n;

	n = ccid_engine_clock_frequencies(eng, want, sizeof(want));
	CHECK_EQ(decide(IN_CLASS_IFACE, CCID_REQ_GET_CLOCK_FREQUENCIES, 0, 0,
			255, buf, sizeof(buf), &len), FFS_SETUP_REPLY);
	CHECK_EQ(len, n);
	CHECK_EQ(len % 4, 0);
	CHECK_MEM(buf, want, len);

	n = ccid_engine_data_rates(eng, want, sizeof(want));
	CHECK_EQ(decide(IN_CLASS_IFACE, CCID_REQ_GET_DATA_RATES, 0, 0, 255,
			buf, sizeof(buf), &len), FFS_SETUP_REPLY);
	CHECK_EQ(len, n);
	CHECK_MEM(buf, want, len);

	/* never more than wLength */
	CHECK_EQ(decide(IN_CLASS_IFACE, CCID_REQ_GET_CLOCK_FREQUENCIES, 0, 0,
			2, buf, sizeof(buf), &len), FFS_SETUP_REPLY);
	CHECK(len <= 2);
	CHECK_EQ(decide(IN_CLASS_IFACE, CCID_REQ_GET_DATA_RATES, 0, 0, 0, buf,
			sizeof(buf), &len), FFS_SETUP_REPLY);
	CHECK_EQ(len, 0);
}

static void stalls(void)
{
	uint8_t buf[64];
	size_t len;

	/* host-to-device GET_*: wrong direction */
	CHECK_EQ(decide(OUT_CLASS_IFACE, CCID_REQ_GET_DATA_RATES, 0, 0, 0, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
	/* unknown class request */
	CHECK_EQ(decide(IN_CLASS_IFACE, 0x04, 0, 0, 8, buf, sizeof(buf),
			&len), FFS_SETUP_STALL);
	/* another interface */
	CHECK_EQ(decide(IN_CLASS_IFACE, CCID_REQ_GET_DATA_RATES, 0, 1, 8, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
	/* standard and vendor requests */
	CHECK_EQ(decide(0x81, USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 54, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
	CHECK_EQ(decide(0xC1, 0x01, 0, 0, 8, buf, sizeof(buf), &len),
		 FFS_SETUP_STALL);
	/* endpoint recipient */
	CHECK_EQ(decide(0xA2, CCID_REQ_GET_DATA_RATES, 0, 0, 8, buf,
			sizeof(buf), &len), FFS_SETUP_STALL);
}

int main(void)
{
	struct ccid_reader_config cfg;

	ccid_reader_config_default(&cfg);
	cfg.nslots = 2;
	if (cfg.max_busy_slots > 2)
		cfg.max_busy_slots = 2;
	eng = ccid_engine_new(&cfg);
	if (!eng) {
		printf("not ok - engine\n");
		return 1;
	}
	RUN(abort_request);
	RUN(dword_lists);
	RUN(stalls);
	ccid_engine_free(eng);
	TAP_EXIT();
}
