// SPDX-License-Identifier: GPL-2.0
/*
 * security_test.c - permissions, squatting, namespaces, quotas and what
 * the kernel writes to user memory (docs/security.md).
 *
 * As root, each test forks children that drop to unprivileged users
 * (uids 1001..1003 with groups of the same number) and act as them; the
 * checks that need another user or a module parameter skip as uid 1000,
 * and what one user can do alone (user and network namespaces of its own,
 * zeroed bytes) runs as uid 1000 too.
 */
#include <grp.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "ipch_test.h"
#include <ipchannel.h>

#define OWNER	1001	/* uid and gid of the users the tests act as */
#define MEMBER	1002	/* in OWNER's group too, where a test says so */
#define OTHER	1003
#define WAIT_MS	10000

/* Exit status of a child that could not even set itself up. */
#define SETUP_FAILED	200
/* ... or that found no user namespaces: the test skips. */
#define NO_USERNS	201

/* Drops root for @uid, group @uid and supplementary group @extra (or 0). */
static int become(uid_t uid, gid_t extra)
{
	gid_t groups[1] = { extra };

	if (setgroups(extra ? 1 : 0, groups) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -1;
	/* Else /proc/self stays root's, and uid_map cannot be written. */
	return prctl(PR_SET_DUMPABLE, 1);
}

static int exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Joins @name with @flags: 0 if it worked, else the errno. */
static int try_join(const char *name, uint32_t flags)
{
	int fd = dev_open(0), ret;

	if (fd < 0)
		return -fd;
	ret = join_mode(fd, name, flags, 0);
	close(fd);
	return ret < 0 ? -ret : 0;
}

/* try_join() in a child running as @uid (with group @extra). */
static int join_as(uid_t uid, gid_t extra, const char *name, uint32_t flags)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (become(uid, extra))
			_exit(SETUP_FAILED);
		_exit(try_join(name, flags));
	}
	return pid < 0 ? -1 : exit_status(pid);
}

/*
 * A child running as @uid that creates @name with @mode and stays its
 * peer until killed; its pid, or -1 if it could not.
 */
static pid_t creator(uid_t uid, const char *name, uint32_t mode)
{
	int ready[2], got = -1;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd;

		close(ready[0]);
		if (become(uid, 0))
			_exit(SETUP_FAILED);
		fd = dev_open(0);
		got = join_mode(fd, name, IPCHANNEL_JOIN_CREATE |
				IPCHANNEL_JOIN_EXCL, mode);
		if (write(ready[1], &got, sizeof(got)) != sizeof(got))
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid > 0 && (read(ready[0], &got, sizeof(got)) != sizeof(got) ||
			got != 1)) {
		kill_and_wait(pid);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* ---- permissions ---- */

/* What each class of user gets from a channel of each mode. */
static const struct {
	uint32_t mode;
	int owner, member, other;
} mode_cases[] = {
	{ 0600, 0, EACCES, EACCES },
	{ 0660, 0, 0, EACCES },
	{ 0606, 0, EACCES, 0 },		/* the group class applies */
	{ 0066, EACCES, 0, 0 },		/* ... and the owner class */
	{ 0640, 0, EACCES, EACCES },	/* read alone is not enough */
	{ 0777, 0, 0, 0 },
};

TEST(mode_bits_decide_the_join_for_owner_group_and_others)
{
	const uint32_t shared = IPCHANNEL_JOIN_SHARED;
	size_t i;

	NEED_DEVICE();
	NEED_ROOT();
	for (i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++) {
		const char *name = chan_name("mode");
		pid_t pid = creator(OWNER, name, mode_cases[i].mode);

		ASSERT_GT(pid, 0);
		EXPECT_EQ(mode_cases[i].owner, join_as(OWNER, 0, name, 0))
			TH_LOG("mode %04o, owner", mode_cases[i].mode);
		EXPECT_EQ(mode_cases[i].member,
			  join_as(MEMBER, OWNER, name, shared))
			TH_LOG("mode %04o, group member", mode_cases[i].mode);
		EXPECT_EQ(mode_cases[i].other, join_as(OTHER, 0, name, shared))
			TH_LOG("mode %04o, other", mode_cases[i].mode);
		ASSERT_EQ(0, kill_and_wait(pid));
	}
}

/* In a new user namespace: every capability, but only there. */
static int join_from_own_user_namespace(const char *name)
{
	if (become(OTHER, 0))
		return SETUP_FAILED;
	if (unshare(CLONE_NEWUSER))
		return NO_USERNS;
	return try_join(name, IPCHANNEL_JOIN_SHARED);
}

TEST(cap_ipc_owner_of_the_channels_namespace_bypasses_the_mode)
{
	const char *name = chan_name("capown");
	pid_t pid, child;
	int status;

	NEED_DEVICE();
	NEED_ROOT();
	pid = creator(OWNER, name, 0600);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(0, try_join(name, IPCHANNEL_JOIN_SHARED));
	EXPECT_EQ(EACCES, join_as(OTHER, 0, name, IPCHANNEL_JOIN_SHARED));

	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0)
		_exit(join_from_own_user_namespace(name));
	status = exit_status(child);
	ASSERT_EQ(0, kill_and_wait(pid));
	if (status == NO_USERNS)
		SKIP(return, "no unprivileged user namespaces");
	EXPECT_EQ(EACCES, status);
}

