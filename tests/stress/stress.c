// SPDX-License-Identifier: GPL-2.0
/*
 * stress.c - the stress tool's supervisor: starts the workers, kills
 * random ones with SIGKILL and starts them again, cuts the run into
 * epochs, checks each (check.c) and ends with the module's object
 * counters at zero.
 *
 * Usage: stress [--duration S] [--workers N] [--epoch S] [--kill-ms MS]
 *               [--seed N]
 * Exit status: 0 clean, 1 a violation or a failure, 4 no device (skip).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/ipchannel.h>

#include "stress_int.h"

#define KSFT_SKIP	4
#define STOP_TIMEOUT_S	120	/* workers stop within this, or it fails */

struct opts {
	int duration, workers, epoch, kill_ms;
	uint64_t seed;
};

struct run {
	struct shm *s;
	struct opts o;
	pid_t pid[MAX_SLOTS];
	unsigned long kills, failures;
	struct check_result total;
	uint64_t rng;
};

static uint32_t rnd(struct run *r, uint32_t n)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return n ? (uint32_t)(r->rng % n) : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(struct run *r, const char *fmt, const char *what, int n)
{
	r->failures++;
	printf("# failure: ");
	printf(fmt, what, n);
	printf("\n");
}

static void spawn(struct run *r, int slot)
{
	static unsigned int generation;
	pid_t pid = fork();

	if (pid == 0)
		worker_main(r->s, slot, r->o.seed + ++generation * 7919);
	if (pid < 0)
		fail(r, "%s: %d", "fork", errno);
	r->pid[slot] = pid;
}

/* A worker that ended by itself: always a failure. */
static void reap_strays(struct run *r)
{
	int status, slot;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (slot = 0; slot < r->o.workers; slot++)
			if (r->pid[slot] == pid)
				break;
		fail(r, "%s ended by itself, status %d", "a worker", status);
		if (slot < r->o.workers)
			spawn(r, slot);
	}
}

/*
 * Kills the worker of @slot. The kill is marked first, so that a lock
 * its incarnation held may go to another from then on, and so that the
 * check knows from when it may have stopped being a peer.
 */
