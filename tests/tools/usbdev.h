/* SPDX-License-Identifier: GPL-2.0-or-later */
/* usbdev.h: a CCID reader's interface on usbdevfs (no libusb), for the
 * project's own host-side tools: find the CCID interface and its bulk
 * endpoints in sysfs's descriptors file (USB 2.0 chapter 9 layout), open
 * and claim it, bulk and control transfers. Header-only (static inline)
 * because each C file under tests/tools is a program of its own. */
#ifndef USBDEV_H
#define USBDEV_H

#include <errno.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

struct usbdev {
	int fd;
	int iface;                /* bInterfaceNumber of the CCID interface */
	unsigned ep_out, ep_in;   /* bulk endpoints */
	unsigned mps;             /* their wMaxPacketSize */
	uint16_t vid, pid;
	uint8_t ccid[54];         /* the class descriptor, Table 5.1-1 */
	uint32_t max_msg;         /* its dwMaxCCIDMessageLength */
};

static inline uint32_t usbdev_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void usbdev_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline int usbdev_sysfs_int(const char *sysdir, const char *name)
{
	char path[512];
	FILE *f;
	int v = 0;

	snprintf(path, sizeof(path), "%s/%s", sysdir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Parse SYSDIR/descriptors: the device's VID:PID, the first interface of
 * class 0x0B, its class descriptor and bulk endpoints. 0 or -errno. */
static inline int usbdev_find(struct usbdev *u, const char *sysdir)
{
	char path[512];
	uint8_t d[4096];
	ssize_t n;
	int fd;
	bool in_ccid = false, have_class = false;

	snprintf(path, sizeof(path), "%s/descriptors", sysdir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, d, sizeof(d));
	close(fd);
	if (n < 18 || d[1] != 1)
		return -ENODEV;
	u->vid = (uint16_t)(d[8] | d[9] << 8);
	u->pid = (uint16_t)(d[10] | d[11] << 8);
	u->iface = -1;
	u->ep_in = u->ep_out = 0;
	for (ssize_t i = 0; i + 2 <= n && d[i] >= 2; i += d[i]) {
		if (d[i + 1] == 4 && i + 9 <= n) {          /* INTERFACE */
			if (u->iface >= 0 && u->ep_in && u->ep_out)
				break;
			in_ccid = d[i + 5] == 0x0B;
			if (in_ccid)
				u->iface = d[i + 2];
		}
		if (!in_ccid)
			continue;
		if (d[i + 1] == 0x21 && d[i] == 54 && i + 54 <= n) {
			memcpy(u->ccid, d + i, 54);
			u->max_msg = usbdev_le32(d + i + 44);
			have_class = true;
		}
		if (d[i + 1] == 5 && i + 7 <= n && (d[i + 3] & 3) == 2) {
			if (d[i + 2] & 0x80)
				u->ep_in = d[i + 2];
			else
				u->ep_out = d[i + 2];
			u->mps = (unsigned)(d[i + 4] | d[i + 5] << 8);
		}
	}
	if (u->iface < 0 || !u->ep_in || !u->ep_out || !have_class)
		return -ENODEV;
	return 0;
}

/* Find, open /dev/bus/usb/BBB/DDD and claim the CCID interface (nothing
 * may hold it: stop pcscd first). 0 or -errno, with one line on stderr. */
static inline int usbdev_open(struct usbdev *u, const char *sysdir,
			      const char *tool)
{
	char dev[64];
	int rc = usbdev_find(u, sysdir);

	if (rc < 0) {
		fprintf(stderr, "%s: no CCID interface in %s/descriptors: %s\n",
			tool, sysdir, strerror(-rc));
		return rc;
	}
	snprintf(dev, sizeof(dev), "/dev/bus/usb/%03d/%03d",
		 usbdev_sysfs_int(sysdir, "busnum"),
		 usbdev_sysfs_int(sysdir, "devnum"));
	u->fd = open(dev, O_RDWR);
	if (u->fd < 0) {
		rc = -errno;
		fprintf(stderr, "%s: %s: %s\n", tool, dev, strerror(-rc));
		return rc;
	}
	if (ioctl(u->fd, USBDEVFS_CLAIMINTERFACE, &u->iface) < 0) {
		rc = -errno;
		fprintf(stderr, "%s: claim interface %d: %s (is pcscd holding it?)\n",
			tool, u->iface, strerror(-rc));
		close(u->fd);
		u->fd = -1;
		return rc;
	}
	return 0;
}

static inline void usbdev_close(struct usbdev *u)
{
	if (u->fd < 0)
		return;
	ioctl(u->fd, USBDEVFS_RELEASEINTERFACE, &u->iface);
	close(u->fd);
	u->fd = -1;
}

/* One bulk transfer: bytes moved, or -errno (-ETIMEDOUT: nothing within
 * timeout_ms; -EPIPE: stalled, the halt is cleared). */
static inline int usbdev_bulk(struct usbdev *u, unsigned ep, void *data,
			      size_t len, unsigned timeout_ms)
{
	struct usbdevfs_bulktransfer bt = {
		.ep = ep, .len = (unsigned)len, .timeout = timeout_ms,
		.data = data,
	};
	int rc = ioctl(u->fd, USBDEVFS_BULK, &bt);

	if (rc < 0 && errno == EPIPE) {
		unsigned e = ep;

		ioctl(u->fd, USBDEVFS_CLEAR_HALT, &e);
		return -EPIPE;
	}
	return rc < 0 ? -errno : rc;
}

/* A class request to the CCID interface (wIndex = its number): IN when
 * bRequestType has 0x80. Bytes of the data stage, or -errno (-EPIPE:
 * stalled). */
static inline int usbdev_class_request(struct usbdev *u, uint8_t bRequestType,
				       uint8_t bRequest, uint16_t wValue,
				       void *data, uint16_t wLength,
				       unsigned timeout_ms)
{
	struct usbdevfs_ctrltransfer ct = {
		.bRequestType = bRequestType, .bRequest = bRequest,
		.wValue = wValue, .wIndex = (uint16_t)u->iface,
		.wLength = wLength, .timeout = timeout_ms, .data = data,
	};
	int rc = ioctl(u->fd, USBDEVFS_CONTROL, &ct);

	return rc < 0 ? -errno : rc;
}

#endif
