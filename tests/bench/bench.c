// SPDX-License-Identifier: GPL-2.0
/* bench.c - ipchannel against the socket relay and flock() it replaces */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipchannel.h>

#define MSG_SIZE	64	/* payload bytes of every message */
#define FANOUT_MSGS	20000
#define PINGPONG_ROUNDS	20000
#define LOCK_ROUNDS	5000	/* acquisitions per process */
#define MAX_PROCS	16
#define RUN_TIMEOUT	300	/* seconds until a stuck run is killed */
#define LOCK_NAME	"bench"
#define LOCK_FILE	"/tmp/ipchannel-bench.lock"

/* A child's report that it is set up: its index and its peer id (or 0). */
struct hello {
	uint32_t index;
	uint32_t peer;
};

/* Who took the lock, in order: one byte per acquisition (shared mmap). */
struct lock_log {
	int arrived;		/* children past all_running() */
	long pos;
	uint8_t who[MAX_PROCS * LOCK_ROUNDS];
};

struct bench;
typedef void (*child_fn)(struct bench *b, int index);

/*
 * One measurement: n child processes set themselves up, report with a
 * struct hello on the ready pipe and wait for the start; the parent then
 * takes the time, sends every child the roster of peer ids on the start
 * pipe, and takes the time again once nr_done children wrote a byte on
 * the done pipe.
 */
struct bench {
	int n;				/* child processes */
	int nr_done;			/* children that report the end */
	long count;			/* messages, trips or acquisitions */
	char channel[IPCHANNEL_NAME_LEN];
	int sk[MAX_PROCS][2];		/* socket pairs, by case */
	struct lock_log *log;
	int ready[2], start[2], done[2];
	uint32_t peer[MAX_PROCS];	/* the roster, known after the start */
};

static void fail(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void write_all(int fd, const void *buf, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("write", r < 0 ? errno : EPIPE);
		buf = (const char *)buf + r;
		len -= r;
	}
}

static void read_full(int fd, void *buf, size_t len)
{
	ssize_t r;

	while (len) {
		r = read(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("read", r < 0 ? errno : EPIPE);
		buf = (char *)buf + r;
		len -= r;
	}
}

/* --- processes and the start barrier ------------------------------- */

/* In a child: report that it is set up, then wait for the start. */
static void child_ready(struct bench *b, int index, uint32_t peer)
{
	struct hello h = { .index = index, .peer = peer };

	write_all(b->ready[1], &h, sizeof(h));
	read_full(b->start[0], b->peer, sizeof(b->peer));
}

static void child_done(struct bench *b)
{
	char c = 1;

	write_all(b->done[1], &c, 1);
}

static struct ipch *child_join(struct bench *b, int index)
{
	struct ipch *ipc;
	int err;

	err = ipch_open(&ipc, b->channel, NULL);
	if (err)
		fail("ipch_open", -err);
	child_ready(b, index, ipch_peer_id(ipc));
	return ipc;
}

static void spawn(struct bench *b, child_fn fn)
{
	pid_t pid;
	int i;

	if (pipe(b->ready) || pipe(b->start) || pipe(b->done))
		fail("pipe", errno);
	fflush(NULL);
	for (i = 0; i < b->n; i++) {
		pid = fork();
		if (pid < 0)
			fail("fork", errno);
		if (pid == 0) {
			fn(b, i);
			exit(0);
		}
	}
	/* Only the children write these: a child that dies gives EOF. */
	close(b->ready[1]);
	close(b->done[1]);
	close(b->start[0]);
}

static void reap(struct bench *b)
{
	int i, status;

	for (i = 0; i < b->n; i++) {
		if (wait(&status) < 0)
			fail("wait", errno);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail("a child process failed", EIO);
	}
	close(b->ready[0]);
	close(b->start[1]);
	close(b->done[0]);
}

/* Runs fn in b->n children; returns the ns from the start to the end. */
static uint64_t run(struct bench *b, child_fn fn)
{
	struct hello h;
	uint64_t t0, t1;
	char c;
	int i;

	spawn(b, fn);
	memset(b->peer, 0, sizeof(b->peer));
	for (i = 0; i < b->n; i++) {
		read_full(b->ready[0], &h, sizeof(h));
		b->peer[h.index] = h.peer;
	}

	alarm(RUN_TIMEOUT);
	t0 = now_ns();
	for (i = 0; i < b->n; i++)
		write_all(b->start[1], b->peer, sizeof(b->peer));
	for (i = 0; i < b->nr_done; i++)
		read_full(b->done[0], &c, 1);
	t1 = now_ns();
	alarm(0);

	reap(b);
	return t1 - t0;
}

static void bench_init(struct bench *b, const char *what, int n, long count)
{
	memset(b, 0, sizeof(*b));
	b->n = n;
	b->count = count;
	snprintf(b->channel, sizeof(b->channel), "bench-%s-%d", what,
		 (int)getpid());
}

static void socket_pairs(struct bench *b, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, b->sk[i]))
			fail("socketpair", errno);
}

