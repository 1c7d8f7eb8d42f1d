/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's stdin commands: see vscc_cmd.h. */
#include "vscc_cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *word;
	enum vscc_cmd_kind kind;
} words[] = {
	{ "insert", VSCC_CMD_INSERT },
	{ "remove", VSCC_CMD_REMOVE },
	{ "reader-add", VSCC_CMD_READER_ADD },
	{ "reader-remove", VSCC_CMD_READER_REMOVE },
	{ "list", VSCC_CMD_LIST },
	{ "select", VSCC_CMD_SELECT },
	{ "debug", VSCC_CMD_DEBUG },
	{ "quit", VSCC_CMD_QUIT },
	{ "exit", VSCC_CMD_QUIT },
	{ "help", VSCC_CMD_HELP },
};

const char *vscc_cmd_list(void)
{
	return "commands: insert, remove (the card), reader-remove, reader-add, list, select N, debug [N], quit (or exit), help";
}

struct vscc_cmd vscc_cmd_parse(const char *line)
{
	struct vscc_cmd c = { .kind = VSCC_CMD_UNKNOWN, .arg = -1 };
	const char *p = line, *w;
	size_t wl;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return (struct vscc_cmd){ .kind = VSCC_CMD_EMPTY, .arg = -1 };
	w = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	wl = (size_t)(p - w);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == wl && memcmp(words[i].word, w, wl) == 0)
			c.kind = words[i].kind;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0') {
		char *end;
		long v = strtol(p, &end, 10);

		while (isspace((unsigned char)*end))
			end++;
		if (!isdigit((unsigned char)*p) || *end != '\0' || v > 99999)
			c.bad_arg = 1;
		else
			c.arg = v;
	}
	return c;
}
