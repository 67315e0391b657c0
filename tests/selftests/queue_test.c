// SPDX-License-Identifier: GPL-2.0
/* queue_test.c - limits, full queues, blocking, signals and counters */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "ipch_test.h"

static int queued(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) ? -errno : n;
}

/* Fills @to's queue from @fd (non-blocking) and returns the count. */
static int fill(int fd, uint32_t to)
{
	ssize_t ret;
	int n = 0;

	while ((ret = send_str(fd, to, "fill")) > 0)
		n++;
	return ret == -EAGAIN ? n : -1;
}

TEST(full_queue_gives_eagain_to_nonblocking_sender)
{
	const char *name = chan_name("full");
	struct ipchannel_info info;
	int a = dev_open(O_NONBLOCK), b = dev_open(O_NONBLOCK);
	char buf[64];

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	ASSERT_EQ(0, get_info(a, &info));
	ASSERT_EQ((int)info.max_queue_records, fill(a, 2));
	ASSERT_EQ(-EAGAIN, send_str(a, 2, "more"));

	/* Reading one record makes room for exactly one. */
	ASSERT_EQ(48, read(b, buf, sizeof(buf)));
	ASSERT_LT(0, send_str(a, 2, "more"));
	ASSERT_EQ(-EAGAIN, send_str(a, 2, "more"));
	close(a);
	close(b);
}

/*
 * A write of many records stops at the first one without room: it returns
 * the bytes of those queued before, and queues nothing after.
 */
TEST(batch_stops_at_the_first_record_without_room)
{
	const char *name = chan_name("batch");
	struct ipchannel_info info;
	int a = dev_open(O_NONBLOCK), b = dev_open(O_NONBLOCK), i;
	size_t len = 0, one;
	char buf[40 * 32], out[64];

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	ASSERT_EQ(0, get_info(a, &info));
	ASSERT_EQ((int)info.max_queue_records, fill(a, 2));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(48, read(b, out, sizeof(out)));

	/* Room for 3 of these 20 (more than one batch of the kernel's). */
	for (i = 0; i < 20; i++) {
		one = rec_build(buf + len, 2, 0, NULL, "batch", 5);
		len += one;
	}
	ASSERT_EQ((ssize_t)(3 * one), write(a, buf, len));
	EXPECT_EQ(-EAGAIN, send_str(a, 2, "more"));
	ASSERT_EQ(0, get_info(b, &info));
	EXPECT_EQ(info.max_queue_records, info.queued_records);
	close(a);
	close(b);
}

TEST(queue_bytes_limit_gives_eagain)
{
	const char *name = chan_name("bytes");
	struct ipchannel_info info;
	int a = dev_open(O_NONBLOCK), n = 0;
	uint32_t rec;
	ssize_t ret;
	char *big;

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(0, get_info(a, &info));
	big = calloc(1, info.max_msg_size);
	rec = IPCHANNEL_ALIGN(sizeof(struct ipchannel_recv) +
			      info.max_msg_size);
	while ((ret = send_ev(a, 1, 0, NULL, big, info.max_msg_size)) > 0)
		n++;
	ASSERT_EQ(-EAGAIN, ret);
	ASSERT_EQ(info.max_queue_bytes / rec, (uint32_t)n);
	free(big);
	close(a);
}

TEST(message_above_max_size_is_emsgsize)
{
	struct ipchannel_info info;
	int a = dev_open(0);
	char *big;

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, chan_name("msgsize")));
	ASSERT_EQ(0, get_info(a, &info));
	big = calloc(1, info.max_msg_size + 1);
	ASSERT_EQ(-EMSGSIZE, send_ev(a, 1, 0, NULL, big,
				     info.max_msg_size + 1));
	ASSERT_LT(0, send_ev(a, 1, 0, NULL, big, info.max_msg_size));
	free(big);
	close(a);
}

