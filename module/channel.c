// SPDX-License-Identifier: GPL-2.0
/* channel.c - channels, their peers and message delivery */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <kunit/visibility.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "channel.h"
#include "ipch.h"
#include "lock.h"
#include "member.h"
#include "netlink.h"
#include "quota.h"

static unsigned int ipch_net_id;

struct ipch_net *ipch_net(struct net *net)
{
	return net_generic(net, ipch_net_id);
}

static int __net_init ipch_net_init(struct net *net)
{
	struct ipch_net *in = net_generic(net, ipch_net_id);

	mutex_init(&in->lock);
	INIT_LIST_HEAD(&in->channels);
	return 0;
}

/* Every peer holds a reference to its namespace, so none is left here. */
static void __net_exit ipch_net_exit(struct net *net)
{
	struct ipch_net *in = net_generic(net, ipch_net_id);

	WARN_ON_ONCE(!list_empty(&in->channels));
	mutex_destroy(&in->lock);
}

static struct pernet_operations ipch_net_ops = {
	.init = ipch_net_init,
	.exit = ipch_net_exit,
	.id = &ipch_net_id,
	.size = sizeof(struct ipch_net),
};

int ipch_net_register(void)
{
	return register_pernet_subsys(&ipch_net_ops);
}

void ipch_net_unregister(void)
{
	unregister_pernet_subsys(&ipch_net_ops);
}

/* 1..max printable ASCII bytes other than '/', followed by a NUL. */
bool ipch_name_valid(const char *name, size_t max)
{
	size_t len = strnlen(name, max + 1);
	size_t i;

	if (!len || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '/')
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_name_valid);

struct ipch_peer *ipch_peer_alloc(void)
{
	struct ipch_peer *peer;

	peer = kzalloc(sizeof(*peer), IPCH_GFP);
	if (!peer)
		return NULL;

	ipch_queue_init(&peer->queue);
	INIT_LIST_HEAD(&peer->requests);
	INIT_LIST_HEAD(&peer->sub_node);
	init_waitqueue_head(&peer->wq);
	mutex_init(&peer->mutex);
	return peer;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_peer_alloc);

static struct ipch_channel *channel_alloc(const char *name, umode_t mode)
{
	static atomic64_t serial;
	struct ipch_channel *ch;

	ch = kzalloc(sizeof(*ch), IPCH_GFP);
	if (!ch)
		return NULL;

	ch->serial = atomic64_inc_return(&serial);
	strscpy(ch->name, name, sizeof(ch->name));
	ch->uid = current_euid();
	ch->gid = current_egid();
	ch->mode = mode;
	mutex_init(&ch->lock);
	xa_init_flags(&ch->peers, XA_FLAGS_ALLOC1);
	INIT_LIST_HEAD(&ch->peer_list);
	INIT_LIST_HEAD(&ch->locks);
	INIT_LIST_HEAD(&ch->subscribers);
	init_waitqueue_head(&ch->space_wq);
	atomic64_inc(&ipch_count.channels);
	return ch;
}

static void channel_free(struct ipch_channel *ch)
{
	WARN_ON_ONCE(!xa_empty(&ch->peers) || !list_empty(&ch->locks));
	xa_destroy(&ch->peers);
	mutex_destroy(&ch->lock);
	kfree(ch);
	atomic64_dec(&ipch_count.channels);
}

/* Takes the last peer's channel out of its namespace and frees it. */
static void channel_unlink(struct ipch_net *in, struct ipch_channel *ch)
{
	lockdep_assert_held(&in->lock);

	list_del(&ch->node);
	in->gen++;
	channel_free(ch);
}

struct ipch_channel *ipch_channel_find(struct ipch_net *in, const char *name)
{
	struct ipch_channel *ch;

	lockdep_assert_held(&in->lock);
	list_for_each_entry(ch, &in->channels, node)
		if (!strcmp(ch->name, name))
			return ch;
	return NULL;
}

/*
 * Do the mode bits give the caller read and write permission? Checked the
 * way System V IPC does, before any capability.
 */
bool ipch_channel_mode_permits(const struct ipch_channel *ch)
{
	umode_t granted = ch->mode;

	if (uid_eq(current_euid(), ch->uid))
		granted >>= 6;
	else if (in_group_p(ch->gid))
		granted >>= 3;

	return (granted & 06) == 06;
}

