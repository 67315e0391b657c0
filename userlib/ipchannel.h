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
 * Blocking: the device file is blocking unless the handle was opened with
 * IPCH_OPEN_NONBLOCK. A send sleeps in the kernel until every receiver has
 * room (or fails with -EAGAIN under IPCH_OPEN_NONBLOCK); receives wait as
 * long as their timeout says; ipch_dispatch() never waits: every read that
 * must not sleep is made with preadv2(RWF_NOWAIT).
 *
 * Threads: one thread at a time may receive on a handle (ipch_recv,
 * ipch_dispatch, ipch_run) and change its handlers (ipch_on, ipch_off).
 * Sends, locks, ipch_info(), ipch_peer_id() and ipch_fd() may be called
 * from any number of threads at once, also while another thread receives.
 * Each message is sent whole, but the messages of one ipch_sendv() may be
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

/* Deadlines of ipch_timedlock(); defined by <time.h>. */
struct timespec;

/* struct ipch_options.flags */
#define IPCH_OPEN_NOCREATE	(1U << 0)	/* -ENOENT if missing */
#define IPCH_OPEN_EXCL		(1U << 1)	/* new, else -EEXIST */
#define IPCH_OPEN_NONBLOCK	(1U << 2)	/* sends give -EAGAIN */
#define IPCH_OPEN_SHARED	(1U << 3)	/* may be another user's */

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
 * -EACCES: its mode bits refuse this user; -EPERM: another user made it
 * and IPCH_OPEN_SHARED is not given; -EDQUOT: this user has
 * max_peers_per_uid peers; -EUSERS: the channel is full).
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
 * receiver's queue is full and IPCH_OPEN_NONBLOCK), -EDQUOT (a receiver
 * of another user holds the module's uid_queue_percent share of its
 * queue from this user: not waited for, since only that receiver's
 * reading ends it), -EINTR (a signal whose handler lacks SA_RESTART
 * arrived while waiting; nothing was sent; with SA_RESTART the kernel
 * restarts the wait), -ENOMEM (also when this process's memory cgroup is
 * at its limit).
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
 * Handlers are not called, nor ipch_lock_async() callbacks: a grant is
 * returned as a record, and grants of cancelled requests are skipped.
 * Records are read from the device in batches;
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
 * @event: event name; "message" also gets the plain messages; "connect"
 *	   and "disconnect" also get the kernel's membership records (see
 *	   "Membership" below); NULL sets the fallback handler, which gets
 *	   every record that no named handler takes, and every other record
 *	   of the kernel (sender 0, IPCHANNEL_RECV_SYSTEM) but lock grants,
 *	   whatever its event name
 * @fn: the handler
 * @arg: passed to @fn
 *
 * An event has at most one handler: a second ipch_on() replaces the first.
 * Records without a handler are dropped by ipch_dispatch(). The first
 * "connect" or "disconnect" handler of a handle subscribes it with
 * ipch_subscribe(); if that fails, no handler is registered.
 *
 * Return: 0, or -EINVAL (NULL @fn, bad @event), -ENAMETOOLONG, -ENOMEM,
 * or an error of ipch_subscribe().
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
 * Calls the handler of each record, in order, and the ipch_lock_async()
 * callback of each lock grant. Records that arrive while it runs may be
 * left for the next call; the device file is then readable again. Never
 * blocks (handlers that send may wait for room, and those that lock may
 * wait for the lock).
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

/*
 * Locks: named locks of the channel, first come first served across every
 * thread of every peer (see docs/kernel-interface.md, "Locks"). The owner
 * of a request is this peer and a 64-bit cookie: the functions without
 * "cookie" in their name use the calling thread's id (gettid()), so each
 * thread owns its locks and must unlock them itself. Lock names are 1..63
 * printable ASCII bytes (0x21..0x7e); '/' is allowed. A lock held by a
 * peer is released when its handle is closed or its process dies.
 */

/* Flag of ipch_lock_cookie(): fail with -EAGAIN rather than wait. */
#define IPCH_LOCK_TRY		(1U << 0)

/*
 * ipch_lock_fn - called by ipch_dispatch() when an asynchronous request
 * is granted
 * @ipc: the handle; the callback may send, lock and unlock, as handlers do
 * @name: the lock's name, valid until the callback returns
 * @cookie: the owner's cookie given to ipch_lock_async()
 * @arg: the pointer given to ipch_lock_async()
 *
 * The lock is held when it runs; release it with ipch_unlock_cookie(),
 * from the callback or later.
 */
typedef void (*ipch_lock_fn)(struct ipch *ipc, const char *name,
			     uint64_t cookie, void *arg);

