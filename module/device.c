// SPDX-License-Identifier: GPL-2.0
/* device.c - /dev/ipchannel: file operations, ioctls and module setup */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <kunit/visibility.h>
#include <asm/ioctls.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <net/net_namespace.h>

#include "channel.h"
#include "ipch.h"
#include "lock.h"
#include "member.h"
#include "msg.h"
#include "netlink.h"
#include "quota.h"

struct ipch_counters ipch_count;
EXPORT_SYMBOL_IF_KUNIT(ipch_count);

unsigned int ipch_max_msg_size = 65536;
unsigned int ipch_max_queue_records = 1024;
EXPORT_SYMBOL_IF_KUNIT(ipch_max_queue_records);
unsigned int ipch_max_queue_bytes = 1 << 20;
unsigned int ipch_max_locks = 1024;
unsigned int ipch_max_lock_requests = 256;
unsigned int ipch_max_peers_per_uid = 4096;
unsigned int ipch_uid_queue_percent = 50;
EXPORT_SYMBOL_IF_KUNIT(ipch_uid_queue_percent);

static int set_max_msg_size(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, IPCH_MSG_SIZE_LIMIT);
}

static int set_max_queue_records(const char *val,
				 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1 << 20);
}

static int set_max_queue_bytes(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 64, 1 << 30);
}

static int set_lock_limit(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1 << 16);
}

static int set_max_peers_per_uid(const char *val,
				 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1 << 20);
}

static int set_percent(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 100);
}

static const struct kernel_param_ops max_msg_size_ops = {
	.set = set_max_msg_size,
	.get = param_get_uint,
};

static const struct kernel_param_ops max_queue_records_ops = {
	.set = set_max_queue_records,
	.get = param_get_uint,
};

static const struct kernel_param_ops max_queue_bytes_ops = {
	.set = set_max_queue_bytes,
	.get = param_get_uint,
};

static const struct kernel_param_ops lock_limit_ops = {
	.set = set_lock_limit,
	.get = param_get_uint,
};

static const struct kernel_param_ops max_peers_per_uid_ops = {
	.set = set_max_peers_per_uid,
	.get = param_get_uint,
};

static const struct kernel_param_ops percent_ops = {
	.set = set_percent,
	.get = param_get_uint,
};

