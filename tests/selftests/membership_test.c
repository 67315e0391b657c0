// SPDX-License-Identifier: GPL-2.0
/*
 * membership_test.c - membership records through the raw device:
 * IPCHANNEL_IOC_SUBSCRIBE, the replay, join and leave records, and the
 * LOST record of a full queue
 *
 * Records are read one at a time with read(); "nothing more" is proven by
 * the kernel's own count of queued records, never by waiting. Only the
 * tests that shrink max_queue_records need root; they skip otherwise.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ipch_test.h"

#define QUEUE_PARAM	"max_queue_records"

static int subscribe_at(int fd, void *argp)
{
	return ioctl(fd, IPCHANNEL_IOC_SUBSCRIBE, argp) < 0 ? -errno : 0;
}

static int subscribe(int fd, uint32_t flags)
{
	return subscribe_at(fd, &flags);
}

static uint32_t queued(int fd)
{
	struct ipchannel_info info;

	return get_info(fd, &info) ? 0xffffffff : info.queued_records;
}

/* A membership record as read(), and its payload. */
struct member {
	struct ipchannel_recv hdr;
	struct ipchannel_membership m;
};

/* Reads the next record, which must be a system record; 0 or -errno. */
static int next_member(int fd, struct member *out)
{
	struct rx rx;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	n = recv_one(fd, &rx);
	if (n < 0)
		return (int)n;
	out->hdr = rx.hdr;
	if (rx.hdr.len == sizeof(out->m))
		memcpy(&out->m, rx.data, sizeof(out->m));
	return 0;
}

/* Is @r the kernel's record of @type about @peer (pid @pid)? */
static bool is_member(const struct member *r, uint16_t type, uint32_t peer,
		      pid_t pid, uint32_t nr_peers)
{
	return r->hdr.sender == IPCHANNEL_PEER_KERNEL &&
	       r->hdr.flags == IPCHANNEL_RECV_SYSTEM && r->hdr.type == type &&
	       r->hdr.event_len == 0 &&
	       r->hdr.len == sizeof(struct ipchannel_membership) &&
	       r->hdr.pid == (uint32_t)pid && r->hdr.uid == geteuid() &&
	       r->m.peer_id == peer && r->m.nr_peers == nr_peers;
}

static bool is_lost(const struct member *r)
{
	return r->hdr.sender == IPCHANNEL_PEER_KERNEL &&
	       r->hdr.flags == IPCHANNEL_RECV_SYSTEM &&
	       r->hdr.type == IPCHANNEL_SYS_MEMBERSHIP_LOST &&
	       r->hdr.len == 0 && r->hdr.event_len == 0;
}

TEST(subscribe_replays_every_peer_in_id_order_with_its_pid)
{
	const char *name = chan_name("replay");
	struct member r[3];
	int a, b, id, i;
	pid_t child;

	NEED_DEVICE();
	a = peer_open(name, 0);
	child = child_peer(name, NULL, &id);
	ASSERT_LT(0, child);
	ASSERT_EQ(2, id);
	b = peer_open(name, 0);

	ASSERT_EQ(0, subscribe(b, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(3, queued(b));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, next_member(b, &r[i]));
	EXPECT_TRUE(is_member(&r[0], IPCHANNEL_SYS_PEER_JOINED, 1, getpid(),
			      3));
	EXPECT_TRUE(is_member(&r[1], IPCHANNEL_SYS_PEER_JOINED, 2, child, 3));
	EXPECT_TRUE(is_member(&r[2], IPCHANNEL_SYS_PEER_JOINED, 3, getpid(),
			      3));
	EXPECT_LT(r[0].hdr.seq, r[1].hdr.seq);
	EXPECT_LT(r[1].hdr.seq, r[2].hdr.seq);
	EXPECT_EQ(0, queued(b));
	EXPECT_EQ(0, queued(a));	/* not subscribed: nothing */

	ASSERT_EQ(0, kill_and_wait(child));
	close(a);
	close(b);
}

TEST(join_and_close_are_records)
{
	const char *name = chan_name("joinleave");
	struct member r;
	int a, b;

	NEED_DEVICE();
	a = peer_open(name, 0);
	ASSERT_EQ(0, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, 1, getpid(), 1));

	b = peer_open(name, 0);
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, 2, getpid(), 2));
	EXPECT_EQ(0, queued(b));	/* the joiner is told nothing */
	close(b);
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_LEFT, 2, getpid(), 1));
	EXPECT_EQ(0, queued(a));
	close(a);
}