/*
 * ipch_lock_cookie - take a lock for an explicit owner
 * @ipc: the handle
 * @name: the lock's name
 * @cookie: the owner within this peer; any value, the same one unlocks
 * @flags: 0 or IPCH_LOCK_TRY
 * @deadline: NULL waits without limit; else an absolute CLOCK_MONOTONIC
 *	      time at which to give up (a time already past still takes a
 *	      free lock)
 *
 * Waits behind the requests made before it. A signal ends the wait and
 * the request leaves the queue: -EINTR if the handler lacks SA_RESTART;
 * with SA_RESTART the kernel asks again, at the back of the queue, with
 * the same deadline.
 *
 * Return: 0 when the lock is held, or -EINVAL (bad @name, unknown flag,
 * @deadline with tv_nsec outside 0..999999999 or a negative tv_sec),
 * -ENAMETOOLONG (@name above 63 bytes), -EAGAIN (IPCH_LOCK_TRY and the
 * lock is held), -ETIMEDOUT (@deadline passed), -EINTR (a signal),
 * -EDEADLK (this owner already holds or waits for the lock), -EDQUOT
 * (this peer has max_lock_requests requests), -ENOSPC (the channel has
 * max_locks locks), -ENOMEM.
 */
int ipch_lock_cookie(struct ipch *ipc, const char *name, uint64_t cookie,
		     unsigned int flags, const struct timespec *deadline);

/*
 * ipch_lock - take a lock for the calling thread, waiting without limit
 * @ipc: the handle
 * @name: the lock's name
 *
 * Return: as ipch_lock_cookie() without a deadline.
 */
int ipch_lock(struct ipch *ipc, const char *name);

/*
 * ipch_trylock - take a lock for the calling thread if it is free
 * @ipc: the handle
 * @name: the lock's name
 *
 * Return: 0, or -EAGAIN when someone holds it, or as ipch_lock().
 */
int ipch_trylock(struct ipch *ipc, const char *name);

/*
 * ipch_timedlock - take a lock for the calling thread, waiting until a
 * deadline
 * @ipc: the handle
 * @name: the lock's name
 * @deadline: absolute CLOCK_MONOTONIC time; NULL waits without limit
 *
 * Return: 0, or -ETIMEDOUT when @deadline passed, or as ipch_lock().
 */
int ipch_timedlock(struct ipch *ipc, const char *name,
		   const struct timespec *deadline);

/*
 * ipch_unlock_cookie - release a lock, or cancel an asynchronous request
 * @ipc: the handle
 * @name: the lock's name
 * @cookie: the owner that holds it or asked for it
 *
 * The lock passes at once to the next request in line. A pending
 * ipch_lock_async() request is withdrawn and its callback will not run,
 * even if the grant was already on its way.
 *
 * Return: 0, or -EINVAL, -ENAMETOOLONG (bad @name), -EPERM (this owner
 * neither holds the lock nor has an asynchronous request for it).
 */
int ipch_unlock_cookie(struct ipch *ipc, const char *name, uint64_t cookie);

/*
 * ipch_unlock - release a lock held by the calling thread
 * @ipc: the handle
 * @name: the lock's name
 *
 * Return: as ipch_unlock_cookie(); -EPERM also when another thread holds
 * the lock.
 */
int ipch_unlock(struct ipch *ipc, const char *name);

/*
 * ipch_synchronize - run a function holding a lock
 * @ipc: the handle
 * @name: the lock's name
 * @fn: the critical section
 * @arg: passed to @fn
 *
 * Takes the lock for the calling thread, waiting without limit, calls
 * @fn, and releases the lock whatever @fn returns. Callers in this and
 * other processes run one at a time, in the order they asked. A signal
 * while waiting does not end the call: the request is made again (at the
 * back of the queue), because the caller asked for the critical section,
 * not for a wait.
 *
 * Return: what @fn returned, or an error of ipch_lock() other than -EINTR
 * (@fn was not called), or an error of ipch_unlock() (@fn ran).
 */
int ipch_synchronize(struct ipch *ipc, const char *name,
		     int (*fn)(void *arg), void *arg);

/*
 * ipch_lock_async - ask for a lock without waiting; a callback gets it
 * @ipc: the handle
 * @name: the lock's name
 * @cookie: the owner within this peer
 * @fn: called by ipch_dispatch() or ipch_run() once the lock is held
 * @arg: passed to @fn
 *
 * The request queues like any other. When it is granted (at once if the
 * lock is free) the kernel queues a record to this peer, which makes
 * ipch_fd() readable; the dispatch that takes it calls @fn. ipch_recv()
 * returns the record (type IPCHANNEL_SYS_LOCK_GRANTED) instead, and @fn is
 * not called. ipch_unlock_cookie() cancels a pending request.
 *
 * Return: 0 when the request is queued, or -EINVAL (NULL @fn, bad @name),
 * -ENAMETOOLONG, -EDEADLK (this owner already holds or waits for the
 * lock), -EDQUOT (too many requests), -ENOSPC, -ENOMEM.
 */