module_param_cb(max_msg_size, &max_msg_size_ops, &ipch_max_msg_size, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest message payload in bytes (65536)");
module_param_cb(max_queue_records, &max_queue_records_ops,
		&ipch_max_queue_records, 0644);
MODULE_PARM_DESC(max_queue_records, "Records queued to one peer (1024)");
module_param_cb(max_queue_bytes, &max_queue_bytes_ops,
		&ipch_max_queue_bytes, 0644);
MODULE_PARM_DESC(max_queue_bytes,
		 "Bytes of records queued to one peer (1048576)");
module_param_cb(max_locks, &lock_limit_ops, &ipch_max_locks, 0644);
MODULE_PARM_DESC(max_locks, "Locks held at once in one channel (1024)");
module_param_cb(max_lock_requests, &lock_limit_ops,
		&ipch_max_lock_requests, 0644);
MODULE_PARM_DESC(max_lock_requests,
		 "Lock requests, held or queued, of one peer (256)");
module_param_cb(max_peers_per_uid, &max_peers_per_uid_ops,
		&ipch_max_peers_per_uid, 0644);
MODULE_PARM_DESC(max_peers_per_uid,
		 "Peers of one user, all channels and namespaces (4096)");
module_param_cb(uid_queue_percent, &percent_ops, &ipch_uid_queue_percent,
		0644);
MODULE_PARM_DESC(uid_queue_percent,
		 "Percent of a peer's queue one other user may fill (50)");

static int ipch_open(struct inode *inode, struct file *file)
{
	struct ipch_peer *peer;

	peer = ipch_peer_alloc();
	if (!peer)
		return -ENOMEM;

	file->private_data = peer;
	/* RWF_NOWAIT makes one call non-blocking: see file_nonblock(). */
	file->f_mode |= FMODE_NOWAIT;
	return stream_open(inode, file);
}

static int ipch_release(struct inode *inode, struct file *file)
{
	ipch_peer_free(file->private_data);
	return 0;
}

static bool file_nonblock(struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

/* Checks a send record header; the errno names what is wrong. */
static int send_check(const struct ipchannel_send *hdr)
{
	if (hdr->flags & ~IPCHANNEL_SEND_NOSELF || hdr->reserved)
		return -EINVAL;
	if (hdr->target == IPCHANNEL_PEER_KERNEL)
		return -EINVAL;
	if ((hdr->flags & IPCHANNEL_SEND_NOSELF) &&
	    hdr->target != IPCHANNEL_PEER_ALL)
		return -EINVAL;
	if (hdr->event_len > IPCHANNEL_NAME_MAX)
		return -ENAMETOOLONG;
	if (hdr->len > READ_ONCE(ipch_max_msg_size))
		return -EMSGSIZE;
	return 0;
}

static bool event_valid(const char *name, u16 len)
{
	u16 i;

	for (i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
	return true;
}

/*
 * Copies in and checks the send record at the head of @from, into @out;
 * *used is the bytes of the write it takes, padding included.
 */
static int send_prepare(struct ipch_peer *peer, struct iov_iter *from,
			struct ipch_send *out, size_t *used)
{
	size_t avail = iov_iter_count(from);
	struct ipchannel_send hdr;
	struct ipch_msg *msg;
	size_t body, pad;
	u16 spare = 0;
	int ret;

	if (avail < sizeof(hdr))
		return -EINVAL;
	if (copy_from_iter(&hdr, sizeof(hdr), from) != sizeof(hdr))
		return -EFAULT;
	ret = send_check(&hdr);
	if (ret)
		return ret;
	body = hdr.event_len + (size_t)hdr.len;
	if (avail - sizeof(hdr) < body)
		return -EINVAL;

	/* A broadcast brings a record for every other peer there is now. */
	if (hdr.target == IPCHANNEL_PEER_ALL)
		spare = min_t(u32, READ_ONCE(peer->channel->nr_peers),
			      IPCH_MSG_SPARE_MAX + 1) - 1;
	msg = ipch_msg_alloc(hdr.event_len, hdr.len, spare);
	if (!msg)
		return -ENOMEM;
	msg->pid = get_pid(task_tgid(current));
	msg->uid = current_euid();
	if (copy_from_iter(ipch_msg_data(msg), body, from) != body) {
		ipch_msg_put(msg);
		return -EFAULT;
	}
	if (!event_valid(ipch_msg_data(msg), hdr.event_len)) {
		ipch_msg_put(msg);
		return -EINVAL;
	}

	pad = IPCHANNEL_ALIGN(sizeof(hdr) + body) - sizeof(hdr) - body;
	pad = min(pad, iov_iter_count(from));
	iov_iter_advance(from, pad);
	out->msg = msg;
	out->target = hdr.target;
	out->flags = hdr.flags;
	*used = sizeof(hdr) + body + pad;
	return 0;
}

/*
 * Records are copied in up to SEND_BATCH at a time, then queued under one
 * hold of the channel lock, in order. The first that fails ends the write:
 * it returns the bytes of the records queued before, or the error.
 */
#define SEND_BATCH	16

static ssize_t ipch_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct ipch_peer *peer = iocb->ki_filp->private_data;
	bool nonblock = file_nonblock(iocb);
	struct ipch_send batch[SEND_BATCH];
	size_t used[SEND_BATCH];
	ssize_t done = 0;
	u32 n, sent, i;
	int ret = 0;

	if (!ipch_peer_channel(peer))
		return -ENOTCONN;

	while (!ret && iov_iter_count(from)) {
		for (n = 0; n < SEND_BATCH && iov_iter_count(from); n++) {
			ret = send_prepare(peer, from, &batch[n], &used[n]);
			if (ret)
				break;
		}

		/*
		 * A record that failed to queue came before one that failed
		 * to copy in, so its error is the one to return.
		 */
		sent = 0;
		if (n) {
			int err = ipch_channel_send_batch(peer, batch, n,
							  nonblock, &sent);

			ret = err ?: ret;
		}
		for (i = 0; i < n; i++) {
			if (i < sent)
				done += used[i];
			ipch_msg_put(batch[i].msg);
		}
	}
	return done ? done : ret;
}

static void record_header(const struct ipch_msg *msg,
			  struct ipchannel_recv *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->seq = msg->seq;
	hdr->size = ipch_msg_size(msg->event_len, msg->len);
	hdr->sender = msg->sender;
	hdr->flags = msg->flags;
	if (msg->pid)
		hdr->pid = pid_nr_ns(msg->pid, task_active_pid_ns(current));
	hdr->uid = from_kuid_munged(current_user_ns(), msg->uid);
	hdr->len = msg->len;
	hdr->event_len = msg->event_len;
	hdr->type = msg->type;
}

/* Copies the receive record of @msg to @to; false if user memory faulted. */
static bool copy_record(struct ipch_msg *msg, struct iov_iter *to)
{
	size_t body = msg->event_len + (size_t)msg->len;
	struct ipchannel_recv hdr;
	size_t pad;

	record_header(msg, &hdr);
	pad = hdr.size - sizeof(hdr) - body;

	if (copy_to_iter(&hdr, sizeof(hdr), to) != sizeof(hdr))
		return false;
	if (copy_to_iter(ipch_msg_data(msg), body, to) != body)
		return false;
	return iov_iter_zero(pad, to) == pad;
}

/* Waits until a record is queued, then returns holding peer->mutex. */
static int wait_readable(struct ipch_peer *peer, bool nonblock)
{
	int ret;

	for (;;) {
		if (nonblock && !ipch_peer_readable(peer))
			return -EAGAIN;
		ret = wait_event_interruptible(peer->wq,
					       ipch_peer_readable(peer));
		if (ret)
			return ret;

		if (mutex_lock_interruptible(&peer->mutex))
			return -ERESTARTSYS;
		if (ipch_peer_readable(peer))
			return 0;
		/* Another thread read it first. */
		mutex_unlock(&peer->mutex);
	}
}

static ssize_t ipch_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct ipch_peer *peer = iocb->ki_filp->private_data;
	struct ipch_record *rec;
	ssize_t done = 0;
	u32 n, i;
	int ret;

	if (!ipch_peer_channel(peer))
		return -ENOTCONN;
	if (!iov_iter_count(to))
		return 0;

	ret = wait_readable(peer, file_nonblock(iocb));
	if (ret)
		return ret;

	/* The records stay queued until they are wholly in user memory. */
	n = ipch_peer_peek(peer, iov_iter_count(to), &rec);
	ret = -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (i)
			rec = rec->next;
		if (!copy_record(rec->msg, to)) {
			ret = -EFAULT;
			break;
		}
		done += ipch_msg_size(rec->msg->event_len, rec->msg->len);
	}
	if (i)
		ipch_peer_pop(peer, i);
	mutex_unlock(&peer->mutex);

	return done ? done : ret;
}

