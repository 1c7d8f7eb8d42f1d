/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The spice= passthru card with a SPICE client nobody here wrote:
 * Debian's remote-viewer (virt-viewer on spice-gtk and libcacard) under
 * Xvfb, lending libcacard's software card made of a fake card db's
 * three certificates (--spice-smartcard-db, --spice-smartcard-certificates).
 * The host side is the engine, driven with CCID messages.
 *
 *  - the client connects and its card shows: the slot's card is in, the
 *    ATR is libcacard's CAC one, a SELECT of the CAC applet gets 90 00;
 *  - a second client is refused (one line), the first keeps its card;
 *  - the client's hotkeys (shift+F9 remove, shift+F8 insert, typed by
 *    xdotool) take the card out and put it back;
 *  - the client closing shows the card gone; a new client gets it back;
 *  - a wrong ticket (password-file=) is refused, the right one works;
 *  - TLS only (spice=HOST:0,tls-port=,x509-dir= in QEMU's layout,
 *    scripts/make-tls-certs), the client checking the server's CA;
 *  - a second spice= card in one process is refused with a clear line.
 * Each case runs in a child process (one SPICE server per process).
 *
 * It needs remote-viewer, xvfb-run, xdotool and the fake card's db (made in
 * a temporary directory, emul_bed.h): without them each case is one SKIP
 * line. The TLS case makes its own credentials (scripts/make-tls-certs,
 * run from the repo root). The plug-in is build/ccid-gadget-spice.so
 * (CCID_GADGET_SPICE_PLUGIN). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ccid_proto.h"
#include "ccid_fake.h"
#include "emul_bed.h"
#include "spice_bed.h"
#include "tap.h"
#include "vcg_card.h"

/* The fake card's password-less NSS db: made by main() (emul_bed.h). */
static struct emul_dbs dbs;
static bool have_dbs;
/* The TLS credentials in QEMU's x509 layout: made by main() with
 * scripts/make-tls-certs into a fresh directory (its server/ half). */
static char tls_dir[64];
/* libcacard's CAC applet AID (the first of the card's applets) */
static const uint8_t select_cac[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0,
				      0x00, 0x00, 0x00, 0x79, 0x01, 0x00 };

static char err[512];
static uint8_t in[70000];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void dispatch_for(struct vcg_card *card, int ms)
{
	struct pollfd p = { .fd = vcg_card_fd(card), .events = POLLIN };

	if (poll(&p, 1, ms) == 1)
		vcg_card_dispatch(card);
}

static bool have(const char *path)
{
	return access(path, R_OK) == 0;
}

static bool prerequisites(const char *name)
{
	const char *missing =
		!have("/usr/bin/remote-viewer") ? "remote-viewer (virt-viewer)"
		: !have("/usr/bin/xvfb-run")    ? "xvfb-run (xvfb)"
		: !have("/usr/bin/xdotool")     ? "xdotool"
		: !have_dbs
			? "fake card db (scripts/make-fake-smartcard, certutil)"
		: !have(getenv("CCID_GADGET_SPICE_PLUGIN"))
			? "ccid-gadget-spice.so (libspice-server-dev)"
			: NULL;

	if (missing == NULL)
		return true;
	printf("ok - %s # SKIP no %s\n", name, missing);
	return false;
}

struct viewer {
	pid_t pid;
	char env[64]; /* a file: "DISPLAY XAUTHORITY" of its Xvfb */
};

/* remote-viewer under its own Xvfb (xvfb-run -a); stdout and stderr to
 * LOG. Its display and X authority go to v->env for xdotool. */
