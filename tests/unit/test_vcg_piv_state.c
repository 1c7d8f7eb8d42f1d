/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV state file (vcard-glue/emulated/vcg_piv_state.c): the parser's
 * table of good and bad lines, a save/load round trip in a temporary
 * directory (mode 0600, no temporary file left behind), a blocked PIN
 * that stays blocked across a "restart" (a fresh load), and a save into
 * a directory that does not exist failing with one line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vcg_piv_state.h"

static void parse_lines(void)
{
	static const char text[] =
		"# a comment\n"
		"pin-tries=1\n"
		"puk-tries=0\n"
		"pin=3837363534333231\n"
		"puk=6162636465666768\n"
		"mgm-tries=2\n"
		"mgm-key=0a:404142434445464748494a4b4c4d4e4f5051525354555657\n"
		"unknown=5\n";
	struct vcg_piv_state st;

	vcg_piv_state_defaults(&st);
	CHECK_EQ(vcg_piv_state_parse(&st, text, sizeof(text) - 1), 0);
	CHECK_EQ(st.pin_tries, 1);
	CHECK_EQ(st.puk_tries, 0);
	CHECK(st.pin_len == 8 && memcmp(st.pin, "87654321", 8) == 0);
	CHECK(st.puk_len == 8 && memcmp(st.puk, "abcdefgh", 8) == 0);
	CHECK_EQ(st.mgm_tries, 2);
	CHECK_EQ(st.mgm_alg, 0x0A);
	CHECK(st.mgm_key_len == 24 && st.mgm_key[0] == 0x40 &&
	      st.mgm_key[23] == 0x57);
}

static void parse_bad_lines(void)
{
	static const char *const bad[] = {
		"pin-tries=4\n",            /* over the maximum */
		"pin-tries=-1\n",
		"pin-tries=\n",
		"pin=31323\n",              /* odd hex */
		"pin=3132333435363738393a\n", /* 10 bytes */
		"pin=31FF33\n",              /* the padding byte */
		"puk=zz\n",
		"mgm-key=03:0102\n",          /* shorter than 3DES */
		"mgm-key=0b:000102030405060708090a0b0c0d0e0f\n",  /* no such alg */
		"mgm-key=0a0102\n",
		"mgm-tries=6\n",
		"no equals sign\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vcg_piv_state st;

		vcg_piv_state_defaults(&st);
		CHECK_EQ(vcg_piv_state_parse(&st, bad[i], strlen(bad[i])), 1);
		/* The defaults stand. */
		CHECK_EQ(st.pin_tries, VCG_PIV_TRIES);
		CHECK(st.pin_len == 6 && memcmp(st.pin, "123456", 6) == 0);
		CHECK(st.puk_len == 8 && memcmp(st.puk, "12345678", 8) == 0);
	}
}

static void round_trip(void)
{
	char dir[] = "/tmp/vcg-pivstate-XXXXXX", why[700], tmp[700];
	struct vcg_piv_state st, back;
	struct stat sb;

	CHECK(mkdtemp(dir) != NULL);
	/* No file yet: the defaults, and 0. */
	CHECK_EQ(vcg_piv_state_load(&st, dir, "00aa", why, sizeof(why)), 0);
	CHECK_EQ(st.pin_tries, VCG_PIV_TRIES);
	/* Blocked, new PUK: saved and read back as a restart would. */
	st.pin_tries = 0;
	st.puk_tries = 2;
	memcpy(st.puk, "99999999", 8);
	st.mgm_tries = 0;
	st.mgm_alg = 0x08;
	st.mgm_key_len = 16;
	memset(st.mgm_key, 0x33, 16);
	CHECK_EQ(vcg_piv_state_save(&st, why, sizeof(why)), 0);
	CHECK_EQ(stat(st.path, &sb), 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp", st.path);
	CHECK(access(tmp, F_OK) != 0);
	CHECK_EQ(vcg_piv_state_load(&back, dir, "00aa", why, sizeof(why)), 0);
	CHECK_EQ(back.pin_tries, 0);
	CHECK_EQ(back.puk_tries, 2);
	CHECK(back.puk_len == 8 && memcmp(back.puk, "99999999", 8) == 0);
	CHECK_EQ(back.mgm_tries, 0);
	CHECK(back.mgm_alg == 0x08 && back.mgm_key_len == 16 &&
	      back.mgm_key[15] == 0x33);
	/* Another card id: its own file, the defaults. */
	CHECK_EQ(vcg_piv_state_load(&back, dir, "00bb", why, sizeof(why)), 0);
	CHECK_EQ(back.pin_tries, VCG_PIV_TRIES);
	unlink(st.path);
	rmdir(dir);
}

static void save_fails(void)
{
	struct vcg_piv_state st;
	char why[700] = "";

	CHECK_EQ(vcg_piv_state_load(&st, "/nonexistent-vcg-dir", "01", why,
				    sizeof(why)), 0);
	CHECK(vcg_piv_state_save(&st, why, sizeof(why)) < 0);
	CHECK(strstr(why, "cannot write /nonexistent-vcg-dir/piv-01.state") != NULL);
	/* An in-memory state (path "") saves nothing and succeeds. */
	vcg_piv_state_defaults(&st);
	CHECK_EQ(vcg_piv_state_save(&st, why, sizeof(why)), 0);
}

int main(void)
{
	RUN(parse_lines);
	RUN(parse_bad_lines);
	RUN(round_trip);
	RUN(save_fails);
	TAP_EXIT();
}
