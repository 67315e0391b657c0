/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tool.h - what the files of the ipchannel command-line tool share
 */
#ifndef IPCHANNEL_TOOL_H
#define IPCHANNEL_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ipchannel.h>

/* Exit statuses; docs/man/man1/ipchannel.1 lists them. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_TIMEDOUT	124	/* lock: not granted before --timeout */
#define EXIT_NOEXEC	126	/* lock: the command cannot be run */
#define EXIT_NOTFOUND	127	/* lock: the command does not exist */

/* The channel of "ipchannel lock" when --channel is not given. */
#define LOCK_CHANNEL	"ipchannel-lock"

/* The state of one run: global options, then the command's own. */
struct tool {
	const char *cmd;	/* the command's name, for messages */
	bool json;		/* --json */
	bool color;		/* colour escapes on stdout */
	uint64_t count;		/* --count; 0: no limit */
	bool membership;	/* --membership */
	bool shared;		/* --shared */
	const char *channel;	/* --channel */
	bool has_timeout;	/* --timeout given */
	double timeout;		/* --timeout, seconds */
};

/* Colours of human output; none at all unless tool.color is set. */
enum color {
	C_NONE,
	C_BOLD,
	C_DIM,
	C_RED,
	C_GREEN,
	C_YELLOW,
	C_CYAN,
};

/* ipchannel.c: messages on stderr */
void print_error(const struct tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fail(const struct tool *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int usage_error(const struct tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int finish_output(const struct tool *t, int status);

/* names.c: arguments and the errors of joining */
bool name_valid(const char *name, bool channel);
int parse_peer(const char *arg, uint32_t *id);
int check_channel_arg(const struct tool *t, const char *name);
int join(const struct tool *t, const char *channel, uint32_t flags,
	 struct ipch **ipc);
int join_fail(const struct tool *t, const char *channel, int err);
int ctl_open(const struct tool *t, struct ipch_ctl **ctl);
int channel_fail(const struct tool *t, const char *channel, int err);

/* output.c: colours, escaping, tables */
const char *color_on(const struct tool *t, enum color c);
const char *color_off(const struct tool *t, enum color c);
void print_escaped(FILE *f, const void *data, size_t len);
void format_age(char *buf, size_t size, uint64_t since_ns);

struct table {
	unsigned int ncols;
	unsigned int right;	/* bit n: column n is aligned right */
	char **cells;		/* row by row, ncols per row */
	enum color *colors;
	size_t n;		/* cells filled */
	size_t cap;
	bool nomem;		/* a cell could not be stored */
};

void table_init(struct table *tab, unsigned int ncols, unsigned int right);
void table_head(struct table *tab, const char *const *titles);
void table_add(struct table *tab, enum color c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int table_print(const struct tool *t, struct table *tab, FILE *f);
void table_free(struct table *tab);

/* json.c: one JSON value at a time, commas and escaping included */
#define JSON_DEPTH	8

struct json {
	FILE *f;
	unsigned int depth;
	bool more[JSON_DEPTH];	/* a value was written at this depth */
};

void json_start(struct json *j, FILE *f);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *s);
void json_bytes(struct json *j, const char *key, const void *data,
		size_t len);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_end(struct json *j);

/* The commands; each returns the exit status. */
int cmd_channels(struct tool *t, int argc, char **argv);
int cmd_peers(struct tool *t, int argc, char **argv);
int cmd_locks(struct tool *t, int argc, char **argv);
int cmd_stats(struct tool *t, int argc, char **argv);
int cmd_monitor(struct tool *t, int argc, char **argv);
int cmd_send(struct tool *t, int argc, char **argv);
int cmd_emit(struct tool *t, int argc, char **argv);
int cmd_listen(struct tool *t, int argc, char **argv);
int cmd_lock(struct tool *t, int argc, char **argv);
int cmd_demo(struct tool *t, int argc, char **argv);

#endif /* IPCHANNEL_TOOL_H */