static bool channel_permitted(struct ipch_channel *ch, struct net *net)
{
	return ipch_channel_mode_permits(ch) ||
	       ns_capable(net->user_ns, CAP_IPC_OWNER);
}

static int channel_add_peer(struct ipch_channel *ch, struct ipch_peer *peer)
{
	u32 id;
	int ret;

	mutex_lock(&ch->lock);
	ret = xa_alloc(&ch->peers, &id, peer,
		       XA_LIMIT(1, IPCHANNEL_PEER_MAX), IPCH_GFP);
	if (!ret) {
		peer->id = id;
		list_add_tail(&peer->node, &ch->peer_list);
		ch->nr_peers++;
		ch->gen++;
		ipch_member_notify(ch, peer, IPCHANNEL_SYS_PEER_JOINED);
	}
	mutex_unlock(&ch->lock);

	return ret == -EBUSY ? -EUSERS : ret;
}

/* Who joins, for membership records, dumps and events. */
static void peer_identify(struct ipch_peer *peer)
{
	peer->pid = get_pid(task_tgid(current));
	peer->uid = current_euid();
	peer->queue.uid = peer->uid;
	get_task_comm(peer->comm, current);
	peer->since = ktime_get_ns();
}

/* Finds the channel, or links @fresh as the new one when allowed. */
static int channel_lookup(struct ipch_net *in, struct net *net,
			  const char *name, u32 flags,
			  struct ipch_channel **fresh,
			  struct ipch_channel **out)
{
	struct ipch_channel *ch;

	lockdep_assert_held(&in->lock);

	ch = ipch_channel_find(in, name);
	if (ch) {
		if (flags & IPCHANNEL_JOIN_EXCL)
			return -EEXIST;
		if (!channel_permitted(ch, net))
			return -EACCES;
		/*
		 * Somebody else's channel may be a squatter's: it is joined
		 * only when the caller says that it expects a shared one.
		 */
		if (!uid_eq(ch->uid, current_euid()) &&
		    !(flags & IPCHANNEL_JOIN_SHARED))
			return -EPERM;
		*out = ch;
		return 0;
	}
	if (!*fresh)
		return -ENOENT;

	ch = *fresh;
	*fresh = NULL;
	list_add(&ch->node, &in->channels);
	in->gen++;
	*out = ch;
	return 0;
}

/*
 * Joins @peer to the channel @name of @net. @name and @flags were checked
 * by the caller; @mode is used only when the channel is created.
 */
int ipch_channel_join(struct ipch_peer *peer, struct net *net,
		      const char *name, u32 flags, umode_t mode)
{
	struct ipch_net *in = net_generic(net, ipch_net_id);
	struct ipch_channel *ch, *fresh = NULL;
	int ret;

	if (flags & IPCHANNEL_JOIN_CREATE) {
		fresh = channel_alloc(name, mode);
		if (!fresh)
			return -ENOMEM;
	}

	mutex_lock(&peer->mutex);
	if (peer->channel) {
		ret = -EISCONN;
		goto out_peer;
	}

	mutex_lock(&in->lock);
	ret = channel_lookup(in, net, name, flags, &fresh, &ch);
	if (ret)
		goto out_net;
	peer_identify(peer);
	ret = ipch_user_get(peer->uid);
	if (!ret) {
		ret = channel_add_peer(ch, peer);
		if (ret)
			ipch_user_put(peer->uid);
	}
	if (ret) {
		put_pid(peer->pid);
		peer->pid = NULL;
		if (!ch->nr_peers)
			channel_unlink(in, ch);
		goto out_net;
	}
	peer->net = get_net(net);
	/* Publish id and net before the channel; see ipch_peer_channel(). */
	smp_store_release(&peer->channel, ch);
	atomic64_inc(&ipch_count.peers);
	pr_debug("%s: peer %u joined\n", ch->name, peer->id);
	ipch_nl_peer_event(ch, peer, IPCHANNEL_CMD_PEER_JOINED);

out_net:
	mutex_unlock(&in->lock);
out_peer:
	mutex_unlock(&peer->mutex);
	if (fresh)
		channel_free(fresh);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_channel_join);

/* A queue shrank or a peer left: blocked senders and pollers look again. */
static void space_changed(struct ipch_channel *ch)
{
	lockdep_assert_held(&ch->lock);

	WRITE_ONCE(ch->space_gen, ch->space_gen + 1);
	/* Pairs with the barrier of adding a waiter: see wq_has_sleeper(). */
	if (wq_has_sleeper(&ch->space_wq))
		wake_up_interruptible_poll(&ch->space_wq,
					   EPOLLOUT | EPOLLWRNORM);
}

