// SPDX-License-Identifier: GPL-2.0
/* kunit.c - KUnit tests of the core: names, queues, delivery, locks */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "channel.h"
#include "ipch.h"
#include "lock.h"
#include "member.h"
#include "msg.h"

#define NR_PEERS 3

struct fixture {
	struct ipch_peer *peer[NR_PEERS + 1];	/* 1-based, like ids */
	unsigned int saved_records;
};

static void names_test(struct kunit *test)
{
	char longest[IPCHANNEL_NAME_LEN];

	memset(longest, 'x', IPCHANNEL_NAME_MAX);
	longest[IPCHANNEL_NAME_MAX] = '\0';
	KUNIT_EXPECT_TRUE(test, ipch_name_valid("app", IPCHANNEL_NAME_MAX));
	KUNIT_EXPECT_TRUE(test, ipch_name_valid(longest, IPCHANNEL_NAME_MAX));
	KUNIT_EXPECT_FALSE(test, ipch_name_valid("", IPCHANNEL_NAME_MAX));
	KUNIT_EXPECT_FALSE(test, ipch_name_valid("a/b", IPCHANNEL_NAME_MAX));
	KUNIT_EXPECT_FALSE(test, ipch_name_valid("a b", IPCHANNEL_NAME_MAX));
	KUNIT_EXPECT_TRUE(test, ipch_lock_name_valid("a/b"));
	KUNIT_EXPECT_FALSE(test, ipch_lock_name_valid("a\x7f"));
	longest[IPCHANNEL_NAME_MAX - 1] = '\t';
	KUNIT_EXPECT_FALSE(test, ipch_lock_name_valid(longest));
}

static void queue_test(struct kunit *test)
{
	struct ipch_queue q;
	struct ipch_record *rec;
	struct ipch_msg *msg;

	ipch_queue_init(&q);
	q.uid = GLOBAL_ROOT_UID;	/* the messages' own: no shares */
	KUNIT_EXPECT_TRUE(test, ipch_queue_has_room(&q, U32_MAX));
	KUNIT_EXPECT_NULL(test, ipch_queue_peek(&q));

	msg = ipch_msg_alloc(2, 5, 0);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	rec = ipch_record_alloc();
	KUNIT_ASSERT_NOT_NULL(test, rec);
	ipch_queue_push(&q, rec, msg);
	KUNIT_EXPECT_EQ(test, refcount_read(&msg->ref), 2);
	KUNIT_EXPECT_EQ(test, q.nr_records, 1);
	KUNIT_EXPECT_EQ(test, q.bytes, ipch_msg_size(2, 5));
	KUNIT_EXPECT_EQ(test, ipch_msg_size(2, 5), 48);
	KUNIT_EXPECT_PTR_EQ(test, ipch_queue_peek(&q), msg);

	ipch_queue_pop(&q);
	KUNIT_EXPECT_EQ(test, refcount_read(&msg->ref), 1);
	KUNIT_EXPECT_EQ(test, q.nr_records, 0);
	KUNIT_EXPECT_EQ(test, q.bytes, 0);
	ipch_msg_put(msg);
}

/* A message of @uid to a queue, as channel_deliver() queues it. */
static struct ipch_msg *share_push(struct kunit *test, struct ipch_queue *q,
				   kuid_t uid)
{
	struct ipch_record *rec;
	struct ipch_msg *msg;

	msg = ipch_msg_alloc(0, 24, 0);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	msg->uid = uid;
	KUNIT_ASSERT_EQ(test, ipch_queue_reserve(q, msg), 0);
	rec = ipch_record_alloc();
	KUNIT_ASSERT_NOT_NULL(test, rec);
	ipch_queue_push(q, rec, msg);
	ipch_msg_put(msg);
	return msg;
}

/*
 * Another user may fill uid_queue_percent of a queue, then gets -EDQUOT;
 * the receiver's own uid and a third user still get in, and the share
 * goes away with its last message.
 */
