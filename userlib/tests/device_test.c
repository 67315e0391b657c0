// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * device_test.c - libipchannel against the real /dev/ipchannel
 *
 * Runs in the test VM, where the module is loaded; without the device it
 * prints a TAP skip and exits 0. Every test uses channels of its own
 * ("libtest-PID-N"). The queue-limit tests change the module parameter
 * max_queue_records for a moment and need root; they skip otherwise.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ipchannel.h>
#include "tap.h"

#define DEVICE		"/dev/ipchannel"
#define QUEUE_PARAM	"/sys/module/ipchannel/parameters/max_queue_records"
#define WAIT_MS		5000	/* generous: the guest is emulated */

static const char *new_channel(void)
{
	static char name[IPCHANNEL_NAME_LEN];
	static int n;

	snprintf(name, sizeof(name), "libtest-%d-%d", (int)getpid(), ++n);
	return name;
}

static struct ipch *join(const char *name, uint32_t flags)
{
	struct ipch_options opts = { .flags = flags };
	struct ipch *ipc;
	int err;

	err = ipch_open(&ipc, name, &opts);
	if (err) {
		printf("# ipch_open %s: %s\n", name, strerror(-err));
		exit(1);
	}
	return ipc;
}

static void test_join(void)
{
	const char *name = new_channel();
	struct ipch_options opts = { .flags = IPCH_OPEN_EXCL };
	struct ipchannel_info info;
	struct ipch *a, *b, *c;

	a = join(name, IPCH_OPEN_EXCL);
	b = join(name, IPCH_OPEN_NOCREATE);
	is(ipch_peer_id(a), 1, "join: first peer is 1");
	is(ipch_peer_id(b), 2, "join: second peer is 2");
	is(ipch_info(b, &info), 0, "info: works");
	ok(info.peer_id == 2 && info.nr_peers == 2, "info: ids and peers");
	is(ipch_open(&c, name, &opts), -EEXIST, "open EXCL existing: EEXIST");
	opts.flags = IPCH_OPEN_NOCREATE;
	is(ipch_open(&c, new_channel(), &opts), -ENOENT,
	   "open NOCREATE missing: ENOENT");
	ipch_close(a);
	ipch_close(b);
}

static void test_roundtrip(void)
{
	const char *name = new_channel();
	struct ipch *a = join(name, 0), *b = join(name, 0);
	struct ipch_msg msg;

	is(ipch_send(a, 2, "hello", 5), 0, "send: to peer 2");
	is(ipch_recv(b, &msg, WAIT_MS), 0, "recv: got it");
	ok(msg.sender == 1 && msg.pid == (uint32_t)getpid() &&
	   msg.uid == (uint32_t)geteuid() && msg.flags == 0 &&
	   msg.event[0] == '\0' && msg.len == 5 &&
	   !memcmp(msg.data, "hello", 5), "recv: fields of a message");

	is(ipch_emit(a, 2, "custom-event", "x", 1), 0, "emit: to peer 2");
	is(ipch_recv(b, &msg, WAIT_MS), 0, "recv: got the event");
	ok(!strcmp(msg.event, "custom-event") && msg.len == 1,
	   "recv: event name and payload");

	is(ipch_broadcast(a, "all", NULL, 0, IPCH_NOSELF), 0,
	   "broadcast: NOSELF");
	is(ipch_recv(b, &msg, WAIT_MS), 0, "broadcast: the other peer got it");
	ok(msg.flags == IPCHANNEL_RECV_BROADCAST && !strcmp(msg.event, "all"),
	   "broadcast: flag and event");
	is(ipch_recv(a, &msg, 0), -EAGAIN, "broadcast: NOSELF skips sender");
	is(ipch_broadcast(a, NULL, "m", 1, 0), 0, "broadcast: with self");
	is(ipch_recv(a, &msg, WAIT_MS), 0, "broadcast: sender got its copy");
	is(ipch_send(a, 9, "x", 1), -ENXIO, "send: unknown peer: ENXIO");
	ipch_close(a);
	ipch_close(b);
}

/* A record larger than the first receive buffer, behind a small one. */
static void test_large(void)
{
	const char *name = new_channel();
	struct ipch *a = join(name, 0), *b = join(name, 0);
	static char big[60000];
	struct ipch_msg msg;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	is(ipch_send(a, 2, "small", 5), 0, "large: small message sent");
	is(ipch_send(a, 2, big, sizeof(big)), 0, "large: 60000 bytes sent");
	is(ipch_recv(b, &msg, WAIT_MS), 0, "large: small one first");
	is(msg.len, 5, "large: small one's length");
	is(ipch_recv(b, &msg, WAIT_MS), 0, "large: buffer grew for big one");
	ok(msg.len == sizeof(big) && !memcmp(msg.data, big, sizeof(big)),
	   "large: payload intact");
	ipch_close(a);
	ipch_close(b);
}

