// SPDX-License-Identifier: GPL-2.0
/*
 * libipchannel_test.c - the library against the real module: joining,
 * handlers, blocking and non-blocking sends, locks and synchronize,
 * membership handlers
 *
 * Blocking and order are proven from the kernel's own counts
 * (blocked_senders, nr_waiters), never by sleeping. Only the tests that
 * change a module parameter need root; they skip otherwise.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ipch_test.h"
#include <ipchannel.h>

#define WAIT_MS		10000	/* generous: emulated guest */
#define NR_WORKERS	4
#define ROUNDS		500
#define REQUESTS_PARAM	"max_lock_requests"
#define QUEUE_PARAM	"max_queue_records"

static struct ipch *peer(const char *name, uint32_t flags)
{
	struct ipch_options opts = { .flags = flags };
	struct ipch *ipc;
	int err = ipch_open(&ipc, name, &opts);

	if (err) {
		fprintf(stderr, "ipch_open %s: %s\n", name, strerror(-err));
		exit(1);
	}
	return ipc;
}

/* Two peers, 1 and 2, of a channel of the test's own. */
FIXTURE(chan) {
	const char *name;
	struct ipch *a, *b;
};

FIXTURE_SETUP(chan)
{
	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	self->name = chan_name("lib");
	self->a = peer(self->name, IPCH_OPEN_EXCL);
	self->b = peer(self->name, IPCH_OPEN_NOCREATE);
}

FIXTURE_TEARDOWN(chan)
{
	ipch_close(self->a);
	ipch_close(self->b);
}