static void close_pairs(struct bench *b, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		close(b->sk[i][0]);
		close(b->sk[i][1]);
	}
}

static void print_head(const char *title, const char *n, const char *rate,
		       const char *cost, const char *extra)
{
	printf("\n%s\n", title);
	printf("  %-24s %3s %11s %11s %9s %s\n", "method", n, "elapsed ms",
	       rate, cost, extra);
}

/* One result; n is left blank when it is 0. */
static void print_row(const char *method, int n, long count, uint64_t ns,
		      const char *extra)
{
	char nbuf[12] = "";

	if (n)
		snprintf(nbuf, sizeof(nbuf), "%d", n);
	printf("  %-24s %3s %11.3f %11.0f %9.2f %s\n", method, nbuf,
	       ns / 1e6, count * 1e9 / ns, ns / 1e3 / count, extra);
	fflush(stdout);
}

/* --- 1. broadcast fan-out ------------------------------------------ */

/* Reads 64-byte messages from a stream socket until it has count. */
static void sock_receiver(int fd, long count)
{
	char buf[64 * MSG_SIZE];
	size_t want = count * MSG_SIZE;
	ssize_t r;

	while (want) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("receiver read", r < 0 ? errno : EPIPE);
		want -= r;
	}
}

/* Child 0 broadcasts, children 1..n-1 count what they receive. */
static void ipch_fanout_child(struct bench *b, int index)
{
	struct ipch *ipc = child_join(b, index);
	char data[MSG_SIZE] = { 0 };
	struct ipch_msg msg;
	long i;
	int err;

	for (i = 0; i < b->count; i++) {
		if (index == 0)
			err = ipch_broadcast(ipc, NULL, data, sizeof(data),
					     IPCH_NOSELF);
		else
			err = ipch_recv(ipc, &msg, -1);
		if (err)
			fail(index ? "ipch_recv" : "ipch_broadcast", -err);
	}
	if (index)
		child_done(b);
	ipch_close(ipc);
}

/*
 * The relay that ipchannel replaces: it reads the sender's stream and
 * writes every whole message to each receiver, one write per message and
 * receiver, as a relay that routes each message by its header must.
 */