TEST(broadcast_is_queued_to_all_or_none)
{
	const char *name = chan_name("allnone");
	struct ipchannel_info before, after;
	int fd[4], i;

	NEED_DEVICE();
	for (i = 1; i <= 3; i++) {
		fd[i] = dev_open(O_NONBLOCK);
		ASSERT_EQ(i, join(fd[i], name));
	}
	ASSERT_LT(0, fill(fd[1], 3));
	ASSERT_EQ(0, get_info(fd[1], &before));
	ASSERT_EQ(-EAGAIN, send_str(fd[1], IPCHANNEL_PEER_ALL, "b"));
	ASSERT_EQ(0, get_info(fd[1], &after));
	EXPECT_EQ(before.next_seq, after.next_seq);
	EXPECT_EQ(0, queued(fd[1]));
	EXPECT_EQ(0, queued(fd[2]));
	for (i = 1; i <= 3; i++)
		close(fd[i]);
}

TEST(pollout_clears_while_a_queue_is_full)
{
	const char *name = chan_name("pollout");
	int a = dev_open(O_NONBLOCK), b = dev_open(O_NONBLOCK);
	struct pollfd pfd = { .events = POLLOUT };
	char buf[64];

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	pfd.fd = a;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_LT(0, fill(a, 2));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	while (read(b, buf, sizeof(buf)) > 0)
		;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	close(a);
	close(b);
}

struct blocked_send {
	int fd;
	uint32_t to;
	ssize_t ret;
	pthread_t thread;
};

static void *sender(void *arg)
{
	struct blocked_send *bs = arg;

	bs->ret = send_str(bs->fd, bs->to, "waited");
	return NULL;
}

/* Two peers; peer 2's queue is full and a blocking sender waits on it. */
FIXTURE(blocked) {
	int a, b, writer;
	struct blocked_send bs;
};

FIXTURE_SETUP(blocked)
{
	const char *name = chan_name("blocked");

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	catch_sigusr1(0);
	self->a = dev_open(O_NONBLOCK);
	self->b = dev_open(O_NONBLOCK);
	self->writer = dev_open(0);
	ASSERT_EQ(1, join(self->a, name));
	ASSERT_EQ(2, join(self->b, name));
	ASSERT_EQ(3, join(self->writer, name));
	ASSERT_LT(0, fill(self->a, 2));

	self->bs.fd = self->writer;
	self->bs.to = 2;
	ASSERT_EQ(0, pthread_create(&self->bs.thread, NULL, sender,
				    &self->bs));
	/* The kernel counts the sender as blocked: proof it is waiting. */
	ASSERT_EQ(0, wait_blocked(self->a, 1));
}

FIXTURE_TEARDOWN(blocked)
{
	close(self->a);
	close(self->b);
	close(self->writer);
}

TEST_F(blocked, sender_is_woken_when_the_receiver_reads)
{
	struct ipchannel_info info;
	char buf[64];

	ASSERT_EQ(48, read(self->b, buf, sizeof(buf)));
	ASSERT_EQ(0, pthread_join(self->bs.thread, NULL));
	EXPECT_EQ(24, self->bs.ret);
	ASSERT_EQ(0, get_info(self->b, &info));
	EXPECT_EQ(0, info.blocked_senders);
	EXPECT_EQ(info.max_queue_records, info.queued_records);
}