static struct timespec mono_in(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Sends from @from to @to until the queue is full; the records sent. */
static int fill(struct ipch *from, uint32_t to)
{
	int n = 0, ret;

	while ((ret = ipch_send(from, to, "fill", 4)) == 0)
		n++;
	return ret == -EAGAIN ? n : -1;
}

/* ---- joining ---- */

TEST(open_joins_channel_named_after_program)
{
	struct ipch_options opts = { .flags = IPCH_OPEN_NOCREATE };
	struct ipchannel_info info;
	struct ipch *a, *b, *c;

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	ASSERT_EQ(0, ipch_open(&a, NULL, NULL));
	ASSERT_EQ(0, ipch_open(&b, program_invocation_short_name, &opts));
	EXPECT_EQ(1, ipch_peer_id(a));
	EXPECT_EQ(2, ipch_peer_id(b));
	ASSERT_EQ(0, ipch_info(b, &info));
	EXPECT_EQ(2, info.nr_peers);

	opts.flags = IPCH_OPEN_EXCL;
	EXPECT_EQ(-EEXIST, ipch_open(&c, NULL, &opts));
	opts.flags = IPCH_OPEN_NOCREATE;
	EXPECT_EQ(-ENOENT, ipch_open(&c, chan_name("missing"), &opts));
	ipch_close(a);
	ipch_close(b);
}

TEST(open_joins_another_users_channel_only_when_shared)
{
	struct ipch_options opts = { .mode = 0666 };
	const char *name = chan_name("shared");
	struct ipch *a, *b;

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to create as another uid");
	/* The kernel takes the owner from the effective uid of the join. */
	ASSERT_EQ(0, seteuid(1001));
	ASSERT_EQ(0, ipch_open(&a, name, &opts));
	ASSERT_EQ(0, seteuid(0));

	opts.flags = IPCH_OPEN_NOCREATE;
	EXPECT_EQ(-EPERM, ipch_open(&b, name, &opts));
	opts.flags |= IPCH_OPEN_SHARED;
	ASSERT_EQ(0, ipch_open(&b, name, &opts));
	EXPECT_EQ(2, ipch_peer_id(b));
	ipch_close(b);
	ipch_close(a);
}

/* ---- sending and dispatch ---- */

struct seen {
	int message, custom, other;
	struct ipch_msg last;
};

static void on_message(struct ipch *ipc, const struct ipch_msg *msg,
		       void *arg)
{
	struct seen *s = arg;

	(void)ipc;
	s->message++;
	s->last = *msg;
}

static void on_custom(struct ipch *ipc, const struct ipch_msg *msg,
		      void *arg)
{
	struct seen *s = arg;

	(void)ipc;
	s->custom++;
	s->last = *msg;
}

static void on_other(struct ipch *ipc, const struct ipch_msg *msg,
		     void *arg)
{
	struct seen *s = arg;

	(void)ipc;
	s->other++;
	s->last = *msg;
}

TEST_F(chan, send_emit_broadcast_reach_their_handlers)
{
	struct seen s = { 0 };

	ASSERT_EQ(0, ipch_on(self->b, "message", on_message, &s));
	ASSERT_EQ(0, ipch_on(self->b, "custom-event", on_custom, &s));
	ASSERT_EQ(0, ipch_on(self->b, NULL, on_other, &s));

	ASSERT_EQ(0, ipch_send(self->a, 2, "hello", 5));
	ASSERT_EQ(1, ipch_run(self->b, WAIT_MS));
	EXPECT_EQ(1, s.message);
	EXPECT_EQ(1, s.last.sender);
	EXPECT_EQ((uint32_t)getpid(), s.last.pid);
	EXPECT_EQ(0, s.last.flags);
	EXPECT_EQ(5, s.last.len);
	EXPECT_EQ(0, memcmp(s.last.data, "hello", 5));

	ASSERT_EQ(0, ipch_emit(self->a, 2, "custom-event", "x", 1));
	ASSERT_EQ(1, ipch_run(self->b, WAIT_MS));
	EXPECT_EQ(1, s.custom);
	EXPECT_STREQ("custom-event", s.last.event);
	EXPECT_EQ(1, s.last.sender);

	ASSERT_EQ(0, ipch_broadcast(self->a, "other", NULL, 0, IPCH_NOSELF));
	ASSERT_EQ(1, ipch_run(self->b, WAIT_MS));
	EXPECT_EQ(1, s.other);
	EXPECT_EQ(IPCHANNEL_RECV_BROADCAST, s.last.flags);
	EXPECT_EQ(1, s.last.sender);
	EXPECT_EQ(0, ipch_dispatch(self->a));	/* NOSELF: nothing for a */

	ASSERT_EQ(0, ipch_send(self->a, IPCHANNEL_PEER_ALL, "all", 3));
	ASSERT_EQ(1, ipch_run(self->b, WAIT_MS));
	EXPECT_EQ(2, s.message);
	EXPECT_EQ(IPCHANNEL_RECV_BROADCAST, s.last.flags);
	EXPECT_EQ(-ENXIO, ipch_send(self->a, 9, "x", 1));
}

TEST_F(chan, read_never_blocks_on_a_blocking_file)
{
	struct ipch_msg msg;

	/* The default handle is blocking; RWF_NOWAIT keeps these instant. */
	EXPECT_EQ(0, fcntl(ipch_fd(self->b), F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-EAGAIN, ipch_recv(self->b, &msg, 0));
	EXPECT_EQ(0, ipch_dispatch(self->b));
	EXPECT_EQ(0, ipch_run(self->b, 0));
}

TEST_F(chan, nonblock_send_to_full_queue_is_eagain)
{
	struct ipch *nb = peer(self->name, IPCH_OPEN_NONBLOCK);
	struct ipchannel_info info;

	EXPECT_NE(0, fcntl(ipch_fd(nb), F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, ipch_info(self->b, &info));
	EXPECT_EQ((int)info.max_queue_records, fill(nb, 2));
	EXPECT_EQ(-EAGAIN, ipch_send(nb, 2, "x", 1));
	ASSERT_EQ(0, ipch_info(self->b, &info));
	EXPECT_EQ(0, info.blocked_senders);
	ipch_close(nb);
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

/*
 * Peer 3 stays full throughout, so the channel never polls writable: the
 * send to peer 2 must be woken by peer 2's read alone.
 */
TEST_F(chan, blocking_send_wakes_when_its_receiver_reads)
{
	struct ipch *stuck = peer(self->name, 0);
	struct ipch *nb = peer(self->name, IPCH_OPEN_NONBLOCK);
	struct sender s = { .ipc = self->a, .to = 2, .ret = 1 };
	struct ipchannel_info info;
	struct ipch_msg msg;
	pthread_t thread;
	int n = 0;

	ASSERT_LT(0, fill(nb, 2));
	ASSERT_LT(0, fill(nb, 3));
	ASSERT_EQ(0, pthread_create(&thread, NULL, send_late, &s));
	ASSERT_EQ(0, wait_blocked(ipch_fd(self->b), 1));

	ASSERT_EQ(0, ipch_recv(self->b, &msg, 0));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, s.ret);
	ASSERT_EQ(0, ipch_info(self->b, &info));
	EXPECT_EQ(0, info.blocked_senders);

	while (ipch_recv(self->b, &msg, 0) == 0)
		n++;
	EXPECT_EQ(4, msg.len);
	EXPECT_EQ(0, memcmp(msg.data, "late", 4));
	EXPECT_EQ((int)info.max_queue_records, n);
	ipch_close(nb);
	ipch_close(stuck);
}

TEST_F(chan, blocking_send_interrupted_is_eintr)
{
	struct ipch *nb = peer(self->name, IPCH_OPEN_NONBLOCK);
	struct sender s = { .ipc = self->a, .to = 2, .ret = 1 };
	struct ipchannel_info info;
	pthread_t thread;

	catch_sigusr1(0);
	ASSERT_LT(0, fill(nb, 2));
	ASSERT_EQ(0, pthread_create(&thread, NULL, send_late, &s));
	ASSERT_EQ(0, wait_blocked(ipch_fd(self->b), 1));
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-EINTR, s.ret);
	ASSERT_EQ(0, ipch_info(self->b, &info));
	EXPECT_EQ(info.max_queue_records, info.queued_records);
	ipch_close(nb);
}

/* ---- locks ---- */

TEST_F(chan, lock_trylock_timedlock_unlock)
{
	struct timespec past = { 0, 0 }, soon = mono_in(50);
	struct ipchannel_lock_info li;

	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	ASSERT_EQ(0, ipch_lock_info(self->b, "L", &li));
	EXPECT_EQ(1, li.holder);
	EXPECT_EQ((uint64_t)gettid(), li.holder_cookie);

	EXPECT_EQ(-EAGAIN, ipch_trylock(self->b, "L"));
	EXPECT_EQ(-ETIMEDOUT, ipch_timedlock(self->b, "L", &past));
	EXPECT_EQ(-ETIMEDOUT, ipch_timedlock(self->b, "L", &soon));
	EXPECT_EQ(0, ipch_unlock(self->a, "L"));
	EXPECT_EQ(-EPERM, ipch_unlock(self->a, "L"));

	EXPECT_EQ(0, ipch_trylock(self->b, "L"));
	EXPECT_EQ(0, ipch_timedlock(self->a, "free/lock", &past));
	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(2, li.holder);
	EXPECT_EQ(0, ipch_unlock(self->b, "L"));
	EXPECT_EQ(0, ipch_unlock(self->a, "free/lock"));
}

TEST_F(chan, bad_lock_names_fail_before_the_kernel)
{
	char long_name[IPCHANNEL_NAME_LEN + 1];
	struct ipchannel_lock_info li;

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	EXPECT_EQ(-EINVAL, ipch_lock(self->a, ""));
	EXPECT_EQ(-EINVAL, ipch_lock(self->a, "a b"));
	EXPECT_EQ(-ENAMETOOLONG, ipch_lock(self->a, long_name));
	EXPECT_EQ(-ENAMETOOLONG, ipch_unlock(self->a, long_name));
	EXPECT_EQ(-EINVAL, ipch_lock_info(self->a, "\x7f", &li));
	EXPECT_EQ(-EINVAL, ipch_lock_cookie(self->a, "L", 1, 1U << 5, NULL));
}

TEST_F(chan, same_thread_locking_twice_is_edeadlk)
{
	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	EXPECT_EQ(-EDEADLK, ipch_lock(self->a, "L"));
	EXPECT_EQ(-EDEADLK, ipch_trylock(self->a, "L"));
	EXPECT_EQ(0, ipch_unlock(self->a, "L"));
}

struct unlocker {
	struct ipch *ipc;
	uint64_t cookie;
	int by_thread, by_cookie;
};

static void *unlock_other(void *arg)
{
	struct unlocker *u = arg;

	u->by_thread = ipch_unlock(u->ipc, "L");
	u->by_cookie = ipch_unlock_cookie(u->ipc, "L", u->cookie);
	return NULL;
}

/* Another thread cannot unlock by default, but can with the cookie. */
TEST_F(chan, unlock_by_another_thread_is_eperm)
{
	struct unlocker u = { .ipc = self->a, .cookie = (uint64_t)gettid() };
	struct ipchannel_lock_info li;
	pthread_t thread;

	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	ASSERT_EQ(0, pthread_create(&thread, NULL, unlock_other, &u));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-EPERM, u.by_thread);
	EXPECT_EQ(0, u.by_cookie);
	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.holder);
}

