/* SPDX-License-Identifier: GPL-2.0 */
/* bench.h - the benchmark harness: processes, repetitions, reports */
#ifndef IPCH_BENCH_H
#define IPCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_REPS	15
#define MAX_FIGS	4
#define MAX_PROCS	66	/* 1 sender and 64 receivers, and room */
#define RUN_TIMEOUT	600	/* seconds until a stuck run is killed */

/* What one measurement of one method is asked to do. */
struct job {
	int size;		/* payload bytes */
	int procs;		/* receivers or lock contenders */
	int batch;		/* messages per call; 1: one by one */
	long count;		/* messages, trips or acquisitions */
};

/*
 * One way of doing what a benchmark measures. run() fills one figure per
 * unit of the benchmark and returns 0, or returns -1 when the method
 * cannot run here (it says why on stderr).
 */
struct method {
	const char *name;
	int (*run)(const struct job *job, double *figs);
};

struct unit {
	const char *name;
	bool higher_better;
};

/* Settings from the command line. */
extern int reps;
extern bool smoke;

/*
 * Runs every method @reps times and prints median, min, max and the
 * ratio of the first method (ipchannel) to each other one, per unit.
 */
void compare(const char *bench, const char *param, const struct job *job,
	     const struct method *methods, int nr_methods,
	     const struct unit *units, int nr_units);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Scales a full-run count down for --smoke. */
long scaled(long count);

__attribute__((noreturn)) void fail(const char *what, int err);
uint64_t now_ns(void);
void write_all(int fd, const void *buf, size_t len);
void read_full(int fd, void *buf, size_t len);
void *shared_alloc(size_t size);
void shared_free(void *p, size_t size);
void channel_name(char *buf, size_t size);

/*
 * The start gate: children set up, report a 32-bit value (a peer id, or
 * 0) and wait; the parent collects the reports, takes the time, opens the
 * gate, and takes the time again when the children that count the end
 * have written to the done pipe.
 */
struct gate {
	int ready[2], go[2], done[2];
	int spawned;
	pid_t pid[MAX_PROCS];
};

void gate_init(struct gate *g);
pid_t gate_spawn(struct gate *g, void (*fn)(void *arg, int index),
		 void *arg, int index);
uint32_t gate_ready(struct gate *g);
void gate_child_ready(struct gate *g, uint32_t value);
void gate_child_done(struct gate *g);
uint64_t gate_run(struct gate *g, int nr_done);
void gate_reap(struct gate *g);

/* The benchmark groups. */
void bench_rtt(void);
void bench_throughput(void);
void bench_broadcast(void);
void bench_memory(void);
void bench_lock_uncontended(void);
void bench_lock_contended(void);

#endif /* IPCH_BENCH_H */
