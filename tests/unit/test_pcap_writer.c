/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --pcap: the records the writer puts in the file, read back
 * byte by byte: enumeration first, one URB per CCID message however the
 * daemon read it, IN data in the Complete record.
 * PCAP_KEEP=FILE keeps the capture (tests/sh/pcap-tshark.sh dissects it). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccid_wire.h"
#include "pcap_lib.h"
#include "pcap_writer.h"
#include "tap.h"
#include "usbmon.h"

/* A completed bulk-OUT read, handled as gadget_xfer.c does: the engine
 * first, then the capture, told by the engine's framing whether the
 * host's transfer ended. */
static void bulk_out(struct ccid_engine *eng, struct pcapw *w,
		     const uint8_t *data, size_t len)
{
	ccid_engine_bulk_out(eng, data, len);
	pcapw_bulk_out(w, data, len, ccid_engine_out_idle(eng));
}

/* The file, read back */
static uint8_t file[1 << 16];
static size_t file_len;

struct rec {
	const uint8_t *h;     /* usbmon header */
	const uint8_t *data;
	uint32_t len_cap;
};
static struct rec recs[64];
static size_t nrecs;

static void read_back(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t off = 24;

	nrecs = 0;
	CHECK(f != NULL);
	if (!f)
		return;
	file_len = fread(file, 1, sizeof(file), f);
	fclose(f);
	CHECK(file_len >= 24);
	CHECK_EQ(ccid_get_le32(file), 0xa1b2c3d4);     /* pcap, LE, us */
	CHECK_EQ(ccid_get_le32(file + 20), 220);       /* USB_LINUX_MMAPPED */
	while (off + 16 + USBMON_HDR_LEN <= file_len && nrecs < 64) {
		uint32_t caplen = ccid_get_le32(file + off + 8);

		CHECK_EQ(ccid_get_le32(file + off + 12), caplen);
		recs[nrecs].h = file + off + 16;
		recs[nrecs].data = file + off + 16 + USBMON_HDR_LEN;
		recs[nrecs].len_cap = ccid_get_le32(recs[nrecs].h + 36);
		CHECK_EQ(caplen, USBMON_HDR_LEN + recs[nrecs].len_cap);
		nrecs++;
		off += 16 + caplen;
	}
	CHECK_EQ(off, file_len);
}

static void check_rec(size_t i, char type, uint8_t xfer, uint8_t ep,
		      uint32_t length, uint32_t len_cap)
{
	if (i >= nrecs) {
		fprintf(stderr, "  record %zu missing\n", i);
		tap_failed_now = 1;
		return;
	}
	CHECK_EQ(recs[i].h[8], type);
	CHECK_EQ(recs[i].h[9], xfer);
	CHECK_EQ(recs[i].h[10], ep);
	CHECK_EQ(recs[i].h[11], PCAPW_DEVNUM);
	CHECK_EQ(ccid_get_le16(recs[i].h + 12), PCAPW_BUSNUM);
	CHECK_EQ(ccid_get_le32(recs[i].h + 32), length);
	CHECK_EQ(recs[i].len_cap, len_cap);
}

static const char *capture_path(void)
{
	static char path[256];
	const char *keep = getenv("PCAP_KEEP");

	if (keep && *keep)
		return keep;
	snprintf(path, sizeof(path), "/tmp/test_pcap_writer.%d.pcap",
		 (int)getpid());
	return path;
}