struct interrupted {
	struct ipch *ipc;
	int ret, calls;
};

static void *lock_waiting(void *arg)
{
	struct interrupted *w = arg;

	w->ret = ipch_lock(w->ipc, "L");
	return NULL;
}

TEST_F(chan, lock_interrupted_is_eintr)
{
	struct interrupted w = { .ipc = self->b, .ret = 1 };
	pthread_t thread;

	catch_sigusr1(0);
	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	ASSERT_EQ(0, pthread_create(&thread, NULL, lock_waiting, &w));
	ASSERT_EQ(0, wait_waiters(ipch_fd(self->a), "L", 1));
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-EINTR, w.ret);
	EXPECT_EQ(0, wait_waiters(ipch_fd(self->a), "L", 0));
	EXPECT_EQ(0, ipch_unlock(self->a, "L"));
}

static atomic_int signals;

static void count_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals, 1);
}

static int count_call(void *arg)
{
	struct interrupted *w = arg;

	w->calls++;
	return 42;
}

static void *synchronize_waiting(void *arg)
{
	struct interrupted *w = arg;

	w->ret = ipch_synchronize(w->ipc, "L", count_call, w);
	return NULL;
}

/*
 * The handler has run once the kernel's request is gone, so a waiter
 * seen after it is the request made again.
 */
