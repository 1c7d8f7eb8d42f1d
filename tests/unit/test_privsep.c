/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --user (gadget/daemon/privsep.h): the user lookup, the drop itself (in a forked
 * child, as root only) and the privileged helper's request protocol with a
 * configfs path that cannot be mounted, so no gadget is ever created. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep.h"
#include "tap.h"

static char err[1024];

static void lookup_names_and_numbers(void)
{
	struct priv_user u;
	struct passwd *pw = getpwnam("nobody");

	CHECK(pw != NULL);   /* Debian has nobody:nogroup, 65534 */
	if (!pw)
		return;
	CHECK_EQ(priv_user_lookup("nobody", &u, err, sizeof(err)), 0);
	CHECK_EQ(u.uid, pw->pw_uid);
	CHECK_EQ(u.gid, pw->pw_gid);
	CHECK(!strcmp(u.name, "nobody"));
	CHECK_EQ(priv_user_lookup("nobody:nogroup", &u, err, sizeof(err)), 0);
	CHECK_EQ(u.gid, getgrnam("nogroup")->gr_gid);
	/* A uid of nobody's: found by number, with its name. */
	snprintf(err, sizeof(err), "%u", (unsigned)pw->pw_uid);
	CHECK_EQ(priv_user_lookup(err, &u, err, sizeof(err)), 0);
	CHECK(!strcmp(u.name, "nobody"));
	/* A bare uid with no passwd entry: same-numbered group. */
	CHECK_EQ(priv_user_lookup("4242", &u, err, sizeof(err)), 0);
	CHECK_EQ(u.uid, 4242);
	CHECK_EQ(u.gid, 4242);
	CHECK(!strcmp(u.name, ""));
	CHECK_EQ(priv_user_lookup("4242:4343", &u, err, sizeof(err)), 0);
	CHECK_EQ(u.gid, 4343);
}

