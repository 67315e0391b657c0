// SPDX-License-Identifier: GPL-2.0
/* scale_test.c - thousands of peers in one channel: join, deliver, leave */
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ipch_test.h"

/* Peers of one test; the default hard RLIMIT_NOFILE (4096) allows them. */
#define MANY		4000
#define CHURN_ROUNDS	2000
#define CHURNERS	2

/*
 * Raises the soft limit on open files to @n plus a margin; false if the
 * hard limit is lower (then the test is skipped, with that reason).
 */
static bool files_allowed(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return false;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n + 64)
		return false;
	rl.rlim_cur = n + 64;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* As root: no peer, channel, record or message of the module is left. */
static void nothing_left(struct __test_metadata *_metadata)
{
	struct ipchannel_stats st;

	if (geteuid() != 0)
		return;
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(0, st.peers);
	EXPECT_EQ(0, st.channels);
	EXPECT_EQ(0, st.records);
	EXPECT_EQ(0, st.messages);
}

/* Drains @fd, which must hold exactly one record: the broadcast. */
static int read_broadcast(int fd, uint32_t sender)
{
	struct rx rx;

	if (recv_one(fd, &rx) < 0)
		return -1;
	if (rx.hdr.sender != sender ||
	    !(rx.hdr.flags & IPCHANNEL_RECV_BROADCAST) ||
	    rx.hdr.len != 5 || memcmp(rx.data, "hello", 5))
		return -1;
	return recv_one(fd, &rx) == -EAGAIN ? 0 : -1;
}

TEST(thousands_of_peers_join_get_a_broadcast_and_leave)
{
	const char *name = chan_name("many");
	struct ipchannel_info info;
	static int fd[MANY];
	int i, id, bad = 0;

	NEED_DEVICE();
	if (!files_allowed(MANY))
		SKIP(return, "RLIMIT_NOFILE's hard limit is below %d", MANY);

	/* Every join gets the next id, 1 to MANY. */
	for (i = 0; i < MANY; i++) {
		fd[i] = dev_open(O_NONBLOCK);
		ASSERT_GE(fd[i], 0);
		id = join(fd[i], name);
		if (id != i + 1)
			TH_LOG("join %d gave %d", i + 1, id);
		ASSERT_EQ(i + 1, id);
	}
	ASSERT_EQ(0, get_info(fd[0], &info));
	EXPECT_EQ(MANY, info.nr_peers);

	/* One broadcast reaches every other peer exactly once. */
	ASSERT_LT(0, send_ev(fd[0], IPCHANNEL_PEER_ALL, IPCHANNEL_SEND_NOSELF,
			     NULL, "hello", 5));
	ASSERT_EQ(0, get_info(fd[0], &info));
	EXPECT_EQ(0, info.queued_records);
	for (i = 1; i < MANY; i++)
		bad += read_broadcast(fd[i], 1) != 0;
	EXPECT_EQ(0, bad);

	/* Half leave; their ids come back lowest first. */
	for (i = 1; i < MANY; i += 2)
		close(fd[i]);
	ASSERT_EQ(0, get_info(fd[0], &info));
	EXPECT_EQ(MANY / 2, info.nr_peers);
	for (i = 1; i < MANY; i += 2) {
		fd[i] = dev_open(O_NONBLOCK);
		ASSERT_GE(fd[i], 0);
		ASSERT_EQ(i + 1, join(fd[i], name));
	}

	for (i = 0; i < MANY; i++)
		close(fd[i]);
	nothing_left(_metadata);
}

/*
 * One churner: joins and leaves @name CHURN_ROUNDS times, sending a
 * broadcast each time it is in; exits 0 if every call worked.
 */
static void churn(const char *name)
{
	int i, fd;

	for (i = 0; i < CHURN_ROUNDS; i++) {
		fd = dev_open(O_NONBLOCK);
		if (fd < 0 || join(fd, name) < 1)
			_exit(1);
		if (send_ev(fd, IPCHANNEL_PEER_ALL, IPCHANNEL_SEND_NOSELF,
			    NULL, "x", 1) < 0 && errno != EAGAIN)
			_exit(2);
		close(fd);
	}
	_exit(0);
}

TEST(peers_that_join_and_leave_in_a_loop_leave_nothing_behind)
{
	const char *name = chan_name("churn");
	struct ipchannel_info info;
	pid_t pid[CHURNERS];
	int anchor, status, i;

	NEED_DEVICE();
	/* The anchor keeps the channel alive and collects broadcasts. */
	anchor = dev_open(O_NONBLOCK);
	ASSERT_EQ(1, join(anchor, name));
	for (i = 0; i < CHURNERS; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			churn(name);
	}
	for (i = 0; i < CHURNERS; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}

	/* Alone again, with the lowest ids free and nothing else queued. */
	ASSERT_EQ(0, get_info(anchor, &info));
	EXPECT_EQ(1, info.nr_peers);
	EXPECT_EQ(0, info.blocked_senders);
	EXPECT_GT(info.queued_records, 0);
	i = dev_open(0);
	EXPECT_EQ(2, join(i, name));
	close(i);
	close(anchor);
	nothing_left(_metadata);
}

TEST_HARNESS_MAIN
