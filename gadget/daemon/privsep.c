/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --user: the daemon's side of the privileged helper (see privsep.h). */
#include "privsep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

struct privsep {
	pid_t pid;
	int fd;
	bool gone;   /* a request found the helper dead: say so once */
};

int privsep_start(const struct cfs_params *p, const char *ctl_path,
		  struct privsep **out, char *err, size_t errlen)
{
	struct privsep *ps;
	int sv[2], ret;

	*out = NULL;
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* SEQPACKET: one request or reply per datagram, EOF when the
	 * other side is gone. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create the helper's socket: %s",
			 strerror(-ret));
		free(ps);
		return ret;
	}
	fflush(NULL);   /* nothing buffered gets written twice */
	ps->pid = fork();
	if (ps->pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot fork the privileged helper: %s",
			 strerror(-ret));
		close(sv[0]);
		close(sv[1]);
		free(ps);
		return ret;
	}
	if (ps->pid == 0) {
		close(sv[0]);
		privsep_helper_run(sv[1], p, ctl_path);
	}
	close(sv[1]);
	ps->fd = sv[0];
	*out = ps;
	return 0;
}

pid_t privsep_pid(const struct privsep *ps)
{
	return ps->pid;
}

/* The helper died (cause: why we know): say what that costs. -EPIPE. */
static int helper_gone(struct privsep *ps, const char *cause, char *err,
		       size_t errlen)
{
	snprintf(err, errlen, "the privileged helper is gone (%s): the UDC "
		 "cannot be bound or unbound until the daemon restarts", cause);
	ps->gone = true;
	return -EPIPE;
}

/* One request, one reply. Returns 0 for "ok", -EIO for "err" (its text in
 * err), -EPIPE if the helper is gone. The reply's text after "ok " goes
 * to text (textlen bytes) if wanted. */
static int request(struct privsep *ps, char op, char *text, size_t textlen,
		   char *err, size_t errlen)
{
	char reply[PRIVSEP_MSG_MAX + 1];
	ssize_t n;

	if (send(ps->fd, &op, 1, MSG_NOSIGNAL) != 1)
		return helper_gone(ps, strerror(errno), err, errlen);
	do
		n = recv(ps->fd, reply, sizeof(reply) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return helper_gone(ps, n < 0 ? strerror(errno) : "it exited",
				   err, errlen);
	reply[n] = '\0';
	if (!strncmp(reply, "ok", 2) && (reply[2] == ' ' || !reply[2])) {
		if (text)
			snprintf(text, textlen, "%s", reply[2] ? reply + 3 : "");
		return 0;
	}
	snprintf(err, errlen, "%s", strncmp(reply, "err ", 4) ? reply :
		 reply + 4);
	return -EIO;
}

int privsep_create(struct privsep *ps, char *dir, size_t dirlen, char *err,
		   size_t errlen)
{
	return request(ps, PRIVSEP_CREATE, dir, dirlen, err, errlen);
}

int privsep_bind(void *ps, char *err, size_t errlen)
{
	return request(ps, PRIVSEP_BIND, NULL, 0, err, errlen);
}

int privsep_unbind(void *ps, char *err, size_t errlen)
{
	return request(ps, PRIVSEP_UNBIND, NULL, 0, err, errlen);
}

void privsep_stop(struct privsep *ps, bool remove_ctl)
{
	char err[256];
	int status;

	if (!ps)
		return;
	if (request(ps, remove_ctl ? PRIVSEP_STOP : PRIVSEP_STOP_KEEP_CTL,
		    NULL, 0, err, sizeof(err)) < 0 && !ps->gone)
		gadget_log(LOG_ERR, "priv", "stop: %s", err);
	close(ps->fd);
	while (waitpid(ps->pid, &status, 0) < 0 && errno == EINTR)
		;
	free(ps);
}