static void kill_one(struct run *r, int slot)
{
	struct shm *s = r->s;
	uint64_t t = tick(s), death, never;
	int status, i, n;

	/*
	 * Marked before the slot's incarnation is looked up, while inc_new()
	 * does the opposite: one of the two sees the other.
	 */
	atomic_store(&s->slot_kill[slot], t);
	i = atomic_load(&s->slot_inc[slot]) - 1;
	if (i >= 0) {
		never = NEVER;
		atomic_compare_exchange_strong(&s->inc[i].kill0, &never, t);
	}
	kill(r->pid[slot], SIGKILL);
	if (waitpid(r->pid[slot], &status, 0) != r->pid[slot] ||
	    !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail(r, "%s: worker status %d", "kill", status);
	death = tick(s);

	n = atomic_load(&s->nr_inc);
	for (i = 0; i < n && i < MAX_INC; i++) {
		struct inc *inc = &s->inc[i];

		if (inc->slot != slot || inc->close1 != NEVER ||
		    atomic_load(&inc->drained) || inc->death != NEVER)
			continue;
		never = NEVER;
		atomic_compare_exchange_strong(&inc->kill0, &never, t);
		inc->death = death;
	}
	atomic_store(&s->slot_kill[slot], NEVER);
	r->kills++;
	spawn(r, slot);
}

static void run_phase(struct run *r, double end)
{
	struct shm *s = r->s;

	while (now() < end && !atomic_load(&s->full)) {
		usleep(1000 * (r->o.kill_ms / 2 + rnd(r, r->o.kill_ms + 1)));
		reap_strays(r);
		if (r->o.kill_ms && now() < end &&
		    atomic_load(&s->nr_inc) < MAX_INC - 2 * MAX_SLOTS)
			kill_one(r, rnd(r, r->o.workers));
	}
}

static int stop_phase(struct run *r)
{
	struct shm *s = r->s;
	double limit = now() + STOP_TIMEOUT_S;

	atomic_store(&s->stop, atomic_load(&s->epoch));
	while (atomic_load(&s->drained) < r->o.workers) {
		if (now() > limit) {
			fail(r, "%s: %d workers never stopped", "epoch",
			     r->o.workers - atomic_load(&s->drained));
			return -1;
		}
		reap_strays(r);
		usleep(2000);
	}
	return 0;
}

/* Incarnation records start blank, so that a half-made one reads so. */
static void clear_incs(struct shm *s)
{
	int i;

	for (i = 0; i < MAX_INC; i++) {
		struct inc *inc = &s->inc[i];

		inc->slot = -1;
		inc->pid = 0;
		inc->peer = 0;
		inc->join0 = inc->join1 = NEVER;
		inc->close0 = inc->close1 = NEVER;
		atomic_store(&inc->kill0, NEVER);
		inc->death = NEVER;
		atomic_store(&inc->drained, 0);
		atomic_store(&inc->nev, 0);
	}
}

static void next_epoch(struct shm *s)
{
	int i;

	clear_incs(s);
	atomic_store(&s->nr_inc, 0);
	atomic_store(&s->arrived, 0);
	atomic_store(&s->drained, 0);
	atomic_store(&s->full, 0);
	for (i = 0; i <= MAX_PEER_ID; i++)
		atomic_store(&s->dir[i], 0);
	/* Until its inc_new(), a slot's index of the last epoch is another's. */
	for (i = 0; i < MAX_SLOTS; i++)
		atomic_store(&s->slot_inc[i], 0);
	/* A holder killed with nobody waiting is still marked: forget it. */
	for (i = 0; i < NR_LOCKS; i++)
		atomic_store(&s->locks[i].holder, 0);
	atomic_store(&s->epoch_tick, tick(s));
	atomic_fetch_add(&s->epoch, 1);
}

static void add(struct check_result *to, const struct check_result *r)
{
	to->messages += r->messages;
	to->receipts += r->receipts;
	to->refusals += r->refusals;
	to->requests += r->requests;
	to->violations += r->violations;
}

/* After the last worker left: every object of the module is gone. */
static int counters_zero(void)
{
	struct ipchannel_stats st;
	int fd = open("/dev/ipchannel", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, IPCHANNEL_IOC_STATS, &st);
	close(fd);
	if (ret < 0) {
		printf("# counters not checked: %s\n", strerror(errno));
		return 0;
	}
	printf("# counters: channels %llu peers %llu messages %llu "
	       "records %llu locks %llu lock requests %llu\n",
	       (unsigned long long)st.channels, (unsigned long long)st.peers,
	       (unsigned long long)st.messages, (unsigned long long)st.records,
	       (unsigned long long)st.locks,
	       (unsigned long long)st.lock_waiters);
	return st.channels || st.peers || st.messages || st.records ||
	       st.locks || st.lock_waiters ? -1 : 0;
}

static void finish(struct run *r)
{
	int slot, status;

	atomic_store(&r->s->quit, 1);
	for (slot = 0; slot < r->o.workers; slot++) {
		if (waitpid(r->pid[slot], &status, 0) != r->pid[slot] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			fail(r, "%s: worker ended with status %d", "quit",
			     status);
	}
	if (counters_zero())
		fail(r, "%s: objects left (%d)", "counters", 0);
}

static void report(struct run *r, int epochs)
{
	struct shm *s = r->s;
	unsigned long found = atomic_load(&s->violations);

	if (found)
		printf("# violation seen by a worker: %s\n",
		       s->first_violation);
	printf("# stress: %d epochs, %llu operations, %lu kills, %llu "
	       "rejoins\n", epochs, (unsigned long long)atomic_load(&s->ops),
	       r->kills, (unsigned long long)atomic_load(&s->rejoins));
	printf("# checked: %lu messages, %lu receipts, %lu refused sends, "
	       "%lu lock requests, %llu grants\n", r->total.messages,
	       r->total.receipts, r->total.refusals, r->total.requests,
	       (unsigned long long)atomic_load(&s->grants));
	printf("# violations: %lu by workers, %lu by the checks; failures: "
	       "%lu\n", found, r->total.violations, r->failures);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "kill-ms", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = (struct opts){ .duration = 30, .workers = 6, .epoch = 5,
			    .kill_ms = 300, .seed = time(NULL) };
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (opt) {
		case 'd': o->duration = atoi(optarg); break;
		case 'w': o->workers = atoi(optarg); break;
		case 'e': o->epoch = atoi(optarg); break;
		case 'k': o->kill_ms = atoi(optarg); break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		default: return -1;
		}
	}
	if (o->workers < 2 || o->workers > MAX_SLOTS || o->duration < 1 ||
	    o->epoch < 1 || o->kill_ms < 0 || optind != argc)
		return -1;
	return 0;
}

static uint32_t max_msg_size(void)
{
	FILE *f = fopen("/sys/module/ipchannel/parameters/max_msg_size", "r");
	unsigned int v = 65536;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65536;
		fclose(f);
	}
	return v < sizeof(struct payload) ? sizeof(struct payload) : v;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	double start, end;
	int slot, epochs = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(argc, argv, &r.o)) {
		fprintf(stderr, "usage: stress [--duration S] [--workers N] "
			"[--epoch S] [--kill-ms MS] [--seed N]\n");
		return 2;
	}
	if (access("/dev/ipchannel", R_OK | W_OK)) {
		printf("# SKIP /dev/ipchannel: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	r.s = mmap(NULL, sizeof(*r.s), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r.s == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	r.rng = r.o.seed | 1;
	r.s->nr_slots = r.o.workers;
	r.s->max_msg = max_msg_size();
	atomic_store(&r.s->stop, -1);
	for (slot = 0; slot < MAX_SLOTS; slot++)
		atomic_store(&r.s->slot_kill[slot], NEVER);
	printf("# stress: seed %llu, %d workers, %d s in epochs of %d s, a "
	       "kill every %d ms or so\n", (unsigned long long)r.o.seed,
	       r.o.workers, r.o.duration, r.o.epoch, r.o.kill_ms);

	clear_incs(r.s);
	for (slot = 0; slot < r.o.workers; slot++)
		spawn(&r, slot);
	start = now();
	do {
		struct check_result res = { 0 };

		end = now() + r.o.epoch;
		if (end > start + r.o.duration)
			end = start + r.o.duration;
		run_phase(&r, end);
		if (stop_phase(&r))
			break;
		check_epoch(r.s, &res);
		add(&r.total, &res);
		printf("# epoch %d: %lu messages, %lu receipts, %lu lock "
		       "requests, %lu violations\n", epochs, res.messages,
		       res.receipts, res.requests, res.violations);
		epochs++;
		if (now() < start + r.o.duration)
			next_epoch(r.s);
	} while (now() < start + r.o.duration);

	finish(&r);
	report(&r, epochs);
	if (r.failures || r.total.violations || atomic_load(&r.s->violations))
		return 1;
	printf("# stress: clean\n");
	return 0;
}
