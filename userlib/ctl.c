// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ctl.c - the control plane: dumps and events of the "ipchannel" generic
 * netlink family, through libnl-genl-3
 *
 * A control handle holds two netlink sockets. Requests go out, and their
 * replies come back, on one; the other only ever joins the event group.
 * Kept apart, a flood of events can neither overrun a reply nor be taken
 * for one, and ipch_ctl_fd() is readable only when an event is there.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "internal.h"

/* Attempts at a dump that changed while it was read, before -EAGAIN. */
#define DUMP_TRIES	4
/* Events held in the handle, read from the socket but not returned. */
#define EVENTS_MAX	4096
/* Receive buffer asked for the event socket; the kernel may give less. */
#define EVENT_RCVBUF	(256 * 1024)
/*
 * recv_datagram() reports a failed recvmsg() as -(ESYS_BASE + errno),
 * which nl_recvmsgs() returns untouched: libnl's own codes would fold
 * ENOBUFS (events lost) into ENOMEM.
 */
#define ESYS_BASE	4096

struct ipch_ctl {
	struct nl_sock *req;		/* requests and their replies */
	struct nl_sock *ev;		/* the event group, nothing else */
	struct nl_cb *req_cb;
	struct nl_cb *ev_cb;
	int family;
	int group;			/* of the events, 0 until looked up */

	/* events[head..count) were read but not yet returned */
	struct ipch_ctl_event *events;
	unsigned int head;
	unsigned int count;
	unsigned int max;
	int ev_err;		/* returned once the queue is empty */
};

/* ---- errors ---- */