TEST_F(chan, synchronize_survives_a_signal)
{
	struct sigaction sa = { .sa_handler = count_signal };
	struct interrupted w = { .ipc = self->b, .ret = 1 };
	pthread_t thread;

	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	ASSERT_EQ(0, pthread_create(&thread, NULL, synchronize_waiting, &w));
	ASSERT_EQ(0, wait_waiters(ipch_fd(self->a), "L", 1));
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	while (!atomic_load(&signals))
		sched_yield();
	ASSERT_EQ(0, wait_waiters(ipch_fd(self->a), "L", 1));
	EXPECT_EQ(0, w.calls);

	ASSERT_EQ(0, ipch_unlock(self->a, "L"));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(42, w.ret);
	EXPECT_EQ(1, w.calls);
}

/* ---- synchronize ---- */

struct counter {
	struct ipch *ipc;
	volatile int *value;
};

/* A read-modify-write with a gap: lost updates unless serialised. */
static int increment(void *arg)
{
	volatile int *value = arg;
	int v = *value;

	sched_yield();
	*value = v + 1;
	return 0;
}

static void *count_rounds(void *arg)
{
	struct counter *c = arg;
	long bad = 0;
	int i;

	for (i = 0; i < ROUNDS; i++)
		bad += ipch_synchronize(c->ipc, "count", increment,
					(void *)c->value) != 0;
	return (void *)bad;
}

