// SPDX-License-Identifier: GPL-2.0
/* msg.c - reference-counted messages and per-peer receive queues */
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

/* Where the spare records of @msg start: after the payload, aligned. */
static size_t spare_offset(u16 event_len, u32 len)
{
	return ALIGN(struct_size_t(struct ipch_msg, data,
				   (size_t)event_len + len),
		     __alignof__(struct ipch_record));
}

static struct ipch_record *spare_records(struct ipch_msg *msg)
{
	return (void *)msg + spare_offset(msg->event_len, msg->len);
}

/*
 * A message for @spare receivers besides the first brings their records
 * along, so that a broadcast is one allocation, not one per receiver.
 *
 * The payload is charged to the sender's memory cgroup: a peer that floods
 * the channel pays for what its messages hold in other peers' queues.
 */
struct ipch_msg *ipch_msg_alloc(u16 event_len, u32 len, u16 spare)
{
	struct ipch_msg *msg;
	size_t size;

	spare = min_t(u16, spare, IPCH_MSG_SPARE_MAX);
	size = spare_offset(event_len, len) +
	       spare * sizeof(struct ipch_record);
	msg = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return NULL;

	memset(msg, 0, sizeof(*msg));
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
	kvfree(msg);
	atomic64_dec(&ipch_count.messages);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_msg_put);

struct ipch_record *ipch_record_alloc(void)
{
	return kmem_cache_alloc(record_cache, GFP_KERNEL_ACCOUNT);
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
}
EXPORT_SYMBOL_IF_KUNIT(ipch_queue_init);

/* Links @rec at the tail of @q, taking a new reference to @msg. */
void ipch_queue_push(struct ipch_queue *q, struct ipch_record *rec,
		     struct ipch_msg *msg)
{
	u32 size = ipch_msg_size(msg->event_len, msg->len);

	refcount_inc(&msg->ref);
	rec->msg = msg;
	rec->next = NULL;
	*q->tail = rec;
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

/* Unlinks the first @n records of @q and drops their references. */
void ipch_queue_pop_n(struct ipch_queue *q, u32 n)
{
	struct ipch_record *rec;
	struct ipch_msg *msg;

	while (n--) {
		rec = q->head;
		msg = rec->msg;
		q->head = rec->next;
		if (!q->head)
			q->tail = &q->head;
		WRITE_ONCE(q->nr_records, q->nr_records - 1);
		WRITE_ONCE(q->bytes, q->bytes -
			   ipch_msg_size(msg->event_len, msg->len));
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

void ipch_queue_purge(struct ipch_queue *q)
{
	ipch_queue_pop_n(q, q->nr_records);
}

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
