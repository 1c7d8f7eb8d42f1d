/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replays a fuzz corpus without libFuzzer: `replay DIR...` feeds every
 * file to LLVMFuzzerTestOneInput and prints one TAP line per directory
 * (a crash or sanitizer report fails the suite). Built with gcc for
 * `make check`; the same target links against libFuzzer for `make fuzz`. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_target.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	uint8_t chunk[4096];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		for (size_t i = 0; i < n; i++)
			buf[len + i] = chunk[i];
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		if (!d) {
			printf("not ok - %s: cannot open corpus\n", argv[i]);
			failed = 1;
			continue;
		}
		unsigned count = 0, errors = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			struct stat st;
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (replay_file(path) != 0)
				errors++;
			count++;
		}
		closedir(d);
		if (count == 0 || errors) {
			printf("not ok - %s: %u inputs, %u unreadable\n", argv[i], count, errors);
			failed = 1;
		} else {
			printf("ok - %s: %u inputs replayed\n", argv[i], count);
		}
	}
	return failed;
}
