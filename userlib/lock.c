// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lock.c - named locks of the channel: blocking, try, timed, synchronize,
 * and asynchronous requests whose grants the dispatch layer delivers
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC	1000000000ULL
/* The kernel keeps deadlines as signed nanoseconds: later means never. */
#define DEADLINE_MAX	((uint64_t)INT64_MAX)

/* The default owner: the calling thread, so each thread owns its locks. */
static uint64_t self_cookie(void)
{
	return (uint64_t)gettid();
}

/*
 * Converts an absolute CLOCK_MONOTONIC deadline to the kernel's form. The
 * kernel reads 0 as "no deadline", so a deadline at time 0 becomes 1 ns:
 * still in the past, as the caller meant.
 */
static int deadline_ns(const struct timespec *ts, uint64_t *ns)
{
	*ns = 0;
	if (!ts)
		return 0;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
	    (uint64_t)ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;

	if ((uint64_t)ts->tv_sec >= DEADLINE_MAX / NSEC_PER_SEC)
		*ns = DEADLINE_MAX;
	else
		*ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC +
		      (uint64_t)ts->tv_nsec;
	if (!*ns)
		*ns = 1;
	return 0;
}

/* IPCHANNEL_IOC_LOCK or _UNLOCK for a name already checked. */
static int lock_call(struct ipch *ipc, unsigned long cmd, const char *name,
		     uint64_t cookie, uint64_t deadline, uint32_t flags)
{
	struct ipchannel_lock l;

	memset(&l, 0, sizeof(l));
	strcpy(l.name, name);
	l.cookie = cookie;
	l.deadline_ns = deadline;
	l.flags = flags;
	return ipc->io->ioctl(ipc->fd, cmd, &l);
}

/* ---- the table of pending asynchronous requests ---- */

static struct ipch_request *request_find(struct ipch *ipc, const char *name,
					 uint64_t cookie)
{
	unsigned int i;

	for (i = 0; i < ipc->nr_requests; i++) {
		struct ipch_request *req = &ipc->requests[i];

		if (req->cookie == cookie && !strcmp(req->name, name))
			return req;
	}
	return NULL;
}

/* Takes @req out of the table; the order of the table does not matter. */
static void request_drop(struct ipch *ipc, struct ipch_request *req)
{
	*req = ipc->requests[--ipc->nr_requests];
}

static int request_grow(struct ipch *ipc)
{
	struct ipch_request *reqs;
	unsigned int max;

	if (ipc->max_requests >= IPCH_REQUESTS_MAX)
		return -EDQUOT;
	max = ipc->max_requests ? ipc->max_requests * 2 : 8;
	reqs = realloc(ipc->requests, max * sizeof(*reqs));
	if (!reqs)
		return -ENOMEM;
	ipc->requests = reqs;
	ipc->max_requests = max;
	return 0;
}

/* Records @new; -EDEADLK if its owner already waits for the lock. */
static int request_add(struct ipch *ipc, const struct ipch_request *new)
{
	int err = 0;

	pthread_mutex_lock(&ipc->requests_mutex);
	if (request_find(ipc, new->name, new->cookie))
		err = -EDEADLK;
	else if (ipc->nr_requests == ipc->max_requests)
		err = request_grow(ipc);
	if (!err)
		ipc->requests[ipc->nr_requests++] = *new;
	pthread_mutex_unlock(&ipc->requests_mutex);
	return err;
}

static void request_forget(struct ipch *ipc, const char *name,
			   uint64_t cookie)
{
	struct ipch_request *req;

	pthread_mutex_lock(&ipc->requests_mutex);
	req = request_find(ipc, name, cookie);
	if (req)
		request_drop(ipc, req);
	pthread_mutex_unlock(&ipc->requests_mutex);
}

/*
 * ipch_lock_grant - is @msg a lock grant, and whose?
 * @req: for IPCH_GRANT_MINE, a copy of the request, which leaves the table
 *
 * Only the kernel makes system records, so a grant is trusted once its
 * sender, flags and type say so; its payload is the owner's cookie.
 */
enum ipch_grant ipch_lock_grant(struct ipch *ipc, const struct ipch_msg *msg,
				struct ipch_request *req)
{
	enum ipch_grant ret = IPCH_GRANT_STALE;
	struct ipch_request *found;
	uint64_t cookie;

	if (msg->sender != IPCHANNEL_PEER_KERNEL ||
	    !(msg->flags & IPCHANNEL_RECV_SYSTEM) ||
	    msg->type != IPCHANNEL_SYS_LOCK_GRANTED ||
	    msg->len != sizeof(cookie))
		return IPCH_GRANT_NONE;
	memcpy(&cookie, msg->data, sizeof(cookie));

