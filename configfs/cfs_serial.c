/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A default iSerialNumber that is stable per board: see cfs.h. */
#include "cfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SERIAL_MAX 32

/* Read at most len-1 bytes of a small file; returns bytes or -errno. */
static ssize_t read_small(const char *root, const char *file, char *buf,
			  size_t len)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* FNV-1a, 64 bit: a stable, non-reversible-enough digest so the machine id
 * itself never appears on the bus (machine-id(5) asks for that). */
static uint64_t fnv1a64(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int cfs_default_serial(const char *root, char *out, size_t outlen)
{
	char buf[256], id[SERIAL_MAX + 1];
	size_t i, n = 0;
	ssize_t len;

	/* Device tree boards (Raspberry Pi, ...): the SoC serial. The file
	 * holds a NUL-terminated string. */
	len = read_small(root, "/proc/device-tree/serial-number", buf,
			 sizeof(buf));
	if (len > 0) {
		for (i = 0; i < (size_t)len && buf[i] && n < SERIAL_MAX; i++)
			if (isalnum((unsigned char)buf[i]))
				id[n++] = buf[i];
		id[n] = '\0';
		if (n > 0) {
			snprintf(out, outlen, "%s", id);
			return 0;
		}
	}

	len = read_small(root, "/etc/machine-id", buf, sizeof(buf));
	if (len > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0]) {
			uint64_t h = fnv1a64("ccid-gadget:", 0xcbf29ce484222325ULL);

			h = fnv1a64(buf, h);
			snprintf(out, outlen, "%016llX", (unsigned long long)h);
			return 0;
		}
	}
	return -ENOENT;
}
