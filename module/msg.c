// SPDX-License-Identifier: GPL-2.0
/* msg.c - reference-counted messages and per-peer receive queues */
#include <linux/math64.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "ipch.h"
#include "msg.h"

static struct kmem_cache *record_cache;

int ipch_msg_cache_create(void)
{
	record_cache = KMEM_CACHE(ipch_record, 0);
	return record_cache ? 0 : -ENOMEM;
}

void ipch_msg_cache_destroy(void)
{
	kmem_cache_destroy(record_cache);
}

/*
 * Bytes of a message with @body bytes in it, up to its spare records. The
 * body starts at its offset, not after sizeof(): a 64-byte payload fits
 * in 128 bytes.
 */
static size_t msg_head_size(size_t body)
{
	return ALIGN(offsetof(struct ipch_msg, body) + body,
		     __alignof__(struct ipch_record));
}

/* A unicast of 64 bytes, the common small message, is a 128-byte object. */
static_assert(offsetof(struct ipch_msg, body) + 64 <= 128);

/* Where the spare records start: after the body, or its pointer. */
static size_t spare_offset(size_t body, bool apart)
{
	return msg_head_size(apart ? sizeof(char *) : body);
}

static struct ipch_record *spare_records(struct ipch_msg *msg)
{
	return (void *)msg + spare_offset(msg->event_len + (size_t)msg->len,
					  msg->apart);
}

/*
 * A message for @spare receivers besides the first brings their records
 * along, so that a broadcast is one allocation, not one per receiver.
 *
 * A body that would take the message past a page gets an allocation of its
 * own. Larger kmalloc()s come from the page allocator in powers of two,
 * zeroed whole where init_on_alloc is set (as in Debian's kernels): 16 KiB
 * of payload in one allocation with the message would cost 32 KiB.
 *
 * The memory is charged to the sender's memory cgroup: a peer that floods
 * the channel pays for what its messages hold in other peers' queues.
 */
struct ipch_msg *ipch_msg_alloc(u16 event_len, u32 len, u16 spare)
{
	size_t body = event_len + (size_t)len, records;
	struct ipch_msg *msg;
	bool apart;

	spare = min_t(u16, spare, IPCH_MSG_SPARE_MAX);
	records = spare * sizeof(struct ipch_record);
	apart = msg_head_size(body) + records > PAGE_SIZE;
	msg = kmalloc(spare_offset(body, apart) + records, IPCH_GFP);
	if (!msg)
		return NULL;

	memset(msg, 0, offsetof(struct ipch_msg, body));
	if (apart) {
		msg->body_apart = kvmalloc(body, IPCH_GFP);
		if (!msg->body_apart) {
			kfree(msg);
			return NULL;
		}
		msg->apart = true;
	}
	refcount_set(&msg->ref, 1);
	msg->event_len = event_len;
	msg->len = len;
	msg->nr_spare = spare;
	atomic64_inc(&ipch_count.messages);
	return msg;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_msg_alloc);

void ipch_msg_put(struct ipch_msg *msg)
{
	if (!refcount_dec_and_test(&msg->ref))
		return;

	put_pid(msg->pid);
	if (msg->apart)
		kvfree(msg->body_apart);
	kfree(msg);
	atomic64_dec(&ipch_count.messages);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_msg_put);

struct ipch_record *ipch_record_alloc(void)
{
	return kmem_cache_alloc(record_cache, IPCH_GFP);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_record_alloc);

/* Frees a record that holds no message reference. */
void ipch_record_free(struct ipch_record *rec)
{
	kmem_cache_free(record_cache, rec);
}

/*
 * The next record that came with @msg, or NULL once they are all taken:
 * a unicast, and a broadcast to no more receivers than the message was
 * made for, then need no allocation beyond the message.
 */
struct ipch_record *ipch_msg_record(struct ipch_msg *msg)
{
	if (!msg->rec.msg)
		return &msg->rec;
	if (msg->used_spare < msg->nr_spare)
		return &spare_records(msg)[msg->used_spare++];
	return NULL;
}

/* Did @rec come with its message (rather than from record_cache)? */
static bool record_inline(struct ipch_msg *msg, struct ipch_record *rec)
{
	struct ipch_record *spare = spare_records(msg);

	return rec == &msg->rec ||
	       (rec >= spare && rec < spare + msg->nr_spare);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_msg_record);

void ipch_queue_init(struct ipch_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->nr_records = 0;
	q->bytes = 0;
	q->uid = INVALID_UID;
	xa_init(&q->shares);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_init);

/*
 * Is @msg counted in the share of its sender's uid? Messages of the
 * receiver's own uid are not, nor are the kernel's own records.
 */
static bool shared(const struct ipch_queue *q, const struct ipch_msg *msg)
{
	return !(msg->flags & IPCHANNEL_RECV_SYSTEM) &&
	       !uid_eq(msg->uid, q->uid);
}

static struct ipch_share *share_of(struct ipch_queue *q,
				   const struct ipch_msg *msg)
{
	return xa_load(&q->shares, __kuid_val(msg->uid));
}

/* Must ipch_queue_reserve() make a share before @msg is queued to @q? */
bool ipch_queue_needs_share(struct ipch_queue *q, const struct ipch_msg *msg)
{
	return shared(q, msg) && !share_of(q, msg);
}

/*
 * Makes sure the share @msg would be counted in exists, so that queueing
 * it cannot fail. One that stays empty is taken back by
 * ipch_queue_unreserve().
 */
