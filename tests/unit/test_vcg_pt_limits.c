/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What one passthru client may cost the daemon (vcard-glue/passthru/vcg_pt_io.c),
 * on real sockets, with the server's struct in reach (the backend is
 * created directly, as vcg_card.c does):
 *  - a client streaming messages is read in budgets: each dispatch
 *    returns to the loop with the socket still readable, so USB, time
 *    extensions and ctl get their turn;
 *  - a client that stops reading loses its connection when an APDU no
 *    longer fits its output queue (one log line);
 *  - connections that never finish the TLS handshake cannot keep a
 *    client with a certificate out of the port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ccid_fake.h"
#include "tap.h"
#include "vcg_backend.h"
#include "vcg_pt.h"
#include "vcg_stream.h"
#include "vcg_tls.h"
#include "vsc_tls_peer.h"

#define MSG_ICC_POWER_ON 0x62       /* Section 6.1.1 */
#define MSG_XFR_BLOCK 0x6F          /* Section 6.1.4 */
#define STATUS_FAILED 0x40          /* bmCommandStatus 1, Table 6.2-3 */

static const uint8_t atr[] = { 0x3B, 0x02, 0x14, 0x50 };
static char err[512];
static uint8_t in[70000];
static uint8_t scratch[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];

/* ---- the log, kept for counting ---- */

static char log_lines[64][256];
static unsigned log_count;

static void keep_log(void *ctx, int level, const char *line)
{
	(void)ctx;
	(void)level;
	if (log_count < 64)
		snprintf(log_lines[log_count], sizeof(log_lines[0]), "%s", line);
	log_count++;
	ccid_fake_log(NULL, level, line);
}

static unsigned lines_with(const char *what)
{
	unsigned n = 0;

	for (unsigned i = 0; i < log_count && i < 64; i++)
		n += strstr(log_lines[i], what) != NULL;
	return n;
}

static const struct vcg_log test_log = { .fn = keep_log };

/* ---- the server ---- */

static struct vcg_pt *pt_server(struct ccid_engine *eng, const char *extra)
{
	struct vcg_spec *spec = calloc(1, sizeof(*spec));
	char text[512];
	void *impl = NULL;

	snprintf(text, sizeof(text), "passthru,listen=127.0.0.1:0%s", extra);
	if (vcg_spec_parse(spec, text, err, sizeof(err)) < 0 ||
	    vcg_spec_check_keys(spec, vcg_passthru_backend.keys, err, sizeof(err)) < 0 ||
	    vcg_passthru_backend.create(spec, eng, 0, &test_log, &impl, err,
					sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		impl = NULL;
	}
	free(spec);
	log_count = 0;
	return impl;
}

static int dispatch_for(struct vcg_pt *pt, int ms)
{
	struct pollfd p = { .fd = vcg_passthru_backend.fd(pt), .events = POLLIN };
	int n = poll(&p, 1, ms);

	if (n == 1)
		vcg_passthru_backend.dispatch(pt);
	return n;
}

static void pump(struct vcg_pt *pt)
{
	if (dispatch_for(pt, 2000) != 1)
		return;
	for (int i = 0; i < 64 && dispatch_for(pt, 20) == 1; i++)
		;
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static int port_of(struct vcg_pt *pt)
{
	const char *d = strrchr(vcg_passthru_backend.describe(pt), ':');

	return d ? atoi(d + 1) : -1;
}

/* ---- a plain client ---- */

static void say(int fd, int n)
{
	CHECK(n > 0);
	if (n > 0)
		CHECK_EQ(send(fd, scratch, (size_t)n, MSG_NOSIGNAL), n);
}

/* Connect, Init, ReaderAdd, ATR; the server's answers are left unread. */
static int client_with_card(struct vcg_pt *pt, int rcvbuf)
{
	static const uint32_t caps[1] = { 0 };
	int fd = connect_tcp(port_of(pt), rcvbuf);

	CHECK(fd >= 0);
	pump(pt);
	say(fd, vsc_encode_init(scratch, sizeof(scratch), VSC_READER_UNDEFINED,
				caps, 1));
	say(fd, vsc_encode_reader_add(scratch, sizeof(scratch),
				      VSC_READER_UNDEFINED, NULL, 0));
	say(fd, vsc_encode_atr(scratch, sizeof(scratch), 0, atr, sizeof(atr)));
	for (int i = 0; i < 100 && !pt->card_present; i++)
		dispatch_for(pt, 20);
	CHECK(pt->card_present);
	return fd;
}

/* Read what is there (within ms of quiet) and drop it; the byte count. */
static size_t swallow(int fd, int ms)
{
	size_t total = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ms) != 1)
			return total;
		n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
		if (n <= 0)
			return total;
		total += (size_t)n;
	}
}

/* ---- cases ---- */

/* A client streaming Flush messages (each answered): one dispatch reads
 * at most VCG_PT_READ_BUDGET bytes and returns with the card's fd still
 * readable; every Flush is still answered, over several dispatches. */
