// SPDX-License-Identifier: GPL-2.0
/* join_test.c - joining channels: ids, names, flags, permissions, errors */
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ipch_test.h"

TEST(first_peer_gets_id_1_and_second_id_2)
{
	int a, b;

	NEED_DEVICE();
	a = dev_open(0);
	b = dev_open(0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(1, join(a, chan_name("ids")));
	ASSERT_EQ(2, join(b, chan_name("ids")));
	close(a);
	close(b);
}

TEST(lowest_free_id_is_reused)
{
	const char *name = chan_name("reuse");
	int fd[4], i;

	NEED_DEVICE();
	for (i = 0; i < 4; i++) {
		fd[i] = dev_open(0);
		ASSERT_EQ(i + 1, join(fd[i], name));
	}
	close(fd[1]);
	close(fd[2]);
	fd[1] = dev_open(0);
	ASSERT_EQ(2, join(fd[1], name));
	fd[2] = dev_open(0);
	ASSERT_EQ(3, join(fd[2], name));
	for (i = 0; i < 4; i++)
		close(fd[i]);
}

TEST(join_writes_peer_id_and_info_agrees)
{
	struct ipchannel_info info;
	int a = dev_open(0), b = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, chan_name("info")));
	ASSERT_EQ(2, join(b, chan_name("info")));
	ASSERT_EQ(0, get_info(b, &info));
	EXPECT_EQ(2, info.peer_id);
	EXPECT_EQ(2, info.nr_peers);
	EXPECT_EQ(0, info.queued_records);
	EXPECT_EQ(0, info.queued_bytes);
	EXPECT_EQ(0, info.next_size);
	EXPECT_EQ(0, info.blocked_senders);
	EXPECT_EQ(0, info.reserved);
	EXPECT_EQ(1, info.next_seq);
	EXPECT_NE(0, info.max_msg_size);
	close(a);
	close(b);
}

TEST(missing_channel_without_create_is_enoent)
{
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(-ENOENT, join_mode(fd, chan_name("nocreate"), 0, 0));
	/* The failed join changed nothing: the file can still join. */
	ASSERT_EQ(1, join(fd, chan_name("nocreate")));
	close(fd);
}

TEST(excl_on_existing_channel_is_eexist)
{
	const uint32_t ce = IPCHANNEL_JOIN_CREATE | IPCHANNEL_JOIN_EXCL;
	int a = dev_open(0), b = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join_mode(a, chan_name("excl"), ce, 0));
	ASSERT_EQ(-EEXIST, join_mode(b, chan_name("excl"), ce, 0));
	ASSERT_EQ(2, join_mode(b, chan_name("excl"), 0, 0));
	close(a);
	close(b);
}

TEST(bad_flags_mode_and_reserved_are_einval)
{
	struct ipchannel_join j;
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(-EINVAL, join_mode(fd, chan_name("bad"),
				     IPCHANNEL_JOIN_EXCL, 0));
	ASSERT_EQ(-EINVAL, join_mode(fd, chan_name("bad"), 1U << 7, 0));
	ASSERT_EQ(-EINVAL, join_mode(fd, chan_name("bad"),
				     IPCHANNEL_JOIN_CREATE, 01000));

	memset(&j, 0, sizeof(j));
	strcpy(j.name, chan_name("bad"));
	j.flags = IPCHANNEL_JOIN_CREATE;
	j.reserved = 1;
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_JOIN, &j));
	ASSERT_EQ(EINVAL, errno);

	/* None of them joined or created anything. */
	ASSERT_EQ(-ENOENT, join_mode(fd, chan_name("bad"), 0, 0));
	close(fd);
}

TEST(bad_names_are_einval)
{
	static const char *const bad[] = {
		"", "a/b", "with space", "tab\there", "del\x7f", "\x80hi",
	};
	struct ipchannel_join j;
	int fd = dev_open(0);
	size_t i;

	NEED_DEVICE();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, join(fd, bad[i])) TH_LOG("name %zu", i);

	/* 64 bytes with no NUL. */
	memset(&j, 0, sizeof(j));
	memset(j.name, 'x', sizeof(j.name));
	j.flags = IPCHANNEL_JOIN_CREATE;
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_JOIN, &j));
	ASSERT_EQ(EINVAL, errno);

	/* 63 bytes is the longest name. */
	memset(j.name, 'x', sizeof(j.name));
	j.name[63] = '\0';
	ASSERT_EQ(1, ioctl(fd, IPCHANNEL_IOC_JOIN, &j));
	close(fd);
}

TEST(second_join_is_eisconn)
{
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join(fd, chan_name("twice")));
	ASSERT_EQ(-EISCONN, join(fd, chan_name("twice")));
	ASSERT_EQ(-EISCONN, join(fd, chan_name("other")));
	/* The failed second join created nothing. */
	ASSERT_EQ(-ENOENT, join_mode(dev_open(0), chan_name("other"), 0, 0));
	close(fd);
}