static const struct {
	int nle;
	int sys;
} nl_errors[] = {
	{ NLE_INTR, EINTR },		{ NLE_BAD_SOCK, EBADF },
	{ NLE_AGAIN, EAGAIN },		{ NLE_NOMEM, ENOMEM },
	{ NLE_EXIST, EEXIST },		{ NLE_INVAL, EINVAL },
	{ NLE_RANGE, ERANGE },		{ NLE_MSGSIZE, EMSGSIZE },
	{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
	{ NLE_OBJ_NOTFOUND, ENOENT },	{ NLE_NOATTR, EPROTO },
	{ NLE_MISSING_ATTR, EPROTO },	{ NLE_SEQ_MISMATCH, EPROTO },
	{ NLE_MSG_OVERFLOW, ENOBUFS },	{ NLE_MSG_TRUNC, EPROTO },
	{ NLE_NOADDR, EPROTO },		{ NLE_MSG_TOOSHORT, EPROTO },
	{ NLE_MSGTYPE_NOSUPPORT, EPROTO }, { NLE_BUSY, EBUSY },
	{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT }, { NLE_NOACCESS, EACCES },
	{ NLE_PERM, EPERM },		{ NLE_PARSE_ERR, EPROTO },
	{ NLE_NODEV, ENODEV },		{ NLE_DUMP_INTR, EAGAIN },
	{ NLE_ATTRSIZE, EPROTO },
};

/*
 * ipch_nl_errno - a libnl result as the library returns it
 * @err: a count, a -NLE_* code, or -(ESYS_BASE + errno) of recv_datagram()
 *
 * Return: @err if not negative, else -errno (-EIO for libnl's catch-all
 * codes, which name no cause).
 */
int ipch_nl_errno(int err)
{
	size_t i;

	if (err >= 0)
		return err;
	if (-err >= ESYS_BASE)
		return -(-err - ESYS_BASE);
	for (i = 0; i < sizeof(nl_errors) / sizeof(nl_errors[0]); i++)
		if (nl_errors[i].nle == -err)
			return -nl_errors[i].sys;
	return -EIO;
}

/*
 * Read one datagram, whatever its size, as nl_recv() does, but keep the
 * errno of recvmsg(): the caller must tell ENOBUFS from ENOMEM. A signal
 * does not end the wait of a request, as with libnl's own function.
 */
static int recv_datagram(struct nl_sock *sk, struct sockaddr_nl *nla,
			 unsigned char **buf, struct ucred **creds)
{
	struct iovec iov;
	struct msghdr mh = {
		.msg_name = nla, .msg_namelen = sizeof(*nla),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	int fd = nl_socket_get_fd(sk);
	ssize_t len;

	*buf = NULL;
	if (creds)
		*creds = NULL;
	/*
	 * Only the size is wanted: with a length of 0, recv() never touches
	 * the buffer, so NULL is valid (cppcheck's posix.cfg says never).
	 */
	do
		/* cppcheck-suppress nullPointer ; see above */
		len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (len < 0 && errno == EINTR);
	if (len <= 0)
		return len < 0 ? -(ESYS_BASE + errno) : 0;

	*buf = malloc((size_t)len);
	if (!*buf)
		return -NLE_NOMEM;
	iov.iov_base = *buf;
	iov.iov_len = (size_t)len;
	do
		len = recvmsg(fd, &mh, 0);
	while (len < 0 && errno == EINTR);
	if (len > 0)
		return (int)len;
	len = len < 0 ? -(ESYS_BASE + errno) : 0;
	free(*buf);
	*buf = NULL;
	return (int)len;
}

/* ---- attributes into structures ---- */

enum field_type { FIELD_U32, FIELD_U64, FIELD_STR };

/* One attribute and the member of the structure it fills. */
struct field {
	uint16_t attr;
	uint16_t type;
	uint16_t offset;
	uint16_t size;
};

#define FIELD(s, m, a, t) \
	{ a, t, offsetof(struct s, m), sizeof(((struct s *)0)->m) }

static const struct field channel_fields[] = {
	FIELD(ipch_ctl_channel, name, IPCHANNEL_A_CHANNEL, FIELD_STR),
	FIELD(ipch_ctl_channel, uid, IPCHANNEL_A_UID, FIELD_U32),
	FIELD(ipch_ctl_channel, gid, IPCHANNEL_A_GID, FIELD_U32),
	FIELD(ipch_ctl_channel, mode, IPCHANNEL_A_MODE, FIELD_U32),
	FIELD(ipch_ctl_channel, nr_peers, IPCHANNEL_A_NR_PEERS, FIELD_U32),
	FIELD(ipch_ctl_channel, nr_locks, IPCHANNEL_A_NR_LOCKS, FIELD_U32),
	FIELD(ipch_ctl_channel, blocked, IPCHANNEL_A_BLOCKED, FIELD_U32),
	FIELD(ipch_ctl_channel, seq, IPCHANNEL_A_SEQ, FIELD_U64),
	FIELD(ipch_ctl_channel, messages, IPCHANNEL_A_MESSAGES, FIELD_U64),
	FIELD(ipch_ctl_channel, queued_records, IPCHANNEL_A_QUEUED_RECORDS,
	      FIELD_U64),
	FIELD(ipch_ctl_channel, queued_bytes, IPCHANNEL_A_QUEUED_BYTES,
	      FIELD_U64),
};

static const struct field peer_fields[] = {
	FIELD(ipch_ctl_peer, id, IPCHANNEL_A_PEER_ID, FIELD_U32),
	FIELD(ipch_ctl_peer, pid, IPCHANNEL_A_PID, FIELD_U32),
	FIELD(ipch_ctl_peer, uid, IPCHANNEL_A_UID, FIELD_U32),
	FIELD(ipch_ctl_peer, comm, IPCHANNEL_A_COMM, FIELD_STR),
	FIELD(ipch_ctl_peer, queued_records, IPCHANNEL_A_QUEUED_RECORDS,
	      FIELD_U64),
	FIELD(ipch_ctl_peer, queued_bytes, IPCHANNEL_A_QUEUED_BYTES,
	      FIELD_U64),
	FIELD(ipch_ctl_peer, sent, IPCHANNEL_A_SENT, FIELD_U64),
	FIELD(ipch_ctl_peer, received, IPCHANNEL_A_RECEIVED, FIELD_U64),
	FIELD(ipch_ctl_peer, since_ns, IPCHANNEL_A_SINCE_NS, FIELD_U64),
};

static const struct field lock_fields[] = {
	FIELD(ipch_ctl_lock, name, IPCHANNEL_A_LOCK, FIELD_STR),
	FIELD(ipch_ctl_lock, pos, IPCHANNEL_A_LOCK_POS, FIELD_U32),
	FIELD(ipch_ctl_lock, peer_id, IPCHANNEL_A_PEER_ID, FIELD_U32),
	FIELD(ipch_ctl_lock, cookie, IPCHANNEL_A_COOKIE, FIELD_U64),
	FIELD(ipch_ctl_lock, since_ns, IPCHANNEL_A_SINCE_NS, FIELD_U64),
	FIELD(ipch_ctl_lock, nr_waiters, IPCHANNEL_A_NR_WAITERS, FIELD_U32),
};

static const struct field stats_fields[] = {
	FIELD(ipch_ctl_stats, max_msg_size, IPCHANNEL_A_MAX_MSG_SIZE,
	      FIELD_U32),
	FIELD(ipch_ctl_stats, max_queue_records,
	      IPCHANNEL_A_MAX_QUEUE_RECORDS, FIELD_U32),
	FIELD(ipch_ctl_stats, max_queue_bytes, IPCHANNEL_A_MAX_QUEUE_BYTES,
	      FIELD_U32),
	FIELD(ipch_ctl_stats, max_locks, IPCHANNEL_A_MAX_LOCKS, FIELD_U32),
	FIELD(ipch_ctl_stats, max_lock_requests,
	      IPCHANNEL_A_MAX_LOCK_REQUESTS, FIELD_U32),
	FIELD(ipch_ctl_stats, channels, IPCHANNEL_A_STAT_CHANNELS, FIELD_U64),
	FIELD(ipch_ctl_stats, peers, IPCHANNEL_A_STAT_PEERS, FIELD_U64),
	FIELD(ipch_ctl_stats, messages, IPCHANNEL_A_STAT_MESSAGES, FIELD_U64),
	FIELD(ipch_ctl_stats, records, IPCHANNEL_A_STAT_RECORDS, FIELD_U64),
	FIELD(ipch_ctl_stats, locks, IPCHANNEL_A_STAT_LOCKS, FIELD_U64),
	FIELD(ipch_ctl_stats, lock_requests, IPCHANNEL_A_STAT_LOCK_REQUESTS,
	      FIELD_U64),
};

static const struct field event_fields[] = {
	FIELD(ipch_ctl_event, channel, IPCHANNEL_A_CHANNEL, FIELD_STR),
	FIELD(ipch_ctl_event, peer_id, IPCHANNEL_A_PEER_ID, FIELD_U32),
	FIELD(ipch_ctl_event, pid, IPCHANNEL_A_PID, FIELD_U32),
	FIELD(ipch_ctl_event, uid, IPCHANNEL_A_UID, FIELD_U32),
	FIELD(ipch_ctl_event, nr_peers, IPCHANNEL_A_NR_PEERS, FIELD_U32),
	FIELD(ipch_ctl_event, comm, IPCHANNEL_A_COMM, FIELD_STR),
	FIELD(ipch_ctl_event, lock, IPCHANNEL_A_LOCK, FIELD_STR),
	FIELD(ipch_ctl_event, cookie, IPCHANNEL_A_COOKIE, FIELD_U64),
	FIELD(ipch_ctl_event, prev_peer_id, IPCHANNEL_A_PREV_PEER_ID,
	      FIELD_U32),
	FIELD(ipch_ctl_event, prev_cookie, IPCHANNEL_A_PREV_COOKIE,
	      FIELD_U64),
};

/* What one reply message becomes. */
struct kind {
	uint8_t cmd;			/* of the request */
	uint16_t key;			/* attribute every reply carries */
	size_t size;			/* of the structure */
	const struct field *fields;
	size_t nr_fields;
};

#define KIND(c, k, s, f) \
	{ c, k, sizeof(struct s), f, sizeof(f) / sizeof(f[0]) }

static const struct kind kinds[] = {
	[IPCH_CTL_CHANNEL] = KIND(IPCHANNEL_CMD_GET_CHANNEL,
				  IPCHANNEL_A_CHANNEL, ipch_ctl_channel,
				  channel_fields),
	[IPCH_CTL_PEER] = KIND(IPCHANNEL_CMD_GET_PEER, IPCHANNEL_A_PEER_ID,
			       ipch_ctl_peer, peer_fields),
	[IPCH_CTL_LOCK] = KIND(IPCHANNEL_CMD_GET_LOCK, IPCHANNEL_A_LOCK,
			       ipch_ctl_lock, lock_fields),
	[IPCH_CTL_STATS] = KIND(IPCHANNEL_CMD_GET_STATS, 0, ipch_ctl_stats,
				stats_fields),
	[IPCH_CTL_EVENT] = KIND(0, IPCHANNEL_A_CHANNEL, ipch_ctl_event,
				event_fields),
};

/*
 * Every value is checked against this before it is read: a short integer
 * or an unterminated string makes a malformed reply, not a bad read.
 */
#define U32	{ .type = NLA_U32 }
#define U64	{ .type = NLA_U64 }
#define STR(n)	{ .type = NLA_STRING, .maxlen = n }

static const struct nla_policy policy[IPCHANNEL_A_MAX + 1] = {
	[IPCHANNEL_A_CHANNEL] = STR(IPCHANNEL_NAME_LEN),
	[IPCHANNEL_A_UID] = U32,
	[IPCHANNEL_A_GID] = U32,
	[IPCHANNEL_A_MODE] = U32,
	[IPCHANNEL_A_NR_PEERS] = U32,
	[IPCHANNEL_A_NR_LOCKS] = U32,
	[IPCHANNEL_A_BLOCKED] = U32,
	[IPCHANNEL_A_SEQ] = U64,
	[IPCHANNEL_A_MESSAGES] = U64,
	[IPCHANNEL_A_QUEUED_RECORDS] = U64,
	[IPCHANNEL_A_QUEUED_BYTES] = U64,
	[IPCHANNEL_A_PEER_ID] = U32,
	[IPCHANNEL_A_PID] = U32,
	[IPCHANNEL_A_COMM] = STR(sizeof(((struct ipch_ctl_peer *)0)->comm)),
	[IPCHANNEL_A_SENT] = U64,
	[IPCHANNEL_A_RECEIVED] = U64,
	[IPCHANNEL_A_SINCE_NS] = U64,
	[IPCHANNEL_A_LOCK] = STR(IPCHANNEL_NAME_LEN),
	[IPCHANNEL_A_LOCK_POS] = U32,
	[IPCHANNEL_A_COOKIE] = U64,
	[IPCHANNEL_A_NR_WAITERS] = U32,
	[IPCHANNEL_A_PREV_PEER_ID] = U32,
	[IPCHANNEL_A_PREV_COOKIE] = U64,
	[IPCHANNEL_A_STAT_CHANNELS] = U64,
	[IPCHANNEL_A_STAT_PEERS] = U64,
	[IPCHANNEL_A_STAT_MESSAGES] = U64,
	[IPCHANNEL_A_STAT_RECORDS] = U64,
	[IPCHANNEL_A_STAT_LOCKS] = U64,
	[IPCHANNEL_A_STAT_LOCK_REQUESTS] = U64,
	[IPCHANNEL_A_MAX_MSG_SIZE] = U32,
	[IPCHANNEL_A_MAX_QUEUE_RECORDS] = U32,
	[IPCHANNEL_A_MAX_QUEUE_BYTES] = U32,
	[IPCHANNEL_A_MAX_LOCKS] = U32,
	[IPCHANNEL_A_MAX_LOCK_REQUESTS] = U32,
};

static void fill_field(void *obj, const struct field *f,
		       const struct nlattr *nla)
{
	char *p = (char *)obj + f->offset;
	uint32_t v32;
	uint64_t v64;

	switch (f->type) {
	case FIELD_U32:
		v32 = nla_get_u32((struct nlattr *)nla);
		memcpy(p, &v32, sizeof(v32));
		break;
	case FIELD_U64:
		v64 = nla_get_u64((struct nlattr *)nla);
		memcpy(p, &v64, sizeof(v64));
		break;
	case FIELD_STR:
		nla_strlcpy(p, nla, f->size);
		break;
	}
}

/*
 * ipch_ctl_parse - fill the structure of @kind from one reply or event
 * @hdr: the netlink message, of our family
 * @obj: the structure, zeroed first; attributes it lacks stay 0
 *
 * Return: 0, or -EPROTO when the message is malformed or lacks the
 * attribute that names what it describes.
 */
int ipch_ctl_parse(enum ipch_ctl_kind kind, struct nlmsghdr *hdr,
		   void *obj)
{
	const struct kind *k = &kinds[kind];
	struct nlattr *tb[IPCHANNEL_A_MAX + 1];
	size_t i;

	memset(obj, 0, k->size);
	if (!genlmsg_valid_hdr(hdr, 0) ||
	    genlmsg_parse(hdr, 0, tb, IPCHANNEL_A_MAX, policy) < 0)
		return -EPROTO;
	if (k->key && !tb[k->key])
		return -EPROTO;

	for (i = 0; i < k->nr_fields; i++)
		if (tb[k->fields[i].attr])
			fill_field(obj, &k->fields[i], tb[k->fields[i].attr]);
	if (kind == IPCH_CTL_STATS)
		((struct ipch_ctl_stats *)obj)->has_counters =
			tb[IPCHANNEL_A_STAT_CHANNELS] != NULL;
	if (kind == IPCH_CTL_EVENT)
		((struct ipch_ctl_event *)obj)->type = genlmsg_hdr(hdr)->cmd;
	return 0;
}

/* ---- requests ---- */

/* One request and what its replies gave so far. */
struct request {
	struct ipch_ctl *ctl;
	enum ipch_ctl_kind kind;
	bool dump;
	uint32_t seq;
	bool done;			/* the reply is complete */
	bool intr;			/* NLM_F_DUMP_INTR seen */
	int err;			/* first error, -errno */
	char *items;			/* nr structures of the kind */
	size_t nr;
	size_t max;
};

/* Replies to an earlier request that gave up early are skipped. */
static int on_msg_in(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == req->seq ? NL_OK : NL_SKIP;
}

static int on_any(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->intr = true;
	return NL_OK;
}

static int add_item(struct request *req, struct nlmsghdr *hdr)
{
	size_t size = kinds[req->kind].size;
	char *items;

	if (!req->dump && req->nr)
		return -EPROTO;		/* one request, one reply */
	if (req->nr == req->max) {
		size_t max = req->max ? req->max * 2 : 16;

		items = realloc(req->items, max * size);
		if (!items)
			return -ENOMEM;
		req->items = items;
		req->max = max;
	}
	return ipch_ctl_parse(req->kind, hdr, req->items + req->nr++ * size);
}

/* After an error, the rest of a dump is still read, and dropped. */
static int on_reply(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);

	if (req->err)
		return NL_OK;
	if (hdr->nlmsg_type != req->ctl->family)
		req->err = -EPROTO;
	else
		req->err = add_item(req, hdr);
	return NL_OK;
}

/*
 * The end of a dump, or the acknowledgement of a request. A dump that
 * failed part way says so in its NLMSG_DONE, which libnl does not read.
 */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	int err;

	if (hdr->nlmsg_type == NLMSG_DONE &&
	    nlmsg_datalen(hdr) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(hdr), sizeof(err));
		if (err < 0 && !req->err)
			req->err = err;
	}
	req->done = true;
	return NL_STOP;
}

