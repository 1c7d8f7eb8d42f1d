/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD shim for pcscd in the VM (tests/vm/soak/unplug-race.sh, the
 * "forced" kind): libusb_bulk_transfer() as libusb has it, but a transfer
 * that fails LIBUSB_ERROR_NO_DEVICE returns only SLOW_NODEV_MS (300) ms
 * later. libccid's WriteUSB()/ReadUSB() on an unplugged reader then hold
 * pcscd's reader mutex that long, which widens the window of pcscd's
 * unplug race (tests/vm/README.md, "pcscd never drops the reader") from
 * about 100 us to hundreds of ms: about one round in four hangs. A test
 * tool, never part of the product (built by the script's bed-setup line).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

#define LIBUSB_ERROR_NO_DEVICE (-4) /* libusb.h, enum libusb_error */

typedef int (*bulk_fn)(void *, unsigned char, unsigned char *, int, int *,
		       unsigned int);

int libusb_bulk_transfer(void *h, unsigned char ep, unsigned char *data,
			 int len, int *done, unsigned int timeout);
int libusb_bulk_transfer(void *h, unsigned char ep, unsigned char *data,
			 int len, int *done, unsigned int timeout)
{
	static bulk_fn real;
	const char *ms = getenv("SLOW_NODEV_MS");
	long delay = ms ? atol(ms) : 300;
	int rv;

	if (!real) {
		/* pcscd dlopens libccid (and so libusb) RTLD_LOCAL: RTLD_NEXT
		 * does not see it, its own handle does */
		void *lib = dlopen("libusb-1.0.so.0", RTLD_NOW | RTLD_NOLOAD);

		if (lib)
			real = (bulk_fn)dlsym(lib, "libusb_bulk_transfer");
	}
	if (!real)
		return LIBUSB_ERROR_NO_DEVICE;
	rv = real(h, ep, data, len, done, timeout);
	if (rv == LIBUSB_ERROR_NO_DEVICE && delay > 0) {
		struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	return rv;
}
