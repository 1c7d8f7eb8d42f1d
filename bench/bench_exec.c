/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_exec: wall-clock timing of whole commands for make bench (busybox
 * sh in the VM has no sub-millisecond clock).
 *
 *   bench_exec --label L --count N [--log FILE] -- CMD [ARG...]
 *       run CMD N times (stdout and stderr appended to FILE, default
 *       /dev/null), each timed with CLOCK_MONOTONIC; prints
 *       "L,N,median_ms,min_ms,max_ms". If a run fails: "L,fail,RC" and
 *       exit 1 (FILE says why).
 *
 *   bench_exec --start --label L --count N [--log FILE] -- DAEMON [ARG...]
 *       start DAEMON with NOTIFY_SOCKET pointing at a socket of ours, time
 *       fork to READY=1 (ccid-gadget sends it once the descriptors are on
 *       ep0 and the UDC is bound), SIGTERM it, wait; N times. Same output.
 *       No READY=1 within 30 s: "L,fail,timeout". */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static pid_t spawn(char **argv, const char *log, const char *notify)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (notify)
			setenv("NOTIFY_SOCKET", notify, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait for READY=1 on sock; returns 0, or -1 after 30 s or if the child
 * exited first. */
static int wait_ready(int sock, pid_t pid)
{
	double end = now_ms() + 30000;
	char buf[1024];

	while (now_ms() < end) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int st;

		if (poll(&p, 1, 100) > 0) {
			ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);

			if (n > 0) {
				buf[n] = '\0';
				if (!strncmp(buf, "READY=1", 7) ||
				    strstr(buf, "\nREADY=1"))
					return 0;
			}
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *label = "cmd", *log = "/dev/null";
	long count = 1;
	bool start = false;
	int c;
	static const struct option longs[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'g' },
		{ "start", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		switch (c) {
		case 'l': label = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'g': log = optarg; break;
		case 's': start = true; break;
		default:
			fprintf(stderr, "usage: bench_exec [--start] --label L --count N [--log FILE] -- CMD...\n");
			return 2;
		}
	}
	if (optind >= argc || count < 1) {
		fprintf(stderr, "bench_exec: no command\n");
		return 2;
	}
	double *t = calloc((size_t)count, sizeof(*t));
	char sockpath[64];
	int sock = -1;

	if (!t)
		return 1;
	if (start) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sockpath, sizeof(sockpath), "/tmp/bench-notify.%d",
			 (int)getpid());
		unlink(sockpath);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("bench_exec: notify socket");
			return 1;
		}
	}
	for (long k = 0; k < count; k++) {
		double t0 = now_ms();
		pid_t pid = spawn(argv + optind, log, start ? sockpath : NULL);
		int st = 0;

		if (pid < 0) {
			perror("bench_exec: fork");
			return 1;
		}
		if (start) {
			int r = wait_ready(sock, pid);

			t[k] = now_ms() - t0;
			kill(pid, SIGTERM);
			waitpid(pid, &st, 0);
			if (r < 0) {
				printf("%s,fail,timeout\n", label);
				return 1;
			}
		} else {
			waitpid(pid, &st, 0);
			t[k] = now_ms() - t0;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				printf("%s,fail,%d\n", label,
				       WIFEXITED(st) ? WEXITSTATUS(st) :
				       128 + WTERMSIG(st));
				return 1;
			}
		}
	}
	if (sock >= 0) {
		close(sock);
		unlink(sockpath);
	}
	qsort(t, (size_t)count, sizeof(*t), cmp_double);
	printf("%s,%ld,%.2f,%.2f,%.2f\n", label, count,
	       count % 2 ? t[count / 2] : (t[count / 2 - 1] + t[count / 2]) / 2,
	       t[0], t[count - 1]);
	free(t);
	return 0;
}
