/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ipchannel.h - user-space interface of /dev/ipchannel
 *
 * The contract (every field, every errno) is in docs/kernel-interface.md;
 * this header is the only definition of numbers and layouts.
 */
#ifndef _UAPI_LINUX_IPCHANNEL_H
#define _UAPI_LINUX_IPCHANNEL_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Longest channel, event or lock name, not counting a terminating NUL. */
#define IPCHANNEL_NAME_MAX	63
/* Size of the fixed name fields of the ioctl structures. */
#define IPCHANNEL_NAME_LEN	64

/* Send to every peer of the channel. */
#define IPCHANNEL_PEER_ALL	0xffffffffU
/* Sender id of records made by the kernel itself. */
#define IPCHANNEL_PEER_KERNEL	0U
/* Highest id a peer can be given. */
#define IPCHANNEL_PEER_MAX	65535U

/* Send and receive records start on, and are padded to, this boundary. */
#define IPCHANNEL_RECORD_ALIGN	8
#define IPCHANNEL_ALIGN(len) \
	(((len) + IPCHANNEL_RECORD_ALIGN - 1) & ~(IPCHANNEL_RECORD_ALIGN - 1))

/* struct ipchannel_join.flags */
#define IPCHANNEL_JOIN_CREATE	_BITUL(0)	/* create if missing */
#define IPCHANNEL_JOIN_EXCL	_BITUL(1)	/* with CREATE: must be new */

/* Mode of a new channel when struct ipchannel_join.mode is 0. */
#define IPCHANNEL_MODE_DEFAULT	0600

struct ipchannel_join {
	char name[IPCHANNEL_NAME_LEN];	/* in: 1..63 bytes, NUL-terminated */
	__u32 flags;			/* in: IPCHANNEL_JOIN_* */
	__u32 mode;			/* in: permission bits if created */
	__u32 peer_id;			/* out: this file's peer id */
	__u32 reserved;			/* in: must be 0 */
};

/* struct ipchannel_send.flags */
#define IPCHANNEL_SEND_NOSELF	_BITUL(0)	/* broadcast skips the sender */

/*
 * One record of a write(): this header, then event_len bytes of event
 * name (no NUL), then len bytes of payload, then zero to seven bytes of
 * padding so that the next record starts IPCHANNEL_RECORD_ALIGN aligned.
 */
struct ipchannel_send {
	__u32 target;			/* peer id or IPCHANNEL_PEER_ALL */
	__u32 flags;			/* IPCHANNEL_SEND_* */
	__u32 len;			/* payload bytes */
	__u16 event_len;		/* event name bytes, 0 for a message */
	__u16 reserved;			/* must be 0 */
};

/* struct ipchannel_recv.flags */
#define IPCHANNEL_RECV_BROADCAST _BITUL(0)	/* sent to every peer */
#define IPCHANNEL_RECV_SYSTEM	_BITUL(1)	/* made by the kernel */

/* struct ipchannel_recv.type of a record with IPCHANNEL_RECV_SYSTEM */
#define IPCHANNEL_SYS_LOCK_GRANTED 1	/* event: lock name; payload: cookie */

/*
 * One record of a read(): this header, then event_len bytes of event
 * name (no NUL), then len bytes of payload, then padding up to size.
 */
struct ipchannel_recv {
	__u64 seq;			/* channel-wide sequence number */
	__u32 size;			/* bytes of the whole record */
	__u32 sender;			/* peer id, 0 for the kernel */
	__u32 flags;			/* IPCHANNEL_RECV_* */
	__u32 pid;			/* sender's pid in the reader's pid ns */
	__u32 uid;			/* sender's euid in the reader's user ns */
	__u32 len;			/* payload bytes */
	__u16 event_len;		/* event name bytes */
	__u16 type;			/* IPCHANNEL_SYS_* or 0 */
	__u32 reserved;			/* always 0 */
};

/* The state of the calling peer and its channel. */
struct ipchannel_info {
	__u32 peer_id;			/* this file's peer id */
	__u32 nr_peers;			/* peers in the channel */
	__u32 next_size;		/* bytes of the first queued record */
	__u32 queued_records;		/* records queued to this peer */
	__u32 queued_bytes;		/* bytes of those records */
	__u32 blocked_senders;		/* writers waiting for queue space */
	__u32 max_msg_size;		/* module limits in force now */
	__u32 max_queue_records;
	__u32 max_queue_bytes;
	__u32 reserved;			/* always 0 */
	__u64 next_seq;			/* sequence number of the next message */
};

/* Live objects of the whole module, to catch leaks (CAP_SYS_ADMIN). */
struct ipchannel_stats {
	__u64 channels;
	__u64 peers;
	__u64 messages;			/* message allocations alive */
	__u64 records;			/* receive queue entries */
	__u64 locks;
	__u64 lock_waiters;		/* lock requests, granted or queued */
};

/* struct ipchannel_lock.flags */
#define IPCHANNEL_LOCK_TRY	_BITUL(0)	/* fail if not granted at once */
#define IPCHANNEL_LOCK_ASYNC	_BITUL(1)	/* grant arrives as a record */

struct ipchannel_lock {
	char name[IPCHANNEL_NAME_LEN];	/* 1..63 bytes, NUL-terminated */
	__u64 cookie;			/* owner within this peer */
	__u64 deadline_ns;		/* absolute CLOCK_MONOTONIC, 0: none */
	__u32 flags;			/* IPCHANNEL_LOCK_* */
	__u32 reserved;			/* must be 0 */
};

/* The state of one lock of the caller's channel. */
struct ipchannel_lock_info {
	char name[IPCHANNEL_NAME_LEN];	/* in: lock name */
	__u64 holder_cookie;		/* out: cookie of the holder */
	__u64 held_since_ns;		/* out: CLOCK_MONOTONIC of the grant */
	__u32 holder;			/* out: peer id, 0 when free */
	__u32 nr_waiters;		/* out: requests queued behind it */
};

#define IPCHANNEL_IOC_MAGIC	0xB9

#define IPCHANNEL_IOC_JOIN	_IOWR(IPCHANNEL_IOC_MAGIC, 0x00, \
				      struct ipchannel_join)
#define IPCHANNEL_IOC_INFO	_IOR(IPCHANNEL_IOC_MAGIC, 0x01, \
				     struct ipchannel_info)
#define IPCHANNEL_IOC_STATS	_IOR(IPCHANNEL_IOC_MAGIC, 0x02, \
				     struct ipchannel_stats)
#define IPCHANNEL_IOC_LOCK	_IOW(IPCHANNEL_IOC_MAGIC, 0x10, \
				     struct ipchannel_lock)
#define IPCHANNEL_IOC_UNLOCK	_IOW(IPCHANNEL_IOC_MAGIC, 0x11, \
				     struct ipchannel_lock)
#define IPCHANNEL_IOC_LOCK_INFO	_IOWR(IPCHANNEL_IOC_MAGIC, 0x12, \
				      struct ipchannel_lock_info)

#endif /* _UAPI_LINUX_IPCHANNEL_H */