int ipch_queue_reserve(struct ipch_queue *q, const struct ipch_msg *msg)
{
	struct ipch_share *share;
	int ret;

	if (!ipch_queue_needs_share(q, msg))
		return 0;
	share = kzalloc(sizeof(*share), IPCH_GFP);
	if (!share)
		return -ENOMEM;
	ret = xa_insert(&q->shares, __kuid_val(msg->uid), share, IPCH_GFP);
	if (ret)
		kfree(share);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_reserve);

static void share_drop(struct ipch_queue *q, kuid_t uid)
{
	kfree(xa_erase(&q->shares, __kuid_val(uid)));
}

void ipch_queue_unreserve(struct ipch_queue *q, const struct ipch_msg *msg)
{
	struct ipch_share *share;

	if (!shared(q, msg))
		return;
	share = share_of(q, msg);
	if (share && !share->records)
		share_drop(q, msg->uid);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_unreserve);

/*
 * Links @rec at the tail of @q, taking a new reference to @msg. A message
 * of another user goes into its share, which ipch_queue_reserve() made.
 */
void ipch_queue_push(struct ipch_queue *q, struct ipch_record *rec,
		     struct ipch_msg *msg)
{
	u32 size = ipch_msg_size(msg->event_len, msg->len);
	struct ipch_share *share;

	if (shared(q, msg)) {
		share = share_of(q, msg);
		if (!WARN_ON_ONCE(!share)) {
			share->records++;
			share->bytes += size;
		}
	}
	refcount_inc(&msg->ref);
	rec->msg = msg;
	rec->next = NULL;
	/* A reader walking without the lock sees the record whole. */
	smp_store_release(q->tail, rec);
	q->tail = &rec->next;
	WRITE_ONCE(q->nr_records, q->nr_records + 1);
	WRITE_ONCE(q->bytes, q->bytes + size);
	atomic64_inc(&ipch_count.records);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_push);

struct ipch_msg *ipch_queue_peek(struct ipch_queue *q)
{
	return q->head ? q->head->msg : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_peek);

/* Takes @msg, @size bytes of the queue, out of its sender's share. */
static void share_uncharge(struct ipch_queue *q, const struct ipch_msg *msg,
			   u32 size)
{
	struct ipch_share *share = share_of(q, msg);

	if (WARN_ON_ONCE(!share))
		return;
	share->bytes -= size;
	if (!--share->records)
		share_drop(q, msg->uid);
}

/* Unlinks the first @n records of @q and drops their references. */
void ipch_queue_pop_n(struct ipch_queue *q, u32 n)
{
	struct ipch_record *rec;
	struct ipch_msg *msg;
	u32 size;

	while (n--) {
		rec = q->head;
		msg = rec->msg;
		size = ipch_msg_size(msg->event_len, msg->len);
		/* Read without the lock by ipch_peer_readable(). */
		WRITE_ONCE(q->head, rec->next);
		if (!q->head)
			q->tail = &q->head;
		WRITE_ONCE(q->nr_records, q->nr_records - 1);
		WRITE_ONCE(q->bytes, q->bytes - size);
		if (shared(q, msg))
			share_uncharge(q, msg, size);
		/* The message's own records go with the message. */
		if (!record_inline(msg, rec))
			ipch_record_free(rec);
		ipch_msg_put(msg);
		atomic64_dec(&ipch_count.records);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_pop_n);

void ipch_queue_pop(struct ipch_queue *q)
{
	ipch_queue_pop_n(q, 1);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_pop);

/* Empties @q; every share goes with the last message counted in it. */
void ipch_queue_purge(struct ipch_queue *q)
{
	ipch_queue_pop_n(q, q->nr_records);
	WARN_ON_ONCE(!xa_empty(&q->shares));
	xa_destroy(&q->shares);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_purge);

/*
 * An empty queue takes any record, so that a message within max_msg_size
 * can always be delivered eventually whatever max_queue_bytes says.
 */
bool ipch_queue_has_room(const struct ipch_queue *q, u32 size)
{
	if (!q->nr_records)
		return true;
	if (q->nr_records >= READ_ONCE(ipch_max_queue_records))
		return false;
	return (u64)q->bytes + size <= READ_ONCE(ipch_max_queue_bytes);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_has_room);

/*
 * May @msg be queued to @q now? -EDQUOT when its sender's uid would hold
 * more than uid_queue_percent of the queue limits (a user's first message
 * is always within its share, as with an empty queue); -EAGAIN when the
 * queue is full. The first is an error to give up on, the second one to
 * wait out.
 */
int ipch_queue_admits(struct ipch_queue *q, const struct ipch_msg *msg)
{
	u32 size = ipch_msg_size(msg->event_len, msg->len);
	u32 percent = READ_ONCE(ipch_uid_queue_percent);
	const struct ipch_share *share;
	u64 records, bytes;

	if (percent < 100 && shared(q, msg)) {
		share = share_of(q, msg);
		records = div_u64((u64)READ_ONCE(ipch_max_queue_records) *
				  percent, 100);
		bytes = div_u64((u64)READ_ONCE(ipch_max_queue_bytes) *
				percent, 100);
		if (share && share->records &&
		    (share->records >= records ||
		     (u64)share->bytes + size > bytes))
			return -EDQUOT;
	}
	return ipch_queue_has_room(q, size) ? 0 : -EAGAIN;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_admits);
