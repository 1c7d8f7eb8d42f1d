/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: `ccid-gadget ctl status|insert|remove [SLOT]`.
 *
 * A Unix stream socket (mode 0600; peers other than root or our own uid
 * are refused). One request per connection: a line "status",
 * "insert SLOT" or "remove SLOT"; the reply is text lines ending with a
 * line "ok" or "error: WHY", then the daemon closes the connection.
 *
 * Server side: the loop owns the listening fd and up to GADGET_CTL_CLIENTS
 * connections, all non-blocking, all in its epoll set; it never waits for
 * a client. Errors: 0 / -errno. */
#ifndef GADGET_CTL_H
#define GADGET_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define GADGET_CTL_CLIENTS 4
#define GADGET_CTL_LINE 128

/* Bind and listen on path. A stale socket file (nobody answers) is
 * replaced; a live one means another daemon: -EADDRINUSE; anything else
 * at path (a file, a link) is left alone: -EEXIST. Returns the fd or
 * -errno, with one line in err. */
int gadget_ctl_listen(const char *path, char *err, size_t errlen);

/* --user: give the socket file at path (made by gadget_ctl_listen, still
 * ours) to uid:gid, without following a link: whatever was put in its
 * place (a link, a file, another's socket) is refused, -EPERM. 0 or
 * -errno with one line in err. */
int gadget_ctl_give(const char *path, uid_t uid, gid_t gid, char *err,
		    size_t errlen);

/* Close the listening socket and unlink path. */
void gadget_ctl_close(int fd, const char *path);

/* One connection being read. */
struct gadget_ctl_conn {
	int fd;                      /* -1: free */
	char line[GADGET_CTL_LINE];
	size_t len;
};

/* Accept a connection into a free conn (or refuse it); returns the conn
 * or NULL. Checks the peer's credentials. */
struct gadget_ctl_conn *gadget_ctl_accept(int listen_fd,
					  struct gadget_ctl_conn *conns,
					  size_t nconns);

/* Executes one request line, writing the reply body (without the final
 * "ok"/"error" line) to out; returns 0 or -errno with why set. */
typedef int (*gadget_ctl_exec_fn)(void *ctx, const char *line, FILE *out,
				  const char **why);

/* Read what the peer sent; once a full line is in, run exec, send the
 * reply and close. Returns true while the connection stays open. */
bool gadget_ctl_conn_readable(struct gadget_ctl_conn *c,
			      gadget_ctl_exec_fn exec, void *ctx);

void gadget_ctl_conn_close(struct gadget_ctl_conn *c);

/* The client: send one request to the daemon at path, copy the reply body
 * to out. Returns 0 if the daemon said ok, -EIO if it said "error: ..."
 * (err holds its reason), another -errno if no daemon answered (err says
 * why). */
int gadget_ctl_request(const char *path, const char *request, FILE *out,
		       char *err, size_t errlen);

#endif
