/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --user: find the user, then become it (see privsep.h). */
#include "privsep.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A number of at most 9 digits (no overflow, and never -1 as uid_t). */
static int parse_id(const char *s, unsigned long *out)
{
	if (!all_digits(s) || strlen(s) > 9)
		return -EINVAL;
	*out = strtoul(s, NULL, 10);
	return 0;
}

static int lookup_group(const char *g, const char *spec, gid_t *gid,
			char *err, size_t errlen)
{
	struct group *gr;
	unsigned long n;

	errno = 0;
	gr = getgrnam(g);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (parse_id(g, &n) == 0) {
		*gid = (gid_t)n;
		return 0;
	}
	snprintf(err, errlen, "--user '%.200s': no group '%.100s' (see "
		 "/etc/group; create it with addgroup --system %.100s)", spec,
		 g, g);
	return -ENOENT;
}

int priv_user_lookup(const char *spec, struct priv_user *u, char *err,
		     size_t errlen)
{
	char user[128];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	unsigned long n;

	memset(u, 0, sizeof(*u));
	if (ulen == 0 || ulen >= sizeof(user) || (colon && !colon[1])) {
		snprintf(err, errlen, "--user '%.200s': give USER or "
			 "USER:GROUP, e.g. --user ccid-gadget", spec);
		return -EINVAL;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	errno = 0;
	pw = getpwnam(user);
	if (!pw && parse_id(user, &n) == 0)
		pw = getpwuid((uid_t)n);
	if (pw) {
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	} else if (parse_id(user, &n) == 0) {
		/* A uid with no passwd entry: its group is the same number
		 * unless given. */
		u->uid = (uid_t)n;
		u->gid = (gid_t)n;
	} else {
		snprintf(err, errlen, "--user '%.200s': no user '%s' (see "
			 "/etc/passwd; create one with adduser --system "
			 "--group %s)", spec, user, user);
		return -ENOENT;
	}
	if (colon && lookup_group(colon + 1, spec, &u->gid, err, errlen) < 0)
		return -ENOENT;
	if (u->uid == 0 || u->gid == 0) {
		snprintf(err, errlen, "--user '%.200s' is root: give an "
			 "unprivileged user (the daemon drops root to it)",
			 spec);
		return -EINVAL;
	}
	return 0;
}

int priv_drop(const struct priv_user *u, char *err, size_t errlen)
{
	int ret;

	/* Supplementary groups first: they need root too. */
	if (u->name[0])
		ret = initgroups(u->name, u->gid);
	else
		ret = setgroups(1, &u->gid);
	if (ret < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot become uid %u gid %u: %s",
			 (unsigned)u->uid, (unsigned)u->gid, strerror(-ret));
		return ret;
	}
	if (setuid(0) == 0 || setgid(0) == 0) {
		snprintf(err, errlen, "dropped to uid %u but could become root "
			 "again: refusing to run", (unsigned)u->uid);
		return -EPERM;
	}
	return 0;
}
