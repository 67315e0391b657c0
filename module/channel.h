/* SPDX-License-Identifier: GPL-2.0 */
/* channel.h - channels, their peers and message delivery */
#ifndef IPCH_CHANNEL_H
#define IPCH_CHANNEL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/ipchannel.h>

#include "msg.h"

struct net;

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
	char name[IPCHANNEL_NAME_LEN];
	kuid_t uid;			/* owner, for the permission check */
	kgid_t gid;
	umode_t mode;

	struct mutex lock;		/* see above */
	struct xarray peers;		/* peer id -> struct ipch_peer */
	u32 nr_peers;
	u64 seq;			/* number of the last message */
	u32 nr_blocked;			/* senders waiting for room */
	struct list_head locks;		/* of struct ipch_lock */
	u32 nr_locks;

	/*
	 * Bumped, under lock, whenever a queue shrinks or a peer leaves.
	 * Blocked senders sleep on space_wq until it moves, then look again;
	 * pollers wait there for EPOLLOUT.
	 */
	unsigned int space_gen;
	wait_queue_head_t space_wq;
};

/* One open file of /dev/ipchannel. */
struct ipch_peer {
	struct ipch_channel *channel;	/* NULL until joined, then fixed */
	struct net *net;		/* reference held while joined */
	u32 id;
	struct ipch_queue queue;	/* under channel->lock */
	struct list_head requests;	/* ipch_request, channel->lock */
	u32 nr_requests;
	wait_queue_head_t wq;		/* readers wait here */
	struct mutex mutex;		/* serialises join and readers */
};

int ipch_net_register(void);
void ipch_net_unregister(void);

bool ipch_name_valid(const char *name, size_t max);

struct ipch_peer *ipch_peer_alloc(void);
void ipch_peer_free(struct ipch_peer *peer);

int ipch_channel_join(struct ipch_peer *peer, struct net *net,
		      const char *name, u32 flags, umode_t mode);
int ipch_channel_send(struct ipch_peer *peer, u32 target, u32 flags,
		      struct ipch_msg *msg, bool nonblock);

void ipch_channel_push_system(struct ipch_channel *ch, struct ipch_peer *to,
			      struct ipch_record *rec, struct ipch_msg *msg);

struct ipch_msg *ipch_peer_peek(struct ipch_peer *peer);
void ipch_peer_pop(struct ipch_peer *peer);
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