/* The kernel's own errno, exactly: libnl would translate it. */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;

	(void)nla;
	if (!req->err)
		req->err = e->error < 0 ? e->error : -EPROTO;
	req->done = true;
	return NL_STOP;
}

static void set_callbacks(struct nl_cb *cb, struct request *req)
{
	nl_cb_set(cb, NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg_in, req);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_any, NULL);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, req);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_reply, req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, req);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, req);
}

/*
 * Build and send the request. A dump ends with NLMSG_DONE; any other
 * request asks for an acknowledgement, so that its end is known even if
 * the kernel sent no reply.
 */
static int send_request(struct request *req, const char *channel)
{
	struct ipch_ctl *ctl = req->ctl;
	struct nl_msg *msg = nlmsg_alloc();
	int ret = -ENOMEM;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctl->family, 0,
			 req->dump ? NLM_F_DUMP : NLM_F_ACK,
			 kinds[req->kind].cmd, IPCHANNEL_GENL_VERSION))
		goto out;
	if (channel && nla_put_string(msg, IPCHANNEL_A_CHANNEL, channel) < 0)
		goto out;
	ret = ipch_nl_errno(nl_send_auto(ctl->req, msg));
	req->seq = nlmsg_hdr(msg)->nlmsg_seq;
out:
	nlmsg_free(msg);
	return ret < 0 ? ret : 0;
}

