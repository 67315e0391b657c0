/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ipchannel.h - libipchannel: messages and events between the processes
 * of one application, through /dev/ipchannel
 *
 * A process opens a handle on a channel (a name shared by the processes)
 * and becomes a peer with a small id (1, 2, 3, ...). It sends plain
 * messages or named events to one peer or to all, and registers a handler
 * per event name. The Node.js ipchannel idiom
 *
 *	ipc.on("message", fn);
 *	ipc.to(2).send(data);
 *	ipc.to("all").emit("custom-event", data);
 *
 * reads in C:
 *
 *	static void on_message(struct ipch *ipc, const struct ipch_msg *msg,
 *			       void *arg)
 *	{
 *		printf("peer %u says %.*s\n", msg->sender,
 *		       (int)msg->len, (const char *)msg->data);
 *	}
 *
 *	struct ipch *ipc;
 *
 *	if (ipch_open(&ipc, "my-app", NULL))
 *		return 1;
 *	ipch_on(ipc, "message", on_message, NULL);
 *	ipch_send(ipc, 2, "hello", 5);
 *	ipch_emit(ipc, IPCHANNEL_PEER_ALL, "custom-event", "hi", 2);
 *	for (;;)
 *		ipch_run(ipc, -1);
 *
 * Errors: every function that can fail returns a negative errno value
 * (-EINVAL, -ENOENT, ...); errno itself is not a reliable result.
 *
 * Blocking: the library keeps the device file non-blocking. Sends wait
 * (in poll()) until every receiver has room, unless the handle was opened
 * with IPCH_OPEN_NONBLOCK; receives wait as long as their timeout says;
 * ipch_dispatch() never waits.
 *
 * Threads: one thread at a time may receive on a handle (ipch_recv,
 * ipch_dispatch, ipch_run) and change its handlers (ipch_on, ipch_off).
 * Sends, ipch_info(), ipch_peer_id() and ipch_fd() may be called from any
 * number of threads at once, also while another thread receives. Each
 * message is sent whole, but the messages of one ipch_sendv() may be
 * interleaved with those of another thread's send. ipch_close() must be
 * the last call on a handle.
 *
 * Processes: after fork() parent and child share the peer of a handle;
 * only one of them should use it. A child that wants to be its own peer
 * calls ipch_close() on the inherited handle and opens a new one. The
 * device file is opened close-on-exec.
 */
#ifndef IPCHANNEL_LIB_H
#define IPCHANNEL_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ipchannel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A joined peer of one channel. */
struct ipch;

/* struct ipch_options.flags */
#define IPCH_OPEN_NOCREATE	(1U << 0)	/* -ENOENT if missing */
#define IPCH_OPEN_EXCL		(1U << 1)	/* new, else -EEXIST */
#define IPCH_OPEN_NONBLOCK	(1U << 2)	/* sends give -EAGAIN */

/*
 * Options of ipch_open(). Zero-initialise it ({ 0 } or designated
 * initialisers): zero is the default of every field, and the reserved
 * fields must be zero.
 */
struct ipch_options {
	uint32_t flags;		/* IPCH_OPEN_* */
	uint32_t mode;		/* permission bits if created; 0: 0600 */
	const char *device;	/* NULL: "/dev/ipchannel" */
	uint32_t reserved[4];	/* must be 0 */
};

/*
 * One received record. The event name is copied and NUL-terminated; data
 * points into the handle's receive buffer and stays valid until the next
 * receive call on the handle (or, in a handler, until it returns). The
 * payload is not NUL-terminated.
 */
struct ipch_msg {
	uint64_t seq;		/* channel-wide sequence number */
	uint32_t sender;	/* peer id; 0: the kernel */
	uint32_t flags;		/* IPCHANNEL_RECV_* */
	uint32_t pid;		/* 0 if not in our pid namespace */
	uint32_t uid;		/* sender's effective uid */
	uint32_t type;		/* IPCHANNEL_SYS_* of system records */
	char event[IPCHANNEL_NAME_LEN];	/* "": plain message */
	const void *data;	/* payload */
	size_t len;		/* payload bytes */
};

/* Flag of ipch_broadcast() and struct ipch_out: do not send to myself. */
#define IPCH_NOSELF		(1U << 0)

