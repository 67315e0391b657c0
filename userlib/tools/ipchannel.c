// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ipchannel.c - the ipchannel command: options, the table of commands,
 * help and error messages
 *
 * Global options may come before or after the command; a command's own
 * options only after it. "lock" stops reading options at "--" or, without
 * "--", at the first argument after the lock name, so that the command it
 * runs keeps its own options.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#ifndef IPCH_TOOL_VERSION
#error "IPCH_TOOL_VERSION must be defined (from VERSION in userlib/Makefile)"
#endif

/* Options a command takes, one bit each. */
#define OPT_COUNT	(1U << 0)
#define OPT_MEMBERSHIP	(1U << 1)
#define OPT_CHANNEL	(1U << 2)
#define OPT_TIMEOUT	(1U << 3)
#define OPT_SHARED	(1U << 4)

/* --timeout above this (about 31 years) is refused as a typo. */
#define TIMEOUT_MAX	1e9

enum color_when { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct command {
	const char *name;
	int (*run)(struct tool *t, int argc, char **argv);
	const char *args;	/* synopsis of its arguments */
	const char *help;	/* what it does, in one line */
	int min_args;		/* positional arguments */
	int max_args;
	unsigned int opts;	/* OPT_* it takes */
};

static int cmd_help(struct tool *t, int argc, char **argv);

static const struct command commands[] = {
	{ "channels", cmd_channels, "",
	  "list the channels (the default command)", 0, 0, 0 },
	{ "peers", cmd_peers, "CHANNEL",
	  "list the peers of a channel", 1, 1, 0 },
	{ "locks", cmd_locks, "CHANNEL",
	  "list the locks of a channel: holder and waiters in order",
	  1, 1, 0 },
	{ "stats", cmd_stats, "",
	  "module limits and, if visible, its object counters", 0, 0, 0 },
	{ "monitor", cmd_monitor, "[--count N]",
	  "print peers joining and leaving and locks changing hands",
	  0, 0, OPT_COUNT },
	{ "send", cmd_send, "CHANNEL PEER|all MESSAGE",
	  "join, send a message ('-': from stdin), leave", 3, 3,
	  OPT_SHARED },
	{ "emit", cmd_emit, "CHANNEL PEER|all EVENT [DATA]",
	  "join, send a named event ('-': data from stdin), leave",
	  3, 4, OPT_SHARED },
	{ "listen", cmd_listen, "CHANNEL [--count N] [--membership]",
	  "join a channel and print what arrives", 1, 1,
	  OPT_COUNT | OPT_MEMBERSHIP | OPT_SHARED },
	{ "lock", cmd_lock,
	  "NAME [--channel C] [--timeout S] -- COMMAND [ARG...]",
	  "run COMMAND holding lock NAME (of channel C, default "
	  LOCK_CHANNEL ")", 2, -1, OPT_CHANNEL | OPT_TIMEOUT | OPT_SHARED },
	{ "demo", cmd_demo, "",
	  "worker processes exchange messages and take a lock in turn",
	  0, 0, 0 },
	{ "help", cmd_help, "[COMMAND]",
	  "this text, or the usage of one command", 0, 1, 0 },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static const struct option long_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "color", optional_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "count", required_argument, NULL, 'n' },
	{ "membership", no_argument, NULL, 'm' },
	{ "channel", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "shared", no_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

/* What the options of the command line asked for, before the run. */
struct parsed {
	enum color_when color;
	bool help;
	bool version;
};

static void vprint_error(const struct tool *t, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("ipchannel: ", stderr);
	if (t && t->cmd)
		fprintf(stderr, "%s: ", t->cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void print_error(const struct tool *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(t, fmt, ap);
	va_end(ap);
}

/* fail - "ipchannel: CMD: what: strerror(-err)"; returns EXIT_FAIL */
int fail(const struct tool *t, int err, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	print_error(t, "%s: %s", what, strerror(-err));
	return EXIT_FAIL;
}

int usage_error(const struct tool *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(t, fmt, ap);
	va_end(ap);
	if (t && t->cmd)
		fprintf(stderr, "Try 'ipchannel help %s'.\n", t->cmd);
	else
		fputs("Try 'ipchannel --help'.\n", stderr);
	return EXIT_USAGE;
}

/* The status to exit with once everything is written to stdout. */
int finish_output(const struct tool *t, int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		print_error(t, "cannot write to stdout: %s", strerror(errno));
		return status ? status : EXIT_FAIL;
	}
	return status;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_options(unsigned int opts)
{
	if (opts & OPT_COUNT)
		puts("  -n, --count N     stop after N records");
	if (opts & OPT_MEMBERSHIP)
		puts("      --membership  also print peers joining, leaving");
	if (opts & OPT_CHANNEL)
		puts("  -c, --channel C   the channel of the lock (default "
		     LOCK_CHANNEL ")");
	if (opts & OPT_TIMEOUT)
		puts("  -t, --timeout S   give up after S seconds (exit 124)");
	if (opts & OPT_SHARED)
		puts("      --shared      join even if another user made it");
}

static void usage(void)
{
	size_t i;

	puts("usage: ipchannel [--json] [--color=WHEN] [COMMAND [ARG...]]\n"
	     "\n"
	     "Shows the channels, peers and locks of /dev/ipchannel, watches\n"
	     "them change, sends messages and runs commands under a lock.\n"
	     "\n"
	     "commands:");
	for (i = 0; i < NR_COMMANDS; i++)
		printf("  %s%s%s\n        %s\n", commands[i].name,
		       *commands[i].args ? " " : "", commands[i].args,
		       commands[i].help);
	puts("\n"
	     "options:\n"
	     "      --json        JSON output; JSON Lines for monitor, listen\n"
	     "      --color=WHEN  auto (the default: only on a terminal and\n"
	     "                    without NO_COLOR), always or never\n"
	     "  -h, --help        this text\n"
	     "      --version     the version\n"
	     "\n"
	     "See ipchannel(1).");
}

static void command_usage(const struct command *c)
{
	printf("usage: ipchannel %s%s%s\n\n%s\n", c->name,
	       *c->args ? " " : "", c->args, c->help);
	if (c->opts) {
		puts("\noptions:");
		print_options(c->opts);
	}
	puts("\nGlobal options (--json, --color=WHEN): ipchannel --help.");
}

static int cmd_help(struct tool *t, int argc, char **argv)
{
	const struct command *c;

	if (argc == 0) {
		usage();
		return finish_output(t, EXIT_OK);
	}
	c = find_command(argv[0]);
	if (!c)
		return usage_error(t, "no command '%s'", argv[0]);
	command_usage(c);
	return finish_output(t, EXIT_OK);
}

static int parse_count(struct tool *t, const char *arg)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || n == 0 || *arg == '-')
		return usage_error(t, "--count wants a number above 0, not "
				   "'%s'", arg);
	t->count = n;
	return 0;
}

static int parse_timeout(struct tool *t, const char *arg)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(s) || s < 0 ||
	    s > TIMEOUT_MAX)
		return usage_error(t, "--timeout wants seconds (0 or more, "
				   "fractions allowed), not '%s'", arg);
	t->has_timeout = true;
	t->timeout = s;
	return 0;
}

