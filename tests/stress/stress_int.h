/* SPDX-License-Identifier: GPL-2.0 */
/* stress_int.h - what the parts of the stress tool call of each other */
#ifndef STRESS_INT_H
#define STRESS_INT_H

#include "stress.h"

#define CHANNEL	"stress"
#define MAGIC	0x53545253U

/* The start of every payload; the rest is pattern(src, no, offset). */
struct payload {
	uint32_t magic;
	uint32_t src;		/* sender incarnation */
	uint32_t no;		/* the sender's message number */
	uint32_t len;		/* payload bytes, this header included */
	uint32_t epoch;		/* the epoch it was written in */
	int32_t pid;		/* the sender's pid */
};

/* What one epoch's check found and counted. */
struct check_result {
	unsigned long messages;		/* accepted messages checked */
	unsigned long receipts;
	unsigned long refusals;		/* refused sends checked */
	unsigned long requests;		/* lock requests checked */
	unsigned long violations;
};

void violation(struct shm *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void worker_main(struct shm *s, int slot, uint64_t seed)
	__attribute__((noreturn));
void check_epoch(struct shm *s, struct check_result *res);

#endif /* STRESS_INT_H */