/* Send a request and collect its replies into req->items. */
static int request(struct request *req, const char *channel)
{
	int ret;

	ret = send_request(req, channel);
	if (ret)
		return ret;

	set_callbacks(req->ctl->req_cb, req);
	while (!req->done) {
		ret = nl_recvmsgs(req->ctl->req, req->ctl->req_cb);
		if (ret < 0 && !req->done)
			return ipch_nl_errno(ret);
	}
	return req->err;
}

static void request_init(struct request *req, struct ipch_ctl *ctl,
			 enum ipch_ctl_kind kind, bool dump)
{
	memset(req, 0, sizeof(*req));
	req->ctl = ctl;
	req->kind = kind;
	req->dump = dump;
}

/*
 * A dump is read again while the kernel says that it changed under us
 * (NLM_F_DUMP_INTR): the caller asked for a consistent listing.
 */
static int dump(struct ipch_ctl *ctl, enum ipch_ctl_kind kind,
		const char *channel, void **out, size_t *n)
{
	struct request req;
	int tries;

	for (tries = 0; tries < DUMP_TRIES; tries++) {
		int err;

		request_init(&req, ctl, kind, true);
		err = request(&req, channel);
		if (!err && !req.intr) {
			*n = req.nr;
			*out = req.items;
			if (!req.nr) {
				free(req.items);
				*out = NULL;
			}
			return 0;
		}
		free(req.items);
		if (err)
			return err;
	}
	return -EAGAIN;
}

