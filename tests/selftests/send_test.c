// SPDX-License-Identifier: GPL-2.0
/* send_test.c - unicast, events, broadcast, batches and record layout */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ipch_test.h"

/* Three peers of one channel: ids 1, 2 and 3, non-blocking. */
FIXTURE(trio) {
	int fd[4];
};

FIXTURE_SETUP(trio)
{
	const char *name = chan_name("trio");
	int i;

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	self->fd[0] = -1;
	for (i = 1; i <= 3; i++) {
		self->fd[i] = dev_open(O_NONBLOCK);
		ASSERT_EQ(i, join(self->fd[i], name));
	}
}

FIXTURE_TEARDOWN(trio)
{
	int i;

	for (i = 1; i <= 3; i++)
		if (self->fd[i] > 0)
			close(self->fd[i]);
}

static int queued(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) ? -errno : n;
}

TEST_F(trio, unicast_reaches_only_its_target)
{
	struct rx rx;

	ASSERT_EQ(24, send_str(self->fd[1], 2, "hi"));
	ASSERT_EQ(48, recv_one(self->fd[2], &rx));
	EXPECT_EQ(1, rx.hdr.seq);
	EXPECT_EQ(48, rx.hdr.size);
	EXPECT_EQ(1, rx.hdr.sender);
	EXPECT_EQ(0, rx.hdr.flags);
	EXPECT_EQ(getpid(), (pid_t)rx.hdr.pid);
	EXPECT_EQ(geteuid(), rx.hdr.uid);
	EXPECT_EQ(2, rx.hdr.len);
	EXPECT_EQ(0, rx.hdr.event_len);
	EXPECT_EQ(0, rx.hdr.type);
	EXPECT_EQ(0, rx.hdr.reserved);
	EXPECT_STREQ("hi", rx.data);

	EXPECT_EQ(-EAGAIN, recv_one(self->fd[1], &rx));
	EXPECT_EQ(-EAGAIN, recv_one(self->fd[3], &rx));
}

TEST_F(trio, record_padding_is_zeroed)
{
	unsigned char buf[256];
	struct ipchannel_recv *h = (void *)buf;
	ssize_t n;
	int i;

	ASSERT_EQ(24, send_ev(self->fd[1], 2, 0, "ev", "abc", 3));
	memset(buf, PATTERN, sizeof(buf));
	n = read(self->fd[2], buf, sizeof(buf));
	ASSERT_EQ(48, n);
	ASSERT_EQ(48, h->size);
	ASSERT_EQ(0, memcmp(buf + 40, "evabc", 5));
	for (i = 45; i < 48; i++)
		EXPECT_EQ(0, buf[i]) TH_LOG("padding byte %d", i);
	/* Nothing written past the record. */
	EXPECT_EQ(PATTERN, buf[48]);
}

TEST_F(trio, event_carries_its_name)
{
	struct rx rx;

	ASSERT_LT(0, send_ev(self->fd[3], 1, 0, "custom-event", "{}", 2));
	ASSERT_LT(0, recv_one(self->fd[1], &rx));
	EXPECT_EQ(3, rx.hdr.sender);
	EXPECT_EQ(12, rx.hdr.event_len);
	EXPECT_STREQ("custom-event", rx.event);
	EXPECT_STREQ("{}", rx.data);
}

TEST_F(trio, empty_payload_is_a_valid_message)
{
	struct rx rx;

	ASSERT_EQ(16, send_ev(self->fd[1], 2, 0, NULL, "", 0));
	ASSERT_EQ(40, recv_one(self->fd[2], &rx));
	EXPECT_EQ(0, rx.hdr.len);
	EXPECT_EQ(0, rx.hdr.event_len);
}

TEST_F(trio, send_to_self_is_allowed)
{
	struct rx rx;

	ASSERT_LT(0, send_str(self->fd[2], 2, "me"));
	ASSERT_LT(0, recv_one(self->fd[2], &rx));
	EXPECT_EQ(2, rx.hdr.sender);
}

TEST_F(trio, broadcast_reaches_everyone_including_sender)
{
	struct rx rx;
	int i;

	ASSERT_LT(0, send_str(self->fd[2], IPCHANNEL_PEER_ALL, "all"));
	for (i = 1; i <= 3; i++) {
		ASSERT_LT(0, recv_one(self->fd[i], &rx));
		EXPECT_EQ(2, rx.hdr.sender);
		EXPECT_EQ(1, rx.hdr.seq);
		EXPECT_EQ(IPCHANNEL_RECV_BROADCAST, rx.hdr.flags);
		EXPECT_STREQ("all", rx.data);
	}
}