TEST_F(blocked, signal_interrupts_blocked_sender_with_eintr)
{
	struct ipchannel_info info;

	ASSERT_EQ(0, pthread_kill(self->bs.thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(self->bs.thread, NULL));
	EXPECT_EQ(-EINTR, self->bs.ret);
	ASSERT_EQ(0, get_info(self->b, &info));
	EXPECT_EQ(0, info.blocked_senders);
	EXPECT_EQ(info.max_queue_records, info.queued_records);
}

TEST_F(blocked, receiver_leaving_gives_enxio)
{
	close(self->b);
	self->b = -1;
	ASSERT_EQ(0, pthread_join(self->bs.thread, NULL));
	EXPECT_EQ(-ENXIO, self->bs.ret);
}

TEST_F(blocked, nonblocking_sender_still_gets_eagain)
{
	ASSERT_EQ(-EAGAIN, send_str(self->a, 2, "no"));
	ASSERT_EQ(0, pthread_kill(self->bs.thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(self->bs.thread, NULL));
}

static void *broadcaster(void *arg)
{
	struct blocked_send *bs = arg;

	bs->ret = send_ev(bs->fd, IPCHANNEL_PEER_ALL, IPCHANNEL_SEND_NOSELF,
			  NULL, "all", 3);
	return NULL;
}

TEST(blocked_broadcast_waits_for_every_receiver)
{
	const char *name = chan_name("bcast");
	int a = dev_open(O_NONBLOCK), b = dev_open(O_NONBLOCK);
	int w = dev_open(0);
	struct blocked_send bs = { .fd = w };
	struct ipchannel_info info;
	char buf[64];

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	ASSERT_EQ(3, join(w, name));
	ASSERT_LT(0, fill(a, 1));
	ASSERT_LT(0, fill(a, 2));
	ASSERT_EQ(0, pthread_create(&bs.thread, NULL, broadcaster, &bs));
	ASSERT_EQ(0, wait_blocked(a, 1));

	/* Room at one receiver is not enough... */
	ASSERT_EQ(48, read(a, buf, sizeof(buf)));
	ASSERT_EQ(0, wait_blocked(a, 1));
	/* ...room at both is. */
	ASSERT_EQ(48, read(b, buf, sizeof(buf)));
	ASSERT_EQ(0, pthread_join(bs.thread, NULL));
	EXPECT_EQ(24, bs.ret);
	EXPECT_EQ(0, get_info(a, &info));
	EXPECT_EQ(info.max_queue_records, info.queued_records);
	EXPECT_EQ(0, get_info(b, &info));
	EXPECT_EQ(info.max_queue_records, info.queued_records);
	close(a);
	close(b);
	close(w);
}

struct blocked_read {
	int fd;
	atomic_int done;
	ssize_t ret;
};

static void *blocking_reader(void *arg)
{
	struct blocked_read *br = arg;
	char buf[64];

	br->ret = read(br->fd, buf, sizeof(buf)) < 0 ? -errno : 0;
	atomic_store(&br->done, 1);
	return NULL;
}

TEST(signal_interrupts_blocked_reader_with_eintr)
{
	struct blocked_read br = { .fd = dev_open(0) };
	pthread_t t;

	NEED_DEVICE();
	catch_sigusr1(0);
	ASSERT_EQ(1, join(br.fd, chan_name("rdsig")));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocking_reader, &br));
	/* A signal that lands before read() sleeps is lost; send more. */
	while (!atomic_load(&br.done)) {
		pthread_kill(t, SIGUSR1);
		sched_yield();
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-EINTR, br.ret);
	close(br.fd);
}

/*
 * Total order: several senders broadcast and unicast concurrently to four
 * receivers. Every receiver must see strictly increasing sequence numbers,
 * the same sequence number for the same message, each sender's messages in
 * the order sent, and the broadcasts in one identical order.
 */
#define NR_RECV		4
#define NR_SEND		3
#define PER_SENDER	300

struct tag {
	uint32_t sender;	/* index of the sending thread */
	uint32_t count;		/* its message counter */
};

struct order_peer {
	int fd;
	int idx;
	int expect;		/* records a receiver must get */
	int got;
	struct tag tags[NR_SEND * PER_SENDER];
	uint64_t seqs[NR_SEND * PER_SENDER];
	int err;
};

static bool is_unicast(uint32_t count)
{
	return count % 3 == 2;
}

static void *order_send(void *arg)
{
	struct order_peer *p = arg;
	struct tag t = { .sender = p->idx };
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	char sink[4096];
	uint32_t to;

	for (t.count = 0; t.count < PER_SENDER; t.count++) {
		to = is_unicast(t.count) ? t.count % NR_RECV + 1 :
					   IPCHANNEL_PEER_ALL;
		if (send_ev(p->fd, to, to == IPCHANNEL_PEER_ALL ?
			    IPCHANNEL_SEND_NOSELF : 0, NULL, &t,
			    sizeof(t)) < 0)
			p->err = errno;
		/* Senders are peers too: drain what the others broadcast. */
		while (poll(&pfd, 1, 0) == 1 && read(p->fd, sink,
							 sizeof(sink)) > 0)
			;
	}
	return NULL;
}

static void *order_recv(void *arg)
{
	struct order_peer *p = arg;
	struct rx rx;

	while (p->got < p->expect) {
		if (recv_one(p->fd, &rx) < 0) {
			p->err = errno;
			break;
		}
		memcpy(&p->tags[p->got], rx.data, sizeof(struct tag));
		p->seqs[p->got++] = rx.hdr.seq;
	}
	return NULL;
}