static int get_one(struct ipch_ctl *ctl, enum ipch_ctl_kind kind,
		   const char *channel, void *out)
{
	struct request req;
	int err;

	request_init(&req, ctl, kind, false);
	err = request(&req, channel);
	if (!err && req.nr != 1)
		err = -EPROTO;
	if (!err)
		memcpy(out, req.items, kinds[kind].size);
	free(req.items);
	return err;
}

/* ---- events ---- */

/* Append @ev to the queue; -ENOBUFS when it holds EVENTS_MAX already. */
static int queue_push(struct ipch_ctl *ctl, const struct ipch_ctl_event *ev)
{
	struct ipch_ctl_event *events;

	if (ctl->head == ctl->count)
		ctl->head = ctl->count = 0;
	if (ctl->count == ctl->max && ctl->head) {
		ctl->count -= ctl->head;
		memmove(ctl->events, ctl->events + ctl->head,
			ctl->count * sizeof(*ev));
		ctl->head = 0;
	}
	if (ctl->count == ctl->max) {
		unsigned int max;

		if (ctl->max >= EVENTS_MAX)
			return -ENOBUFS;
		max = ctl->max ? ctl->max * 2 : 16;
		events = realloc(ctl->events, max * sizeof(*ev));
		if (!events)
			return -ENOMEM;
		ctl->events = events;
		ctl->max = max;
	}
	ctl->events[ctl->count++] = *ev;
	return 0;
}

