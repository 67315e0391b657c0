// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dispatch.c - handlers per event name, membership subscription, and the
 * loop that calls the handlers
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Handler names, as in the Node.js ipchannel. */
#define MESSAGE_EVENT		"message"
#define CONNECT_EVENT		"connect"
#define DISCONNECT_EVENT	"disconnect"

static struct ipch_handler *find(struct ipch *ipc, const char *event)
{
	unsigned int i;

	for (i = 0; i < ipc->nr_handlers; i++)
		if (!strcmp(ipc->handlers[i].event, event))
			return &ipc->handlers[i];
	return NULL;
}

/* Room for one more handler, so that adding it cannot fail. */
static int reserve(struct ipch *ipc)
{
	struct ipch_handler *h;
	unsigned int max;

	if (ipc->nr_handlers < ipc->max_handlers)
		return 0;
	max = ipc->max_handlers ? ipc->max_handlers * 2 : 8;
	h = realloc(ipc->handlers, max * sizeof(*h));
	if (!h)
		return -ENOMEM;
	ipc->handlers = h;
	ipc->max_handlers = max;
	return 0;
}

static bool is_membership_event(const char *event)
{
	return !strcmp(event, CONNECT_EVENT) ||
	       !strcmp(event, DISCONNECT_EVENT);
}

IPCH_EXPORT int ipch_on(struct ipch *ipc, const char *event,
			ipch_handler_fn fn, void *arg)
{
	struct ipch_handler *h;
	int err;

	if (!ipc || !fn)
		return -EINVAL;
	if (!event) {
		ipc->fallback = fn;
		ipc->fallback_arg = arg;
		return 0;
	}
	err = ipch_name_check(event, false);
	if (err)
		return err;

	/*
	 * Room first, then the subscription: a failed call then changes
	 * nothing, and a subscription never exists without its handler.
	 * Subscribing only once per handle matters: each subscription
	 * replays every member as "connect".
	 */
	h = find(ipc, event);
	if (!h) {
		err = reserve(ipc);
		if (err)
			return err;
	}
	if (is_membership_event(event) && !ipc->membership) {
		err = ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP);
		if (err)
			return err;
	}
	if (!h) {
		h = &ipc->handlers[ipc->nr_handlers++];
		strcpy(h->event, event);
	}
	h->fn = fn;
	h->arg = arg;
	return 0;
}

IPCH_EXPORT int ipch_off(struct ipch *ipc, const char *event)
{
	struct ipch_handler *h;
	int err;

	if (!ipc)
		return -EINVAL;
	if (!event) {
		if (!ipc->fallback)
			return -ENOENT;
		ipc->fallback = NULL;
		ipc->fallback_arg = NULL;
		return 0;
	}
	err = ipch_name_check(event, false);
	if (err)
		return err;

	h = find(ipc, event);
	if (!h)
		return -ENOENT;
	*h = ipc->handlers[--ipc->nr_handlers];
	return 0;
}

IPCH_EXPORT int ipch_subscribe(struct ipch *ipc, uint32_t flags)
{
	__u32 arg = flags;
	int err;

	if (!ipc || (flags & ~(uint32_t)IPCHANNEL_SUB_MEMBERSHIP))
		return -EINVAL;
	err = ipc->io->ioctl(ipc->fd, IPCHANNEL_IOC_SUBSCRIBE, &arg);
	if (err)
		return err;
	ipc->membership = flags & IPCHANNEL_SUB_MEMBERSHIP;
	return 0;
}

/*
 * The kernel ended the subscription because this peer's queue was full.
 * Subscribing again replays the members as "connect" records; peers that
 * left in between are simply absent from the replay. If that fails too,
 * the next ipch_on() of "connect" or "disconnect" tries again.
 */
static void resubscribe(struct ipch *ipc)
{
	ipc->membership = false;
	ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP);
}