static void session(void)
{
	struct ccid_reader_config cfg;
	struct pcapw_identity id = { 0x08e6, 0x4433, 0x0100 };
	struct pcapw *w = NULL;
	const char *path = capture_path();
	static const uint8_t power_on[10] = { 0x62, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t atr[10 + 4] = { 0x80, 4, 0, 0, 0, 0, 1, 0, 0, 0,
					     0x3b, 0x02, 0x14, 0x50 };
	static const uint8_t notify[2] = { 0x50, 0x03 };
	uint8_t xfr[600], rsp[10 + 2] = { 0x80, 2, 0, 0, 0, 0, 2, 0, 0, 0,
					  0x90, 0x00 };
	uint8_t big[1024];
	char err[256];
	size_t i;

	struct ccid_engine *eng;
	uint64_t before;

	ccid_reader_config_default(&cfg);
	eng = ccid_engine_new(&cfg);
	CHECK(eng != NULL);
	CHECK_EQ(pcapw_open(path, &cfg, &id, &w, err, sizeof(err)), 0);
	if (!w || !eng)
		return;
	ccid_engine_set_packet_sizes(eng, 512, 512);
	pcapw_enumerated(w, FFS_SPEED_HIGH);
	pcapw_in_submit(w, FFS_EP_INTR_IN, sizeof(notify));
	pcapw_in_done(w, FFS_EP_INTR_IN, 0, notify, sizeof(notify));
	bulk_out(eng, w, power_on, sizeof(power_on));   /* short read */
	pcapw_in_submit(w, FFS_EP_BULK_IN, sizeof(atr));
	pcapw_in_done(w, FFS_EP_BULK_IN, 0, atr, sizeof(atr));
	/* XfrBlock of 590 data bytes, read as one packet, then the rest */
	memset(xfr, 0xa5, sizeof(xfr));
	xfr[0] = 0x6f;
	ccid_put_le32(xfr + 1, (uint32_t)(sizeof(xfr) - 10));
	xfr[5] = 0;
	xfr[6] = 2;
	xfr[7] = xfr[8] = xfr[9] = 0;
	before = pcapw_records(w);
	bulk_out(eng, w, xfr, 512);
	CHECK_EQ(pcapw_records(w), before);   /* the transfer goes on */
	bulk_out(eng, w, xfr + 512, sizeof(xfr) - 512);
	pcapw_in_submit(w, FFS_EP_BULK_IN, sizeof(rsp));
	pcapw_in_done(w, FFS_EP_BULK_IN, 0, rsp, sizeof(rsp));
	/* exactly two packets, no ZLP from the host: dwLength ends it */
	memset(big, 0, sizeof(big));
	big[0] = 0x6f;
	ccid_put_le32(big + 1, (uint32_t)(sizeof(big) - 10));
	big[6] = 3;
	bulk_out(eng, w, big, 512);
	bulk_out(eng, w, big + 512, 512);
	/* a cancelled IN write: the URB completes with the error */
	pcapw_in_submit(w, FFS_EP_BULK_IN, sizeof(rsp));
	pcapw_in_done(w, FFS_EP_BULK_IN, -ECONNRESET, NULL, 0);
	CHECK_EQ(pcapw_records(w), 6 + 2 + 2 + 2 + 2 + 2 + 2 + 2);
	pcapw_close(w);
	ccid_engine_free(eng);

	read_back(path);
	CHECK_EQ(nrecs, 20);
	/* GET_DESCRIPTOR(DEVICE): S with setup, C with 18 bytes */
	check_rec(0, 'S', USBMON_XFER_CONTROL, 0x80, 18, 0);
	CHECK(nrecs > 0 && recs[0].h[14] == 0 && recs[0].h[40] == 0x80 &&
	      recs[0].h[41] == 6 && recs[0].h[43] == 1);
	check_rec(1, 'C', USBMON_XFER_CONTROL, 0x80, 18, 18);
	CHECK(nrecs > 1 && ccid_get_le16(recs[1].data + 8) == 0x08e6 &&
	      ccid_get_le16(recs[1].data + 10) == 0x4433);
	/* GET_DESCRIPTOR(CONFIGURATION): 9 + 9 + 54 + 3 * 7 */
	check_rec(3, 'C', USBMON_XFER_CONTROL, 0x80, 93, 93);
	CHECK(nrecs > 3 && recs[3].data[1] == 2 &&
	      ccid_get_le16(recs[3].data + 2) == 93 &&
	      recs[3].data[9 + 5] == 0x0b);   /* bInterfaceClass: CCID */
	/* SET_CONFIGURATION(1) */
	check_rec(4, 'S', USBMON_XFER_CONTROL, 0x00, 0, 0);
	CHECK(nrecs > 4 && recs[4].h[41] == 9 && recs[4].h[42] == 1);
	check_rec(6, 'S', USBMON_XFER_INTR, 0x83, 2, 0);
	check_rec(7, 'C', USBMON_XFER_INTR, 0x83, 2, 2);
	check_rec(8, 'S', USBMON_XFER_BULK, 0x01, 10, 10);
	check_rec(9, 'C', USBMON_XFER_BULK, 0x01, 10, 0);
	check_rec(10, 'S', USBMON_XFER_BULK, 0x82, 14, 0);
	check_rec(11, 'C', USBMON_XFER_BULK, 0x82, 14, 14);
	check_rec(12, 'S', USBMON_XFER_BULK, 0x01, 600, 600);
	CHECK(nrecs > 12 && !memcmp(recs[12].data, xfr, sizeof(xfr)));
	check_rec(16, 'S', USBMON_XFER_BULK, 0x01, 1024, 1024);
	check_rec(19, 'C', USBMON_XFER_BULK, 0x82, 0, 0);
	CHECK(nrecs > 19 && (int32_t)ccid_get_le32(recs[19].h + 28) ==
				     -ECONNRESET);
	/* every Complete has its Submit's URB id */
	for (i = 0; i + 1 < nrecs; i += 2)
		CHECK_MEM(recs[i].h, recs[i + 1].h, 8);
	if (!getenv("PCAP_KEEP"))
		unlink(path);
}

static void host_gone_drops_partial(void)
{
	struct ccid_reader_config cfg;
	struct pcapw_identity id = { 0, 0, 0x0100 };
	struct pcapw *w = NULL;
	char path[64], err[256];
	uint8_t part[64] = { 0x6f, 100, 0, 0, 0 };

	snprintf(path, sizeof(path), "/tmp/test_pcap_gone.%d", (int)getpid());
	ccid_reader_config_default(&cfg);
	CHECK_EQ(pcapw_open(path, &cfg, &id, &w, err, sizeof(err)), 0);
	pcapw_bulk_out(w, part, sizeof(part), false);   /* 64 of 110 bytes */
	pcapw_host_gone(w);
	pcapw_in_done(w, FFS_EP_BULK_IN, 0, part, 10);   /* nothing submitted */
	CHECK_EQ(pcapw_records(w), 0);
	pcapw_close(w);
	unlink(path);
	/* NULL is "no capture" everywhere */
	pcapw_enumerated(NULL, FFS_SPEED_FULL);
	pcapw_bulk_out(NULL, part, 1, true);
	pcapw_close(NULL);
	/* an unwritable path: one line with the path */
	CHECK(pcapw_open("/nonexistent/dir/x.pcap", &cfg, &id, &w, err,
			 sizeof(err)) < 0);
	CHECK(w == NULL);
	CHECK(strstr(err, "/nonexistent/dir/x.pcap") != NULL);
}

/* A capture holds PINs and decrypted data: the file is the owner's only,
 * whatever the umask, and is never one that was there before (a link
 * another user planted, or a file someone can already read). */
static void private_and_fresh(void)
{
	struct ccid_reader_config cfg;
	struct pcapw_identity id = { 0, 0, 0x0100 };
	struct pcapw *w = NULL;
	char path[64], link[80], err[256];
	struct stat st;
	mode_t old_umask;
	int fd;

	ccid_reader_config_default(&cfg);
	snprintf(path, sizeof(path), "/tmp/test_pcap_mode.%d", (int)getpid());
	snprintf(link, sizeof(link), "%s.link", path);
	unlink(path);
	unlink(link);
	old_umask = umask(0);
	CHECK_EQ(pcapw_open(path, &cfg, &id, &w, err, sizeof(err)), 0);
	umask(old_umask);
	pcapw_close(w);
	w = NULL;
	CHECK_EQ(lstat(path, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);

	/* an existing file: refused, left as it was, one line saying what
	 * to do */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "keep", 4), 4);
	close(fd);
	err[0] = 0;
	CHECK_EQ(pcapw_open(path, &cfg, &id, &w, err, sizeof(err)), -EEXIST);
	CHECK(w == NULL);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "exists") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, 4);

	/* a symbolic link, to a file or to nowhere: not followed */
	CHECK_EQ(symlink(path, link), 0);
	CHECK(pcapw_open(link, &cfg, &id, &w, err, sizeof(err)) < 0);
	CHECK(w == NULL);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, 4);
	unlink(path);
	CHECK(pcapw_open(link, &cfg, &id, &w, err, sizeof(err)) < 0);
	CHECK(w == NULL);
	CHECK(access(path, F_OK) < 0);   /* the dangling link's target */
	unlink(link);
}