static void relay_fanout(struct bench *b)
{
	char buf[64 * MSG_SIZE];
	long left = b->count;
	size_t have = 0, off;
	ssize_t r;
	int i;

	while (left) {
		r = read(b->sk[0][1], buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("relay read", r < 0 ? errno : EPIPE);
		have += r;
		for (off = 0; have - off >= MSG_SIZE; off += MSG_SIZE, left--)
			for (i = 1; i < b->n - 1; i++)
				write_all(b->sk[i][0], buf + off, MSG_SIZE);
		memmove(buf, buf + off, have - off);
		have -= off;
	}
}

/*
 * Child 0 sends to the relay on pair 0, child 1 relays, child 1 + i
 * receives on pair i.
 */
static void sock_fanout_child(struct bench *b, int index)
{
	char data[MSG_SIZE] = { 0 };
	long i;

	child_ready(b, index, 0);
	if (index == 0) {
		for (i = 0; i < b->count; i++)
			write_all(b->sk[0][0], data, sizeof(data));
	} else if (index == 1) {
		relay_fanout(b);
	} else {
		sock_receiver(b->sk[index - 1][1], b->count);
		child_done(b);
	}
}

static void bench_fanout(void)
{
	static const int receivers[] = { 1, 3, 7 };
	struct bench b;
	unsigned int i;
	int n;

	print_head("broadcast fan-out: 1 sender, N receivers, 20000 messages "
		   "of 64 bytes", "N", "msgs/s", "us/msg", "");
	for (i = 0; i < sizeof(receivers) / sizeof(receivers[0]); i++) {
		n = receivers[i];
		bench_init(&b, "fanout", 1 + n, FANOUT_MSGS);
		b.nr_done = n;
		print_row("ipchannel broadcast", n, b.count,
			  run(&b, ipch_fanout_child), "");

		bench_init(&b, "fanout", 2 + n, FANOUT_MSGS);
		b.nr_done = n;
		socket_pairs(&b, 1 + n);
		print_row("unix-socket relay", n, b.count,
			  run(&b, sock_fanout_child), "");
		close_pairs(&b, 1 + n);
	}
}

/* --- 2. ping-pong latency ------------------------------------------ */

/* Child 0 sends to child 1 and waits for the echo, count times. */
static void ipch_pingpong_child(struct bench *b, int index)
{
	struct ipch *ipc = child_join(b, index);
	char data[MSG_SIZE] = { 0 };
	struct ipch_msg msg;
	long i;
	int err = 0;

	for (i = 0; i < b->count && !err; i++) {
		if (index == 0)
			err = ipch_send(ipc, b->peer[1], data, sizeof(data));
		if (!err)
			err = ipch_recv(ipc, &msg, -1);
		if (!err && index == 1)
			err = ipch_send(ipc, msg.sender, msg.data, msg.len);
	}
	if (err)
		fail("ipchannel ping-pong", -err);
	if (index == 0)
		child_done(b);
	ipch_close(ipc);
}

/* Child 0 pings on pair 0, child 1 echoes on pair 1 (given by the case). */
static void pingpong(struct bench *b, int index, int fd)
{
	char data[MSG_SIZE] = { 0 };
	long i;

	for (i = 0; i < b->count; i++) {
		if (index == 0)
			write_all(fd, data, sizeof(data));
		read_full(fd, data, sizeof(data));
		if (index == 1)
			write_all(fd, data, sizeof(data));
	}
	if (index == 0)
		child_done(b);
}

static void pair_pingpong_child(struct bench *b, int index)
{
	child_ready(b, index, 0);
	pingpong(b, index, b->sk[0][index]);
}

/* The relay process forwards each message between pair 0 and pair 1. */
static void relay_pingpong(struct bench *b)
{
	struct pollfd pfd[2] = {
		{ .fd = b->sk[0][1], .events = POLLIN },
		{ .fd = b->sk[1][1], .events = POLLIN },
	};
	char data[MSG_SIZE];
	long left = 2 * b->count;
	int i;

	while (left) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail("poll", errno);
		}
		for (i = 0; i < 2; i++) {
			if (!pfd[i].revents)
				continue;
			read_full(pfd[i].fd, data, sizeof(data));
			write_all(pfd[!i].fd, data, sizeof(data));
			left--;
		}
	}
}

static void relay_pingpong_child(struct bench *b, int index)
{
	child_ready(b, index, 0);
	if (index == 2)
		relay_pingpong(b);
	else
		pingpong(b, index, b->sk[index][0]);
}

static void bench_pingpong(void)
{
	struct bench b;

	print_head("ping-pong: 2 processes, 20000 round trips of 64 bytes",
		   "", "trips/s", "us/trip", "");

	bench_init(&b, "pingpong", 2, PINGPONG_ROUNDS);
	b.nr_done = 1;
	print_row("ipchannel unicast", 0, b.count,
		  run(&b, ipch_pingpong_child), "");

	bench_init(&b, "pingpong", 2, PINGPONG_ROUNDS);
	b.nr_done = 1;
	socket_pairs(&b, 1);
	print_row("unix socketpair", 0, b.count,
		  run(&b, pair_pingpong_child), "");
	close_pairs(&b, 1);

	bench_init(&b, "pingpong", 3, PINGPONG_ROUNDS);
	b.nr_done = 1;
	socket_pairs(&b, 2);
	print_row("unix-socket relay", 0, b.count,
		  run(&b, relay_pingpong_child), "");
	close_pairs(&b, 2);
}

/* --- 3. lock hand-off ---------------------------------------------- */

/*
 * After the start, wait until every child has run: a child that the
 * scheduler has not yet run would not queue for the lock, and the others
 * would take turns without it, which says nothing about fairness. All
 * run on CPU 0: under QEMU -icount the virtual CPUs take turns in slices
 * of up to a tick, in which a process on the other one makes no progress
 * and so does not ask for the lock either.
 */
static void all_running(struct bench *b)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		fail("sched_setaffinity", errno);
	__atomic_add_fetch(&b->log->arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&b->log->arrived, __ATOMIC_SEQ_CST) < b->n)
		sched_yield();
}

/* Under the lock: note who holds it. */
static void log_holder(struct bench *b, int index)
{
	b->log->who[b->log->pos++] = index;
}

