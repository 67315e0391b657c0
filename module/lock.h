/* SPDX-License-Identifier: GPL-2.0 */
/* lock.h - named first-come-first-served locks of a channel */
#ifndef IPCH_LOCK_H
#define IPCH_LOCK_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/ipchannel.h>

struct ipch_channel;
struct ipch_peer;
struct ipch_msg;
struct ipch_record;
struct task_struct;

/*
 * A lock exists while it is held: the first request of its queue holds it
 * and the others wait behind in the order they asked. Release hands it to
 * the next request directly, so a lock is never free while anyone waits.
 * Guarded by the channel lock.
 */
struct ipch_lock {
	struct list_head node;		/* in ipch_channel.locks */
	struct list_head queue;		/* of ipch_request; head holds */
	u32 nr_waiters;			/* requests behind the holder */
	u64 held_since;			/* CLOCK_MONOTONIC ns of grant */
	char name[IPCHANNEL_NAME_LEN];
};

/* One request of one owner, the pair (peer, cookie), for one lock. */
struct ipch_request {
	struct list_head node;		/* in ipch_lock.queue */
	struct list_head peer_node;	/* in ipch_peer.requests */
	struct ipch_lock *lock;
	struct ipch_peer *peer;
	u64 cookie;
	u64 since;			/* CLOCK_MONOTONIC ns of asking */
	bool granted;
	struct task_struct *task;	/* a blocking request's caller */
	/* An asynchronous request's grant record, made in advance. */
	struct ipch_msg *grant;
	struct ipch_record *grant_rec;
};

struct ipch_lock_args {
	const char *name;
	u64 cookie;
	u64 deadline_ns;		/* CLOCK_MONOTONIC, 0 for none */
	u32 flags;			/* IPCHANNEL_LOCK_* */
};

bool ipch_lock_name_valid(const char *name);
int ipch_lock_acquire(struct ipch_peer *peer,
		      const struct ipch_lock_args *args);
int ipch_lock_release(struct ipch_peer *peer, const char *name, u64 cookie);
void ipch_lock_info(struct ipch_peer *peer, struct ipchannel_lock_info *info);
void ipch_lock_drop_peer(struct ipch_channel *ch, struct ipch_peer *peer);

#endif /* IPCH_LOCK_H */
