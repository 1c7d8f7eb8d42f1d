/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FunctionFS ep0: see ffs_ep0.h. The protocol is the kernel's
 * Documentation/usb/functionfs.rst and drivers/usb/gadget/function/f_fs.c:
 * descriptors then strings are written to ep0, then ep1..epN appear. */
#include "ffs_ep0.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ffs_setup.h"
#include "log.h"

#define INTERFACE_NAME "CCID smart card reader"

static int write_blob(int fd, const uint8_t *blob, size_t len)
{
	ssize_t n = write(fd, blob, len);

	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int ffs_open(const char *dir, const struct ccid_reader_config *cfg,
	     struct ffs_fds *fds, char *err, size_t errlen)
{
	uint8_t blob[FFS_DESC_BUF_LEN];
	char path[4096];
	ssize_t len;
	int i, ret;

	fds->ep0 = -1;
	for (i = 0; i < FFS_EP_COUNT; i++)
		fds->ep[i] = -1;

	snprintf(path, sizeof(path), "%s/ep0", dir);
	fds->ep0 = open(path, O_RDWR | O_CLOEXEC);
	if (fds->ep0 < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s (is a FunctionFS "
			 "instance mounted there?)", path, strerror(-ret));
		goto fail;
	}

	len = ffs_desc_build(cfg, blob, sizeof(blob));
	if (len < 0) {
		ret = (int)len;
		snprintf(err, errlen, "descriptors do not fit in %zu bytes",
			 sizeof(blob));
		goto fail;
	}
	ret = write_blob(fds->ep0, blob, (size_t)len);
	if (ret < 0) {
		snprintf(err, errlen, "writing descriptors to %s: %s (already "
			 "in use by another process?)", path, strerror(-ret));
		goto fail;
	}
	len = ffs_strings_build(INTERFACE_NAME, blob, sizeof(blob));
	if (len < 0) {
		ret = (int)len;
		snprintf(err, errlen, "strings do not fit in %zu bytes",
			 sizeof(blob));
		goto fail;
	}
	ret = write_blob(fds->ep0, blob, (size_t)len);
	if (ret < 0) {
		snprintf(err, errlen, "writing strings to %s: %s", path,
			 strerror(-ret));
		goto fail;
	}

	/* Events are read from the loop: never block there. */
	if (fcntl(fds->ep0, F_SETFL, O_RDWR | O_NONBLOCK) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fcntl %s: %s", path, strerror(-ret));
		goto fail;
	}

	for (i = 0; i < FFS_EP_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/ep%d", dir, i + 1);
		/* O_NONBLOCK: an AIO submitted while the endpoint is
		 * disabled fails with -EAGAIN instead of blocking io_submit. */
		fds->ep[i] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds->ep[i] < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open %s: %s", path,
				 strerror(-ret));
			goto fail;
		}
	}
	return 0;

fail:
	ffs_close(fds);
	return ret;
}

void ffs_close(struct ffs_fds *fds)
{
	int i;

	for (i = 0; i < FFS_EP_COUNT; i++) {
		if (fds->ep[i] >= 0)
			close(fds->ep[i]);
		fds->ep[i] = -1;
	}
	if (fds->ep0 >= 0)
		close(fds->ep0);
	fds->ep0 = -1;
}

int ffs_ep0_read_events(int ep0, struct usb_functionfs_event *ev, int max)
{
	ssize_t n;

	n = read(ep0, ev, sizeof(*ev) * (size_t)max);
	if (n < 0) {
		/* EIDRM: a SETUP was cancelled by a newer event before we
		 * answered it; the read cleared that, the events follow. */
		if (errno == EAGAIN || errno == EINTR || errno == EIDRM)
			return 0;
		return -errno;
	}
	return (int)((size_t)n / sizeof(*ev));
}

/* f_fs: a read on an IN request, or a write on an OUT request, stalls
 * (the call fails with EL2HLT). */
static void ep0_stall(int ep0, uint8_t bRequestType)
{
	ssize_t n;

	if (bRequestType & USB_DIR_IN)
		n = read(ep0, NULL, 0);
	else
		n = write(ep0, NULL, 0);
	if (n < 0 && errno != EL2HLT)
		gadget_log(LOG_WARNING, "ffs", "ep0 stall: %s", strerror(errno));
}

void ffs_ep0_answer(int ep0, struct ccid_engine *eng,
		    const struct usb_ctrlrequest *req)
{
	uint16_t wValue = le16toh(req->wValue), wIndex = le16toh(req->wIndex);
	uint16_t wLength = le16toh(req->wLength);
	enum ffs_setup_action act;
	uint8_t buf[256];
	size_t len;
	ssize_t n;

	act = ffs_setup_decide(eng, req->bRequestType, req->bRequest, wValue,
			       wIndex, wLength, buf, sizeof(buf), &len);
	gadget_log(LOG_DEBUG, "ffs",
		   "setup %02x %02x wValue %04x wIndex %04x wLength %u: %s",
		   req->bRequestType, req->bRequest, wValue, wIndex, wLength,
		   act == FFS_SETUP_STALL ? "stall" :
		   act == FFS_SETUP_ACK ? "ack" : "reply");
	switch (act) {
	case FFS_SETUP_STALL:
		ep0_stall(ep0, req->bRequestType);
		return;
	case FFS_SETUP_ACK:
		n = read(ep0, NULL, 0);   /* status stage */
		break;
	case FFS_SETUP_REPLY:
		n = write(ep0, buf, len);
		break;
	default:
		return;
	}
	/* EIDRM: the host moved on (a new event cancelled this setup). */
	if (n < 0)
		gadget_log(errno == EIDRM ? LOG_DEBUG : LOG_WARNING, "ffs",
			   "ep0 request %02x: %s", req->bRequest,
			   strerror(errno));
}

const char *ffs_event_name(unsigned type)
{
	static const char *const names[] = {
		[FUNCTIONFS_BIND] = "bind",       [FUNCTIONFS_UNBIND] = "unbind",
		[FUNCTIONFS_ENABLE] = "enable",   [FUNCTIONFS_DISABLE] = "disable",
		[FUNCTIONFS_SETUP] = "setup",     [FUNCTIONFS_SUSPEND] = "suspend",
		[FUNCTIONFS_RESUME] = "resume",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}