static void viewer_start(struct viewer *v, const char *uri, const char *extra,
			 const char *log)
{
	char cmd[2048];

	static unsigned started;

	snprintf(v->env, sizeof(v->env), "build/tests/spice-viewer-%d-%u.env",
		 (int)getpid(), ++started);
	unlink(v->env);
	snprintf(
		cmd, sizeof(cmd),
		"exec xvfb-run -a -s '-screen 0 800x600x24' sh -c '"
		"echo \"$DISPLAY $XAUTHORITY\" >%s; "
		"exec remote-viewer --spice-smartcard "
		"--spice-smartcard-db=sql:%s "
		"--spice-smartcard-certificates=id-cert,signing-cert,encryption-cert "
		"%s \"%s\"' >%s 2>&1",
		v->env, dbs.nopin, extra, uri, log);
	v->pid = fork();
	if (v->pid == 0) {
		setpgid(0, 0); /* xvfb-run's Xvfb goes with it */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
}

static void viewer_stop(struct viewer *v)
{
	if (v->pid <= 0)
		return;
	kill(-v->pid, SIGTERM);
	waitpid(v->pid, NULL, 0);
	v->pid = 0;
	unlink(v->env);
}

/* The viewer's hotkey (remote-viewer's defaults: shift+F8 inserts the
 * software card, shift+F9 removes it), typed by xdotool into its window
 * on its Xvfb. 0 if xdotool ran and said so. */
static int viewer_key(const struct viewer *v, const char *key)
{
	char cmd[1024], disp[32] = "", xauth[512] = "";
	FILE *f = fopen(v->env, "r");
	int rc;

	if (f == NULL)
		return -1;
	rc = fscanf(f, "%31s %511s", disp, xauth);
	fclose(f);
	if (rc != 2)
		return -1;
	snprintf(
		cmd, sizeof(cmd),
		"DISPLAY=%s XAUTHORITY=%s timeout 10 xdotool search --sync --onlyvisible "
		"--class remote-viewer windowfocus key --clearmodifiers %s >>build/tests/spice-xdotool.log 2>&1",
		disp, xauth, key);
	return system(cmd) == 0 ? 0 : -1;
}

/* GetSlotStatus: bmICCStatus 0 or 1 is a card there (CCID 6.2.6). */
static bool slot_present(struct ccid_engine *eng)
{
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 0xE0, 0, 0, 0, NULL, 0);
	return ccid_fake_pop(eng, in, sizeof(in)) >= 10 && (in[7] & 0x03) != 2;
}

/* Dispatch until the engine's slot has a card (or not), ms at most. */
static bool wait_card(struct ccid_engine *eng, struct vcg_card *card,
		      bool present, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		dispatch_for(card, 50);
		if (slot_present(eng) == present)
			return true;
	}
	return false;
}

/* An XfrBlock answered within 10 s (the client runs libcacard over
 * SPICE): the response length, 0 if none came. */
static size_t xfr(struct ccid_engine *eng, struct vcg_card *card, uint8_t seq,
		  const uint8_t *apdu, size_t len)
{
	uint64_t end = now_ms() + 10000;
	size_t n;

	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, seq, 0, 0, 0, apdu, len);
	while ((n = ccid_fake_pop(eng, in, sizeof(in))) == 0 && now_ms() < end)
		dispatch_for(card, 50);
	return n;
}

/* The card's log lines, kept (and shown with CCID_TEST_LOG). */
static char logged[65536];

static void keep_log(void *ctx, int level, const char *line)
{
	size_t used = strlen(logged);

	ccid_fake_log(ctx, level, line);
	snprintf(logged + used, sizeof(logged) - used, "%s\n", line);
}

static unsigned lines_with(const char *what)
{
	unsigned n = 0;

	for (const char *p = logged; (p = strstr(p, what)) != NULL;
	     p += strlen(what))
		n++;
	return n;
}

/* Dispatch until a log line says what, ms at most. */
static bool wait_line(struct vcg_card *card, const char *what, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end && lines_with(what) == 0)
		dispatch_for(card, 50);
	return lines_with(what) > 0;
}

static struct vcg_card *server(struct ccid_engine *eng, const char *spec)
{
	struct vcg_card *card =
		vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));

	logged[0] = '\0';
	if (card == NULL)
		fprintf(stderr, "  %s: %s\n", spec, err);
	else
		vcg_card_set_log(card, keep_log, NULL);
	return card;
}

