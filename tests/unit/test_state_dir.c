/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gadget_give_state_dir (gadget/daemon/state_dir.c): before the daemon
 * drops root, the card's state directory and its piv-* files become the
 * user's, so the PIV retry counters can be written after the drop;
 * nothing else is touched and no link is followed. Chowning to another
 * uid needs root: without it each case is a SKIP. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_dir.h"
#include "tap.h"

#define USER_UID 4242
#define USER_GID 4243

static char base[64], dir[128], why[512];

static void make_file(const char *name, uid_t uid)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(fchown(fd, uid, uid) == 0);
		close(fd);
	}
}

static uid_t owner(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s%s", dir, name[0] ? "/" : "", name);
	if (lstat(p, &st) < 0)
		return (uid_t)-1;
	return st.st_uid;
}

static void fresh(void)
{
	snprintf(base, sizeof(base), "/tmp/test_state_dir.XXXXXX");
	CHECK(mkdtemp(base) != NULL);
	snprintf(dir, sizeof(dir), "%s/state", base);
}

static void cleanup(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	CHECK(system(cmd) == 0);
}

/* missing: created 0700, the user's */
static void creates_missing_dir(void)
{
	struct stat st;

	fresh();
	CHECK_EQ(gadget_give_state_dir(dir, USER_UID, USER_GID, why, sizeof(why)), 0);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0700);
	CHECK_EQ(st.st_uid, USER_UID);
	CHECK_EQ(st.st_gid, USER_GID);
	cleanup();
}

/* root's dir with root's piv-* files (created before the drop): all the
 * user's; another file, a link and a file of someone else's untouched */
static void gives_dir_and_card_files_only(void)
{
	char p[256];

	fresh();
	CHECK(mkdir(dir, 0755) == 0);
	make_file("piv-abc.state", 0);
	make_file("piv-abc.5fc102", 0);
	make_file("other.conf", 0);
	make_file("piv-theirs.state", 1234);
	snprintf(p, sizeof(p), "%s/piv-link", dir);
	CHECK(symlink("/etc/passwd", p) == 0);
	CHECK_EQ(gadget_give_state_dir(dir, USER_UID, USER_GID, why, sizeof(why)), 0);
	CHECK_EQ(owner(""), USER_UID);
	CHECK_EQ(owner("piv-abc.state"), USER_UID);
	CHECK_EQ(owner("piv-abc.5fc102"), USER_UID);
	CHECK_EQ(owner("other.conf"), 0);
	CHECK_EQ(owner("piv-theirs.state"), 1234);
	CHECK_EQ(owner("piv-link"), 0);          /* the link itself */
	{
		struct stat st;

		CHECK(stat("/etc/passwd", &st) == 0 && st.st_uid == 0);
	}
	cleanup();
}

/* a directory another user owns is refused with one line, not taken */
static void refuses_another_users_dir(void)
{
	fresh();
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(chown(dir, 1234, 1234) == 0);
	CHECK_EQ(gadget_give_state_dir(dir, USER_UID, USER_GID, why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "belongs to uid 1234") != NULL);
	CHECK_EQ(owner(""), 1234);
	cleanup();
}

/* a link in place of the directory is not followed */
static void refuses_a_link(void)
{
	char target[128];

	fresh();
	snprintf(target, sizeof(target), "%s/elsewhere", base);
	CHECK(mkdir(target, 0755) == 0);
	CHECK(symlink(target, dir) == 0);
	CHECK(gadget_give_state_dir(dir, USER_UID, USER_GID, why, sizeof(why)) < 0);
	{
		struct stat st;

		CHECK(stat(target, &st) == 0 && st.st_uid == 0);
	}
	cleanup();
}

int main(void)
{
	if (geteuid() != 0) {
		printf("ok - state dir: handed to the user # SKIP needs root to chown\n");
		return 0;
	}
	RUN(creates_missing_dir);
	RUN(gives_dir_and_card_files_only);
	RUN(refuses_another_users_dir);
	RUN(refuses_a_link);
	TAP_EXIT();
}
