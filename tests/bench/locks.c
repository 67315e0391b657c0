// SPDX-License-Identifier: GPL-2.0
/*
 * locks.c - lock benchmarks: uncontended cost, hand-off rate and fairness
 * under contention, against flock(2), fcntl open-file-description locks
 * and a process-shared robust pthread mutex
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <ipchannel.h>

#include "bench.h"

#define LOCK_NAME	"bench"

/*
 * Shared by the contenders of one measurement. The fields below the
 * mutex change only under the lock being measured, so they also check
 * it: a second holder is caught by holders.
 *
 * The figures count from the moment every contender has held the lock
 * once (the window), because the processes start one after another and
 * a fast lock can make thousands of acquisitions before the last one
 * runs. If the window does not open within WARMUP_MAX acquisitions, some
 * contender starved, and the whole run counts.
 */
#define WARMUP_MAX(a)	((a)->target * 10)

struct arena {
	pthread_mutex_t mutex;		/* the pthread method's lock */
	int procs;
	int arrived;			/* contenders past the start */
	long target;			/* acquisitions in the window */
	int holders;
	int started;			/* contenders that held the lock */
	bool window;
	uint64_t window_start, window_end;
	int last;			/* index of the last holder, or -1 */
	long warmup;			/* acquisitions before the window */
	long total;			/* acquisitions in the window */
	long handoffs;			/* of those, by another process */
	bool seen[MAX_PROCS];
	long count[MAX_PROCS];		/* in the window */
	long count_all[MAX_PROCS];
	uint64_t max_wait[MAX_PROCS];	/* ns from asking to holding */
};

/* One lock, as each method takes it; every process opens its own. */
struct lock_ops {
	void *(*open)(struct arena *a, const char *path);
	void (*lock)(void *h);
	void (*unlock)(void *h);
	void (*close)(void *h);
};

struct ctx {
	const struct job *job;
	const struct lock_ops *ops;
	struct gate gate;
	struct arena *arena;
	char path[64];			/* the channel or the file */
};

/* --- ipchannel ------------------------------------------------------------ */

static void *ipch_open_lock(struct arena *a, const char *channel)
{
	struct ipch *ipc;
	int err;

	err = ipch_open(&ipc, channel, NULL);
	if (err)
		fail("ipch_open", -err);
	return ipc;
}

static void ipch_take(void *h)
{
	int err = ipch_lock(h, LOCK_NAME);

	if (err)
		fail("ipch_lock", -err);
}

static void ipch_give(void *h)
{
	int err = ipch_unlock(h, LOCK_NAME);

	if (err)
		fail("ipch_unlock", -err);
}

static void ipch_close_lock(void *h)
{
	ipch_close(h);
}

static const struct lock_ops ipch_ops = {
	ipch_open_lock, ipch_take, ipch_give, ipch_close_lock,
};

/* --- flock and fcntl OFD locks -------------------------------------------- */

static void *file_open(struct arena *a, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		fail(path, errno);
	return (void *)(intptr_t)fd;
}

static void file_close(void *h)
{
	close((int)(intptr_t)h);
}

static void flock_take(void *h)
{
	while (flock((int)(intptr_t)h, LOCK_EX))
		if (errno != EINTR)
			fail("flock", errno);
}

static void flock_give(void *h)
{
	if (flock((int)(intptr_t)h, LOCK_UN))
		fail("flock", errno);
}

static const struct lock_ops flock_ops = {
	file_open, flock_take, flock_give, file_close,
};

static void ofd(void *h, int cmd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	while (fcntl((int)(intptr_t)h, cmd, &fl))
		if (errno != EINTR)
			fail("fcntl", errno);
}

static void ofd_take(void *h)
{
	ofd(h, F_OFD_SETLKW, F_WRLCK);
}

static void ofd_give(void *h)
{
	ofd(h, F_OFD_SETLK, F_UNLCK);
}

static const struct lock_ops ofd_ops = {
	file_open, ofd_take, ofd_give, file_close,
};

/* --- a process-shared robust pthread mutex -------------------------------- */