TEST(unjoined_file_is_enotconn)
{
	char buf[128];
	struct ipchannel_info info;
	struct pollfd pfd;
	int fd = dev_open(0), n = -1;

	NEED_DEVICE();
	rec_build(buf, 1, 0, NULL, "x", 1);
	ASSERT_EQ(-1, write(fd, buf, 24));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-ENOTCONN, get_info(fd, &info));
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &n));
	ASSERT_EQ(0, n);

	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLERR, pfd.revents);
	close(fd);
}

TEST(unknown_ioctl_is_enotty)
{
	int fd = dev_open(0), arg = 0;

	NEED_DEVICE();
	ASSERT_EQ(-1, ioctl(fd, _IOW(IPCHANNEL_IOC_MAGIC, 0x7f, int), &arg));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(fd, _IO('x', 1)));
	ASSERT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(bad_pointer_is_efault)
{
	int fd = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_JOIN, bad_mem()));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(1, join(fd, chan_name("efault")));
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_INFO, bad_mem()));
	ASSERT_EQ(EFAULT, errno);
	close(fd);
}

TEST(read_only_join_argument_is_efault_and_does_not_join)
{
	struct ipchannel_join *j;
	int fd = dev_open(0);

	NEED_DEVICE();
	j = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, j);
	snprintf(j->name, sizeof(j->name), "%s", chan_name("rdonly"));
	j->flags = IPCHANNEL_JOIN_CREATE;
	ASSERT_EQ(0, mprotect(j, 4096, PROT_READ));

	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_JOIN, j));
	ASSERT_EQ(EFAULT, errno);
	/* Nothing was created and the file is still unjoined. */
	ASSERT_EQ(-ENOENT, join_mode(dev_open(0), chan_name("rdonly"), 0, 0));
	ASSERT_EQ(1, join(fd, chan_name("rdonly")));
	close(fd);
}

TEST(channel_ends_with_its_last_peer)
{
	int a = dev_open(0), b = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join(a, chan_name("end")));
	close(a);
	ASSERT_EQ(-ENOENT, join_mode(b, chan_name("end"), 0, 0));
	close(b);
}

/* Runs @fn(@arg) in a child as uid and gid @uid without capabilities. */
static int as_user(uid_t uid, int (*fn)(const char *), const char *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(200);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int try_stats(const char *unused)
{
	struct ipchannel_stats st;

	(void)unused;
	return -get_stats(&st);
}

TEST(stats_need_cap_sys_admin)
{
	struct ipchannel_stats st;

	NEED_DEVICE();
	NEED_ROOT();
	memset(&st, PATTERN, sizeof(st));
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_LT(st.channels, 1000000);
	EXPECT_EQ(EPERM, as_user(1000, try_stats, NULL));
}

TEST(stats_to_bad_pointer_is_efault)
{
	int fd = dev_open(0);

	NEED_DEVICE();
	NEED_ROOT();
	ASSERT_EQ(-1, ioctl(fd, IPCHANNEL_IOC_STATS, bad_mem()));
	ASSERT_EQ(EFAULT, errno);
	close(fd);
}

/* Every id from 1 to IPCHANNEL_PEER_MAX in use: the next join is EUSERS. */
FIXTURE(full) {
	int *fd;
	long peers_per_uid;
};

FIXTURE_SETUP(full)
{
	struct rlimit rl = { IPCHANNEL_PEER_MAX + 64, IPCHANNEL_PEER_MAX + 64 };

	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root for %u open files",
		     IPCHANNEL_PEER_MAX);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	self->fd = calloc(IPCHANNEL_PEER_MAX + 1, sizeof(int));
	ASSERT_NE(NULL, self->fd);
	/* All the peers are root's: lift the per-user limit meanwhile. */
	self->peers_per_uid = param_get("max_peers_per_uid");
	ASSERT_LT(0, self->peers_per_uid);
	ASSERT_EQ(0, param_set_num("max_peers_per_uid",
				   IPCHANNEL_PEER_MAX + 1));
}

FIXTURE_TEARDOWN(full)
{
	if (self->peers_per_uid > 0)
		EXPECT_EQ(0, param_set_num("max_peers_per_uid",
					   self->peers_per_uid));
}

TEST_F_TIMEOUT(full, channel_with_every_id_in_use_is_eusers, 600)
{
	const char *name = chan_name("full");
	uint32_t i;

	for (i = 1; i <= IPCHANNEL_PEER_MAX; i++) {
		self->fd[i] = dev_open(0);
		ASSERT_EQ((int)i, join(self->fd[i], name));
	}
	self->fd[0] = dev_open(0);
	ASSERT_EQ(-EUSERS, join(self->fd[0], name));

	/* One leaves: its id is free again, and the refused file can join. */
	close(self->fd[4321]);
	ASSERT_EQ(4321, join(self->fd[0], name));
}

TEST_HARNESS_MAIN