/* ---- squatting ---- */

TEST(another_users_channel_needs_the_shared_flag)
{
	const uint32_t create = IPCHANNEL_JOIN_CREATE;
	const char *name = chan_name("squat");
	pid_t pid;

	NEED_DEVICE();
	NEED_ROOT();
	/* A squatter took the name first, readable and writable by all. */
	pid = creator(MEMBER, name, 0666);
	ASSERT_GT(pid, 0);

	EXPECT_EQ(EPERM, join_as(OWNER, 0, name, 0));
	EXPECT_EQ(EPERM, join_as(OWNER, 0, name, create));
	EXPECT_EQ(EEXIST,
		  join_as(OWNER, 0, name, create | IPCHANNEL_JOIN_EXCL));
	/* Capabilities do not make somebody else's channel safe to join. */
	EXPECT_EQ(EPERM, try_join(name, 0));
	/* The squatter's own processes need no flag. */
	EXPECT_EQ(0, join_as(MEMBER, 0, name, 0));
	EXPECT_EQ(0, join_as(OWNER, 0, name, IPCHANNEL_JOIN_SHARED));
	EXPECT_EQ(0, try_join(name, IPCHANNEL_JOIN_SHARED));
	ASSERT_EQ(0, kill_and_wait(pid));
}

TEST(join_flags_are_checked)
{
	const char *name = chan_name("jflags");
	int fd = dev_open(0);

	NEED_DEVICE();
	EXPECT_EQ(-EINVAL, join_mode(fd, name, IPCHANNEL_JOIN_EXCL |
				     IPCHANNEL_JOIN_SHARED, 0));
	EXPECT_EQ(-EINVAL, join_mode(fd, name, IPCHANNEL_JOIN_CREATE |
				     (IPCHANNEL_JOIN_SHARED << 1), 0));
	/* SHARED on one's own channel, or on a new one, changes nothing. */
	EXPECT_EQ(1, join_mode(fd, name, IPCHANNEL_JOIN_CREATE |
			       IPCHANNEL_JOIN_SHARED, 0));
	close(fd);
}

/* ---- namespaces ---- */

/* Maps @uid (outside) to 0 in the new user namespace of this process. */
static int map_self(uid_t uid, gid_t gid)
{
	char buf[64];
	int fd, len;

	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd < 0 || write(fd, "deny", 4) != 4)
		return -1;
	close(fd);
	len = snprintf(buf, sizeof(buf), "0 %u 1\n", uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, buf, len) != len)
		return -1;
	close(fd);
	len = snprintf(buf, sizeof(buf), "0 %u 1\n", gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, buf, len) != len)
		return -1;
	close(fd);
	return 0;
}

/* Enters new user (mapping us to 0) and @extra namespaces; 0 or -1. */
static int own_namespaces(int extra)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | extra))
		return -1;
	return map_self(uid, gid);
}

/*
 * The body of the namespace test, as an unprivileged user: a channel
 * @name with two peers here, then the same name in a network namespace of
 * its own, which must be a channel of its own in every respect. Returns
 * 0 or the number of the failed check.
 */
