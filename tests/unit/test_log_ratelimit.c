/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's rate limit on the engine's lines (gadget/daemon/log.c):
 * a USB host sending malformed messages one after another gets a few
 * warning lines per kind and a count, not one line each; other kinds and
 * debug lines are not held back. stderr goes to a temporary file that
 * each case reads back. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char path[64];
static int saved_stderr = -1;

/* stderr into a fresh file */
static void capture(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_log_ratelimit.%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (saved_stderr < 0)
		saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* stderr back; the number of captured lines holding `needle` */
static int lines_with(const char *needle)
{
	char line[1200];
	FILE *f;
	int n = 0;

	dup2(saved_stderr, STDERR_FILENO);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	unlink(path);
	return n;
}

/* count lines "(0, SEQ) WHAT N TAIL", the numbers varying as a host's
 * would */
static void flood(const char *what, const char *tail, int count)
{
	char line[128];

	for (int i = 0; i < count; i++) {
		snprintf(line, sizeof(line), "(0, %d) %s %d %s", i % 256, what,
			 70000 + i, tail);
		gadget_log_engine(NULL, LOG_WARNING, line);
	}
}

/* 1000 malformed messages of one kind (numbers vary): burst lines */
static void one_kind_is_held_back(void)
{
	gadget_log_set_level(LOG_NOTICE);
	gadget_log_engine_limit(5, 10000);
	capture();
	flood("XfrBlock: dwLength", "over the maximum", 1000);
	CHECK_EQ(lines_with("dwLength"), 5);
}

/* the checker above can fail: without the limit every line is written */
static void checker_sees_every_line_unlimited(void)
{
	gadget_log_set_level(LOG_NOTICE);
	gadget_log_engine_limit(1000000, 10000);
	capture();
	flood("XfrBlock: dwLength", "over the maximum", 1000);
	CHECK_EQ(lines_with("dwLength"), 1000);
}

/* a flood of one kind does not silence another kind */
static void other_kinds_pass(void)
{
	gadget_log_set_level(LOG_NOTICE);
	gadget_log_engine_limit(5, 10000);
	capture();
	flood("XfrBlock: dwLength", "over the maximum", 100);
	gadget_log_engine(NULL, LOG_WARNING, "(0, 3) IccPowerOn: slot busy");
	CHECK_EQ(lines_with("slot busy"), 1);
}

/* a hundred flooded kinds (as a malformed battery makes) do not use up
 * the budget of a kind seen once afterwards: kinds never share one */
static void many_kinds_never_share_a_budget(void)
{
	char what[32];

	gadget_log_set_level(LOG_NOTICE);
	gadget_log_engine_limit(5, 10000);
	capture();
	for (int k = 0; k < 100; k++) {
		snprintf(what, sizeof(what), "Kind%c%c:", 'a' + k / 26, 'a' + k % 26);
		flood(what, "refused", 10);
	}
	gadget_log_engine(NULL, LOG_WARNING,
			  "(0, 7) ABORT request without its PC_to_RDR_Abort for about 4500 ms: forgotten");
	CHECK_EQ(lines_with("forgotten"), 1);
}

/* after the interval the next line says how many were held back */
static void count_said_after_interval(void)
{
	struct timespec ts = { 0, 80 * 1000 * 1000 };

	gadget_log_set_level(LOG_NOTICE);
	gadget_log_engine_limit(2, 50);
	capture();
	flood("Escape:", "unknown", 10);
	nanosleep(&ts, NULL);
	flood("Escape:", "unknown", 1);
	CHECK_EQ(lines_with("and 8 more like it before"), 1);
}

/* -v's debug trace is never held back */
static void debug_lines_pass(void)
{
	gadget_log_set_level(LOG_INFO);
	gadget_log_engine_limit(1, 10000);
	capture();
	for (int i = 0; i < 50; i++)
		gadget_log_engine(NULL, LOG_DEBUG, "(0, 1) XfrBlock 00 a4 04 00");
	CHECK_EQ(lines_with("XfrBlock 00 a4"), 50);
}

int main(void)
{
	tap_run("engine warnings: 1000 of one kind give 5 lines", one_kind_is_held_back);
	tap_run("engine warnings: the count checker sees all 1000 without the limit",
		checker_sees_every_line_unlimited);
	tap_run("engine warnings: another kind still gets its line", other_kinds_pass);
	tap_run("engine warnings: 100 flooded kinds leave a new kind its line",
		many_kinds_never_share_a_budget);
	tap_run("engine warnings: after the interval the next line counts the held-back ones",
		count_said_after_interval);
	tap_run("engine debug lines (-v) are not limited", debug_lines_pass);
	return tap_failures ? 1 : 0;
}
