// SPDX-License-Identifier: GPL-2.0
/* lock_test.c - fair named locks: grants, order, errors, owner death */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ipch_test.h"

/* Two peers of one channel, 1 and 2, and the lock name "L". */
FIXTURE(pair) {
	int a, b;
};

FIXTURE_SETUP(pair)
{
	const char *name = chan_name("lock");

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	self->a = dev_open(O_NONBLOCK);
	self->b = dev_open(O_NONBLOCK);
	ASSERT_EQ(1, join(self->a, name));
	ASSERT_EQ(2, join(self->b, name));
}

FIXTURE_TEARDOWN(pair)
{
	close(self->a);
	close(self->b);
}

TEST_F(pair, lock_is_held_until_unlock)
{
	struct ipchannel_lock_info li;
	uint64_t before = mono_ns();

	ASSERT_EQ(0, lock(self->a, "L", 7));
	ASSERT_EQ(0, lock_info(self->b, "L", &li));
	EXPECT_STREQ("L", li.name);
	EXPECT_EQ(1, li.holder);
	EXPECT_EQ(7, li.holder_cookie);
	EXPECT_LE(before, li.held_since_ns);
	EXPECT_GE(mono_ns(), li.held_since_ns);
	EXPECT_EQ(0, li.nr_waiters);

	ASSERT_EQ(0, unlock(self->a, "L", 7));
	ASSERT_EQ(0, lock_info(self->b, "L", &li));
	EXPECT_EQ(0, li.holder);
	EXPECT_EQ(0, li.holder_cookie);
	EXPECT_EQ(0, li.held_since_ns);
	EXPECT_EQ(0, li.nr_waiters);
}

TEST_F(pair, try_on_held_lock_is_eagain)
{
	const uint32_t try = IPCHANNEL_LOCK_TRY;

	ASSERT_EQ(0, lock_call(self->a, IPCHANNEL_IOC_LOCK, "L", 1, 0, try));
	EXPECT_EQ(-EAGAIN, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 1, 0,
				     try));
	EXPECT_EQ(-EAGAIN, lock_call(self->a, IPCHANNEL_IOC_LOCK, "L", 2, 0,
				     try));
	ASSERT_EQ(0, unlock(self->a, "L", 1));
	EXPECT_EQ(0, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 1, 0, try));
}

TEST_F(pair, same_owner_again_is_edeadlk)
{
	ASSERT_EQ(0, lock(self->a, "L", 1));
	EXPECT_EQ(-EDEADLK, lock(self->a, "L", 1));
	EXPECT_EQ(-EDEADLK, lock_call(self->a, IPCHANNEL_IOC_LOCK, "L", 1, 0,
				      IPCHANNEL_LOCK_TRY));
	/* Another lock of the same owner is fine. */
	EXPECT_EQ(0, lock(self->a, "M", 1));
}

TEST_F(pair, unlock_by_non_owner_is_eperm)
{
	struct ipchannel_lock_info li;

	ASSERT_EQ(0, lock(self->a, "L", 1));
	EXPECT_EQ(-EPERM, unlock(self->b, "L", 1));
	EXPECT_EQ(-EPERM, unlock(self->a, "L", 2));
	EXPECT_EQ(-EPERM, unlock(self->a, "free", 1));
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(1, li.holder);
	EXPECT_EQ(0, unlock(self->a, "L", 1));
	EXPECT_EQ(-EPERM, unlock(self->a, "L", 1));
}

TEST_F(pair, deadline_passed_is_etimedout_and_leaves_no_request)
{
	struct ipchannel_lock_info li;
	uint64_t deadline;

	ASSERT_EQ(0, lock(self->a, "L", 1));
	/* A deadline already gone fails at once. */
	EXPECT_EQ(-ETIMEDOUT, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 1,
					mono_ns() - 1, 0));
	/* A deadline ahead is waited for, and never returned early. */
	deadline = mono_ns() + 20 * 1000 * 1000;
	EXPECT_EQ(-ETIMEDOUT, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 1,
					deadline, 0));
	EXPECT_LE(deadline, mono_ns());
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.nr_waiters);
	EXPECT_EQ(1, li.holder);
}

