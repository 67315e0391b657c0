// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz.c - throws random and mutated calls at /dev/ipchannel from several
 * processes at once: send records with random fields and lengths, reads
 * of random sizes into good and bad memory, every ioctl (and unknown ones)
 * with random arguments, polls, joins, closes.
 *
 * A call may fail, but only with an errno the interface documents
 * (docs/kernel-interface.md); a read must return whole, well-formed
 * records. At the end every file is closed and, as root, the module's
 * object counters must be back to zero. What the kernel thinks of it
 * (oops, WARN, KASAN, kmemleak) is for the guest's log check.
 *
 * Usage: fuzz [--duration S] [--procs N] [--seed N]
 * Exit status: 0 clean, 1 an unexpected result, 4 no device (skip).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/ipchannel.h>

#define KSFT_SKIP	4
#define MAX_FDS		8
#define BUF_SIZE	(160 * 1024)	/* more than two maximal records */
#define PAGE		4096

/* Every errno the interface documents for some call, as a bit each. */
static const int documented[] = {
	EACCES, EAGAIN, EDEADLK, EDQUOT, EEXIST, EFAULT, EINTR, EINVAL,
	EISCONN, EMSGSIZE, ENAMETOOLONG, ENOBUFS, ENOENT, ENOMEM, ENOSPC,
	ENOTCONN, ENOTTY, ENXIO, EOPNOTSUPP, EPERM, ETIMEDOUT, EUSERS,
};

enum op { OP_OPEN, OP_CLOSE, OP_JOIN, OP_WRITE, OP_WRITEV, OP_READ,
	  OP_IOCTL, OP_LOCK, OP_POLL, NR_OPS };

static const char *const op_name[NR_OPS] = {
	"open", "close", "join", "write", "writev", "read", "ioctl", "lock",
	"poll",
};

/* What one process did; summed by the parent through a pipe. */
struct tally {
	unsigned long calls[NR_OPS], ok[NR_OPS];
	unsigned long errno_seen[64];	/* by index into documented[] */
	unsigned long bad;		/* unexpected results */
};

struct fuzzer {
	uint64_t rng;
	int fd[MAX_FDS];
	char *buf;		/* BUF_SIZE bytes, read-write */
	char *guard;		/* a PROT_NONE page right after buf */
	char *rdonly;		/* a read-only page */
	struct tally t;
};

static uint32_t rnd(struct fuzzer *f, uint32_t n)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return n ? (uint32_t)(f->rng % n) : (uint32_t)f->rng;
}

static void fill_random(struct fuzzer *f, void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = rnd(f, 0);
}

