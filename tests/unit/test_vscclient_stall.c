/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient (the binary, next to this test's: build/ccid-vscclient,
 * build/asan/ccid-vscclient) against TLS servers that stall: one that
 * accepts the connection and sends the first 3 bytes of a TLS record in
 * the handshake, one that completes the handshake, reads VSC_Init and
 * then sends 3 bytes of an application-data record. In both the client
 * must stay responsive: SIGINT or SIGTERM ends it within STOP_MS, and a
 * stalled handshake gives up by itself within the client's handshake
 * timeout (10 s) plus a margin. Credentials: scripts/make-tls-certs into
 * a temporary directory (the test runs from the repo root, as
 * tests/run-all does). alarm() guards the whole run. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vcg_tls.h"
#include "vscard_codec.h"

#define STOP_MS 2000          /* a signal ends the client within this */
#define GIVE_UP_MS 14000      /* its 10 s handshake deadline, and a margin */

static char dir[64];          /* the temporary credentials root */
static char client_bin[PATH_MAX];
static char port_str[16];
static int lfd = -1;          /* the fake server's listening socket */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The client binary of this build: ../ccid-vscclient from this test. */
static int find_client(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(client_bin, sizeof(client_bin), "%s/../ccid-vscclient",
		 dirname(self));
	return access(client_bin, X_OK);
}

static int listen_loopback(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	snprintf(port_str, sizeof(port_str), "%u", ntohs(a.sin_port));
	return 0;
}

/* ccid-vscclient -n --tls-creds DIR/client -e ... 127.0.0.1 PORT; its
 * stderr into `log`. libcacard gets scripts/make-fake-smartcard's card. */