static bool is_event(uint8_t cmd)
{
	return cmd == IPCHANNEL_CMD_PEER_JOINED ||
	       cmd == IPCHANNEL_CMD_PEER_LEFT ||
	       cmd == IPCHANNEL_CMD_LOCK_HANDOVER;
}

/*
 * Queue every event of a datagram: libnl hands them over one by one. Once
 * an event is lost, the later ones are dropped too until the caller has
 * seen the error, so that what it gets stays in order around the gap.
 */
static int on_event(struct nl_msg *msg, void *arg)
{
	struct ipch_ctl *ctl = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct ipch_ctl_event ev;
	int err;

	if (hdr->nlmsg_type != ctl->family || !genlmsg_valid_hdr(hdr, 0) ||
	    !is_event(genlmsg_hdr(hdr)->cmd) || ctl->ev_err)
		return NL_SKIP;
	err = ipch_ctl_parse(IPCH_CTL_EVENT, hdr, &ev);
	if (!err)
		err = queue_push(ctl, &ev);
	if (err)
		ctl->ev_err = err;
	return NL_OK;
}

/* ---- the handle ---- */

/*
 * A netlink socket opened close-on-exec from the start, which libnl's
 * own nl_connect() does not promise in every version.
 */
static int sock_open(struct nl_sock **skp, struct nl_cb **cbp)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, err;

	*skp = nl_socket_alloc();
	*cbp = nl_cb_alloc(NL_CB_DEFAULT);
	if (!*skp || !*cbp)
		return -ENOMEM;
	nl_cb_overwrite_recv(*cbp, recv_datagram);
	nl_cb_set(*cbp, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_any, NULL);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err_close;
	err = nl_socket_set_fd(*skp, NETLINK_GENERIC, fd);
	if (err < 0) {
		close(fd);
		return ipch_nl_errno(err);
	}
	return 0;