static void test_sendv(void)
{
	const char *name = new_channel();
	struct ipch *a = join(name, 0), *b = join(name, 0);
	struct ipch_out m[100];
	struct ipch_msg msg;
	uint64_t last = 0;
	int i, good = 0;

	for (i = 0; i < 100; i++) {
		m[i] = (struct ipch_out){ .to = 2, .data = &m[i].to,
					  .len = (size_t)i % 5,
					  .event = i % 2 ? "odd" : NULL };
	}
	is(ipch_sendv(a, m, 100), 100, "sendv: 100 messages in one call");
	for (i = 0; i < 100; i++) {
		if (ipch_recv(b, &msg, WAIT_MS))
			break;
		good += msg.seq > last && msg.len == (size_t)i % 5 &&
			!strcmp(msg.event, i % 2 ? "odd" : "");
		last = msg.seq;
	}
	is(good, 100, "sendv: received whole and in order");
	ipch_close(a);
	ipch_close(b);
}

static void count(struct ipch *ipc, const struct ipch_msg *msg, void *arg)
{
	(void)ipc;
	(void)msg;
	(*(int *)arg)++;
}

static void test_epoll(void)
{
	const char *name = new_channel();
	struct ipch *a = join(name, 0), *b = join(name, 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int messages = 0, events = 0;

	ipch_on(b, "message", count, &messages);
	ipch_on(b, "tick", count, &events);
	epoll_ctl(ep, EPOLL_CTL_ADD, ipch_fd(b), &ev);
	ipch_send(a, 2, "1", 1);
	ipch_emit(a, 2, "tick", NULL, 0);
	ipch_send(a, IPCHANNEL_PEER_ALL, "3", 1);

	is(epoll_wait(ep, &ev, 1, WAIT_MS), 1, "epoll: readable");
	is(ipch_dispatch(b), 3, "epoll: dispatch takes all three");
	ok(messages == 2 && events == 1, "epoll: handlers called");
	is(epoll_wait(ep, &ev, 1, 0), 0, "epoll: nothing left");
	ipch_send(a, 2, "4", 1);
	is(epoll_wait(ep, &ev, 1, WAIT_MS), 1, "epoll: edge for a new record");
	is(ipch_run(b, 0), 1, "run: takes it");
	is(ipch_run(b, 30), 0, "run: timeout with nothing queued");
	close(ep);
	ipch_close(a);
	ipch_close(b);
}

static int param_get(void)
{
	FILE *f = fopen(QUEUE_PARAM, "r");
	int val = -1;

	if (f) {
		if (fscanf(f, "%d", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val;
}

static int param_set(int val)
{
	FILE *f = fopen(QUEUE_PARAM, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%d\n", val) < 0;
	return fclose(f) || ret ? -1 : 0;
}

struct sender {
	struct ipch *ipc;
	uint32_t to;
	int ret;
};

static void *send_late(void *arg)
{
	struct sender *s = arg;

	s->ret = ipch_send(s->ipc, s->to, "late", 4);
	return NULL;
}

/* Receive from @ipc until "late" comes; returns the records taken. */
static int drain_until_late(struct ipch *ipc)
{
	struct ipch_msg msg;
	int n = 0;

	while (ipch_recv(ipc, &msg, WAIT_MS) == 0) {
		n++;
		if (msg.len == 4 && !memcmp(msg.data, "late", 4))
			return n;
	}
	return -n;
}

/*
 * With a queue limit of 4: a non-blocking handle gets EAGAIN, and a
 * blocking send to a full peer completes once that peer reads, even
 * while another peer's queue stays full (which keeps POLLOUT clear for
 * the whole channel).
 */
static void test_full_queue(void)
{
	const char *name = new_channel();
	struct ipch *a = join(name, 0), *b = join(name, 0);
	struct ipch *stuck = join(name, 0);
	struct ipch *nb = join(name, IPCH_OPEN_NONBLOCK);
	struct sender s = { .ipc = a, .to = 2 };
	pthread_t thread;
	int i, sent = 0;

	for (i = 0; i < 4; i++) {
		sent += ipch_send(nb, 2, "fill", 4) == 0;
		sent += ipch_send(nb, 3, "fill", 4) == 0;
	}
	is(sent, 8, "full: both queues filled to the limit");
	is(ipch_send(nb, 2, "x", 1), -EAGAIN, "full: NONBLOCK send: EAGAIN");

	pthread_create(&thread, NULL, send_late, &s);
	is(drain_until_late(b), 5, "full: blocking send done after a read");
	pthread_join(thread, NULL);
	is(s.ret, 0, "full: blocking send returned 0");

	ipch_close(nb);
	ipch_close(stuck);
	ipch_close(a);
	ipch_close(b);
}

int main(void)
{
	int limit;

	if (access(DEVICE, R_OK | W_OK)) {
		printf("1..0 # SKIP %s missing: module not loaded\n", DEVICE);
		return 0;
	}
	test_join();
	test_roundtrip();
	test_large();
	test_sendv();
	test_epoll();

	limit = param_get();
	if (limit > 0 && param_set(4) == 0) {
		test_full_queue();
		param_set(limit);
	} else {
		ok(1, "# SKIP queue limit tests: cannot set %s", QUEUE_PARAM);
	}
	return tap_done();
}
