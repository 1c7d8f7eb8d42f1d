/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify_listen: stands in for systemd's side of sd_notify(3) in the VM
 * bed (there is no systemd there). Binds a datagram socket, prints every
 * notification it gets, one line per VAR=VALUE, and exits after
 * STOPPING=1 or the timeout.
 *
 *   notify_listen SOCKET [--check-file FILE] [--timeout S]
 *
 * Output lines: "notify MS VAR=VALUE" (MS: milliseconds since it started).
 * With --check-file, READY=1 is followed by "at-ready FILE: CONTENTS"
 * (read the moment READY=1 arrived: e.g. the gadget's configfs UDC file,
 * which is non-empty only while the gadget is bound). Exit status 0 after
 * STOPPING=1, 1 on timeout or error. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void print_file(const char *path)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("at-ready %s: %s\n", path, f ? buf : "(unreadable)");
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *check = NULL;
	struct timespec t0;
	long timeout_ms = 60000;
	bool stopping = false;
	int fd, i;

	if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify_listen SOCKET [--check-file FILE] "
			"[--timeout S]\n");
		return 2;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--check-file"))
			check = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout"))
			timeout_ms = atol(argv[i + 1]) * 1000;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify_listen: socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("listening %s\n", argv[1]);
	fflush(stdout);
	while (!stopping) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char msg[4096], *line, *save;
		long left = timeout_ms - now_ms(&t0);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			printf("timeout\n");
			return 1;
		}
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n < 0) {
			perror("notify_listen: recv");
			return 1;
		}
		msg[n] = '\0';
		for (line = strtok_r(msg, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			printf("notify %ld %s\n", now_ms(&t0), line);
			if (!strcmp(line, "READY=1") && check)
				print_file(check);
			if (!strcmp(line, "STOPPING=1"))
				stopping = true;
		}
		fflush(stdout);
	}
	unlink(argv[1]);
	return 0;
}
