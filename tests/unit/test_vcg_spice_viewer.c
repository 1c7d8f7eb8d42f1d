/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The spice= passthru card with a SPICE client nobody here wrote:
 * Debian's remote-viewer (virt-viewer on spice-gtk and libcacard) under
 * Xvfb, lending libcacard's software card made of build/cards/nopin's
 * three certificates (--spice-smartcard-db, --spice-smartcard-certificates).
 * The host side is the engine, driven with CCID messages.
 *
 *  - the client connects and its card shows: the slot's card is in, the
 *    ATR is libcacard's CAC one, a SELECT of the CAC applet gets 90 00;
 *  - the client closing shows the card gone; a new client gets it back;
 *  - a wrong ticket (password-file=) gets no card in;
 *  - TLS on tls-port with QEMU's x509 layout (scripts/make-tls-certs).
 *
 * It needs remote-viewer, xvfb-run, build/cards/nopin (tests/vm/cards/
 * make-dbs) and build/tls (scripts/make-tls-certs build/tls): without
 * them each case is one SKIP line. The plug-in is build/ccid-gadget-spice.so
 * (CCID_GADGET_SPICE_PLUGIN). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ccid_proto.h"
#include "ccid_fake.h"
#include "tap.h"
#include "vcg_card.h"

#define CARDS "build/cards/nopin"
#define TLS_DIR "build/tls/server"
/* libcacard's CAC applet AID (the first of the card's applets) */
static const uint8_t select_cac[] = { 0x00, 0xA4, 0x04, 0x00, 0x07,
	0xA0, 0x00, 0x00, 0x00, 0x79, 0x01, 0x00 };

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

/* A free TCP port on 127.0.0.1 (bound, read, closed: a race no other
 * test here runs into). */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool have(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The plug-in of this build: ../ccid-gadget-spice.so from this test
 * (build/, build/asan/), unless CCID_GADGET_SPICE_PLUGIN says. */
static void use_plugin_of_this_build(void)
{
	char self[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (getenv("CCID_GADGET_SPICE_PLUGIN") || n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../ccid-gadget-spice.so", self);
	setenv("CCID_GADGET_SPICE_PLUGIN", path, 1);
}

static bool prerequisites(const char *name)
{
	const char *missing = !have("/usr/bin/remote-viewer") ? "remote-viewer (virt-viewer)" :
			      !have("/usr/bin/xvfb-run") ? "xvfb-run (xvfb)" :
			      !have(CARDS "/cert9.db") ? CARDS " (tests/vm/cards/make-dbs)" :
			      !have(getenv("CCID_GADGET_SPICE_PLUGIN")) ?
			      "ccid-gadget-spice.so (libspice-server-dev)" : NULL;

	if (missing == NULL)
		return true;
	printf("ok - %s # SKIP no %s\n", name, missing);
	return false;
}

/* remote-viewer under its own Xvfb; stdout and stderr to LOG. */
static pid_t viewer_start(const char *uri, const char *extra, const char *log)
{
	char cmd[2048];
	pid_t pid;

	snprintf(cmd, sizeof(cmd),
		 "exec xvfb-run -a -s '-screen 0 800x600x24' remote-viewer --spice-smartcard "
		 "--spice-smartcard-db=sql:%s "
		 "--spice-smartcard-certificates=id-cert,signing-cert,encryption-cert "
		 "%s '%s' >%s 2>&1", CARDS, extra, uri, log);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);   /* xvfb-run's Xvfb goes with it */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void viewer_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGTERM);
	waitpid(pid, NULL, 0);
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

static struct vcg_card *server(struct ccid_engine *eng, const char *spec)
{
	struct vcg_card *card = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));

	if (card == NULL)
		fprintf(stderr, "  %s: %s\n", spec, err);
	else
		vcg_card_set_log(card, ccid_fake_log, NULL);
	return card;
}

/* The card is in, powers on with a CAC ATR and answers a SELECT. */
static void card_works(struct ccid_engine *eng, struct vcg_card *card, uint8_t seq)
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
	unsigned port = free_port();
	char spec[128], uri[64];
	struct vcg_card *card;
	pid_t v;

	snprintf(spec, sizeof(spec), "passthru,spice=127.0.0.1:%u,attach=always", port);
	snprintf(uri, sizeof(uri), "spice://127.0.0.1:%u", port);
	card = server(eng, spec);
	CHECK(card != NULL);
	if (card == NULL)
		goto out;
	CHECK(strstr(vcg_card_describe(card), "spice") != NULL);
	v = viewer_start(uri, "", "build/tests/spice-viewer-1.log");
	CHECK(wait_card(eng, card, true, getenv("SPICE_HOLD") ? 300000 : 30000));
	card_works(eng, card, 1);
	viewer_stop(v);
	CHECK(wait_card(eng, card, false, 10000));
	/* A new client gets its card in again. */
	v = viewer_start(uri, "", "build/tests/spice-viewer-2.log");
	CHECK(wait_card(eng, card, true, 30000));
	card_works(eng, card, 10);
	viewer_stop(v);
	CHECK(wait_card(eng, card, false, 10000));
	vcg_card_destroy(card);
out:
	ccid_engine_free(eng);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	use_plugin_of_this_build();
	if (prerequisites("connect_use_close_reconnect"))
		RUN(connect_use_close_reconnect);
	TAP_EXIT();
}
