// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * workers.c - N worker processes on one channel send messages and events
 *
 * Usage: workers [N]   (N workers, default 4)
 *
 * Every worker joins the channel "workers-demo" and gets a peer id. Once
 * all have joined: peer 2 sends a message to peer 1, peer 3 emits
 * "custom-event" to peer 1, and peer 4 sends a message and emits
 * "custom-event" to all peers (itself included). Each worker prints what
 * it receives and exits when it has everything it expects; the parent
 * exits 0 only if every worker did.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipchannel.h>

#define CHANNEL		"workers-demo"
#define EVENT		"custom-event"
#define MAX_WORKERS	1000
#define TIMEOUT_MS	10000	/* longest wait for the next record */

/* The records a worker can expect, one bit each. */
#define GOT_MSG_2	(1U << 0)	/* message from peer 2 */
#define GOT_EVENT_3	(1U << 1)	/* custom-event from peer 3 */
#define GOT_MSG_4	(1U << 2)	/* message from peer 4 to all */
#define GOT_EVENT_4	(1U << 3)	/* custom-event, peer 4 to all */

struct worker {
	int index;		/* 1..N, in the order of fork() */
	int peer;		/* peer id in the channel */
	unsigned int want;	/* GOT_* still expected */
	int bad;		/* records that were not expected */
};

/* Print one line with one write(), so that workers never mix lines. */
static void say(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(fd, line, len) < 0)
		return;
}

static unsigned int expected(int peer, int nr)
{
	unsigned int want = 0;

	if (peer == 1 && nr >= 2)
		want |= GOT_MSG_2;
	if (peer == 1 && nr >= 3)
		want |= GOT_EVENT_3;
	if (nr >= 4)
		want |= GOT_MSG_4 | GOT_EVENT_4;
	return want;
}

/* Which expected record @msg is, or 0. */
static unsigned int classify(const struct ipch_msg *msg)
{
	int event = !strcmp(msg->event, EVENT);
	int all = msg->flags & IPCHANNEL_RECV_BROADCAST;

	if (msg->sender == 2 && !event && !all)
		return GOT_MSG_2;
	if (msg->sender == 3 && event && !all)
		return GOT_EVENT_3;
	if (msg->sender == 4 && all)
		return event ? GOT_EVENT_4 : GOT_MSG_4;
	return 0;
}

static void on_record(struct ipch *ipc, const struct ipch_msg *msg,
		      void *arg)
{
	struct worker *w = arg;
	unsigned int bit = classify(msg);
	char text[64];
	size_t i;

	(void)ipc;
	for (i = 0; i < msg->len && i < sizeof(text) - 1; i++) {
		char c = ((const char *)msg->data)[i];

		text[i] = c >= 0x20 && c < 0x7f ? c : '.';
	}
	text[i] = '\0';
	say(STDOUT_FILENO,
	    "worker %d (peer %d): %s from peer %u (pid %u%s): \"%s\"",
	    w->index, w->peer, msg->event[0] ? msg->event : "message",
	    msg->sender, msg->pid,
	    msg->flags & IPCHANNEL_RECV_BROADCAST ? ", to all" : "", text);

	if (bit & w->want)
		w->want &= ~bit;
	else
		w->bad++;
}

/* This worker's part of the exchange. */
static int act(struct ipch *ipc, int peer)
{
	char text[32];
	size_t len;
	int err;

	len = (size_t)snprintf(text, sizeof(text), "hello from %d", peer);
	switch (peer) {
	case 2:
		return ipch_send(ipc, 1, text, len);
	case 3:
		return ipch_emit(ipc, 1, EVENT, text, len);
	case 4:
		err = ipch_send(ipc, IPCHANNEL_PEER_ALL, text, len);
		if (err)
			return err;
		return ipch_broadcast(ipc, EVENT, text, len, 0);
	}
	return 0;
}

