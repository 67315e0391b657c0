/* SPDX-License-Identifier: GPL-2.0 */
/* ipch.h - module-wide limits and live object counters */
#ifndef IPCH_H
#define IPCH_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/types.h>

/*
 * Allocations that user space asks for: charged to the caller's memory
 * cgroup, and failing with -ENOMEM rather than calling the OOM killer or
 * warning when the cgroup or the machine is out of memory.
 */
#define IPCH_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Hard ceiling of the max_msg_size parameter. */
#define IPCH_MSG_SIZE_LIMIT	(16U << 20)

/*
 * Live objects of the whole module. Tests read them through
 * IPCHANNEL_IOC_STATS to prove that every path frees what it made.
 */
struct ipch_counters {
	atomic64_t channels;
	atomic64_t peers;
	atomic64_t messages;
	atomic64_t records;		/* queued, wherever they live */
	atomic64_t locks;
	atomic64_t lock_waiters;
};

extern struct ipch_counters ipch_count;

/* Module parameters; read with READ_ONCE() since root may change them. */
extern unsigned int ipch_max_msg_size;
extern unsigned int ipch_max_queue_records;
extern unsigned int ipch_max_queue_bytes;
extern unsigned int ipch_max_locks;
extern unsigned int ipch_max_lock_requests;
extern unsigned int ipch_max_peers_per_uid;
extern unsigned int ipch_uid_queue_percent;

#endif /* IPCH_H */