err_close:
	err = -errno;
	close(fd);
	return err;
}

IPCH_EXPORT int ipch_ctl_open(struct ipch_ctl **out)
{
	struct ipch_ctl *ctl;
	int err;

	if (!out)
		return -EINVAL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;

	err = sock_open(&ctl->req, &ctl->req_cb);
	if (!err)
		err = sock_open(&ctl->ev, &ctl->ev_cb);
	if (err)
		goto err_close;

	/* Asking for the family is what loads the module if it is missing. */
	ctl->family = genl_ctrl_resolve(ctl->req, IPCHANNEL_GENL_NAME);
	if (ctl->family < 0) {
		err = ipch_nl_errno(ctl->family);
		goto err_close;
	}
	nl_socket_disable_auto_ack(ctl->req);
	nl_cb_set(ctl->ev_cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, ctl);
	*out = ctl;
	return 0;

err_close:
	ipch_ctl_close(ctl);
	return err == -ENOENT ? -EPROTONOSUPPORT : err;
}

IPCH_EXPORT void ipch_ctl_close(struct ipch_ctl *ctl)
{
	if (!ctl)
		return;
	nl_socket_free(ctl->req);
	nl_socket_free(ctl->ev);
	nl_cb_put(ctl->req_cb);
	nl_cb_put(ctl->ev_cb);
	free(ctl->events);
	free(ctl);
}

IPCH_EXPORT int ipch_ctl_fd(const struct ipch_ctl *ctl)
{
	return ctl ? nl_socket_get_fd(ctl->ev) : -EINVAL;
}

/* ---- dumps ---- */

