/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handing a card's state directory to the daemon's user: see state_dir.h. */
#include "state_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The card's own files (vcard-glue/emulated/vcg_piv_state.c names them). */
static int is_card_file(const char *name)
{
	return strncmp(name, "piv-", 4) == 0;
}

static int give_files(int dfd, uid_t uid, gid_t gid)
{
	int fd = dup(dfd);
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int e2 = errno;

		close(fd);
		return -e2;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_card_file(e->d_name) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != 0)
			continue;
		if (fchownat(dfd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
			int e2 = errno;

			closedir(d);
			return -e2;
		}
	}
	closedir(d);
	return 0;
}

int gadget_give_state_dir(const char *dir, uid_t uid, gid_t gid, char *why,
			  size_t whylen)
{
	struct stat st;
	int fd, rc = 0;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(why, whylen, "cannot create the card's state directory %s: %s",
			 dir, strerror(-rc));
		return rc;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot open the card's state directory %s: %s",
			 dir, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (st.st_uid == uid) {
		close(fd);
		return 0;
	}
	if (st.st_uid != 0) {
		close(fd);
		snprintf(why, whylen, "the card's state directory %s belongs to uid %u, not to the daemon's user (uid %u): chown it, or give state-dir= another directory",
			 dir, (unsigned)st.st_uid, (unsigned)uid);
		return -EPERM;
	}
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0700) < 0 ||
	    (rc = give_files(fd, uid, gid)) < 0) {
		if (rc == 0)
			rc = -errno;
		snprintf(why, whylen, "cannot give the card's state directory %s to uid %u: %s",
			 dir, (unsigned)uid, strerror(-rc));
	}
	close(fd);
	return rc;
}
