// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - ipchannel against what users would pick instead
 *
 * Every figure is measured over a fixed count of operations, never a
 * fixed time, repeated, and printed as median, min and max with the ratio
 * of ipchannel's median to the rival's. Lines that start with "@bench,"
 * repeat each figure as CSV for the host (scripts/bench-report.sh).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_METHODS	8

int reps = 5;
bool smoke;

void fail(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err));
	exit(1);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void write_all(int fd, const void *buf, size_t len)
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

void read_full(int fd, void *buf, size_t len)
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

void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap", errno);
	memset(p, 0, size);
	return p;
}

void shared_free(void *p, size_t size)
{
	munmap(p, size);
}

/* A channel name of its own for every measurement. */
void channel_name(char *buf, size_t size)
{
	static unsigned int serial;

	snprintf(buf, size, "bench-%d-%u", (int)getpid(), serial++);
}

long scaled(long count)
{
	return smoke ? (count / 20 > 10 ? count / 20 : 10) : count;
}

/* --- the start gate ------------------------------------------------- */

void gate_init(struct gate *g)
{
	memset(g, 0, sizeof(*g));
	if (pipe(g->ready) || pipe(g->go) || pipe(g->done))
		fail("pipe", errno);
}

pid_t gate_spawn(struct gate *g, void (*fn)(void *arg, int index),
		 void *arg, int index)
{
	pid_t pid;

	if (g->spawned == MAX_PROCS)
		fail("too many processes", EINVAL);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork", errno);
	if (pid == 0) {
		alarm(RUN_TIMEOUT);
		fn(arg, index);
		exit(0);
	}
	g->pid[g->spawned++] = pid;
	return pid;
}

/* The value the next child to be ready reported. */
uint32_t gate_ready(struct gate *g)
{
	uint32_t value;

	read_full(g->ready[0], &value, sizeof(value));
	return value;
}

void gate_child_ready(struct gate *g, uint32_t value)
{
	char c;

	write_all(g->ready[1], &value, sizeof(value));
	read_full(g->go[0], &c, 1);
}

void gate_child_done(struct gate *g)
{
	char c = 1;

	write_all(g->done[1], &c, 1);
}

/*
 * Opens the gate for every child spawned (all must have reported ready)
 * and returns the ns until nr_done of them wrote to the done pipe.
 */
uint64_t gate_run(struct gate *g, int nr_done)
{
	char go[MAX_PROCS];
	uint64_t t0, t1;
	int i;

	memset(go, 1, sizeof(go));
	alarm(RUN_TIMEOUT);
	t0 = now_ns();
	write_all(g->go[1], go, g->spawned);
	for (i = 0; i < nr_done; i++)
		read_full(g->done[0], go, 1);
	t1 = now_ns();
	alarm(0);
	return t1 - t0;
}

void gate_reap(struct gate *g)
{
	int i, status;

	for (i = 0; i < g->spawned; i++) {
		if (waitpid(g->pid[i], &status, 0) < 0)
			fail("waitpid", errno);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail("a benchmark process failed", EIO);
	}
	close(g->ready[0]);
	close(g->ready[1]);
	close(g->go[0]);
	close(g->go[1]);
	close(g->done[0]);
	close(g->done[1]);
}

/* --- statistics and reports ------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct summary {
	double median, min, max;
};

static struct summary summarise(const double *v, int n)
{
	double s[MAX_REPS];
	struct summary sum;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	sum.min = s[0];
	sum.max = s[n - 1];
	sum.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return sum;
}

/* A figure in at most 11 characters, with the digits that matter. */
static const char *fmt(char *buf, double v)
{
	if (v >= 10000)
		snprintf(buf, 16, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, 16, "%.2f", v);
	else
		snprintf(buf, 16, "%.4f", v);
	return buf;
}