static __poll_t ipch_poll(struct file *file, poll_table *wait)
{
	struct ipch_peer *peer = file->private_data;
	struct ipch_channel *ch = ipch_peer_channel(peer);
	__poll_t mask = 0, want;

	if (!ch)
		return EPOLLERR;

	/* Only a caller that asks for EPOLLOUT pays for finding it out. */
	want = poll_requested_events(wait);
	poll_wait(file, &peer->wq, wait);
	if (want & (EPOLLOUT | EPOLLWRNORM))
		poll_wait(file, &ch->space_wq, wait);

	if (ipch_peer_readable(peer))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((want & (EPOLLOUT | EPOLLWRNORM)) && ipch_channel_writable(ch))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* Joins a channel; returns the peer id, which is also written back. */
static long ioctl_join(struct ipch_peer *peer,
		       struct ipchannel_join __user *argp)
{
	const u32 known = IPCHANNEL_JOIN_CREATE | IPCHANNEL_JOIN_EXCL |
			  IPCHANNEL_JOIN_SHARED;
	struct ipchannel_join args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;

	if (args.flags & ~known || args.reserved || args.mode & ~0777)
		return -EINVAL;
	if ((args.flags & IPCHANNEL_JOIN_EXCL) &&
	    !(args.flags & IPCHANNEL_JOIN_CREATE))
		return -EINVAL;
	if (!ipch_name_valid(args.name, IPCHANNEL_NAME_MAX))
		return -EINVAL;
	if (!args.mode)
		args.mode = IPCHANNEL_MODE_DEFAULT;
	/* Refuse a read-only argument before joining, not after. */
	if (put_user(args.peer_id, &argp->peer_id))
		return -EFAULT;

	ret = ipch_channel_join(peer, current->nsproxy->net_ns, args.name,
				args.flags, args.mode);
	if (ret)
		return ret;

	if (put_user(peer->id, &argp->peer_id))
		return -EFAULT;
	return peer->id;
}

static long ioctl_info(struct ipch_peer *peer, void __user *argp)
{
	struct ipchannel_info info;

	if (!ipch_peer_channel(peer))
		return -ENOTCONN;

	ipch_peer_info(peer, &info);
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long ioctl_stats(void __user *argp)
{
	struct ipchannel_stats st = {
		.channels = atomic64_read(&ipch_count.channels),
		.peers = atomic64_read(&ipch_count.peers),
		.messages = atomic64_read(&ipch_count.messages),
		.records = atomic64_read(&ipch_count.records),
		.locks = atomic64_read(&ipch_count.locks),
		.lock_waiters = atomic64_read(&ipch_count.lock_waiters),
	};

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long ioctl_subscribe(struct ipch_peer *peer, u32 __user *argp)
{
	u32 flags;

	if (!ipch_peer_channel(peer))
		return -ENOTCONN;
	if (get_user(flags, argp))
		return -EFAULT;
	if (flags & ~IPCHANNEL_SUB_MEMBERSHIP)
		return -EINVAL;
	return ipch_peer_subscribe(peer, flags);
}

static int lock_copy_in(struct ipch_peer *peer, void __user *argp,
			struct ipchannel_lock *args)
{
	if (!ipch_peer_channel(peer))
		return -ENOTCONN;
	if (copy_from_user(args, argp, sizeof(*args)))
		return -EFAULT;
	if (args->reserved || !ipch_lock_name_valid(args->name))
		return -EINVAL;
	return 0;
}

static long ioctl_lock(struct ipch_peer *peer, void __user *argp)
{
	const u32 known = IPCHANNEL_LOCK_TRY | IPCHANNEL_LOCK_ASYNC;
	struct ipchannel_lock args;
	struct ipch_lock_args la;
	int ret;

	ret = lock_copy_in(peer, argp, &args);
	if (ret)
		return ret;
	if (args.flags & ~known || args.flags == known)
		return -EINVAL;
	if ((args.flags & IPCHANNEL_LOCK_ASYNC) && args.deadline_ns)
		return -EINVAL;

	la.name = args.name;
	la.cookie = args.cookie;
	la.deadline_ns = args.deadline_ns;
	la.flags = args.flags;
	return ipch_lock_acquire(peer, &la);
}

static long ioctl_unlock(struct ipch_peer *peer, void __user *argp)
{
	struct ipchannel_lock args;
	int ret;

	ret = lock_copy_in(peer, argp, &args);
	if (ret)
		return ret;
	if (args.flags || args.deadline_ns)
		return -EINVAL;
	return ipch_lock_release(peer, args.name, args.cookie);
}

static long ioctl_lock_info(struct ipch_peer *peer,
			    struct ipchannel_lock_info __user *argp)
{
	struct ipchannel_lock_info info;

	if (!ipch_peer_channel(peer))
		return -ENOTCONN;
	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (!ipch_lock_name_valid(info.name))
		return -EINVAL;

	ipch_lock_info(peer, &info);
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

/* FIONREAD: bytes of all queued records, like inotify. */
static long ioctl_nread(struct ipch_peer *peer, int __user *argp)
{
	int bytes = 0;

	if (ipch_peer_channel(peer))
		bytes = READ_ONCE(peer->queue.bytes);
	return put_user(bytes, argp);
}

static long ipch_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ipch_peer *peer = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case IPCHANNEL_IOC_JOIN:
		return ioctl_join(peer, argp);
	case IPCHANNEL_IOC_INFO:
		return ioctl_info(peer, argp);
	case IPCHANNEL_IOC_STATS:
		return ioctl_stats(argp);
	case IPCHANNEL_IOC_SUBSCRIBE:
		return ioctl_subscribe(peer, argp);
	case IPCHANNEL_IOC_LOCK:
		return ioctl_lock(peer, argp);
	case IPCHANNEL_IOC_UNLOCK:
		return ioctl_unlock(peer, argp);
	case IPCHANNEL_IOC_LOCK_INFO:
		return ioctl_lock_info(peer, argp);
	case FIONREAD:
		return ioctl_nread(peer, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ipch_fops = {
	.owner = THIS_MODULE,
	.open = ipch_open,
	.release = ipch_release,
	.read_iter = ipch_read_iter,
	.write_iter = ipch_write_iter,
	.poll = ipch_poll,
	.unlocked_ioctl = ipch_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ipch_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ipchannel",
	.fops = &ipch_fops,
	.mode = 0666,
};

static int __init ipch_init(void)
{
	int ret;

	ret = ipch_msg_cache_create();
	if (ret)
		return ret;
	ret = ipch_net_register();
	if (ret)
		goto err_net;
	ret = misc_register(&ipch_misc);
	if (ret)
		goto err_misc;
	/* Last: a tool that finds the family finds everything working. */
	ret = ipch_nl_register();
	if (ret)
		goto err_nl;
	return 0;

err_nl:
	misc_deregister(&ipch_misc);
err_misc:
	ipch_net_unregister();
err_net:
	ipch_msg_cache_destroy();
	return ret;
}

static void __exit ipch_exit(void)
{
	ipch_nl_unregister();
	misc_deregister(&ipch_misc);
	ipch_net_unregister();
	ipch_users_destroy();
	ipch_msg_cache_destroy();
}

module_init(ipch_init);
module_exit(ipch_exit);

MODULE_DESCRIPTION("Kernel-assisted message bus and fair locks for processes");
MODULE_LICENSE("GPL");
MODULE_VERSION(IPCHANNEL_VERSION);
