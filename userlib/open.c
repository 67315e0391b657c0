// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * open.c - opening, joining, closing and querying a handle
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/*
 * A read that never sleeps, on a file that may be blocking. Kernels and
 * files without RWF_NOWAIT refuse the flag (EOPNOTSUPP; ENOSYS before
 * preadv2); then poll() tells first whether anything is queued. That
 * fallback could sleep only if another reader of the file took the
 * records in between, which the one-receiver rule excludes.
 */
static ssize_t sys_read(int fd, void *buf, size_t size)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t ret;

	ret = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	if (ret >= 0)
		return ret;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;

	ret = poll(&pfd, 1, 0);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -EAGAIN;
	ret = read(fd, buf, size);
	return ret < 0 ? -errno : ret;
}

static ssize_t sys_read_wait(int fd, void *buf, size_t size)
{
	ssize_t ret = read(fd, buf, size);

	return ret < 0 ? -errno : ret;
}

static ssize_t sys_writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t ret = writev(fd, iov, iovcnt);

	return ret < 0 ? -errno : ret;
}

static int sys_info(int fd, struct ipchannel_info *info)
{
	return ioctl(fd, IPCHANNEL_IOC_INFO, info) < 0 ? -errno : 0;
}

static ssize_t sys_pending(int fd)
{
	int bytes;

	return ioctl(fd, FIONREAD, &bytes) < 0 ? -errno : bytes;
}

static int sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

const struct ipch_io ipch_sys_io = {
	.read = sys_read,
	.read_wait = sys_read_wait,
	.writev = sys_writev,
	.info = sys_info,
	.pending = sys_pending,
	.ioctl = sys_ioctl,
};

/*
 * ipch_name_default - make a valid channel name from a program name
 * @dst: IPCHANNEL_NAME_LEN bytes
 * @prog: the program name, may be NULL or empty
 *
 * Bytes the kernel refuses become '_' rather than failing the open: the
 * caller asked for "my program's channel", and every copy of the program
 * makes the same replacement.
 */
void ipch_name_default(char *dst, const char *prog)
{
	size_t i;

	if (!prog || !*prog)
		prog = "ipchannel";
	for (i = 0; i < IPCHANNEL_NAME_MAX && prog[i]; i++) {
		if (prog[i] < 0x21 || prog[i] > 0x7e || prog[i] == '/')
			dst[i] = '_';
		else
			dst[i] = prog[i];
	}
	dst[i] = '\0';
}

static int check_options(const struct ipch_options *opts)
{
	const uint32_t known = IPCH_OPEN_NOCREATE | IPCH_OPEN_EXCL |
			       IPCH_OPEN_NONBLOCK | IPCH_OPEN_SHARED;
	unsigned int i;

	if (opts->flags & ~known)
		return -EINVAL;
	if ((opts->flags & IPCH_OPEN_NOCREATE) &&
	    (opts->flags & IPCH_OPEN_EXCL))
		return -EINVAL;
	if (opts->mode & ~0777U)
		return -EINVAL;
	for (i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	return 0;
}

static int join(int fd, const char *name, const struct ipch_options *opts,
		uint32_t *peer_id)
{
	struct ipchannel_join join;

	memset(&join, 0, sizeof(join));
	strcpy(join.name, name);
	if (!(opts->flags & IPCH_OPEN_NOCREATE))
		join.flags |= IPCHANNEL_JOIN_CREATE;
	if (opts->flags & IPCH_OPEN_EXCL)
		join.flags |= IPCHANNEL_JOIN_EXCL;
	if (opts->flags & IPCH_OPEN_SHARED)
		join.flags |= IPCHANNEL_JOIN_SHARED;
	join.mode = opts->mode;

	/* The join returns the peer id, so only a negative result fails. */
	if (ioctl(fd, IPCHANNEL_IOC_JOIN, &join) < 0)
		return -errno;
	*peer_id = join.peer_id;
	return 0;
}

/* ipch_attach - make a handle on a joined file; for ipch_open and tests */
int ipch_attach(struct ipch **out, int fd, uint32_t peer_id, uint32_t flags,
		const struct ipch_io *io)
{
	struct ipch *ipc = calloc(1, sizeof(*ipc));

	if (!ipc)
		return -ENOMEM;
	ipc->fd = fd;
	ipc->peer_id = peer_id;
	ipc->flags = flags;
	ipc->io = io;
	pthread_mutex_init(&ipc->requests_mutex, NULL);
	*out = ipc;
	return 0;
}

IPCH_EXPORT int ipch_open(struct ipch **out, const char *channel,
			  const struct ipch_options *opts)
{
	static const struct ipch_options defaults;
	char name[IPCHANNEL_NAME_LEN];
	uint32_t peer_id = 0;
	int fd, oflags, err;

	if (!out)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	err = check_options(opts);
	if (err)
		return err;
	if (channel) {
		err = ipch_name_check(channel, true);
		if (err)
			return err;
		strcpy(name, channel);
	} else {
		ipch_name_default(name, program_invocation_short_name);
	}

	/*
	 * Blocking unless asked otherwise: sends then sleep in the kernel
	 * until their receivers have room, and reads that must not sleep
	 * say so each with RWF_NOWAIT.
	 */
	oflags = O_RDWR | O_CLOEXEC;
	if (opts->flags & IPCH_OPEN_NONBLOCK)
		oflags |= O_NONBLOCK;
	fd = open(opts->device ? opts->device : IPCH_DEVICE, oflags);
	if (fd < 0)
		return -errno;
	err = join(fd, name, opts, &peer_id);
	if (err)
		goto err_close;
	err = ipch_attach(out, fd, peer_id, opts->flags, &ipch_sys_io);
	if (err)
		goto err_close;
	return 0;

err_close:
	close(fd);
	return err;
}

IPCH_EXPORT void ipch_close(struct ipch *ipc)
{
	if (!ipc)
		return;
	close(ipc->fd);
	pthread_mutex_destroy(&ipc->requests_mutex);
	free(ipc->requests);
	free(ipc->handlers);
	free(ipc->buf);
	free(ipc);
}

IPCH_EXPORT int ipch_peer_id(const struct ipch *ipc)
{
	return (int)ipc->peer_id;
}

IPCH_EXPORT int ipch_fd(const struct ipch *ipc)
{
	return ipc->fd;
}

IPCH_EXPORT int ipch_info(struct ipch *ipc, struct ipchannel_info *info)
{
	if (!ipc || !info)
		return -EINVAL;
	return ipc->io->info(ipc->fd, info);
}
