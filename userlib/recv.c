// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * recv.c - reading receive records into the handle's buffer and handing
 * them out one at a time
 *
 * One read takes as many records as fit, which is what makes receiving
 * cheap; the records are then taken from the buffer without system calls.
 * A read with a timeout never sleeps (RWF_NOWAIT, see ipch_io): waiting
 * is poll()'s job, so that the timeout can end it. Without a timeout, on
 * a blocking file, one read() both waits and reads.
 * The buffer is only refilled when it is empty, so a record handed out
 * stays where it is until the next receive call.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

/* A read that fails with EMSGSIZE this often in a row is not a race. */
#define GROW_TRIES	4

/*
 * ipch_wait - poll the device file
 * @events: POLLIN or POLLOUT
 * @timeout_ms: as poll()
 *
 * Return: 0 when the file is ready (or in error: the next read or write
 * tells which), -EAGAIN on timeout, -EINTR, -EBADF.
 */
int ipch_wait(struct ipch *ipc, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = ipc->fd, .events = events };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -EAGAIN;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return 0;
}

/* Make the (empty) buffer at least @need bytes, doubling from the last. */
static int grow(struct ipch *ipc, size_t need)
{
	size_t size = ipc->size ? ipc->size : IPCH_RECV_BUF_MIN;
	unsigned char *buf;

	if (need > IPCH_RECV_BUF_MAX)
		return -EMSGSIZE;
	while (size < need)
		size *= 2;
	if (size > IPCH_RECV_BUF_MAX)
		size = IPCH_RECV_BUF_MAX;

	/* Nothing in the buffer is kept, so there is nothing to copy. */
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	free(ipc->buf);
	ipc->buf = buf;
	ipc->size = size;
	return 0;
}

/*
 * ipch_buf_refill - read a batch of records into the empty buffer
 *
 * A first record larger than the buffer fails the read with EMSGSIZE and
 * stays queued; its size comes from IPCHANNEL_IOC_INFO. If that size
 * already fits, the queue changed under us (another reader of the same
 * file), and the read is simply tried again.
 *
 * With @wait, the read sleeps until a record is queued if the file is
 * blocking and the handle can (ipch_io.read_wait).
 *
 * Return: 0, -EAGAIN when nothing is queued, or a negative errno.
 */
int ipch_buf_refill(struct ipch *ipc, bool wait)
{
	ssize_t (*read)(int fd, void *buf, size_t size) = ipc->io->read;
	struct ipchannel_info info;
	int tries, err;

	ipc->pos = 0;
	ipc->fill = 0;
	if (!ipc->buf) {
		err = grow(ipc, IPCH_RECV_BUF_MIN);
		if (err)
			return err;
	}
	if (wait && ipc->io->read_wait)
		read = ipc->io->read_wait;

	for (tries = 0; tries < GROW_TRIES; tries++) {
		ssize_t ret = read(ipc->fd, ipc->buf, ipc->size);

		if (ret > 0) {
			ipc->fill = (size_t)ret;
			return 0;
		}
		if (ret == 0)
			return -EPROTO;
		if (ret != -EMSGSIZE)
			return (int)ret;

		err = ipc->io->info(ipc->fd, &info);
		if (err)
			return err;
		if (info.next_size > ipc->size) {
			err = grow(ipc, info.next_size);
			if (err)
				return err;
		}
	}
	return -EPROTO;
}

/*
 * ipch_buf_take - hand out the next record of the buffer
 *
 * A malformed record loses the rest of its read: the records behind it
 * cannot be found without trusting its size.
 *
 * Return: 1 with @msg filled in, 0 when the buffer is empty, -EPROTO.
 */
int ipch_buf_take(struct ipch *ipc, struct ipch_msg *msg)
{
	int ret;

	if (ipc->pos == ipc->fill)
		return 0;
	ret = ipch_record_next(ipc->buf, &ipc->pos, ipc->fill, msg);
	if (ret < 0)
		ipc->pos = ipc->fill;
	return ret;
}

/* ipch_now_ms - CLOCK_MONOTONIC in milliseconds */
int64_t ipch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ipch_time_left - ms from now to @end (-1: no limit), as poll() takes */
int ipch_time_left(int64_t end)
{
	int64_t left;

	if (end < 0)
		return -1;
	left = end - ipch_now_ms();
	return left > 0 ? (int)left : 0;
}

IPCH_EXPORT int ipch_recv(struct ipch *ipc, struct ipch_msg *msg,
			  int timeout_ms)
{
	int64_t end = timeout_ms < 0 ? -1 : ipch_now_ms() + timeout_ms;
	struct ipch_request req;

	if (!ipc || !msg)
		return -EINVAL;
	if (ipc->dispatching)
		return -EBUSY;

	for (;;) {
		int ret = ipch_buf_take(ipc, msg);

		if (ret > 0 &&
		    ipch_lock_grant(ipc, msg, &req) == IPCH_GRANT_STALE)
			continue;
		/* The kernel ended the subscription; ipch_on() may renew it. */
		if (ret > 0 && ipch_msg_lost(msg))
			ipc->membership = false;
		if (ret)
			return ret < 0 ? ret : 0;
		ret = ipch_buf_refill(ipc, end < 0);
		if (ret == -EAGAIN)
			ret = ipch_wait(ipc, POLLIN, ipch_time_left(end));
		if (ret)
			return ret;
	}
}
