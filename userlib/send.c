// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * send.c - sending messages and events: one writev() per batch of records
 *
 * Every send builds its record headers on its own stack and hands them to
 * the kernel in one writev(), which queues each record whole. That is all
 * the thread safety sends need: no lock is taken. On a blocking file the
 * kernel itself waits until each record's receivers have room.
 */
#include <errno.h>
#include <limits.h>

#include "internal.h"

/* Records per writev(): 4 iovecs each stays far below IOV_MAX. */
#define BATCH	64

/*
 * How many records of @m are complete in the first @bytes of a write.
 * A record counts once its payload is in, whether or not the kernel also
 * counted its padding.
 */
static unsigned int complete(const struct ipch_out *m, unsigned int n,
			     size_t bytes)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		size_t len = ipch_record_len(&m[i]);

		if (off + len > bytes)
			break;
		off += IPCHANNEL_ALIGN(len);
	}
	return i;
}

/* One writev() of up to BATCH records; returns how many were sent. */
static int write_batch(struct ipch *ipc, const struct ipch_out *m,
		       unsigned int n)
{
	struct ipchannel_send hdr[BATCH];
	struct iovec iov[BATCH * 4];
	unsigned int i, sent;
	size_t cnt = 0;
	ssize_t ret;

	if (n > BATCH)
		n = BATCH;
	for (i = 0; i < n; i++)
		cnt += ipch_record_pack(&hdr[i], iov + cnt, &m[i], i + 1 < n);

	ret = ipc->io->writev(ipc->fd, iov, (int)cnt);
	if (ret < 0)
		return (int)ret;
	sent = complete(m, n, (size_t)ret);
	/* The kernel accepts whole records; anything else is its bug. */
	return sent ? (int)sent : -EPROTO;
}

IPCH_EXPORT int ipch_sendv(struct ipch *ipc, const struct ipch_out *msgs,
			   unsigned int n)
{
	unsigned int i, sent = 0;
	int ret;

	if (!ipc || (!msgs && n) || n > INT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = ipch_out_check(&msgs[i]);
		if (ret)
			return ret;
	}

	while (sent < n) {
		ret = write_batch(ipc, msgs + sent, n - sent);
		if (ret < 0)
			return sent ? (int)sent : ret;
		sent += (unsigned int)ret;
	}
	return (int)sent;
}

static int send_one(struct ipch *ipc, const struct ipch_out *m)
{
	int ret = ipch_sendv(ipc, m, 1);

	return ret < 0 ? ret : 0;
}

IPCH_EXPORT int ipch_send(struct ipch *ipc, uint32_t to, const void *buf,
			  size_t len)
{
	struct ipch_out m = { .to = to, .data = buf, .len = len };

	return send_one(ipc, &m);
}

IPCH_EXPORT int ipch_emit(struct ipch *ipc, uint32_t to, const char *event,
			  const void *buf, size_t len)
{
	struct ipch_out m = {
		.to = to, .event = event, .data = buf, .len = len,
	};

	if (!event)
		return -EINVAL;
	return send_one(ipc, &m);
}

IPCH_EXPORT int ipch_broadcast(struct ipch *ipc, const char *event,
			       const void *buf, size_t len,
			       unsigned int flags)
{
	struct ipch_out m = {
		.to = IPCHANNEL_PEER_ALL, .flags = flags, .event = event,
		.data = buf, .len = len,
	};

	return send_one(ipc, &m);
}