static int same_name_in_two_namespaces(const char *name, int go_on)
{
	struct ipch_ctl_channel *chans;
	struct ipch_ctl_event ev;
	struct ipch_ctl *ctl;
	int a, b, c, d, n, err;
	size_t nr;
	char go;

	a = dev_open(0);
	b = dev_open(0);
	if (join(a, name) != 1 || join(b, name) != 2)
		return 1;
	if (own_namespaces(CLONE_NEWNET))
		return NO_USERNS;

	c = dev_open(0);
	if (join_mode(c, name, 0, 0) != -ENOENT)
		return 2;
	if (join(c, name) != 1)
		return 3;
	if (send_str(c, IPCHANNEL_PEER_ALL, "inside") < 0)
		return 4;
	if (ioctl(a, FIONREAD, &n) || n || ioctl(b, FIONREAD, &n) || n)
		return 5;
	if (send_str(a, IPCHANNEL_PEER_ALL, "outside") < 0)
		return 6;
	if (ioctl(c, FIONREAD, &n) || n != (int)IPCHANNEL_ALIGN(
			sizeof(struct ipchannel_recv) + strlen("inside")))
		return 7;

	/* The control plane of this namespace sees its channel alone. */
	if (ipch_ctl_open(&ctl))
		return 8;
	if (ipch_ctl_channels(ctl, &chans, &nr) || nr != 1 ||
	    strcmp(chans[0].name, name) || chans[0].nr_peers != 1)
		return 9;
	free(chans);

	/* Its events: a join here, none for the parent's join outside. */
	err = ipch_ctl_subscribe(ctl);
	if (err == -EPROTONOSUPPORT)
		return 0;
	if (err)
		return 10;
	if (write(go_on, "j", 1) != 1 || read(go_on, &go, 1) != 1)
		return 11;
	d = dev_open(0);
	if (join(d, name) != 2)
		return 12;
	if (ipch_ctl_event(ctl, &ev, WAIT_MS) ||
	    ev.type != IPCHANNEL_CMD_PEER_JOINED || ev.peer_id != 2 ||
	    strcmp(ev.channel, name))
		return 13;
	if (ipch_ctl_event(ctl, &ev, 0) != -ETIMEDOUT)
		return 14;
	ipch_ctl_close(ctl);
	return 0;
}

TEST(network_namespaces_keep_channels_of_one_name_apart)
{
	const char *name = chan_name("netns");
	struct ipch_ctl_event ev;
	struct ipch_ctl *ctl = NULL;
	int sync[2], status, fd = -1, joined = 0, err;
	pid_t pid;
	char c;

	NEED_DEVICE();
	if (geteuid() == 0) {
		ASSERT_EQ(0, ipch_ctl_open(&ctl));
		err = ipch_ctl_subscribe(ctl);
		if (err == -EPROTONOSUPPORT) {
			ipch_ctl_close(ctl);
			ctl = NULL;
		} else {
			ASSERT_EQ(0, err);
		}
	}
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sync));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(sync[0]);
		if (geteuid() == 0 && become(OWNER, 0))
			_exit(SETUP_FAILED);
		_exit(same_name_in_two_namespaces(name, sync[1]));
	}
	close(sync[1]);
	/* While the child listens inside, a join outside. */
	if (read(sync[0], &c, 1) == 1) {
		fd = dev_open(0);
		EXPECT_EQ(3, join_mode(fd, name, IPCHANNEL_JOIN_SHARED, 0));
		ASSERT_EQ(1, write(sync[0], "g", 1));
	}
	status = exit_status(pid);
	close(sync[0]);
	if (fd >= 0)
		close(fd);
	if (status == NO_USERNS)
		SKIP(return, "no unprivileged user and network namespaces");
	ASSERT_EQ(0, status);

	/* Outside, the events of the outside channel alone: 3 joins. */
	while (ctl && !ipch_ctl_event(ctl, &ev, 0))
		if (!strcmp(ev.channel, name) &&
		    ev.type == IPCHANNEL_CMD_PEER_JOINED)
			joined++;
	if (ctl) {
		EXPECT_EQ(3, joined);
		ipch_ctl_close(ctl);
	}
}

/*
 * Pid 1 of a new pid namespace, peer 2 of @name: reads the reply of the
 * parent (outside: pid 0), then a message of its own child (pid 2).
 */
