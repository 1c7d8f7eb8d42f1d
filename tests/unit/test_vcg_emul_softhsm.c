/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend=nss-emulated on a SoftHSM2 token (tests/vm/host/make-token's,
 * in build/host/): PIN then signature, ROUNDS times, through the CCID
 * engine in this process, while libcacard's slot-event thread polls the
 * module (SoftHSM2 has no C_WaitForSlotEvent, so NSS simulates it with a
 * slot scan every 500 ms: secmod_HandleWaitForSlotEvent).
 *
 * The regression test for a deadlock inside NSS between that scan and
 * the worker's PK11_Authenticate (vcg_cacard.h says why it cannot happen
 * any more). Each run is a forked child; the parent gives it RUN_S
 * seconds: a child still running then is a hang, reported (not ok) and
 * killed. RUNS children by default (~1 s each); VCG_SOFTHSM_RUNS=N runs
 * N (the hang rate; VCG_SOFTHSM_GDB=1: the hung child's stacks on
 * stderr). Before the fix, 150 rounds hung in about 1 run of 10.
 * The token comes from tests/vm/host/make-token (run here: a no-op when
 * its build/host/ is up to date, ~5 s when not); skipped without
 * SoftHSM2 or certutil, and under valgrind (one run takes ~40 s there,
 * and a timing test means little under it) unless VCG_SOFTHSM_VALGRIND
 * is set. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "ccid_fake.h"
#include "emul_bed.h"
#include "tap.h"
#include "vcg_card.h"

#define ROUNDS 150
#define RUN_S 60
#define RUNS 3
#define TOKEN_PIN "123456"   /* make-token's user PIN */

static char host_dir[PATH_MAX];
static char conf_path[PATH_MAX + 32];
static char tmp_dir[] = "/tmp/vcg-softhsm-XXXXXX";
static pid_t parent;

static void remove_tmp(void)
{
	char cmd[64];

	if (getpid() != parent)
		return;   /* a child's exit: the parent's directory stays */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s failed\n", cmd);
}

static void pin_then_sign_rounds(void)
{
	static uint8_t cert[3][4096];
	size_t n[3];
	char spec[PATH_MAX + 128];
	struct emul_bed *b = calloc(1, sizeof(*b));
	struct timespec pause = { 0, 0 };
	int bad = 0;

	snprintf(spec, sizeof(spec),
		 "emulated,backend=nss-emulated,db=sql:%s/board,use_hw=removable",
		 host_dir);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(bed_next_slot_change(b), 0x03);   /* the token came in */
	CHECK_EQ(bed_power_on(b, 0), 0);
	for (int i = 0; i < 3; i++) {
		n[i] = bed_read_cert(b, i, cert[i], sizeof(cert[i]));
		CHECK(n[i] > 0);
	}
	srand((unsigned)getpid());
	for (int r = 0; r < ROUNDS && bad == 0; r++) {
		int i = r % 3;

		/* A pause of 0..7 ms moves each round's phase against the
		 * poller's 500 ms period. */
		pause.tv_nsec = (long)(rand() % 8) * 1000000L;
		nanosleep(&pause, NULL);
		int pin_sw = bed_verify_pin(b, TOKEN_PIN), sign_sw = -1;

		if (pin_sw == 0x9000)
			sign_sw = bed_sign_and_check(b, i, cert[i], n[i]);
		if (sign_sw != 0x9000) {
			fprintf(stderr, "  round %d: VERIFY %04X, SIGN with key %d %04X\n",
				r, (unsigned)pin_sw, i, (unsigned)sign_sw);
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
out:
	bed_close(b);
	free(b);
}

/* One run: the child, given RUN_S seconds. 1 passed, 0 failed, -1 hung. */
static int run_once(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 0;
	if (pid == 0) {
		tap_failed_now = 0;
		pin_then_sign_rounds();
		fflush(stdout);
		_exit(tap_failed_now ? 1 : 0);
	}
	/* valgrind (VCG_SOFTHSM_VALGRIND) runs it ~40x slower */
	int run_s = RUNNING_ON_VALGRIND ? 20 * RUN_S : RUN_S;

	for (int t = 0; t < run_s * 10; t++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		usleep(100000);
	}
	if (getenv("VCG_SOFTHSM_GDB") != NULL) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd),
			 "gdb -q -batch -p %d -ex 'thread apply all bt' >&2", (int)pid);
		if (system(cmd) < 0)
			perror("gdb");
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int main(void)
{
	const char *runs_s = getenv("VCG_SOFTHSM_RUNS");
	int runs = runs_s != NULL ? atoi(runs_s) : RUNS, hung = 0, failed = 0;
	char cmd[2 * PATH_MAX + 32];
	FILE *f;

	parent = getpid();
	/* VCG_SOFTHSM_VALGRIND=1: run under valgrind anyway (memcheck by
	 * hand; with VCG_SOFTHSM_RUNS=1 about 40 s). */
	if (RUNNING_ON_VALGRIND && getenv("VCG_SOFTHSM_VALGRIND") == NULL) {
		printf("ok - pin_then_sign_rounds # SKIP under valgrind (a timing test; ~40 s a run)\n");
		return 0;
	}
	if (access("tests/vm/host/make-token", X_OK) == 0 &&
	    access("/usr/lib/softhsm/libsofthsm2.so", R_OK) == 0 &&
	    system("tests/vm/host/make-token >&2") != 0)
		fprintf(stderr, "# tests/vm/host/make-token failed\n");
	if (access("build/host/board/pkcs11.txt", R_OK) != 0 ||
	    realpath("build/host", host_dir) == NULL ||
	    access("/usr/lib/softhsm/libsofthsm2.so", R_OK) != 0) {
		printf("ok - pin_then_sign_rounds # SKIP no SoftHSM2 token (tests/vm/host/make-token: softhsm2, certutil)\n");
		return 0;
	}
	/* A private copy of make-token's token directory: SoftHSM2 keeps
	 * the login state in its files, and another process using the
	 * same token (a parallel make check) makes VERIFY fail here. */
	if (mkdtemp(tmp_dir) == NULL) {
		perror(tmp_dir);
		return 1;
	}
	atexit(remove_tmp);
	snprintf(cmd, sizeof(cmd), "cp -r '%s/tokens' '%s/'", host_dir, tmp_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s failed\n", cmd);
		return 1;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/softhsm2.conf", tmp_dir);
	f = fopen(conf_path, "w");
	if (f == NULL) {
		perror(conf_path);
		return 1;
	}
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\nslots.mechanisms = ALL\n",
		tmp_dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf_path, 1);
	for (int r = 0; r < runs; r++) {
		int rc = run_once();

		hung += rc < 0;
		failed += rc == 0;
	}
	fprintf(stderr, "# %d run(s) of %d PIN+sign rounds: %d hung, %d failed\n",
		runs, ROUNDS, hung, failed);
	tap_failures = hung + failed;
	printf("%s - pin_then_sign_rounds\n", hung + failed ? "not ok" : "ok");
	TAP_EXIT();
}
