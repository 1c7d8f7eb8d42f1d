/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's stdin commands (vscclient's do_command, plus reader
 * remove/add): one line to one command. Pure (unit-tested). */
#ifndef VSCC_CMD_H
#define VSCC_CMD_H

enum vscc_cmd_kind {
	VSCC_CMD_EMPTY,          /* blank line */
	VSCC_CMD_UNKNOWN,        /* print the list */
	VSCC_CMD_HELP,
	VSCC_CMD_INSERT,         /* card insert */
	VSCC_CMD_REMOVE,         /* card remove */
	VSCC_CMD_READER_ADD,
	VSCC_CMD_READER_REMOVE,
	VSCC_CMD_LIST,
	VSCC_CMD_SELECT,         /* arg: reader id */
	VSCC_CMD_DEBUG,          /* arg: level, or -1 to show it */
	VSCC_CMD_QUIT,           /* quit, exit */
};

struct vscc_cmd {
	enum vscc_cmd_kind kind;
	long arg;                /* -1 when absent */
	int bad_arg;             /* the argument was not a number 0..99999 */
};

/* Parse one line (NUL-terminated, a trailing newline allowed). */
struct vscc_cmd vscc_cmd_parse(const char *line);

/* The list printed for help and unknown commands. Static. */
const char *vscc_cmd_list(void);

#endif
