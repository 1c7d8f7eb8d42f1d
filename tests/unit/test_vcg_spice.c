/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPICE glue of the passthru card (passthru spice=):
 *  - the SPEC: spice=, password-file=, tls-port=, x509-dir= and what
 *    they exclude, the describe line;
 *  - password-file=: its first line, the bounds SPICE sets;
 *  - the core interface adapter (vcard-glue/spice/vcg_spice_core.c) on a
 *    real epoll set: watches (read, write, mask 0 taken out of epoll so a
 *    hung-up fd cannot spin the loop), stale ids, timers (start, cancel,
 *    re-arm), the table's bound, nothing left behind;
 *  - the char device and the server through the plug-in the daemon
 *    loads: bad input on the SPICE port (garbage, a link header with a
 *    huge size, half a link message and silence) drops that connection
 *    and the card keeps serving the next one (the link timeout shortened
 *    to 1 s: CCID_GADGET_SPICE_LINK_TIMEOUT_MS).
 * remote-viewer end to end: test_vcg_spice_viewer. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ccid_fake.h"
#include "spice_bed.h"
#include "tap.h"
#include "vcg_card.h"
#include "vcg_pt.h"
#include "vcg_pt_config.h"
#include "vcg_spec.h"
#include "vcg_spice_abi.h"
#include "vcg_spice_core.h"

static char err[512];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the SPEC ---- */

static int config(const char *text, struct vcg_pt_config *cfg)
{
	static struct vcg_spec spec;

	err[0] = '\0';
	if (vcg_spec_parse(&spec, text, err, sizeof(err)) < 0)
		return -1000;
	if (vcg_spec_check_keys(&spec, vcg_pt_keys, err, sizeof(err)) < 0)
		return -1001;
	return vcg_pt_config_from_spec(&spec, cfg, err, sizeof(err));
}

static void spec_accepts(void)
{
	struct vcg_pt_config cfg;

	CHECK_EQ(config("passthru,spice=5930", &cfg), 0);
	CHECK(cfg.spice);
	CHECK(strcmp(cfg.host, "127.0.0.1") == 0); /* loopback unless told */
	CHECK_EQ(cfg.port, 5930);
	CHECK_EQ(cfg.tls_port, 0);
	CHECK(strcmp(cfg.describe, "passthru spice 127.0.0.1:5930") == 0);

	CHECK_EQ(
		config("passthru,spice=0.0.0.0:5930,password-file=/etc/t,tls-port=5931,x509-dir=/etc/pki/x",
		       &cfg),
		0);
	CHECK(strcmp(cfg.host, "0.0.0.0") == 0);
	CHECK_EQ(cfg.tls_port, 5931);
	CHECK(strcmp(cfg.password_file, "/etc/t") == 0);
	CHECK(strcmp(cfg.x509_dir, "/etc/pki/x") == 0);
	CHECK(strcmp(cfg.describe,
		     "passthru spice 0.0.0.0:5930 tls-port 5931 ticket") == 0);

	CHECK_EQ(config("passthru,spice=[::1]:5930", &cfg), 0);
	CHECK(strcmp(cfg.host, "::1") == 0);
	CHECK(strcmp(cfg.describe, "passthru spice [::1]:5930") == 0);

	/* TLS only: port 0 turns the plain port off */
	CHECK_EQ(config("passthru,spice=127.0.0.1:0,tls-port=5931,x509-dir=/d",
			&cfg),
		 0);
	CHECK_EQ(cfg.port, 0);

	/* the TCP server's SPEC is unchanged */
	CHECK_EQ(config("passthru,listen=2001", &cfg), 0);
	CHECK(!cfg.spice);
	CHECK_EQ(cfg.port, 2001);
}

struct bad_case {
	const char *spec;
	const char *says;
};