static int expected_at(int r)
{
	int s, c, n = 0;

	for (s = 0; s < NR_SEND; s++)
		for (c = 0; c < PER_SENDER; c++)
			if (!is_unicast(c) || c % NR_RECV + 1 == r)
				n++;
	return n;
}

/* Checks one receiver against the others' view; returns a reason. */
static const char *check_order(struct order_peer *p,
			       uint64_t seq_of[NR_SEND][PER_SENDER],
			       struct tag *bcast, int *nr_bcast)
{
	int last[NR_SEND], i, n = 0;

	for (i = 0; i < NR_SEND; i++)
		last[i] = -1;
	for (i = 0; i < p->got; i++) {
		struct tag *t = &p->tags[i];
		uint64_t *seq = &seq_of[t->sender][t->count];

		if (i && p->seqs[i] <= p->seqs[i - 1])
			return "sequence numbers not increasing";
		if ((int)t->count <= last[t->sender])
			return "a sender's messages out of order";
		last[t->sender] = t->count;
		if (*seq && *seq != p->seqs[i])
			return "one message, two sequence numbers";
		*seq = p->seqs[i];
		if (is_unicast(t->count))
			continue;
		if (*nr_bcast > n && memcmp(&bcast[n], t, sizeof(*t)))
			return "broadcasts in a different order";
		bcast[n++] = *t;
	}
	*nr_bcast = n;
	return NULL;
}

FIXTURE(order) {
	struct order_peer peer[NR_RECV + NR_SEND];
};

FIXTURE_SETUP(order)
{
	const char *name = chan_name("order");
	int i;

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	for (i = 0; i < NR_RECV + NR_SEND; i++) {
		self->peer[i].fd = dev_open(0);
		ASSERT_EQ(i + 1, join(self->peer[i].fd, name));
		self->peer[i].idx = i < NR_RECV ? i + 1 : i - NR_RECV;
		self->peer[i].expect = expected_at(i + 1);
	}
}

FIXTURE_TEARDOWN(order)
{
	int i;

	for (i = 0; i < NR_RECV + NR_SEND; i++)
		close(self->peer[i].fd);
}

TEST_F_TIMEOUT(order, every_receiver_sees_one_total_order, 300)
{
	static uint64_t seq_of[NR_SEND][PER_SENDER];
	static struct tag bcast[NR_SEND * PER_SENDER];
	pthread_t t[NR_RECV + NR_SEND];
	const char *why;
	int i, nr_bcast = 0;

	for (i = 0; i < NR_RECV + NR_SEND; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL,
					    i < NR_RECV ? order_recv :
					    order_send, &self->peer[i]));
	for (i = 0; i < NR_RECV + NR_SEND; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));

	for (i = 0; i < NR_RECV + NR_SEND; i++)
		ASSERT_EQ(0, self->peer[i].err) TH_LOG("peer %d", i + 1);
	for (i = 0; i < NR_RECV; i++) {
		ASSERT_EQ(self->peer[i].expect, self->peer[i].got);
		why = check_order(&self->peer[i], seq_of, bcast, &nr_bcast);
		ASSERT_EQ(NULL, why) TH_LOG("receiver %d: %s", i + 1, why);
	}
	EXPECT_EQ(NR_SEND * (PER_SENDER - PER_SENDER / 3), nr_bcast);
}

TEST(leaving_peer_frees_its_queue_at_once)
{
	const char *name = chan_name("leave");
	struct ipchannel_stats st;
	int a = dev_open(0), b = dev_open(0), i;

	NEED_DEVICE();
	NEED_ROOT();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	for (i = 0; i < 10; i++)
		ASSERT_LT(0, send_str(a, 2, "queued"));
	ASSERT_LT(0, send_str(a, IPCHANNEL_PEER_ALL, "shared"));
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(12, st.records);
	EXPECT_EQ(11, st.messages);

	close(b);
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(1, st.records);
	EXPECT_EQ(1, st.messages);
	EXPECT_EQ(1, st.peers);
	EXPECT_EQ(1, st.channels);
	close(a);
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(0, st.records);
	EXPECT_EQ(0, st.messages);
	EXPECT_EQ(0, st.peers);
	EXPECT_EQ(0, st.channels);
}

