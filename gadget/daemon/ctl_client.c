/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket, client side (`ccid-gadget ctl ...`): see ctl.h. */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_TIMEOUT_MS 10000

int gadget_ctl_request(const char *path, const char *request, FILE *out,
		       char *err, size_t errlen)
{
	char buf[4096], last[256] = "";
	struct sockaddr_un sa;
	size_t last_len = 0;
	bool got_end = false;
	int fd, ret = 0;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%.4000s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot reach the daemon at %s: %s (is "
			 "ccid-gadget running? --ctl PATH?)", path,
			 strerror(-ret));
		goto out;
	}
	n = snprintf(buf, sizeof(buf), "%s\n", request);
	if (write(fd, buf, (size_t)n) != n) {
		ret = -EPIPE;
		snprintf(err, errlen, "sending to %s failed", path);
		goto out;
	}

	/* Pass the body through; keep the current line to find the final
	 * "ok" / "error: ..." line. */
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t i;

		if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0) {
			ret = -ETIMEDOUT;
			snprintf(err, errlen, "no answer from %s", path);
			goto out;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (last_len < sizeof(last) - 1)
					last[last_len++] = buf[i];
				continue;
			}
			last[last_len] = '\0';
			last_len = 0;
			if (!strcmp(last, "ok")) {
				got_end = true;
			} else if (!strncmp(last, "error: ", 7)) {
				got_end = true;
				ret = -EIO;
				snprintf(err, errlen, "%s", last + 7);
			} else {
				fprintf(out, "%s\n", last);
			}
		}
	}
	if (!got_end && ret == 0) {
		ret = -EPROTO;
		snprintf(err, errlen, "the daemon closed the connection "
			 "without an answer");
	}
out:
	close(fd);
	return ret;
}