static const struct bad_case bad_specs[] = {
	{ "passthru,spice=5930,listen=2001", "exclude each other" },
	{ "passthru", "or spice=[HOST:]PORT" },
	{ "passthru,listen=2001,password-file=/x", "need spice=" },
	{ "passthru,listen=2001,tls-port=5931,x509-dir=/d", "need spice=" },
	{ "passthru,spice=5930,tls-port=5931", "go together" },
	{ "passthru,spice=5930,x509-dir=/d", "go together" },
	{ "passthru,spice=127.0.0.1:0", "turns the plain port off" },
	{ "passthru,spice=5930,tls-port=5930,x509-dir=/d", "the same port" },
	{ "passthru,spice=5930,tls-port=70000,x509-dir=/d", "tls-port" },
	{ "passthru,spice=5930,tls-port=0,x509-dir=/d", "tls-port" },
	{ "passthru,spice=5930,tls-creds=/d", "with spice= write tls-port" },
	{ "passthru,spice=unix:/run/x", "spice:" },
	{ "passthru,spice=65536", "spice: the port" },
	{ "passthru,spice=::1:5930", "spice: an IPv6 address needs brackets" },
	{ "passthru,spice=", "spice" },
};

static void spec_refuses(const void *arg)
{
	const struct bad_case *c = arg;
	struct vcg_pt_config cfg;

	CHECK(config(c->spec, &cfg) < 0);
	if (strstr(err, c->says) == NULL) {
		fprintf(stderr, "  '%s': '%s' does not say '%s'\n", c->spec,
			err, c->says);
		tap_failed_now = 1;
	}
}

/* ---- password-file ---- */

static int ticket_of(const char *content, char *out, size_t outlen)
{
	const char *path = "build/tests/spice-ticket-unit.txt";
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -999;
	fputs(content, f);
	fclose(f);
	return vcg_pt_spice_read_ticket(path, out, outlen, err, sizeof(err));
}

static void password_file(void)
{
	char t[61];
	char long61[63];

	CHECK_EQ(ticket_of("secret\n", t, sizeof(t)), 0);
	CHECK(strcmp(t, "secret") == 0);
	CHECK_EQ(ticket_of("secret\r\nsecond line\n", t, sizeof(t)), 0);
	CHECK(strcmp(t, "secret") == 0);
	CHECK_EQ(ticket_of("no-newline", t, sizeof(t)), 0);
	CHECK(strcmp(t, "no-newline") == 0);
	memset(long61, 'a', 60);
	long61[60] = '\0';
	CHECK_EQ(ticket_of(long61, t, sizeof(t)), 0); /* 60: SPICE's most */
	CHECK_EQ(strlen(t), 60);
	long61[60] = 'a';
	long61[61] = '\0';
	CHECK_EQ(ticket_of(long61, t, sizeof(t)), -EINVAL);
	CHECK(strstr(err, "1..60 bytes") != NULL);
	CHECK_EQ(ticket_of("\nsecret\n", t, sizeof(t)), -EINVAL);
	CHECK_EQ(ticket_of("", t, sizeof(t)), -EINVAL);
	CHECK_EQ(vcg_pt_spice_read_ticket("build/tests/no-such-ticket", t,
					  sizeof(t), err, sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "no-such-ticket") != NULL);
}

/* ---- the core interface adapter ---- */

static int fired_fd, fired_mask, fired_count, timer_count;

static void on_watch(int fd, int event, void *opaque)
{
	char c;

	(void)opaque;
	fired_fd = fd;
	fired_mask = event;
	fired_count++;
	if (event & SPICE_WATCH_EVENT_READ)
		(void)!read(fd, &c, 1);
}

static void on_timer(void *opaque)
{
	(void)opaque;
	timer_count++;
}

/* One round of the daemon's loop: the card's epoll set, every event
 * handed to the adapter as vcg_pt_io.c does. Returns the events seen. */
static int round_of(int epfd, int ms)
{
	struct epoll_event evs[8];
	int n = epoll_wait(epfd, evs, 8, ms);

	for (int i = 0; i < n; i++) {
		CHECK(evs[i].data.u32 & VCG_SPICE_EV_FLAG);
		vcg_spice_core_event(evs[i].data.u32, evs[i].events);
	}
	return n < 0 ? 0 : n;
}

