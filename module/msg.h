/* SPDX-License-Identifier: GPL-2.0 */
/* msg.h - reference-counted messages and per-peer receive queues */
#ifndef IPCH_MSG_H
#define IPCH_MSG_H

#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/ipchannel.h>

struct pid;

/*
 * A receiver's reference to a message, linked in its queue. The queues
 * only ever take records at the tail and give them up at the head, so one
 * link is enough.
 */
struct ipch_record {
	struct ipch_record *next;
	struct ipch_msg *msg;
};

/*
 * One message, shared by every receiver of a broadcast, with the record of
 * its first receiver and, in the same allocation, its event name and
 * payload unless they need a page or more (see ipch_msg_alloc()).
 * Immutable once queued.
 */
struct ipch_msg {
	refcount_t ref;
	u32 sender;		/* peer id; 0 for the kernel */
	u64 seq;		/* channel sequence number, set when queued */
	u32 flags;		/* IPCHANNEL_RECV_* */
	u32 len;		/* payload bytes */
	u16 event_len;		/* event name bytes, before the payload */
	u16 type;		/* IPCHANNEL_SYS_* for system records */
	kuid_t uid;		/* sender's euid at send time */
	struct pid *pid;	/* sender's thread group, NULL for the kernel */
	struct ipch_record rec;	/* the first receiver's */
	u16 nr_spare;		/* records after the body */
	u16 used_spare;
	bool apart;		/* the body has an allocation of its own */
	union {			/* the body: event name, then payload */
		char *body_apart;
		DECLARE_FLEX_ARRAY(char, body);
	};
};

/* Where the event name, then the payload, of @msg are. */
static inline char *ipch_msg_data(struct ipch_msg *msg)
{
	return msg->apart ? msg->body_apart : msg->body;
}

/* Most records a broadcast message brings along; more are allocated. */
#define IPCH_MSG_SPARE_MAX	63

/*
 * A peer's receive queue; the owner of the queue provides the locking,
 * except that records are linked in with release stores, so that the one
 * reader of a queue may walk it with ipch_queue_next() while senders
 * append. Messages of other users than the receiver's are also counted
 * per sender uid, in shares, so that no one user can take the whole queue.
 */
struct ipch_queue {
	struct ipch_record *head;
	struct ipch_record **tail;	/* &head, or &next of the last */
	u32 nr_records;
	u32 bytes;		/* sum of ipch_msg_size() of the records */
	kuid_t uid;		/* the receiver's euid, set at join */
	struct xarray shares;	/* sender kuid -> struct ipch_share */
};

/* What one sender uid has queued to one receiver of another uid. */
struct ipch_share {
	u32 records;
	u32 bytes;
};

int ipch_msg_cache_create(void);
void ipch_msg_cache_destroy(void);

struct ipch_msg *ipch_msg_alloc(u16 event_len, u32 len, u16 spare);
void ipch_msg_put(struct ipch_msg *msg);

/* Bytes of the receive record that read() gives for @msg. */
static inline u32 ipch_msg_size(u16 event_len, u32 len)
{
	return IPCHANNEL_ALIGN(sizeof(struct ipchannel_recv) + event_len +
			       (u64)len);
}

struct ipch_record *ipch_record_alloc(void);
void ipch_record_free(struct ipch_record *rec);
struct ipch_record *ipch_msg_record(struct ipch_msg *msg);

/* How many more receivers the records that came with @msg can serve. */
static inline u32 ipch_msg_records_left(const struct ipch_msg *msg)
{
	return !msg->rec.msg + msg->nr_spare - msg->used_spare;
}

void ipch_queue_init(struct ipch_queue *q);
void ipch_queue_push(struct ipch_queue *q, struct ipch_record *rec,
		     struct ipch_msg *msg);
struct ipch_msg *ipch_queue_peek(struct ipch_queue *q);
void ipch_queue_pop(struct ipch_queue *q);
void ipch_queue_pop_n(struct ipch_queue *q, u32 n);
void ipch_queue_purge(struct ipch_queue *q);
bool ipch_queue_has_room(const struct ipch_queue *q, u32 size);
int ipch_queue_admits(struct ipch_queue *q, const struct ipch_msg *msg);

/* The record after @rec, or the first of @q when @rec is NULL. */
static inline struct ipch_record *ipch_queue_next(struct ipch_queue *q,
						  struct ipch_record *rec)
{
	struct ipch_record **link = rec ? &rec->next : &q->head;

	/* Pairs with the release in ipch_queue_push(). */
	return smp_load_acquire(link);
}

bool ipch_queue_needs_share(struct ipch_queue *q, const struct ipch_msg *msg);
int ipch_queue_reserve(struct ipch_queue *q, const struct ipch_msg *msg);
void ipch_queue_unreserve(struct ipch_queue *q, const struct ipch_msg *msg);

#endif /* IPCH_MSG_H */