static void *mutex_open(struct arena *a, const char *path)
{
	return &a->mutex;
}

static void mutex_take(void *h)
{
	int err = pthread_mutex_lock(h);

	/* A holder died: nobody here does, but the state must be made good. */
	if (err == EOWNERDEAD)
		err = pthread_mutex_consistent(h);
	if (err)
		fail("pthread_mutex_lock", err);
}

static void mutex_give(void *h)
{
	int err = pthread_mutex_unlock(h);

	if (err)
		fail("pthread_mutex_unlock", err);
}

static void mutex_close(void *h)
{
}

static const struct lock_ops mutex_ops = {
	mutex_open, mutex_take, mutex_give, mutex_close,
};

static struct arena *arena_create(void)
{
	struct arena *a = shared_alloc(sizeof(*a));
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (pthread_mutex_init(&a->mutex, &attr))
		fail("pthread_mutex_init", EINVAL);
	pthread_mutexattr_destroy(&attr);
	a->last = -1;
	return a;
}

static void arena_destroy(struct arena *a)
{
	pthread_mutex_destroy(&a->mutex);
	shared_free(a, sizeof(*a));
}

static void ctx_init(struct ctx *c, const struct job *job,
		     const struct lock_ops *ops)
{
	memset(c, 0, sizeof(*c));
	c->job = job;
	c->ops = ops;
	c->arena = arena_create();
	if (ops == &ipch_ops)
		channel_name(c->path, sizeof(c->path));
	else
		snprintf(c->path, sizeof(c->path), "/tmp/ipch-bench-%d.lock",
			 (int)getpid());
}

static void ctx_destroy(struct ctx *c)
{
	if (c->ops != &ipch_ops)
		unlink(c->path);
	arena_destroy(c->arena);
}

/* --- uncontended ---------------------------------------------------------- */

static int uncontended(const struct job *job, const struct lock_ops *ops,
		       double *figs)
{
	uint64_t t0, t1;
	struct ctx c;
	void *h;
	long i;

	ctx_init(&c, job, ops);
	h = ops->open(c.arena, c.path);
	t0 = now_ns();
	for (i = 0; i < job->count; i++) {
		ops->lock(h);
		ops->unlock(h);
	}
	t1 = now_ns();
	ops->close(h);
	ctx_destroy(&c);
	figs[0] = (double)(t1 - t0) / job->count;
	return 0;
}

static int unc_ipch(const struct job *job, double *figs)
{
	return uncontended(job, &ipch_ops, figs);
}

static int unc_flock(const struct job *job, double *figs)
{
	return uncontended(job, &flock_ops, figs);
}

static int unc_ofd(const struct job *job, double *figs)
{
	return uncontended(job, &ofd_ops, figs);
}

static int unc_mutex(const struct job *job, double *figs)
{
	return uncontended(job, &mutex_ops, figs);
}

void bench_lock_uncontended(void)
{
	static const struct method methods[] = {
		{ "ipchannel", unc_ipch },
		{ "flock", unc_flock },
		{ "fcntl-ofd", unc_ofd },
		{ "pthread-robust", unc_mutex },
	};
	static const struct unit units[] = { { "ns/op", false } };
	struct job job = { .count = scaled(20000) };

	compare("lock-uncontended", "1", &job, methods, 4, units, 1);
}

/* --- contended ------------------------------------------------------------ */

/* One acquisition's bookkeeping, made while holding the lock. */
static bool record(struct arena *a, int me, uint64_t wait)
{
	if (a->total >= a->target || a->warmup >= WARMUP_MAX(a))
		return false;
	if (++a->holders != 1)
		fail("two holders of one lock", EDEADLK);

	a->count_all[me]++;
	if (!a->seen[me]) {
		a->seen[me] = true;
		if (++a->started == a->procs) {
			a->window = true;
			a->window_start = now_ns();
		}
	}
	if (!a->window) {
		a->warmup++;
	} else {
		a->total++;
		a->count[me]++;
		if (a->last != me)
			a->handoffs++;
		if (wait > a->max_wait[me])
			a->max_wait[me] = wait;
		if (a->total == a->target)
			a->window_end = now_ns();
	}
	a->last = me;
	a->holders--;
	return true;
}

