/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * internal.h - the handle and the helpers shared by the library's files
 *
 * Nothing here is exported from the shared library. The host unit tests
 * link the static library and use ipch_attach() to put a handle on any
 * file descriptor (a pipe, a socket) with their own I/O functions.
 */
#ifndef IPCHANNEL_INTERNAL_H
#define IPCHANNEL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "ipchannel.h"

#define IPCH_EXPORT	__attribute__((visibility("default")))

#define IPCH_DEVICE	"/dev/ipchannel"

/* Header sizes fixed by the UAPI; the record arithmetic relies on them. */
#define IPCH_SEND_HDR	sizeof(struct ipchannel_send)
#define IPCH_RECV_HDR	sizeof(struct ipchannel_recv)

/* First size of the receive buffer; it grows to the largest record. */
#define IPCH_RECV_BUF_MIN	16384
/* Largest record the library takes: max_msg_size's top plus headers. */
#define IPCH_RECV_BUF_MAX	(16777216 + 4096)

/*
 * Asynchronous lock requests one handle may have pending: the kernel's
 * highest max_lock_requests, so that its -EDQUOT normally comes first.
 */
#define IPCH_REQUESTS_MAX	65536

/*
 * The system calls on the device, replaceable for tests. Each returns what
 * the system call returns, or -errno instead of -1. read never sleeps: it
 * gives -EAGAIN when nothing is queued, even on a blocking file; writev
 * sleeps unless the file is non-blocking.
 */
struct ipch_io {
	ssize_t (*read)(int fd, void *buf, size_t size);
	/*
	 * Optional: a read that sleeps until a record is queued, on a
	 * blocking file (-EAGAIN on a non-blocking one). It saves the poll()
	 * and the second read when the caller waits without a time limit.
	 */
	ssize_t (*read_wait)(int fd, void *buf, size_t size);
	ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
	int (*info)(int fd, struct ipchannel_info *info);
	ssize_t (*pending)(int fd);	/* bytes queued (FIONREAD) */
	/* locks, IPCHANNEL_IOC_SUBSCRIBE */
	int (*ioctl)(int fd, unsigned long cmd, void *arg);
};

/*
 * A pending ipch_lock_async() request. A grant record is this request's
 * only if its seq is at least min_seq, the channel's next_seq read before
 * the request was made: an older grant of the same name and cookie belongs
 * to a request that was cancelled or released, and is dropped.
 */
struct ipch_request {
	char name[IPCHANNEL_NAME_LEN];
	uint64_t cookie;
	uint64_t min_seq;
	ipch_lock_fn fn;
	void *arg;
};

struct ipch_handler {
	char event[IPCHANNEL_NAME_LEN];
	ipch_handler_fn fn;
	void *arg;
};

/*
 * The fields above "receive side" are set by ipch_open() and only read
 * afterwards, which is what lets several threads send at once. The
 * receive side belongs to the one thread that receives; the lock request
 * table has a mutex of its own.
 */
struct ipch {
	int fd;
	uint32_t peer_id;
	uint32_t flags;			/* IPCH_OPEN_* */
	const struct ipch_io *io;

	/* receive side: records buf[pos..fill) are read but not taken */
	unsigned char *buf;
	size_t size;			/* bytes allocated at buf */
	size_t pos;
	size_t fill;
	bool dispatching;		/* a handler runs: no receiving */

	struct ipch_handler *handlers;
	unsigned int nr_handlers;
	unsigned int max_handlers;
	ipch_handler_fn fallback;
	void *fallback_arg;
	/* membership records asked for, by ipch_subscribe() or ipch_on() */
	bool membership;

	/*
	 * Pending asynchronous lock requests. Any thread may unlock, so
	 * requests_mutex guards the table; it is never held while a
	 * callback runs.
	 */
	pthread_mutex_t requests_mutex;
	struct ipch_request *requests;
	unsigned int nr_requests;
	unsigned int max_requests;
};

extern const struct ipch_io ipch_sys_io;

/* open.c */
int ipch_attach(struct ipch **out, int fd, uint32_t peer_id, uint32_t flags,
		const struct ipch_io *io);
void ipch_name_default(char *dst, const char *prog);

/* record.c */
int ipch_name_check(const char *name, bool channel);
size_t ipch_record_pack(struct ipchannel_send *hdr, struct iovec *iov,
			const struct ipch_out *m, bool pad);
int ipch_out_check(const struct ipch_out *m);
size_t ipch_record_len(const struct ipch_out *m);
int ipch_record_next(const unsigned char *buf, size_t *pos, size_t fill,
		     struct ipch_msg *msg);
bool ipch_msg_lost(const struct ipch_msg *msg);

/* lock.c */
enum ipch_grant {
	IPCH_GRANT_NONE,	/* not a lock grant */
	IPCH_GRANT_MINE,	/* grant of a pending request, now forgotten */
	IPCH_GRANT_STALE,	/* grant of a request that was withdrawn */
};

enum ipch_grant ipch_lock_grant(struct ipch *ipc, const struct ipch_msg *msg,
				struct ipch_request *req);

/* ctl.c: what a reply or event of the netlink family is parsed into */
enum ipch_ctl_kind {
	IPCH_CTL_CHANNEL,	/* struct ipch_ctl_channel */
	IPCH_CTL_PEER,		/* struct ipch_ctl_peer */
	IPCH_CTL_LOCK,		/* struct ipch_ctl_lock */
	IPCH_CTL_STATS,		/* struct ipch_ctl_stats */
	IPCH_CTL_EVENT,		/* struct ipch_ctl_event */
};

struct nlmsghdr;

int ipch_ctl_parse(enum ipch_ctl_kind kind, struct nlmsghdr *hdr,
		   void *obj);
int ipch_nl_errno(int err);

/* recv.c */
int ipch_wait(struct ipch *ipc, short events, int timeout_ms);
int ipch_buf_take(struct ipch *ipc, struct ipch_msg *msg);
int ipch_buf_refill(struct ipch *ipc, bool wait);
int64_t ipch_now_ms(void);
int ipch_time_left(int64_t end);

#endif /* IPCHANNEL_INTERNAL_H */