int ipch_lock_async(struct ipch *ipc, const char *name, uint64_t cookie,
		    ipch_lock_fn fn, void *arg);

/*
 * ipch_lock_info - who holds a lock and how many wait for it
 * @ipc: the handle
 * @name: the lock's name
 * @info: filled in on success; holder 0 means nobody holds it
 *
 * Return: 0, or -EINVAL (NULL @info, bad @name), -ENAMETOOLONG.
 */
int ipch_lock_info(struct ipch *ipc, const char *name,
		   struct ipchannel_lock_info *info);

/*
 * Membership. ipch_on() with the event name "connect" or "disconnect"
 * also subscribes the handle to the kernel's join and leave records
 * (IPCHANNEL_IOC_SUBSCRIBE): the kernel first queues a "connect" for
 * every peer already in the channel (this one included), then one for
 * each peer that joins and a "disconnect" for each that leaves, whether
 * it closed its handle, exited or was killed. The handler gets a message
 * with sender 0, IPCHANNEL_RECV_SYSTEM in flags, type
 * IPCHANNEL_SYS_PEER_JOINED or _LEFT, the pid and uid of that peer, and a
 * struct ipchannel_membership as payload; ipch_msg_peer() reads its id.
 * If the queue was too full for a membership record, the kernel ends the
 * subscription with one IPCHANNEL_SYS_MEMBERSHIP_LOST record; the library
 * then subscribes again, which replays the current members as "connect".
 */

/*
 * ipch_msg_peer - the peer a membership record is about
 * @msg: a record of type IPCHANNEL_SYS_PEER_JOINED or _LEFT
 *
 * Return: the peer id, or 0 if @msg is not a membership record.
 */
uint32_t ipch_msg_peer(const struct ipch_msg *msg);

/*
 * ipch_subscribe - choose the kernel's system records for this handle
 * @ipc: the handle
 * @flags: IPCHANNEL_SUB_MEMBERSHIP, or 0 to stop
 *
 * ipch_on() calls it for "connect" and "disconnect"; a program that reads
 * with ipch_recv() calls it itself, also again after a
 * IPCHANNEL_SYS_MEMBERSHIP_LOST record (ipch_dispatch() does that on its
 * own). Subscribing while subscribed replays the members again. Call it
 * from the thread that receives, as ipch_on().
 *
 * Return: 0, or -EINVAL (NULL @ipc, unknown flag), -ENOMEM.
 */
int ipch_subscribe(struct ipch *ipc, uint32_t flags);

/*
 * Control plane: a generic netlink socket on the "ipchannel" family, for
 * tools and monitors that are not peers. Asking for the family loads the
 * module if it is installed. A caller sees the channels of its network
 * namespace that it could join; CAP_NET_ADMIN sees them all. One thread
 * at a time may use a control handle; requests and events travel on two
 * sockets of their own, so that neither disturbs the other.
 */
struct ipch_ctl;

/* One channel, as IPCHANNEL_CMD_GET_CHANNEL gives it. */
struct ipch_ctl_channel {
	char name[IPCHANNEL_NAME_LEN];
	uint32_t uid;			/* owner */
	uint32_t gid;
	uint32_t mode;			/* permission bits */
	uint32_t nr_peers;
	uint32_t nr_locks;		/* locks held */
	uint32_t blocked;		/* senders waiting for room */
	uint64_t seq;			/* last sequence number given */
	uint64_t messages;		/* messages accepted */
	uint64_t queued_records;	/* over all peers */
	uint64_t queued_bytes;
};

/* One peer of a channel. */
struct ipch_ctl_peer {
	uint32_t id;
	uint32_t pid;			/* 0 outside our pid namespace */
	uint32_t uid;			/* euid at join */
	char comm[16];			/* command name at join */
	uint64_t queued_records;
	uint64_t queued_bytes;
	uint64_t sent;			/* messages it sent */
	uint64_t received;		/* records it read */
	uint64_t since_ns;		/* CLOCK_MONOTONIC of the join */
};

/* One request of one lock: position 0 holds it, the others wait. */
struct ipch_ctl_lock {
	char name[IPCHANNEL_NAME_LEN];
	uint32_t pos;
	uint32_t peer_id;
	uint64_t cookie;
	uint64_t since_ns;		/* granted (pos 0), or queued */
	uint32_t nr_waiters;		/* of the lock; set at pos 0 */
	uint32_t reserved;
};

