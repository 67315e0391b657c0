/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress.h - the shared memory of the stress tool: what workers log and
 * the supervisor checks.
 *
 * Time is a logical clock in shared memory (tick): a worker takes a tick
 * before and after each system call, so the kernel did the call's work
 * somewhere between the two. A run is cut into epochs; at the end of
 * each, workers stop, release their locks and read their queues empty,
 * so every epoch can be checked on its own from its logs.
 */
#ifndef STRESS_H
#define STRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_SLOTS	16	/* worker processes */
#define MAX_INC		128	/* incarnations (joined files) per epoch */
#define LOG_CAP		16384	/* events per incarnation per epoch */
#define NR_LOCKS	3
#define MAX_PEER_ID	64	/* ids the directory tracks */
#define NEVER		UINT64_MAX

enum ev_type {
	EV_SENT = 1,	/* a record the kernel accepted */
	EV_SEND_ERR,	/* a record it refused; aux = errno */
	EV_RECV,	/* a record read */
	EV_LOCK,	/* a lock request; aux = lock, peer = errno */
	EV_GRANT,	/* a request granted; aux = lock, peer = grant number */
};

/* struct ev.flags */
#define EVF_BCAST	(1U << 0)
#define EVF_NOSELF	(1U << 1)
#define EVF_ASYNC	(1U << 2)
#define EVF_TRY		(1U << 3)

/* 32 bytes, one event of an incarnation's log. */
struct ev {
	uint8_t type;		/* enum ev_type */
	uint8_t flags;		/* EVF_* */
	uint16_t aux;		/* errno, or lock index */
	uint32_t peer;		/* target, sender peer id, grant number */
	uint32_t no;		/* message or request number */
	uint32_t src;		/* RECV: sender incarnation */
	uint64_t t0;		/* tick before; RECV: sequence number */
	uint64_t t1;		/* tick after */
};

/* One joined file of a worker, within one epoch. */
struct inc {
	int slot;
	pid_t pid;
	uint32_t peer;		/* its peer id */
	uint64_t join0, join1;	/* ticks around the join (or epoch start) */
	uint64_t close0, close1;	/* around a voluntary close, else NEVER */
	atomic_ullong kill0;	/* supervisor: before kill(), else NEVER */
	uint64_t death;		/* supervisor: after waitpid(), else NEVER */
	atomic_int drained;	/* read its queue empty at the epoch's end */
	atomic_uint nev;
	struct ev log[LOG_CAP];
};

/* What one lock looks like from the workers: holder, grants so far. */
struct lock_state {
	atomic_int holder;	/* incarnation + 1, 0 when free */
	atomic_uint grants;
};

struct shm {
	atomic_ullong tick;
	atomic_int epoch;	/* the running epoch */
	atomic_ullong epoch_tick;	/* tick just before it started */
	atomic_int stop;	/* epoch that must stop; -1: run to the end */
	atomic_int quit;
	atomic_int arrived;	/* workers that stopped in this epoch */
	atomic_int drained;	/* ... and read their queues empty */
	atomic_int full;	/* a log is half full: end the epoch early */
	atomic_int nr_inc;
	atomic_int dir[MAX_PEER_ID + 1];	/* peer id -> incarnation + 1 */
	atomic_int slot_inc[MAX_SLOTS];	/* current incarnation + 1 */
	atomic_ullong slot_kill[MAX_SLOTS];	/* kill0 of the slot, or NEVER */
	struct lock_state locks[NR_LOCKS];
	/* Violations found by the workers themselves. */
	atomic_uint violations;
	char first_violation[256];
	atomic_flag violation_told;
	/* Counters for the report. */
	atomic_ullong ops, sent, recvd, grants, rejoins;
	uint32_t max_msg;
	int nr_slots;
	struct inc inc[MAX_INC];
};

static inline uint64_t tick(struct shm *s)
{
	return atomic_fetch_add(&s->tick, 1) + 1;
}

#endif /* STRESS_H */
