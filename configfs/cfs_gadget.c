/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configfs gadget through libusbgx: see cfs.h. The order (function
 * and config first, FunctionFS descriptors next, the UDC last) is the one
 * libusbgx's examples/gadget-ffs.c documents. */
#include "cfs.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <usbg/usbg.h>

#define LANG_US 0x0409
#define CONFIG_ID 1
#define CONFIG_LABEL "c"
#define CONFIG_MAX_POWER 100 /* mA (configfs MaxPower) */

struct cfs_gadget {
	usbg_state *s;
	usbg_gadget *g;
	usbg_udc *udc;
	char udc_name[NAME_MAX + 1];
	char ffs_dir[PATH_MAX];
	int lock_fd;
	bool ffs_mounted;
	bool bound;
};

__attribute__((format(printf, 2, 3))) static void
note(const struct cfs_params *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!p->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->note(line);
}

/* One daemon per gadget name: an flock on RUN_DIR/NAME.lock, released by
 * the kernel when the process dies, so a crash never leaves it held. */
#define LOCK_WAIT_TRIES 50
#define LOCK_WAIT_US 100000      /* 5 s in all */

/* RUN_DIR/NAME.lock into path (PATH_MAX bytes): the one place its name
 * is made, for the daemon that takes it and for the question whether
 * another holds it. 0, or -ENAMETOOLONG. */
static int cfs_lock_path(const struct cfs_params *p, char path[PATH_MAX])
{
	int n = snprintf(path, PATH_MAX, "%s/%s.lock", p->run_dir,
			 p->gadget_name);

	return n >= 0 && n < PATH_MAX ? 0 : -ENAMETOOLONG;
}

static int take_lock(struct cfs_gadget *cg, const struct cfs_params *p,
		     char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret, tries;

	if (mkdir(p->run_dir, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", p->run_dir,
			 strerror(-ret));
		return ret;
	}
	ret = cfs_lock_path(p, path);
	if (ret < 0) {
		snprintf(err, errlen, "lock file name %.200s/%.200s.lock: %s",
			 p->run_dir, p->gadget_name, strerror(-ret));
		return ret;
	}
	cg->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (cg->lock_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	/* A daemon that just died may still be tearing its gadget down
	 * (its --user helper does that after the daemon is gone): wait for
	 * it a little. */
	for (tries = 0; flock(cg->lock_fd, LOCK_EX | LOCK_NB) < 0; tries++) {
		ret = -errno;
		if (ret == -EWOULDBLOCK && tries < LOCK_WAIT_TRIES) {
			if (tries == 0)
				note(p, "waiting for the holder of %.400s", path);
			usleep(LOCK_WAIT_US);
			continue;
		}
		snprintf(err, errlen, "another ccid-gadget runs gadget '%s' "
			 "(it holds %s): stop it first", p->gadget_name, path);
		return ret;
	}
	return 0;
}

bool cfs_gadget_busy(const struct cfs_params *p)
{
	char path[PATH_MAX];
	bool busy;
	int fd;

	if (cfs_lock_path(p, path) < 0)
		return false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);   /* releases it, if we took it */
	return busy;
}

/* A gadget of our name from a crashed run: unbind, unmount, remove. */
static int remove_stale(struct cfs_gadget *cg, const struct cfs_params *p,
			usbg_gadget *old, char *err, size_t errlen)
{
	int ret;

	if (usbg_get_gadget_udc(old))
		usbg_disable_gadget(old);
	ret = cfs_umount_functionfs(cg->ffs_dir);
	if (ret < 0) {
		snprintf(err, errlen, "cannot unmount the stale FunctionFS at "
			 "%s: %s", cg->ffs_dir, strerror(-ret));
		return ret;
	}
	ret = usbg_rm_gadget(old, USBG_RM_RECURSE);
	if (ret != USBG_SUCCESS) {
		snprintf(err, errlen, "cannot remove the gadget '%s' left by "
			 "an earlier run: %s (remove %s/usb_gadget/%s by hand)",
			 p->gadget_name, usbg_strerror(ret), p->configfs,
			 p->gadget_name);
		return -EBUSY;
	}
	note(p, "removed gadget '%s' left by an earlier run", p->gadget_name);
	return 0;
}

