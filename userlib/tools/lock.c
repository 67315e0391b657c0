// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lock.c - the lock command: run a command holding a named lock
 *
 * The tool joins the channel, takes the lock, runs the command as a child
 * and releases the lock when the child has ended. The device file is
 * close-on-exec, so the command never holds the lock itself: if the tool
 * dies, the kernel releases the lock at once, even if the command still
 * runs.
 *
 * While the command runs, SIGINT and SIGQUIT are ignored (a terminal sends
 * them to the command as well, as for system(3)), and SIGTERM and SIGHUP
 * are passed on to the command, so that the lock is released only after
 * the command ended.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static void deadline_after(double seconds, struct timespec *ts)
{
	double whole = floor(seconds);

	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)whole;
	ts->tv_nsec += (long)((seconds - whole) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The child: back to the signal mask of the tool's start, then exec. */
static void exec_command(const struct tool *t, char **argv,
			 const sigset_t *mask)
{
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	print_error(t, "cannot run %s: %s", argv[0], strerror(errno));
	_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/* Wait for the child; its exit status, or 128 + the signal that ended it. */
static int wait_child(const struct tool *t, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail(t, -errno, "cannot wait for the command");
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int run_command(const struct tool *t, char **argv)
{
	struct sigaction fwd = { .sa_handler = forward };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction old[4];
	sigset_t block, mask;
	pid_t pid;
	int status;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &mask);
	fflush(NULL);

	pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		return fail(t, -errno, "cannot start %s", argv[0]);
	}
	if (pid == 0)
		exec_command(t, argv, &mask);

	/* A signal blocked since before fork() is handled from here on. */
	child = pid;
	sigaction(SIGINT, &ign, &old[0]);
	sigaction(SIGQUIT, &ign, &old[1]);
	sigaction(SIGTERM, &fwd, &old[2]);
	sigaction(SIGHUP, &fwd, &old[3]);
	sigprocmask(SIG_SETMASK, &mask, NULL);

	status = wait_child(t, pid);

	child = 0;
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGQUIT, &old[1], NULL);
	sigaction(SIGTERM, &old[2], NULL);
	sigaction(SIGHUP, &old[3], NULL);
	return status;
}

static int take(const struct tool *t, struct ipch *ipc, const char *name,
		const char *channel)
{
	struct timespec deadline;
	int err;

	if (t->has_timeout) {
		deadline_after(t->timeout, &deadline);
		err = ipch_timedlock(ipc, name, &deadline);
	} else {
		err = ipch_lock(ipc, name);
	}
	if (err == -ETIMEDOUT) {
		print_error(t, "lock '%s' of channel '%s' is still held after "
			    "%g seconds", name, channel, t->timeout);
		return EXIT_TIMEDOUT;
	}
	if (err)
		return fail(t, err, "cannot take lock '%s' of channel '%s'",
			    name, channel);
	return 0;
}

int cmd_lock(struct tool *t, int argc, char **argv)
{
	const char *channel = t->channel ? t->channel : LOCK_CHANNEL;
	const char *name = argv[0];
	struct ipch *ipc;
	int status, err;

	(void)argc;
	if (!name_valid(name, false))
		return usage_error(t, "'%s' is not a lock name: 1 to %d "
				   "printable ASCII bytes without spaces",
				   name, IPCHANNEL_NAME_MAX);
	if (check_channel_arg(t, channel))
		return EXIT_USAGE;
	if (join(t, channel, 0, &ipc))
		return EXIT_FAIL;
	status = take(t, ipc, name, channel);
	if (status) {
		ipch_close(ipc);
		return status;
	}

	status = run_command(t, argv + 1);

	err = ipch_unlock(ipc, name);
	if (err)
		fail(t, err, "cannot release lock '%s'", name);
	ipch_close(ipc);
	return status;
}
