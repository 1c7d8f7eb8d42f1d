/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket, daemon side: see ctl.h. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Does a daemon answer at path? */
static bool socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

int gadget_ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old_mask;
	int fd, ret;

	ret = fill_addr(&sa, path);
	if (ret < 0) {
		snprintf(err, errlen, "--ctl %.4000s: path too long", path);
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(-ret));
		return ret;
	}
	old_mask = umask(0177);   /* the socket file is created 0600 */
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret < 0 && errno == EADDRINUSE) {
		struct stat st;

		/* bind() says EADDRINUSE for any file there. As root we
		 * remove only what a crashed run leaves: a socket. */
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			umask(old_mask);
			close(fd);
			snprintf(err, errlen, "--ctl %.4000s: the path exists and is"
				 " not a socket: left alone (remove it, or give"
				 " another --ctl PATH)", path);
			return -EEXIST;
		}
		if (socket_alive(&sa)) {
			umask(old_mask);
			close(fd);
			snprintf(err, errlen, "another ccid-gadget answers on %s:"
				 " stop it, or give this one --ctl PATH", path);
			return -EADDRINUSE;
		}
		unlink(path);   /* left by a crashed run */
		ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	umask(old_mask);
	if (ret < 0 || listen(fd, GADGET_CTL_CLIENTS) < 0) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "cannot listen on %s: %s (use --ctl "
			 "PATH)", path, strerror(-ret));
		return ret;
	}
	return fd;
}

int gadget_ctl_give(const char *path, uid_t uid, gid_t gid, char *err,
		    size_t errlen)
{
	struct stat st;
	int fd, ret = 0;

	/* O_PATH|O_NOFOLLOW: a link is opened as the link (and refused
	 * below), never followed; the fd then pins what was checked. */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot give %.4000s to uid %u: %s", path,
			 (unsigned)uid, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
	} else if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		snprintf(err, errlen, "cannot give %.4000s to uid %u: it is not"
			 " the socket this daemon made (replaced since?)", path,
			 (unsigned)uid);
		return -EPERM;
	} else if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		ret = -errno;
	}
	close(fd);
	if (ret < 0)
		snprintf(err, errlen, "cannot give %.4000s to uid %u: %s", path,
			 (unsigned)uid, strerror(-ret));
	return ret;
}

void gadget_ctl_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

struct gadget_ctl_conn *gadget_ctl_accept(int listen_fd,
					  struct gadget_ctl_conn *conns,
					  size_t nconns)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		gadget_log(LOG_WARNING, "ctl", "refused a client (uid %d)",
			   (int)cred.uid);
		close(fd);
		return NULL;
	}
	for (i = 0; i < nconns; i++)
		if (conns[i].fd < 0)
			break;
	if (i == nconns) {
		static const char busy[] = "error: busy, try again\n";

		if (write(fd, busy, sizeof(busy) - 1) < 0)
			gadget_log(LOG_DEBUG, "ctl", "busy reply lost");
		close(fd);
		return NULL;
	}
	conns[i].fd = fd;
	conns[i].len = 0;
	return &conns[i];
}

void gadget_ctl_conn_close(struct gadget_ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void reply(struct gadget_ctl_conn *c, gadget_ctl_exec_fn exec,
		  void *ctx)
{
	const char *why = NULL;
	char *body = NULL;
	size_t size = 0;
	FILE *out;
	int ret;

	out = open_memstream(&body, &size);
	if (!out)
		return;
	ret = exec(ctx, c->line, out, &why);
	if (ret < 0)
		fprintf(out, "error: %s\n", why ? why : strerror(-ret));
	else
		fprintf(out, "ok\n");
	fclose(out);
	/* A reply is a few hundred bytes: the socket buffer takes it whole.
	 * A client that does not read it just loses it. */
	if (body && write(c->fd, body, size) != (ssize_t)size)
		gadget_log(LOG_WARNING, "ctl", "reply to '%s' cut short",
			   c->line);
	free(body);
}

bool gadget_ctl_conn_readable(struct gadget_ctl_conn *c,
			      gadget_ctl_exec_fn exec, void *ctx)
{
	char *nl;
	ssize_t n;

	n = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		gadget_ctl_conn_close(c);
		return false;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	nl = strchr(c->line, '\n');
	if (!nl) {
		if (c->len < sizeof(c->line) - 1)
			return true;   /* more to come */
		snprintf(c->line, sizeof(c->line), "(too long)");
	} else {
		*nl = '\0';
	}
	gadget_log(LOG_INFO, "ctl", "request: %s", c->line);
	reply(c, exec, ctx);
	gadget_ctl_conn_close(c);
	return false;
}