static int parse_color(struct tool *t, struct parsed *p, const char *arg)
{
	if (!arg || !strcmp(arg, "always"))
		p->color = COLOR_ALWAYS;
	else if (!strcmp(arg, "auto"))
		p->color = COLOR_AUTO;
	else if (!strcmp(arg, "never"))
		p->color = COLOR_NEVER;
	else
		return usage_error(t, "--color wants auto, always or never, "
				   "not '%s'", arg);
	return 0;
}

/* The OPT_* bit of a command's option, or 0 for a global one. */
static unsigned int option_bit(int opt)
{
	switch (opt) {
	case 'n': return OPT_COUNT;
	case 'm': return OPT_MEMBERSHIP;
	case 'c': return OPT_CHANNEL;
	case 't': return OPT_TIMEOUT;
	case 's': return OPT_SHARED;
	default: return 0;
	}
}

static const char *option_name(int opt)
{
	const struct option *o;

	for (o = long_options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

static int apply_option(struct tool *t, struct parsed *p, int opt,
			unsigned int allowed)
{
	unsigned int bit = option_bit(opt);

	if (bit && !(bit & allowed))
		return usage_error(t, "option --%s does not apply here",
				   option_name(opt));
	switch (opt) {
	case 'j': t->json = true; return 0;
	case 'C': return parse_color(t, p, optarg);
	case 'h': p->help = true; return 0;
	case 'V': p->version = true; return 0;
	case 'n': return parse_count(t, optarg);
	case 'm': t->membership = true; return 0;
	case 'c': t->channel = optarg; return 0;
	case 't': return parse_timeout(t, optarg);
	case 's': t->shared = true; return 0;
	default: return usage_error(t, "unknown option");
	}
}

/*
 * Read the options of argv[1..argc), leaving the other arguments from
 * optind on. @posix stops at the first argument that is not an option.
 */
static int parse_options(struct tool *t, struct parsed *p, int argc,
			 char **argv, unsigned int allowed, bool posix)
{
	const char *shorts = posix ? "+:hn:c:t:" : ":hn:c:t:";
	int opt;

	optind = 0;	/* glibc: start afresh, permutation state included */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, long_options,
				  NULL)) != -1) {
		int err;

		/* A long option is named whole, a short one by its letter. */
		if (opt == '?' && strncmp(argv[optind - 1], "--", 2))
			return usage_error(t, "unknown option '-%c'", optopt);
		if (opt == '?')
			return usage_error(t, "unknown option, or one that "
					   "takes no value: '%s'",
					   argv[optind - 1]);
		if (opt == ':')
			return usage_error(t, "option '%s' needs a value",
					   argv[optind - 1]);
		err = apply_option(t, p, opt, allowed);
		if (err)
			return err;
	}
	return 0;
}

