/* SPDX-License-Identifier: GPL-2.0 */
/* channel.h - channels, their peers and message delivery */
#ifndef IPCH_CHANNEL_H
#define IPCH_CHANNEL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/ipchannel.h>

#include "msg.h"

struct net;
struct pid;

/*
 * The channels of one network namespace. lock guards the list, the
 * creation and removal of a channel and gen, which moves whenever a
 * channel is created or removed so that a netlink dump of the list can
 * tell that it was interrupted.
 */
struct ipch_net {
	struct mutex lock;		/* see above */
	struct list_head channels;
	unsigned int gen;
};

/*
 * A channel of one network namespace. It lives while it has peers: the
 * last peer to leave unlinks and frees it.
 *
 * Locking: ipch_net.lock (per namespace) guards the list of channels and
 * the creation and removal of a channel; it is taken before
 * ipch_channel.lock, which guards everything below it in the struct and
 * the receive queues of all the channel's peers. Holding one lock for the
 * whole channel is what gives every message one place in one order.
 */
struct ipch_channel {
	struct list_head node;		/* in ipch_net.channels */
	u64 serial;			/* never reused, unlike the name */
	char name[IPCHANNEL_NAME_LEN];
	kuid_t uid;			/* owner, for the permission check */
	kgid_t gid;
	umode_t mode;

	struct mutex lock;		/* see above */
	struct xarray peers;		/* peer id -> struct ipch_peer */
	struct list_head peer_list;	/* the same peers, for quick walks */
	u32 nr_peers;
	u64 seq;			/* number of the last message */
	u64 messages;			/* messages accepted */
	unsigned int gen;		/* moves when peers or locks change */
	u32 nr_blocked;			/* senders waiting for room */
	struct list_head locks;		/* of struct ipch_lock */
	u32 nr_locks;
	struct list_head subscribers;	/* of ipch_peer, by sub_node */

	/*
	 * Bumped, under lock, whenever a queue shrinks or a peer leaves.
	 * Blocked senders sleep on space_wq until it moves, then look again;
	 * pollers wait there for EPOLLOUT.
	 */
	unsigned int space_gen;
	wait_queue_head_t space_wq;
};

/*
 * One open file of /dev/ipchannel. What join sets is fixed until the file
 * closes; the fields marked so are guarded by channel->lock.
 */
struct ipch_peer {
	struct ipch_channel *channel;	/* NULL until joined, then fixed */
	struct net *net;		/* reference held while joined */
	u32 id;
	struct pid *pid;		/* thread group that joined */
	kuid_t uid;			/* its euid then */
	char comm[TASK_COMM_LEN];
	u64 since;			/* CLOCK_MONOTONIC ns of the join */
	struct list_head node;		/* in channel->peer_list */
	struct ipch_queue queue;	/* channel->lock */
	u64 sent;			/* channel->lock: messages sent */
	u64 received;			/* channel->lock: records read */
	struct list_head requests;	/* ipch_request, channel->lock */
	u32 nr_requests;
	/*
	 * Membership records, channel->lock. A subscriber is linked in its
	 * channel's subscribers; lost and lost_rec hold the record that ends
	 * the subscription when one could not be queued, made in advance so
	 * that it cannot fail.
	 */
	struct list_head sub_node;	/* empty when not subscribed */
	struct ipch_msg *lost;
	struct ipch_record *lost_rec;
	wait_queue_head_t wq;		/* readers wait here */
	struct mutex mutex;		/* serialises join and readers */
};

int ipch_net_register(void);
void ipch_net_unregister(void);
struct ipch_net *ipch_net(struct net *net);

struct ipch_channel *ipch_channel_find(struct ipch_net *in, const char *name);
bool ipch_channel_mode_permits(const struct ipch_channel *ch);

bool ipch_name_valid(const char *name, size_t max);

struct ipch_peer *ipch_peer_alloc(void);
void ipch_peer_free(struct ipch_peer *peer);

int ipch_channel_join(struct ipch_peer *peer, struct net *net,
		      const char *name, u32 flags, umode_t mode);
/* One message of ipch_channel_send_batch(). */
struct ipch_send {
	struct ipch_msg *msg;
	u32 target;		/* peer id or IPCHANNEL_PEER_ALL */
	u32 flags;		/* IPCHANNEL_SEND_* */
};

int ipch_channel_send(struct ipch_peer *peer, u32 target, u32 flags,
		      struct ipch_msg *msg, bool nonblock);
int ipch_channel_send_batch(struct ipch_peer *peer,
			    const struct ipch_send *batch, u32 n,
			    bool nonblock, u32 *sent);

void ipch_channel_push_system(struct ipch_channel *ch, struct ipch_peer *to,
			      struct ipch_record *rec, struct ipch_msg *msg);

u32 ipch_peer_peek(struct ipch_peer *peer, size_t room,
		   struct ipch_record **first);
void ipch_peer_pop(struct ipch_peer *peer, u32 n);
bool ipch_peer_readable(struct ipch_peer *peer);
bool ipch_channel_writable(struct ipch_channel *ch);
void ipch_peer_info(struct ipch_peer *peer, struct ipchannel_info *info);

/* The channel of a peer, or NULL before join. */
static inline struct ipch_channel *ipch_peer_channel(struct ipch_peer *peer)
{
	/* Pairs with the release in ipch_channel_join(): id and net are set. */
	return smp_load_acquire(&peer->channel);
}

#endif /* IPCH_CHANNEL_H */
