/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --pcap: see pcap_writer.h. libpcap writes the file (pcap_open_dead +
 * pcap_dump), loaded when the first capture opens (pcap_lib.h); the
 * records' usbmon headers come from usbmon.c. */
#include "pcap_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/usb/ch9.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pcap_lib.h"
#include "usbmon.h"

#define SNAPLEN 0x40000   /* a 64 KiB extended APDU and its header fit */
#define DESC_LEN 512
#define PCAP_FILE_HDR_LEN 24   /* struct pcap_file_header */
#define PCAP_REC_HDR_LEN 16    /* struct pcap_sf_pkthdr: ts, caplen, len */

struct pcapw {
	pcap_t *pd;
	pcap_dumper_t *dumper;
	const struct ccid_reader_config *cfg;
	struct pcapw_identity id;
	uint64_t next_urb;
	uint64_t in_urb[FFS_EP_COUNT];   /* URB id of the IN write in flight */
	uint8_t *out;                    /* bulk-OUT transfer being collected */
	size_t out_len, out_cap;
	uint8_t *rec;                    /* header + data of one record */
	uint64_t records;
	uint64_t bytes, max_bytes;       /* file size so far, the cap */
	bool failed;
};

static bool host_is_little_endian(void)
{
	const uint16_t one = 1;
	uint8_t b;

	memcpy(&b, &one, 1);
	return b == 1;
}

/* The capture file, fresh and the owner's only: it holds PINs and
 * decrypted data, and the daemon opens it as root, so it never follows a
 * link nor reuses a file (another user's planted link, or a file others
 * can already read) and is 0600 whatever the umask. Returns a FILE or
 * NULL with one line in err. */