static void core_watches(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	SpiceCoreInterface *core = vcg_spice_core_init(epfd, NULL);
	int p[2];
	SpiceWatch *w;

	CHECK(pipe(p) == 0);
	fired_count = 0;
	w = core->watch_add(p[0], SPICE_WATCH_EVENT_READ, on_watch, NULL);
	CHECK(w != NULL);
	CHECK_EQ(vcg_spice_core_live(), 1);
	CHECK_EQ(round_of(epfd, 0), 0); /* nothing to read yet */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(round_of(epfd, 1000), 1);
	CHECK_EQ(fired_count, 1);
	CHECK_EQ(fired_fd, p[0]);
	CHECK_EQ(fired_mask, SPICE_WATCH_EVENT_READ);

	/* mask 0: out of epoll; a hang-up then must not wake the loop */
	core->watch_update_mask(w, 0);
	close(p[1]);
	CHECK_EQ(round_of(epfd, 50), 0);
	CHECK_EQ(fired_count, 1);
	/* read again: the hang-up is a read for the library */
	core->watch_update_mask(w, SPICE_WATCH_EVENT_READ);
	CHECK_EQ(round_of(epfd, 1000), 1);
	CHECK_EQ(fired_count, 2);
	CHECK_EQ(fired_mask, SPICE_WATCH_EVENT_READ);
	core->watch_remove(w);
	close(p[0]);

	/* write readiness */
	CHECK(pipe(p) == 0);
	w = core->watch_add(p[1], SPICE_WATCH_EVENT_WRITE, on_watch, NULL);
	CHECK_EQ(round_of(epfd, 1000), 1);
	CHECK_EQ(fired_mask, SPICE_WATCH_EVENT_WRITE);
	CHECK_EQ(fired_fd, p[1]);
	core->watch_remove(w);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(vcg_spice_core_live(), 0);
	vcg_spice_core_reset();
	close(epfd);
}

/* The end of a core case with two pipes: fds closed, the core reset. */
static void core_end(int epfd, const int p[2], const int q[2])
{
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	vcg_spice_core_reset();
	close(epfd);
}

/* An event epoll_wait returned for a watch removed (and its place
 * reused) before it was handled reaches nobody. */
static void core_stale_ids(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	SpiceCoreInterface *core = vcg_spice_core_init(epfd, NULL);
	struct epoll_event evs[4];
	int p[2], q[2], n;
	SpiceWatch *w;

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	w = core->watch_add(p[0], SPICE_WATCH_EVENT_READ, on_watch, NULL);
	CHECK_EQ(write(p[1], "x", 1), 1);
	n = epoll_wait(epfd, evs, 4, 1000);
	CHECK_EQ(n, 1);
	core->watch_remove(w);
	w = core->watch_add(q[0], SPICE_WATCH_EVENT_READ, on_watch, NULL);
	fired_count = 0;
	vcg_spice_core_event(evs[0].data.u32, evs[0].events);
	CHECK_EQ(fired_count, 0);
	vcg_spice_core_event(0x12345, EPOLLIN); /* not ours at all */
	vcg_spice_core_event(VCG_SPICE_EV_FLAG | 200, EPOLLIN); /* no place */
	CHECK_EQ(fired_count, 0);
	core->watch_remove(w);
	core_end(epfd, p, q);
}

static void core_timers(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	SpiceCoreInterface *core = vcg_spice_core_init(epfd, NULL);
	SpiceTimer *t = core->timer_add(on_timer, NULL);
	uint64_t t0;

	CHECK(t != NULL);
	timer_count = 0;
	CHECK_EQ(round_of(epfd, 100), 0); /* not started: never fires */
	t0 = now_ms();
	core->timer_start(t, 30);
	while (timer_count == 0 && now_ms() - t0 < 2000)
		round_of(epfd, 100);
	CHECK_EQ(timer_count, 1);
	CHECK(now_ms() - t0 >= 29);
	CHECK_EQ(round_of(epfd, 100), 0); /* one-shot */
	core->timer_start(t, 0);          /* 0 ms: due at once, not off */
	CHECK_EQ(round_of(epfd, 1000), 1);
	CHECK_EQ(timer_count, 2);
	core->timer_start(t, 20);
	core->timer_cancel(t);
	CHECK_EQ(round_of(epfd, 100), 0);
	CHECK_EQ(timer_count, 2);
	core->timer_remove(t);
	CHECK_EQ(vcg_spice_core_live(), 0);
	vcg_spice_core_reset();
	close(epfd);
}