static void channel_leave(struct ipch_peer *peer)
{
	struct ipch_net *in = net_generic(peer->net, ipch_net_id);
	struct ipch_channel *ch = peer->channel;

	mutex_lock(&in->lock);

	mutex_lock(&ch->lock);
	xa_erase(&ch->peers, peer->id);
	list_del(&peer->node);
	ch->nr_peers--;
	ch->gen++;
	ipch_lock_drop_peer(ch, peer);
	ipch_queue_purge(&peer->queue);
	ipch_member_leave(ch, peer);
	ipch_member_notify(ch, peer, IPCHANNEL_SYS_PEER_LEFT);
	space_changed(ch);
	mutex_unlock(&ch->lock);

	pr_debug("%s: peer %u left\n", ch->name, peer->id);
	ipch_nl_peer_event(ch, peer, IPCHANNEL_CMD_PEER_LEFT);
	if (!ch->nr_peers)
		channel_unlink(in, ch);
	mutex_unlock(&in->lock);

	put_net(peer->net);
	ipch_user_put(peer->uid);
	atomic64_dec(&ipch_count.peers);
}

/* Called when the file closes: leaves the channel and frees the queue. */
void ipch_peer_free(struct ipch_peer *peer)
{
	if (peer->channel)
		channel_leave(peer);
	ipch_member_disarm(peer);
	put_pid(peer->pid);
	mutex_destroy(&peer->mutex);
	kfree(peer);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_peer_free);

static bool skips(struct ipch_peer *from, struct ipch_peer *to, u32 flags)
{
	return to == from && (flags & IPCHANNEL_SEND_NOSELF);
}

/*
 * Counts the receivers of @msg into @nr, and into @shares those whose
 * queue must first make a share for the sender's uid. Returns -ENXIO for
 * an unknown target, -EDQUOT if the sender's uid used up its share of a
 * receiver's queue and otherwise -EAGAIN if a receiver has no room: a
 * broadcast that could never go out fails rather than waits.
 */
static int channel_room(struct ipch_channel *ch, struct ipch_peer *from,
			u32 target, u32 flags, const struct ipch_msg *msg,
			u32 *nr, u32 *shares)
{
	struct ipch_peer *to;
	int ret = 0, err;

	lockdep_assert_held(&ch->lock);

	*nr = 0;
	*shares = 0;
	if (target != IPCHANNEL_PEER_ALL) {
		to = xa_load(&ch->peers, target);
		if (!to)
			return -ENXIO;
		*nr = 1;
		*shares = ipch_queue_needs_share(&to->queue, msg);
		return ipch_queue_admits(&to->queue, msg);
	}

	list_for_each_entry(to, &ch->peer_list, node) {
		if (skips(from, to, flags))
			continue;
		err = ipch_queue_admits(&to->queue, msg);
		if (err == -EDQUOT)
			return err;
		ret = ret ?: err;
		(*nr)++;
		*shares += ipch_queue_needs_share(&to->queue, msg);
	}
	return ret;
}

/*
 * Queues a record made by the kernel to @to. It takes the next sequence
 * number like any message but is exempt from the queue limits: its number
 * is bounded by the peer's lock requests, and it must not be lost.
 */
void ipch_channel_push_system(struct ipch_channel *ch, struct ipch_peer *to,
			      struct ipch_record *rec, struct ipch_msg *msg)
{
	lockdep_assert_held(&ch->lock);