/* The capture stops, with one log line, at the cap: the file never grows
 * past it and stays a valid capture of the session's start. */
static void stops_at_the_cap(void)
{
	struct ccid_reader_config cfg;
	struct pcapw_identity id = { 0, 0, 0x0100 };
	struct pcapw *w = NULL;
	char path[64], err[256];
	uint8_t msg[10 + 100] = { 0x6f, 100, 0, 0, 0, 0, 1, 0, 0, 0 };
	const uint64_t cap = 4096;
	char logpath[64], logtext[1024];
	int saved, logfd, i;
	ssize_t loglen;
	struct stat st;
	uint64_t n;

	ccid_reader_config_default(&cfg);
	snprintf(path, sizeof(path), "/tmp/test_pcap_cap.%d", (int)getpid());
	unlink(path);
	CHECK_EQ(pcapw_open(path, &cfg, &id, &w, err, sizeof(err)), 0);
	if (!w)
		return;
	pcapw_set_max_bytes(w, cap);
	/* the log (stderr) into a file, to count its lines */
	snprintf(logpath, sizeof(logpath), "/tmp/test_pcap_cap.%d.log",
		 (int)getpid());
	fflush(stderr);
	saved = dup(2);
	logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(saved >= 0 && logfd >= 0);
	dup2(logfd, 2);
	pcapw_enumerated(w, FFS_SPEED_HIGH);
	for (i = 0; i < 100; i++)
		pcapw_bulk_out(w, msg, sizeof(msg), true);
	n = pcapw_records(w);
	pcapw_bulk_out(w, msg, sizeof(msg), true);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK(n > 6 && n < 6 + 200);      /* some, not all */
	CHECK_EQ(pcapw_records(w), n);    /* stopped for good */
	pcapw_close(w);
	loglen = pread(logfd, logtext, sizeof(logtext) - 1, 0);
	close(logfd);
	unlink(logpath);
	logtext[loglen > 0 ? loglen : 0] = 0;
	CHECK(strstr(logtext, "4096") != NULL);   /* names the cap */
	CHECK(strchr(logtext, '\n') == strrchr(logtext, '\n'));  /* one line */
	CHECK_EQ(stat(path, &st), 0);
	CHECK((uint64_t)st.st_size <= cap);
	CHECK((uint64_t)st.st_size > cap - (16 + USBMON_HDR_LEN + sizeof(msg)));
	read_back(path);                  /* whole records only */
	CHECK_EQ(nrecs, n);
	unlink(path);
}

