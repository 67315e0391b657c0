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
#define IPCHANNEL_JOIN_EXCL	_BITUL(1)	/* with CREATE: only new */
#define IPCHANNEL_JOIN_SHARED	_BITUL(2)	/* may be another user's */

/* Mode of a new channel when struct ipchannel_join.mode is 0. */
#define IPCHANNEL_MODE_DEFAULT	0600

struct ipchannel_join {
	char name[IPCHANNEL_NAME_LEN];	/* in: 1..63 bytes and a NUL */
	__u32 flags;			/* in: IPCHANNEL_JOIN_* */
	__u32 mode;			/* in: permission bits if created */
	__u32 peer_id;			/* out: this file's peer id */
	__u32 reserved;			/* in: must be 0 */
};

/* struct ipchannel_send.flags */
#define IPCHANNEL_SEND_NOSELF	_BITUL(0)	/* "all" skips the sender */

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
#define IPCHANNEL_SYS_LOCK_GRANTED 1	/* event: lock; payload: cookie */
#define IPCHANNEL_SYS_PEER_JOINED 2	/* ipchannel_membership */
#define IPCHANNEL_SYS_PEER_LEFT	3	/* ipchannel_membership */
#define IPCHANNEL_SYS_MEMBERSHIP_LOST 4	/* full: subscribe again */

/*
 * One record of a read(): this header, then event_len bytes of event
 * name (no NUL), then len bytes of payload, then padding up to size.
 */
struct ipchannel_recv {
	__u64 seq;			/* channel-wide sequence number */
	__u32 size;			/* bytes of the whole record */
	__u32 sender;			/* peer id, 0 for the kernel */
	__u32 flags;			/* IPCHANNEL_RECV_* */
	__u32 pid;			/* sender, in reader's pid ns */
	__u32 uid;			/* euid, in reader's user ns */
	__u32 len;			/* payload bytes */
	__u16 event_len;		/* event name bytes */
	__u16 type;			/* IPCHANNEL_SYS_* or 0 */
	__u32 reserved;			/* always 0 */
};

/*
 * Payload of IPCHANNEL_SYS_PEER_JOINED and _LEFT. The pid and uid of the
 * record are those of the peer it is about.
 */
struct ipchannel_membership {
	__u32 peer_id;			/* the peer that joined or left */
	__u32 nr_peers;			/* peers after it; replay: now */
};

/* IPCHANNEL_IOC_SUBSCRIBE flags */
#define IPCHANNEL_SUB_MEMBERSHIP _BITUL(0)	/* join and leave records */

/* The state of the calling peer and its channel. */
struct ipchannel_info {
	__u32 peer_id;			/* this file's peer id */
	__u32 nr_peers;			/* peers in the channel */
	__u32 next_size;		/* bytes of the first queued record */
	__u32 queued_records;		/* records queued to this peer */
	__u32 queued_bytes;		/* bytes of those records */
	__u32 blocked_senders;		/* writers waiting for room */
	__u32 max_msg_size;		/* module limits in force now */
	__u32 max_queue_records;
	__u32 max_queue_bytes;
	__u32 reserved;			/* always 0 */
	__u64 next_seq;			/* number of the next message */
};

/* Live objects of the whole module, to catch leaks (CAP_SYS_ADMIN). */
struct ipchannel_stats {
	__u64 channels;
	__u64 peers;
	__u64 messages;			/* message allocations alive */
	__u64 records;			/* receive queue entries */
	__u64 locks;
	__u64 lock_waiters;		/* requests, granted or queued */
};

/* struct ipchannel_lock.flags */
#define IPCHANNEL_LOCK_TRY	_BITUL(0)	/* fail if held */
#define IPCHANNEL_LOCK_ASYNC	_BITUL(1)	/* grant comes as a record */

struct ipchannel_lock {
	char name[IPCHANNEL_NAME_LEN];	/* 1..63 bytes, NUL-terminated */
	__u64 cookie;			/* owner within this peer */
	__u64 deadline_ns;		/* CLOCK_MONOTONIC; 0: none */
	__u32 flags;			/* IPCHANNEL_LOCK_* */
	__u32 reserved;			/* must be 0 */
};

/* The state of one lock of the caller's channel. */
struct ipchannel_lock_info {
	char name[IPCHANNEL_NAME_LEN];	/* in: lock name */
	__u64 holder_cookie;		/* out: cookie of the holder */
	__u64 held_since_ns;		/* out: CLOCK_MONOTONIC, grant */
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
#define IPCHANNEL_IOC_SUBSCRIBE	_IOW(IPCHANNEL_IOC_MAGIC, 0x03, __u32)
#define IPCHANNEL_IOC_LOCK	_IOW(IPCHANNEL_IOC_MAGIC, 0x10, \
				     struct ipchannel_lock)
#define IPCHANNEL_IOC_UNLOCK	_IOW(IPCHANNEL_IOC_MAGIC, 0x11, \
				     struct ipchannel_lock)
#define IPCHANNEL_IOC_LOCK_INFO	_IOWR(IPCHANNEL_IOC_MAGIC, 0x12, \
				      struct ipchannel_lock_info)