TEST_F(pair, deadline_passed_on_free_lock_still_grants)
{
	EXPECT_EQ(0, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 1, 1, 0));
}

TEST_F(pair, async_grant_of_free_lock_arrives_as_system_record)
{
	struct pollfd pfd = { .fd = self->b, .events = POLLIN };
	uint64_t cookie = 0x1122334455667788ULL;
	struct rx rx;

	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, lock_call(self->b, IPCHANNEL_IOC_LOCK, "job/42", cookie,
			       0, IPCHANNEL_LOCK_ASYNC));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(56, recv_one(self->b, &rx));
	EXPECT_EQ(0, rx.hdr.sender);
	EXPECT_EQ(IPCHANNEL_RECV_SYSTEM, rx.hdr.flags);
	EXPECT_EQ(IPCHANNEL_SYS_LOCK_GRANTED, rx.hdr.type);
	EXPECT_EQ(0, rx.hdr.pid);
	EXPECT_STREQ("job/42", rx.event);
	EXPECT_EQ(8, rx.hdr.len);
	EXPECT_EQ(0, memcmp(rx.data, &cookie, 8));
	EXPECT_EQ(0, unlock(self->b, "job/42", cookie));
}

TEST_F(pair, async_grant_arrives_when_holder_unlocks)
{
	struct pollfd pfd = { .fd = self->b, .events = POLLIN };
	struct ipchannel_lock_info li;
	struct rx rx;

	ASSERT_EQ(0, lock(self->a, "L", 1));
	ASSERT_EQ(0, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 9, 0,
			       IPCHANNEL_LOCK_ASYNC));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(1, li.nr_waiters);
	/* A pending request of the same owner is a deadlock too. */
	EXPECT_EQ(-EDEADLK, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 9, 0,
				      IPCHANNEL_LOCK_ASYNC));

	ASSERT_EQ(0, unlock(self->a, "L", 1));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_LT(0, recv_one(self->b, &rx));
	EXPECT_EQ(IPCHANNEL_SYS_LOCK_GRANTED, rx.hdr.type);
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(2, li.holder);
	EXPECT_EQ(9, li.holder_cookie);
}

TEST_F(pair, unlock_of_pending_async_request_cancels_it)
{
	struct ipchannel_lock_info li;
	int n = -1;

	ASSERT_EQ(0, lock(self->a, "L", 1));
	ASSERT_EQ(0, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 9, 0,
			       IPCHANNEL_LOCK_ASYNC));
	ASSERT_EQ(0, unlock(self->b, "L", 9));
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.nr_waiters);
	ASSERT_EQ(0, unlock(self->a, "L", 1));
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.holder);
	ASSERT_EQ(0, ioctl(self->b, FIONREAD, &n));
	EXPECT_EQ(0, n);
}

TEST_F(pair, release_hands_the_lock_to_the_next_waiter_directly)
{
	struct ipchannel_lock_info li;

	ASSERT_EQ(0, lock(self->a, "L", 1));
	ASSERT_EQ(0, lock_call(self->b, IPCHANNEL_IOC_LOCK, "L", 2, 0,
			       IPCHANNEL_LOCK_ASYNC));
	ASSERT_EQ(0, unlock(self->a, "L", 1));
	/* No barging: the releaser cannot take it back in between. */
	EXPECT_EQ(-EAGAIN, lock_call(self->a, IPCHANNEL_IOC_LOCK, "L", 1, 0,
				     IPCHANNEL_LOCK_TRY));
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(2, li.holder);
}