/* Module-wide counters and limits. */
struct ipch_ctl_stats {
	uint32_t has_counters;		/* 0: counters not visible */
	uint32_t max_msg_size;
	uint32_t max_queue_records;
	uint32_t max_queue_bytes;
	uint32_t max_locks;
	uint32_t max_lock_requests;
	uint64_t channels;		/* live objects of the module */
	uint64_t peers;
	uint64_t messages;
	uint64_t records;
	uint64_t locks;
	uint64_t lock_requests;
};

/* An event of the multicast group; type is an IPCHANNEL_CMD_* event. */
struct ipch_ctl_event {
	uint32_t type;			/* IPCHANNEL_CMD_ of the event */
	char channel[IPCHANNEL_NAME_LEN];
	uint32_t peer_id;		/* who joined, left, or got the lock */
	uint32_t pid;			/* joined and left */
	uint32_t uid;
	uint32_t nr_peers;
	char comm[16];
	char lock[IPCHANNEL_NAME_LEN];	/* handover only */
	uint64_t cookie;		/* of the new holder */
	uint32_t prev_peer_id;		/* who released it */
	uint32_t reserved;
	uint64_t prev_cookie;
};

/*
 * ipch_ctl_open - open a control socket
 * @out: receives it on success
 *
 * Return: 0, or -EPROTONOSUPPORT (no ipchannel family: the module is
 * neither loaded nor installed), -ENOMEM, or another -errno of the socket.
 */
int ipch_ctl_open(struct ipch_ctl **out);

/* ipch_ctl_close - close a control socket; NULL is ignored. */
void ipch_ctl_close(struct ipch_ctl *ctl);

/*
 * ipch_ctl_fd - the event socket, to poll after ipch_ctl_subscribe(); when
 * it is readable, call ipch_ctl_event() with timeout 0 until -ETIMEDOUT
 */
int ipch_ctl_fd(const struct ipch_ctl *ctl);

/*
 * ipch_ctl_channels - list the channels the caller may see
 * @ctl: the control socket
 * @out: receives an array to free() with free(), NULL when empty
 * @n: receives its length
 *
 * A listing that changed while it was read is read again, a few times.
 *
 * Return: 0, or -EAGAIN (it kept changing), -ENOMEM, -errno of netlink.
 */
int ipch_ctl_channels(struct ipch_ctl *ctl, struct ipch_ctl_channel **out,
		      size_t *n);

/*
 * ipch_ctl_channel - one channel by name
 *
 * Return: 0, or -EINVAL (bad @name), -ENAMETOOLONG, -ENOENT (no such
 * channel, or not visible to the caller), -ENOMEM, -errno of netlink.
 */
int ipch_ctl_channel(struct ipch_ctl *ctl, const char *name,
		     struct ipch_ctl_channel *out);

/*
 * ipch_ctl_peers - the peers of a channel, by id
 *
 * Return: as ipch_ctl_channels(), and -EINVAL, -ENOENT as
 * ipch_ctl_channel().
 */
int ipch_ctl_peers(struct ipch_ctl *ctl, const char *channel,
		   struct ipch_ctl_peer **out, size_t *n);

/*
 * ipch_ctl_locks - the lock requests of a channel, lock by lock, each
 * lock's holder first and its waiters in the order they will get it
 *
 * Return: as ipch_ctl_peers().
 */
int ipch_ctl_locks(struct ipch_ctl *ctl, const char *channel,
		   struct ipch_ctl_lock **out, size_t *n);

/*
 * ipch_ctl_stats - module limits, and counters if the caller may see them
 *
 * Return: 0, or -errno of netlink.
 */
int ipch_ctl_stats(struct ipch_ctl *ctl, struct ipch_ctl_stats *out);

/*
 * ipch_ctl_subscribe - receive the events of the multicast group
 *
 * Return: 0, or -EPERM (the group needs CAP_NET_ADMIN), -errno.
 */
int ipch_ctl_subscribe(struct ipch_ctl *ctl);

/*
 * ipch_ctl_event - wait for the next event
 * @ctl: a subscribed control socket
 * @ev: filled in on success; fields that the event type lacks are 0
 * @timeout_ms: -1 waits for ever, 0 does not wait
 *
 * Events that arrived together are kept in the handle and returned one by
 * one.
 *
 * Return: 0, or -ETIMEDOUT, -EINTR, -ENOBUFS (events were lost because the
 * socket's buffer was full; returned after the events before the gap, and
 * the next call goes on), -EPROTO (a malformed event, skipped), -EINVAL,
 * -errno.
 */
int ipch_ctl_event(struct ipch_ctl *ctl, struct ipch_ctl_event *ev,
		   int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* IPCHANNEL_LIB_H */