/* run_once (the plug-in's stop, without the daemon's loop): a ready
 * watch and a due timer run, each once; a watch with no events asked and
 * a timer not started do not; nothing ready is 0 after the timeout. */
static void core_run_once(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	SpiceCoreInterface *core = vcg_spice_core_init(epfd, NULL);
	SpiceTimer *t = core->timer_add(on_timer, NULL);
	SpiceWatch *w, *idle;
	int p[2], q[2];
	uint64_t t0;

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	w = core->watch_add(p[0], SPICE_WATCH_EVENT_READ, on_watch, NULL);
	idle = core->watch_add(q[0], 0, on_watch, NULL);
	CHECK_EQ(write(q[1], "y", 1), 1); /* ready, but nothing asked */
	fired_count = 0;
	timer_count = 0;
	t0 = now_ms();
	CHECK_EQ(vcg_spice_core_run_once(50), 0);
	CHECK(now_ms() - t0 >= 49);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(vcg_spice_core_run_once(1000), 1);
	CHECK_EQ(fired_count, 1);
	CHECK_EQ(fired_fd, p[0]);
	CHECK_EQ(fired_mask, SPICE_WATCH_EVENT_READ);
	core->watch_update_mask(w, 0); /* the data stays: not asked now */
	core->timer_start(t, 20);
	CHECK_EQ(vcg_spice_core_run_once(1000), 1);
	CHECK_EQ(timer_count, 1);
	CHECK_EQ(fired_count, 1);
	core->watch_remove(w);
	core->watch_remove(idle);
	core->timer_remove(t);
	CHECK_EQ(vcg_spice_core_run_once(10), 0); /* nothing to wait for */
	core_end(epfd, p, q);
}

/* The table is bounded: the library gets NULL past it, and what it
 * leaves behind is removed by reset (timers' fds closed). */
static void core_bound_and_reset(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	SpiceCoreInterface *core = vcg_spice_core_init(epfd, NULL);
	unsigned made = 0;

	for (unsigned i = 0; i < VCG_SPICE_CORE_MAX + 4; i++)
		made += core->timer_add(on_timer, NULL) != NULL;
	CHECK_EQ(made, VCG_SPICE_CORE_MAX);
	CHECK_EQ(vcg_spice_core_live(), VCG_SPICE_CORE_MAX);
	vcg_spice_core_reset();
	CHECK_EQ(vcg_spice_core_live(), 0);
	close(epfd);
}

/* ---- bad input on the SPICE port (the real plug-in) ---- */

static char logged[32768];

static void keep_log(void *ctx, int level, const char *line)
{
	size_t used = strlen(logged);

	ccid_fake_log(ctx, level, line);
	snprintf(logged + used, sizeof(logged) - used, "%s\n", line);
}

static unsigned lines_in_log(void)
{
	unsigned n = 0;

	for (const char *p = logged; *p; p++)
		n += *p == '\n';
	return n;
}

static int connect_to(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Dispatch the card until the server closes fd (recv sees the end or a
 * reset), ms at most; what it sent before is skipped. */
static bool dropped_within(struct vcg_card *card, int fd, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		struct pollfd p[2] = { { .fd = vcg_card_fd(card),
					 .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };
		char buf[512];

		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents)
			vcg_card_dispatch(card);
		if (p[1].revents) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN))
				return true;
		}
	}
	return false;
}

/* A SpiceLinkHeader (spice-protocol protocol.h): "REDQ", major 2,
 * minor 2, size; little-endian. */
static void link_header(uint8_t *h, uint32_t size)
{
	const uint32_t v[4] = { 0x51444552u, 2, 2, size };

	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			h[i * 4 + b] = (uint8_t)(v[i] >> (8 * b));
}

/* The server answers a well-formed link header for the main channel
 * with its own link reply ("REDQ" first): the card still serves. */
