// SPDX-License-Identifier: GPL-2.0
/* lock.c - named first-come-first-served locks of a channel */
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "channel.h"
#include "ipch.h"
#include "lock.h"
#include "msg.h"
#include "netlink.h"

/* 1..63 printable ASCII bytes followed by a NUL. */
bool ipch_lock_name_valid(const char *name)
{
	size_t len = strnlen(name, IPCHANNEL_NAME_LEN);
	size_t i;

	if (!len || len > IPCHANNEL_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_lock_name_valid);

static struct ipch_lock *lock_find(struct ipch_channel *ch, const char *name)
{
	struct ipch_lock *lock;

	lockdep_assert_held(&ch->lock);
	list_for_each_entry(lock, &ch->locks, node)
		if (!strcmp(lock->name, name))
			return lock;
	return NULL;
}

static struct ipch_lock *lock_create(struct ipch_channel *ch,
				     const char *name)
{
	struct ipch_lock *lock;

	lockdep_assert_held(&ch->lock);

	if (ch->nr_locks >= READ_ONCE(ipch_max_locks))
		return ERR_PTR(-ENOSPC);
	lock = kzalloc(sizeof(*lock), IPCH_GFP);
	if (!lock)
		return ERR_PTR(-ENOMEM);

	strscpy(lock->name, name, sizeof(lock->name));
	INIT_LIST_HEAD(&lock->queue);
	list_add_tail(&lock->node, &ch->locks);
	ch->nr_locks++;
	atomic64_inc(&ipch_count.locks);
	return lock;
}

static void lock_free(struct ipch_channel *ch, struct ipch_lock *lock)
{
	lockdep_assert_held(&ch->lock);

	list_del(&lock->node);
	ch->nr_locks--;
	kfree(lock);
	atomic64_dec(&ipch_count.locks);
}

static struct ipch_request *request_find(struct ipch_lock *lock,
					 struct ipch_peer *peer, u64 cookie)
{
	struct ipch_request *req;

	list_for_each_entry(req, &lock->queue, node)
		if (req->peer == peer && req->cookie == cookie)
			return req;
	return NULL;
}

static void request_free(struct ipch_request *req)
{
	if (req->grant_rec)
		ipch_record_free(req->grant_rec);
	if (req->grant)
		ipch_msg_put(req->grant);
	kfree(req);
	atomic64_dec(&ipch_count.lock_waiters);
}

/*
 * An asynchronous request carries its grant record from the start, so that
 * handing the lock over can never fail for want of memory.
 */
static int request_prepare_grant(struct ipch_request *req, const char *name)
{
	size_t len = strlen(name);
	struct ipch_msg *msg;

	msg = ipch_msg_alloc(len, sizeof(req->cookie), 0);
	req->grant = msg;
	req->grant_rec = ipch_record_alloc();
	if (!msg || !req->grant_rec)
		return -ENOMEM;

	msg->sender = IPCHANNEL_PEER_KERNEL;
	msg->flags = IPCHANNEL_RECV_SYSTEM;
	msg->type = IPCHANNEL_SYS_LOCK_GRANTED;
	memcpy(ipch_msg_data(msg), name, len);
	memcpy(ipch_msg_data(msg) + len, &req->cookie, sizeof(req->cookie));
	return 0;
}

static struct ipch_request *request_alloc(struct ipch_peer *peer,
					  const struct ipch_lock_args *args)
{
	struct ipch_request *req;

	req = kzalloc(sizeof(*req), IPCH_GFP);
	if (!req)
		return NULL;
	atomic64_inc(&ipch_count.lock_waiters);

	req->peer = peer;
	req->cookie = args->cookie;
	if (!(args->flags & IPCHANNEL_LOCK_ASYNC)) {
		req->task = current;
		return req;
	}
	if (request_prepare_grant(req, args->name)) {
		request_free(req);
		return NULL;
	}
	return req;
}

/* Makes @req, now first in line, the holder and tells its owner. */
static void request_grant(struct ipch_channel *ch, struct ipch_request *req)
{
	lockdep_assert_held(&ch->lock);

	req->lock->held_since = ktime_get_ns();
	WRITE_ONCE(req->granted, true);
	if (!req->grant) {
		wake_up_process(req->task);
		return;
	}

	ipch_channel_push_system(ch, req->peer, req->grant_rec, req->grant);
	req->grant_rec = NULL;
	ipch_msg_put(req->grant);
	req->grant = NULL;
}

/*
 * Takes @req out of its lock's queue; if it held the lock, the next request
 * in line gets it at once. The caller frees @req.
 */
static void request_remove(struct ipch_channel *ch, struct ipch_request *req)
{
	struct ipch_lock *lock = req->lock;
	struct ipch_request *next;

	lockdep_assert_held(&ch->lock);

	list_del(&req->node);
	list_del(&req->peer_node);
	req->peer->nr_requests--;

	if (!req->granted) {
		lock->nr_waiters--;
	} else {
		next = list_first_entry_or_null(&lock->queue,
						struct ipch_request, node);
		if (next) {
			lock->nr_waiters--;
			request_grant(ch, next);
			ipch_nl_lock_handover(ch, lock, req, next);
		}
	}
	ch->gen++;
	if (list_empty(&lock->queue))
		lock_free(ch, lock);
}

/* Links @req at the tail of the lock's queue, granting it if first. */
static int request_queue(struct ipch_channel *ch, struct ipch_request *req,
			 const struct ipch_lock_args *args)
{
	struct ipch_peer *peer = req->peer;
	struct ipch_lock *lock;

	lockdep_assert_held(&ch->lock);

	lock = lock_find(ch, args->name);
	if (lock) {
		/* A lock that exists is held. */
		if (request_find(lock, peer, args->cookie))
			return -EDEADLK;
		if (args->flags & IPCHANNEL_LOCK_TRY)
			return -EAGAIN;
		if (args->deadline_ns && args->deadline_ns <= ktime_get_ns())
			return -ETIMEDOUT;
	}
	if (peer->nr_requests >= READ_ONCE(ipch_max_lock_requests))
		return -EDQUOT;
	if (!lock) {
		lock = lock_create(ch, args->name);
		if (IS_ERR(lock))
			return PTR_ERR(lock);
	}

	req->lock = lock;
	req->since = ktime_get_ns();
	ch->gen++;
	list_add_tail(&req->node, &lock->queue);
	list_add_tail(&req->peer_node, &peer->requests);
	peer->nr_requests++;
	if (list_is_first(&req->node, &lock->queue))
		request_grant(ch, req);
	else
		lock->nr_waiters++;
	return 0;
}

/*
 * Sleeps until @req is granted, a signal arrives or the absolute deadline
 * passes. The deadline is absolute so that a restarted call cannot extend
 * it. Called and returns with the channel lock held.
 */
static int request_wait(struct ipch_channel *ch, struct ipch_request *req,
			u64 deadline_ns)
{
	/* A deadline beyond what ktime_t holds is as good as none. */
	ktime_t expires = ns_to_ktime(min_t(u64, deadline_ns, KTIME_MAX));
	bool timed_out = false;

	lockdep_assert_held(&ch->lock);

	for (;;) {
		if (req->granted)
			return 0;
		if (signal_pending(current))
			return -ERESTARTSYS;
		if (timed_out)
			return -ETIMEDOUT;

		/* The granter sets granted, then wakes us: no lost wakeup. */
		set_current_state(TASK_INTERRUPTIBLE);
		mutex_unlock(&ch->lock);
		if (!READ_ONCE(req->granted))
			timed_out = !schedule_hrtimeout(deadline_ns ?
							&expires : NULL,
							HRTIMER_MODE_ABS);
		__set_current_state(TASK_RUNNING);
		mutex_lock(&ch->lock);
	}
}

/*
 * Asks for the lock @args->name for the owner (@peer, @args->cookie).
 * Returns 0 once held, or at once for an asynchronous request, whose grant
 * arrives as a system record.
 */
int ipch_lock_acquire(struct ipch_peer *peer,
		      const struct ipch_lock_args *args)
{
	struct ipch_channel *ch = peer->channel;
	struct ipch_request *req;
	int ret;

	req = request_alloc(peer, args);
	if (!req)
		return -ENOMEM;

	mutex_lock(&ch->lock);
	ret = request_queue(ch, req, args);
	if (ret) {
		mutex_unlock(&ch->lock);
		request_free(req);
		return ret;
	}
	if (req->granted || req->grant) {
		mutex_unlock(&ch->lock);
		return 0;
	}

	ret = request_wait(ch, req, args->deadline_ns);
	if (ret)
		request_remove(ch, req);
	mutex_unlock(&ch->lock);

	if (ret)
		request_free(req);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_lock_acquire);

/*
 * Releases the lock @name held by (@peer, @cookie), or cancels that owner's
 * pending asynchronous request for it. Anyone else gets -EPERM.
 */
int ipch_lock_release(struct ipch_peer *peer, const char *name, u64 cookie)
{
	struct ipch_channel *ch = peer->channel;
	struct ipch_request *req = NULL;
	struct ipch_lock *lock;

	mutex_lock(&ch->lock);
	lock = lock_find(ch, name);
	if (lock)
		req = request_find(lock, peer, cookie);
	/* A blocking request is its caller's to withdraw, not ours. */
	if (!req || (!req->granted && !req->grant)) {
		mutex_unlock(&ch->lock);
		return -EPERM;
	}
	request_remove(ch, req);
	mutex_unlock(&ch->lock);

	request_free(req);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_lock_release);

/* Fills @info for the lock named in it; a lock nobody holds is all 0. */
void ipch_lock_info(struct ipch_peer *peer, struct ipchannel_lock_info *info)
{
	struct ipch_channel *ch = peer->channel;
	struct ipch_request *holder;
	struct ipch_lock *lock;

	info->holder = 0;
	info->holder_cookie = 0;
	info->held_since_ns = 0;
	info->nr_waiters = 0;

	mutex_lock(&ch->lock);
	lock = lock_find(ch, info->name);
	if (lock) {
		holder = list_first_entry(&lock->queue, struct ipch_request,
					  node);
		info->holder = holder->peer->id;
		info->holder_cookie = holder->cookie;
		info->held_since_ns = lock->held_since;
		info->nr_waiters = lock->nr_waiters;
	}
	mutex_unlock(&ch->lock);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_lock_info);

/*
 * The file of @peer is closing: every lock it holds passes to the next in
 * line and every request it queued goes. No call of the peer is running,
 * so none of its requests is a sleeping caller's.
 */
void ipch_lock_drop_peer(struct ipch_channel *ch, struct ipch_peer *peer)
{
	struct ipch_request *req, *tmp;

	lockdep_assert_held(&ch->lock);

	list_for_each_entry_safe(req, tmp, &peer->requests, peer_node) {
		request_remove(ch, req);
		request_free(req);
	}
}
