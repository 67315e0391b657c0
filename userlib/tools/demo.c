// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * demo.c - the demo command: worker processes on a private channel
 *
 * The tool creates the channel "ipchannel-demo-PID" (peer 1), watches its
 * members come and go, and forks DEMO_WORKERS workers, which become peers
 * 2, 3, ... Each worker says "ready"; once all have, peer 1 broadcasts
 * "start". Then each worker sends a message to the next worker (in a
 * ring), prints the one it gets, and takes the lock "counter" to add one
 * to a number the processes share, slowly enough that without the lock
 * the increments would be lost. Each says "done" and leaves; peer 1
 * checks the number and ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define DEMO_WORKERS	3
#define DEMO_WAIT_MS	5000	/* longest wait for the next record */
#define DEMO_HOLD_MS	100	/* time a worker holds the lock */
#define DEMO_LOCK	"counter"

struct demo {
	const struct tool *t;
	char channel[IPCHANNEL_NAME_LEN];
	volatile unsigned int *counter;	/* shared by the processes */
	pid_t pids[DEMO_WORKERS];
	unsigned int ready;		/* workers that said so */
	unsigned int done;
	unsigned int left;
};

/* One line with one write(), so that the processes never mix lines. */
static void say(const struct demo *d, int peer, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int len;

	len = snprintf(line, sizeof(line), "%s[peer %d]%s ",
		       color_on(d->t, peer == 1 ? C_BOLD : C_CYAN), peer,
		       color_off(d->t, peer == 1 ? C_BOLD : C_CYAN));
	va_start(ap, fmt);
	len += vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(STDOUT_FILENO, line, len) < 0)
		return;
}

/* The next record that is event @event (or a plain message if NULL). */
static int expect(struct ipch *ipc, const char *event, struct ipch_msg *m)
{
	do {
		int err = ipch_recv(ipc, m, DEMO_WAIT_MS);

		if (err)
			return err;
	} while (strcmp(m->event, event ? event : "") ||
		 (m->flags & IPCHANNEL_RECV_SYSTEM));
	return 0;
}

static int worker_ring(struct demo *d, struct ipch *ipc, int id)
{
	int next = 2 + (id - 1) % DEMO_WORKERS;
	struct ipch_msg m;
	char text[64];
	int err;

	snprintf(text, sizeof(text), "hello from peer %d", id);
	say(d, id, "sends \"%s\" to peer %d", text, next);
	err = ipch_send(ipc, next, text, strlen(text));
	if (!err)
		err = expect(ipc, NULL, &m);
	if (err)
		return err;
	say(d, id, "got \"%.*s\" from peer %u", (int)m.len,
	    (const char *)m.data, m.sender);
	return 0;
}

static int worker_count(struct demo *d, struct ipch *ipc, int id)
{
	const struct timespec hold = { .tv_nsec = DEMO_HOLD_MS * 1000000L };
	unsigned int v;
	int err;

	say(d, id, "asks for lock \"%s\"", DEMO_LOCK);
	err = ipch_lock(ipc, DEMO_LOCK);
	if (err)
		return err;
	v = *d->counter;
	say(d, id, "holds the lock: counter %u -> %u", v, v + 1);
	nanosleep(&hold, NULL);
	*d->counter = v + 1;
	say(d, id, "releases the lock");
	return ipch_unlock(ipc, DEMO_LOCK);
}

static void worker(struct demo *d)
{
	struct ipch_options opts = { .flags = IPCH_OPEN_NOCREATE };
	struct ipch *ipc;
	struct ipch_msg m;
	int err, id = 0;

	err = ipch_open(&ipc, d->channel, &opts);
	if (err)
		goto out;
	id = ipch_peer_id(ipc);
	err = ipch_emit(ipc, 1, "ready", NULL, 0);
	if (!err)
		err = expect(ipc, "start", &m);
	if (!err)
		err = worker_ring(d, ipc, id);
	if (!err)
		err = worker_count(d, ipc, id);
	if (!err)
		err = ipch_emit(ipc, 1, "done", NULL, 0);
	ipch_close(ipc);
out:
	if (err)
		say(d, id, "failed: %s", strerror(-err));
	_exit(err ? EXIT_FAIL : EXIT_OK);
}

