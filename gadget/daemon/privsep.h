/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Privilege separation (--user USER[:GROUP]).
 *
 * The daemon parses USB requests from any PC it is plugged into and VSCard
 * messages from the network: after set-up it runs as an unprivileged user.
 * What still needs root at runtime (bind and unbind the UDC for ctl
 * attach/detach and passthru readers; remove the gadget at exit) is done by
 * a helper process forked before any other thread or file exists. It keeps
 * root and nothing else: no card, no USB endpoint, no network socket.
 *
 * The helper takes five one-letter requests on a socketpair and nothing
 * else (privsep_helper.c), so a daemon taken over through USB or a
 * passthru port can do no more with it than plug and unplug its own
 * reader. When the daemon exits or dies (EOF on the socket), the helper
 * unbinds and removes the gadget and exits: a kill -9 leaves no gadget
 * behind. */
#ifndef GADGET_PRIVSEP_H
#define GADGET_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cfs.h"

struct priv_user {
	uid_t uid;
	gid_t gid;
	char name[64];           /* for initgroups(); "" for a bare uid */
};

/* "USER", "USER:GROUP", "UID" or "UID:GID" (names from /etc/passwd and
 * /etc/group). Returns 0, or -EINVAL / -ENOENT with one line in err. The
 * user must not be root. */
int priv_user_lookup(const char *spec, struct priv_user *u, char *err,
		     size_t errlen);

/* Become u for good: supplementary groups, gid, uid, then check that root
 * cannot be regained. Returns 0 or -errno with one line in err. */
int priv_drop(const struct priv_user *u, char *err, size_t errlen);

struct privsep;

/* Fork the helper. It keeps a copy of *p (strings included) for the
 * gadget it will create, and ctl_path to remove at an orderly stop. Call
 * before any thread starts and with SIGINT/SIGTERM blocked (the helper
 * leaves them blocked: it stops when the daemon does). */
int privsep_start(const struct cfs_params *p, const char *ctl_path,
		  struct privsep **out, char *err, size_t errlen);

/* The helper's pid (for log lines and tests). */
pid_t privsep_pid(const struct privsep *ps);

/* Create the gadget and mount FunctionFS (owned by p->ffs_uid/gid when
 * p->ffs_own); its directory goes to dir (dirlen bytes). */
int privsep_create(struct privsep *ps, char *dir, size_t dirlen, char *err,
		   size_t errlen);

/* Bind / unbind the UDC (gadget_attach's two functions; ctx is the
 * privsep). */
int privsep_bind(void *ps, char *err, size_t errlen);
int privsep_unbind(void *ps, char *err, size_t errlen);

/* Orderly stop: the helper unbinds, removes the gadget and (if
 * remove_ctl: the daemon made it) the control socket, and exits; then it
 * is reaped and ps freed. NULL is a no-op. */
void privsep_stop(struct privsep *ps, bool remove_ctl);

/* The helper's side (privsep_helper.c): serve requests on fd until a
 * stop request or EOF, then tear down and _exit. Never returns. */
void privsep_helper_run(int fd, const struct cfs_params *p,
			const char *ctl_path) __attribute__((noreturn));

/* The requests (one byte each) and the reply: "ok[ TEXT]" or "err TEXT",
 * at most PRIVSEP_MSG_MAX bytes, one datagram each way. */
#define PRIVSEP_CREATE 'C'
#define PRIVSEP_BIND 'B'
#define PRIVSEP_UNBIND 'U'
#define PRIVSEP_STOP 'S'           /* and remove the control socket */
#define PRIVSEP_STOP_KEEP_CTL 'K'  /* another daemon's, or none */
#define PRIVSEP_MSG_MAX 1024

#endif