TEST_F(trio, broadcast_noself_skips_sender)
{
	struct rx rx;

	ASSERT_LT(0, send_ev(self->fd[2], IPCHANNEL_PEER_ALL,
			     IPCHANNEL_SEND_NOSELF, "tick", "x", 1));
	EXPECT_LT(0, recv_one(self->fd[1], &rx));
	EXPECT_LT(0, recv_one(self->fd[3], &rx));
	EXPECT_EQ(-EAGAIN, recv_one(self->fd[2], &rx));
}

TEST_F(trio, batch_of_records_in_one_write)
{
	char buf[256], out[512];
	struct ipchannel_recv *h;
	size_t len = 0, off = 0;
	ssize_t n;
	int i;

	len += rec_build(buf + len, 2, 0, NULL, "one", 3);
	len += rec_build(buf + len, 3, 0, "ev", "two", 3);
	len += rec_build(buf + len, IPCHANNEL_PEER_ALL, 0, NULL, "three", 5);
	ASSERT_EQ((ssize_t)len, write(self->fd[1], buf, len));

	/* Peer 2 gets records 1 and 3 in one read, in order. */
	n = read(self->fd[2], out, sizeof(out));
	ASSERT_EQ(96, n);
	for (i = 0; off < (size_t)n; i++) {
		h = (void *)(out + off);
		EXPECT_EQ(i ? 3 : 1, h->seq);
		off += h->size;
	}
	EXPECT_EQ(2, i);
	EXPECT_EQ(2, queued(self->fd[3]) / 48);
}

TEST_F(trio, writev_record_may_span_iovecs)
{
	struct ipchannel_send s = { .target = 2, .len = 5, .event_len = 2 };
	struct iovec iov[3] = {
		{ &s, sizeof(s) }, { "ev", 2 }, { "hello\0", 6 },
	};
	struct rx rx;

	ASSERT_EQ(24, writev(self->fd[1], iov, 3));
	ASSERT_LT(0, recv_one(self->fd[2], &rx));
	EXPECT_STREQ("ev", rx.event);
	EXPECT_STREQ("hello", rx.data);
}

TEST_F(trio, padding_of_last_record_may_be_left_out)
{
	char buf[64];

	rec_build(buf, 2, 0, NULL, "abc", 3);
	ASSERT_EQ(19, write(self->fd[1], buf, 19));
	EXPECT_EQ(48, queued(self->fd[2]));
}

TEST_F(trio, bad_record_after_good_ends_the_batch)
{
	char buf[256];
	size_t len = 0, first;

	first = rec_build(buf, 2, 0, NULL, "ok", 2);
	len = first + rec_build(buf + first, 9, 0, NULL, "lost", 4);
	len += rec_build(buf + len, 2, 0, NULL, "never", 5);
	ASSERT_EQ((ssize_t)first, write(self->fd[1], buf, len));
	EXPECT_EQ(48, queued(self->fd[2]));

	/* Writing the rest again names the error. */
	ASSERT_EQ(-1, write(self->fd[1], buf + first, len - first));
	ASSERT_EQ(ENXIO, errno);
	EXPECT_EQ(48, queued(self->fd[2]));
}

/* Invalid send records: each gets its own errno and changes nothing. */
FIXTURE(bad) {
	int fd[3];
};

FIXTURE_VARIANT(bad) {
	uint32_t target;
	uint32_t flags;
	uint16_t event_len;
	uint16_t reserved;
	uint32_t len;
	const char *event;
	int count;		/* bytes to write; 0: the whole record */
	int err;
};

FIXTURE_VARIANT_ADD(bad, unknown_flag) {
	.target = 2, .flags = 1U << 5, .len = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, reserved_not_zero) {
	.target = 2, .reserved = 1, .len = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, target_zero) {
	.target = 0, .len = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, noself_on_unicast) {
	.target = 2, .flags = IPCHANNEL_SEND_NOSELF, .len = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, unknown_target) {
	.target = 3, .len = 1, .err = ENXIO,
};

FIXTURE_VARIANT_ADD(bad, highest_target) {
	.target = IPCHANNEL_PEER_ALL - 1, .len = 1, .err = ENXIO,
};