TEST_F(pair, locks_of_other_channels_are_separate)
{
	int c = dev_open(0);

	ASSERT_EQ(1, join(c, chan_name("elsewhere")));
	ASSERT_EQ(0, lock(self->a, "L", 1));
	EXPECT_EQ(0, lock_call(c, IPCHANNEL_IOC_LOCK, "L", 1, 0,
			       IPCHANNEL_LOCK_TRY));
	close(c);
}

/* Invalid lock calls: each has its own errno and changes nothing. */
FIXTURE(badlock) {
	int fd;
};

FIXTURE_VARIANT(badlock) {
	unsigned long cmd;
	const char *name;
	uint32_t flags;
	uint64_t deadline_ns;
	uint32_t reserved;
	int err;
};

FIXTURE_VARIANT_ADD(badlock, empty_name) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = "", .err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, name_with_space) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = "a b", .err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, name_without_nul) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = NULL, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, unknown_flag) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = "L", .flags = 1U << 4,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, try_and_async) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = "L",
	.flags = IPCHANNEL_LOCK_TRY | IPCHANNEL_LOCK_ASYNC, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, async_with_deadline) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = "L",
	.flags = IPCHANNEL_LOCK_ASYNC, .deadline_ns = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, reserved_not_zero) {
	.cmd = IPCHANNEL_IOC_LOCK, .name = "L", .reserved = 1,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, unlock_with_flags) {
	.cmd = IPCHANNEL_IOC_UNLOCK, .name = "L",
	.flags = IPCHANNEL_LOCK_TRY, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, unlock_with_deadline) {
	.cmd = IPCHANNEL_IOC_UNLOCK, .name = "L", .deadline_ns = 5,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(badlock, unlock_bad_name) {
	.cmd = IPCHANNEL_IOC_UNLOCK, .name = "", .err = EINVAL,
};

FIXTURE_SETUP(badlock)
{
	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	self->fd = dev_open(0);
	ASSERT_EQ(1, join(self->fd, chan_name("badlock")));
}

FIXTURE_TEARDOWN(badlock)
{
	close(self->fd);
}

TEST_F(badlock, call_is_refused_and_changes_nothing)
{
	struct ipchannel_lock_info li;
	struct ipchannel_lock l;
	struct ipchannel_stats st;

	memset(&l, 0, sizeof(l));
	if (variant->name)
		strcpy(l.name, variant->name);
	else
		memset(l.name, 'n', sizeof(l.name));
	l.flags = variant->flags;
	l.deadline_ns = variant->deadline_ns;
	l.reserved = variant->reserved;
	l.cookie = 1;

	ASSERT_EQ(-1, ioctl(self->fd, variant->cmd, &l));
	ASSERT_EQ(variant->err, errno);
	ASSERT_EQ(0, lock_info(self->fd, "L", &li));
	EXPECT_EQ(0, li.holder);
	if (geteuid() == 0) {
		ASSERT_EQ(0, get_stats(&st));
		EXPECT_EQ(0, st.locks);
		EXPECT_EQ(0, st.lock_waiters);
	}
}

TEST(lock_calls_before_join_are_enotconn)
{
	struct ipchannel_lock_info li;
	int fd = dev_open(0);

	NEED_DEVICE();
	EXPECT_EQ(-ENOTCONN, lock(fd, "L", 1));
	EXPECT_EQ(-ENOTCONN, unlock(fd, "L", 1));
	EXPECT_EQ(-ENOTCONN, lock_info(fd, "L", &li));
	close(fd);
}

TEST(lock_info_checks_its_name_and_pointer)
{
	struct ipchannel_lock_info li;
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join(fd, chan_name("li")));
	EXPECT_EQ(-EINVAL, lock_info(fd, "", &li));
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_LOCK_INFO, bad_mem()));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_LOCK, bad_mem()));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

/* A thread that waits for a lock on a blocking file. */
struct waiter {
	int fd;
	const char *name;
	uint64_t cookie;
	uint64_t deadline;
	int ret;
	atomic_int done;
	pthread_t thread;
};