TEST(kill_of_a_child_peer_is_a_leave_record)
{
	const char *name = chan_name("killed");
	struct member r;
	pid_t child;
	int a, id;

	NEED_DEVICE();
	a = peer_open(name, 0);
	ASSERT_EQ(0, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(0, next_member(a, &r));

	child = child_peer(name, NULL, &id);
	ASSERT_LT(0, child);
	ASSERT_EQ(2, id);
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, 2, child, 2));

	ASSERT_EQ(0, kill_and_wait(child));
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_LEFT, 2, child, 1));
	EXPECT_EQ(0, queued(a));
	close(a);
}

TEST(subscribers_share_one_sequence_number_per_change)
{
	const char *name = chan_name("shared");
	struct member ra, rb;
	int a, b, c;

	NEED_DEVICE();
	a = peer_open(name, 0);
	b = peer_open(name, 0);
	ASSERT_EQ(0, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(0, subscribe(b, IPCHANNEL_SUB_MEMBERSHIP));
	while (queued(a))
		ASSERT_EQ(0, next_member(a, &ra));
	while (queued(b))
		ASSERT_EQ(0, next_member(b, &rb));

	c = peer_open(name, 0);
	ASSERT_EQ(0, next_member(a, &ra));
	ASSERT_EQ(0, next_member(b, &rb));
	EXPECT_TRUE(is_member(&ra, IPCHANNEL_SYS_PEER_JOINED, 3, getpid(), 3));
	EXPECT_EQ(0, memcmp(&ra, &rb, sizeof(ra)));
	close(a);
	close(b);
	close(c);
}

TEST(unsubscribe_stops_the_records)
{
	const char *name = chan_name("unsub");
	struct member r;
	int a, b;

	NEED_DEVICE();
	a = peer_open(name, 0);
	ASSERT_EQ(0, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(0, next_member(a, &r));
	ASSERT_EQ(0, subscribe(a, 0));
	EXPECT_EQ(0, queued(a));
	b = peer_open(name, 0);
	close(b);
	EXPECT_EQ(0, queued(a));
	close(a);
}

TEST(subscribing_again_replays_again)
{
	const char *name = chan_name("again");
	struct member r;
	int a, b;

	NEED_DEVICE();
	a = peer_open(name, 0);
	b = peer_open(name, 0);
	ASSERT_EQ(0, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(2, queued(a));
	ASSERT_EQ(0, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(4, queued(a));
	ASSERT_EQ(0, next_member(a, &r));
	ASSERT_EQ(0, next_member(a, &r));
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, 1, getpid(), 2));
	ASSERT_EQ(0, next_member(a, &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, 2, getpid(), 2));
	close(a);
	close(b);
}

TEST(subscribe_errors)
{
	const char *name = chan_name("suberr");
	void *bad = bad_mem();
	uint32_t flags = IPCHANNEL_SUB_MEMBERSHIP;
	int a = dev_open(0), b;

	NEED_DEVICE();
	ASSERT_LE(0, a);
	ASSERT_NE(NULL, bad);
	EXPECT_EQ(-ENOTCONN, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(1, join(a, name));
	EXPECT_EQ(-EINVAL, subscribe(a, 2));
	EXPECT_EQ(-EINVAL, subscribe(a, IPCHANNEL_SUB_MEMBERSHIP | 1U << 31));
	EXPECT_EQ(-EFAULT, subscribe_at(a, bad));
	EXPECT_EQ(-EFAULT, subscribe_at(a, NULL));
	/* A refused call subscribed nothing. */
	EXPECT_EQ(0, queued(a));
	b = peer_open(name, 0);
	EXPECT_EQ(0, queued(a));
	/* The argument is read, never written. */
	EXPECT_EQ(0, subscribe_at(a, &flags));
	EXPECT_EQ(IPCHANNEL_SUB_MEMBERSHIP, flags);
	close(a);
	close(b);
}

/* ---- a full queue ---- */

/* A queue of QUEUE_LIMIT records; the parameter is put back afterwards. */
#define QUEUE_LIMIT	4

FIXTURE(small_queue) {
	long saved;
	const char *name;
	int fd[7];
};

FIXTURE_SETUP(small_queue)
{
	int i;

	for (i = 0; i < 7; i++)
		self->fd[i] = -1;
	self->saved = -1;
	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "changing " QUEUE_PARAM " needs root");
	self->saved = param_get(QUEUE_PARAM);
	ASSERT_LT(0, self->saved);
	ASSERT_EQ(0, param_set_num(QUEUE_PARAM, QUEUE_LIMIT));
	self->name = chan_name("full");
}

FIXTURE_TEARDOWN(small_queue)
{
	int i;

	if (self->saved > 0)
		param_set_num(QUEUE_PARAM, self->saved);
	for (i = 0; i < 7; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

/*
 * Peer 1 subscribes (1 record), peers 2..4 join (3 more: full), peer 5's
 * join does not fit: LOST, and the subscription is over, so peer 6's join
 * is not queued at all.
 */
TEST_F(small_queue, full_queue_gets_one_lost_record_and_unsubscribes)
{
	struct member r;
	int i;

	self->fd[0] = peer_open(self->name, 0);
	ASSERT_EQ(0, subscribe(self->fd[0], IPCHANNEL_SUB_MEMBERSHIP));
	for (i = 1; i < 6; i++)
		self->fd[i] = peer_open(self->name, 0);
	ASSERT_EQ(QUEUE_LIMIT + 1, queued(self->fd[0]));

	for (i = 0; i < QUEUE_LIMIT; i++) {
		ASSERT_EQ(0, next_member(self->fd[0], &r));
		EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, i + 1,
				      getpid(), i + 1));
	}
	ASSERT_EQ(0, next_member(self->fd[0], &r));
	EXPECT_TRUE(is_lost(&r));
	EXPECT_EQ(0, queued(self->fd[0]));
	close(self->fd[5]);
	self->fd[5] = -1;
	EXPECT_EQ(0, queued(self->fd[0]));
}

TEST_F(small_queue, resubscribing_after_lost_replays_the_members)
{
	struct member r;
	int i;

	self->fd[0] = peer_open(self->name, 0);
	ASSERT_EQ(0, subscribe(self->fd[0], IPCHANNEL_SUB_MEMBERSHIP));
	for (i = 1; i < 6; i++)
		self->fd[i] = peer_open(self->name, 0);
	while (queued(self->fd[0]))
		ASSERT_EQ(0, next_member(self->fd[0], &r));
	EXPECT_TRUE(is_lost(&r));

	/* Six members do not fit in four records: the replay is cut too. */
	ASSERT_EQ(0, subscribe(self->fd[0], IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(QUEUE_LIMIT + 1, queued(self->fd[0]));
	for (i = 0; i < QUEUE_LIMIT; i++) {
		ASSERT_EQ(0, next_member(self->fd[0], &r));
		EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, i + 1,
				      getpid(), 6));
	}
	ASSERT_EQ(0, next_member(self->fd[0], &r));
	EXPECT_TRUE(is_lost(&r));

	/* With room, the replay is whole and the records go on. */
	ASSERT_EQ(0, param_set_num(QUEUE_PARAM, self->saved));
	ASSERT_EQ(0, subscribe(self->fd[0], IPCHANNEL_SUB_MEMBERSHIP));
	ASSERT_EQ(6, queued(self->fd[0]));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, next_member(self->fd[0], &r));
		EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, i + 1,
				      getpid(), 6));
	}
	self->fd[6] = peer_open(self->name, 0);
	ASSERT_EQ(0, next_member(self->fd[0], &r));
	EXPECT_TRUE(is_member(&r, IPCHANNEL_SYS_PEER_JOINED, 7, getpid(), 7));
}

TEST_F(small_queue, messages_and_membership_share_the_queue_limit)
{
	struct member r;
	struct rx rx;
	int i;

	self->fd[0] = peer_open(self->name, 0);
	self->fd[1] = peer_open(self->name, 0);
	ASSERT_EQ(0, subscribe(self->fd[0], IPCHANNEL_SUB_MEMBERSHIP));
	for (i = 0; i < QUEUE_LIMIT - 2; i++)
		ASSERT_LT(0, send_str(self->fd[1], 1, "m"));
	ASSERT_EQ(QUEUE_LIMIT, queued(self->fd[0]));
	self->fd[2] = peer_open(self->name, 0);
	ASSERT_EQ(QUEUE_LIMIT + 1, queued(self->fd[0]));
	for (i = 0; i < QUEUE_LIMIT; i++)
		ASSERT_LT(0, recv_one(self->fd[0], &rx));
	ASSERT_EQ(0, next_member(self->fd[0], &r));
	EXPECT_TRUE(is_lost(&r));
}

TEST_HARNESS_MAIN
