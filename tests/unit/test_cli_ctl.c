/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: listen, one request per connection, the reply
 * protocol, stale and live socket files. The server side runs in a thread
 * here (in the daemon it is the event loop). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "gadget_loop.h"
#include "tap.h"

static char path[96];
static int listen_fd = -1;
static int served;

static int fake_exec(void *ctx, const char *line, FILE *out, const char **why)
{
	(void)ctx;
	if (!strcmp(line, "status")) {
		fprintf(out, "slot 0: test\nslot 1: none\n");
		return 0;
	}
	*why = "no such thing";
	return -EINVAL;
}

/* Serve `n` connections, then return. */
static void *server(void *arg)
{
	struct gadget_ctl_conn conns[GADGET_CTL_CLIENTS];
	int n = *(int *)arg, i;

	for (i = 0; i < GADGET_CTL_CLIENTS; i++)
		conns[i].fd = -1;
	while (served < n) {
		struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
		struct gadget_ctl_conn *c;

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		c = gadget_ctl_accept(listen_fd, conns, GADGET_CTL_CLIENTS);
		if (!c)
			continue;
		for (;;) {
			struct pollfd cp = { .fd = c->fd, .events = POLLIN };

			if (poll(&cp, 1, 5000) <= 0)
				break;
			if (!gadget_ctl_conn_readable(c, fake_exec, NULL))
				break;
		}
		gadget_ctl_conn_close(c);
		served++;
	}
	return NULL;
}

static void round_trip(void)
{
	char err[256] = "", *body = NULL;
	size_t size = 0;
	pthread_t th;
	int n = 2, ret;
	FILE *out;
	struct stat st;

	listen_fd = gadget_ctl_listen(path, err, sizeof(err));
	CHECK(listen_fd >= 0);
	if (listen_fd < 0)
		return;
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	served = 0;
	pthread_create(&th, NULL, server, &n);

	out = open_memstream(&body, &size);
	ret = gadget_ctl_request(path, "status", out, err, sizeof(err));
	fclose(out);
	CHECK_EQ(ret, 0);
	CHECK(body && !strcmp(body, "slot 0: test\nslot 1: none\n"));
	free(body);

	body = NULL;
	out = open_memstream(&body, &size);
	ret = gadget_ctl_request(path, "eject 9", out, err, sizeof(err));
	fclose(out);
	CHECK_EQ(ret, -EIO);
	CHECK(!strcmp(err, "no such thing"));
	free(body);

	pthread_join(th, NULL);
	CHECK_EQ(served, 2);
}

static void live_socket_is_kept(void)
{
	char err[256] = "";

	/* listen_fd from round_trip still listens: a second daemon refuses */
	CHECK_EQ(gadget_ctl_listen(path, err, sizeof(err)), -EADDRINUSE);
	CHECK(strstr(err, "another ccid-gadget") != NULL);
	CHECK_EQ(access(path, F_OK), 0);
}

static void stale_socket_is_replaced(void)
{
	char err[256] = "";
	int fd;

	/* close without unlink: what a crash leaves */
	close(listen_fd);
	listen_fd = -1;
	CHECK_EQ(access(path, F_OK), 0);
	fd = gadget_ctl_listen(path, err, sizeof(err));
	CHECK(fd >= 0);
	gadget_ctl_close(fd, path);
	CHECK(access(path, F_OK) < 0);
}

static bool file_holds(const char *p, const char *text)
{
	char buf[64] = "";
	int fd = open(p, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, (size_t)n);
}

/* --ctl at a path that holds something else (a typo, or a file planted
 * by whoever can write the directory): the daemon, as root, must not
 * delete it. One line, nothing removed; a symbolic link is not followed
 * either. */
static void non_socket_is_refused(void)
{
	char err[256] = "", target[128];
	int fd;

	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4);
	close(fd);
	fd = gadget_ctl_listen(path, err, sizeof(err));
	CHECK(fd < 0);
	if (fd >= 0)
		close(fd);
	CHECK(strstr(err, "not a socket") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(file_holds(path, "keep"));
	unlink(path);

	/* A link to a file elsewhere: the link and the file stay. */
	snprintf(target, sizeof(target), "%s.target", path);
	fd = open(target, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4);
	close(fd);
	CHECK_EQ(symlink(target, path), 0);
	err[0] = '\0';
	fd = gadget_ctl_listen(path, err, sizeof(err));
	CHECK(fd < 0);
	if (fd >= 0)
		close(fd);
	CHECK(strstr(err, "not a socket") != NULL);
	CHECK(file_holds(path, "keep"));   /* through the link: still there */
	CHECK(file_holds(target, "keep"));
	unlink(path);
	unlink(target);
}

/* --user: the socket is given to the daemon's user, as root. A link put
 * in its place (by whoever can write the directory) must not pass the
 * file it points to on: chown(2) would (the control below shows it). */