static void uid_share_test(struct kunit *test)
{
	unsigned int saved = ipch_max_queue_records;
	unsigned int percent = ipch_uid_queue_percent;
	kuid_t owner = KUIDT_INIT(1000), other = KUIDT_INIT(1001);
	struct ipch_msg *probe;
	struct ipch_queue q;
	int i;

	ipch_max_queue_records = 8;
	ipch_uid_queue_percent = 50;
	ipch_queue_init(&q);
	q.uid = owner;

	for (i = 0; i < 4; i++) {
		probe = share_push(test, &q, other);
		KUNIT_EXPECT_EQ(test, ipch_queue_admits(&q, probe),
				i < 3 ? 0 : -EDQUOT);
	}
	KUNIT_EXPECT_EQ(test, q.nr_records, 4);
	share_push(test, &q, owner);
	probe = share_push(test, &q, KUIDT_INIT(1002));
	KUNIT_EXPECT_EQ(test, ipch_queue_admits(&q, probe), 0);

	/* A reserved share that stays empty is taken back. */
	probe = ipch_msg_alloc(0, 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, probe);
	probe->uid = KUIDT_INIT(1003);
	KUNIT_EXPECT_EQ(test, ipch_queue_reserve(&q, probe), 0);
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&q.shares, 1003));
	ipch_queue_unreserve(&q, probe);
	KUNIT_EXPECT_NULL(test, xa_load(&q.shares, 1003));
	ipch_msg_put(probe);

	ipch_queue_pop_n(&q, 3);
	probe = ipch_queue_peek(&q);
	KUNIT_EXPECT_EQ(test, ipch_queue_admits(&q, probe), 0);
	ipch_queue_purge(&q);
	KUNIT_EXPECT_TRUE(test, xa_empty(&q.shares));

	ipch_max_queue_records = saved;
	ipch_uid_queue_percent = percent;
}

static int fixture_init(struct kunit *test)
{
	struct net *net = current->nsproxy->net_ns;
	struct fixture *f;
	int i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	for (i = 1; i <= NR_PEERS; i++) {
		f->peer[i] = ipch_peer_alloc();
		if (!f->peer[i])
			return -ENOMEM;
		if (ipch_channel_join(f->peer[i], net, "kunit",
				      IPCHANNEL_JOIN_CREATE, 0600))
			return -EINVAL;
	}
	f->saved_records = ipch_max_queue_records;
	test->priv = f;
	return 0;
}

static void fixture_exit(struct kunit *test)
{
	struct fixture *f = test->priv;
	int i;

	ipch_max_queue_records = f->saved_records;
	for (i = 1; i <= NR_PEERS; i++)
		if (f->peer[i])
			ipch_peer_free(f->peer[i]);
}

static struct ipch_msg *message(struct kunit *test)
{
	struct ipch_msg *msg = ipch_msg_alloc(0, 1, 0);

	KUNIT_ASSERT_NOT_NULL(test, msg);
	ipch_msg_data(msg)[0] = 'x';
	return msg;
}

/* A broadcast is one allocation, queued in one step with one number. */
static void broadcast_shares_one_message_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *msg = message(test);
	int i;

	KUNIT_ASSERT_EQ(test, ipch_channel_send(f->peer[2], IPCHANNEL_PEER_ALL,
						0, msg, true), 0);
	for (i = 1; i <= NR_PEERS; i++) {
		KUNIT_EXPECT_PTR_EQ(test, ipch_queue_peek(&f->peer[i]->queue),
				    msg);
	}
	KUNIT_EXPECT_EQ(test, refcount_read(&msg->ref), NR_PEERS + 1);
	KUNIT_EXPECT_EQ(test, msg->seq, 1);
	KUNIT_EXPECT_EQ(test, msg->sender, 2);
	KUNIT_EXPECT_EQ(test, msg->flags, IPCHANNEL_RECV_BROADCAST);
	ipch_msg_put(msg);
}

/*
 * Records that come with a message serve its receivers first; receivers
 * beyond them get records of their own, and popping frees only those.
 */
