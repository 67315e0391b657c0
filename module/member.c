// SPDX-License-Identifier: GPL-2.0
/* member.c - join and leave records for the peers that subscribe */
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <kunit/visibility.h>

#include "channel.h"
#include "member.h"
#include "msg.h"

/*
 * Membership records go through the receive queue like messages and obey
 * its limits, so a subscriber that does not read cannot make the kernel
 * hold an unbounded backlog. When one does not fit, the subscriber gets
 * the LOST record it was given in advance and its subscription ends: like
 * inotify's overflow event, nothing is dropped without a word, and
 * subscribing again replays the current members.
 */

static struct ipch_msg *member_msg(struct ipch_channel *ch,
				   struct ipch_peer *subject, u16 type)
{
	struct ipchannel_membership body = {
		.peer_id = subject->id,
		.nr_peers = ch->nr_peers,
	};
	struct ipch_msg *msg;

	msg = ipch_msg_alloc(0, sizeof(body), 0);
	if (!msg)
		return NULL;

	msg->sender = IPCHANNEL_PEER_KERNEL;
	msg->flags = IPCHANNEL_RECV_SYSTEM;
	msg->type = type;
	msg->uid = subject->uid;
	msg->pid = get_pid(subject->pid);
	memcpy(ipch_msg_data(msg), &body, sizeof(body));
	return msg;
}

static void push(struct ipch_peer *to, struct ipch_record *rec,
		 struct ipch_msg *msg)
{
	ipch_queue_push(&to->queue, rec, msg);
	wake_up_interruptible_poll(&to->wq, EPOLLIN | EPOLLRDNORM);
}

/* Queues the LOST record to @to and ends its subscription. */
static void member_lost(struct ipch_channel *ch, struct ipch_peer *to)
{
	lockdep_assert_held(&ch->lock);

	to->lost->seq = ++ch->seq;
	push(to, to->lost_rec, to->lost);
	ipch_msg_put(to->lost);
	to->lost = NULL;
	to->lost_rec = NULL;
	list_del_init(&to->sub_node);
}

/* Queues @msg (NULL if it could not be made) to the subscriber @to. */
static void member_push(struct ipch_channel *ch, struct ipch_peer *to,
			struct ipch_msg *msg)
{
	struct ipch_record *rec;
	u32 size = ipch_msg_size(0, sizeof(struct ipchannel_membership));

	lockdep_assert_held(&ch->lock);

	if (!msg || !ipch_queue_has_room(&to->queue, size)) {
		member_lost(ch, to);
		return;
	}
	rec = ipch_record_alloc();
	if (!rec) {
		member_lost(ch, to);
		return;
	}
	push(to, rec, msg);
}

/*
 * Tells every subscriber of @ch that @subject joined or left (@type); a
 * peer that leaves has been unsubscribed first. One message, with one
 * sequence number, is shared by all.
 */
void ipch_member_notify(struct ipch_channel *ch, struct ipch_peer *subject,
			u16 type)
{
	struct ipch_peer *to, *tmp;
	struct ipch_msg *msg = NULL;
	bool made = false;

	lockdep_assert_held(&ch->lock);

	list_for_each_entry_safe(to, tmp, &ch->subscribers, sub_node) {
		if (!made) {
			msg = member_msg(ch, subject, type);
			if (msg)
				msg->seq = ++ch->seq;
			made = true;
		}
		member_push(ch, to, msg);
	}
	if (msg)
		ipch_msg_put(msg);
}

/* Queues a JOINED record for every peer, itself included, to @peer. */
static void member_replay(struct ipch_channel *ch, struct ipch_peer *peer)
{
	struct ipch_peer *p;
	struct ipch_msg *msg;
	unsigned long id;

	lockdep_assert_held(&ch->lock);

	xa_for_each(&ch->peers, id, p) {
		msg = member_msg(ch, p, IPCHANNEL_SYS_PEER_JOINED);
		if (msg)
			msg->seq = ++ch->seq;
		member_push(ch, peer, msg);
		if (msg)
			ipch_msg_put(msg);
		if (list_empty(&peer->sub_node))
			break;
	}
}

static void lost_free(struct ipch_msg *lost, struct ipch_record *rec)
{
	if (rec)
		ipch_record_free(rec);
	if (lost)
		ipch_msg_put(lost);
}

/*
 * Sets the system records @peer wants (IPCHANNEL_SUB_*). Subscribing,
 * also again, replays the current members first.
 */
int ipch_peer_subscribe(struct ipch_peer *peer, u32 flags)
{
	struct ipch_channel *ch = peer->channel;
	struct ipch_msg *lost = NULL;
	struct ipch_record *rec = NULL;

	if (flags & IPCHANNEL_SUB_MEMBERSHIP) {
		lost = ipch_msg_alloc(0, 0, 0);
		rec = ipch_record_alloc();
		if (!lost || !rec) {
			lost_free(lost, rec);
			return -ENOMEM;
		}
		lost->sender = IPCHANNEL_PEER_KERNEL;
		lost->flags = IPCHANNEL_RECV_SYSTEM;
		lost->type = IPCHANNEL_SYS_MEMBERSHIP_LOST;
	}

	mutex_lock(&ch->lock);
	swap(peer->lost, lost);
	swap(peer->lost_rec, rec);
	list_del_init(&peer->sub_node);
	if (flags & IPCHANNEL_SUB_MEMBERSHIP) {
		list_add_tail(&peer->sub_node, &ch->subscribers);
		member_replay(ch, peer);
	}
	mutex_unlock(&ch->lock);

	lost_free(lost, rec);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_peer_subscribe);

/* @peer leaves its channel: it is no longer told of anyone. */
void ipch_member_leave(struct ipch_channel *ch, struct ipch_peer *peer)
{
	lockdep_assert_held(&ch->lock);

	list_del_init(&peer->sub_node);
}

/* The file is closing: frees a LOST record that was never needed. */
void ipch_member_disarm(struct ipch_peer *peer)
{
	lost_free(peer->lost, peer->lost_rec);
	peer->lost = NULL;
	peer->lost_rec = NULL;
}