static pid_t start_client(const char *log)
{
	char creds[128], emul[256];
	pid_t pid;

	snprintf(creds, sizeof(creds), "%s/client", dir);
	snprintf(emul, sizeof(emul), "db=\"sql:%s/nssdb\" use_hw=no "
		 "soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)", dir);
	pid = fork();
	if (pid == 0) {
		if (freopen(log, "w", stderr) == NULL ||
		    freopen("/dev/null", "r", stdin) == NULL)
			_exit(127);
		execl(client_bin, client_bin, "-n", "--tls-creds", creds,
		      "-e", emul, "127.0.0.1", port_str, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The client's exit within ms: its wait status, or -1 (then killed). */
static int wait_exit(pid_t pid, long ms)
{
	long end = now_ms() + ms;
	int status;

	while (now_ms() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		poll(NULL, 0, 20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void show_log(const char *log)
{
	sh("sed 's/^/  client: /' %s >&2", log);
}

/* Accept the client's connection (within 5 s), or -1. */
static int accept_client(void)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* The server answers the ClientHello with 3 bytes of a handshake record
 * (content type 22, version 3.3) and nothing more. */
static void t_half_record_in_handshake(void)
{
	static const char *const log = "/tmp/test_vscclient_stall.hs.log";
	static const uint8_t part[3] = { 0x16, 0x03, 0x03 };
	uint8_t hello[512];
	long t0;
	int fd, status;
	pid_t pid;

	/* SIGINT while it waits */
	pid = start_client(log);
	fd = accept_client();
	CHECK(fd >= 0);
	CHECK(read(fd, hello, sizeof(hello)) > 0);   /* the ClientHello */
	CHECK_EQ(write(fd, part, sizeof(part)), 3);
	poll(NULL, 0, 500);
	t0 = now_ms();
	kill(pid, SIGINT);
	status = wait_exit(pid, STOP_MS);
	if (status == -1) {
		fprintf(stderr, "  SIGINT: still running after %d ms\n", STOP_MS);
		show_log(log);
	}
	CHECK(status != -1 && WIFEXITED(status));
	fprintf(stderr, "  SIGINT in the handshake: gone after %ld ms\n",
		now_ms() - t0);
	if (fd >= 0)
		close(fd);

	/* nothing: it gives up by itself, with one line saying why */
	pid = start_client(log);
	t0 = now_ms();
	fd = accept_client();
	CHECK(fd >= 0);
	CHECK(read(fd, hello, sizeof(hello)) > 0);
	CHECK_EQ(write(fd, part, sizeof(part)), 3);
	status = wait_exit(pid, GIVE_UP_MS);
	CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1);
	fprintf(stderr, "  a stalled handshake: given up after %ld ms\n",
		now_ms() - t0);
	CHECK_EQ(sh("grep -q 'did not finish the TLS handshake' %s", log), 0);
	if (status == -1 || WEXITSTATUS(status) != 1)
		show_log(log);
	if (fd >= 0)
		close(fd);
	unlink(log);
}

/* The session is up (TLS, VSC_Init read); then 3 bytes of an
 * application-data record (type 23) and silence. */
static void t_half_record_in_session(void)
{
	static const char *const log = "/tmp/test_vscclient_stall.rec.log";
	static const uint8_t part[3] = { 0x17, 0x03, 0x03 };
	struct vcg_tls_server *srv;
	struct vcg_stream *s = NULL;
	char sdir[128], err[256];
	uint8_t buf[256];
	static struct vsc_decoder dec;
	struct vsc_msg m;
	long t0, end;
	int fd, status, rc, got_init = 0;
	pid_t pid;

	snprintf(sdir, sizeof(sdir), "%s/server", dir);
	srv = vcg_tls_server_new(sdir, NULL, err, sizeof(err));
	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	pid = start_client(log);
	fd = accept_client();
	CHECK(fd >= 0);
	if (fd >= 0)
		s = vcg_stream_tls_server(srv, fd, "client");   /* blocking fd */
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_EQ(vcg_stream_handshake(s), 0);
		/* VSC_Init, within 5 s */
		vsc_decoder_init(&dec);
		end = now_ms() + 5000;
		while (!got_init && now_ms() < end) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t n;
			size_t used = 0;

			if (!vcg_stream_pending(s) && poll(&p, 1, 200) != 1)
				continue;
			n = vcg_stream_recv(s, buf, sizeof(buf));
			if (n <= 0)
				break;
			CHECK_EQ(vsc_decoder_feed(&dec, buf, (size_t)n, &used), 0);
			rc = vsc_decoder_next(&dec, &m);
			got_init = rc == 1 && m.type == VSC_INIT;
		}
		CHECK(got_init);
		if (!got_init)
			show_log(log);
		CHECK_EQ(write(fd, part, sizeof(part)), 3);
	}
	poll(NULL, 0, 500);
	t0 = now_ms();
	kill(pid, SIGTERM);
	status = wait_exit(pid, STOP_MS);
	if (status == -1) {
		fprintf(stderr, "  SIGTERM: still running after %d ms\n", STOP_MS);
		show_log(log);
	}
	CHECK(status != -1 && WIFEXITED(status));
	fprintf(stderr, "  SIGTERM in the session: gone after %ld ms\n",
		now_ms() - t0);
	vcg_stream_free(s);   /* closes fd */
	vcg_tls_server_free(srv);
	unlink(log);
}

int main(void)
{
	int rc;

	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	if (find_client() < 0) {
		printf("not ok - ccid-vscclient is built next to this test (%s): make all\n",
		       client_bin);
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/test_vscclient_stall.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = sh("scripts/make-tls-certs %s >/dev/null", dir);
	if (rc == 0)
		rc = sh("scripts/make-fake-smartcard %s/nssdb >/dev/null", dir);
	if (rc != 0 || listen_loopback() < 0) {
		printf("not ok - make-tls-certs, make-fake-smartcard and a loopback port "
		       "(run from the repo root)\n");
		sh("rm -rf %s", dir);
		return 1;
	}
	RUN(t_half_record_in_handshake);
	RUN(t_half_record_in_session);
	close(lfd);
	sh("rm -rf %s", dir);
	TAP_EXIT();
}
