/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The default serial number, against a temporary root directory. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfs.h"
#include "tap.h"

static char root[64];
static char out[64];

static void put(const char *rel, const char *data, size_t len)
{
	char path[256], cmd[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p $(dirname %s)", path);
	if (system(cmd) != 0)
		return;
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static void clean(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc %s/etc", root, root);
	if (system(cmd) != 0)
		fprintf(stderr, "  cleanup failed\n");
}

static void nothing(void)
{
	clean();
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), -ENOENT);
	put("/etc/machine-id", "\n", 1);
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), -ENOENT);
}

static void device_tree(void)
{
	clean();
	/* NUL-terminated, as the kernel exports it */
	put("/proc/device-tree/serial-number", "00000000c0ffee42\0", 17);
	put("/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 33);
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), 0);
	CHECK(!strcmp(out, "00000000c0ffee42"));
}

static void machine_id(void)
{
	char first[64];
	size_t i;

	clean();
	put("/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 33);
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), 0);
	CHECK_EQ(strlen(out), 16);
	for (i = 0; i < strlen(out); i++)
		CHECK(isxdigit((unsigned char)out[i]));
	/* not the id itself */
	CHECK(strstr("0123456789abcdef0123456789abcdef", out) == NULL);
	snprintf(first, sizeof(first), "%s", out);
	/* stable */
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), 0);
	CHECK(!strcmp(out, first));
	/* another board, another serial */
	put("/etc/machine-id", "fedcba9876543210fedcba9876543210\n", 33);
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), 0);
	CHECK(strcmp(out, first) != 0);
}

static void junk_device_tree(void)
{
	clean();
	put("/proc/device-tree/serial-number", "\0\0", 2);
	put("/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 33);
	CHECK_EQ(cfs_default_serial(root, out, sizeof(out)), 0);
	CHECK_EQ(strlen(out), 16);   /* fell back to the machine id */
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_cfs_serial.XXXXXX");
	if (!mkdtemp(root)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	RUN(nothing);
	RUN(device_tree);
	RUN(machine_id);
	RUN(junk_device_tree);
	clean();
	rmdir(root);
	TAP_EXIT();
}