static void flush_stream_is_read_in_budgets(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_pt *pt = pt_server(eng, "");
	enum { FLUSHES = 8000 };
	static uint8_t stream[FLUSHES * VSC_HEADER_LEN];
	size_t sent = 0, answered, dispatches = 1;
	int fd, one;

	CHECK(pt != NULL);
	if (!pt)
		return;
	fd = client_with_card(pt, 0);
	swallow(fd, 50);
	one = vsc_encode_flush(scratch, sizeof(scratch), 0);
	CHECK_EQ(one, VSC_HEADER_LEN);
	for (size_t k = 0; k < FLUSHES; k++)
		memcpy(stream + k * VSC_HEADER_LEN, scratch, VSC_HEADER_LEN);
	/* As much as the socket takes now. */
	while (sent < sizeof(stream)) {
		ssize_t n = send(fd, stream + sent, sizeof(stream) - sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	CHECK(sent >= 3 * VCG_PT_READ_BUDGET);
	usleep(20000);   /* loopback delivery */
	CHECK_EQ(dispatch_for(pt, 2000), 1);
	answered = swallow(fd, 100) / VSC_HEADER_LEN;
	if (answered > VCG_PT_READ_BUDGET / VSC_HEADER_LEN + 1)
		fprintf(stderr, "  one dispatch answered %zu Flushes of %zu sent\n",
			answered, sent / VSC_HEADER_LEN);
	CHECK(answered > 0);
	CHECK(answered <= VCG_PT_READ_BUDGET / VSC_HEADER_LEN + 1);
	CHECK(fd_readable(vcg_passthru_backend.fd(pt)));   /* more to come */

	/* The rest, over more dispatches: nothing lost at the seams. */
	for (int i = 0; i < 2000 && answered < FLUSHES; i++) {
		while (sent < sizeof(stream)) {
			ssize_t n = send(fd, stream + sent, sizeof(stream) - sent,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		if (dispatch_for(pt, 200) == 1)
			dispatches++;
		answered += swallow(fd, 0) / VSC_HEADER_LEN;
	}
	answered += swallow(fd, 100) / VSC_HEADER_LEN;
	CHECK_EQ(sent, sizeof(stream));
	CHECK_EQ(answered, FLUSHES);
	CHECK(dispatches >= sizeof(stream) / VCG_PT_READ_BUDGET);
	CHECK(pt->conn != NULL);
	close(fd);
	pump(pt);
	vcg_passthru_backend.destroy(pt);
	ccid_engine_free(eng);
}

/* A client that stopped reading, its queue near 1 MiB: the host's next
 * APDU does not fit. The APDU fails and the connection is dropped with
 * one line saying why; the card leaves the slot. */
static void non_reading_client_is_dropped(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_pt *pt = pt_server(eng, "");
	static uint8_t flushes[1000 * VSC_HEADER_LEN];
	static uint8_t apdu[7 + 65535];
	int fd, i;

	CHECK(pt != NULL);
	if (!pt)
		return;
	fd = client_with_card(pt, 4096);
	ccid_fake_send(eng, MSG_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10 + sizeof(atr));
	vsc_encode_flush(scratch, sizeof(scratch), 0);
	for (size_t k = 0; k < 1000; k++)
		memcpy(flushes + k * VSC_HEADER_LEN, scratch, VSC_HEADER_LEN);
	/* Flushes whose answers pile up: the sockets' buffers first, then
	 * the server's queue, to within 65000 bytes of its limit (a batch
	 * adds 12000: never over it). */
	for (i = 0; i < 4000 && pt->conn != NULL &&
		    pt->out_bytes < VCG_PT_OUT_LIMIT - 65000; i++) {
		CHECK_EQ(send(fd, flushes, sizeof(flushes), MSG_NOSIGNAL),
			 (ssize_t)sizeof(flushes));
		while (dispatch_for(pt, 20) == 1)
			;
	}
	CHECK(pt->conn != NULL);
	CHECK(pt->out_bytes >= VCG_PT_OUT_LIMIT - 65000);
	CHECK(pt->out_bytes + VSC_HEADER_LEN + sizeof(apdu) > VCG_PT_OUT_LIMIT);
	log_count = 0;

	apdu[1] = 0xD6;
	apdu[5] = apdu[6] = 0xFF;
	ccid_fake_send(eng, MSG_XFR_BLOCK, 0, 2, 0, 0, 0, apdu, sizeof(apdu));
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10);   /* failed at once */
	CHECK_EQ(in[7] & STATUS_FAILED, STATUS_FAILED);
	dispatch_for(pt, 500);
	CHECK(pt->conn == NULL);
	CHECK(!pt->card_present);
	CHECK_EQ(lines_with("does not read"), 1);
	close(fd);
	vcg_passthru_backend.destroy(pt);
	ccid_engine_free(eng);
}

/* ---- TLS: silent connections against a client with a certificate ---- */

struct tls_client {
	const char *dir;
	int port;
	atomic_int done;       /* 1: finished (result says how) */
	atomic_int release;    /* 1: the test has looked, close now */
	int result;            /* 0: Init exchanged, reader added */
	char why[256];
};

static void *tls_client_main(void *arg)
{
	static const uint32_t caps[1] = { 0 };
	struct tls_client *tc = arg;
	struct vcg_tls_client *cli = vcg_tls_client_new(tc->dir, tc->why,
							  sizeof(tc->why));
	struct vsc_decoder *dec = calloc(1, sizeof(*dec));
	struct vcg_stream *s;
	struct vsc_msg m;
	uint8_t buf[64];

	tc->result = -1;
	vsc_decoder_init(dec);
	s = tls_stream_open(cli, tc->port, tc->why, sizeof(tc->why));
	if (s == NULL)
		goto out;
	if (stream_next(s, dec, &m) != 1 || m.type != VSC_INIT ||
	    stream_send_msg(s, buf, vsc_encode_init(buf, sizeof(buf),
			VSC_READER_UNDEFINED, caps, 1)) < 0 ||
	    stream_send_msg(s, buf, vsc_encode_reader_add(buf, sizeof(buf),
			VSC_READER_UNDEFINED, NULL, 0)) < 0 ||
	    stream_next(s, dec, &m) != 1 || m.type != VSC_ERROR ||
	    m.error_code != VSC_ERR_SUCCESS) {
		snprintf(tc->why, sizeof(tc->why), "exchange: %s", s->why);
		goto out;
	}
	tc->result = 0;
out:
	atomic_store(&tc->done, 1);
	while (tc->result == 0 && !atomic_load(&tc->release))
		usleep(1000);
	vcg_stream_free(s);
	vcg_tls_client_free(cli);
	free(dec);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The stated time for the client with a certificate to get its reader
 * in while the silent connections go on (it takes well under a second
 * unloaded; a silent connection used to hold the port for 10 s). */
#define GET_IN_WITHIN_S 5.0
#define SILENT_OPEN 8      /* silent connections kept open at a time */

static char tls_dir[64];

/* A client that connects and says nothing, again and again, several
 * connections at a time (as many as the listen backlog and more): the
 * client with a certificate still gets in. */
static void silent_connections_do_not_hold_the_tls_port(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	char extra[256], cdir[128];
	struct tls_client tc = { 0 };
	int silent[SILENT_OPEN];
	unsigned opened = 0;
	struct vcg_pt *pt;
	double t0, t_in = -1;
	bool started = false;
	pthread_t th;

	snprintf(extra, sizeof(extra), ",tls-creds=%s/server,tls-allow=%s/server/allow-list",
		 tls_dir, tls_dir);
	pt = pt_server(eng, extra);
	CHECK(pt != NULL);
	if (!pt)
		return;
	for (int i = 0; i < SILENT_OPEN; i++)
		silent[i] = -1;
	snprintf(cdir, sizeof(cdir), "%s/client", tls_dir);
	tc.dir = cdir;
	tc.port = port_of(pt);
	t0 = now_s();
	for (int round = 0; now_s() - t0 < GET_IN_WITHIN_S + 1; round++) {
		unsigned k = opened++ % SILENT_OPEN;

		/* The attacker: one more silent connection, the oldest of
		 * its set closed. */
		if (silent[k] >= 0)
			close(silent[k]);
		silent[k] = connect_tcp(port_of(pt), 0);
		for (int i = 0; i < 5; i++)
			dispatch_for(pt, 10);
		if (round == 20) {
			/* The port is under siege: the real client comes. */
			t0 = now_s();
			started = pthread_create(&th, NULL, tls_client_main, &tc) == 0;
		}
		if (round > 20 && atomic_load(&tc.done)) {
			t_in = now_s() - t0;
			break;
		}
	}
	CHECK(started);
	if (!started)
		return;
	/* Let it finish (it times out on its own within 10 s). */
	while (!atomic_load(&tc.done))
		dispatch_for(pt, 50);
	CHECK(pt->reader_added);   /* its reader, while it is connected */
	atomic_store(&tc.release, 1);
	pthread_join(th, NULL);
	if (tc.result != 0)
		fprintf(stderr, "  the client with a certificate: %s\n", tc.why);
	CHECK_EQ(tc.result, 0);
	CHECK(t_in >= 0 && t_in < GET_IN_WITHIN_S);
	printf("# in after %.2f s, %u silent connections\n", t_in, opened);
	for (int i = 0; i < SILENT_OPEN; i++)
		if (silent[i] >= 0)
			close(silent[i]);
	pump(pt);
	vcg_passthru_backend.destroy(pt);
	ccid_engine_free(eng);
}

int main(void)
{
	RUN(flush_stream_is_read_in_budgets);
	RUN(non_reading_client_is_dropped);
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/test_vcg_pt_limits.XXXXXX");
	if (mkdtemp(tls_dir) != NULL) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "scripts/make-tls-certs %s >/dev/null", tls_dir);
		if (system(cmd) == 0)
			RUN(silent_connections_do_not_hold_the_tls_port);
		else
			printf("not ok - make-tls-certs (run from the repo root)\n"), tap_failures++;
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "  could not remove %s\n", tls_dir);
	}
	TAP_EXIT();
}
