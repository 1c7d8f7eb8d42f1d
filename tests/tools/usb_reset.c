/* SPDX-License-Identifier: GPL-2.0-or-later */
/* usb_reset: a USB port reset of one device from the host side
 * (USBDEVFS_RESET), as a hub or a flaky cable would cause: the device is
 * reset and re-enumerated by its address; drivers that hold it (libccid
 * through usbfs) see their transfers fail and must recover.
 *
 *   usb_reset SYSFS_DIR          e.g. /sys/bus/usb/devices/1-1
 * Exit 0 if the ioctl succeeded, 1 otherwise (one line on stderr). */
#include <errno.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int read_int(const char *dir, const char *name, int *out)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	ok = fscanf(f, "%d", out) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char dev[64];
	int bus, num, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: usb_reset SYSFS_DIR (e.g. /sys/bus/usb/devices/1-1)\n");
		return 2;
	}
	if (read_int(argv[1], "busnum", &bus) < 0 || read_int(argv[1], "devnum", &num) < 0) {
		fprintf(stderr, "usb_reset: %s: no busnum/devnum (is the device there?)\n", argv[1]);
		return 1;
	}
	snprintf(dev, sizeof(dev), "/dev/bus/usb/%03d/%03d", bus, num);
	fd = open(dev, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "usb_reset: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (ioctl(fd, USBDEVFS_RESET, 0) < 0) {
		fprintf(stderr, "usb_reset: USBDEVFS_RESET on %s: %s\n", dev, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