static void contender(void *arg, int me)
{
	struct ctx *c = arg;
	const struct lock_ops *ops = c->ops;
	void *h = ops->open(c->arena, c->path);
	cpu_set_t cpu0;
	uint64_t t0;
	bool more;

	/*
	 * All on one CPU: QEMU's TCG runs virtual CPUs in turns, so
	 * contenders on two CPUs would only meet at the end of a turn.
	 */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		fail("sched_setaffinity", errno);
	gate_child_ready(&c->gate, 0);
	/*
	 * The gate wakes the contenders one after another; without this,
	 * the first would make every acquisition before the last runs.
	 */
	__atomic_add_fetch(&c->arena->arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&c->arena->arrived, __ATOMIC_SEQ_CST) <
	       c->arena->procs)
		sched_yield();
	do {
		t0 = now_ns();
		ops->lock(h);
		more = record(c->arena, me, now_ns() - t0);
		ops->unlock(h);
	} while (more);
	gate_child_done(&c->gate);
	ops->close(h);
}

/* Jain's fairness index of the acquisitions per process: 1 is fair. */
static double jain(const long *x, int n)
{
	double sum = 0, squares = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += x[i];
		squares += (double)x[i] * x[i];
	}
	return squares ? sum * sum / (n * squares) : 0;
}

static int contended(const struct job *job, const struct lock_ops *ops,
		     const char *name, double *figs)
{
	uint64_t ns, max_wait = 0;
	struct arena *a;
	struct ctx c;
	int i;

	ctx_init(&c, job, ops);
	c.arena->target = job->count;
	c.arena->procs = job->procs;
	gate_init(&c.gate);
	for (i = 0; i < job->procs; i++) {
		gate_spawn(&c.gate, contender, &c, i);
		gate_ready(&c.gate);
	}
	ns = gate_run(&c.gate, job->procs);
	gate_reap(&c.gate);

	a = c.arena;
	for (i = 0; i < job->procs; i++)
		if (a->max_wait[i] > max_wait)
			max_wait = a->max_wait[i];
	if (a->total) {
		ns = a->window_end - a->window_start;
		figs[0] = a->handoffs * 1e9 / ns;
		figs[1] = a->total * 1e9 / ns;
		figs[2] = jain(a->count, job->procs);
	} else {
		/* Someone starved: no hand-off to it was ever seen. */
		note("lock-contended %d %s: a contender never got the lock "
		     "in %ld acquisitions", job->procs, name, a->warmup);
		figs[0] = 0;
		figs[1] = a->warmup * 1e9 / ns;
		figs[2] = jain(a->count_all, job->procs);
	}
	figs[3] = max_wait / 1e3;
	ctx_destroy(&c);
	return 0;
}

static int con_ipch(const struct job *job, double *figs)
{
	return contended(job, &ipch_ops, "ipchannel", figs);
}

static int con_flock(const struct job *job, double *figs)
{
	return contended(job, &flock_ops, "flock", figs);
}

static int con_ofd(const struct job *job, double *figs)
{
	return contended(job, &ofd_ops, "fcntl-ofd", figs);
}

static int con_mutex(const struct job *job, double *figs)
{
	return contended(job, &mutex_ops, "pthread-robust", figs);
}

void bench_lock_contended(void)
{
	static const struct method methods[] = {
		{ "ipchannel", con_ipch },
		{ "flock", con_flock },
		{ "fcntl-ofd", con_ofd },
		{ "pthread-robust", con_mutex },
	};
	static const struct unit units[] = {
		{ "handoffs/s", true },
		{ "acq/s", true },
		{ "jain", true },
		{ "max-wait-us", false },
	};
	static const int procs[] = { 2, 4, 8 };
	char param[16];
	size_t i;

	for (i = 0; i < 3; i++) {
		struct job job = {
			.procs = procs[i], .count = scaled(10000),
		};

		snprintf(param, sizeof(param), "%d", procs[i]);
		compare("lock-contended", param, &job, methods, 4, units, 4);
	}
}