static void broadcast_uses_the_records_it_brings_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *msg = ipch_msg_alloc(0, 1, 1);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, ipch_msg_records_left(msg), 2);
	KUNIT_ASSERT_EQ(test, ipch_channel_send(f->peer[1], IPCHANNEL_PEER_ALL,
						0, msg, true), 0);
	KUNIT_EXPECT_EQ(test, ipch_msg_records_left(msg), 0);
	KUNIT_EXPECT_EQ(test, msg->used_spare, 1);
	for (i = 1; i <= NR_PEERS; i++) {
		KUNIT_EXPECT_PTR_EQ(test, ipch_queue_peek(&f->peer[i]->queue),
				    msg);
		ipch_queue_pop(&f->peer[i]->queue);
	}
	KUNIT_EXPECT_EQ(test, refcount_read(&msg->ref), 1);
	ipch_msg_put(msg);

	/* More than IPCH_MSG_SPARE_MAX are not brought along. */
	msg = ipch_msg_alloc(0, 1, U16_MAX);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, msg->nr_spare, IPCH_MSG_SPARE_MAX);
	ipch_msg_put(msg);
}

static void unicast_and_order_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *msg[4];
	struct ipch_queue *q = &f->peer[3]->queue;
	int i;

	for (i = 0; i < 4; i++) {
		msg[i] = message(test);
		KUNIT_ASSERT_EQ(test, ipch_channel_send(f->peer[1 + i % 2],
							3, 0, msg[i], true),
				0);
	}
	KUNIT_EXPECT_EQ(test, q->nr_records, 4);
	KUNIT_EXPECT_EQ(test, f->peer[1]->queue.nr_records, 0);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_PTR_EQ(test, ipch_queue_peek(q), msg[i]);
		KUNIT_EXPECT_EQ(test, msg[i]->seq, i + 1);
		ipch_queue_pop(q);
		ipch_msg_put(msg[i]);
	}
	msg[0] = message(test);
	KUNIT_EXPECT_EQ(test, ipch_channel_send(f->peer[1], 9, 0, msg[0],
						true), -ENXIO);
	ipch_msg_put(msg[0]);
}

static void full_receiver_stops_broadcast_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *first = message(test), *all = message(test);

	ipch_max_queue_records = 1;
	KUNIT_ASSERT_EQ(test, ipch_channel_send(f->peer[1], 3, 0, first,
						true), 0);
	KUNIT_EXPECT_EQ(test, ipch_channel_send(f->peer[1],
						IPCHANNEL_PEER_ALL, 0, all,
						true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, f->peer[1]->queue.nr_records, 0);
	KUNIT_EXPECT_EQ(test, f->peer[2]->queue.nr_records, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&all->ref), 1);
	KUNIT_EXPECT_FALSE(test, ipch_channel_writable(f->peer[1]->channel));
	ipch_msg_put(first);
	ipch_msg_put(all);
}

static int ask(struct ipch_peer *peer, const char *name, u64 cookie)
{
	struct ipch_lock_args args = {
		.name = name,
		.cookie = cookie,
		.flags = IPCHANNEL_LOCK_ASYNC,
	};

	return ipch_lock_acquire(peer, &args);
}

static u32 holder(struct ipch_peer *peer, const char *name)
{
	struct ipchannel_lock_info info = { };

	strscpy(info.name, name, sizeof(info.name));
	ipch_lock_info(peer, &info);
	return info.holder;
}

/*
 * Asynchronous requests are granted in order, and a leaving holder's lock
 * passes straight to the next in line.
 */
static void lock_order_and_handoff_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *grant;
	int i;

	for (i = 1; i <= NR_PEERS; i++)
		KUNIT_ASSERT_EQ(test, ask(f->peer[i], "L", i), 0);
	KUNIT_EXPECT_EQ(test, holder(f->peer[1], "L"), 1);
	KUNIT_EXPECT_EQ(test, ask(f->peer[2], "L", 2), -EDEADLK);

	grant = ipch_queue_peek(&f->peer[1]->queue);
	KUNIT_ASSERT_NOT_NULL(test, grant);
	KUNIT_EXPECT_EQ(test, grant->type, IPCHANNEL_SYS_LOCK_GRANTED);
	KUNIT_EXPECT_EQ(test, grant->sender, IPCHANNEL_PEER_KERNEL);
	KUNIT_EXPECT_EQ(test, f->peer[2]->queue.nr_records, 0);

	KUNIT_EXPECT_EQ(test, ipch_lock_release(f->peer[3], "L", 3), 0);
	KUNIT_EXPECT_EQ(test, ipch_lock_release(f->peer[2], "L", 1), -EPERM);

	/* Peer 1 goes away holding "L": peer 2 has it at once. */
	ipch_peer_free(f->peer[1]);
	f->peer[1] = NULL;
	KUNIT_EXPECT_EQ(test, holder(f->peer[2], "L"), 2);
	KUNIT_EXPECT_EQ(test, f->peer[2]->queue.nr_records, 1);
	KUNIT_EXPECT_EQ(test, f->peer[3]->queue.nr_records, 0);
}