static void *wait_lock(void *arg)
{
	struct waiter *w = arg;

	w->ret = lock_call(w->fd, IPCHANNEL_IOC_LOCK, w->name, w->cookie,
			   w->deadline, 0);
	atomic_store(&w->done, 1);
	return NULL;
}

TEST_F(pair, signal_is_eintr_and_takes_the_request_out)
{
	struct waiter w = { .name = "L", .cookie = 5 };
	struct ipchannel_lock_info li;

	catch_sigusr1(0);
	w.fd = dev_open(0);
	ASSERT_EQ(3, join(w.fd, chan_name("lock")));
	ASSERT_EQ(0, lock(self->a, "L", 1));
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, wait_lock, &w));
	ASSERT_EQ(0, wait_waiters(self->a, "L", 1));
	ASSERT_EQ(0, pthread_kill(w.thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(w.thread, NULL));
	EXPECT_EQ(-EINTR, w.ret);
	ASSERT_EQ(0, lock_info(self->a, "L", &li));
	EXPECT_EQ(0, li.nr_waiters);
	EXPECT_EQ(1, li.holder);
	close(w.fd);
}

TEST_F(pair, deadline_beyond_ktime_range_waits_like_none)
{
	struct waiter w = { .name = "L", .cookie = 5, .deadline = UINT64_MAX };

	w.fd = dev_open(0);
	ASSERT_EQ(3, join(w.fd, chan_name("lock")));
	ASSERT_EQ(0, lock(self->a, "L", 1));
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, wait_lock, &w));
	/* Queued and waiting, not timed out at once. */
	ASSERT_EQ(0, wait_waiters(self->a, "L", 1));
	ASSERT_EQ(0, unlock(self->a, "L", 1));
	ASSERT_EQ(0, pthread_join(w.thread, NULL));
	EXPECT_EQ(0, w.ret);
	close(w.fd);
}

TEST_F(pair, restart_after_signal_keeps_the_deadline)
{
	struct waiter w = { .name = "L", .cookie = 5 };
	long signals = 0;

	/* SA_RESTART: the kernel restarts the call after each signal. */
	catch_sigusr1(SA_RESTART);
	w.fd = dev_open(0);
	ASSERT_EQ(3, join(w.fd, chan_name("lock")));
	ASSERT_EQ(0, lock(self->a, "L", 1));
	w.deadline = mono_ns() + 100 * 1000 * 1000;
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, wait_lock, &w));
	/*
	 * A stream of signals: were each restart to wait a fresh interval,
	 * the call would never end and the harness would time it out.
	 */
	while (!atomic_load(&w.done)) {
		pthread_kill(w.thread, SIGUSR1);
		signals++;
		sched_yield();
	}
	ASSERT_EQ(0, pthread_join(w.thread, NULL));
	EXPECT_EQ(-ETIMEDOUT, w.ret);
	EXPECT_LE(w.deadline, mono_ns());
	TH_LOG("%ld signals during the wait", signals);
	close(w.fd);
}

/*
 * Child @i of an order test: joins, asks for lock "L" (blocking) and, once
 * granted, writes its index to @out and unlocks. Exits 0 on success.
 */
static void order_child(const char *chan, int i, int out)
{
	int fd = dev_open(0);
	char c = '0' + i;

	if (join(fd, chan) < 0 || lock(fd, "L", 1))
		_exit(1);
	if (write(out, &c, 1) != 1)
		_exit(2);
	_exit(unlock(fd, "L", 1) ? 3 : 0);
}