static FILE *create_private(const char *path, int *ret, char *err,
			    size_t errlen)
{
	FILE *f;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		*ret = -errno;
		if (errno == EEXIST)
			snprintf(err, errlen, "--pcap '%s' exists: a capture "
				 "is never written over an existing file or "
				 "link (it holds PINs); move it away or give "
				 "a new name", path);
		else
			snprintf(err, errlen, "--pcap '%s': %s (give a new "
				 "file in a directory only root can write)",
				 path, strerror(errno));
		return NULL;
	}
	if (fchmod(fd, 0600) < 0 || !(f = fdopen(fd, "wb"))) {
		*ret = -errno;
		snprintf(err, errlen, "--pcap '%s': %s", path,
			 strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	return f;
}

int pcapw_open(const char *path, const struct ccid_reader_config *cfg,
	       const struct pcapw_identity *id, struct pcapw **out, char *err,
	       size_t errlen)
{
	struct pcapw *w;
	FILE *f;
	int ret = 0;

	*out = NULL;
	if (!host_is_little_endian()) {
		snprintf(err, errlen, "--pcap: this build writes usbmon "
			 "headers little-endian and this host is big-endian; "
			 "capture on the PC with usbmon instead");
		return -ENOTSUP;
	}
	ret = pcap_lib_load(err, errlen);
	if (ret < 0)
		return ret;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto nomem;
	w->cfg = cfg;
	w->id = *id;
	w->next_urb = 1;
	w->max_bytes = PCAPW_DEFAULT_MAX_BYTES;
	w->out_cap = cfg->max_msg_len + 1024;   /* a read may overshoot */
	w->out = malloc(w->out_cap);
	w->rec = malloc(USBMON_HDR_LEN + SNAPLEN);
	if (!w->out || !w->rec)
		goto nomem;
	w->pd = PL(pcap_open_dead)(DLT_USB_LINUX_MMAPPED, SNAPLEN);
	if (!w->pd)
		goto nomem;
	f = create_private(path, &ret, err, errlen);
	if (!f) {
		pcapw_close(w);
		return ret;
	}
	w->dumper = PL(pcap_dump_fopen)(w->pd, f);   /* owns f from here */
	if (!w->dumper) {
		snprintf(err, errlen, "--pcap '%s': %s", path,
			 PL(pcap_geterr)(w->pd));
		fclose(f);
		unlink(path);
		pcapw_close(w);
		return -EIO;
	}
	PL(pcap_dump_flush)(w->dumper);   /* the file header, even if we die */
	w->bytes = PCAP_FILE_HDR_LEN;
	*out = w;
	return 0;
nomem:
	snprintf(err, errlen, "--pcap: out of memory");
	pcapw_close(w);
	return -ENOMEM;
}

void pcapw_set_max_bytes(struct pcapw *w, uint64_t max_bytes)
{
	if (w)
		w->max_bytes = max_bytes;
}

void pcapw_close(struct pcapw *w)
{
	if (!w)
		return;
	if (w->dumper)
		PL(pcap_dump_close)(w->dumper);
	if (w->pd)
		PL(pcap_close)(w->pd);
	free(w->out);
	free(w->rec);
	free(w);
}

uint64_t pcapw_records(const struct pcapw *w)
{
	return w ? w->records : 0;
}

/* One record: usbmon header (ts, bus and device filled in here) + data. */
static void put_record(struct pcapw *w, struct usbmon_event *e,
		       const uint8_t *data, size_t len)
{
	struct pcap_pkthdr ph;
	struct timespec ts;

	if (!w || w->failed)
		return;
	if (len > SNAPLEN)
		len = SNAPLEN;   /* length keeps the real size */
	clock_gettime(CLOCK_REALTIME, &ts);
	e->ts_sec = ts.tv_sec;
	e->ts_usec = (int32_t)(ts.tv_nsec / 1000);
	e->busnum = PCAPW_BUSNUM;
	e->devnum = PCAPW_DEVNUM;
	e->has_data = data && len > 0;
	e->len_cap = e->has_data ? (uint32_t)len : 0;
	usbmon_header_encode(e, w->rec);
	if (e->has_data)
		memcpy(w->rec + USBMON_HDR_LEN, data, len);
	ph.ts.tv_sec = ts.tv_sec;
	ph.ts.tv_usec = e->ts_usec;
	ph.caplen = ph.len = USBMON_HDR_LEN + e->len_cap;
	if (w->bytes + PCAP_REC_HDR_LEN + ph.caplen > w->max_bytes) {
		gadget_log(LOG_WARNING, "pcap", "the capture reached its "
			   "limit of %" PRIu64 " bytes (--pcap-max-bytes): "
			   "capture stopped after %" PRIu64 " records",
			   w->max_bytes, w->records);
		w->failed = true;
		return;
	}
	PL(pcap_dump)((u_char *)w->dumper, &ph, w->rec);
	if (PL(pcap_dump_flush)(w->dumper) < 0) {
		gadget_log(LOG_ERR, "pcap", "writing the capture failed (disk "
			   "full?): capture stopped");
		w->failed = true;
		return;
	}
	w->records++;
	w->bytes += PCAP_REC_HDR_LEN + ph.caplen;
}

static uint8_t ep_xfer(enum ffs_ep_index ep)
{
	return ep == FFS_EP_INTR_IN ? USBMON_XFER_INTR : USBMON_XFER_BULK;
}

/* One control-IN request on ep 0 (USB 2.0 Section 9.3), submit and
 * complete, answered with `data`. */
static void control_in(struct pcapw *w, uint8_t req, uint16_t value,
		       const uint8_t *data, size_t len)
{
	struct usbmon_event e = { 0 };
	uint64_t id = w->next_urb++;

	e.id = id;
	e.type = USBMON_SUBMIT;
	e.xfer_type = USBMON_XFER_CONTROL;
	e.epnum = 0x80;
	e.has_setup = true;
	e.setup[0] = USB_DIR_IN | USB_TYPE_STANDARD | USB_RECIP_DEVICE;
	e.setup[1] = req;
	e.setup[2] = (uint8_t)value;
	e.setup[3] = (uint8_t)(value >> 8);
	e.setup[6] = (uint8_t)len;
	e.setup[7] = (uint8_t)(len >> 8);
	e.status = USBMON_STATUS_IN_PROGRESS;
	e.length = (uint32_t)len;
	e.xfer_flags = USBMON_URB_DIR_IN;
	put_record(w, &e, NULL, 0);
	e.type = USBMON_COMPLETE;
	e.has_setup = false;
	e.status = 0;
	put_record(w, &e, data, len);
}

static void set_configuration(struct pcapw *w, uint8_t value)
{
	struct usbmon_event e = { 0 };

	e.id = w->next_urb++;
	e.type = USBMON_SUBMIT;
	e.xfer_type = USBMON_XFER_CONTROL;
	e.epnum = 0x00;
	e.has_setup = true;
	e.setup[0] = USB_DIR_OUT | USB_TYPE_STANDARD | USB_RECIP_DEVICE;
	e.setup[1] = USB_REQ_SET_CONFIGURATION;
	e.setup[2] = value;
	e.status = USBMON_STATUS_IN_PROGRESS;
	put_record(w, &e, NULL, 0);
	e.type = USBMON_COMPLETE;
	e.has_setup = false;
	e.status = 0;
	put_record(w, &e, NULL, 0);
}

/* USB 2.0 Section 9.6.1 (device) and 9.6.3 (configuration). */
void pcapw_enumerated(struct pcapw *w, enum ffs_speed speed)
{
	uint8_t dev[USB_DT_DEVICE_SIZE], conf[DESC_LEN];
	struct ffs_bw b;
	ssize_t n;

	if (!w || w->failed)
		return;
	pcapw_host_gone(w);
	ffs_bw_init(&b, dev, sizeof(dev));
	ffs_bw_u8(&b, USB_DT_DEVICE_SIZE);
	ffs_bw_u8(&b, USB_DT_DEVICE);
	ffs_bw_le16(&b, speed == FFS_SPEED_SUPER ? 0x0300 : 0x0200);
	ffs_bw_u8(&b, 0);   /* bDeviceClass: per interface */
	ffs_bw_u8(&b, 0);
	ffs_bw_u8(&b, 0);
	ffs_bw_u8(&b, speed == FFS_SPEED_SUPER ? 9 : 64);   /* 2^9 at SS */
	ffs_bw_le16(&b, w->id.vid);
	ffs_bw_le16(&b, w->id.pid);
	ffs_bw_le16(&b, w->id.bcd_device);
	ffs_bw_u8(&b, 1);   /* iManufacturer, iProduct, iSerialNumber */
	ffs_bw_u8(&b, 2);
	ffs_bw_u8(&b, 3);
	ffs_bw_u8(&b, 1);   /* bNumConfigurations */
	control_in(w, USB_REQ_GET_DESCRIPTOR, USB_DT_DEVICE << 8, dev,
		   sizeof(dev));

	n = ffs_desc_speed(w->cfg, speed, conf + USB_DT_CONFIG_SIZE,
			   sizeof(conf) - USB_DT_CONFIG_SIZE);
	if (n < 0)
		return;
	ffs_bw_init(&b, conf, USB_DT_CONFIG_SIZE);
	ffs_bw_u8(&b, USB_DT_CONFIG_SIZE);
	ffs_bw_u8(&b, USB_DT_CONFIG);
	ffs_bw_le16(&b, (uint16_t)(USB_DT_CONFIG_SIZE + n));   /* wTotalLength */
	ffs_bw_u8(&b, 1);      /* bNumInterfaces */
	ffs_bw_u8(&b, 1);      /* bConfigurationValue */
	ffs_bw_u8(&b, 0);      /* iConfiguration */
	ffs_bw_u8(&b, 0x80);   /* bmAttributes: bus powered */
	ffs_bw_u8(&b, 50);     /* bMaxPower: 100 mA */
	control_in(w, USB_REQ_GET_DESCRIPTOR, USB_DT_CONFIG << 8, conf,
		   USB_DT_CONFIG_SIZE + (size_t)n);
	set_configuration(w, 1);
}

void pcapw_host_gone(struct pcapw *w)
{
	if (!w)
		return;
	w->out_len = 0;
	memset(w->in_urb, 0, sizeof(w->in_urb));
}

static void out_urb(struct pcapw *w, const uint8_t *data, size_t len)
{
	struct usbmon_event e = { 0 };

	e.id = w->next_urb++;
	e.type = USBMON_SUBMIT;
	e.xfer_type = USBMON_XFER_BULK;
	e.epnum = ffs_desc_ep_address(FFS_EP_BULK_OUT);
	e.status = USBMON_STATUS_IN_PROGRESS;
	e.length = (uint32_t)len;
	put_record(w, &e, data, len);
	e.type = USBMON_COMPLETE;
	e.status = 0;
	put_record(w, &e, NULL, 0);
}

void pcapw_bulk_out(struct pcapw *w, const uint8_t *data, size_t len,
		    bool transfer_ends)
{
	if (!w || w->failed)
		return;
	if (len > w->out_cap - w->out_len) {
		/* longer than any message the reader takes (the engine drops
		 * it): record what we have, as the host sent it, and go on */
		out_urb(w, w->out, w->out_len);
		w->out_len = 0;
		if (len > w->out_cap)
			len = w->out_cap;
	}
	if (len > 0)
		memcpy(w->out + w->out_len, data, len);
	w->out_len += len;
	if (transfer_ends) {
		out_urb(w, w->out, w->out_len);
		w->out_len = 0;
	}
}

void pcapw_in_submit(struct pcapw *w, enum ffs_ep_index ep, size_t len)
{
	struct usbmon_event e = { 0 };

	if (!w || w->failed)
		return;
	w->in_urb[ep] = w->next_urb++;
	e.id = w->in_urb[ep];
	e.type = USBMON_SUBMIT;
	e.xfer_type = ep_xfer(ep);
	e.epnum = ffs_desc_ep_address(ep);
	e.status = USBMON_STATUS_IN_PROGRESS;
	e.length = (uint32_t)len;
	e.xfer_flags = USBMON_URB_DIR_IN;
	if (ep == FFS_EP_INTR_IN)
		e.interval = 16;   /* ms, as ffs_desc.c declares */
	put_record(w, &e, NULL, 0);
}

void pcapw_in_done(struct pcapw *w, enum ffs_ep_index ep, int status,
		   const uint8_t *data, size_t len)
{
	struct usbmon_event e = { 0 };

	if (!w || w->failed || !w->in_urb[ep])
		return;
	e.id = w->in_urb[ep];
	w->in_urb[ep] = 0;
	e.type = USBMON_COMPLETE;
	e.xfer_type = ep_xfer(ep);
	e.epnum = ffs_desc_ep_address(ep);
	e.status = status;
	e.length = status < 0 ? 0 : (uint32_t)len;
	e.xfer_flags = USBMON_URB_DIR_IN;
	if (ep == FFS_EP_INTR_IN)
		e.interval = 16;
	put_record(w, &e, status < 0 ? NULL : data, status < 0 ? 0 : len);
}