/* The peer id a membership record at the head of @peer's queue is about. */
static u32 member_head(struct kunit *test, struct ipch_peer *peer, u16 type)
{
	struct ipchannel_membership body;
	struct ipch_msg *msg = ipch_queue_peek(&peer->queue);

	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, msg->type, type);
	KUNIT_EXPECT_EQ(test, msg->sender, IPCHANNEL_PEER_KERNEL);
	KUNIT_EXPECT_EQ(test, msg->flags, IPCHANNEL_RECV_SYSTEM);
	KUNIT_ASSERT_EQ(test, msg->len, sizeof(body));
	memcpy(&body, ipch_msg_data(msg), sizeof(body));
	ipch_queue_pop(&peer->queue);
	return body.peer_id;
}

static int subscribe(struct ipch_peer *peer)
{
	return ipch_peer_subscribe(peer, IPCHANNEL_SUB_MEMBERSHIP);
}

/* Subscribing replays every member; then joins and leaves follow. */
static void membership_replay_and_leave_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	int i;

	KUNIT_ASSERT_EQ(test, subscribe(f->peer[2]), 0);
	KUNIT_ASSERT_EQ(test, f->peer[2]->queue.nr_records, NR_PEERS);
	for (i = 1; i <= NR_PEERS; i++)
		KUNIT_EXPECT_EQ(test, member_head(test, f->peer[2],
						  IPCHANNEL_SYS_PEER_JOINED),
				i);

	ipch_peer_free(f->peer[3]);
	f->peer[3] = NULL;
	KUNIT_EXPECT_EQ(test, member_head(test, f->peer[2],
					  IPCHANNEL_SYS_PEER_LEFT), 3);
	/* Only subscribers hear of it. */
	KUNIT_EXPECT_EQ(test, f->peer[1]->queue.nr_records, 0);

	KUNIT_ASSERT_EQ(test, ipch_peer_subscribe(f->peer[2], 0), 0);
	ipch_peer_free(f->peer[1]);
	f->peer[1] = NULL;
	KUNIT_EXPECT_EQ(test, f->peer[2]->queue.nr_records, 0);
}

/* A subscriber without room gets one LOST record and is unsubscribed. */
static void membership_lost_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *msg;

	ipch_max_queue_records = 2;
	KUNIT_ASSERT_EQ(test, subscribe(f->peer[1]), 0);
	/* Two of the three joined records fit, then LOST. */
	KUNIT_EXPECT_EQ(test, f->peer[1]->queue.nr_records, 3);
	KUNIT_EXPECT_TRUE(test, list_empty(&f->peer[1]->sub_node));
	KUNIT_EXPECT_NULL(test, f->peer[1]->lost);
	ipch_queue_pop(&f->peer[1]->queue);
	ipch_queue_pop(&f->peer[1]->queue);
	msg = ipch_queue_peek(&f->peer[1]->queue);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, msg->type, IPCHANNEL_SYS_MEMBERSHIP_LOST);
	KUNIT_EXPECT_EQ(test, msg->len, 0);
	ipch_queue_pop(&f->peer[1]->queue);

	/* Unsubscribed: a leave is not queued. */
	ipch_peer_free(f->peer[3]);
	f->peer[3] = NULL;
	KUNIT_EXPECT_EQ(test, f->peer[1]->queue.nr_records, 0);

	/* Subscribing again re-arms and replays the two left. */
	KUNIT_ASSERT_EQ(test, subscribe(f->peer[1]), 0);
	KUNIT_EXPECT_EQ(test, f->peer[1]->queue.nr_records, 2);
	KUNIT_EXPECT_FALSE(test, list_empty(&f->peer[1]->sub_node));
	KUNIT_EXPECT_NOT_NULL(test, f->peer[1]->lost);
}

