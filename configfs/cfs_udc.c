/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UDC selection from the /sys/class/udc listing: see cfs.h. */
#include "cfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LISTED 16

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir (no dot files), sorted; returns the count or -errno.
 * Names are malloc'ed into names[] (at most max, the rest counted). */
static int list_udcs(const char *dir, char **names, int max)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max) {
			names[n] = strdup(de->d_name);
			if (!names[n]) {
				closedir(d);
				while (n--)
					free(names[n]);
				return -ENOMEM;
			}
		}
		n++;
	}
	closedir(d);
	qsort(names, n < max ? n : max, sizeof(*names), name_cmp);
	return n;
}

static void join_names(char *buf, size_t len, char **names, int n, int shown)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < shown && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? ", " : "", names[i]);
	if (n > shown && used < len)
		snprintf(buf + used, len - used, ", ...");
}

int cfs_pick_udc(const char *class_dir, const char *want, char *out,
		 size_t outlen, char *err, size_t errlen)
{
	char *names[MAX_LISTED];
	char listing[512];
	int n, shown, i, ret;

	n = list_udcs(class_dir, names, MAX_LISTED);
	if (n < 0) {
		snprintf(err, errlen, "cannot list UDCs in %s: %s (is a USB "
			 "device controller driver loaded?)", class_dir,
			 strerror(-n));
		return n;
	}
	shown = n < MAX_LISTED ? n : MAX_LISTED;
	join_names(listing, sizeof(listing), names, n, shown);

	ret = 0;
	if (want) {
		for (i = 0; i < shown; i++)
			if (!strcmp(names[i], want))
				break;
		if (i == shown) {
			snprintf(err, errlen, "--udc %s: no such UDC in %s "
				 "(there: %s)", want, class_dir,
				 n ? listing : "none");
			ret = -ENODEV;
		}
	} else if (n == 0) {
		snprintf(err, errlen, "no UDC in %s: load a USB device "
			 "controller driver (e.g. dwc2, or dummy_hcd to test)",
			 class_dir);
		ret = -ENODEV;
	} else if (n > 1) {
		snprintf(err, errlen, "several UDCs in %s (%s): choose one "
			 "with --udc NAME", class_dir, listing);
		ret = -EINVAL;
	} else {
		want = names[0];
	}
	if (!ret && (size_t)snprintf(out, outlen, "%s", want) >= outlen) {
		snprintf(err, errlen, "UDC name '%s' is too long", want);
		ret = -ENAMETOOLONG;
	}
	for (i = 0; i < shown; i++)
		free(names[i]);
	return ret;
}

int cfs_udc_state(const char *class_dir, const char *udc, char *out,
		  size_t outlen)
{
	char path[4096];
	ssize_t n;
	int fd;

	if (outlen == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s/state", class_dir, udc);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, out, outlen - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}