static int inside_pid_namespace(const char *name)
{
	int fd = dev_open(0), status;
	struct rx rx;
	pid_t pid;

	if (getpid() != 1 || join(fd, name) != 2)
		return 1;
	if (send_str(fd, 1, "from inside") < 0)
		return 2;
	if (recv_one(fd, &rx) <= 0 || rx.hdr.sender != 1 || rx.hdr.pid != 0)
		return 3;
	pid = fork();
	if (pid == 0) {
		int c = dev_open(0);

		_exit(join(c, name) == 3 && send_str(c, 2, "child") > 0 ?
		      0 : 1);
	}
	if (pid != 2 || waitpid(pid, &status, 0) != pid || status)
		return 4;
	if (recv_one(fd, &rx) <= 0 || rx.hdr.sender != 3 ||
	    rx.hdr.pid != (uint32_t)pid)
		return 5;
	return 0;
}

TEST(pids_are_translated_into_the_readers_pid_namespace)
{
	const char *name = chan_name("pidns");
	int fd;
	struct rx rx;
	pid_t pid;

	NEED_DEVICE();
	NEED_ROOT();
	fd = peer_open(name, 0);
	ASSERT_EQ(0, unshare(CLONE_NEWPID));
	/* The child is pid 1 of the new namespace; fork() gives its pid here. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(fd);
		_exit(inside_pid_namespace(name));
	}
	ASSERT_LT(0, recv_one(fd, &rx));
	EXPECT_EQ(2, rx.hdr.sender);
	EXPECT_EQ(pid, (pid_t)rx.hdr.pid);
	ASSERT_LT(0, send_str(fd, 2, "reply"));
	EXPECT_EQ(0, exit_status(pid));
	close(fd);
}

static uint32_t overflow_uid(void)
{
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "r");
	unsigned int uid = 65534;

	if (f) {
		if (fscanf(f, "%u", &uid) != 1)
			uid = 65534;
		fclose(f);
	}
	return uid;
}

/*
 * Uids: after @fd's process maps its own uid to 0 in a user namespace of
 * its own, its own message reads as uid 0 and one of @other (unless 0) as
 * the overflow uid; so do the peers in a netlink dump. 0 or the failed
 * check's number.
 */
static int uids_in_own_user_namespace(int fd, const char *name, uid_t other)
{
	uint32_t overflow = overflow_uid();
	struct ipch_ctl_peer *peers;
	struct ipch_ctl *ctl;
	struct rx rx;
	size_t n;

	if (own_namespaces(0))
		return NO_USERNS;
	if (recv_one(fd, &rx) <= 0 || rx.hdr.sender != 1 || rx.hdr.uid != 0)
		return 1;
	if (other && (recv_one(fd, &rx) <= 0 || rx.hdr.sender != 2 ||
		      rx.hdr.uid != overflow))
		return 2;
	if (ipch_ctl_open(&ctl) || ipch_ctl_peers(ctl, name, &peers, &n))
		return 3;
	if (n < 1 || peers[0].id != 1 || peers[0].uid != 0)
		return 4;
	if (other && (n != 2 || peers[1].uid != overflow))
		return 5;
	free(peers);
	ipch_ctl_close(ctl);
	return 0;
}

TEST(uids_are_translated_into_the_readers_user_namespace)
{
	const char *name = chan_name("userns");
	uid_t other = geteuid() == 0 ? OTHER : 0;
	int sync[2], fd, status;
	pid_t pid;
	char c;

	NEED_DEVICE();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sync));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(sync[0]);
		if (geteuid() == 0 && become(OWNER, 0))
			_exit(SETUP_FAILED);
		fd = dev_open(0);
		if (join_mode(fd, name, IPCHANNEL_JOIN_CREATE, 0666) != 1 ||
		    send_str(fd, 1, "own") < 0)
			_exit(SETUP_FAILED);
		if (write(sync[1], "j", 1) != 1 || read(sync[1], &c, 1) != 1)
			_exit(SETUP_FAILED);
		_exit(uids_in_own_user_namespace(fd, name, other));
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	fd = -1;
	if (other) {
		/* The other user's peer stays while the child looks. */
		ASSERT_EQ(0, seteuid(other));
		fd = dev_open(0);
		EXPECT_EQ(2, join_mode(fd, name, IPCHANNEL_JOIN_SHARED, 0));
		EXPECT_LT(0, send_str(fd, 1, "other"));
		ASSERT_EQ(0, seteuid(0));
	}
	ASSERT_EQ(1, write(sync[0], "g", 1));
	status = exit_status(pid);
	if (fd >= 0)
		close(fd);
	close(sync[0]);
	if (status == NO_USERNS)
		SKIP(return, "no unprivileged user namespaces");
	EXPECT_EQ(0, status);
}

