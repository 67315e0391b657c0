// SPDX-License-Identifier: GPL-2.0
/* netlink.c - the generic netlink family: dumps and events */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "channel.h"
#include "ipch.h"
#include "lock.h"
#include "netlink.h"

/*
 * Without the capability flag on multicast groups (older 6.1 builds) the
 * events could not be kept from callers who may not see every channel,
 * so the family then has no events group at all.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define IPCH_NL_EVENTS	1
#else
#define IPCH_NL_EVENTS	0
#endif

static struct genl_family ipch_nl_family;

/* Where a dump that spans several messages goes on. */
struct dump_ctx {
	u64 serial;		/* of the channel whose peers or locks */
	u32 index;		/* channel, peer id or lock to resume at */
	u32 pos;		/* request within that lock */
	bool all;		/* CAP_NET_ADMIN: sees every channel */
};

static_assert(sizeof(struct dump_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct dump_ctx *dump_ctx(struct netlink_callback *cb)
{
	return (struct dump_ctx *)cb->ctx;
}

/* The request's channel name, which the policy has checked already. */
static const struct nlattr *dump_attr(struct netlink_callback *cb)
{
	return nlmsg_find_attr(cb->nlh, GENL_HDRLEN, IPCHANNEL_A_CHANNEL);
}

/*
 * Strict validation rejects every attribute this policy leaves NLA_UNSPEC,
 * so a request may carry the channel name and nothing else.
 */
static const struct nla_policy ipch_nl_policy[IPCHANNEL_A_MAX + 1] = {
	[IPCHANNEL_A_CHANNEL] = { .type = NLA_NUL_STRING,
				  .len = IPCHANNEL_NAME_MAX },
};

/* Could the caller join @ch, or may it see every channel anyway? */
static bool visible(const struct ipch_channel *ch, struct net *net, bool all)
{
	return all || ipch_channel_mode_permits(ch) ||
	       ns_capable_noaudit(net->user_ns, CAP_IPC_OWNER);
}

/* The channel the request names, if the caller may see it. */
static struct ipch_channel *named_channel(struct net *net,
					  const struct nlattr *attr, bool all,
					  struct netlink_ext_ack *extack)
{
	struct ipch_channel *ch;
	const char *name;

	lockdep_assert_held(&ipch_net(net)->lock);

	if (!attr) {
		NL_SET_ERR_MSG(extack, "IPCHANNEL_A_CHANNEL is required");
		return ERR_PTR(-EINVAL);
	}
	name = nla_data(attr);
	if (!ipch_name_valid(name, IPCHANNEL_NAME_MAX)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "invalid channel name");
		return ERR_PTR(-EINVAL);
	}
	ch = ipch_channel_find(ipch_net(net), name);
	if (!ch || !visible(ch, net, all)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such channel");
		return ERR_PTR(-ENOENT);
	}
	return ch;
}

static u32 pid_seen(struct pid *pid)
{
	return pid ? pid_nr_ns(pid, task_active_pid_ns(current)) : 0;
}

static u32 uid_seen(kuid_t uid)
{
	return from_kuid_munged(current_user_ns(), uid);
}

static int put_channel(struct sk_buff *skb, struct ipch_channel *ch)
{
	u64 records = 0, bytes = 0;
	struct ipch_peer *p;
	unsigned long id;

	lockdep_assert_held(&ch->lock);

	xa_for_each(&ch->peers, id, p) {
		records += p->queue.nr_records;
		bytes += p->queue.bytes;
	}
	if (nla_put_string(skb, IPCHANNEL_A_CHANNEL, ch->name) ||
	    nla_put_u32(skb, IPCHANNEL_A_UID, uid_seen(ch->uid)) ||
	    nla_put_u32(skb, IPCHANNEL_A_GID,
			from_kgid_munged(current_user_ns(), ch->gid)) ||
	    nla_put_u32(skb, IPCHANNEL_A_MODE, ch->mode) ||
	    nla_put_u32(skb, IPCHANNEL_A_NR_PEERS, ch->nr_peers) ||
	    nla_put_u32(skb, IPCHANNEL_A_NR_LOCKS, ch->nr_locks) ||
	    nla_put_u32(skb, IPCHANNEL_A_BLOCKED, ch->nr_blocked) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_SEQ, ch->seq,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_MESSAGES, ch->messages,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_QUEUED_RECORDS, records,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_QUEUED_BYTES, bytes,
			      IPCHANNEL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* One message about @ch; for a dump, @cb marks it if the dump changed. */
static int fill_channel(struct sk_buff *skb, u32 portid, u32 seq, int flags,
			struct netlink_callback *cb, struct ipch_channel *ch)
{
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, portid, seq, &ipch_nl_family, flags,
			  IPCHANNEL_CMD_GET_CHANNEL);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	mutex_lock(&ch->lock);
	ret = put_channel(skb, ch);
	mutex_unlock(&ch->lock);

	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* A dump goes on while a part fit; a part too big for any message ends it. */
static int dump_result(struct sk_buff *skb, int ret)
{
	if (ret && !(ret == -EMSGSIZE && skb->len))
		return ret;
	return skb->len;
}

static int dump_start(struct netlink_callback *cb)
{
	struct net *net = sock_net(cb->skb->sk);

	dump_ctx(cb)->all = netlink_ns_capable(cb->skb, net->user_ns,
					       CAP_NET_ADMIN);
	return 0;
}

static int dump_channels(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct net *net = sock_net(skb->sk);
	struct ipch_net *in = ipch_net(net);
	struct ipch_channel *ch;
	u32 i = 0;
	int ret = 0;

	mutex_lock(&in->lock);
	cb->seq = in->gen;
	list_for_each_entry(ch, &in->channels, node) {
		if (i++ < ctx->index || !visible(ch, net, ctx->all))
			continue;
		ret = fill_channel(skb, NETLINK_CB(cb->skb).portid,
				   cb->nlh->nlmsg_seq, NLM_F_MULTI, cb, ch);
		if (ret)
			break;
		ctx->index = i;
	}
	mutex_unlock(&in->lock);

	return dump_result(skb, ret);
}

static int get_channel(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct ipch_net *in = ipch_net(net);
	struct ipch_channel *ch;
	struct sk_buff *msg;
	bool all;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	all = netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN);

	mutex_lock(&in->lock);
	ch = named_channel(net, info->attrs[IPCHANNEL_A_CHANNEL], all,
			   info->extack);
	ret = PTR_ERR_OR_ZERO(ch);
	if (!ret)
		ret = fill_channel(msg, info->snd_portid, info->snd_seq, 0,
				   NULL, ch);
	mutex_unlock(&in->lock);

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* A dump of one channel's peers or locks: the channel must be there. */
static int channel_dump_start(struct netlink_callback *cb)
{
	struct net *net = sock_net(cb->skb->sk);
	struct ipch_net *in = ipch_net(net);
	struct ipch_channel *ch;

	dump_start(cb);

	mutex_lock(&in->lock);
	ch = named_channel(net, dump_attr(cb), dump_ctx(cb)->all,
			   cb->extack);
	if (!IS_ERR(ch))
		dump_ctx(cb)->serial = ch->serial;
	mutex_unlock(&in->lock);

	return PTR_ERR_OR_ZERO(ch);
}

/*
 * Looks up the dumped channel again for each part of the dump, since it
 * may have gone, or gone and come back, in between. Returns with in->lock
 * and the channel's lock held if it is the same channel.
 */
static struct ipch_channel *dump_channel(struct netlink_callback *cb,
					 struct net *net)
{
	struct ipch_net *in = ipch_net(net);
	struct ipch_channel *ch;

	mutex_lock(&in->lock);
	ch = named_channel(net, dump_attr(cb), dump_ctx(cb)->all, NULL);
	if (IS_ERR(ch) || ch->serial != dump_ctx(cb)->serial) {
		/* The end of the dump is marked interrupted. */
		cb->seq = cb->prev_seq + 1;
		mutex_unlock(&in->lock);
		return NULL;
	}
	mutex_lock(&ch->lock);
	cb->seq = ch->gen;
	return ch;
}

static void dump_channel_end(struct net *net, struct ipch_channel *ch)
{
	mutex_unlock(&ch->lock);
	mutex_unlock(&ipch_net(net)->lock);
}

static int put_peer(struct sk_buff *skb, struct ipch_channel *ch,
		    struct ipch_peer *p)
{
	if (nla_put_string(skb, IPCHANNEL_A_CHANNEL, ch->name) ||
	    nla_put_u32(skb, IPCHANNEL_A_PEER_ID, p->id) ||
	    nla_put_u32(skb, IPCHANNEL_A_PID, pid_seen(p->pid)) ||
	    nla_put_u32(skb, IPCHANNEL_A_UID, uid_seen(p->uid)) ||
	    nla_put_string(skb, IPCHANNEL_A_COMM, p->comm) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_QUEUED_RECORDS,
			      p->queue.nr_records, IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_QUEUED_BYTES, p->queue.bytes,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_SENT, p->sent,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_RECEIVED, p->received,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_SINCE_NS, p->since,
			      IPCHANNEL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Starts one message of a dump, marked if the dump changed so far. */
static void *dump_msg(struct sk_buff *skb, struct netlink_callback *cb,
		      u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ipch_nl_family, NLM_F_MULTI, cmd);
	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/* Ends the message, or cancels it if filling it (@put) failed. */
static int dump_end_msg(struct sk_buff *skb, void *hdr, int put)
{
	if (put) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int dump_peers(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct net *net = sock_net(skb->sk);
	struct ipch_channel *ch;
	struct ipch_peer *p;
	unsigned long id;
	void *hdr;
	int ret = 0;

	ch = dump_channel(cb, net);
	if (!ch)
		return 0;

	xa_for_each_start(&ch->peers, id, p, ctx->index) {
		hdr = dump_msg(skb, cb, IPCHANNEL_CMD_GET_PEER);
		ret = hdr ? dump_end_msg(skb, hdr, put_peer(skb, ch, p))
			  : -EMSGSIZE;
		if (ret)
			break;
		ctx->index = id + 1;
	}
	dump_channel_end(net, ch);

	return dump_result(skb, ret);
}

static int put_request(struct sk_buff *skb, struct ipch_channel *ch,
		       struct ipch_lock *lock, struct ipch_request *req,
		       u32 pos)
{
	u64 since = pos ? req->since : lock->held_since;

	if (nla_put_string(skb, IPCHANNEL_A_CHANNEL, ch->name) ||
	    nla_put_string(skb, IPCHANNEL_A_LOCK, lock->name) ||
	    nla_put_u32(skb, IPCHANNEL_A_LOCK_POS, pos) ||
	    nla_put_u32(skb, IPCHANNEL_A_PEER_ID, req->peer->id) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_COOKIE, req->cookie,
			      IPCHANNEL_A_PAD) ||
	    nla_put_u64_64bit(skb, IPCHANNEL_A_SINCE_NS, since,
			      IPCHANNEL_A_PAD))
		return -EMSGSIZE;
	if (!pos && nla_put_u32(skb, IPCHANNEL_A_NR_WAITERS,
				lock->nr_waiters))
		return -EMSGSIZE;
	return 0;
}

/* Puts the requests of @lock from position ctx->pos on. */
static int dump_lock(struct sk_buff *skb, struct netlink_callback *cb,
		     struct ipch_channel *ch, struct ipch_lock *lock)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct ipch_request *req;
	u32 pos = 0;
	void *hdr;
	int ret;

	list_for_each_entry(req, &lock->queue, node) {
		if (pos < ctx->pos) {
			pos++;
			continue;
		}
		hdr = dump_msg(skb, cb, IPCHANNEL_CMD_GET_LOCK);
		if (!hdr)
			return -EMSGSIZE;
		ret = dump_end_msg(skb, hdr,
				   put_request(skb, ch, lock, req, pos));
		if (ret)
			return ret;
		ctx->pos = ++pos;
	}
	return 0;
}

static int dump_locks(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct net *net = sock_net(skb->sk);
	struct ipch_channel *ch;
	struct ipch_lock *lock;
	u32 i = 0;
	int ret = 0;

	ch = dump_channel(cb, net);
	if (!ch)
		return 0;

	list_for_each_entry(lock, &ch->locks, node) {
		if (i++ < ctx->index)
			continue;
		ret = dump_lock(skb, cb, ch, lock);
		if (ret)
			break;
		ctx->index = i;
		ctx->pos = 0;
	}
	dump_channel_end(net, ch);

	return dump_result(skb, ret);
}

static int put_limits(struct sk_buff *skb)
{
	if (nla_put_u32(skb, IPCHANNEL_A_MAX_MSG_SIZE,
			READ_ONCE(ipch_max_msg_size)) ||
	    nla_put_u32(skb, IPCHANNEL_A_MAX_QUEUE_RECORDS,
			READ_ONCE(ipch_max_queue_records)) ||
	    nla_put_u32(skb, IPCHANNEL_A_MAX_QUEUE_BYTES,
			READ_ONCE(ipch_max_queue_bytes)) ||
	    nla_put_u32(skb, IPCHANNEL_A_MAX_LOCKS,
			READ_ONCE(ipch_max_locks)) ||
	    nla_put_u32(skb, IPCHANNEL_A_MAX_LOCK_REQUESTS,
			READ_ONCE(ipch_max_lock_requests)))
		return -EMSGSIZE;
	return 0;
}

static int put_counter(struct sk_buff *skb, int type, atomic64_t *v)
{
	return nla_put_u64_64bit(skb, type, atomic64_read(v), IPCHANNEL_A_PAD);
}

/* Counters of the whole module, over every namespace. */
static int put_counters(struct sk_buff *skb)
{
	if (put_counter(skb, IPCHANNEL_A_STAT_CHANNELS, &ipch_count.channels) ||
	    put_counter(skb, IPCHANNEL_A_STAT_PEERS, &ipch_count.peers) ||
	    put_counter(skb, IPCHANNEL_A_STAT_MESSAGES, &ipch_count.messages) ||
	    put_counter(skb, IPCHANNEL_A_STAT_RECORDS, &ipch_count.records) ||
	    put_counter(skb, IPCHANNEL_A_STAT_LOCKS, &ipch_count.locks) ||
	    put_counter(skb, IPCHANNEL_A_STAT_LOCK_REQUESTS,
			&ipch_count.lock_waiters))
		return -EMSGSIZE;
	return 0;
}

static int get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ipch_nl_family, 0,
				IPCHANNEL_CMD_GET_STATS);
	if (!hdr)
		goto err_size;

	if (put_limits(msg))
		goto err_size;
	/* They count objects of every namespace: not for a container. */
	if (netlink_capable(skb, CAP_NET_ADMIN) && put_counters(msg))
		goto err_size;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * Events go to listeners of the channel's namespace, with pids and uids
 * as seen by the process whose action made them. A listener that cannot
 * be given an event for want of memory is told so (ENOBUFS on its next
 * receive), as netlink does when its buffer overflows.
 */
static struct sk_buff *event_new(struct net *net, u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	if (!IPCH_NL_EVENTS || !genl_has_listeners(&ipch_nl_family, net, 0))
		return NULL;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (skb) {
		*hdr = genlmsg_put(skb, 0, 0, &ipch_nl_family, 0, cmd);
		if (*hdr)
			return skb;
		nlmsg_free(skb);
	}
	genl_set_err(&ipch_nl_family, net, 0, 0, -ENOBUFS);
	return NULL;
}

static void event_send(struct net *net, struct sk_buff *skb, void *hdr,
		       int put)
{
	if (put) {
		nlmsg_free(skb);
		genl_set_err(&ipch_nl_family, net, 0, 0, -ENOBUFS);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&ipch_nl_family, net, skb, 0, 0, GFP_KERNEL);
}

/* @peer joined or left (@cmd) the channel @ch. */
void ipch_nl_peer_event(struct ipch_channel *ch, struct ipch_peer *peer,
			u8 cmd)
{
	struct sk_buff *skb;
	void *hdr;
	int put;

	skb = event_new(peer->net, cmd, &hdr);
	if (!skb)
		return;

	put = nla_put_string(skb, IPCHANNEL_A_CHANNEL, ch->name) ||
	      nla_put_u32(skb, IPCHANNEL_A_PEER_ID, peer->id) ||
	      nla_put_u32(skb, IPCHANNEL_A_PID, pid_seen(peer->pid)) ||
	      nla_put_u32(skb, IPCHANNEL_A_UID, uid_seen(peer->uid)) ||
	      nla_put_string(skb, IPCHANNEL_A_COMM, peer->comm) ||
	      nla_put_u32(skb, IPCHANNEL_A_NR_PEERS, ch->nr_peers);
	event_send(peer->net, skb, hdr, put);
}

/* @lock of @ch passed from the request @prev to the request @next. */
void ipch_nl_lock_handover(struct ipch_channel *ch, struct ipch_lock *lock,
			   struct ipch_request *prev,
			   struct ipch_request *next)
{
	struct net *net = prev->peer->net;
	struct sk_buff *skb;
	void *hdr;
	int put;

	skb = event_new(net, IPCHANNEL_CMD_LOCK_HANDOVER, &hdr);
	if (!skb)
		return;

	put = nla_put_string(skb, IPCHANNEL_A_CHANNEL, ch->name) ||
	      nla_put_string(skb, IPCHANNEL_A_LOCK, lock->name) ||
	      nla_put_u32(skb, IPCHANNEL_A_PEER_ID, next->peer->id) ||
	      nla_put_u64_64bit(skb, IPCHANNEL_A_COOKIE, next->cookie,
				IPCHANNEL_A_PAD) ||
	      nla_put_u32(skb, IPCHANNEL_A_PREV_PEER_ID, prev->peer->id) ||
	      nla_put_u64_64bit(skb, IPCHANNEL_A_PREV_COOKIE, prev->cookie,
				IPCHANNEL_A_PAD);
	event_send(net, skb, hdr, put);
}

static const struct genl_ops ipch_nl_ops[] = {
	{
		.cmd = IPCHANNEL_CMD_GET_CHANNEL,
		.doit = get_channel,
		.start = dump_start,
		.dumpit = dump_channels,
	},
	{
		.cmd = IPCHANNEL_CMD_GET_PEER,
		.start = channel_dump_start,
		.dumpit = dump_peers,
	},
	{
		.cmd = IPCHANNEL_CMD_GET_LOCK,
		.start = channel_dump_start,
		.dumpit = dump_locks,
	},
	{
		.cmd = IPCHANNEL_CMD_GET_STATS,
		.doit = get_stats,
	},
};

#if IPCH_NL_EVENTS
static const struct genl_multicast_group ipch_nl_mcgrps[] = {
	{ .name = IPCHANNEL_GENL_MCGRP, .flags = GENL_MCAST_CAP_NET_ADMIN },
};
#endif

static struct genl_family ipch_nl_family = {
	.name = IPCHANNEL_GENL_NAME,
	.version = IPCHANNEL_GENL_VERSION,
	.maxattr = IPCHANNEL_A_MAX,
	.policy = ipch_nl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = ipch_nl_ops,
	.n_ops = ARRAY_SIZE(ipch_nl_ops),
#if IPCH_NL_EVENTS
	.mcgrps = ipch_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ipch_nl_mcgrps),
#endif
};

/* A tool that asks for the family loads the module. */
MODULE_ALIAS_GENL_FAMILY(IPCHANNEL_GENL_NAME);

int ipch_nl_register(void)
{
	return genl_register_family(&ipch_nl_family);
}

void ipch_nl_unregister(void)
{
	genl_unregister_family(&ipch_nl_family);
}