/* Sent and received counters, for the netlink dumps; readable or not. */
static void peer_counters_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ipch_msg *msg = message(test);
	struct ipch_record *rec;

	KUNIT_EXPECT_FALSE(test, ipch_peer_readable(f->peer[2]));
	KUNIT_ASSERT_EQ(test, ipch_channel_send(f->peer[1], IPCHANNEL_PEER_ALL,
						IPCHANNEL_SEND_NOSELF, msg,
						true), 0);
	KUNIT_EXPECT_EQ(test, f->peer[1]->sent, 1);
	KUNIT_EXPECT_EQ(test, f->peer[1]->channel->messages, 1);
	KUNIT_EXPECT_FALSE(test, ipch_peer_readable(f->peer[1]));
	KUNIT_EXPECT_TRUE(test, ipch_peer_readable(f->peer[2]));

	mutex_lock(&f->peer[2]->mutex);
	KUNIT_EXPECT_EQ(test, ipch_peer_peek(f->peer[2], SIZE_MAX, &rec), 1);
	KUNIT_EXPECT_PTR_EQ(test, rec->msg, msg);
	ipch_peer_pop(f->peer[2], 1);
	mutex_unlock(&f->peer[2]->mutex);
	KUNIT_EXPECT_FALSE(test, ipch_peer_readable(f->peer[2]));
	KUNIT_EXPECT_TRUE(test, ipch_peer_readable(f->peer[3]));
	KUNIT_EXPECT_EQ(test, f->peer[2]->received, 1);
	KUNIT_EXPECT_EQ(test, f->peer[3]->received, 0);
	KUNIT_EXPECT_EQ(test, f->peer[1]->received, 0);
	ipch_msg_put(msg);
}

/* The lowest free id is given out again; ids above it stay. */
static void ids_are_reused_lowest_first_test(struct kunit *test)
{
	struct net *net = current->nsproxy->net_ns;
	struct fixture *f = test->priv;
	struct ipch_peer *again, *next;

	ipch_peer_free(f->peer[2]);
	f->peer[2] = NULL;

	again = ipch_peer_alloc();
	KUNIT_ASSERT_NOT_NULL(test, again);
	f->peer[2] = again;
	next = ipch_peer_alloc();
	KUNIT_ASSERT_NOT_NULL(test, next);
	/* Expectations, not assertions: next must be freed whatever. */
	KUNIT_EXPECT_EQ(test, ipch_channel_join(again, net, "kunit", 0, 0), 0);
	KUNIT_EXPECT_EQ(test, again->id, 2);
	KUNIT_EXPECT_EQ(test, ipch_channel_join(next, net, "kunit", 0, 0), 0);
	KUNIT_EXPECT_EQ(test, next->id, 4);
	KUNIT_EXPECT_EQ(test, ipch_channel_join(next, net, "kunit", 0, 0),
			-EISCONN);
	ipch_peer_free(next);
}

/* The module's live objects, to compare before and after. */
struct live {
	s64 channels, peers, messages, records, locks, waiters;
};

static void live_read(struct live *l)
{
	l->channels = atomic64_read(&ipch_count.channels);
	l->peers = atomic64_read(&ipch_count.peers);
	l->messages = atomic64_read(&ipch_count.messages);
	l->records = atomic64_read(&ipch_count.records);
	l->locks = atomic64_read(&ipch_count.locks);
	l->waiters = atomic64_read(&ipch_count.lock_waiters);
}

/*
 * Closing every file of a channel frees everything it held: queued
 * messages and records, locks, lock requests, subscriptions, the channel.
 */
static void close_releases_everything_test(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct live before, during, after;
	struct ipch_msg *msg;
	int i;

	live_read(&before);
	msg = message(test);
	KUNIT_ASSERT_EQ(test, ipch_channel_send(f->peer[1], IPCHANNEL_PEER_ALL,
						0, msg, true), 0);
	ipch_msg_put(msg);
	KUNIT_ASSERT_EQ(test, ask(f->peer[1], "A", 1), 0);
	KUNIT_ASSERT_EQ(test, ask(f->peer[2], "A", 2), 0);
	KUNIT_ASSERT_EQ(test, subscribe(f->peer[3]), 0);
	live_read(&during);
	KUNIT_EXPECT_GT(test, during.records, before.records);
	KUNIT_EXPECT_EQ(test, during.locks, before.locks + 1);
	KUNIT_EXPECT_EQ(test, during.waiters, before.waiters + 2);

	for (i = 1; i <= NR_PEERS; i++) {
		ipch_peer_free(f->peer[i]);
		f->peer[i] = NULL;
	}
	live_read(&after);
	KUNIT_EXPECT_EQ(test, after.channels, before.channels - 1);
	KUNIT_EXPECT_EQ(test, after.peers, before.peers - NR_PEERS);
	KUNIT_EXPECT_EQ(test, after.messages, before.messages);
	KUNIT_EXPECT_EQ(test, after.records, before.records);
	KUNIT_EXPECT_EQ(test, after.locks, before.locks);
	KUNIT_EXPECT_EQ(test, after.waiters, before.waiters);
}