FIXTURE_VARIANT_ADD(bad, event_name_too_long) {
	.target = 2, .event_len = 64, .len = 1, .err = ENAMETOOLONG,
};

FIXTURE_VARIANT_ADD(bad, event_name_with_space) {
	.target = 2, .event = "a b", .event_len = 3, .len = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, event_name_with_nul) {
	.target = 2, .event = "a\0b", .event_len = 3, .len = 1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, payload_too_big) {
	.target = 2, .len = 0x7fffffff, .count = 64, .err = EMSGSIZE,
};

FIXTURE_VARIANT_ADD(bad, shorter_than_header) {
	.target = 2, .len = 1, .count = 15, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, shorter_than_payload) {
	.target = 2, .len = 40, .count = 40, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, shorter_than_event_name) {
	.target = 2, .event = "abcdefgh", .event_len = 8, .count = 20,
	.err = EINVAL,
};

FIXTURE_SETUP(bad)
{
	const char *name = chan_name("bad");

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	self->fd[1] = dev_open(O_NONBLOCK);
	self->fd[2] = dev_open(O_NONBLOCK);
	ASSERT_EQ(1, join(self->fd[1], name));
	ASSERT_EQ(2, join(self->fd[2], name));
}

FIXTURE_TEARDOWN(bad)
{
	close(self->fd[1]);
	close(self->fd[2]);
}

TEST_F(bad, record_is_refused_and_nothing_is_queued)
{
	struct ipchannel_send *s;
	struct ipchannel_info before, after;
	char buf[256];
	size_t count;

	memset(buf, 'p', sizeof(buf));
	s = (void *)buf;
	s->target = variant->target;
	s->flags = variant->flags;
	s->event_len = variant->event_len;
	s->reserved = variant->reserved;
	s->len = variant->len;
	if (variant->event)
		memcpy(buf + sizeof(*s), variant->event, variant->event_len);
	count = variant->count ? (size_t)variant->count :
		sizeof(*s) + variant->event_len + variant->len;

	ASSERT_EQ(0, get_info(self->fd[1], &before));
	ASSERT_EQ(-1, write(self->fd[1], buf, count));
	ASSERT_EQ(variant->err, errno);
	ASSERT_EQ(0, get_info(self->fd[1], &after));
	EXPECT_EQ(before.next_seq, after.next_seq);
	EXPECT_EQ(0, queued(self->fd[1]));
	EXPECT_EQ(0, queued(self->fd[2]));
}

TEST(unreadable_send_buffer_is_efault)
{
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join(fd, chan_name("efault")));
	ASSERT_EQ(-1, write(fd, bad_mem(), 64));
	ASSERT_EQ(EFAULT, errno);
	close(fd);
}

TEST(payload_outside_user_memory_is_efault)
{
	struct ipchannel_send s = { .target = 1, .len = 100 };
	struct iovec iov[2] = { { &s, sizeof(s) }, { bad_mem(), 100 } };
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join(fd, chan_name("efault2")));
	ASSERT_EQ(-1, writev(fd, iov, 2));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, queued(fd));
	close(fd);
}

TEST_F(trio, short_buffer_is_emsgsize_and_record_stays)
{
	struct ipchannel_info info;
	char buf[64];
	struct rx rx;

	ASSERT_LT(0, send_str(self->fd[1], 2, "stay"));
	memset(buf, PATTERN, sizeof(buf));
	ASSERT_EQ(-1, read(self->fd[2], buf, 47));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, get_info(self->fd[2], &info));
	EXPECT_EQ(48, info.next_size);
	EXPECT_EQ(1, info.queued_records);
	EXPECT_EQ(48, info.queued_bytes);
	EXPECT_EQ(48, queued(self->fd[2]));
	ASSERT_EQ(48, recv_one(self->fd[2], &rx));
	EXPECT_STREQ("stay", rx.data);
}

TEST_F(trio, read_returns_as_many_whole_records_as_fit)
{
	char buf[100];
	struct rx rx;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_LT(0, send_str(self->fd[1], 2, "rec"));
	EXPECT_EQ(144, queued(self->fd[2]));
	ASSERT_EQ(96, read(self->fd[2], buf, sizeof(buf)));
	ASSERT_EQ(48, recv_one(self->fd[2], &rx));
	EXPECT_EQ(3, rx.hdr.seq);
	EXPECT_EQ(0, queued(self->fd[2]));
}