/* The card is in, powers on with a CAC ATR and answers a SELECT. */
static void card_works(struct ccid_engine *eng, struct vcg_card *card,
		       uint8_t seq)
{
	size_t n;

	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, seq, 0, 0, 0, NULL, 0);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK(n > 10 + 2);
	CHECK_EQ(in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(in[7], 0x00);
	CHECK_EQ(in[10], 0x3B);
	n = xfr(eng, card, (uint8_t)(seq + 1), select_cac, sizeof(select_cac));
	CHECK(n >= 12);
	if (n >= 12) {
		/* 90 00, or 61 xx (more to GET RESPONSE): the applet is there. */
		CHECK(in[n - 2] == 0x90 || in[n - 2] == 0x61);
	}
}

static void connect_use_close_reconnect(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	unsigned port = spice_bed_free_port();
	char spec[128], uri[64];
	struct vcg_card *card;
	struct viewer v = { 0 }, second = { 0 };

	snprintf(spec, sizeof(spec),
		 "passthru,spice=127.0.0.1:%u,attach=always", port);
	snprintf(uri, sizeof(uri), "spice://127.0.0.1:%u", port);
	card = server(eng, spec);
	CHECK(card != NULL);
	if (card == NULL)
		goto out;
	CHECK(strstr(vcg_card_describe(card), "spice") != NULL);
	viewer_start(&v, uri, "", "build/tests/spice-viewer-1.log");
	CHECK(wait_card(eng, card, true, 30000));
	card_works(eng, card, 1);

	/* A second client: refused, the first keeps its card. */
	viewer_start(&second, uri, "", "build/tests/spice-viewer-2.log");
	CHECK(wait_line(card, "refused: another client has this slot", 30000));
	CHECK(!wait_card(eng, card, false, 3000));
	card_works(eng, card, 3);
	CHECK_EQ(lines_with("refused: another client has this slot"), 1);
	viewer_stop(&second);

	/* The client's own hotkeys: remove, insert. */
	CHECK_EQ(viewer_key(&v, "shift+F9"), 0);
	CHECK(wait_card(eng, card, false, 10000));
	CHECK_EQ(viewer_key(&v, "shift+F8"), 0);
	CHECK(wait_card(eng, card, true, 10000));
	card_works(eng, card, 5);

	viewer_stop(&v);
	CHECK(wait_card(eng, card, false, 10000));
	/* A new client gets its card in again. */
	viewer_start(&v, uri, "", "build/tests/spice-viewer-3.log");
	CHECK(wait_card(eng, card, true, 30000));
	card_works(eng, card, 10);
	viewer_stop(&v);
	CHECK(wait_card(eng, card, false, 10000));
	vcg_card_destroy(card);
	CHECK_EQ(lines_with("still open"), 0); /* settle_clients */
out:
	ccid_engine_free(eng);
}

/* password-file=: the right password gets the card in, a wrong one
 * nothing (remote-viewer then waits at its password dialog). */
static void ticket(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	const char *pwfile = "build/tests/spice-ticket.txt";
	unsigned port = spice_bed_free_port();
	char spec[256], uri[128];
	struct vcg_card *card;
	struct viewer v = { 0 };
	FILE *f = fopen(pwfile, "w");

	CHECK(f != NULL);
	if (f == NULL)
		goto out;
	fputs("s3cret-ticket\n", f);
	fclose(f);
	snprintf(spec, sizeof(spec),
		 "passthru,spice=127.0.0.1:%u,password-file=%s,attach=always",
		 port, pwfile);
	card = server(eng, spec);
	CHECK(card != NULL);
	if (card == NULL)
		goto out;
	snprintf(uri, sizeof(uri), "spice://127.0.0.1:%u?password=wrong-ticket",
		 port);
	viewer_start(&v, uri, "", "build/tests/spice-viewer-4.log");
	CHECK(wait_line(card, "Invalid password", 30000));
	CHECK(!wait_card(eng, card, true, 3000));
	CHECK_EQ(lines_with("opened the smartcard channel"), 0);
	viewer_stop(&v);
	snprintf(uri, sizeof(uri),
		 "spice://127.0.0.1:%u?password=s3cret-ticket", port);
	viewer_start(&v, uri, "", "build/tests/spice-viewer-5.log");
	CHECK(wait_card(eng, card, true, 30000));
	card_works(eng, card, 1);
	viewer_stop(&v);
	/* Destroyed at once, the client's channels still closing: the
	 * plug-in lets them close before it stops the display's worker
	 * (vcg_spice_server.c, settle_clients). */
	vcg_card_destroy(card);
	CHECK_EQ(lines_with("still open"), 0);
out:
	ccid_engine_free(eng);
}