/*
 * Fills the body of a message for @spare more receivers and queues it to
 * 1 + @spare queues with the records it brings (KASAN checks that none of
 * them overlaps another), then empties the queues.
 */
static void body_fill_and_queue(struct kunit *test, u16 event_len, u32 len,
				u16 spare, bool apart)
{
	struct ipch_msg *msg = ipch_msg_alloc(event_len, len, spare);
	struct ipch_queue q[4];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_ASSERT_LE(test, spare, ARRAY_SIZE(q) - 1);
	KUNIT_EXPECT_EQ(test, msg->apart, apart);
	memset(ipch_msg_data(msg), 0x5a, event_len + (size_t)len);

	for (i = 0; i <= spare; i++) {
		ipch_queue_init(&q[i]);
		q[i].uid = msg->uid;	/* the receiver's own: no share */
		ipch_queue_push(&q[i], ipch_msg_record(msg), msg);
	}
	KUNIT_EXPECT_NULL(test, ipch_msg_record(msg));
	KUNIT_EXPECT_EQ(test, refcount_read(&msg->ref), spare + 2);
	for (i = 0; i <= spare; i++) {
		KUNIT_EXPECT_EQ(test, q[i].bytes,
				ipch_msg_size(event_len, len));
		KUNIT_EXPECT_EQ(test, ipch_msg_data(ipch_queue_peek(&q[i]))[0],
				0x5a);
		ipch_queue_purge(&q[i]);
	}
	KUNIT_EXPECT_EQ(test, refcount_read(&msg->ref), 1);
	ipch_msg_put(msg);
}

/*
 * A body that would take its message past a page has an allocation of its
 * own (a power of two, as a large kmalloc() would round the two together
 * to the next one); a smaller body is in the message itself.
 */
static void body_placement_test(struct kunit *test)
{
	body_fill_and_queue(test, 0, 64, 3, false);
	body_fill_and_queue(test, 5, 2000, 3, false);
	body_fill_and_queue(test, 0, PAGE_SIZE, 0, true);
	body_fill_and_queue(test, 0, SZ_16K, 3, true);
	body_fill_and_queue(test, IPCHANNEL_NAME_MAX, SZ_64K, 1, true);
}

static struct kunit_case core_cases[] = {
	KUNIT_CASE(names_test),
	KUNIT_CASE(queue_test),
	KUNIT_CASE(uid_share_test),
	KUNIT_CASE(body_placement_test),
	{}
};

static struct kunit_suite core_suite = {
	.name = "ipchannel-core",
	.test_cases = core_cases,
};

static struct kunit_case channel_cases[] = {
	KUNIT_CASE(broadcast_shares_one_message_test),
	KUNIT_CASE(broadcast_uses_the_records_it_brings_test),
	KUNIT_CASE(unicast_and_order_test),
	KUNIT_CASE(full_receiver_stops_broadcast_test),
	KUNIT_CASE(lock_order_and_handoff_test),
	KUNIT_CASE(membership_replay_and_leave_test),
	KUNIT_CASE(membership_lost_test),
	KUNIT_CASE(peer_counters_test),
	KUNIT_CASE(ids_are_reused_lowest_first_test),
	KUNIT_CASE(close_releases_everything_test),
	{}
};

static struct kunit_suite channel_suite = {
	.name = "ipchannel-channel",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = channel_cases,
};

kunit_test_suites(&core_suite, &channel_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests of the ipchannel core");
MODULE_LICENSE("GPL");