/* libpcap is dlopen()ed (pcap_lib.h): no library and a library that is
 * not libpcap are one clear line each; the real one fills every slot. */
static void pcap_loader(void)
{
	static const char *const none[] = { "libccid-gadget-no-such-lib.so.0" };
	static const char *const notpcap[] = { "libccid-gadget-no-such-lib.so.0",
					       "libc.so.6" };
	static const char *const names[] = PCAP_LIB_SONAMES;
	struct pcap_lib_api api;
	char err[256] = "";

	memset(&api, 0, sizeof(api));
	CHECK_EQ(pcap_lib_load_from(none, 1, &api, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "--pcap needs libpcap (libccid-gadget-no-such-lib.so.0") != NULL);
	CHECK(strstr(err, "libpcap0.8") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK_EQ(pcap_lib_load_from(notpcap, 2, &api, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err,
		     "libc.so.6 is not a usable libpcap (no symbol pcap_open_dead") !=
	      NULL);
	CHECK(api.pcap_dump == NULL);
	CHECK_EQ(pcap_lib_load_from(names, sizeof(names) / sizeof(names[0]), &api,
				    err, sizeof(err)), 0);
	CHECK(api.pcap_dump == pcap_dump);   /* the linked test's own */
	CHECK(api.pcap_open_dead == pcap_open_dead);
}

int main(void)
{
	RUN(pcap_loader);
	RUN(session);
	RUN(host_gone_drops_partial);
	RUN(private_and_fresh);
	RUN(stops_at_the_cap);
	TAP_EXIT();
}