	pthread_mutex_lock(&ipc->requests_mutex);
	found = request_find(ipc, msg->event, cookie);
	if (found && msg->seq >= found->min_seq) {
		*req = *found;
		request_drop(ipc, found);
		ret = IPCH_GRANT_MINE;
	}
	pthread_mutex_unlock(&ipc->requests_mutex);
	return ret;
}

/* ---- public functions ---- */

IPCH_EXPORT int ipch_lock_cookie(struct ipch *ipc, const char *name,
				 uint64_t cookie, unsigned int flags,
				 const struct timespec *deadline)
{
	uint64_t ns;
	int err;

	if (!ipc || (flags & ~IPCH_LOCK_TRY))
		return -EINVAL;
	err = ipch_name_check(name, false);
	if (err)
		return err;
	err = deadline_ns(deadline, &ns);
	if (err)
		return err;

	return lock_call(ipc, IPCHANNEL_IOC_LOCK, name, cookie, ns,
			 (flags & IPCH_LOCK_TRY) ? IPCHANNEL_LOCK_TRY : 0);
}

IPCH_EXPORT int ipch_lock(struct ipch *ipc, const char *name)
{
	return ipch_lock_cookie(ipc, name, self_cookie(), 0, NULL);
}

IPCH_EXPORT int ipch_trylock(struct ipch *ipc, const char *name)
{
	return ipch_lock_cookie(ipc, name, self_cookie(), IPCH_LOCK_TRY, NULL);
}

IPCH_EXPORT int ipch_timedlock(struct ipch *ipc, const char *name,
			       const struct timespec *deadline)
{
	return ipch_lock_cookie(ipc, name, self_cookie(), 0, deadline);
}

IPCH_EXPORT int ipch_unlock_cookie(struct ipch *ipc, const char *name,
				   uint64_t cookie)
{
	int err;

	if (!ipc)
		return -EINVAL;
	err = ipch_name_check(name, false);
	if (err)
		return err;

	/*
	 * Forgotten before the kernel hears of it: a grant that another
	 * thread dispatches from now on is stale, so no callback runs for
	 * a lock that is being released.
	 */
	request_forget(ipc, name, cookie);
	return lock_call(ipc, IPCHANNEL_IOC_UNLOCK, name, cookie, 0, 0);
}

IPCH_EXPORT int ipch_unlock(struct ipch *ipc, const char *name)
{
	return ipch_unlock_cookie(ipc, name, self_cookie());
}

IPCH_EXPORT int ipch_synchronize(struct ipch *ipc, const char *name,
				 int (*fn)(void *arg), void *arg)
{
	int ret, err;

	if (!fn)
		return -EINVAL;

	/* A signal ends the wait, not the caller's wish to run @fn. */
	do {
		err = ipch_lock(ipc, name);
	} while (err == -EINTR);
	if (err)
		return err;

	ret = fn(arg);

	err = ipch_unlock(ipc, name);
	return err ? err : ret;
}

IPCH_EXPORT int ipch_lock_async(struct ipch *ipc, const char *name,
				uint64_t cookie, ipch_lock_fn fn, void *arg)
{
	struct ipch_request req = { .cookie = cookie, .fn = fn, .arg = arg };
	struct ipchannel_info info;
	int err;

	if (!ipc || !fn)
		return -EINVAL;
	err = ipch_name_check(name, false);
	if (err)
		return err;
	strcpy(req.name, name);

	/* The grant will take a sequence number of at least this one. */
	err = ipc->io->info(ipc->fd, &info);
	if (err)
		return err;
	req.min_seq = info.next_seq;

	/* In the table first: another thread may dispatch the grant. */
	err = request_add(ipc, &req);
	if (err)
		return err;
	err = lock_call(ipc, IPCHANNEL_IOC_LOCK, name, cookie, 0,
			IPCHANNEL_LOCK_ASYNC);
	if (err)
		request_forget(ipc, name, cookie);
	return err;
}

IPCH_EXPORT int ipch_lock_info(struct ipch *ipc, const char *name,
			       struct ipchannel_lock_info *info)
{
	int err;

	if (!ipc || !info)
		return -EINVAL;
	err = ipch_name_check(name, false);
	if (err)
		return err;

	memset(info, 0, sizeof(*info));
	strcpy(info->name, name);
	return ipc->io->ioctl(ipc->fd, IPCHANNEL_IOC_LOCK_INFO, info);
}
