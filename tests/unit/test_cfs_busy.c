/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cfs_gadget_busy(): is the run-dir lock of a gadget name held by someone
 * else (the daemon asks before it sets the gadget up while its cards
 * start: gadget/daemon/main.c)? Against a temporary run dir. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "cfs.h"
#include "tap.h"

static char dir[64];
static char lock[128];

static struct cfs_params params(void)
{
	return (struct cfs_params){ .run_dir = dir, .gadget_name = "g1" };
}

/* No lock file yet (no daemon ever ran the gadget): not busy. */
static void no_lock_file(void)
{
	struct cfs_params p = params();

	CHECK(!cfs_gadget_busy(&p));
}

/* A lock file nobody holds (a daemon that exited): not busy, and the
 * question leaves it free. */
static void free_lock(void)
{
	struct cfs_params p = params();
	int fd = open(lock, O_RDWR | O_CREAT, 0600);

	CHECK(fd >= 0);
	close(fd);
	CHECK(!cfs_gadget_busy(&p));
	fd = open(lock, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
}

/* Held through another open file (flock locks belong to the open file,
 * so this process counts as "someone else"): busy; and not once freed. */
static void held_lock(void)
{
	struct cfs_params p = params();
	int fd = open(lock, O_RDWR | O_CREAT, 0600);

	CHECK(fd >= 0);
	CHECK_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
	CHECK(cfs_gadget_busy(&p));
	/* another gadget name's lock is not this one's */
	p.gadget_name = "g2";
	CHECK(!cfs_gadget_busy(&p));
	close(fd);
	p.gadget_name = "g1";
	CHECK(!cfs_gadget_busy(&p));
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cfs_busy.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	snprintf(lock, sizeof(lock), "%s/g1.lock", dir);
	RUN(no_lock_file);
	RUN(free_lock);
	RUN(held_lock);
	unlink(lock);
	rmdir(dir);
	TAP_EXIT();
}