	msg->seq = ++ch->seq;
	ipch_queue_push(&to->queue, rec, msg);
	wake_up_interruptible_poll(&to->wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * Queues @msg to @to, with its own record first, then a spare one, and
 * wakes @to if it waits. A reader that is busy, as in a stream of
 * messages, leaves the wait queue empty, and then costs nothing here.
 */
static void deliver_one(struct ipch_peer *to, struct ipch_record **spare,
			struct ipch_msg *msg, bool unicast)
{
	struct ipch_record *rec = ipch_msg_record(msg);

	if (!rec) {
		rec = *spare;
		*spare = rec->next;
	}
	ipch_queue_push(&to->queue, rec, msg);

	/* Pairs with the barrier of adding a waiter: see wq_has_sleeper(). */
	if (!wq_has_sleeper(&to->wq))
		return;
	/*
	 * The sender of a unicast usually waits for an answer next, as with
	 * sockets and pipes: a sync wakeup lets the receiver run on this
	 * CPU. The sender of a broadcast goes on to wake others.
	 */
	if (unicast)
		wake_up_interruptible_sync_poll(&to->wq, EPOLLIN | EPOLLRDNORM);
	else
		wake_up_interruptible_poll(&to->wq, EPOLLIN | EPOLLRDNORM);
}

static int reserve_one(struct ipch_peer *to, struct ipch_msg *msg, bool undo)
{
	if (!undo)
		return ipch_queue_reserve(&to->queue, msg);
	ipch_queue_unreserve(&to->queue, msg);
	return 0;
}

/*
 * Makes the shares of the receivers' queues that @msg will be counted in
 * (see ipch_queue_reserve()), or, with @undo, takes back those that stay
 * empty.
 */
static int channel_reserve(struct ipch_channel *ch, struct ipch_peer *from,
			   u32 target, u32 flags, struct ipch_msg *msg,
			   bool undo)
{
	struct ipch_peer *to;
	int ret;

	if (target != IPCHANNEL_PEER_ALL)
		return reserve_one(xa_load(&ch->peers, target), msg, undo);

	list_for_each_entry(to, &ch->peer_list, node) {
		if (skips(from, to, flags))
			continue;
		ret = reserve_one(to, msg, undo);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Queues @msg to its @nr receivers in one step under the channel lock,
 * which is what makes the order of sequence numbers the order of every
 * queue. The records the message does not bring, and the @shares it will
 * be counted in, are allocated first, so it is all or nothing.
 */
static int channel_deliver(struct ipch_channel *ch, struct ipch_peer *from,
			   u32 target, u32 flags, struct ipch_msg *msg, u32 nr,
			   u32 shares)
{
	struct ipch_record *spare = NULL, *rec;
	struct ipch_peer *to;
	u32 i;

	lockdep_assert_held(&ch->lock);

	for (i = ipch_msg_records_left(msg); i < nr; i++) {
		rec = ipch_record_alloc();
		if (!rec)
			goto err_alloc;
		rec->next = spare;
		spare = rec;
	}
	if (shares && channel_reserve(ch, from, target, flags, msg, false))
		goto err_reserve;

	msg->seq = ++ch->seq;
	ch->messages++;
	from->sent++;
	if (target != IPCHANNEL_PEER_ALL) {
		deliver_one(xa_load(&ch->peers, target), &spare, msg, true);
		return 0;
	}
	list_for_each_entry(to, &ch->peer_list, node)
		if (!skips(from, to, flags))
			deliver_one(to, &spare, msg, false);
	return 0;

err_reserve:
	channel_reserve(ch, from, target, flags, msg, true);
err_alloc:
	while (spare) {
		rec = spare;
		spare = rec->next;
		ipch_record_free(rec);
	}
	return -ENOMEM;
}

/*
 * Queues one message with the channel lock held, waiting (the lock
 * dropped) for room unless @nonblock.
 */
static int send_locked(struct ipch_channel *ch, struct ipch_peer *peer,
		       const struct ipch_send *s, bool nonblock)
{
	struct ipch_msg *msg = s->msg;
	unsigned int gen;
	u32 nr, shares;
	int ret;

	lockdep_assert_held(&ch->lock);

	msg->sender = peer->id;
	if (s->target == IPCHANNEL_PEER_ALL)
		msg->flags |= IPCHANNEL_RECV_BROADCAST;

	while ((ret = channel_room(ch, peer, s->target, s->flags, msg,
				   &nr, &shares)) == -EAGAIN && !nonblock) {
		/* Full: sleep until some queue shrinks, then look again. */
		gen = ch->space_gen;
		ch->nr_blocked++;
		mutex_unlock(&ch->lock);

		ret = wait_event_interruptible(ch->space_wq,
					       READ_ONCE(ch->space_gen) != gen);

		mutex_lock(&ch->lock);
		ch->nr_blocked--;
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	return channel_deliver(ch, peer, s->target, s->flags, msg, nr,
			       shares);
}

/*
 * Sends the @n messages of @batch from @peer, in order, under one hold of
 * the channel lock, so that they also get consecutive numbers unless a
 * send must wait for room. Stops at the first that fails and returns its
 * error; *sent is how many were queued. The queues take their own
 * references; the caller still owns the ones it passed in.
 */
int ipch_channel_send_batch(struct ipch_peer *peer,
			    const struct ipch_send *batch, u32 n,
			    bool nonblock, u32 *sent)
{
	struct ipch_channel *ch = peer->channel;
	int ret = 0;
	u32 i;

	mutex_lock(&ch->lock);
	for (i = 0; i < n; i++) {
		ret = send_locked(ch, peer, &batch[i], nonblock);
		if (ret)
			break;
	}
	mutex_unlock(&ch->lock);

	*sent = i;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_channel_send_batch);

/* Sends @msg from @peer to @target (a peer id or IPCHANNEL_PEER_ALL). */
int ipch_channel_send(struct ipch_peer *peer, u32 target, u32 flags,
		      struct ipch_msg *msg, bool nonblock)
{
	struct ipch_send s = { .msg = msg, .target = target, .flags = flags };
	u32 sent;

	return ipch_channel_send_batch(peer, &s, 1, nonblock, &sent);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_channel_send);

/*
 * How many whole records at the head of @peer's queue fit in @room bytes;
 * *first is the head, NULL if the queue is empty. Only readers, serialised
 * by peer->mutex, take records off a queue, so these records and the links
 * between them stay valid until the same reader calls ipch_peer_pop().
 * Senders only append, so the walk needs no channel lock.
 */
u32 ipch_peer_peek(struct ipch_peer *peer, size_t room,
		   struct ipch_record **first)
{
	struct ipch_queue *q = &peer->queue;
	struct ipch_record *rec;
	u32 n = 0, size;

	lockdep_assert_held(&peer->mutex);

	*first = ipch_queue_next(q, NULL);
	for (rec = *first; rec; rec = ipch_queue_next(q, rec)) {
		size = ipch_msg_size(rec->msg->event_len, rec->msg->len);
		if (size > room)
			break;
		room -= size;
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_peer_peek);

/* Takes the first @n records, which ipch_peer_peek() counted, off. */
void ipch_peer_pop(struct ipch_peer *peer, u32 n)
{
	struct ipch_channel *ch = peer->channel;

	lockdep_assert_held(&peer->mutex);

	mutex_lock(&ch->lock);
	ipch_queue_pop_n(&peer->queue, n);
	peer->received += n;
	space_changed(ch);
	mutex_unlock(&ch->lock);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_peer_pop);

/*
 * Asks the head link, which ipch_peer_peek() walks, not the record count:
 * a count that is seen before the link would send a reader that was told
 * to read into an empty queue on a weakly ordered CPU.
 */
bool ipch_peer_readable(struct ipch_peer *peer)
{
	return !!READ_ONCE(peer->queue.head);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_peer_readable);

/* True when no send of any size can block: what EPOLLOUT promises. */
bool ipch_channel_writable(struct ipch_channel *ch)
{
	u32 size = ipch_msg_size(IPCHANNEL_NAME_MAX,
				 READ_ONCE(ipch_max_msg_size));
	struct ipch_peer *to;
	bool ret = true;

	mutex_lock(&ch->lock);
	list_for_each_entry(to, &ch->peer_list, node) {
		if (!ipch_queue_has_room(&to->queue, size)) {
			ret = false;
			break;
		}
	}
	mutex_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_channel_writable);

void ipch_peer_info(struct ipch_peer *peer, struct ipchannel_info *info)
{
	struct ipch_channel *ch = peer->channel;
	struct ipch_msg *msg;

	memset(info, 0, sizeof(*info));
	info->max_msg_size = READ_ONCE(ipch_max_msg_size);
	info->max_queue_records = READ_ONCE(ipch_max_queue_records);
	info->max_queue_bytes = READ_ONCE(ipch_max_queue_bytes);

	mutex_lock(&ch->lock);
	info->peer_id = peer->id;
	info->nr_peers = ch->nr_peers;
	info->queued_records = peer->queue.nr_records;
	info->queued_bytes = peer->queue.bytes;
	info->blocked_senders = ch->nr_blocked;
	info->next_seq = ch->seq + 1;
	msg = ipch_queue_peek(&peer->queue);
	if (msg)
		info->next_size = ipch_msg_size(msg->event_len, msg->len);
	mutex_unlock(&ch->lock);
}
