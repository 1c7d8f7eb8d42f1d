/* --user: the privileged helper process (see privsep.h). It trusts
 * nothing from the daemon but the request byte: what it creates and binds
 * was fixed when it was forked. */
#include "privsep.h"

#include <errno.h>
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

/* The control socket, if it still is one: the daemon cannot remove it
 * any more (its directory is root's). */
static void remove_ctl(const char *ctl_path)
{
	struct stat st;

	if (ctl_path && lstat(ctl_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(ctl_path);
}

void privsep_helper_run(int fd, const struct cfs_params *p,
			const char *ctl_path)
{
	struct cfs_gadget *cg = NULL;
	unsigned char req[16];
	ssize_t n;

	prctl(PR_SET_NAME, "ccid-gadget-pr");   /* ps shows which is which */
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
				remove_ctl(ctl_path);
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