IPCH_EXPORT int ipch_ctl_channels(struct ipch_ctl *ctl,
				  struct ipch_ctl_channel **out, size_t *n)
{
	void *items = NULL;
	int err;

	if (!ctl || !out || !n)
		return -EINVAL;
	*n = 0;
	err = dump(ctl, IPCH_CTL_CHANNEL, NULL, &items, n);
	*out = items;
	return err;
}

IPCH_EXPORT int ipch_ctl_channel(struct ipch_ctl *ctl, const char *name,
				 struct ipch_ctl_channel *out)
{
	int err;

	if (!ctl || !out)
		return -EINVAL;
	err = ipch_name_check(name, true);
	if (err)
		return err;
	return get_one(ctl, IPCH_CTL_CHANNEL, name, out);
}

IPCH_EXPORT int ipch_ctl_peers(struct ipch_ctl *ctl, const char *channel,
			       struct ipch_ctl_peer **out, size_t *n)
{
	void *items = NULL;
	int err;

	if (!ctl || !out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	err = ipch_name_check(channel, true);
	if (!err)
		err = dump(ctl, IPCH_CTL_PEER, channel, &items, n);
	*out = items;
	return err;
}

IPCH_EXPORT int ipch_ctl_locks(struct ipch_ctl *ctl, const char *channel,
			       struct ipch_ctl_lock **out, size_t *n)
{
	void *items = NULL;
	int err;

	if (!ctl || !out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	err = ipch_name_check(channel, true);
	if (!err)
		err = dump(ctl, IPCH_CTL_LOCK, channel, &items, n);
	*out = items;
	return err;
}

IPCH_EXPORT int ipch_ctl_stats(struct ipch_ctl *ctl,
			       struct ipch_ctl_stats *out)
{
	if (!ctl || !out)
		return -EINVAL;
	return get_one(ctl, IPCH_CTL_STATS, NULL, out);
}

/* ---- subscribing ---- */

/*
 * The group is looked up on the event socket before it joins anything,
 * so that libnl's lookup reads only its own reply; later calls reuse it.
 */
IPCH_EXPORT int ipch_ctl_subscribe(struct ipch_ctl *ctl)
{
	int fd, rcvbuf = EVENT_RCVBUF;

	if (!ctl)
		return -EINVAL;
	if (!ctl->group) {
		int grp;

		grp = genl_ctrl_resolve_grp(ctl->ev, IPCHANNEL_GENL_NAME,
					    IPCHANNEL_GENL_MCGRP);
		if (grp < 0) {
			grp = ipch_nl_errno(grp);
			return grp == -ENOENT ? -EPROTONOSUPPORT : grp;
		}
		ctl->group = grp;
	}

	fd = nl_socket_get_fd(ctl->ev);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &ctl->group,
		       sizeof(ctl->group)) < 0)
		return -errno;
	/* A larger buffer only makes -ENOBUFS rarer; failing is harmless. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	return ret ? 0 : -ETIMEDOUT;
}

IPCH_EXPORT int ipch_ctl_event(struct ipch_ctl *ctl,
			       struct ipch_ctl_event *ev, int timeout_ms)
{
	int64_t end = timeout_ms < 0 ? -1 : ipch_now_ms() + timeout_ms;
	int ret;

	if (!ctl || !ev)
		return -EINVAL;
	for (;;) {
		if (ctl->head < ctl->count) {
			*ev = ctl->events[ctl->head++];
			return 0;
		}
		if (ctl->ev_err) {
			ret = ctl->ev_err;
			ctl->ev_err = 0;
			return ret;
		}

		/* poll() first: the socket blocks, and a timeout must hold */
		ret = wait_readable(nl_socket_get_fd(ctl->ev),
				    ipch_time_left(end));
		if (ret)
			return ret;
		ret = nl_recvmsgs(ctl->ev, ctl->ev_cb);
		if (ret < 0)
			return ipch_nl_errno(ret);
	}
}