/* tls-port + x509-dir (QEMU's layout, scripts/make-tls-certs): TLS only
 * (spice=HOST:0), the client checks the server against the CA. */
static void tls(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	unsigned port = spice_bed_free_port();
	char spec[256], uri[128];
	struct vcg_card *card;
	struct viewer v = { 0 };

	snprintf(
		spec, sizeof(spec),
		"passthru,spice=127.0.0.1:0,tls-port=%u,x509-dir=%s/server,attach=always",
		port, tls_dir);
	card = server(eng, spec);
	CHECK(card != NULL);
	if (card == NULL)
		goto out;
	snprintf(uri, sizeof(uri), "spice://localhost?tls-port=%u", port);
	char ca[128];

	snprintf(ca, sizeof(ca), "--spice-ca-file=%s/server/ca-cert.pem",
		 tls_dir);
	viewer_start(&v, uri, ca, "build/tests/spice-viewer-6.log");
	CHECK(wait_card(eng, card, true, 30000));
	card_works(eng, card, 1);
	CHECK(lines_with("(TLS) opened the smartcard channel") == 1);
	viewer_stop(&v);
	CHECK(wait_card(eng, card, false, 10000));
	vcg_card_destroy(card);
	CHECK_EQ(lines_with("still open"), 0); /* settle_clients */
out:
	ccid_engine_free(eng);
}

/* A second spice= card in the same process is refused with a clear
 * line, not a crash at its client's first message. */
static void one_per_process(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	char spec[128];
	struct vcg_card *card, *again;

	snprintf(spec, sizeof(spec), "passthru,spice=127.0.0.1:%u",
		 spice_bed_free_port());
	card = server(eng, spec);
	CHECK(card != NULL);
	vcg_card_destroy(card);
	snprintf(spec, sizeof(spec), "passthru,spice=127.0.0.1:%u",
		 spice_bed_free_port());
	again = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));
	CHECK(again == NULL);
	CHECK(strstr(err, "one spice= card per daemon run") != NULL);
	if (again != NULL)
		vcg_card_destroy(again);
	ccid_engine_free(eng);
}

/* Each case in a child of its own: libspice-server allows one smartcard
 * device per process (vcg_spice_server.c), as the daemon has. */
static void run_forked(const char *name, void (*fn)(void))
{
	int status = 0;
	pid_t pid;

	if (!prerequisites(name))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		tap_run(name, fn);
		fflush(stdout);
		_exit(tap_failures ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		printf("not ok - %s (the case's process died: status 0x%x)\n",
		       name, status);
		tap_failures++;
	} else if (WEXITSTATUS(status) != 0) {
		tap_failures++;
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	spice_bed_use_plugin_of_this_build();
	have_dbs = emul_dbs_make(&dbs, "spice-viewer", "1234") == 0;
	run_forked("connect_use_close_reconnect", connect_use_close_reconnect);
	run_forked("ticket", ticket);
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/test_vcg_spice_tls.XXXXXX");
	if (mkdtemp(tls_dir) != NULL) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd),
			 "scripts/make-tls-certs %s >/dev/null", tls_dir);
		if (system(cmd) == 0)
			run_forked("tls", tls);
		else
			printf("not ok - make-tls-certs (run from the repo root)\n"),
				tap_failures++;
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "  could not remove %s\n", tls_dir);
	} else {
		printf("not ok - mkdtemp for the TLS credentials\n"),
			tap_failures++;
	}
	run_forked("one_spice_card_per_process", one_per_process);
	TAP_EXIT();
}