TEST(grants_follow_request_order_across_processes)
{
	const char *chan = chan_name("fifo");
	int holder = dev_open(0), pipefd[2], i, status;
	char got[8] = "";
	pid_t pid[5];

	NEED_DEVICE();
	ASSERT_EQ(1, join(holder, chan));
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, lock(holder, "L", 1));
	for (i = 0; i < 5; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			order_child(chan, i, pipefd[1]);
		/* Each child is queued before the next one asks. */
		ASSERT_EQ(0, wait_waiters(holder, "L", i + 1));
	}
	ASSERT_EQ(0, unlock(holder, "L", 1));
	ASSERT_EQ(5, read_all(pipefd[0], got, 5));
	EXPECT_STREQ("01234", got);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	close(holder);
}

struct ordered {
	struct waiter w;
	int *log;
	atomic_int *pos;
};

static void *ordered_thread(void *arg)
{
	struct ordered *o = arg;

	o->w.ret = lock(o->w.fd, o->w.name, o->w.cookie);
	if (!o->w.ret) {
		o->log[atomic_fetch_add(o->pos, 1)] = o->w.cookie;
		o->w.ret = unlock(o->w.fd, o->w.name, o->w.cookie);
	}
	return NULL;
}

TEST(threads_of_one_peer_are_served_in_request_order)
{
	int fd = dev_open(0), log[6] = { 0 }, i;
	struct ordered th[6];
	atomic_int pos = 0;

	NEED_DEVICE();
	ASSERT_EQ(1, join(fd, chan_name("threads")));
	/* The main thread holds it with cookie 100; threads use 1..6. */
	ASSERT_EQ(0, lock(fd, "L", 100));
	for (i = 0; i < 6; i++) {
		th[i] = (struct ordered){
			.w = { .fd = fd, .name = "L", .cookie = i + 1 },
			.log = log, .pos = &pos,
		};
		ASSERT_EQ(0, pthread_create(&th[i].w.thread, NULL,
					    ordered_thread, &th[i]));
		ASSERT_EQ(0, wait_waiters(fd, "L", i + 1));
	}
	ASSERT_EQ(0, unlock(fd, "L", 100));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, pthread_join(th[i].w.thread, NULL));
		EXPECT_EQ(0, th[i].w.ret);
		EXPECT_EQ(i + 1, log[i]);
	}
}

TEST(kill_of_holder_passes_lock_to_waiters_in_order)
{
	const char *chan = chan_name("kill");
	int watch = dev_open(0), pipefd[2], ready[2], i, status;
	char got[8] = "", c;
	pid_t holder, pid[3];

	NEED_DEVICE();
	ASSERT_EQ(1, join(watch, chan));
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, pipe(ready));
	holder = fork();
	ASSERT_GE(holder, 0);
	if (holder == 0) {
		int fd = dev_open(0);

		if (join(fd, chan) < 0 || lock(fd, "L", 1))
			_exit(1);
		c = 'h';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			order_child(chan, i, pipefd[1]);
		ASSERT_EQ(0, wait_waiters(watch, "L", i + 1));
	}

	ASSERT_EQ(0, kill(holder, SIGKILL));
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
	ASSERT_EQ(3, read_all(pipefd[0], got, 3));
	EXPECT_STREQ("012", got);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	close(watch);
}

/* Adds 1 to the number in @path @n times, each time under lock "count". */
static int add_under_lock(const char *chan, const char *path, int n)
{
	int fd = dev_open(0), file, i;
	long value;
	char buf[32];
	ssize_t len;

	if (join(fd, chan) < 0)
		return 1;
	file = open(path, O_RDWR);
	if (file < 0)
		return 2;
	for (i = 0; i < n; i++) {
		if (lock(fd, "count", gettid()))
			return 3;
		len = pread(file, buf, sizeof(buf) - 1, 0);
		if (len < 0)
			return 4;
		buf[len] = '\0';
		value = strtol(buf, NULL, 10);
		/* Give a racing writer every chance to step in. */
		sched_yield();
		len = snprintf(buf, sizeof(buf), "%ld\n", value + 1);
		if (pwrite(file, buf, len, 0) != len)
			return 5;
		if (unlock(fd, "count", gettid()))
			return 6;
	}
	return 0;
}