static void lookup_errors(void)
{
	struct priv_user u;

	CHECK_EQ(priv_user_lookup("no-such-user-xyz", &u, err, sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "no user 'no-such-user-xyz'") != NULL);
	CHECK(strstr(err, "adduser --system") != NULL);
	CHECK_EQ(priv_user_lookup("nobody:no-such-group", &u, err,
				  sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no group 'no-such-group'") != NULL);
	CHECK_EQ(priv_user_lookup("root", &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "is root") != NULL);
	CHECK_EQ(priv_user_lookup("0", &u, err, sizeof(err)), -EINVAL);
	CHECK_EQ(priv_user_lookup("nobody:root", &u, err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(priv_user_lookup("1234567890", &u, err, sizeof(err)),
		 -ENOENT);   /* more than 9 digits: not a number we take */
	CHECK_EQ(priv_user_lookup(":x", &u, err, sizeof(err)), -EINVAL);
	CHECK_EQ(priv_user_lookup("x:", &u, err, sizeof(err)), -EINVAL);
}

/* In a child: drop to nobody, then prove root is gone. The exit status
 * says which step failed. */
static int drop_child(void)
{
	struct priv_user u;
	gid_t groups[64];
	int n, i;

	if (priv_user_lookup("nobody", &u, err, sizeof(err)) < 0)
		return 10;
	if (priv_drop(&u, err, sizeof(err)) < 0) {
		fprintf(stderr, "  priv_drop: %s\n", err);
		return 11;
	}
	if (getuid() != u.uid || geteuid() != u.uid || getgid() != u.gid ||
	    getegid() != u.gid)
		return 12;
	n = getgroups(64, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == 0)
			return 13;   /* root's groups must be gone too */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 14;
	if (open("/etc/shadow", O_RDONLY) >= 0)
		return 15;
	/* A second drop (to another user) must fail cleanly. */
	u.uid = 4242;
	if (priv_drop(&u, err, sizeof(err)) != -EPERM ||
	    !strstr(err, "cannot become uid 4242"))
		return 16;
	return 0;
}

static void drop_to_nobody(void)
{
	int status = -1;
	pid_t pid;

	if (geteuid() != 0) {
		printf("ok - drop_to_nobody # SKIP not root\n");
		return;
	}
	pid = fork();
	if (pid == 0)
		_exit(drop_child());
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	printf("%s - drop_to_nobody\n", tap_failed_now ? "not ok" : "ok");
	tap_failures += tap_failed_now;
	tap_failed_now = 0;
}

/* ---- the helper ---- */

static char tmp[] = "/tmp/test_privsep.XXXXXX";
static char run_dir[96], ctl_path[96];

static struct cfs_params params(void)
{
	return (struct cfs_params){
		/* Not mountable: the helper's create fails before configfs. */
		.configfs = "/nonexistent/ccid-gadget-test/config",
		.run_dir = run_dir,
		.gadget_name = "test",
		.ffs_instance = "test",
		.udc = "dummy_udc.0",
		.vid = 0x08e6,
		.pid = 0x4433,
		.bcd_device = CFS_BCD_DEVICE,
		.manufacturer = "m",
		.product = "p",
		.serial = "1",
	};
}

static void make_socket_file(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
}

static void helper_requests(void)
{
	struct cfs_params p = params();
	struct privsep *ps;
	struct stat st;
	char dir[PATH_MAX];
	pid_t pid;

	make_socket_file(ctl_path);
	CHECK_EQ(privsep_start(&p, ctl_path, &ps, err, sizeof(err)), 0);
	if (!ps)
		return;
	pid = privsep_pid(ps);
	CHECK(pid > 0 && pid != getpid());
	/* Bind before the gadget exists: refused, the helper goes on. */
	CHECK_EQ(privsep_bind(ps, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "no gadget yet") != NULL);
	/* The helper's own error comes back whole. */
	CHECK_EQ(privsep_create(ps, dir, sizeof(dir), err, sizeof(err)),
		 -EIO);
	CHECK(strstr(err, "/nonexistent/ccid-gadget-test/config") != NULL);
	CHECK_EQ(privsep_unbind(ps, err, sizeof(err)), 0);   /* harmless */
	CHECK_EQ(kill(pid, 0), 0);
	/* The helper took the lock in the run dir on create. */
	snprintf(dir, sizeof(dir), "%s/test.lock", run_dir);
	CHECK_EQ(stat(dir, &st), 0);
	/* An orderly stop removes the daemon's control socket. */
	privsep_stop(ps, true);
	CHECK(stat(ctl_path, &st) < 0 && errno == ENOENT);
	CHECK(kill(pid, 0) < 0 && errno == ESRCH);   /* reaped */
}

static void helper_keeps_others_ctl(void)
{
	struct cfs_params p = params();
	struct privsep *ps;
	struct stat st;
	int fd;

	/* Another daemon's socket (this one's listen failed) stays. */
	make_socket_file(ctl_path);
	CHECK_EQ(privsep_start(&p, ctl_path, &ps, err, sizeof(err)), 0);
	privsep_stop(ps, false);
	CHECK_EQ(stat(ctl_path, &st), 0);
	/* Not a socket: never removed. */
	unlink(ctl_path);
	fd = open(ctl_path, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(privsep_start(&p, ctl_path, &ps, err, sizeof(err)), 0);
	privsep_stop(ps, true);
	CHECK_EQ(stat(ctl_path, &st), 0);
	unlink(ctl_path);
}

/* The control socket's directory swapped under the helper after it
 * started (a daemon that can write the directory above it renames its
 * directory and leaves a link to another one, whose socket belongs to
 * someone else): the helper removes the daemon's socket in the directory
 * it was started with, and nothing through the link. */
static void helper_ctl_dir_swapped(void)
{
	struct cfs_params p = params();
	char dir[128], moved[128], victim_dir[128], victim[160], ctl[160],
	     ctl_moved[160];
	struct privsep *ps;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/ctl-dir", tmp);
	snprintf(moved, sizeof(moved), "%s/ctl-dir.moved", tmp);
	snprintf(victim_dir, sizeof(victim_dir), "%s/other", tmp);
	snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
	snprintf(ctl_moved, sizeof(ctl_moved), "%s/ctl.sock", moved);
	snprintf(victim, sizeof(victim), "%s/ctl.sock", victim_dir);
	CHECK_EQ(mkdir(dir, 0755), 0);
	CHECK_EQ(mkdir(victim_dir, 0755), 0);
	make_socket_file(ctl);
	make_socket_file(victim);
	CHECK_EQ(privsep_start(&p, ctl, &ps, err, sizeof(err)), 0);
	if (!ps)
		return;
	CHECK_EQ(privsep_unbind(ps, err, sizeof(err)), 0);   /* it is up */
	CHECK_EQ(rename(dir, moved), 0);
	CHECK_EQ(symlink(victim_dir, dir), 0);
	privsep_stop(ps, true);
	if (lstat(victim, &st) != 0)
		fprintf(stderr, "  the helper removed %s through the link\n", victim);
	CHECK_EQ(lstat(victim, &st), 0);
	CHECK(lstat(ctl_moved, &st) < 0 && errno == ENOENT);
	unlink(dir);
	unlink(victim);
	unlink(ctl_moved);
	rmdir(victim_dir);
	rmdir(moved);
}

/* The helper on a raw socket: anything but one known byte is refused,
 * and EOF (the daemon killed) ends it. */
static void helper_raw(void)
{
	struct cfs_params p = params();
	char reply[PRIVSEP_MSG_MAX + 1];
	int sv[2], status = -1;
	ssize_t n;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		privsep_helper_run(sv[1], &p, ctl_path);
	}
	close(sv[1]);
	CHECK_EQ(send(sv[0], "BB", 2, 0), 2);
	n = recv(sv[0], reply, sizeof(reply) - 1, 0);
	CHECK(n > 0);
	reply[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(reply, "err bad request"));
	CHECK_EQ(send(sv[0], "Z", 1, 0), 1);
	n = recv(sv[0], reply, sizeof(reply) - 1, 0);
	reply[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(reply, "err bad request"));
	CHECK_EQ(send(sv[0], "U", 1, 0), 1);
	n = recv(sv[0], reply, sizeof(reply) - 1, 0);
	reply[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(reply, "ok"));
	close(sv[0]);   /* as if the daemon died */
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	RUN(lookup_names_and_numbers);
	RUN(lookup_errors);
	drop_to_nobody();
	CHECK(mkdtemp(tmp) != NULL);
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmp);
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", tmp);
	RUN(helper_requests);
	RUN(helper_keeps_others_ctl);
	RUN(helper_raw);
	RUN(helper_ctl_dir_swapped);
	unlink(ctl_path);
	snprintf(run_dir + strlen(run_dir), sizeof(run_dir) - strlen(run_dir),
		 "/test.lock");
	unlink(run_dir);
	*strrchr(run_dir, '/') = '\0';
	rmdir(run_dir);
	rmdir(tmp);
	TAP_EXIT();
}
