/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UDC selection and state against a temporary /sys/class/udc. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfs.h"
#include "tap.h"

static char dir[64];
static char out[64], err[512];

static void mk(const char *name, const char *state)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(path, 0755);
	if (!state)
		return;
	snprintf(path, sizeof(path), "%s/%s/state", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(state, f);
		fclose(f);
	}
}

static void rm_all(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  cleanup of %s failed\n", dir);
}

static void has(const char *needle)
{
	if (!strstr(err, needle)) {
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle);
		tap_failed_now = 1;
	}
}

static void none(void)
{
	rm_all();
	CHECK_EQ(cfs_pick_udc(dir, NULL, out, sizeof(out), err, sizeof(err)),
		 -ENODEV);
	has("no UDC in");
	has(dir);
}

static void only_one(void)
{
	rm_all();
	mk("fe980000.usb", NULL);
	CHECK_EQ(cfs_pick_udc(dir, NULL, out, sizeof(out), err, sizeof(err)), 0);
	CHECK(!strcmp(out, "fe980000.usb"));
	CHECK_EQ(cfs_pick_udc(dir, "fe980000.usb", out, sizeof(out), err,
			      sizeof(err)), 0);
	CHECK(!strcmp(out, "fe980000.usb"));
}

static void several(void)
{
	rm_all();
	mk("dummy_udc.1", NULL);
	mk("dummy_udc.0", NULL);
	CHECK_EQ(cfs_pick_udc(dir, NULL, out, sizeof(out), err, sizeof(err)),
		 -EINVAL);
	has("several UDCs");
	has("dummy_udc.0, dummy_udc.1");   /* sorted */
	has("--udc NAME");
	CHECK_EQ(cfs_pick_udc(dir, "dummy_udc.1", out, sizeof(out), err,
			      sizeof(err)), 0);
	CHECK(!strcmp(out, "dummy_udc.1"));
}

static void wanted_missing(void)
{
	rm_all();
	mk("dummy_udc.0", NULL);
	CHECK_EQ(cfs_pick_udc(dir, "musb-hdrc.0", out, sizeof(out), err,
			      sizeof(err)), -ENODEV);
	has("--udc musb-hdrc.0");
	has("there: dummy_udc.0");
	rm_all();
	CHECK_EQ(cfs_pick_udc(dir, "musb-hdrc.0", out, sizeof(out), err,
			      sizeof(err)), -ENODEV);
	has("there: none");
}

static void no_class_dir(void)
{
	CHECK_EQ(cfs_pick_udc("/nonexistent/udc", NULL, out, sizeof(out), err,
			      sizeof(err)), -ENOENT);
	has("cannot list UDCs in /nonexistent/udc");
}

static void name_too_long(void)
{
	char tiny[4];

	rm_all();
	mk("dummy_udc.0", NULL);
	CHECK_EQ(cfs_pick_udc(dir, NULL, tiny, sizeof(tiny), err, sizeof(err)),
		 -ENAMETOOLONG);
}

static void state(void)
{
	rm_all();
	mk("dummy_udc.0", "configured\n");
	CHECK_EQ(cfs_udc_state(dir, "dummy_udc.0", out, sizeof(out)), 0);
	CHECK(!strcmp(out, "configured"));
	CHECK_EQ(cfs_udc_state(dir, "nope", out, sizeof(out)), -ENOENT);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cfs_udc.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	RUN(none);
	RUN(only_one);
	RUN(several);
	RUN(wanted_missing);
	RUN(no_class_dir);
	RUN(name_too_long);
	RUN(state);
	rm_all();
	rmdir(dir);
	TAP_EXIT();
}