static void ipch_lock_child(struct bench *b, int index)
{
	struct ipch *ipc = child_join(b, index);
	long i;
	int err;

	all_running(b);
	for (i = 0; i < b->count; i++) {
		err = ipch_lock(ipc, LOCK_NAME);
		if (err)
			fail("ipch_lock", -err);
		log_holder(b, index);
		err = ipch_unlock(ipc, LOCK_NAME);
		if (err)
			fail("ipch_unlock", -err);
	}
	child_done(b);
	ipch_close(ipc);
}

/* flock() locks belong to an open file: each child opens its own. */
static void flock_child(struct bench *b, int index)
{
	int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	long i;

	if (fd < 0)
		fail(LOCK_FILE, errno);
	child_ready(b, index, 0);
	all_running(b);
	for (i = 0; i < b->count; i++) {
		if (flock(fd, LOCK_EX))
			fail("flock", errno);
		log_holder(b, index);
		if (flock(fd, LOCK_UN))
			fail("flock", errno);
	}
	child_done(b);
	close(fd);
}

/*
 * The longest run of acquisitions by one process while every process
 * competed: from the first acquisition of the last process to take the
 * lock to the last acquisition of the first process to finish. If one
 * finished before another ever got the lock, its final run.
 */
static long longest_run(const struct lock_log *log, int procs, long rounds)
{
	long count[MAX_PROCS] = { 0 };
	long i, run = 0, best = 0;
	int seen = 0;

	for (i = 0; i < log->pos; i++) {
		run = i && log->who[i] == log->who[i - 1] ? run + 1 : 1;
		if (!count[log->who[i]]++)
			seen++;
		if (seen == procs && run > best)
			best = run;
		if (count[log->who[i]] == rounds)
			break;
	}
	return seen == procs ? best : run;
}

static void lock_case(const char *method, int procs, child_fn fn)
{
	struct bench b;
	char extra[32];
	uint64_t ns;

	bench_init(&b, "lock", procs, LOCK_ROUNDS);
	b.nr_done = procs;
	b.log = mmap(NULL, sizeof(*b.log), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b.log == MAP_FAILED)
		fail("mmap", errno);

	ns = run(&b, fn);
	if (b.log->pos != procs * b.count)
		fail("lock log: lost acquisitions", EIO);
	snprintf(extra, sizeof(extra), "%9ld",
		 longest_run(b.log, procs, b.count));
	print_row(method, procs, procs * b.count, ns, extra);
	munmap(b.log, sizeof(*b.log));
}

static void bench_lock(void)
{
	static const int procs[] = { 2, 4 };
	unsigned int i;

	print_head("lock hand-off: N processes, 5000 acquisitions each of one "
		   "lock,\n  all on CPU 0", "N", "locks/s", "us/lock",
		   "max run");
	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		lock_case("ipchannel lock", procs[i], ipch_lock_child);
		lock_case("flock(LOCK_EX)", procs[i], flock_child);
	}
	unlink(LOCK_FILE);
}

/* --- main ---------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
	const char *help;
} cmds[] = {
	{ "fanout", bench_fanout, "broadcast: ipchannel vs a socket relay" },
	{ "pingpong", bench_pingpong,
	  "round trips: ipchannel vs socketpair vs relay" },
	{ "lock", bench_lock, "lock hand-off: ipchannel vs flock()" },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: bench [all | COMMAND...]\n\n");
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "  %-10s every one of them (the default)\n", "all");
}

static void print_banner(void)
{
	printf("ipchannel benchmarks: fixed counts, CLOCK_MONOTONIC, 64-byte "
	       "messages\n");
	printf("Under make bench (QEMU -icount shift=0,sleep=off) the guest "
	       "clock counts\ninstructions and idle time is skipped, so the "
	       "figures repeat exactly from\nrun to run; only ratios mean "
	       "anything.\n");
}

int main(int argc, char **argv)
{
	unsigned int i;
	int a;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	for (a = 1; a < argc; a++) {
		for (i = 0; i < NR_CMDS; i++)
			if (!strcmp(argv[a], cmds[i].name))
				break;
		if (i == NR_CMDS && strcmp(argv[a], "all")) {
			usage(stderr);
			return 2;
		}
	}

	print_banner();
	for (i = 0; i < NR_CMDS; i++) {
		for (a = 1; a < argc; a++)
			if (!strcmp(argv[a], "all") ||
			    !strcmp(argv[a], cmds[i].name))
				break;
		if (argc == 1 || a < argc)
			cmds[i].fn();
	}
	return 0;
}