TEST_F(trio, zero_length_read_returns_zero)
{
	char buf[1];

	ASSERT_LT(0, send_str(self->fd[1], 2, "x"));
	ASSERT_EQ(0, read(self->fd[2], buf, 0));
	EXPECT_EQ(48, queued(self->fd[2]));
}

TEST_F(trio, unwritable_read_buffer_is_efault_and_record_stays)
{
	struct rx rx;

	ASSERT_LT(0, send_str(self->fd[1], 2, "kept"));
	ASSERT_EQ(-1, read(self->fd[2], bad_mem(), 4096));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(48, recv_one(self->fd[2], &rx));
	EXPECT_STREQ("kept", rx.data);
}

TEST_F(trio, nonblocking_read_of_empty_queue_is_eagain)
{
	char buf[128];

	ASSERT_EQ(-1, read(self->fd[1], buf, sizeof(buf)));
	ASSERT_EQ(EAGAIN, errno);
}

TEST(rwf_nowait_makes_one_call_nonblocking)
{
	const char *name = chan_name("nowait");
	int a = dev_open(0), b = dev_open(0);
	struct iovec iov;
	char buf[128];
	size_t len;

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	ASSERT_EQ(-1, preadv2(b, &iov, 1, -1, RWF_NOWAIT));
	ASSERT_EQ(EAGAIN, errno);

	/* Fill b's queue, then a blocking file refuses to wait. */
	len = rec_build(buf, 2, 0, NULL, "x", 1);
	iov.iov_len = len;
	while (pwritev2(a, &iov, 1, -1, RWF_NOWAIT) == (ssize_t)len)
		;
	ASSERT_EQ(EAGAIN, errno);
	iov.iov_len = 48;
	ASSERT_EQ(48, preadv2(b, &iov, 1, -1, RWF_NOWAIT));
	close(a);
	close(b);
}

TEST_F(trio, poll_reports_readable_only_when_queued)
{
	struct pollfd pfd = { .fd = self->fd[2], .events = POLLIN | POLLOUT };
	struct rx rx;

	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_LT(0, send_str(self->fd[1], 2, "x"));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
	ASSERT_LT(0, recv_one(self->fd[2], &rx));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
}

TEST_F(trio, epoll_wakes_when_a_record_arrives)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
	int ep = epoll_create1(0);

	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd[3], &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_LT(0, send_str(self->fd[1], 3, "wake"));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, -1));
	EXPECT_EQ(7, ev.data.u32);
	EXPECT_EQ(EPOLLIN, ev.events);
	close(ep);
}

static void *reader(void *arg)
{
	static char buf[128];
	int fd = *(int *)arg;

	/* A plain blocking read(), not recv_one(), which polls first. */
	return read(fd, buf, sizeof(buf)) == 48 ? buf + 40 : NULL;
}

TEST(blocking_read_waits_for_a_record)
{
	const char *name = chan_name("block");
	int a = dev_open(0), b = dev_open(0);
	pthread_t t;
	void *ret;

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(2, join(b, name));
	ASSERT_EQ(0, pthread_create(&t, NULL, reader, &b));
	ASSERT_LT(0, send_str(a, 2, "late"));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_NE(NULL, ret);
	EXPECT_STREQ("late", (char *)ret);
	close(a);
	close(b);
}

TEST(sender_uid_and_pid_are_stamped_by_the_kernel)
{
	const char *name = chan_name("creds");
	int fd = dev_open(0), status;
	struct rx rx;
	pid_t pid;

	NEED_DEVICE();
	if (geteuid() != 0)
		SKIP(return, "needs root to send as another uid");
	ASSERT_EQ(1, join_mode(fd, name, IPCHANNEL_JOIN_CREATE, 0666));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int c;

		if (setgroups(0, NULL) || setresgid(1234, 1234, 1234) ||
		    setresuid(1234, 1234, 1234))
			_exit(1);
		c = dev_open(0);
		_exit(join_mode(c, name, IPCHANNEL_JOIN_SHARED, 0) == 2 &&
		      send_str(c, 1, "u") > 0 ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, recv_one(fd, &rx));
	EXPECT_EQ(2, rx.hdr.sender);
	EXPECT_EQ(1234, rx.hdr.uid);
	EXPECT_EQ(pid, (pid_t)rx.hdr.pid);
	close(fd);
}

TEST_HARNESS_MAIN