/* Only the attributes that differ from a new gadget's and config's
 * (drivers/usb/gadget/configfs.c: the gadget is zeroed, bcdDevice the
 * kernel's version; a config is bus powered, USB_CONFIG_ATT_ONE; the
 * composite layer fills bMaxPacketSize0 from ep0 when the host asks):
 * bDeviceClass, SubClass, Protocol 0 (class per interface),
 * bMaxPacketSize0 and bmAttributes 0x80 are not written, five files fewer
 * on the one-core start-up (bench/README.md, start-up third pass). */
static int create_gadget(struct cfs_gadget *cg, const struct cfs_params *p,
			 char *err, size_t errlen)
{
	/* libusbgx takes non-const strings but only reads them. */
	struct usbg_gadget_strs strs = {
		.manufacturer = (char *)p->manufacturer,
		.product = (char *)p->product,
		.serial = (char *)p->serial,
	};
	struct usbg_config_strs cstrs = { .configuration = "CCID" };
	usbg_function *f = NULL;
	usbg_config *c = NULL;
	const char *step, *hint = "";
	char binding[NAME_MAX];
	int ret;

	step = "create gadget";
	ret = usbg_create_gadget_vid_pid(cg->s, p->gadget_name, p->vid, p->pid,
					 &cg->g);
	if (ret != USBG_SUCCESS)
		goto fail;
	/* A new gadget's bcdUSB is 0: the composite layer fills it in only
	 * for SuperSpeed and LPM. */
	ret = usbg_set_gadget_device_bcd_usb(cg->g, 0x0200);
	if (ret == USBG_SUCCESS)
		ret = usbg_set_gadget_device_bcd_device(cg->g, p->bcd_device);
	if (ret == USBG_SUCCESS)
		ret = usbg_set_gadget_strs(cg->g, LANG_US, &strs);
	if (ret != USBG_SUCCESS)
		goto fail_gadget;
	step = "create FunctionFS function";
	ret = usbg_create_function(cg->g, USBG_F_FFS, p->ffs_instance, NULL,
				   &f);
	if (ret != USBG_SUCCESS) {
		if (ret == USBG_ERROR_NOT_FOUND)
			hint = " (load usb_f_fs: modprobe usb_f_fs)";
		goto fail_gadget;
	}
	step = "create configuration";
	ret = usbg_create_config(cg->g, CONFIG_ID, CONFIG_LABEL, NULL, &cstrs,
				 &c);
	if (ret == USBG_SUCCESS)
		ret = usbg_set_config_max_power(c, CONFIG_MAX_POWER);
	if (ret != USBG_SUCCESS)
		goto fail_gadget;
	step = "add the function to the configuration";
	snprintf(binding, sizeof(binding), "ffs.%s", p->ffs_instance);
	ret = usbg_add_config_function(c, binding, f);
	if (ret != USBG_SUCCESS)
		goto fail_gadget;
	return 0;

fail_gadget:
	usbg_rm_gadget(cg->g, USBG_RM_RECURSE);
	cg->g = NULL;
fail:
	snprintf(err, errlen, "configfs: cannot %s '%s': %s%s", step,
		 p->gadget_name, usbg_strerror(ret), hint);
	return -EIO;
}

