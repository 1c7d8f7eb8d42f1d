/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --user: the privileged helper process (see privsep.h). It trusts
 * nothing from the daemon but the request byte: what it creates and binds
 * was fixed when it was forked. */
#include "privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void reply(int fd, const char *text)
{
	size_t n = strlen(text);

	if (n > PRIVSEP_MSG_MAX)
		n = PRIVSEP_MSG_MAX;
	/* A daemon gone mid-request: the next recv() sees EOF. */
	(void)send(fd, text, n, MSG_NOSIGNAL);
}

static void reply_err(int fd, const char *why)
{
	char msg[PRIVSEP_MSG_MAX];

	snprintf(msg, sizeof(msg), "err %.1000s", why);
	reply(fd, msg);
}

static void create(int fd, const struct cfs_params *p,
		   struct cfs_gadget **cg)
{
	char msg[PRIVSEP_MSG_MAX], err[512];

	if (*cg) {
		reply_err(fd, "the gadget exists already");
		return;
	}
	if (cfs_gadget_create(p, cg, err, sizeof(err)) < 0) {
		reply_err(fd, err);
		return;
	}
	snprintf(msg, sizeof(msg), "ok %.1000s", cfs_gadget_ffs_dir(*cg));
	reply(fd, msg);
}

static void bind_udc(int fd, struct cfs_gadget *cg)
{
	char err[512];

	if (!cg)
		reply_err(fd, "no gadget yet");
	else if (cfs_gadget_bind(cg, err, sizeof(err)) < 0)
		reply_err(fd, err);
	else
		reply(fd, "ok");
}

/* The control socket's directory, opened when the helper starts (the
 * daemon is still root, nothing of it runs yet), and its name in it. */
struct ctl_file {
	int dirfd;               /* -1: nothing to remove */
	char name[NAME_MAX + 1];
};

static void ctl_pin(const char *ctl_path, struct ctl_file *cf)
{
	char dir[PATH_MAX];
	const char *slash = ctl_path ? strrchr(ctl_path, '/') : NULL;

	cf->dirfd = -1;
	if (ctl_path == NULL)
		return;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == ctl_path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - ctl_path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - ctl_path), ctl_path);
	else
		return;
	if (strlen(slash ? slash + 1 : ctl_path) >= sizeof(cf->name))
		return;
	snprintf(cf->name, sizeof(cf->name), "%s", slash ? slash + 1 : ctl_path);
	cf->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The control socket, if it still is one: the daemon cannot remove it
 * any more (its directory is root's). By name in the directory pinned at
 * start: a daemon that can write a directory above cannot swap in a link
 * that sends us elsewhere. Within that directory, whatever it swaps in
 * between the check and the unlink is an entry it could remove itself. */
static void remove_ctl(const struct ctl_file *cf)
{
	struct stat st;

	if (cf->dirfd >= 0 &&
	    fstatat(cf->dirfd, cf->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(st.st_mode))
		unlinkat(cf->dirfd, cf->name, 0);
}

void privsep_helper_run(int fd, const struct cfs_params *p,
			const char *ctl_path)
{
	struct cfs_gadget *cg = NULL;
	struct ctl_file ctl;
	unsigned char req[16];
	ssize_t n;

	prctl(PR_SET_NAME, "ccid-gadget-pr");   /* ps shows which is which */
	ctl_pin(ctl_path, &ctl);
	for (;;) {
		n = recv(fd, req, sizeof(req), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The daemon exited without a stop request: it was
			 * killed or crashed. Leave nothing behind. */
			if (cg)
				gadget_log(LOG_WARNING, "priv", "the daemon is "
					   "gone: removing its gadget");
			break;
		}
		if (n != 1) {
			reply_err(fd, "bad request");
			continue;
		}
		if (req[0] == PRIVSEP_STOP ||
		    req[0] == PRIVSEP_STOP_KEEP_CTL) {
			cfs_gadget_destroy(cg);
			cg = NULL;
			if (req[0] == PRIVSEP_STOP)
				remove_ctl(&ctl);
			reply(fd, "ok");
			break;
		}
		switch (req[0]) {
		case PRIVSEP_CREATE:
			create(fd, p, &cg);
			break;
		case PRIVSEP_BIND:
			bind_udc(fd, cg);
			break;
		case PRIVSEP_UNBIND:
			cfs_gadget_unbind(cg);
			reply(fd, "ok");
			break;
		default:
			reply_err(fd, "bad request");
			break;
		}
	}
	cfs_gadget_destroy(cg);
	_exit(0);
}