TEST_F_TIMEOUT(chan, synchronize_serialises_threads, 240)
{
	pthread_t threads[NR_WORKERS];
	volatile int value = 0;
	struct counter c = { .ipc = self->a, .value = &value };
	void *bad;
	int i;

	for (i = 0; i < NR_WORKERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, count_rounds,
					    &c));
	for (i = 0; i < NR_WORKERS; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], &bad));
		EXPECT_EQ(0, (long)bad);
	}
	EXPECT_EQ(NR_WORKERS * ROUNDS, value);
}

TEST_F_TIMEOUT(chan, synchronize_serialises_processes, 240)
{
	volatile int *value = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct counter c = { .value = value };
	pid_t pids[NR_WORKERS];
	int i, status;

	ASSERT_NE(MAP_FAILED, (void *)value);
	*value = 0;
	for (i = 0; i < NR_WORKERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			/* Each process is a peer of its own. */
			c.ipc = peer(self->name, IPCH_OPEN_NOCREATE);
			_exit(count_rounds(&c) ? 1 : 0);
		}
	}
	for (i = 0; i < NR_WORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_EQ(NR_WORKERS * ROUNDS, *value);
}

struct queued {
	struct ipch *ipc;
	int index;
	int *order;
	int *next;
	int ret;
};

static int note_turn(void *arg)
{
	struct queued *q = arg;

	q->order[(*q->next)++] = q->index;
	return 0;
}

static void *synchronize_queued(void *arg)
{
	struct queued *q = arg;

	q->ret = ipch_synchronize(q->ipc, "L", note_turn, q);
	return NULL;
}

/* Waiters proven queued one by one run in that order once it is free. */
TEST_F(chan, synchronize_runs_in_request_order)
{
	struct queued q[NR_WORKERS];
	pthread_t threads[NR_WORKERS];
	int order[NR_WORKERS], next = 0, i;

	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	for (i = 0; i < NR_WORKERS; i++) {
		q[i] = (struct queued){ .ipc = i % 2 ? self->a : self->b,
					.index = i, .order = order,
					.next = &next, .ret = 1 };
		ASSERT_EQ(0, pthread_create(&threads[i], NULL,
					    synchronize_queued, &q[i]));
		ASSERT_EQ(0, wait_waiters(ipch_fd(self->a), "L",
					  (uint32_t)i + 1));
	}
	ASSERT_EQ(0, ipch_unlock(self->a, "L"));
	for (i = 0; i < NR_WORKERS; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		EXPECT_EQ(0, q[i].ret);
	}
	ASSERT_EQ(NR_WORKERS, next);
	for (i = 0; i < NR_WORKERS; i++)
		EXPECT_EQ(i, order[i]);
}

/* ---- asynchronous locks ---- */

struct granted {
	struct ipch *ipc;
	char name[IPCHANNEL_NAME_LEN];
	uint64_t cookie;
	int calls;
};

static void on_granted(struct ipch *ipc, const char *name, uint64_t cookie,
		       void *arg)
{
	struct granted *g = arg;

	g->ipc = ipc;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->cookie = cookie;
	g->calls++;
}

