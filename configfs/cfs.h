/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The USB gadget in configfs, through libusbgx: create it with one
 * configuration and one FunctionFS function, mount that function's
 * FunctionFS instance, bind it to a UDC once the FunctionFS side is ready,
 * unbind and remove it at the end.
 *
 * Errors: 0 / -errno inside; libusbgx errors are reported with
 * usbg_strerror() in the one-line `err` message (errlen bytes, owned by the
 * caller). Paths are parameters so tests can point them at a temporary
 * directory. */
#ifndef CFS_H
#define CFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CFS_CONFIGFS "/sys/kernel/config"
#define CFS_UDC_CLASS "/sys/class/udc"
#define CFS_RUN_DIR "/run/ccid-gadget"
#define CFS_GADGET_NAME "ccid-gadget"
#define CFS_FFS_INSTANCE "ccid"   /* configfs function "ffs.ccid" */
/* The default bcdDevice: Windows caches descriptors per
 * VID:PID:bcdDevice; raise it whenever the descriptors change
 * (docs/board.md, "Windows hosts"). The daemon's --bcd-device sets
 * cfs_params.bcd_device. */
#define CFS_BCD_DEVICE 0x0100

/* ---- UDC selection (/sys/class/udc) ---- */

/* Choose the UDC: `want` if given (it must be an entry of class_dir), else
 * the only entry. None, several, or `want` missing: -ENODEV / -EINVAL with
 * one line naming what is there. The name goes to out (outlen bytes). */
int cfs_pick_udc(const char *class_dir, const char *want, char *out,
		 size_t outlen, char *err, size_t errlen);

/* The UDC's "state" attribute ("configured", "not attached", ...), without
 * the newline. Returns 0 or -errno. */
int cfs_udc_state(const char *class_dir, const char *udc, char *out,
		  size_t outlen);

/* ---- default serial number ---- */

/* A serial number stable per board: ROOT/proc/device-tree/serial-number
 * (its alphanumerics, as is), else a hash of ROOT/etc/machine-id (the id
 * itself is not exposed on the bus). root is "" for the real system.
 * Returns 0, or -ENOENT if neither is there. */
int cfs_default_serial(const char *root, char *out, size_t outlen);

/* ---- the gadget ---- */

struct cfs_params {
	const char *configfs;          /* CFS_CONFIGFS */
	const char *run_dir;           /* CFS_RUN_DIR: lock + mount point */
	const char *gadget_name;       /* CFS_GADGET_NAME */
	const char *ffs_instance;      /* CFS_FFS_INSTANCE */
	const char *udc;               /* from cfs_pick_udc() */
	uint16_t vid, pid;
	uint16_t bcd_device;           /* BCD, e.g. CFS_BCD_DEVICE */
	const char *manufacturer, *product, *serial;
	/* --user: mount FunctionFS with uid=/gid= so the daemon can open its
	 * files after it dropped root (Documentation/usb/functionfs.rst). */
	bool ffs_own;
	uid_t ffs_uid;
	gid_t ffs_gid;
	/* Optional: told about notable steps (a stale gadget removed), one
	 * line each. */
	void (*note)(const char *line);
};

struct cfs_gadget;

/* Does another process hold the run-dir lock of p's gadget name now (a
 * daemon running it, or one exiting)? 0 also when the lock file cannot be
 * opened (cfs_gadget_create() reports that). No waiting, nothing made. */
bool cfs_gadget_busy(const struct cfs_params *p);

/* Mount configfs if needed, take the run-dir lock (one daemon per gadget
 * name; a holder that is exiting gets a few seconds), remove a gadget of the same name left by a crashed run, create
 * the gadget (bcdUSB 0x0200), its configuration and FunctionFS function,
 * and mount FunctionFS. Not bound yet. On error nothing is left behind. */
int cfs_gadget_create(const struct cfs_params *p, struct cfs_gadget **out,
		      char *err, size_t errlen);

/* Where FunctionFS is mounted (owned by the gadget). */
const char *cfs_gadget_ffs_dir(const struct cfs_gadget *cg);
const char *cfs_gadget_udc(const struct cfs_gadget *cg);

/* Bind to the UDC: only after the FunctionFS descriptors are written. */
int cfs_gadget_bind(struct cfs_gadget *cg, char *err, size_t errlen);

/* Unbind (nothing if not bound). */
void cfs_gadget_unbind(struct cfs_gadget *cg);

/* Unbind, unmount FunctionFS (close its files first), remove what was
 * created, release the lock, free. NULL is a no-op. */
void cfs_gadget_destroy(struct cfs_gadget *cg);

/* ---- mounts (cfs_mount.c) ---- */

/* Mount configfs at path unless it is mounted there. */
int cfs_mount_configfs(const char *path, char *err, size_t errlen);

/* Mount FunctionFS instance `instance` at dir (created if missing); a
 * stale FunctionFS mount there is detached first. data: mount options
 * ("uid=N,gid=N") or NULL. */
int cfs_mount_functionfs(const char *instance, const char *dir,
			 const char *data, char *err, size_t errlen);

/* Detach a FunctionFS mount at dir, if any. Returns 0 or -errno. */
int cfs_umount_functionfs(const char *dir);

#endif