/* One message of ipch_sendv(). */
struct ipch_out {
	uint32_t to;		/* peer id or IPCHANNEL_PEER_ALL */
	uint32_t flags;		/* IPCH_NOSELF, only to all */
	const char *event;	/* event name; NULL for a plain message */
	const void *data;	/* payload, may be NULL if len is 0 */
	size_t len;		/* payload bytes */
};

/*
 * ipch_handler_fn - called by ipch_dispatch() and ipch_run() for a record
 * @ipc: the handle; the handler may send, and may call ipch_on() and
 *	 ipch_off(), but not receive on it or close it
 * @msg: the record, valid until the handler returns
 * @arg: the pointer given to ipch_on()
 */
typedef void (*ipch_handler_fn)(struct ipch *ipc, const struct ipch_msg *msg,
				void *arg);

/*
 * ipch_open - open /dev/ipchannel and join a channel
 * @out: receives the handle on success
 * @channel: 1..63 printable ASCII bytes (0x21..0x7e) without '/'; NULL
 *	     means the program's name (program_invocation_short_name), cut
 *	     to 63 bytes with every other byte replaced by '_'
 * @opts: NULL for the defaults: create the channel with mode 0600 if it
 *	  does not exist, blocking sends, /dev/ipchannel
 *
 * Return: 0, or -EINVAL (NULL @out, bad @channel, unknown flag, NOCREATE
 * with EXCL, mode above 0777, non-zero reserved field), -ENAMETOOLONG
 * (@channel above 63 bytes), -ENOMEM, an error of open() (-ENOENT: the
 * module is not loaded, ...) or of the join (-ENOENT: no such channel and
 * IPCH_OPEN_NOCREATE; -EEXIST: IPCH_OPEN_EXCL and the channel exists;
 * -EACCES; -EUSERS: the channel is full).
 */
int ipch_open(struct ipch **out, const char *channel,
	      const struct ipch_options *opts);

/*
 * ipch_close - leave the channel and free the handle
 * @ipc: the handle, or NULL (nothing happens)
 *
 * Records still queued to this peer are dropped by the kernel.
 */
void ipch_close(struct ipch *ipc);

/* ipch_peer_id - this peer's id in its channel (1..IPCHANNEL_PEER_MAX). */
int ipch_peer_id(const struct ipch *ipc);

/*
 * ipch_fd - the device file, for the caller's poll() or epoll loop
 *
 * It is readable when a record is queued: then call ipch_dispatch() (which
 * handles everything, so level- and edge-triggered epoll both work) or
 * ipch_recv() with timeout 0 until it returns -EAGAIN. Do not read(),
 * write() or close() it directly, nor change its file flags.
 */
int ipch_fd(const struct ipch *ipc);

/*
 * ipch_info - the state of this peer and its channel (IPCHANNEL_IOC_INFO)
 * @ipc: the handle
 * @info: filled in on success
 *
 * Return: 0, or -EINVAL (a NULL argument), or an error of the ioctl.
 */
int ipch_info(struct ipch *ipc, struct ipchannel_info *info);

/*
 * ipch_send - send a plain message to one peer or to all
 * @ipc: the handle
 * @to: a peer id, or IPCHANNEL_PEER_ALL (which includes the sender)
 * @buf: the payload, may be NULL if @len is 0
 * @len: payload bytes
 *
 * Waits until every receiver has room, unless IPCH_OPEN_NONBLOCK.
 *
 * Return: 0, or -EINVAL (@to is 0, NULL @buf with @len), -EMSGSIZE (@len
 * above the module's max_msg_size), -ENXIO (no such peer), -EAGAIN (a
 * receiver's queue is full and IPCH_OPEN_NONBLOCK), -EINTR (a signal
 * arrived while waiting; nothing was sent), -ENOMEM.
 */
int ipch_send(struct ipch *ipc, uint32_t to, const void *buf, size_t len);

/*
 * ipch_emit - send a named event to one peer or to all
 * @ipc: the handle
 * @to: a peer id, or IPCHANNEL_PEER_ALL (which includes the sender)
 * @event: 1..63 printable ASCII bytes (0x21..0x7e)
 * @buf: the payload, may be NULL if @len is 0
 * @len: payload bytes
 *
 * Return: as ipch_send(), and -EINVAL (NULL, empty or non-printable
 * @event), -ENAMETOOLONG (@event above 63 bytes).
 */
