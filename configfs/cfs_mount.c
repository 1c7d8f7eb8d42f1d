/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounting configfs and FunctionFS: see cfs.h. */
#include "cfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

/* Superblock magics: fs/configfs/mount.c and
 * drivers/usb/gadget/function/f_fs.c. */
#define CONFIGFS_MAGIC 0x62656570
#define FUNCTIONFS_MAGIC 0xa647361

static bool mounted_as(const char *path, unsigned long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type == magic;
}

int cfs_mount_configfs(const char *path, char *err, size_t errlen)
{
	int ret;

	if (mounted_as(path, CONFIGFS_MAGIC))
		return 0;
	if (mount("configfs", path, "configfs", 0, NULL) == 0)
		return 0;
	ret = -errno;
	snprintf(err, errlen, "cannot mount configfs at %s: %s%s", path,
		 strerror(-ret),
		 ret == -ENOENT || ret == -ENODEV ?
			 " (load it: modprobe configfs)" :
		 ret == -EPERM ? " (run as root)" : "");
	return ret;
}

int cfs_umount_functionfs(const char *dir)
{
	if (!mounted_as(dir, FUNCTIONFS_MAGIC))
		return 0;
	if (umount2(dir, MNT_DETACH) < 0)
		return -errno;
	return 0;
}

int cfs_mount_functionfs(const char *instance, const char *dir,
			 const char *data, char *err, size_t errlen)
{
	int ret;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir,
			 strerror(-ret));
		return ret;
	}
	ret = cfs_umount_functionfs(dir);   /* left by a crashed run */
	if (ret < 0) {
		snprintf(err, errlen, "cannot unmount the stale FunctionFS at "
			 "%s: %s", dir, strerror(-ret));
		return ret;
	}
	if (mount(instance, dir, "functionfs", 0, data) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot mount FunctionFS '%s' at %s: %s%s",
			 instance, dir, strerror(-ret),
			 ret == -ENODEV ? " (load usb_f_fs: modprobe usb_f_fs)"
					: "");
		return ret;
	}
	return 0;
}