static bool still_serves(struct vcg_card *card, unsigned port)
{
	uint8_t msg[16 + 18] = { 0 }, buf[4];
	int fd = connect_to(port);
	uint64_t end = now_ms() + 5000;
	size_t got = 0;

	if (fd < 0)
		return false;
	link_header(msg, 18);
	msg[16 + 4] = 1;   /* SpiceLinkMess: channel_type main */
	msg[16 + 14] = 18; /* caps_offset: right after the fixed part */
	CHECK_EQ(send(fd, msg, sizeof(msg), MSG_NOSIGNAL),
		 (long long)sizeof(msg));
	while (got < 4 && now_ms() < end) {
		struct pollfd p[2] = { { .fd = vcg_card_fd(card),
					 .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };

		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents)
			vcg_card_dispatch(card);
		if (p[1].revents) {
			ssize_t n = recv(fd, buf + got, 4 - got, MSG_DONTWAIT);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	close(fd);
	return got == 4 && memcmp(buf, "REDQ", 4) == 0;
}

static void pump_ms(struct vcg_card *card, int ms)
{
	for (uint64_t end = now_ms() + (uint64_t)ms; now_ms() < end;) {
		struct pollfd p = { .fd = vcg_card_fd(card), .events = POLLIN };

		if (poll(&p, 1, 50) == 1)
			vcg_card_dispatch(card);
	}
}

struct bad_input {
	const char *name;
	uint8_t bytes[32];
	size_t len;
	int within_ms;
};

static void run_bad_input(struct vcg_card *card, unsigned port,
			  const struct bad_input *b)
{
	unsigned before;
	int fd;

	/* the lines of the previous case's probe (it closes at once) first */
	pump_ms(card, 300);
	before = lines_in_log();
	fd = connect_to(port);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(send(fd, b->bytes, b->len, MSG_NOSIGNAL), (long long)b->len);
	if (!dropped_within(card, fd, b->within_ms)) {
		fprintf(stderr,
			"  %s: the connection was not dropped within %d ms\n",
			b->name, b->within_ms);
		tap_failed_now = 1;
	}
	close(fd);
	/* one line for it (the library's own, in our log) */
	CHECK_EQ(lines_in_log() - before, 1);
	if (lines_in_log() - before != 1 || getenv("CCID_TEST_LOG"))
		fprintf(stderr, "  %s: %u lines:\n%s", b->name,
			lines_in_log() - before, logged);
	CHECK(still_serves(card, port));
}

static void bad_input_on_the_port(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	unsigned port = spice_bed_free_port();
	struct bad_input cases[4] = {
		{ .name = "garbage", .len = 18, .within_ms = 5000 },
		{ .name = "huge size", .len = 16, .within_ms = 5000 },
		{ .name = "bad major version", .len = 16, .within_ms = 5000 },
		{ .name = "half a link header", .len = 8, .within_ms = 10000 },
	};
	char spec[96];
	struct vcg_card *card;

	memcpy(cases[0].bytes, "GET / HTTP/1.0\r\n\r\n", 18);
	link_header(cases[1].bytes, 0xFFFFFFF0u);
	link_header(cases[2].bytes, 18);
	cases[2].bytes[4] = 99;
	link_header(cases[3].bytes, 18);
	snprintf(spec, sizeof(spec), "passthru,spice=127.0.0.1:%u", port);
	logged[0] = '\0';
	card = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));
	CHECK(card != NULL);
	if (card == NULL) {
		fprintf(stderr, "  %s\n", err);
		goto out;
	}
	vcg_card_set_log(card, keep_log, NULL);
	CHECK(still_serves(card, port)); /* the checker itself works */
	for (unsigned i = 0; i < 4; i++)
		run_bad_input(card, port, &cases[i]);
	/* The last probe's close seen before the server goes: the library
	 * frees a link in progress only when it ends, not when destroyed. */
	pump_ms(card, 300);
	vcg_card_destroy(card);
out:
	ccid_engine_free(eng);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	spice_bed_use_plugin_of_this_build();
	/* 10 s in the daemon; 1 s here (half a link header waits for it) */
	setenv("CCID_GADGET_SPICE_LINK_TIMEOUT_MS", "1000", 1);
	RUN(spec_accepts);
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		char name[128];

		snprintf(name, sizeof(name), "spec_refuses %s",
			 bad_specs[i].spec);
		tap_run_case(name, spec_refuses, &bad_specs[i]);
	}
	RUN(password_file);
	RUN(core_watches);
	RUN(core_stale_ids);
	RUN(core_timers);
	RUN(core_run_once);
	RUN(core_bound_and_reset);
	RUN(bad_input_on_the_port);
	TAP_EXIT();
}