int ipch_emit(struct ipch *ipc, uint32_t to, const char *event,
	      const void *buf, size_t len);

/*
 * ipch_broadcast - send a message or event to every peer of the channel
 * @ipc: the handle
 * @event: event name as for ipch_emit(), or NULL for a plain message
 * @buf: the payload, may be NULL if @len is 0
 * @len: payload bytes
 * @flags: 0 or IPCH_NOSELF (the sender does not get its own copy)
 *
 * The message reaches every current peer or none.
 *
 * Return: as ipch_emit(), and -EINVAL for an unknown flag.
 */
int ipch_broadcast(struct ipch *ipc, const char *event, const void *buf,
		   size_t len, unsigned int flags);

/*
 * ipch_sendv - send several messages with one system call
 * @ipc: the handle
 * @msgs: the messages, sent in this order
 * @n: how many
 *
 * Every message is checked before anything is sent, so an invalid
 * argument sends nothing. If the kernel refuses a message after some were
 * sent, the count of those is returned; send the rest again to see the
 * error. Waits for room as ipch_send() does.
 *
 * Return: the number of messages sent (@n unless an error stopped the
 * batch), or a negative errno as ipch_emit() if none was sent.
 */
int ipch_sendv(struct ipch *ipc, const struct ipch_out *msgs, unsigned int n);

/*
 * ipch_recv - take one record
 * @ipc: the handle
 * @msg: filled in on success
 * @timeout_ms: -1 waits without limit, 0 does not wait, else milliseconds
 *
 * Handlers are not called. Records are read from the device in batches;
 * those not yet handed out stay in the handle, so a caller polling the fd
 * must call ipch_recv() until -EAGAIN before polling again.
 *
 * Return: 0, or -EAGAIN (nothing arrived within @timeout_ms), -EINTR (a
 * signal arrived while waiting), -EBUSY (called from a handler), -ENOMEM,
 * -EMSGSIZE (a record larger than the library accepts, 16 MiB), -EPROTO
 * (the device returned a malformed record), -EINVAL (NULL argument).
 */
int ipch_recv(struct ipch *ipc, struct ipch_msg *msg, int timeout_ms);

/*
 * ipch_on - register the handler of an event
 * @ipc: the handle
 * @event: event name; "message" also gets the plain messages; NULL sets
 *	   the fallback handler, which gets every record that no named
 *	   handler takes, and every record of the kernel (sender 0,
 *	   IPCHANNEL_RECV_SYSTEM), whatever its event name
 * @fn: the handler
 * @arg: passed to @fn
 *
 * An event has at most one handler: a second ipch_on() replaces the first.
 * Records without a handler are dropped by ipch_dispatch().
 *
 * Return: 0, or -EINVAL (NULL @fn, bad @event), -ENAMETOOLONG, -ENOMEM.
 */
int ipch_on(struct ipch *ipc, const char *event, ipch_handler_fn fn,
	    void *arg);

/*
 * ipch_off - remove the handler of an event
 * @ipc: the handle
 * @event: as for ipch_on(); NULL removes the fallback handler
 *
 * Return: 0, or -ENOENT (no handler for @event), -EINVAL.
 */
int ipch_off(struct ipch *ipc, const char *event);

/*
 * ipch_dispatch - handle the records queued now, without waiting
 * @ipc: the handle
 *
 * Calls the handler of each record, in order. Records that arrive while
 * it runs may be left for the next call; the device file is then readable
 * again. Never blocks (handlers that send may wait for room).
 *
 * Return: the number of records taken (handled or dropped), or a negative
 * errno as ipch_recv() if the first read failed.
 */
int ipch_dispatch(struct ipch *ipc);

/*
 * ipch_run - wait for records, then handle them
 * @ipc: the handle
 * @timeout_ms: -1 waits without limit, 0 does not wait, else milliseconds
 *
 * Return: the number of records taken (0 if none arrived within
 * @timeout_ms), or -EINTR (a signal arrived while waiting), or a negative
 * errno as ipch_dispatch().
 */
int ipch_run(struct ipch *ipc, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* IPCHANNEL_LIB_H */