FIXTURE(cycles) {
	int unused;
};

FIXTURE_SETUP(cycles)
{
	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to read the counters");
}

FIXTURE_TEARDOWN(cycles)
{
}

TEST_F_TIMEOUT(cycles, thousand_open_join_close_cycles_leak_nothing, 300)
{
	const char *name = chan_name("cycle");
	struct ipchannel_stats st;
	int keep = dev_open(0), fd, i;

	ASSERT_EQ(1, join(keep, name));
	for (i = 0; i < 1000; i++) {
		fd = dev_open(0);
		ASSERT_EQ(2, join(fd, name));
		ASSERT_LT(0, send_str(fd, IPCHANNEL_PEER_ALL, "hello"));
		ASSERT_LT(0, send_str(keep, 2, "to you"));
		close(fd);
		/* Alternate: half the cycles create and end a channel. */
		fd = dev_open(0);
		ASSERT_EQ(1, join(fd, chan_name("solo")));
		ASSERT_LT(0, send_str(fd, 1, "self"));
		close(fd);
	}
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(1, st.channels);
	EXPECT_EQ(1, st.peers);
	EXPECT_EQ(1000, st.records);
	EXPECT_EQ(1000, st.messages);
	close(keep);

	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(0, st.channels);
	EXPECT_EQ(0, st.peers);
	EXPECT_EQ(0, st.messages);
	EXPECT_EQ(0, st.records);
	EXPECT_EQ(0, st.locks);
	EXPECT_EQ(0, st.lock_waiters);
}

/* Limits are module parameters that root can change at run time. */
FIXTURE(params) {
	char saved[3][32];
};

static const char *const param_names[3] = {
	"max_msg_size", "max_queue_records", "max_queue_bytes",
};

FIXTURE_SETUP(params)
{
	char path[128];
	int i, fd;

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", param_names[i]);
		fd = open(path, O_RDONLY);
		ASSERT_GE(fd, 0);
		memset(self->saved[i], 0, sizeof(self->saved[i]));
		ASSERT_LT(0, read(fd, self->saved[i], 31));
		close(fd);
	}
}

FIXTURE_TEARDOWN(params)
{
	int i;

	for (i = 0; i < 3; i++)
		param_set(param_names[i], self->saved[i]);
}

TEST_F(params, lowered_limits_apply_to_the_next_send)
{
	struct ipchannel_info info;
	int a = dev_open(O_NONBLOCK);

	ASSERT_EQ(1, join(a, chan_name("params")));
	ASSERT_EQ(0, param_set("max_queue_records", "3"));
	ASSERT_EQ(0, param_set("max_msg_size", "10"));
	ASSERT_EQ(0, get_info(a, &info));
	EXPECT_EQ(3, info.max_queue_records);
	EXPECT_EQ(10, info.max_msg_size);

	ASSERT_EQ(-EMSGSIZE, send_str(a, 1, "eleven byte"));
	ASSERT_EQ(3, fill(a, 1));
	close(a);
}

TEST_F(params, out_of_range_values_are_refused)
{
	EXPECT_EQ(-EINVAL, param_set("max_queue_records", "0"));
	EXPECT_EQ(-EINVAL, param_set("max_queue_bytes", "63"));
	EXPECT_EQ(-EINVAL, param_set("max_msg_size", "16777217"));
	EXPECT_EQ(-EINVAL, param_set("max_msg_size", "many"));
	EXPECT_EQ(0, param_set("max_msg_size", "0"));
}

TEST_F(params, empty_queue_takes_a_record_bigger_than_max_queue_bytes)
{
	int a = dev_open(O_NONBLOCK);
	char big[200] = "";

	ASSERT_EQ(1, join(a, chan_name("tiny")));
	ASSERT_EQ(0, param_set("max_queue_bytes", "64"));
	ASSERT_LT(0, send_ev(a, 1, 0, NULL, big, sizeof(big)));
	ASSERT_EQ(-EAGAIN, send_str(a, 1, "x"));
	close(a);
}

TEST_HARNESS_MAIN