/* What peer 1 sees: joins and leaves, "ready" and "done". */
static void coordinator_record(struct demo *d, const struct ipch_msg *m)
{
	uint32_t peer = ipch_msg_peer(m);

	if (m->type == IPCHANNEL_SYS_PEER_JOINED && peer != 1) {
		say(d, 1, "peer %u joined (pid %u)", peer, m->pid);
	} else if (m->type == IPCHANNEL_SYS_PEER_LEFT) {
		say(d, 1, "peer %u left", peer);
		d->left++;
	} else if (!strcmp(m->event, "ready")) {
		say(d, 1, "peer %u is ready", m->sender);
		d->ready++;
	} else if (!strcmp(m->event, "done")) {
		say(d, 1, "peer %u is done", m->sender);
		d->done++;
	}
}

/* Take records until @until says that the phase is over. */
static int coordinate(struct demo *d, struct ipch *ipc,
		      bool (*until)(const struct demo *d))
{
	struct ipch_msg m;

	while (!until(d)) {
		int err = ipch_recv(ipc, &m, DEMO_WAIT_MS);

		if (err)
			return err;
		coordinator_record(d, &m);
	}
	return 0;
}

static bool all_ready(const struct demo *d)
{
	return d->ready == DEMO_WORKERS;
}

static bool all_gone(const struct demo *d)
{
	return d->done == DEMO_WORKERS && d->left == DEMO_WORKERS;
}

static int start_workers(struct demo *d)
{
	unsigned int i;

	fflush(NULL);
	for (i = 0; i < DEMO_WORKERS; i++) {
		d->pids[i] = fork();
		if (d->pids[i] < 0)
			return -errno;
		if (d->pids[i] == 0)
			worker(d);
	}
	return 0;
}

/* Wait for every worker (killing them first after a failure). */
static int reap(struct demo *d, bool kill_them)
{
	unsigned int i, bad = 0;
	int status;

	for (i = 0; i < DEMO_WORKERS; i++) {
		if (d->pids[i] <= 0)
			continue;
		if (kill_them)
			kill(d->pids[i], SIGKILL);
		if (waitpid(d->pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	return bad;
}

static int run_demo(struct demo *d, struct ipch *ipc)
{
	int err;

	say(d, 1, "created channel %s; starting %d workers", d->channel,
	    DEMO_WORKERS);
	err = ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP);
	if (!err)
		err = start_workers(d);
	if (!err)
		err = coordinate(d, ipc, all_ready);
	if (!err) {
		say(d, 1, "everyone is ready: broadcasting \"start\"");
		err = ipch_broadcast(ipc, "start", NULL, 0, IPCH_NOSELF);
	}
	if (!err)
		err = coordinate(d, ipc, all_gone);
	return err;
}

int cmd_demo(struct tool *t, int argc, char **argv)
{
	struct ipch_options opts = { .flags = IPCH_OPEN_EXCL };
	struct demo d = { .t = t };
	struct ipch *ipc;
	int err, bad;

	(void)argc;
	(void)argv;
	/* An anonymous mapping takes fd -1; cppcheck 2.10 wants fd >= 0. */
	d.counter = mmap(NULL, sizeof(*d.counter), PROT_READ | PROT_WRITE,
			 /* cppcheck-suppress invalidFunctionArg ; see above */
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d.counter == MAP_FAILED)
		return fail(t, -errno, "cannot map the shared counter");
	snprintf(d.channel, sizeof(d.channel), "ipchannel-demo-%d", getpid());
	err = ipch_open(&ipc, d.channel, &opts);
	if (err)
		return join_fail(t, d.channel, err);

	err = run_demo(&d, ipc);
	bad = reap(&d, err != 0);
	ipch_close(ipc);
	if (err)
		return fail(t, err, "the demo stopped");
	if (bad || *d.counter != DEMO_WORKERS) {
		print_error(t, "%d workers failed; the counter is %u, not %d",
			    bad, *d.counter, DEMO_WORKERS);
		return EXIT_FAIL;
	}
	say(&d, 1, "counter is %u: each worker added 1 holding the lock",
	    *d.counter);
	return EXIT_OK;
}