/* ---- quotas ---- */

/* Module parameters a test changes, put back whatever happens. */
static const char *const saved_params[] = {
	"max_queue_records", "max_queue_bytes", "uid_queue_percent",
	"max_peers_per_uid",
};
#define NR_SAVED (sizeof(saved_params) / sizeof(saved_params[0]))

FIXTURE(params) {
	long saved[NR_SAVED];
};

FIXTURE_SETUP(params)
{
	size_t i;

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root for module parameters and other uids");
	for (i = 0; i < NR_SAVED; i++) {
		self->saved[i] = param_get(saved_params[i]);
		ASSERT_LT(0, self->saved[i]);
	}
}

FIXTURE_TEARDOWN(params)
{
	size_t i;

	if (geteuid() != 0)
		return;
	for (i = 0; i < NR_SAVED; i++)
		if (self->saved[i] > 0)
			EXPECT_EQ(0, param_set_num(saved_params[i],
						   self->saved[i]));
}

/* Opens and joins @name as effective uid @uid; the fd, or -errno. */
static int open_as(uid_t uid, const char *name, uint32_t flags, int oflags)
{
	int fd, ret;

	if (seteuid(uid))
		return -errno;
	fd = dev_open(oflags);
	ret = fd < 0 ? fd : join_mode(fd, name, flags, 0666);
	if (seteuid(0))
		return -errno;
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}

/* Sends "x" to @to from @fd as effective uid @uid; write()'s or -errno. */
static ssize_t send_as(uid_t uid, int fd, uint32_t to)
{
	ssize_t ret;

	if (seteuid(uid))
		return -errno;
	ret = send_str(fd, to, "x");
	if (seteuid(0))
		return -errno;
	return ret;
}

TEST_F(params, limits_are_checked_when_set)
{
	EXPECT_EQ(-EINVAL, param_set("uid_queue_percent", "0"));
	EXPECT_EQ(-EINVAL, param_set("uid_queue_percent", "101"));
	EXPECT_EQ(-EINVAL, param_set("max_peers_per_uid", "0"));
	EXPECT_EQ(-EINVAL, param_set("max_peers_per_uid", "1048577"));
	EXPECT_EQ(self->saved[2], param_get("uid_queue_percent"));
	EXPECT_EQ(self->saved[3], param_get("max_peers_per_uid"));
}

/*
 * A receiver's queue holds 16 records; another user may fill half. The
 * flooder gets EDQUOT, blocking or not, while a third user and the
 * receiver's own uid still get through.
 */