static int errno_index(int err)
{
	size_t i;

	for (i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		if (documented[i] == err)
			return i;
	return -1;
}

/* Counts a call's result; a failure must carry a documented errno. */
static void note(struct fuzzer *f, enum op op, long ret, int err)
{
	int i;

	f->t.calls[op]++;
	if (ret >= 0) {
		f->t.ok[op]++;
		return;
	}
	i = errno_index(err);
	if (i < 0) {
		fprintf(stderr, "fuzz[%d]: %s failed with undocumented %s\n",
			getpid(), op_name[op], strerror(err));
		f->t.bad++;
		return;
	}
	f->t.errno_seen[i]++;
}

static void bad(struct fuzzer *f, const char *what)
{
	fprintf(stderr, "fuzz[%d]: %s\n", getpid(), what);
	f->t.bad++;
}

/* A descriptor slot at random; -1 if it is closed. */
static int pick_fd(struct fuzzer *f)
{
	return f->fd[rnd(f, MAX_FDS)];
}

/* An argument pointer: mostly the buffer, sometimes memory that faults. */
static void *pick_mem(struct fuzzer *f, size_t len)
{
	switch (rnd(f, 16)) {
	case 0:
		return NULL;
	case 1:
		return f->guard;
	case 2:
		return f->rdonly;
	case 3:	/* runs into the guard page */
		return f->guard - (len ? rnd(f, len) + 1 : 1);
	case 4:
		return (void *)(uintptr_t)rnd(f, 0);
	default:
		return f->buf + rnd(f, 8);
	}
}

/* A name: valid, or one of the ways a name can be wrong. */
static void make_name(struct fuzzer *f, char *name)
{
	static const char *const good[] = { "fz-a", "fz-b", "fz-c" };

	memset(name, 0, IPCHANNEL_NAME_LEN);
	switch (rnd(f, 8)) {
	case 0:
		fill_random(f, name, IPCHANNEL_NAME_LEN);
		break;
	case 1:
		memset(name, 'n', IPCHANNEL_NAME_LEN);	/* no NUL */
		break;
	case 2:
		memset(name, 'n', rnd(f, IPCHANNEL_NAME_LEN));
		break;
	default:
		strcpy(name, good[rnd(f, 3)]);
	}
}

static void op_open(struct fuzzer *f)
{
	int slot = rnd(f, MAX_FDS), fd;

	if (f->fd[slot] >= 0)
		close(f->fd[slot]);
	fd = open("/dev/ipchannel", O_RDWR | O_CLOEXEC |
		  (rnd(f, 4) ? O_NONBLOCK : 0));
	note(f, OP_OPEN, fd, errno);
	f->fd[slot] = fd;
	/* Mostly a peer at once, so that most calls reach a channel. */
	if (fd >= 0 && rnd(f, 4)) {
		struct ipchannel_join j = {
			.flags = IPCHANNEL_JOIN_CREATE | IPCHANNEL_JOIN_SHARED,
			.mode = 0666,
		};

		snprintf(j.name, sizeof(j.name), "fz-%c", 'a' + rnd(f, 3));
		note(f, OP_JOIN, ioctl(fd, IPCHANNEL_IOC_JOIN, &j), errno);
	}
}

static void op_close(struct fuzzer *f)
{
	int slot = rnd(f, MAX_FDS);

	if (f->fd[slot] < 0)
		return;
	note(f, OP_CLOSE, close(f->fd[slot]), errno);
	f->fd[slot] = -1;
}

static void op_join(struct fuzzer *f)
{
	struct ipchannel_join *j = (void *)f->buf;
	void *arg = j;
	long ret;

	memset(j, 0, sizeof(*j));
	make_name(f, j->name);
	j->flags = rnd(f, 4) ? IPCHANNEL_JOIN_CREATE | IPCHANNEL_JOIN_SHARED
			     : rnd(f, 0);
	j->mode = rnd(f, 2) ? 0666 : rnd(f, 0);
	if (!rnd(f, 8))
		j->reserved = rnd(f, 0);
	if (!rnd(f, 8))
		arg = pick_mem(f, sizeof(*j));
	ret = ioctl(pick_fd(f), IPCHANNEL_IOC_JOIN, arg);
	if (ret < 0 && errno == EBADF)
		return;		/* a closed slot: not the module's call */
	note(f, OP_JOIN, ret, errno);
}

/*
 * Builds 1 to 4 send records at @p, valid ones with a few fields or bytes
 * changed at random; returns the bytes written.
 */
static size_t make_records(struct fuzzer *f, char *p, size_t room)
{
	static const uint32_t targets[] = { IPCHANNEL_PEER_ALL, 1, 2, 3, 0,
					    9, IPCHANNEL_PEER_MAX + 1 };
	uint32_t n = rnd(f, 4) + 1, len, elen, i;
	struct ipchannel_send *s;
	size_t at = 0, size;

	for (i = 0; i < n; i++) {
		len = rnd(f, 4) ? rnd(f, 512) : rnd(f, 70000);
		elen = rnd(f, 3) ? 0 : rnd(f, 70);
		size = IPCHANNEL_ALIGN(sizeof(*s) + elen + len);
		if (at + size > room)
			break;
		s = (void *)(p + at);
		s->target = rnd(f, 8) ? targets[rnd(f, 7)] : rnd(f, 0);
		s->flags = rnd(f, 4) ? 0 : rnd(f, 8) ? IPCHANNEL_SEND_NOSELF
						     : rnd(f, 0);
		s->len = len;
		s->event_len = elen;
		s->reserved = rnd(f, 16) ? 0 : rnd(f, 0);
		memset(p + at + sizeof(*s), 'e', elen);
		if (!rnd(f, 6))
			fill_random(f, p + at + sizeof(*s), elen);
		memset(p + at + sizeof(*s) + elen, 'd', size - sizeof(*s) -
		       elen);
		if (!rnd(f, 8))	/* a length that lies */
			s->len = rnd(f, 8) ? len + rnd(f, 64) - 32 : rnd(f, 0);
		at += size;
	}
	if (!rnd(f, 6))	/* flip a byte anywhere */
		p[rnd(f, at ? at : 1)] ^= 1 << rnd(f, 8);
	return at;
}

static void op_write(struct fuzzer *f)
{
	size_t n = make_records(f, f->buf, BUF_SIZE);
	int fd = pick_fd(f);
	void *p = f->buf;
	long ret;

	if (fd < 0)
		return;
	if (!rnd(f, 6))	/* cut short, or too long */
		n = rnd(f, 2) ? rnd(f, n + 1) : n + rnd(f, 64);
	if (!rnd(f, 10)) {	/* end at the guard page */
		n = n % PAGE + 1;
		p = f->guard - n + rnd(f, 2) * 8;
		memset(f->guard - PAGE, 0, PAGE);
	}
	if (rnd(f, 3))
		ret = write(fd, p, n);
	else {
		struct iovec iov = { p, n };

		ret = pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
	}
	note(f, OP_WRITE, ret, errno);
	if (ret > (long)n)
		bad(f, "write accepted more bytes than it was given");
}

/* The same records, cut into random pieces. */
static void op_writev(struct fuzzer *f)
{
	size_t n = make_records(f, f->buf, BUF_SIZE), at = 0, piece;
	struct iovec iov[8];
	int fd = pick_fd(f), nr = 0;
	long ret;

	if (fd < 0)
		return;
	while (at < n && nr < 8) {
		piece = nr == 7 ? n - at : rnd(f, n - at) + 1;
		iov[nr].iov_base = f->buf + at;
		iov[nr].iov_len = piece;
		if (!rnd(f, 20))
			iov[nr].iov_base = pick_mem(f, piece);
		at += piece;
		nr++;
	}
	ret = writev(fd, iov, nr);
	note(f, OP_WRITEV, ret, errno);
	if (ret > (long)n)
		bad(f, "writev accepted more bytes than it was given");
}

/* Checks that @n bytes at @p are whole receive records. */
static void check_records(struct fuzzer *f, const char *p, size_t n)
{
	const struct ipchannel_recv *h;
	size_t at = 0;

	while (at < n) {
		if (n - at < sizeof(*h)) {
			bad(f, "read returned part of a record header");
			return;
		}
		h = (const void *)(p + at);
		if (h->size != IPCHANNEL_ALIGN(sizeof(*h) + h->event_len +
					       (uint64_t)h->len) ||
		    h->size > n - at || h->reserved ||
		    h->event_len > IPCHANNEL_NAME_MAX) {
			bad(f, "read returned a malformed record");
			return;
		}
		at += h->size;
	}
}

static void op_read(struct fuzzer *f)
{
	size_t n = rnd(f, 4) ? rnd(f, 2048) : rnd(f, BUF_SIZE + 1);
	int fd = pick_fd(f);
	char *p = f->buf;
	bool faulty = false;
	struct iovec iov;
	long ret;

	if (fd < 0)
		return;
	if (!rnd(f, 10)) {
		p = pick_mem(f, n);
		faulty = p < f->buf || p >= f->buf + 8;
	}
	iov.iov_base = p;
	iov.iov_len = n;
	ret = preadv2(fd, &iov, 1, -1, rnd(f, 2) ? RWF_NOWAIT : 0);
	note(f, OP_READ, ret, errno);
	if (ret > (long)n)
		bad(f, "read returned more bytes than asked for");
	else if (ret > 0 && !faulty)
		check_records(f, p, ret);
}

/* A command number: a real one, or one close to a real one. */
static unsigned long pick_cmd(struct fuzzer *f)
{
	static const unsigned long cmds[] = {
		IPCHANNEL_IOC_JOIN, IPCHANNEL_IOC_INFO, IPCHANNEL_IOC_STATS,
		IPCHANNEL_IOC_SUBSCRIBE, IPCHANNEL_IOC_LOCK,
		IPCHANNEL_IOC_UNLOCK, IPCHANNEL_IOC_LOCK_INFO,
	};
	unsigned long cmd = cmds[rnd(f, 7)];

	switch (rnd(f, 6)) {
	case 0:	/* another size or direction */
		return _IOC(rnd(f, 4), IPCHANNEL_IOC_MAGIC, _IOC_NR(cmd),
			    rnd(f, 256));
	case 1:	/* another number */
		return _IOC(_IOC_DIR(cmd), IPCHANNEL_IOC_MAGIC, rnd(f, 256),
			    _IOC_SIZE(cmd));
	default:
		return cmd;
	}
}

static void op_ioctl(struct fuzzer *f)
{
	unsigned long cmd = pick_cmd(f);
	int fd = pick_fd(f);
	void *arg = f->buf;
	long ret;

	if (fd < 0 || cmd == IPCHANNEL_IOC_JOIN)
		return;
	fill_random(f, f->buf, 256);
	if (rnd(f, 2))
		memset(f->buf, 0, 8 + rnd(f, 200));
	/* Blocking lock requests are op_lock()'s, with deadlines. */
	if (cmd == IPCHANNEL_IOC_LOCK)
		((struct ipchannel_lock *)f->buf)->flags |=
			IPCHANNEL_LOCK_TRY;
	if (!rnd(f, 5))
		arg = pick_mem(f, _IOC_SIZE(cmd));
	ret = ioctl(fd, cmd, arg);
	note(f, OP_IOCTL, ret, errno);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Well-formed lock calls with random names, cookies, flags, deadlines. */
static void op_lock(struct fuzzer *f)
{
	static const char *const names[] = { "la", "lb", "lc" };
	struct ipchannel_lock l;
	int fd = pick_fd(f);
	long ret;

	if (fd < 0)
		return;
	memset(&l, 0, sizeof(l));
	if (rnd(f, 8))
		strcpy(l.name, names[rnd(f, 3)]);
	else
		make_name(f, l.name);
	l.cookie = rnd(f, 3);
	l.deadline_ns = rnd(f, 4) ? mono_ns() + rnd(f, 3000000) : rnd(f, 0);
	l.flags = rnd(f, 8) ? rnd(f, 4) : rnd(f, 0);
	if (!rnd(f, 16))
		l.reserved = 1;
	ret = ioctl(fd, rnd(f, 2) ? IPCHANNEL_IOC_LOCK : IPCHANNEL_IOC_UNLOCK,
		    &l);
	note(f, OP_LOCK, ret, errno);
}

static void op_poll(struct fuzzer *f)
{
	struct pollfd p[MAX_FDS];
	int i, n = 0;
	long ret;

	for (i = 0; i < MAX_FDS; i++) {
		if (f->fd[i] < 0)
			continue;
		p[n].fd = f->fd[i];
		p[n++].events = rnd(f, 0) & 0xffff;
	}
	ret = poll(p, n, rnd(f, 3) ? 0 : 1);
	note(f, OP_POLL, ret, errno);
}

static void (*const ops[NR_OPS])(struct fuzzer *) = {
	op_open, op_close, op_join, op_write, op_writev, op_read, op_ioctl,
	op_lock, op_poll,
};

/* How often each operation is picked, out of the sum. */
static const unsigned int weight[NR_OPS] = { 4, 2, 6, 20, 8, 20, 14, 10, 4 };

static void on_alarm(int sig)
{
	(void)sig;
}

static int setup(struct fuzzer *f, uint64_t seed)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	char *map;
	int i;

	f->rng = seed | 1;
	for (i = 0; i < MAX_FDS; i++)
		f->fd[i] = -1;
	map = mmap(NULL, BUF_SIZE + 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -1;
	f->buf = map;
	f->guard = map + BUF_SIZE;
	f->rdonly = map + BUF_SIZE + PAGE;
	if (mprotect(f->guard, PAGE, PROT_NONE) ||
	    mprotect(f->rdonly, PAGE, PROT_READ))
		return -1;
	/* A blocking call that nothing would end is cut short by EINTR. */
	sigaction(SIGALRM, &sa, NULL);
	return setitimer(ITIMER_REAL, &it, NULL);
}

static void fuzz_proc(uint64_t seed, double end, int out)
{
	struct fuzzer f = { 0 };
	unsigned int sum = 0, pick, op, i;

	if (setup(&f, seed))
		_exit(1);
	for (op = 0; op < NR_OPS; op++)
		sum += weight[op];
	while (mono_ns() / 1e9 < end) {
		for (i = 0; i < 64; i++) {
			pick = rnd(&f, sum);
			for (op = 0; pick >= weight[op]; op++)
				pick -= weight[op];
			ops[op](&f);
		}
	}
	for (i = 0; i < MAX_FDS; i++)
		if (f.fd[i] >= 0)
			close(f.fd[i]);
	if (write(out, &f.t, sizeof(f.t)) != sizeof(f.t))
		_exit(1);
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz [--duration S] [--procs N] [--seed N]\n");
	exit(2);
}

/* Sums the tallies, prints them; false if anything unexpected happened. */
static bool report(const struct tally *t)
{
	unsigned int op, i;

	printf("# %-7s %10s %10s\n", "call", "made", "succeeded");
	for (op = 0; op < NR_OPS; op++)
		printf("# %-7s %10lu %10lu\n", op_name[op], t->calls[op],
		       t->ok[op]);
	printf("# errors:");
	for (i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		if (t->errno_seen[i])
			printf(" %s %lu", strerrorname_np(documented[i]),
			       t->errno_seen[i]);
	printf("\n# unexpected results: %lu\n", t->bad);
	return !t->bad;
}

/* As root: every object of the module must be gone. */
static bool counters_zero(void)
{
	struct ipchannel_stats st;
	int fd = open("/dev/ipchannel", O_RDWR | O_CLOEXEC), ret;

	if (geteuid() != 0) {
		printf("# not root: the module's counters are not checked\n");
		return true;
	}
	ret = fd < 0 ? -1 : ioctl(fd, IPCHANNEL_IOC_STATS, &st);
	if (fd >= 0)
		close(fd);
	if (ret) {
		perror("fuzz: IPCHANNEL_IOC_STATS");
		return false;
	}
	printf("# left: channels %llu peers %llu messages %llu records %llu"
	       " locks %llu lock_waiters %llu\n",
	       st.channels, st.peers, st.messages, st.records, st.locks,
	       st.lock_waiters);
	return !(st.channels | st.peers | st.messages | st.records |
		 st.locks | st.lock_waiters);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ 0 }
	};
	struct tally sum = { 0 }, t;
	int duration = 20, procs = 4, c, i, status, pfd[2];
	uint64_t seed = mono_ns();
	bool ok = true;
	double end;
	pid_t pid;
	size_t k;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': duration = atoi(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (procs < 1 || procs > 64 || duration < 1)
		usage();
	if (access("/dev/ipchannel", R_OK | W_OK)) {
		printf("# /dev/ipchannel missing: module not loaded\n");
		return KSFT_SKIP;
	}
	printf("# fuzz: %d processes for %d s, seed %llu\n", procs, duration,
	       (unsigned long long)seed);
	fflush(stdout);
	if (pipe(pfd))
		return 1;

	end = mono_ns() / 1e9 + duration;
	for (i = 0; i < procs; i++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			fuzz_proc(seed + 0x9e3779b97f4a7c15ULL * (i + 1), end,
				  pfd[1]);
	}
	close(pfd[1]);
	for (i = 0; i < procs; i++) {
		if (read(pfd[0], &t, sizeof(t)) != sizeof(t)) {
			fprintf(stderr, "fuzz: a process gave no tally\n");
			ok = false;
			break;
		}
		for (k = 0; k < sizeof(t) / sizeof(unsigned long); k++)
			((unsigned long *)&sum)[k] += ((unsigned long *)&t)[k];
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ok = false;
	ok = report(&sum) && ok;
	ok = counters_zero() && ok;
	printf("# fuzz: %s\n", ok ? "clean" : "FAILED");
	return ok ? 0 : 1;
}