static int index_of_dashdash(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return -1;
}

/*
 * The options and arguments after the command's name, which is argv[0].
 * On success argv[*first..argc) are the command's arguments.
 */
static int parse_command(struct tool *t, struct parsed *p,
			 const struct command *c, int argc, char **argv,
			 int *first)
{
	int dd = c->run == cmd_lock ? index_of_dashdash(argc, argv) : -1;
	int err;

	if (dd < 0) {
		err = parse_options(t, p, argc, argv, c->opts,
				    c->run == cmd_lock);
		*first = optind;
		return err;
	}

	/* lock NAME [options] -- COMMAND: NAME alone before "--". */
	err = parse_options(t, p, dd, argv, c->opts, false);
	if (err)
		return err;
	if (p->help || p->version)
		return 0;
	if (optind != dd - 1)
		return usage_error(t, "one lock name before '--', not %d",
				   dd - optind);
	argv[dd] = argv[optind];
	*first = dd;
	return 0;
}

static bool want_color(enum color_when when)
{
	const char *no_color = getenv("NO_COLOR");

	if (when != COLOR_AUTO)
		return when == COLOR_ALWAYS;
	if (no_color && *no_color)
		return false;
	return isatty(STDOUT_FILENO);
}

static int run(struct tool *t, struct parsed *p, const struct command *c,
	       int argc, char **argv)
{
	if (p->version) {
		puts("ipchannel " IPCH_TOOL_VERSION);
		return finish_output(t, EXIT_OK);
	}
	if (p->help) {
		command_usage(c);
		return finish_output(t, EXIT_OK);
	}
	if (argc < c->min_args)
		return usage_error(t, "missing arguments: %s", c->args);
	if (c->max_args >= 0 && argc > c->max_args)
		return usage_error(t, "too many arguments: %s", c->args);
	t->color = want_color(p->color);
	return c->run(t, argc, argv);
}

int main(int argc, char **argv)
{
	struct parsed p = { .color = COLOR_AUTO };
	struct tool t = { .cmd = NULL };
	char prefix[64], *none[2] = { prefix, NULL };
	const struct command *c;
	int err, first = 1;

	err = parse_options(&t, &p, argc, argv, 0, true);
	if (err)
		return err;
	if (optind == argc && (p.help || p.version)) {
		if (p.version)
			puts("ipchannel " IPCH_TOOL_VERSION);
		else
			usage();
		return finish_output(&t, EXIT_OK);
	}

	c = find_command(optind < argc ? argv[optind] : "channels");
	if (!c)
		return usage_error(&t, "no command '%s'", argv[optind]);
	t.cmd = c->name;

	/* From here argv[0] is the command, named so in getopt's messages. */
	snprintf(prefix, sizeof(prefix), "ipchannel %s", c->name);
	if (optind < argc) {
		argc -= optind;
		argv += optind;
		argv[0] = prefix;
	} else {
		argc = 1;
		argv = none;
	}
	err = parse_command(&t, &p, c, argc, argv, &first);
	if (err)
		return err;
	return run(&t, &p, c, argc - first, argv + first);
}
