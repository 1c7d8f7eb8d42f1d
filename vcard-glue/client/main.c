/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient: a VSCard (QEMU ccid-card-passthru) client with
 * libcacard's vscclient's command line. One poll loop over the server
 * stream, libcacard's event pipe, stdin commands and SIGINT/SIGTERM
 * (signalfd); every libcacard call but vevent_wait_next_vevent() is made
 * here. See vscc_args.h (command line), vscc_session.h (protocol),
 * vscc_cacard.h (libcacard), vscc_cmd.h (stdin). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include "vscc_args.h"
#include "vscc_cacard.h"
#include "vscc_cmd.h"
#include "vscc_connect.h"
#include "vscc_session.h"
#include "mono_ms.h"

enum { EXIT_QUIT = 0, EXIT_DROPPED = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3 };
#define QUIT_SEND_TIMEOUT_MS 1000
#define SETUP_QUIT (-1)   /* client_setup(): a signal came first, exit 0 */

static struct vscc_session session;   /* ~200 KiB: not on the stack */

static void log_line(void *ctx, int level, const char *line)
{
	(void)ctx;
	fprintf(stderr, "ccid-vscclient: %s%s\n",
		level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "",
		line);
}

static int on_card_event(struct vscc_session *s, const struct vscc_event *ev)
{
	switch (ev->kind) {
	case VSCC_EV_READER_ADD:
		return vscc_session_reader_add(s, ev->name);
	case VSCC_EV_READER_REMOVE:
		return vscc_session_reader_remove(s);
	case VSCC_EV_CARD_INSERT:
		return vscc_session_card_insert(s, ev->atr, ev->atr_len);
	case VSCC_EV_CARD_REMOVE:
		return vscc_session_card_remove(s);
	default:
		return 0;
	}
}

static const char *reader_state(const struct vscc_session *s)
{
	switch (s->reader) {
	case VSCC_READER_NONE: return "not added";
	case VSCC_READER_WAIT_INIT: return "waiting for the server's Init";
	case VSCC_READER_PENDING: return "ReaderAdd sent, no answer yet";
	default: return "added";
	}
}

/* One stdin line. Returns 1 to quit, 0 to go on, -errno on a session error. */
static int on_command(struct vscc_session *s, struct vscc_cacard *c,
		      const char *line)
{
	struct vscc_cmd cmd = vscc_cmd_parse(line);

	if (cmd.bad_arg) {
		printf("%s: the argument is a number\n", line);
		return 0;
	}
	switch (cmd.kind) {
	case VSCC_CMD_EMPTY:
		return 0;
	case VSCC_CMD_INSERT:
		vscc_cacard_insert(c, stdout);
		return 0;
	case VSCC_CMD_REMOVE:
		vscc_cacard_remove(c, stdout);
		return 0;
	case VSCC_CMD_READER_ADD:
		printf("reader-add: '%s'\n", s->reader_name[0] ? s->reader_name : "?");
		return vscc_session_reader_add(s, s->reader_name);
	case VSCC_CMD_READER_REMOVE:
		printf("reader-remove: reader %u\n", s->reader_id);
		return vscc_session_reader_remove(s);
	case VSCC_CMD_LIST:
		vscc_cacard_list(c, stdout);
		printf("session: reader '%s' %s, id %u, card %s, %lu APDUs\n",
		       s->reader_name, reader_state(s), s->reader_id,
		       s->card_in ? "in" : "out", s->apdus);
		return 0;
	case VSCC_CMD_SELECT:
		if (cmd.arg < 0 || s->reader != VSCC_READER_ADDED ||
		    (uint32_t)cmd.arg != s->reader_id)
			printf("select: no reader %ld (one reader per session: %u)\n",
			       cmd.arg, s->reader_id);
		else
			printf("select: reader %u '%s'\n", s->reader_id, s->reader_name);
		return 0;
	case VSCC_CMD_DEBUG:
		if (cmd.arg >= 0)
			s->debug = (int)cmd.arg;
		printf("debug level = %d\n", s->debug);
		return 0;
	case VSCC_CMD_QUIT:
		return 1;
	case VSCC_CMD_HELP:
	default:
		printf("%s\n", vscc_cmd_list());
		return 0;
	}
}

/* Read what stdin has; run each complete line. Returns as on_command;
 * *eof set at end of input. */
static int read_commands(struct vscc_session *s, struct vscc_cacard *c,
			 char *buf, size_t cap, size_t *have, int *eof)
{
	ssize_t n = read(STDIN_FILENO, buf + *have, cap - 1 - *have);
	char *nl;

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return 0;
		*eof = 1;
		fprintf(stderr, "ccid-vscclient: stdin closed: no more commands (quit with SIGTERM)\n");
		return 0;
	}
	*have += (size_t)n;
	buf[*have] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		int rc;

		*nl = '\0';
		rc = on_command(s, c, buf);
		fflush(stdout);
		memmove(buf, nl + 1, *have - (size_t)(nl + 1 - buf) + 1);
		*have -= (size_t)(nl + 1 - buf);
		if (rc != 0)
			return rc;
	}
	if (*have == cap - 1) {
		printf("command too long: dropped\n");
		*have = 0;
	}
	return 0;
}

/* The client's state from set-up to teardown. */
struct client {
	struct vscc_args args;
	struct vscc_cacard cacard;
	bool cacard_started;
	struct vcg_stream *stream;     /* owned, with tls */
	struct vcg_tls_client *tls;
	int sfd;                       /* signalfd: SIGINT, SIGTERM */
	int stdin_eof;
	char line[1024];               /* a stdin command being read */
	size_t line_have;
};

