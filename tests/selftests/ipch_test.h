/* SPDX-License-Identifier: GPL-2.0 */
/* ipch_test.h - helpers shared by the ipchannel selftests */
#ifndef IPCH_TEST_H
#define IPCH_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/ipchannel.h>

#define IPCH_DEV "/dev/ipchannel"
#define PARAMS "/sys/module/ipchannel/parameters/"

/* Test-body guards; they expand where kselftest_harness.h is included. */
#define NEED_DEVICE() do { \
	if (!have_device()) \
		SKIP(return, IPCH_DEV " missing: module not loaded"); \
} while (0)

#define NEED_ROOT() do { \
	if (geteuid() != 0) \
		SKIP(return, "needs root"); \
} while (0)

/* Bytes the kernel must overwrite; anything still equal was not written. */
#define PATTERN 0xa5

/* A page that user space cannot read or write: for EFAULT tests. */
static inline void *bad_mem(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Opens the device; -errno on failure. */
static inline int dev_open(int flags)
{
	int fd = open(IPCH_DEV, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

static inline bool have_device(void)
{
	return access(IPCH_DEV, R_OK | W_OK) == 0;
}

/* Joins @fd to @name; returns the peer id or -errno. */
static inline int join_mode(int fd, const char *name, uint32_t flags,
			    uint32_t mode)
{
	struct ipchannel_join j;
	int ret;

	memset(&j, 0, sizeof(j));
	snprintf(j.name, sizeof(j.name), "%s", name);
	j.flags = flags;
	j.mode = mode;
	j.peer_id = 0xdeadbeef;
	ret = ioctl(fd, IPCHANNEL_IOC_JOIN, &j);
	if (ret < 0)
		return -errno;
	if ((int)j.peer_id != ret)
		return -EPROTO;
	return ret;
}

static inline int join(int fd, const char *name)
{
	return join_mode(fd, name, IPCHANNEL_JOIN_CREATE, 0);
}

/*
 * A peer of @chan in a child process named @comm (NULL: keep the name):
 * its pid, with its peer id (or -errno) in *@id once it has joined. It
 * lives until it is killed.
 */
static inline pid_t child_peer(const char *chan, const char *comm, int *id)
{
	int ready[2], got;
	pid_t pid;

	*id = -1;
	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd;

		if (comm)
			prctl(PR_SET_NAME, comm);
		fd = dev_open(0);
		got = fd < 0 ? fd : join(fd, chan);
		if (write(ready[1], &got, sizeof(got)) != sizeof(got))
			_exit(1);
		for (;;)
			pause();
	}
	if (pid > 0 && read(ready[0], &got, sizeof(got)) == sizeof(got))
		*id = got;
	close(ready[0]);
	close(ready[1]);
	return pid;
}

/* Kills @pid with SIGKILL and reaps it; 0 if it died of that signal. */
static inline int kill_and_wait(pid_t pid)
{
	int status;

	if (kill(pid, SIGKILL) || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? 0 : -1;
}

/* Opens a file and joins it, creating the channel; exits on failure. */
static inline int peer_open(const char *name, int oflags)
{
	int fd = dev_open(oflags);

	if (fd < 0 || join(fd, name) < 0) {
		fprintf(stderr, "peer_open %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

/*
 * Builds one send record into @buf (at least 16 + 63 + len + 7 bytes);
 * returns its padded length.
 */
static inline size_t rec_build(void *buf, uint32_t target, uint32_t flags,
			       const char *event, const void *data,
			       uint32_t len)
{
	struct ipchannel_send *s = buf;
	size_t elen = event ? strlen(event) : 0;
	size_t total = IPCHANNEL_ALIGN(sizeof(*s) + elen + len);

	memset(buf, 0, total);
	s->target = target;
	s->flags = flags;
	s->len = len;
	s->event_len = elen;
	memcpy((char *)buf + sizeof(*s), event ? event : "", elen);
	memcpy((char *)buf + sizeof(*s) + elen, data, len);
	return total;
}

/* Sends one record; returns write()'s result or -errno. */
static inline ssize_t send_ev(int fd, uint32_t target, uint32_t flags,
			      const char *event, const void *data,
			      uint32_t len)
{
	size_t total = IPCHANNEL_ALIGN(sizeof(struct ipchannel_send) +
				       (event ? strlen(event) : 0) + len);
	char *buf = malloc(total);
	ssize_t ret;

	rec_build(buf, target, flags, event, data, len);
	ret = write(fd, buf, total);
	if (ret < 0)
		ret = -errno;
	free(buf);
	return ret;
}

static inline ssize_t send_str(int fd, uint32_t target, const char *s)
{
	return send_ev(fd, target, 0, NULL, s, strlen(s));
}

/* One received record, parsed out of a read() buffer. */
struct rx {
	struct ipchannel_recv hdr;
	char event[IPCHANNEL_NAME_LEN];
	char data[256];
};

static inline int get_info(int fd, struct ipchannel_info *info)
{
	memset(info, PATTERN, sizeof(*info));
	return ioctl(fd, IPCHANNEL_IOC_INFO, info) < 0 ? -errno : 0;
}

static inline int get_stats(struct ipchannel_stats *st)
{
	int fd = dev_open(0), ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, IPCHANNEL_IOC_STATS, st) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Reads exactly one record of up to 256 payload bytes: asks the kernel for
 * the size of the next record so that read() cannot return more than one.
 * Waits with poll() on a blocking file; returns the size or -errno.
 */
static inline ssize_t recv_one(int fd, struct rx *rx)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct ipchannel_info info;
	char buf[512];
	struct ipchannel_recv *h = (void *)buf;
	size_t want = sizeof(buf);
	ssize_t n;

	memset(buf, PATTERN, sizeof(buf));
	memset(rx, 0, sizeof(*rx));
	while (get_info(fd, &info) == 0) {
		if (info.next_size) {
			want = info.next_size;
			break;
		}
		if (fcntl(fd, F_GETFL) & O_NONBLOCK)
			return -EAGAIN;
		if (poll(&pfd, 1, -1) < 0)
			return -errno;
	}
	if (want > sizeof(buf))
		return -EPROTO;
	n = read(fd, buf, want);
	if (n < 0)
		return -errno;
	rx->hdr = *h;
	if (h->event_len >= IPCHANNEL_NAME_LEN || h->len > 256 ||
	    h->size != (size_t)n)
		return -EPROTO;
	memcpy(rx->event, buf + sizeof(*h), h->event_len);
	memcpy(rx->data, buf + sizeof(*h) + h->event_len, h->len);
	return n;
}

/* Spins until @fd's channel has @n blocked senders: proof, not a sleep. */
static inline int wait_blocked(int fd, uint32_t n)
{
	struct ipchannel_info info;
	long i;

	for (i = 0; i < 100000000L; i++) {
		if (get_info(fd, &info))
			return -1;
		if (info.blocked_senders == n)
			return 0;
		sched_yield();
	}
	return -1;
}

/* Lock ioctls; return 0 or -errno. */
static inline int lock_call(int fd, unsigned long cmd, const char *name,
			    uint64_t cookie, uint64_t deadline_ns,
			    uint32_t flags)
{
	struct ipchannel_lock l;

	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "%s", name);
	l.cookie = cookie;
	l.deadline_ns = deadline_ns;
	l.flags = flags;
	return ioctl(fd, cmd, &l) < 0 ? -errno : 0;
}

static inline int lock(int fd, const char *name, uint64_t cookie)
{
	return lock_call(fd, IPCHANNEL_IOC_LOCK, name, cookie, 0, 0);
}

static inline int unlock(int fd, const char *name, uint64_t cookie)
{
	return lock_call(fd, IPCHANNEL_IOC_UNLOCK, name, cookie, 0, 0);
}

static inline int lock_info(int fd, const char *name,
			    struct ipchannel_lock_info *li)
{
	memset(li, PATTERN, sizeof(*li));
	snprintf(li->name, sizeof(li->name), "%s", name);
	return ioctl(fd, IPCHANNEL_IOC_LOCK_INFO, li) < 0 ? -errno : 0;
}

/* Spins until lock @name has @n waiters: proof that they are queued. */
static inline int wait_waiters(int fd, const char *name, uint32_t n)
{
	struct ipchannel_lock_info li;
	long i;

	for (i = 0; i < 100000000L; i++) {
		if (lock_info(fd, name, &li))
			return -1;
		if (li.nr_waiters == n)
			return 0;
		sched_yield();
	}
	return -1;
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Writes module parameter @name; 0 or -errno (EINVAL: out of range). */
static inline int param_set(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int param_set_num(const char *name, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	return param_set(name, buf);
}

/* Reads module parameter @name; its value or -errno. */
static inline long param_get(const char *name)
{
	char path[128], buf[32] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -EIO;
}

static inline void ignore_signal(int sig)
{
	(void)sig;
}

/*
 * SIGUSR1 runs an empty handler: with @flags 0 it interrupts a sleeping
 * system call (EINTR), with SA_RESTART the kernel restarts the call.
 */
static inline void catch_sigusr1(int flags)
{
	struct sigaction sa = { .sa_handler = ignore_signal,
				.sa_flags = flags };

	sigaction(SIGUSR1, &sa, NULL);
}

/* Reads exactly @n bytes from a pipe that writers fill a byte at a time. */
static inline ssize_t read_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			return r;
		got += r;
	}
	return got;
}

/* A unique channel name per test process; the caller frees nothing. */
static inline const char *chan_name(const char *tag)
{
	char *name;

	if (asprintf(&name, "t-%s-%d", tag, getpid()) < 0)
		exit(1);
	return name;
}

#endif /* IPCH_TEST_H */