TEST_F(params, flooding_user_gets_edquot_and_others_get_through)
{
	const char *name = chan_name("flood");
	const uint32_t shared = IPCHANNEL_JOIN_CREATE | IPCHANNEL_JOIN_SHARED;
	int rx_fd, flood, flood_blocking, third, own, n, i;
	struct rx rx;

	ASSERT_EQ(0, param_set("max_queue_records", "16"));
	ASSERT_EQ(0, param_set("uid_queue_percent", "50"));
	rx_fd = open_as(OWNER, name, IPCHANNEL_JOIN_CREATE, O_NONBLOCK);
	flood = open_as(MEMBER, name, shared, O_NONBLOCK);
	flood_blocking = open_as(MEMBER, name, shared, 0);
	third = open_as(OTHER, name, shared, O_NONBLOCK);
	own = open_as(OWNER, name, IPCHANNEL_JOIN_CREATE, O_NONBLOCK);
	ASSERT_LE(0, rx_fd);
	ASSERT_LE(0, flood);
	ASSERT_LE(0, flood_blocking);
	ASSERT_LE(0, third);
	ASSERT_LE(0, own);

	for (n = 0; n < 16 && send_as(MEMBER, flood, 1) > 0; n++)
		;
	EXPECT_EQ(8, n);
	EXPECT_EQ(-EDQUOT, send_as(MEMBER, flood, 1));
	EXPECT_EQ(-EDQUOT, send_as(MEMBER, flood_blocking, 1));
	/* A broadcast that one receiver refuses reaches nobody. */
	EXPECT_EQ(-EDQUOT, send_as(MEMBER, flood, IPCHANNEL_PEER_ALL));
	ASSERT_EQ(0, ioctl(third, FIONREAD, &n));
	EXPECT_EQ(0, n);

	EXPECT_LT(0, send_as(OTHER, third, 1));
	/* The receiver's own uid has no share: it fills the queue. */
	for (n = 0; n < 16 && send_as(OWNER, own, 1) > 0; n++)
		;
	EXPECT_EQ(7, n);
	EXPECT_EQ(-EAGAIN, send_as(OWNER, own, 1));

	for (i = 0; i < 16; i++) {
		ASSERT_LT(0, recv_one(rx_fd, &rx));
		EXPECT_EQ(i < 8 ? 2 : i < 9 ? 4 : 5, rx.hdr.sender);
		EXPECT_EQ(i < 8 ? MEMBER : i < 9 ? OTHER : OWNER, rx.hdr.uid);
	}
	EXPECT_EQ(-EAGAIN, recv_one(rx_fd, &rx));
	/* Read, the share is free again. */
	EXPECT_LT(0, send_as(MEMBER, flood, 1));
	close(rx_fd);
	close(flood);
	close(flood_blocking);
	close(third);
	close(own);
}

TEST_F(params, share_of_100_percent_is_no_quota)
{
	const char *name = chan_name("pct100");
	int rx_fd, flood, n;

	ASSERT_EQ(0, param_set("max_queue_records", "16"));
	ASSERT_EQ(0, param_set("uid_queue_percent", "100"));
	rx_fd = open_as(OWNER, name, IPCHANNEL_JOIN_CREATE, O_NONBLOCK);
	flood = open_as(MEMBER, name, IPCHANNEL_JOIN_SHARED, O_NONBLOCK);
	ASSERT_LE(0, rx_fd);
	ASSERT_LE(0, flood);
	for (n = 0; n < 17 && send_as(MEMBER, flood, 1) > 0; n++)
		;
	EXPECT_EQ(16, n);
	EXPECT_EQ(-EAGAIN, send_as(MEMBER, flood, 1));
	close(rx_fd);
	close(flood);
}

TEST_F(params, peers_per_user_are_limited_across_channels)
{
	const char *a = chan_name("upa"), *b = chan_name("upb");
	const uint32_t create = IPCHANNEL_JOIN_CREATE;
	int fd[3], more, i;

	ASSERT_EQ(0, param_set("max_peers_per_uid", "3"));
	fd[0] = open_as(OTHER, a, create, 0);
	fd[1] = open_as(OTHER, a, create, 0);
	fd[2] = open_as(OTHER, b, create, 0);
	for (i = 0; i < 3; i++)
		ASSERT_LE(0, fd[i]);
	EXPECT_EQ(-EDQUOT, open_as(OTHER, b, create, 0));
	/* A refused join leaves no channel behind. */
	EXPECT_EQ(-ENOENT, open_as(OTHER, chan_name("upc"), 0, 0));
	EXPECT_EQ(-EDQUOT, open_as(OTHER, chan_name("upc"), create, 0));
	EXPECT_EQ(-ENOENT, open_as(MEMBER, chan_name("upc"), 0, 0));

	/* Another user is counted apart; a leave gives the place back. */
	more = open_as(MEMBER, chan_name("upd"), create, 0);
	EXPECT_LE(0, more);
	close(more);
	close(fd[1]);
	more = open_as(OTHER, a, create, 0);
	EXPECT_LE(0, more);
	close(more);
	for (i = 0; i < 3; i++)
		if (i != 1)
			close(fd[i]);
}