/*
 * The named handler of a record: membership records go to "connect" and
 * "disconnect", other records of the kernel to no named handler (a lock
 * grant names a lock, not an event), the rest by their event name.
 */
static struct ipch_handler *route(struct ipch *ipc, const struct ipch_msg *msg)
{
	if (msg->sender != IPCHANNEL_PEER_KERNEL &&
	    !(msg->flags & IPCHANNEL_RECV_SYSTEM))
		return find(ipc, msg->event[0] ? msg->event : MESSAGE_EVENT);
	if (msg->sender != IPCHANNEL_PEER_KERNEL ||
	    !(msg->flags & IPCHANNEL_RECV_SYSTEM))
		return NULL;
	if (msg->type == IPCHANNEL_SYS_PEER_JOINED)
		return find(ipc, CONNECT_EVENT);
	if (msg->type == IPCHANNEL_SYS_PEER_LEFT)
		return find(ipc, DISCONNECT_EVENT);
	return NULL;
}

/*
 * Call the handler of one record, or the callback of a lock grant (a
 * stale grant, of a request withdrawn since, calls nothing). A lost
 * membership is renewed at once, and the record still goes to the
 * fallback handler: a program that keeps a list of members learns that
 * the "connect" records after it are a full replay. The handler and its
 * argument are fetched before the call because the handler may change
 * the table.
 */
static void handle(struct ipch *ipc, const struct ipch_msg *msg)
{
	const struct ipch_handler *h;
	ipch_handler_fn fn = ipc->fallback;
	void *arg = ipc->fallback_arg;
	struct ipch_request req;

	switch (ipch_lock_grant(ipc, msg, &req)) {
	case IPCH_GRANT_MINE:
		req.fn(ipc, req.name, req.cookie, req.arg);
		return;
	case IPCH_GRANT_STALE:
		return;
	case IPCH_GRANT_NONE:
		break;
	}

	if (ipch_msg_lost(msg) && ipc->membership)
		resubscribe(ipc);

	h = route(ipc, msg);
	if (h) {
		fn = h->fn;
		arg = h->arg;
	}
	if (fn)
		fn(ipc, msg, arg);
}

/*
 * Handle the buffered records, then read and handle as many bytes as were
 * queued when we started. Stopping there keeps a flood of new records
 * from holding the caller's event loop forever; the buffer is always
 * emptied, so that whatever remains is in the kernel and keeps the file
 * readable.
 */
static int drain(struct ipch *ipc)
{
	ssize_t budget = ipc->io->pending(ipc->fd);
	struct ipch_msg msg;
	int n = 0;

	if (budget < 0)
		budget = SSIZE_MAX;	/* unknown: read until EAGAIN */
	for (;;) {
		int ret;

		while ((ret = ipch_buf_take(ipc, &msg)) > 0) {
			handle(ipc, &msg);
			n++;
		}
		if (ret < 0)
			return ret;
		if (budget <= 0)
			return n;

		ret = ipch_buf_refill(ipc, false);
		if (ret == -EAGAIN)
			return n;
		if (ret < 0)
			return n ? n : ret;
		budget -= (ssize_t)ipc->fill;
	}
}

IPCH_EXPORT int ipch_dispatch(struct ipch *ipc)
{
	int ret;

	if (!ipc)
		return -EINVAL;
	if (ipc->dispatching)
		return -EBUSY;

	ipc->dispatching = true;
	ret = drain(ipc);
	ipc->dispatching = false;
	return ret;
}

IPCH_EXPORT int ipch_run(struct ipch *ipc, int timeout_ms)
{
	if (!ipc)
		return -EINVAL;
	if (ipc->dispatching)
		return -EBUSY;

	if (ipc->pos == ipc->fill) {
		int ret = ipch_wait(ipc, POLLIN, timeout_ms);

		if (ret)
			return ret == -EAGAIN ? 0 : ret;
	}
	return ipch_dispatch(ipc);
}