TEST_F_TIMEOUT(pair, eight_processes_count_exactly_under_the_lock, 600)
{
	char path[] = "/tmp/ipch-count-XXXXXX", buf[32] = "";
	const char *chan = chan_name("lock");
	int file = mkstemp(path), i, status;
	pid_t pid[8];

	ASSERT_GE(file, 0);
	ASSERT_EQ(2, write(file, "0\n", 2));
	for (i = 0; i < 8; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			_exit(add_under_lock(chan, path, 1000));
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	ASSERT_LT(0, pread(file, buf, sizeof(buf) - 1, 0));
	EXPECT_EQ(8000, strtol(buf, NULL, 10));
	close(file);
	unlink(path);
}

FIXTURE(root) {
	int fd;
};

FIXTURE_SETUP(root)
{
	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root for the counters and parameters");
	self->fd = dev_open(0);
	ASSERT_EQ(1, join(self->fd, chan_name("root")));
}

FIXTURE_TEARDOWN(root)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Child of the kill cycles: holds "mine", waits for "theirs". */
static void holder_and_waiter(const char *chan)
{
	int fd = dev_open(0);

	if (join(fd, chan) < 0 || lock(fd, "mine", 1) ||
	    lock_call(fd, IPCHANNEL_IOC_LOCK, "async", 2, 0,
		      IPCHANNEL_LOCK_ASYNC))
		_exit(1);
	lock(fd, "theirs", 3);
	_exit(2);
}

TEST_F_TIMEOUT(root, thousand_kills_while_holding_and_waiting_leak_nothing,
	       600)
{
	const char *chan = chan_name("root");
	struct ipchannel_lock_info li;
	struct ipchannel_stats st;
	int i, status;
	pid_t pid;

	ASSERT_EQ(0, lock(self->fd, "theirs", 1));
	ASSERT_EQ(0, lock(self->fd, "async", 1));
	for (i = 0; i < 1000; i++) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0)
			holder_and_waiter(chan);
		ASSERT_EQ(0, wait_waiters(self->fd, "theirs", 1));
		ASSERT_EQ(0, lock_info(self->fd, "mine", &li));
		ASSERT_EQ(2, li.holder);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
		ASSERT_EQ(0, lock_info(self->fd, "mine", &li));
		ASSERT_EQ(0, li.holder);
		ASSERT_EQ(0, lock_info(self->fd, "async", &li));
		ASSERT_EQ(0, li.nr_waiters);
	}
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(2, st.locks);
	EXPECT_EQ(2, st.lock_waiters);
	EXPECT_EQ(1, st.peers);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(0, st.locks);
	EXPECT_EQ(0, st.lock_waiters);
	EXPECT_EQ(0, st.peers);
	EXPECT_EQ(0, st.channels);
	EXPECT_EQ(0, st.messages);
	EXPECT_EQ(0, st.records);
}

TEST_F(root, lock_limits_are_enforced)
{
	EXPECT_EQ(-EINVAL, param_set("max_locks", "0"));
	EXPECT_EQ(-EINVAL, param_set("max_lock_requests", "65537"));

	ASSERT_EQ(0, param_set("max_lock_requests", "2"));
	EXPECT_EQ(0, lock(self->fd, "a", 1));
	EXPECT_EQ(0, lock(self->fd, "b", 1));
	EXPECT_EQ(-EDQUOT, lock(self->fd, "c", 1));
	ASSERT_EQ(0, param_set("max_lock_requests", "256"));

	ASSERT_EQ(0, param_set("max_locks", "3"));
	EXPECT_EQ(0, lock(self->fd, "c", 1));
	EXPECT_EQ(-ENOSPC, lock(self->fd, "d", 1));
	ASSERT_EQ(0, param_set("max_locks", "1024"));
	EXPECT_EQ(0, lock(self->fd, "d", 1));
}

TEST_HARNESS_MAIN