static void give_does_not_follow_links(void)
{
	char err[256] = "", target[128];
	struct stat st;
	int fd;

	if (geteuid() != 0) {
		printf("ok - give_does_not_follow_links # SKIP not root\n");
		return;
	}
	/* The socket itself: given. */
	unlink(path);
	fd = gadget_ctl_listen(path, err, sizeof(err));
	CHECK(fd >= 0);
	CHECK_EQ(gadget_ctl_give(path, 65534, 65534, err, sizeof(err)), 0);
	CHECK_EQ(lstat(path, &st), 0);
	CHECK_EQ(st.st_uid, 65534);
	CHECK_EQ(st.st_gid, 65534);
	CHECK_EQ(st.st_mode & 0777, 0600);
	gadget_ctl_close(fd, path);

	snprintf(target, sizeof(target), "%s.target", path);
	fd = open(target, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(symlink(target, path), 0);
	CHECK(gadget_ctl_give(path, 65534, 65534, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK_EQ(stat(target, &st), 0);
	CHECK_EQ(st.st_uid, 0);             /* the file pointed to: still root's */
	/* The control: chown(2) on the link does give the file away. */
	CHECK_EQ(chown(path, 65534, 65534), 0);
	CHECK_EQ(stat(target, &st), 0);
	CHECK_EQ(st.st_uid, 65534);
	unlink(path);
	unlink(target);
	printf("%s - give_does_not_follow_links\n", tap_failed_now ? "not ok" : "ok");
	tap_failures += tap_failed_now;
	tap_failed_now = 0;
}

static void no_daemon(void)
{
	char err[256] = "";

	CHECK_EQ(gadget_ctl_request(path, "status", stdout, err, sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "is ccid-gadget running") != NULL);
}

/* The requests themselves, on an engine with a test card in slot 0 and an
 * empty slot 1. */
static void exec_requests(void)
{
	struct ccid_reader_config cfg;
	struct gadget_usb_state usb = { .bound = true, .enabled = true,
					.speed = FFS_SPEED_HIGH, .enables = 1 };
	struct vcg_card *cards[2] = { NULL, NULL };
	struct gadget_loop_params p = { 0 };
	struct ccid_slot_stats st;
	const char *why = NULL;
	char err[256], *body = NULL;
	size_t size = 0;
	FILE *out;

	ccid_reader_config_default(&cfg);
	cfg.nslots = 2;
	if (cfg.max_busy_slots > 2)
		cfg.max_busy_slots = 2;
	p.eng = ccid_engine_new(&cfg);
	CHECK(p.eng != NULL);
	if (!p.eng)
		return;
	cards[0] = vcg_card_create("test", p.eng, 0, NULL, err, sizeof(err));
	CHECK(cards[0] != NULL);
	p.cards = cards;
	p.nslots = 2;
	p.udc_class = "/nonexistent";
	p.udc_name = "dummy_udc.0";

	out = open_memstream(&body, &size);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "status", out, &why), 0);
	fclose(out);
	CHECK(strstr(body, "udc: dummy_udc.0, state unknown\n") != NULL);
	CHECK(strstr(body, "usb: enabled, high speed") != NULL);
	CHECK(strstr(body, "slot 0: test, card present") != NULL);
	CHECK(strstr(body, "slot 1: none, card absent") != NULL);
	free(body);

	/* the same daemon as JSON (ctl status --json), gadget name included */
	p.gadget_name = "r1";
	out = open_memstream(&body, &size);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "status json", out, &why), 0);
	fclose(out);
	CHECK(body && !strcmp(body,
		"{\"version\":1,\"gadget\":\"r1\",\"udc\":\"dummy_udc.0\","
		"\"udc_state\":null,\"usb\":{\"bound\":true,\"configured\":true,"
		"\"speed\":\"high\",\"suspended\":false,\"hosts_served\":1},"
		"\"slots\":[{\"slot\":0,\"card\":\"test\",\"icc\":\"present\","
		"\"busy\":false,\"apdus\":0,\"errors\":0},{\"slot\":1,"
		"\"card\":null,\"icc\":\"absent\",\"busy\":false,\"apdus\":0,"
		"\"errors\":0}]}\n"));
	free(body);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "status xml", stdout, &why), -EINVAL);
	p.gadget_name = NULL;

	out = open_memstream(&body, &size);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "remove", out, &why), 0);
	CHECK_EQ(ccid_engine_slot_stats(p.eng, 0, &st), 0);
	CHECK_EQ(st.icc, CCID_ICC_ABSENT);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "insert 0", out, &why), 0);
	CHECK_EQ(ccid_engine_slot_stats(p.eng, 0, &st), 0);
	CHECK(st.icc != CCID_ICC_ABSENT);
	fclose(out);
	CHECK(body && !strcmp(body, "slot 0: card removed\nslot 0: card inserted\n"));
	free(body);

	CHECK_EQ(gadget_ctl_exec(&p, &usb, "insert 1", stdout, &why), -ENOENT);
	CHECK(why && strstr(why, "slot 1 has no card"));
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "remove 5", stdout, &why), -EINVAL);
	CHECK(why && strstr(why, "no slot 5"));
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "remove x", stdout, &why), -EINVAL);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "insertx", stdout, &why), -EINVAL);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "", stdout, &why), -EINVAL);
	/* No configfs gadget (--ffs): detach/attach say where to do it. */
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "detach", stdout, &why), -EOPNOTSUPP);
	CHECK(why && strstr(why, "--ffs"));
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "attach", stdout, &why), -EOPNOTSUPP);
	CHECK_EQ(gadget_ctl_exec(&p, &usb, "detach 1", stdout, &why), -EINVAL);

	if (cards[0])
		vcg_card_destroy(cards[0]);
	ccid_engine_free(p.eng);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/test_cli_ctl.%d.sock", (int)getpid());
	unlink(path);
	RUN(round_trip);
	RUN(live_socket_is_kept);
	RUN(stale_socket_is_replaced);
	RUN(non_socket_is_refused);
	give_does_not_follow_links();
	RUN(no_daemon);
	RUN(exec_requests);
	unlink(path);
	TAP_EXIT();
}