static short revents(struct ipch *ipc, int timeout_ms)
{
	struct pollfd pfd = { .fd = ipch_fd(ipc), .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 ? pfd.revents : 0;
}

TEST_F(chan, async_lock_is_delivered_through_dispatch)
{
	struct ipchannel_lock_info li;
	struct granted g = { 0 };
	struct seen s = { 0 };

	ASSERT_EQ(0, ipch_on(self->b, NULL, on_other, &s));
	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	ASSERT_EQ(0, ipch_lock_async(self->b, "L", 42, on_granted, &g));
	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(1, li.nr_waiters);
	EXPECT_EQ(0, revents(self->b, 0));
	EXPECT_EQ(-EDEADLK, ipch_lock_async(self->b, "L", 42, on_granted,
					    &g));

	ASSERT_EQ(0, ipch_unlock(self->a, "L"));
	EXPECT_EQ(POLLIN, revents(self->b, WAIT_MS));
	EXPECT_EQ(0, g.calls);
	ASSERT_EQ(1, ipch_dispatch(self->b));
	EXPECT_EQ(1, g.calls);
	EXPECT_EQ(self->b, g.ipc);
	EXPECT_STREQ("L", g.name);
	EXPECT_EQ(42, g.cookie);
	EXPECT_EQ(0, s.other);	/* the grant is not the fallback's */

	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(2, li.holder);
	EXPECT_EQ(42, li.holder_cookie);
	EXPECT_EQ(0, ipch_unlock_cookie(self->b, "L", 42));
	EXPECT_EQ(0, revents(self->b, 0));
}

TEST_F(chan, async_lock_cancelled_while_pending)
{
	struct ipchannel_lock_info li;
	struct granted g = { 0 };

	ASSERT_EQ(0, ipch_lock(self->a, "L"));
	ASSERT_EQ(0, ipch_lock_async(self->b, "L", 7, on_granted, &g));
	ASSERT_EQ(0, ipch_unlock_cookie(self->b, "L", 7));
	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.nr_waiters);

	ASSERT_EQ(0, ipch_unlock(self->a, "L"));
	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.holder);
	EXPECT_EQ(0, revents(self->b, 0));
	EXPECT_EQ(0, ipch_dispatch(self->b));
	EXPECT_EQ(0, g.calls);
	EXPECT_EQ(-EPERM, ipch_unlock_cookie(self->b, "L", 7));
}

/*
 * A grant already queued when its request is released is stale: it must
 * call nothing, even behind a new request of the same owner.
 */
TEST_F(chan, async_lock_stale_grant_is_dropped)
{
	struct ipchannel_lock_info li;
	struct granted g = { 0 };
	struct ipch_msg msg;

	ASSERT_EQ(0, ipch_lock_async(self->b, "L", 7, on_granted, &g));
	ASSERT_EQ(0, ipch_unlock_cookie(self->b, "L", 7));
	ASSERT_EQ(0, ipch_lock_async(self->b, "L", 7, on_granted, &g));
	ASSERT_EQ(2, ipch_dispatch(self->b));
	EXPECT_EQ(1, g.calls);
	ASSERT_EQ(0, ipch_lock_info(self->a, "L", &li));
	EXPECT_EQ(2, li.holder);
	EXPECT_EQ(0, ipch_unlock_cookie(self->b, "L", 7));

	/* ipch_recv() skips a stale grant and returns a live one. */
	ASSERT_EQ(0, ipch_lock_async(self->b, "M", 8, on_granted, &g));
	ASSERT_EQ(0, ipch_unlock_cookie(self->b, "M", 8));
	ASSERT_EQ(0, ipch_lock_async(self->b, "M", 8, on_granted, &g));
	ASSERT_EQ(0, ipch_recv(self->b, &msg, 0));
	EXPECT_EQ(IPCHANNEL_SYS_LOCK_GRANTED, msg.type);
	EXPECT_STREQ("M", msg.event);
	EXPECT_EQ(-EAGAIN, ipch_recv(self->b, &msg, 0));
	EXPECT_EQ(1, g.calls);
	EXPECT_EQ(0, ipch_unlock_cookie(self->b, "M", 8));
}