/* Signals, the connection, libcacard, the session's VSC_Init. Returns 0,
 * SETUP_QUIT, or the exit status, having said why. */
static int client_setup(struct client *c)
{
	char why[512];
	sigset_t sigs;
	int rc;

	c->stdin_eof = c->args.no_stdin;
	/* Before any thread: SIGINT/SIGTERM come through signalfd only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	c->sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (c->sfd < 0) {
		fprintf(stderr, "ccid-vscclient: signalfd: %s\n", strerror(errno));
		return EXIT_DROPPED;
	}
	rc = vscc_connect(&c->args, c->sfd, &c->stream, &c->tls, why, sizeof(why));
	if (rc == -EINTR) {
		struct signalfd_siginfo si;

		if (read(c->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			fprintf(stderr, "ccid-vscclient: %s: quitting (%s)\n",
				strsignal((int)si.ssi_signo), why);
		return SETUP_QUIT;
	}
	if (rc < 0) {
		fprintf(stderr, "ccid-vscclient: %s\n", why);
		return EXIT_DROPPED;
	}
	fprintf(stderr, "ccid-vscclient: connected to %s\n", c->stream->peer);
	if (vscc_cacard_start(&c->cacard, c->args.options, why, sizeof(why)) < 0) {
		fprintf(stderr, "ccid-vscclient: %s\n", why);
		return EXIT_REFUSED;
	}
	c->cacard_started = true;
	vscc_session_init(&session, c->stream, &vscc_cacard_ops, &c->cacard);
	session.log = log_line;
	session.debug = c->args.debug;
	session.stop_fd = c->sfd;
	return 0;
}

/* A hardware card's slot is looked at every VCG_SLOT_POLL_MS
 * (vcg_slotwatch.h): the poll timeout until the next look, or -1 (none
 * to watch). Looks when one is due. */
static int watch_slot(struct vscc_cacard *cacard, uint64_t *next_ms)
{
	uint64_t now;

	if (!vscc_cacard_watching(cacard))
		return -1;
	now = mono_ms();
	if (now >= *next_ms) {
		vscc_cacard_watch(cacard);
		*next_ms = now + VCG_SLOT_POLL_MS;
	}
	return (int)(*next_ms - now);
}

/* Poll the server, libcacard's events, a hardware card's slot, the
 * signals and stdin until one of them ends the session: > 0 to quit, < 0
 * on a session error (the reason in session.why). */
static int client_loop(struct client *c)
{
	int rc = vscc_session_start(&session);
	uint64_t next_look = 0;

	while (rc == 0) {
		struct pollfd p[4] = {
			{ .fd = c->stream->fd,
			  .events = vcg_stream_wants_write(c->stream) ? POLLOUT : POLLIN },
			{ .fd = vscc_cacard_event_fd(&c->cacard), .events = POLLIN },
			{ .fd = c->sfd, .events = POLLIN },
			{ .fd = c->stdin_eof ? -1 : STDIN_FILENO, .events = POLLIN },
		};

		int timeout = watch_slot(&c->cacard, &next_look);

		if (!vcg_stream_pending(c->stream) && poll(p, 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			snprintf(session.why, sizeof(session.why), "poll: %s", strerror(errno));
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(c->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				fprintf(stderr, "ccid-vscclient: %s: quitting\n",
					strsignal((int)si.ssi_signo));
			/* The goodbye (CardRemove, ReaderRemove) may not wait
			 * long on a server that takes nothing. */
			session.send_timeout_ms = QUIT_SEND_TIMEOUT_MS;
			return 1;
		}
		if ((p[0].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) ||
		    vcg_stream_pending(c->stream)) {
			rc = vscc_session_input(&session);
			if (rc < 0)
				break;
		}
		if (p[1].revents & POLLIN) {
			struct vscc_event ev;

			rc = vscc_cacard_next_event(&c->cacard, &ev);
			if (rc == 0)
				rc = on_card_event(&session, &ev);
			if (rc < 0)
				break;
		}
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			rc = read_commands(&session, &c->cacard, c->line,
					   sizeof(c->line), &c->line_have,
					   &c->stdin_eof);
	}
	return rc;
}

/* How the loop ended as an exit status: a quit removes the reader and
 * says goodbye first. */
static int client_result(int rc)
{
	if (rc > 0) {
		if (vscc_session_quit(&session) < 0) {
			fprintf(stderr, "ccid-vscclient: error: %s\n", vscc_session_why(&session));
			return EXIT_DROPPED;
		}
		fprintf(stderr, "ccid-vscclient: quit: reader removed, connection closed\n");
		return EXIT_QUIT;
	}
	fprintf(stderr, "ccid-vscclient: error: %s\n", vscc_session_why(&session));
	return rc == -ECONNREFUSED ? EXIT_REFUSED : EXIT_DROPPED;
}

/* Whatever client_setup() got, in reverse. */
static void client_teardown(struct client *c)
{
	if (c->stream != NULL)
		vscc_connect_free(c->stream, c->tls);
	if (c->cacard_started)
		vscc_cacard_stop(&c->cacard);
	if (c->sfd >= 0)
		close(c->sfd);
}

int main(int argc, char *argv[])
{
	static struct client c = { .sfd = -1 };
	char why[512];
	int code;

	if (vscc_args_parse(argc, argv, &c.args, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		return EXIT_USAGE;
	}
	if (c.args.help) {
		fputs(vscc_args_usage(), stdout);
		return 0;
	}
	code = client_setup(&c);
	if (code == SETUP_QUIT)
		code = EXIT_QUIT;
	else if (code == 0)
		code = client_result(client_loop(&c));
	client_teardown(&c);
	return code;
}
