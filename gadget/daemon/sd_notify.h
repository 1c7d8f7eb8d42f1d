/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's readiness protocol without libsystemd: sd_notify(3), "the
 * NOTIFY_SOCKET protocol" (a documented, stable interface: one datagram of
 * newline-separated VAR=VALUE lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET, '@' meaning the abstract namespace).
 *
 * Why not libsystemd's sd_notify(): this is all the daemon needs of it,
 * and linking libsystemd.so.0 brings liblzma, libzstd, liblz4, libgcrypt
 * and libcap into the daemon's process and into every image it is copied
 * into (the VM bed's initramfs) for one sendto(). The same code works
 * under systemd (Type=notify) and under any supervisor that speaks it.
 *
 * The daemon sends READY=1 once the gadget is bound to the UDC (or, with
 * --ffs or a passthru reader that binds later, once the FunctionFS
 * descriptors are written and the gadget can be bound), STATUS=... on
 * every USB change worth a line in `systemctl status`, STOPPING=1 on
 * SIGINT/SIGTERM. */
#ifndef SD_NOTIFY_H
#define SD_NOTIFY_H

/* Send `state` (e.g. "READY=1\nSTATUS=bound to fe980000.usb") if
 * $NOTIFY_SOCKET is set. Returns 1 if sent, 0 if there is no
 * NOTIFY_SOCKET, -errno if sending failed (the caller logs it; a daemon
 * keeps running). */
int gadget_sd_notify(const char *state);

/* printf-style, one datagram. */
int gadget_sd_notifyf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