TEST_F(chan, async_requests_beyond_the_quota_are_edquot)
{
	struct granted g = { 0 };
	long saved;

	if (geteuid() != 0)
		SKIP(return, "changing max_lock_requests needs root");
	saved = param_get(REQUESTS_PARAM);
	ASSERT_LT(0, saved);
	ASSERT_EQ(0, param_set_num(REQUESTS_PARAM, 2));
	EXPECT_EQ(0, ipch_lock_async(self->b, "A", 1, on_granted, &g));
	EXPECT_EQ(0, ipch_lock_async(self->b, "B", 1, on_granted, &g));
	EXPECT_EQ(-EDQUOT, ipch_lock_async(self->b, "C", 1, on_granted, &g));
	ASSERT_EQ(0, param_set_num(REQUESTS_PARAM, saved));
	/* The refused request left no entry: asking again works. */
	EXPECT_EQ(0, ipch_lock_async(self->b, "C", 1, on_granted, &g));
	EXPECT_EQ(3, ipch_dispatch(self->b));
	EXPECT_EQ(3, g.calls);
}

/* ---- membership ---- */

struct members {
	int connect, disconnect, other, lost;
	uint32_t peer[16];	/* ipch_msg_peer() of each "connect" */
	uint32_t pid[16];
	uint32_t sender[16];
	uint32_t left[16];	/* and of each "disconnect" */
	uint32_t left_pid[16];
};

static void on_connect(struct ipch *ipc, const struct ipch_msg *msg,
		       void *arg)
{
	struct members *m = arg;
	int i = m->connect++ & 15;

	(void)ipc;
	m->peer[i] = ipch_msg_peer(msg);
	m->pid[i] = msg->pid;
	m->sender[i] = msg->sender;
}

static void on_disconnect(struct ipch *ipc, const struct ipch_msg *msg,
			  void *arg)
{
	struct members *m = arg;
	int i = m->disconnect++ & 15;

	(void)ipc;
	m->left[i] = ipch_msg_peer(msg);
	m->left_pid[i] = msg->pid;
}

static void on_member_other(struct ipch *ipc, const struct ipch_msg *msg,
			    void *arg)
{
	struct members *m = arg;

	(void)ipc;
	m->other++;
	m->lost += msg->sender == 0 &&
		   msg->type == IPCHANNEL_SYS_MEMBERSHIP_LOST;
}

/* Runs @ipc until *@count reaches @n; -1 if a wait ends empty-handed. */
static int run_until(struct ipch *ipc, const int *count, int n)
{
	while (*count < n)
		if (ipch_run(ipc, WAIT_MS) <= 0)
			return -1;
	return 0;
}

TEST_F(chan, connect_handler_gets_every_member_then_each_join)
{
	struct members m = { 0 };
	struct ipch *c;
	pid_t child;
	int id;

	ASSERT_EQ(0, ipch_on(self->a, "connect", on_connect, &m));
	ASSERT_EQ(0, run_until(self->a, &m.connect, 2));
	EXPECT_EQ(1, m.peer[0]);
	EXPECT_EQ(2, m.peer[1]);
	EXPECT_EQ(0, m.sender[0]);
	EXPECT_EQ((uint32_t)getpid(), m.pid[1]);

	c = peer(self->name, IPCH_OPEN_NOCREATE);
	ASSERT_EQ(0, run_until(self->a, &m.connect, 3));
	EXPECT_EQ(3, m.peer[2]);

	/* The second membership handler does not subscribe again. */
	ASSERT_EQ(0, ipch_on(self->a, "disconnect", on_disconnect, &m));
	EXPECT_EQ(0, ipch_dispatch(self->a));
	ipch_close(c);
	ASSERT_EQ(0, run_until(self->a, &m.disconnect, 1));
	EXPECT_EQ(3, m.left[0]);
	EXPECT_EQ((uint32_t)getpid(), m.left_pid[0]);

	child = child_peer(self->name, NULL, &id);
	ASSERT_LT(0, child);
	ASSERT_EQ(3, id);
	ASSERT_EQ(0, run_until(self->a, &m.connect, 4));
	EXPECT_EQ(3, m.peer[3]);
	EXPECT_EQ((uint32_t)child, m.pid[3]);
	ASSERT_EQ(0, kill_and_wait(child));
	ASSERT_EQ(0, run_until(self->a, &m.disconnect, 2));
	EXPECT_EQ(3, m.left[1]);
	EXPECT_EQ((uint32_t)child, m.left_pid[1]);
	EXPECT_EQ(4, m.connect);
	EXPECT_EQ(0, m.other);
}