int cfs_gadget_create(const struct cfs_params *p, struct cfs_gadget **out,
		      char *err, size_t errlen)
{
	struct cfs_gadget *cg;
	usbg_gadget *old, *user;
	char path[PATH_MAX];
	struct stat st;
	char mount_opts[64];
	int ret;

	*out = NULL;
	cg = calloc(1, sizeof(*cg));
	if (!cg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cg->lock_fd = -1;
	snprintf(cg->udc_name, sizeof(cg->udc_name), "%s", p->udc);
	snprintf(cg->ffs_dir, sizeof(cg->ffs_dir), "%s/%s.ffs", p->run_dir,
		 p->gadget_name);

	ret = take_lock(cg, p, err, errlen);
	if (ret < 0)
		goto fail;
	ret = cfs_mount_configfs(p->configfs, err, errlen);
	if (ret < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/usb_gadget", p->configfs);
	if (stat(path, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "no %s: load libcomposite (modprobe "
			 "libcomposite)", path);
		goto fail;
	}
	ret = usbg_init(p->configfs, &cg->s);
	if (ret != USBG_SUCCESS) {
		snprintf(err, errlen, "libusbgx cannot read %s: %s",
			 p->configfs, usbg_strerror(ret));
		cg->s = NULL;
		ret = -EIO;
		goto fail;
	}
	cg->udc = usbg_get_udc(cg->s, p->udc);
	if (!cg->udc) {
		snprintf(err, errlen, "UDC %s not found by libusbgx", p->udc);
		ret = -ENODEV;
		goto fail;
	}

	old = usbg_get_gadget(cg->s, p->gadget_name);
	user = usbg_get_udc_gadget(cg->udc);
	if (user && user != old) {
		snprintf(err, errlen, "UDC %s is in use by gadget '%s': unbind "
			 "it (echo > %s/usb_gadget/%s/UDC) or choose another "
			 "with --udc", p->udc, usbg_get_gadget_name(user),
			 p->configfs, usbg_get_gadget_name(user));
		ret = -EBUSY;
		goto fail;
	}
	if (old) {
		ret = remove_stale(cg, p, old, err, errlen);
		if (ret < 0)
			goto fail;
	}

	ret = create_gadget(cg, p, err, errlen);
	if (ret < 0)
		goto fail;
	if (p->ffs_own)
		snprintf(mount_opts, sizeof(mount_opts), "uid=%u,gid=%u",
			 (unsigned)p->ffs_uid, (unsigned)p->ffs_gid);
	ret = cfs_mount_functionfs(p->ffs_instance, cg->ffs_dir,
				   p->ffs_own ? mount_opts : NULL, err, errlen);
	if (ret < 0)
		goto fail;
	cg->ffs_mounted = true;
	*out = cg;
	return 0;

fail:
	cfs_gadget_destroy(cg);
	return ret;
}

const char *cfs_gadget_ffs_dir(const struct cfs_gadget *cg)
{
	return cg->ffs_dir;
}

const char *cfs_gadget_udc(const struct cfs_gadget *cg)
{
	return cg->udc_name;
}

int cfs_gadget_bind(struct cfs_gadget *cg, char *err, size_t errlen)
{
	int ret;

	if (cg->bound)
		return 0;
	ret = usbg_enable_gadget(cg->g, cg->udc);
	if (ret != USBG_SUCCESS) {
		snprintf(err, errlen, "cannot bind gadget to UDC %s: %s",
			 cg->udc_name, usbg_strerror(ret));
		return ret == USBG_ERROR_BUSY ? -EBUSY : -EIO;
	}
	cg->bound = true;
	return 0;
}

void cfs_gadget_unbind(struct cfs_gadget *cg)
{
	if (!cg || !cg->g || !cg->bound)
		return;
	/* Fails harmlessly if someone unbound it behind our back. */
	usbg_disable_gadget(cg->g);
	cg->bound = false;
}

void cfs_gadget_destroy(struct cfs_gadget *cg)
{
	if (!cg)
		return;
	cfs_gadget_unbind(cg);
	if (cg->ffs_mounted) {
		cfs_umount_functionfs(cg->ffs_dir);
		rmdir(cg->ffs_dir);
	}
	if (cg->g)
		usbg_rm_gadget(cg->g, USBG_RM_RECURSE);
	if (cg->s)
		usbg_cleanup(cg->s);
	if (cg->lock_fd >= 0)
		close(cg->lock_fd);
	free(cg);
}