/* Receive until everything expected is in; returns 0 on success. */
static int receive(struct ipch *ipc, struct worker *w)
{
	int ret;

	while (w->want && !w->bad) {
		ret = ipch_run(ipc, TIMEOUT_MS);
		if (ret < 0) {
			say(STDERR_FILENO, "worker %d: receive: %s", w->index,
			    strerror(-ret));
			return 1;
		}
		if (ret == 0) {
			say(STDERR_FILENO, "worker %d: nothing for %d ms",
			    w->index, TIMEOUT_MS);
			return 1;
		}
	}
	return w->bad ? 1 : 0;
}

/*
 * One worker: join, report the peer id on @joined, wait for @go to close
 * (every worker has joined), act, receive.
 */
static int worker(int index, int nr, int joined, int go)
{
	struct worker w = { .index = index };
	uint32_t id = 0;
	struct ipch *ipc;
	char c;
	int err;

	err = ipch_open(&ipc, CHANNEL, NULL);
	if (err)
		say(STDERR_FILENO, "worker %d: open %s: %s", index, CHANNEL,
		    strerror(-err));
	else
		id = (uint32_t)ipch_peer_id(ipc);
	if (write(joined, &id, sizeof(id)) != sizeof(id) || err)
		return 1;
	close(joined);
	if (read(go, &c, 1) != 0)	/* EOF: everyone has joined */
		return 1;

	w.peer = (int)id;
	w.want = expected(w.peer, nr);
	ipch_on(ipc, "message", on_record, &w);
	ipch_on(ipc, EVENT, on_record, &w);
	ipch_on(ipc, NULL, on_record, &w);	/* anything else is wrong */

	err = act(ipc, w.peer);
	if (err) {
		say(STDERR_FILENO, "worker %d (peer %d): send: %s", index,
		    w.peer, strerror(-err));
		return 1;
	}
	err = receive(ipc, &w);
	ipch_close(ipc);
	return err;
}

/*
 * Peer ids are the lowest free ones, so N workers alone in the channel
 * have the ids 1..N. Anything else means a stranger is in the channel, or
 * a worker failed to join.
 */
static int check_ids(int joined, int nr)
{
	static char seen[MAX_WORKERS + 1];
	uint32_t id;
	int i;

	for (i = 0; i < nr; i++) {
		if (read(joined, &id, sizeof(id)) != sizeof(id))
			return -1;
		if (id == 0 || id > (uint32_t)nr || seen[id])
			return -1;
		seen[id] = 1;
	}
	return 0;
}

static int start(int nr, pid_t *pids, int joined[2], int go[2])
{
	int i;

	for (i = 0; i < nr; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -1;
		if (pids[i] == 0) {
			close(joined[0]);
			close(go[1]);
			_exit(worker(i + 1, nr, joined[1], go[0]));
		}
	}
	return 0;
}

static int parse_args(int argc, char **argv)
{
	char *end;
	long nr;

	if (argc < 2)
		return 4;
	nr = strtol(argv[1], &end, 10);
	if (argc > 2 || *end || nr < 1 || nr > MAX_WORKERS)
		return -1;
	return (int)nr;
}

int main(int argc, char **argv)
{
	static pid_t pids[MAX_WORKERS];
	int nr, i, status, failed = 0;
	int joined[2], go[2];

	nr = parse_args(argc, argv);
	if (nr < 0) {
		say(STDERR_FILENO, "usage: %s [workers, 1..%d, default 4]",
		    argv[0], MAX_WORKERS);
		return 2;
	}
	if (pipe(joined) || pipe(go)) {
		perror("pipe");
		return 1;
	}

	failed = start(nr, pids, joined, go);
	close(joined[1]);
	if (failed || check_ids(joined[0], nr)) {
		say(STDERR_FILENO, "workers: not every worker joined %s alone",
		    CHANNEL);
		for (i = 0; i < nr && pids[i] > 0; i++)
			kill(pids[i], SIGTERM);
		failed = 1;
	}
	close(go[1]);	/* every worker sees EOF: go */

	for (i = 0; i < nr && pids[i] > 0; i++)
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed = 1;
	say(STDOUT_FILENO, "workers: %d workers, %s", nr,
	    failed ? "FAILED" : "all got what they expected");
	return failed;
}