TEST_F(chan, peer_event_named_connect_reaches_the_same_handler)
{
	struct members m = { 0 };

	ASSERT_EQ(0, ipch_on(self->a, "connect", on_connect, &m));
	ASSERT_EQ(0, run_until(self->a, &m.connect, 2));
	ASSERT_EQ(0, ipch_emit(self->b, 1, "connect", "x", 1));
	ASSERT_EQ(0, run_until(self->a, &m.connect, 3));
	EXPECT_EQ(2, m.sender[2]);
	EXPECT_EQ(0, m.peer[2]);	/* not a membership record */
}

TEST_F(chan, subscribe_gives_records_to_recv)
{
	struct ipchannel_info info;
	struct ipch_msg msg;
	struct ipch *c;

	EXPECT_EQ(-EINVAL, ipch_subscribe(self->a, 1U << 3));
	ASSERT_EQ(0, ipch_subscribe(self->a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(0, ipch_recv(self->a, &msg, WAIT_MS));
	EXPECT_EQ(IPCHANNEL_SYS_PEER_JOINED, msg.type);
	EXPECT_EQ(1, ipch_msg_peer(&msg));
	ASSERT_EQ(0, ipch_recv(self->a, &msg, WAIT_MS));
	EXPECT_EQ(2, ipch_msg_peer(&msg));
	EXPECT_EQ(IPCHANNEL_RECV_SYSTEM, msg.flags);
	EXPECT_EQ(0, msg.sender);

	ASSERT_EQ(0, ipch_subscribe(self->a, 0));
	c = peer(self->name, IPCH_OPEN_NOCREATE);
	ASSERT_EQ(0, ipch_info(self->a, &info));
	EXPECT_EQ(0, info.queued_records);
	EXPECT_EQ(-EAGAIN, ipch_recv(self->a, &msg, 0));
	ipch_close(c);
}

/*
 * With room for four records, two members replayed and two messages fill
 * the queue, and a third peer's join becomes LOST. The dispatch that
 * takes it subscribes again: the fallback hears of the loss (and gets the
 * messages, which have no handler), and the "connect" handler gets the
 * three members once more.
 */
TEST_F(chan, lost_membership_is_renewed_by_dispatch)
{
	struct ipchannel_info info;
	struct members m = { 0 };
	struct ipch *c;
	long saved;

	if (geteuid() != 0)
		SKIP(return, "changing " QUEUE_PARAM " needs root");
	saved = param_get(QUEUE_PARAM);
	ASSERT_LT(0, saved);
	ASSERT_EQ(0, ipch_on(self->a, NULL, on_member_other, &m));
	ASSERT_EQ(0, param_set_num(QUEUE_PARAM, 4));
	ASSERT_EQ(0, ipch_on(self->a, "connect", on_connect, &m));
	ASSERT_EQ(0, ipch_send(self->b, 1, "m1", 2));
	ASSERT_EQ(0, ipch_send(self->b, 1, "m2", 2));
	c = peer(self->name, IPCH_OPEN_NOCREATE);
	ASSERT_EQ(0, param_set_num(QUEUE_PARAM, saved));
	ASSERT_EQ(0, ipch_info(self->a, &info));
	ASSERT_EQ(5, info.queued_records);

	ASSERT_EQ(0, run_until(self->a, &m.connect, 5));
	EXPECT_EQ(3, m.other);	/* the two messages, and the loss */
	EXPECT_EQ(1, m.lost);
	EXPECT_EQ(1, m.peer[2]);
	EXPECT_EQ(2, m.peer[3]);
	EXPECT_EQ(3, m.peer[4]);
	ipch_close(c);
}

TEST_HARNESS_MAIN