/*
 * Generic netlink family IPCHANNEL_GENL_NAME, the control plane. Every
 * message is a flat list of IPCHANNEL_A_* attributes:
 *
 * GET_CHANNEL  request: [CHANNEL]; dump of all visible channels, or one
 *              reply for CHANNEL
 *   reply      CHANNEL, UID, GID, MODE, NR_PEERS, NR_LOCKS, BLOCKED,
 *              SEQ, MESSAGES, QUEUED_RECORDS, QUEUED_BYTES
 * GET_PEER     request: CHANNEL; dump, one message per peer by id
 *   reply      CHANNEL, PEER_ID, PID, UID, COMM, QUEUED_RECORDS,
 *              QUEUED_BYTES, SENT, RECEIVED, SINCE_NS
 * GET_LOCK     request: CHANNEL; dump, one message per lock request, lock
 *              by lock, each lock's requests in queue order
 *   reply      CHANNEL, LOCK, LOCK_POS (0: the holder), PEER_ID, COOKIE,
 *              SINCE_NS (granted, or queued), NR_WAITERS (holder only)
 * GET_STATS    request: nothing; answered by one message
 *   reply      the MAX_* limits; the STAT_* counters of the whole module
 *              only for CAP_NET_ADMIN in the initial user namespace
 *
 * Events, multicast to IPCHANNEL_GENL_MCGRP (CAP_NET_ADMIN to listen):
 * PEER_JOINED  CHANNEL, PEER_ID, PID, UID, COMM, NR_PEERS
 * PEER_LEFT    CHANNEL, PEER_ID, PID, UID, COMM, NR_PEERS
 * LOCK_HANDOVER CHANNEL, LOCK, PEER_ID and COOKIE of the new holder,
 *              PREV_PEER_ID and PREV_COOKIE of the one that released it
 *
 * Pids and uids are given as seen from the namespaces of the process that
 * reads; SINCE_NS is CLOCK_MONOTONIC.
 */
#define IPCHANNEL_GENL_NAME	"ipchannel"
#define IPCHANNEL_GENL_VERSION	1
#define IPCHANNEL_GENL_MCGRP	"events"

enum ipchannel_cmd {
	IPCHANNEL_CMD_UNSPEC,
	IPCHANNEL_CMD_GET_CHANNEL,
	IPCHANNEL_CMD_GET_PEER,
	IPCHANNEL_CMD_GET_LOCK,
	IPCHANNEL_CMD_GET_STATS,
	IPCHANNEL_CMD_PEER_JOINED,
	IPCHANNEL_CMD_PEER_LEFT,
	IPCHANNEL_CMD_LOCK_HANDOVER,

	__IPCHANNEL_CMD_MAX
};

#define IPCHANNEL_CMD_MAX	(__IPCHANNEL_CMD_MAX - 1)

enum ipchannel_attr {
	IPCHANNEL_A_UNSPEC,
	IPCHANNEL_A_PAD,
	IPCHANNEL_A_CHANNEL,		/* string: channel name */
	IPCHANNEL_A_UID,		/* u32: owner, or a peer's euid */
	IPCHANNEL_A_GID,		/* u32: group of the channel */
	IPCHANNEL_A_MODE,		/* u32: permission bits */
	IPCHANNEL_A_NR_PEERS,		/* u32 */
	IPCHANNEL_A_NR_LOCKS,		/* u32: locks held */
	IPCHANNEL_A_BLOCKED,		/* u32: senders waiting for room */
	IPCHANNEL_A_SEQ,		/* u64: last sequence number given */
	IPCHANNEL_A_MESSAGES,		/* u64: messages accepted */
	IPCHANNEL_A_QUEUED_RECORDS,	/* u64: records queued */
	IPCHANNEL_A_QUEUED_BYTES,	/* u64: bytes of those records */
	IPCHANNEL_A_PEER_ID,		/* u32 */
	IPCHANNEL_A_PID,		/* u32: 0 outside our pid namespace */
	IPCHANNEL_A_COMM,		/* string: command name at join */
	IPCHANNEL_A_SENT,		/* u64: messages the peer sent */
	IPCHANNEL_A_RECEIVED,		/* u64: records the peer read */
	IPCHANNEL_A_SINCE_NS,		/* u64: joined, granted, queued */
	IPCHANNEL_A_LOCK,		/* string: lock name */
	IPCHANNEL_A_LOCK_POS,		/* u32: 0 holds, 1.. waits */
	IPCHANNEL_A_COOKIE,		/* u64: owner cookie of a request */
	IPCHANNEL_A_NR_WAITERS,		/* u32 */
	IPCHANNEL_A_PREV_PEER_ID,	/* u32 */
	IPCHANNEL_A_PREV_COOKIE,	/* u64 */
	IPCHANNEL_A_STAT_CHANNELS,	/* u64: live objects, whole module */
	IPCHANNEL_A_STAT_PEERS,		/* u64 */
	IPCHANNEL_A_STAT_MESSAGES,	/* u64 */
	IPCHANNEL_A_STAT_RECORDS,	/* u64 */
	IPCHANNEL_A_STAT_LOCKS,		/* u64 */
	IPCHANNEL_A_STAT_LOCK_REQUESTS,	/* u64 */
	IPCHANNEL_A_MAX_MSG_SIZE,	/* u32: module parameters */
	IPCHANNEL_A_MAX_QUEUE_RECORDS,	/* u32 */
	IPCHANNEL_A_MAX_QUEUE_BYTES,	/* u32 */
	IPCHANNEL_A_MAX_LOCKS,		/* u32 */
	IPCHANNEL_A_MAX_LOCK_REQUESTS,	/* u32 */

	__IPCHANNEL_A_MAX
};

#define IPCHANNEL_A_MAX		(__IPCHANNEL_A_MAX - 1)

#endif /* _UAPI_LINUX_IPCHANNEL_H */