/* The memory cgroup v2 hierarchy, mounted if it is not yet; 0 or -1. */
static int cgroup2_root(void)
{
	if (!access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		return 0;
	return mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The value of @key in the flat-keyed cgroup file @path, or -1. */
static long cgroup_key(const char *path, const char *key)
{
	char k[64];
	long v, ret = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

#define CG_MAX	(8 << 20)	/* memory.max of the test's cgroup */
#define CG_MSG	65536		/* payload of each message */

/* In the cgroup: sends CG_MSG bytes to peer 1 until refused; the count. */
static int fill_from_cgroup(const char *name, const char *procs, int report)
{
	static char payload[CG_MSG];
	int fd = dev_open(O_NONBLOCK), n = 0, err = 0;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(procs, pid) || join(fd, name) != 2)
		return SETUP_FAILED;
	for (;;) {
		err = send_ev(fd, 1, 0, NULL, payload, sizeof(payload));
		if (err < 0)
			break;
		n++;
	}
	err = -err;
	if (write(report, &n, sizeof(n)) != sizeof(n) ||
	    write(report, &err, sizeof(err)) != sizeof(err))
		return SETUP_FAILED;
	return 0;
}

/*
 * A sender in a memory cgroup with a small memory.max: its messages are
 * charged there, so it gets ENOMEM long before the queue limit, nobody is
 * OOM-killed, and what was accepted is all delivered.
 */
TEST_F(params, messages_are_charged_to_the_senders_memory_cgroup)
{
	char dir[64], path[128];
	const char *name = chan_name("memcg");
	int report[2], rx_fd, n = -1, err = -1, i;
	struct ipchannel_info info;
	pid_t pid;

	if (cgroup2_root())
		SKIP(return, "no cgroup2 file system");
	if (write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		SKIP(return, "no memory controller in this kernel");
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/ipch-%d", getpid());
	ASSERT_EQ(0, mkdir(dir, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	ASSERT_EQ(0, write_file(path, "8388608"));
	ASSERT_EQ(0, param_set_num("max_queue_bytes", 1 << 30));
	ASSERT_EQ(0, param_set_num("max_queue_records", 1 << 20));

	rx_fd = peer_open(name, O_NONBLOCK);
	ASSERT_EQ(0, pipe(report));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		_exit(fill_from_cgroup(name, path, report[1]));
	}
	close(report[1]);
	EXPECT_EQ(sizeof(n), read(report[0], &n, sizeof(n)));
	EXPECT_EQ(sizeof(err), read(report[0], &err, sizeof(err)));
	EXPECT_EQ(0, exit_status(pid));
	close(report[0]);

	EXPECT_EQ(ENOMEM, err);
	EXPECT_LT(0, n);
	EXPECT_GT(CG_MAX / CG_MSG + 1, n);
	snprintf(path, sizeof(path), "%s/memory.events", dir);
	EXPECT_EQ(0, cgroup_key(path, "oom_kill"));

	ASSERT_EQ(0, get_info(rx_fd, &info));
	EXPECT_EQ((uint32_t)n, info.queued_records);
	for (i = 0; i < n; i++) {
		static char buf[CG_MSG + 64];

		ASSERT_EQ(IPCHANNEL_ALIGN(sizeof(struct ipchannel_recv) +
					  CG_MSG),
			  read(rx_fd, buf, sizeof(buf)));
	}
	close(rx_fd);
	/* Freed with the messages: the cgroup can go. */
	EXPECT_EQ(0, rmdir(dir));
}

/* ---- what the kernel writes ---- */

/*
 * Checks the records of @buf[0..@n): every reserved and padding byte is
 * zero. Returns the number of records, or -1 at the first bad byte.
 */
static int records_zeroed(const unsigned char *buf, size_t n)
{
	const struct ipchannel_recv *h;
	size_t off = 0, i, body;
	int nr = 0;

	while (off < n) {
		h = (const void *)(buf + off);
		if (h->reserved || h->size > n - off)
			return -1;
		body = sizeof(*h) + h->event_len + h->len;
		for (i = body; i < h->size; i++)
			if (buf[off + i])
				return -1;
		off += h->size;
		nr++;
	}
	return nr;
}

TEST(reserved_and_padding_bytes_of_records_are_zero)
{
	const char *name = chan_name("zero");
	static unsigned char buf[4096];
	uint32_t sub = IPCHANNEL_SUB_MEMBERSHIP;
	struct ipchannel_lock_info li;
	struct ipchannel_info info;
	int a = dev_open(0), b;
	ssize_t n;

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, name));
	ASSERT_EQ(0, ioctl(a, IPCHANNEL_IOC_SUBSCRIBE, &sub));
	b = peer_open(name, 0);
	ASSERT_LT(0, send_str(a, 1, "abc"));
	ASSERT_LT(0, send_ev(a, IPCHANNEL_PEER_ALL, 0, "ev", "x", 1));
	ASSERT_EQ(0, lock_call(a, IPCHANNEL_IOC_LOCK, "lk", 7, 0,
			       IPCHANNEL_LOCK_ASYNC));
	close(b);

	/* Joined (replay), joined, message, event, lock grant, left. */
	memset(buf, PATTERN, sizeof(buf));
	n = read(a, buf, sizeof(buf));
	ASSERT_LT(0, n);
	EXPECT_EQ(6, records_zeroed(buf, n));
	EXPECT_EQ(PATTERN, buf[n]);

	ASSERT_EQ(0, get_info(a, &info));
	EXPECT_EQ(0, info.reserved);
	ASSERT_EQ(0, lock_info(a, "lk", &li));
	EXPECT_EQ(1, li.holder);
	ASSERT_EQ(0, lock_info(a, "free", &li));
	EXPECT_EQ(0, li.holder);
	EXPECT_EQ(0, li.holder_cookie);
	EXPECT_EQ(0, li.held_since_ns);
	EXPECT_EQ(0, li.nr_waiters);
	close(a);
}

/* A generic netlink request for the family @family: GET_CHANNEL @name. */
static int nl_request(int fd, uint16_t family, uint8_t cmd, uint16_t attr,
		      const char *str)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		char attrs[128];
	} q;
	struct nlattr *a = (void *)q.attrs;
	size_t len = strlen(str) + 1;

	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_type = family;
	q.nh.nlmsg_flags = NLM_F_REQUEST;
	q.gh.cmd = cmd;
	q.gh.version = 1;
	a->nla_type = attr;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(q.attrs + NLA_HDRLEN, str, len);
	q.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	return send(fd, &q, q.nh.nlmsg_len, 0) < 0 ? -errno : 0;
}