static void print_row(const char *bench, const char *param,
		      const char *method, const struct unit *unit,
		      const struct summary *s, const struct summary *ref)
{
	char med[16], min[16], max[16], ratio[16] = "";

	if (ref && s->median == 0)
		snprintf(ratio, sizeof(ratio), "-");
	else if (ref)
		snprintf(ratio, sizeof(ratio), "%.2f%s",
			 ref->median / s->median,
			 unit->higher_better ? " h" : "");
	printf("%-16s %-9s %-22s %-10s %11s %11s %11s %7s\n", bench, param,
	       method, unit->name, fmt(med, s->median), fmt(min, s->min),
	       fmt(max, s->max), ratio);
	printf("@bench,%s,%s,%s,%s,%d,%.6g,%.6g,%.6g\n", bench, param, method,
	       unit->name, reps, s->median, s->min, s->max);
}

void compare(const char *bench, const char *param, const struct job *job,
	     const struct method *methods, int nr_methods,
	     const struct unit *units, int nr_units)
{
	static double v[MAX_METHODS][MAX_FIGS][MAX_REPS];
	struct summary s[MAX_METHODS][MAX_FIGS];
	bool ok[MAX_METHODS];
	double figs[MAX_FIGS];
	int m, u, r;

	for (m = 0; m < nr_methods; m++) {
		ok[m] = true;
		for (r = 0; r < reps && ok[m]; r++) {
			ok[m] = methods[m].run(job, figs) == 0;
			for (u = 0; u < nr_units; u++)
				v[m][u][r] = figs[u];
		}
		for (u = 0; ok[m] && u < nr_units; u++)
			s[m][u] = summarise(v[m][u], reps);
	}

	for (u = 0; u < nr_units; u++) {
		for (m = 0; m < nr_methods; m++) {
			if (!ok[m]) {
				note("%s %s %s: not measured", bench, param,
				     methods[m].name);
				continue;
			}
			print_row(bench, param, methods[m].name, &units[u],
				  &s[m][u], m && ok[0] ? &s[0][u] : NULL);
		}
	}
	fflush(stdout);
}

void note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n@bench-note,%s\n", buf, buf);
	fflush(stdout);
}

/* --- main --------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "rtt", bench_rtt },
	{ "throughput", bench_throughput },
	{ "broadcast", bench_broadcast },
	{ "memory", bench_memory },
	{ "lock-uncontended", bench_lock_uncontended },
	{ "lock-contended", bench_lock_contended },
};

#define NR_GROUPS	(sizeof(groups) / sizeof(groups[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: bench [--reps N] [--smoke] [GROUP...]\n"
		"Groups (default all):");
	for (i = 0; i < NR_GROUPS; i++)
		fprintf(f, " %s", groups[i].name);
	fprintf(f, "\n--smoke: one short repetition of each, to prove that "
		"every benchmark runs.\n");
}

static void header(void)
{
	struct utsname u;

	uname(&u);
	printf("# ipchannel benchmarks on %s %s, %d repetition%s%s\n",
	       u.sysname, u.release, reps, reps == 1 ? "" : "s",
	       smoke ? " (smoke: short counts)" : "");
	printf("# ratio: ipchannel's median / the rival's; \"h\": higher "
	       "is better, else lower is\n");
	printf("%-16s %-9s %-22s %-10s %11s %11s %11s %7s\n", "benchmark",
	       "param", "method", "unit", "median", "min", "max", "ratio");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	bool chosen[NR_GROUPS] = { false };
	bool any = false;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--smoke")) {
			smoke = true;
			reps = 1;
		} else if (!strcmp(argv[a], "--reps") && a + 1 < argc) {
			reps = atoi(argv[++a]);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "bench: --reps 1..%d\n",
					MAX_REPS);
				return 2;
			}
		} else if (!strcmp(argv[a], "-h") ||
			   !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		} else {
			for (i = 0; i < NR_GROUPS; i++)
				if (!strcmp(argv[a], groups[i].name))
					break;
			if (i == NR_GROUPS) {
				usage(stderr);
				return 2;
			}
			chosen[i] = true;
			any = true;
		}
	}

	/* A reader of a closed socket must fail, not kill the run. */
	signal(SIGPIPE, SIG_IGN);
	header();
	for (i = 0; i < NR_GROUPS; i++)
		if (!any || chosen[i])
			groups[i].fn();
	printf("# done\n@bench-done\n");
	return 0;
}