/*
 * Reads one reply into @buf (pre-filled with PATTERN) and checks that its
 * generic netlink header's reserved field and every attribute's padding
 * are zero; the first attribute of type @type is copied to @out. Returns
 * the number of attributes, or -1.
 */
static int nl_reply_zeroed(int fd, unsigned char *buf, size_t size,
			   uint16_t type, void *out, size_t out_len)
{
	const struct nlmsghdr *nh = (void *)buf;
	const struct genlmsghdr *gh = NLMSG_DATA(nh);
	const struct nlattr *a;
	ssize_t n;
	int left, nr = 0, i;

	memset(buf, PATTERN, size);
	n = recv(fd, buf, size, 0);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) || nh->nlmsg_type ==
	    NLMSG_ERROR || gh->reserved)
		return -1;
	a = (const void *)((const char *)gh + GENL_HDRLEN);
	left = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left) {
		for (i = a->nla_len; i < NLA_ALIGN(a->nla_len); i++)
			if (((const unsigned char *)a)[i])
				return -1;
		if ((a->nla_type & NLA_TYPE_MASK) == type && out)
			memcpy(out, (const char *)a + NLA_HDRLEN, out_len);
		left -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
		nr++;
	}
	return nr;
}

TEST(netlink_replies_have_zero_padding)
{
	const char *name = chan_name("nlzero");
	static unsigned char buf[8192];
	uint16_t family = 0;
	int fd, peer;

	NEED_DEVICE();
	peer = peer_open(name, 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nl_request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
				CTRL_ATTR_FAMILY_NAME, IPCHANNEL_GENL_NAME));
	ASSERT_LT(0, nl_reply_zeroed(fd, buf, sizeof(buf), CTRL_ATTR_FAMILY_ID,
				     &family, sizeof(family)));
	ASSERT_NE(0, family);
	/* CHANNEL's string ends off the 4-byte boundary: padding follows. */
	ASSERT_EQ(0, nl_request(fd, family, IPCHANNEL_CMD_GET_CHANNEL,
				IPCHANNEL_A_CHANNEL, name));
	EXPECT_LT(5, nl_reply_zeroed(fd, buf, sizeof(buf), 0, NULL, 0));
	close(fd);
	close(peer);
}

TEST_HARNESS_MAIN
