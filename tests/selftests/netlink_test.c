// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_test.c - the "ipchannel" generic netlink family: dumps against
 * a known state, visibility, strict checks of requests, limits, events
 *
 * Dumps and events go through libipchannel's control handle; requests
 * that the library would never build go through a raw netlink socket,
 * which also reads the extended ack. The events
 * group needs CAP_NET_ADMIN, so those tests skip as uid 1000, except the
 * one that proves the EPERM. Events are proven by their arrival, never
 * by a sleep.
 */
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "ipch_test.h"
#include <ipchannel.h>

#define WAIT_MS		10000	/* an event due now; QEMU is slow */
#define OTHER_UID	1000	/* the unprivileged user of the test VM */
#define MANY_PEERS	300	/* more than one dump message holds */
/* Joins and leaves: more events than a socket holds. */
#define FLOOD_CYCLES	1000

#define NEED_CAP_NET_ADMIN() do { \
	if (geteuid() != 0) \
		SKIP(return, "the events group needs CAP_NET_ADMIN"); \
} while (0)

/* Subscribes @ctl, or skips where the module has no events group. */
#define NEED_EVENTS(ctl) do { \
	int err_ = ipch_ctl_subscribe(ctl); \
	if (err_ == -EPROTONOSUPPORT) \
		SKIP(return, "no events group (no GENL_MCAST_CAP_NET_ADMIN)"); \
	ASSERT_EQ(0, err_); \
} while (0)

static const struct ipch_ctl_channel *
find_channel(const struct ipch_ctl_channel *chans, size_t n,
	     const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(chans[i].name, name))
			return &chans[i];
	return NULL;
}

/* The command name the kernel took for this process at join. */
static const char *my_comm(void)
{
	static char comm[16];

	if (prctl(PR_GET_NAME, comm))
		return "?";
	return comm;
}

/* Drops root for the test VM's user ipch; 0 or -1. */
static int become_other_user(void)
{
	if (setgroups(0, NULL) || setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
		return -1;
	return 0;
}

static int exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Bytes of a receive record with @len payload bytes and no event name. */
static uint64_t record_bytes(size_t len)
{
	return IPCHANNEL_ALIGN(sizeof(struct ipchannel_recv) + len);
}

/* ---- raw netlink, for requests the library never makes ---- */

/*
 * Linux 6.1 gives a dump's start callback no extended ack (netlink's dump
 * control carries none yet), so what the family refuses there, the
 * channel of GET_PEER and GET_LOCK, comes back without a message.
 */
static bool start_has_extack(void)
{
	int major = 0, minor = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor > 1);
}

/* A request under construction: headers, then attributes. */
struct req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[512];
};

struct raw {
	int fd;
	uint16_t family;
	uint32_t seq;
};

/* What one request got back. */
struct reply {
	int err;		/* the kernel's -errno, or 0 */
	int replies;		/* messages of the family */
	bool done;
	char extack[256];	/* NLMSGERR_ATTR_MSG of an error */
	uint16_t family;	/* CTRL_ATTR_FAMILY_ID of a controller reply */
};

static void req_init(struct req *q, uint16_t type, uint8_t cmd, bool dump)
{
	memset(q, 0, sizeof(*q));
	q->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	q->nh.nlmsg_type = type;
	q->nh.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	q->gh.cmd = cmd;
	q->gh.version = IPCHANNEL_GENL_VERSION;
}

/* Appends attribute @type of @len bytes; the padding stays zero. */
static void put_attr(struct req *q, int type, const void *data, int len)
{
	struct nlattr *a;

	a = (struct nlattr *)((char *)q + NLMSG_ALIGN(q->nh.nlmsg_len));
	a->nla_type = (uint16_t)type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	q->nh.nlmsg_len = NLMSG_ALIGN(q->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static const struct nlattr *find_attr(const void *start, int len, int type)
{
	const struct nlattr *a = start;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

/* The extended ack's message, after the error and the echoed request. */
static void extack_msg(const struct nlmsghdr *nh, char *buf, size_t size)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t ack = sizeof(*e);
	const struct nlattr *a;
	int len;

	buf[0] = '\0';
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		ack += e->msg.nlmsg_len - NLMSG_HDRLEN;
	ack = NLMSG_ALIGN(ack);
	len = (int)nh->nlmsg_len - NLMSG_HDRLEN - (int)ack;
	a = find_attr((const char *)e + ack, len, NLMSGERR_ATTR_MSG);
	if (a)
		snprintf(buf, size, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
			 (const char *)a + NLA_HDRLEN);
}

/* Takes one message of the answer to request @seq into @rep. */
static void take(const struct nlmsghdr *nh, uint32_t seq, struct reply *rep)
{
	const struct genlmsghdr *gh = NLMSG_DATA(nh);
	const struct nlattr *a;
	int err;

	if (nh->nlmsg_seq != seq)
		return;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		err = ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
		if (err)
			extack_msg(nh, rep->extack, sizeof(rep->extack));
		rep->err = err;
		rep->done = true;
	} else if (nh->nlmsg_type == NLMSG_DONE) {
		memcpy(&err, NLMSG_DATA(nh), sizeof(err));
		rep->err = err;
		rep->done = true;
	} else {
		rep->replies++;
		a = find_attr((const char *)gh + GENL_HDRLEN,
			      (int)nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
			      CTRL_ATTR_FAMILY_ID);
		if (nh->nlmsg_type == GENL_ID_CTRL && a)
			memcpy(&rep->family, (const char *)a + NLA_HDRLEN,
			       sizeof(rep->family));
	}
}

/* Sends @q and reads until its answer is complete. */
static void raw_send(struct raw *r, struct req *q, struct reply *rep)
{
	static char buf[65536];
	struct nlmsghdr *nh;
	ssize_t n;

	memset(rep, 0, sizeof(*rep));
	q->nh.nlmsg_seq = ++r->seq;
	if (send(r->fd, q, q->nh.nlmsg_len, 0) < 0) {
		rep->err = -errno;
		return;
	}
	while (!rep->done) {
		n = recv(r->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			rep->err = -errno;
			return;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n))
			take(nh, r->seq, rep);
	}
}

static int raw_open(struct raw *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct reply rep;
	struct req q;
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(r->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)))
		return -1;
	req_init(&q, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, false);
	q.gh.version = 1;
	put_attr(&q, CTRL_ATTR_FAMILY_NAME, IPCHANNEL_GENL_NAME,
		 sizeof(IPCHANNEL_GENL_NAME));
	raw_send(r, &q, &rep);
	r->family = rep.family;
	return rep.err || !rep.family ? -1 : 0;
}

/* ---- limits and counters ---- */

TEST(stats_limits_equal_the_module_parameters)
{
	static const char * const params[] = {
		"max_msg_size", "max_queue_records", "max_queue_bytes",
		"max_locks", "max_lock_requests",
	};
	struct ipch_ctl_stats st;
	struct ipch_ctl *ctl;
	uint32_t got[5];
	int i;

	NEED_DEVICE();
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	memset(&st, PATTERN, sizeof(st));
	ASSERT_EQ(0, ipch_ctl_stats(ctl, &st));
	got[0] = st.max_msg_size;
	got[1] = st.max_queue_records;
	got[2] = st.max_queue_bytes;
	got[3] = st.max_locks;
	got[4] = st.max_lock_requests;
	for (i = 0; i < 5; i++)
		EXPECT_EQ(param_get(params[i]), (long)got[i]) {
			TH_LOG("%s", params[i]);
		}
	EXPECT_EQ(geteuid() == 0, st.has_counters);
	if (!st.has_counters) {
		EXPECT_EQ(0, st.channels);
		EXPECT_EQ(0, st.peers);
	}
	ipch_ctl_close(ctl);
}

TEST(stats_counters_agree_with_the_stats_ioctl)
{
	struct ipchannel_stats want;
	struct ipch_ctl_stats st;
	struct ipch_ctl *ctl;
	int a, b;

	NEED_DEVICE();
	NEED_ROOT();
	a = peer_open(chan_name("nlstats"), 0);
	b = peer_open(chan_name("nlstats"), 0);
	ASSERT_LT(0, send_str(a, 2, "queued"));
	ASSERT_EQ(0, lock(a, "L", 1));
	ASSERT_EQ(0, ipch_ctl_open(&ctl));

	ASSERT_EQ(0, get_stats(&want));
	ASSERT_EQ(0, ipch_ctl_stats(ctl, &st));
	EXPECT_EQ(1, st.has_counters);
	EXPECT_EQ(want.channels, st.channels);
	EXPECT_EQ(want.peers, st.peers);
	EXPECT_EQ(want.messages, st.messages);
	EXPECT_EQ(want.records, st.records);
	EXPECT_EQ(want.locks, st.locks);
	EXPECT_EQ(want.lock_waiters, st.lock_requests);
	EXPECT_LE(1, st.channels);
	EXPECT_LE(2, st.peers);
	ipch_ctl_close(ctl);
	close(a);
	close(b);
}

/* ---- dumps against a known state ---- */

TEST(channel_dump_reports_known_counters)
{
	const char *name = chan_name("nlchan");
	const struct ipch_ctl_channel *ch;
	struct ipch_ctl_channel *chans, one;
	struct ipchannel_info info;
	struct ipch_ctl *ctl;
	int a, b, bytes_a, bytes_b;
	size_t n;

	NEED_DEVICE();
	a = peer_open(name, 0);
	b = peer_open(name, 0);
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	ASSERT_LT(0, send_str(a, 2, "one"));
	ASSERT_LT(0, send_str(a, 2, "two"));
	ASSERT_LT(0, send_str(a, IPCHANNEL_PEER_ALL, "all"));
	ASSERT_EQ(0, lock(b, "L", 7));
	ASSERT_EQ(0, ioctl(a, FIONREAD, &bytes_a));
	ASSERT_EQ(0, ioctl(b, FIONREAD, &bytes_b));
	ASSERT_EQ(0, get_info(a, &info));

	ASSERT_EQ(0, ipch_ctl_channels(ctl, &chans, &n));
	ch = find_channel(chans, n, name);
	ASSERT_NE(NULL, ch);
	EXPECT_EQ(geteuid(), ch->uid);
	EXPECT_EQ(getegid(), ch->gid);
	EXPECT_EQ(0600, ch->mode);
	EXPECT_EQ(2, ch->nr_peers);
	EXPECT_EQ(1, ch->nr_locks);
	EXPECT_EQ(0, ch->blocked);
	EXPECT_EQ(3, ch->messages);
	EXPECT_EQ(info.next_seq - 1, ch->seq);
	EXPECT_EQ(4, ch->queued_records);
	EXPECT_EQ((uint64_t)(bytes_a + bytes_b), ch->queued_bytes);

	memset(&one, PATTERN, sizeof(one));
	ASSERT_EQ(0, ipch_ctl_channel(ctl, name, &one));
	EXPECT_EQ(0, memcmp(ch, &one, sizeof(one)));
	free(chans);
	ipch_ctl_close(ctl);
	close(a);
	close(b);
}

TEST(channel_leaves_the_dump_with_its_last_peer)
{
	const char *name = chan_name("nlgone");
	struct ipch_ctl_channel *chans, one;
	struct ipch_ctl *ctl;
	size_t n;
	int a;

	NEED_DEVICE();
	a = peer_open(name, 0);
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	ASSERT_EQ(0, ipch_ctl_channel(ctl, name, &one));
	close(a);
	EXPECT_EQ(-ENOENT, ipch_ctl_channel(ctl, name, &one));
	ASSERT_EQ(0, ipch_ctl_channels(ctl, &chans, &n));
	EXPECT_EQ(NULL, find_channel(chans, n, name));
	free(chans);
	ipch_ctl_close(ctl);
}

TEST(peer_dump_reports_ids_pids_uids_comm_and_counters)
{
	const char *name = chan_name("nlpeer");
	uint64_t start = mono_ns();
	struct ipch_ctl_peer *p;
	struct ipch_ctl *ctl;
	struct rx rx;
	int a, id;
	pid_t child;
	size_t n;

	NEED_DEVICE();
	a = peer_open(name, 0);
	child = child_peer(name, "ipch-peer2", &id);
	ASSERT_LT(0, child);
	ASSERT_EQ(2, id);
	ASSERT_LT(0, send_str(a, 1, "self"));
	ASSERT_LT(0, send_str(a, 2, "x1"));
	ASSERT_LT(0, send_str(a, 2, "x2"));
	ASSERT_LT(0, recv_one(a, &rx));
	ASSERT_EQ(0, ipch_ctl_open(&ctl));

	ASSERT_EQ(0, ipch_ctl_peers(ctl, name, &p, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(1, p[0].id);
	EXPECT_EQ((uint32_t)getpid(), p[0].pid);
	EXPECT_EQ(geteuid(), p[0].uid);
	EXPECT_STREQ(my_comm(), p[0].comm);
	EXPECT_EQ(3, p[0].sent);
	EXPECT_EQ(1, p[0].received);
	EXPECT_EQ(0, p[0].queued_records);
	EXPECT_EQ(0, p[0].queued_bytes);
	EXPECT_LE(start, p[0].since_ns);

	EXPECT_EQ(2, p[1].id);
	EXPECT_EQ((uint32_t)child, p[1].pid);
	EXPECT_EQ(geteuid(), p[1].uid);
	EXPECT_STREQ("ipch-peer2", p[1].comm);
	EXPECT_EQ(0, p[1].sent);
	EXPECT_EQ(0, p[1].received);
	EXPECT_EQ(2, p[1].queued_records);
	EXPECT_EQ(2 * record_bytes(2), p[1].queued_bytes);
	EXPECT_LE(p[0].since_ns, p[1].since_ns);
	EXPECT_GE(mono_ns(), p[1].since_ns);
	free(p);

	ASSERT_EQ(0, kill_and_wait(child));
	ASSERT_EQ(0, ipch_ctl_peers(ctl, name, &p, &n));
	ASSERT_EQ(1, n);
	EXPECT_EQ(1, p[0].id);
	free(p);
	ipch_ctl_close(ctl);
	close(a);
}

TEST(peer_dump_spans_several_messages)
{
	const char *name = chan_name("nlmany");
	struct ipch_ctl_peer *p;
	struct ipch_ctl *ctl;
	int fd[MANY_PEERS];
	size_t n, i;

	NEED_DEVICE();
	for (i = 0; i < MANY_PEERS; i++)
		fd[i] = peer_open(name, 0);
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	ASSERT_EQ(0, ipch_ctl_peers(ctl, name, &p, &n));
	ASSERT_EQ(MANY_PEERS, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(i + 1, p[i].id);
	free(p);
	ipch_ctl_close(ctl);
	for (i = 0; i < MANY_PEERS; i++)
		close(fd[i]);
}

struct churn {
	const char *name;
	atomic_bool stop;
	long cycles;
};

static void *join_and_leave(void *arg)
{
	struct churn *c = arg;
	int fd;

	while (!atomic_load(&c->stop)) {
		fd = dev_open(0);
		if (fd < 0 || join(fd, c->name) < 0)
			break;
		close(fd);
		c->cycles++;
	}
	return NULL;
}

/*
 * A dump that a join or leave interrupted is read again: what comes back
 * is one consistent list, or -EAGAIN if the channel never held still.
 */
TEST(peer_dump_under_churn_is_whole_or_eagain)
{
	struct churn c = { .name = chan_name("nlchurn") };
	int fd[MANY_PEERS], ret, whole = 0, again = 0, round;
	struct ipch_ctl_peer *p;
	struct ipch_ctl *ctl;
	pthread_t thread;
	size_t n, i;

	NEED_DEVICE();
	for (i = 0; i < MANY_PEERS; i++)
		fd[i] = peer_open(c.name, 0);
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	ASSERT_EQ(0, pthread_create(&thread, NULL, join_and_leave, &c));
	for (round = 0; round < 50; round++) {
		ret = ipch_ctl_peers(ctl, c.name, &p, &n);
		if (ret == -EAGAIN) {
			again++;
			continue;
		}
		ASSERT_EQ(0, ret);
		ASSERT_LE(MANY_PEERS, n);
		ASSERT_GE(MANY_PEERS + 1, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ(i + 1, p[i].id);
		free(p);
		whole++;
	}
	atomic_store(&c.stop, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("%d whole, %d -EAGAIN, %ld joins", whole, again, c.cycles);
	EXPECT_LT(0, c.cycles);
	ipch_ctl_close(ctl);
	for (i = 0; i < MANY_PEERS; i++)
		close(fd[i]);
}

/* Checks one lock request of a dump. */
static bool is_request(const struct ipch_ctl_lock *l, const char *name,
		       uint32_t pos, uint32_t peer, uint64_t cookie)
{
	return !strcmp(l->name, name) && l->pos == pos &&
	       l->peer_id == peer && l->cookie == cookie;
}

static int lock_async(int fd, const char *name, uint64_t cookie)
{
	return lock_call(fd, IPCHANNEL_IOC_LOCK, name, cookie, 0,
			 IPCHANNEL_LOCK_ASYNC);
}

/* The requests of lock @name, which must be contiguous, into @out. */
static size_t lock_requests(const struct ipch_ctl_lock *l, size_t n,
			    const char *name, const struct ipch_ctl_lock **out)
{
	size_t i, got = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(l[i].name, name) &&
		    (got == 0 || !strcmp(l[i - 1].name, name)))
			out[got++] = &l[i];
	return got;
}

TEST(lock_dump_lists_holder_then_waiters_in_request_order)
{
	const char *name = chan_name("nllock");
	const struct ipch_ctl_lock *req[8];
	struct ipch_ctl_lock *l;
	struct ipch_ctl *ctl;
	int fd[4], i;
	size_t n;

	NEED_DEVICE();
	for (i = 0; i < 4; i++)
		fd[i] = peer_open(name, 0);
	ASSERT_EQ(0, lock(fd[0], "L", 100));
	/* Queued out of id order, and one peer twice. */
	ASSERT_EQ(0, lock_async(fd[2], "L", 301));
	ASSERT_EQ(0, lock_async(fd[1], "L", 201));
	ASSERT_EQ(0, lock_async(fd[3], "L", 401));
	ASSERT_EQ(0, lock_async(fd[1], "L", 202));
	ASSERT_EQ(0, lock(fd[0], "M", 5));
	ASSERT_EQ(0, ipch_ctl_open(&ctl));

	ASSERT_EQ(0, ipch_ctl_locks(ctl, name, &l, &n));
	ASSERT_EQ(6, n);
	ASSERT_EQ(5, lock_requests(l, n, "L", req));
	EXPECT_TRUE(is_request(req[0], "L", 0, 1, 100));
	EXPECT_EQ(4, req[0]->nr_waiters);
	EXPECT_TRUE(is_request(req[1], "L", 1, 3, 301));
	EXPECT_TRUE(is_request(req[2], "L", 2, 2, 201));
	EXPECT_TRUE(is_request(req[3], "L", 3, 4, 401));
	EXPECT_TRUE(is_request(req[4], "L", 4, 2, 202));
	for (i = 1; i < 5; i++)
		EXPECT_LE(req[i - 1]->since_ns, req[i]->since_ns);
	ASSERT_EQ(1, lock_requests(l, n, "M", req));
	EXPECT_TRUE(is_request(req[0], "M", 0, 1, 5));
	EXPECT_EQ(0, req[0]->nr_waiters);
	free(l);

	/* Released, the lock passes to the first waiter; the rest move up. */
	ASSERT_EQ(0, unlock(fd[0], "L", 100));
	ASSERT_EQ(0, ipch_ctl_locks(ctl, name, &l, &n));
	ASSERT_EQ(4, lock_requests(l, n, "L", req));
	EXPECT_TRUE(is_request(req[0], "L", 0, 3, 301));
	EXPECT_EQ(3, req[0]->nr_waiters);
	EXPECT_TRUE(is_request(req[1], "L", 1, 2, 201));
	EXPECT_TRUE(is_request(req[2], "L", 2, 4, 401));
	EXPECT_TRUE(is_request(req[3], "L", 3, 2, 202));
	free(l);
	ipch_ctl_close(ctl);
	for (i = 0; i < 4; i++)
		close(fd[i]);
}

TEST(lock_dump_of_a_channel_without_locks_is_empty)
{
	struct ipch_ctl_lock *l = (struct ipch_ctl_lock *)&l;
	struct ipch_ctl *ctl;
	size_t n = 99;
	int a;

	NEED_DEVICE();
	a = peer_open(chan_name("nlnolock"), 0);
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	ASSERT_EQ(0, ipch_ctl_locks(ctl, chan_name("nlnolock"), &l, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(NULL, l);
	ipch_ctl_close(ctl);
	close(a);
}

/* ---- visibility ---- */

TEST(owner_sees_its_own_private_channel)
{
	const char *name = chan_name("nlmine");
	struct ipch_ctl_channel *chans, one;
	struct ipch_ctl *ctl;
	size_t n;
	int a = dev_open(0);

	NEED_DEVICE();
	ASSERT_EQ(1, join_mode(a, name, IPCHANNEL_JOIN_CREATE, 0600));
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	ASSERT_EQ(0, ipch_ctl_channels(ctl, &chans, &n));
	EXPECT_NE(NULL, find_channel(chans, n, name));
	ASSERT_EQ(0, ipch_ctl_channel(ctl, name, &one));
	EXPECT_EQ(0600, one.mode);
	free(chans);
	ipch_ctl_close(ctl);
	close(a);
}

/*
 * In a child that dropped root: 0 if @private (0600, root's) is hidden
 * everywhere and @public (0666) is seen, else the failed check's number.
 */
static int other_users_view(const char *private, const char *public)
{
	struct ipch_ctl_channel *chans, ch;
	struct ipch_ctl_peer *peers;
	struct ipch_ctl_lock *locks;
	struct ipch_ctl_stats st;
	struct ipch_ctl *ctl;
	size_t n;

	if (become_other_user())
		return 1;
	if (ipch_ctl_open(&ctl))
		return 2;
	if (ipch_ctl_channels(ctl, &chans, &n))
		return 3;
	if (find_channel(chans, n, private))
		return 4;
	if (!find_channel(chans, n, public))
		return 5;
	if (ipch_ctl_channel(ctl, private, &ch) != -ENOENT)
		return 6;
	if (ipch_ctl_peers(ctl, private, &peers, &n) != -ENOENT)
		return 7;
	if (ipch_ctl_locks(ctl, private, &locks, &n) != -ENOENT)
		return 8;
	if (ipch_ctl_channel(ctl, public, &ch) || ch.mode != 0666)
		return 9;
	if (ipch_ctl_peers(ctl, public, &peers, &n) || n != 1)
		return 10;
	if (ipch_ctl_stats(ctl, &st) || st.has_counters || !st.max_locks)
		return 11;
	return 0;
}

TEST(other_user_sees_only_channels_it_could_join)
{
	const char *private = chan_name("nlprivate");
	const char *public = chan_name("nlpublic");
	int a = dev_open(0), b = dev_open(0);
	pid_t pid;

	NEED_DEVICE();
	NEED_ROOT();
	ASSERT_EQ(1, join_mode(a, private, IPCHANNEL_JOIN_CREATE, 0600));
	ASSERT_EQ(1, join_mode(b, public, IPCHANNEL_JOIN_CREATE, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(other_users_view(private, public));
	EXPECT_EQ(0, exit_status(pid));
	close(a);
	close(b);
}

/* ---- strict requests ---- */

FIXTURE(bad) {
	struct raw raw;
	const char *name;
	int fd;
};

FIXTURE_VARIANT(bad) {
	uint8_t cmd;
	bool dump;
	bool with_channel;	/* a valid CHANNEL first */
	int attr;		/* then this attribute; -1: none */
	const char *data;
	int len;		/* of data; 0: strlen + 1, or none */
	bool reserved;		/* genlmsghdr.reserved set */
	int err;
	bool extack;		/* an extended ack message is expected */
	bool in_start;		/* refused by the dump's start callback */
};

FIXTURE_VARIANT_ADD(bad, unknown_attribute_type) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL, .with_channel = true,
	.attr = IPCHANNEL_A_UNSPEC, .data = "\1\0\0\0", .len = 4,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, pad_attribute) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL, .with_channel = true,
	.attr = IPCHANNEL_A_PAD,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, attribute_above_max) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL, .dump = true,
	.attr = IPCHANNEL_A_MAX + 1, .data = "\1\0\0\0", .len = 4,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, attribute_far_above_max) {
	.cmd = IPCHANNEL_CMD_GET_PEER, .dump = true, .with_channel = true,
	.attr = 1000, .data = "\1\0\0\0", .len = 4,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, output_only_peer_id) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL, .with_channel = true,
	.attr = IPCHANNEL_A_PEER_ID, .data = "\1\0\0\0", .len = 4,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, output_only_uid_in_dump) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL, .dump = true,
	.attr = IPCHANNEL_A_UID, .data = "\0\0\0\0", .len = 4,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, output_only_lock_in_lock_dump) {
	.cmd = IPCHANNEL_CMD_GET_LOCK, .dump = true, .with_channel = true,
	.attr = IPCHANNEL_A_LOCK, .data = "L",
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, channel_without_nul) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL,
	.attr = IPCHANNEL_A_CHANNEL, .data = "abc", .len = 3,
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, channel_of_64_bytes) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL,
	.attr = IPCHANNEL_A_CHANNEL,
	.data = "0123456789012345678901234567890123456789"
		"012345678901234567890123",
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, channel_empty) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL,
	.attr = IPCHANNEL_A_CHANNEL, .data = "",
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, channel_with_space) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL,
	.attr = IPCHANNEL_A_CHANNEL, .data = "a b",
	.err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, channel_with_slash) {
	.cmd = IPCHANNEL_CMD_GET_PEER, .dump = true,
	.attr = IPCHANNEL_A_CHANNEL, .data = "a/b",
	.err = EINVAL, .extack = true, .in_start = true,
};

FIXTURE_VARIANT_ADD(bad, channel_with_control_byte) {
	.cmd = IPCHANNEL_CMD_GET_LOCK, .dump = true,
	.attr = IPCHANNEL_A_CHANNEL, .data = "a\tb",
	.err = EINVAL, .extack = true, .in_start = true,
};

FIXTURE_VARIANT_ADD(bad, peer_dump_without_channel) {
	.cmd = IPCHANNEL_CMD_GET_PEER, .dump = true, .attr = -1,
	.err = EINVAL, .extack = true, .in_start = true,
};

FIXTURE_VARIANT_ADD(bad, lock_dump_without_channel) {
	.cmd = IPCHANNEL_CMD_GET_LOCK, .dump = true, .attr = -1,
	.err = EINVAL, .extack = true, .in_start = true,
};

FIXTURE_VARIANT_ADD(bad, reserved_header_byte) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL, .dump = true, .attr = -1,
	.reserved = true, .err = EINVAL, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, unknown_channel) {
	.cmd = IPCHANNEL_CMD_GET_CHANNEL,
	.attr = IPCHANNEL_A_CHANNEL, .data = "t-no-such-channel",
	.err = ENOENT, .extack = true,
};

FIXTURE_VARIANT_ADD(bad, peers_of_unknown_channel) {
	.cmd = IPCHANNEL_CMD_GET_PEER, .dump = true,
	.attr = IPCHANNEL_A_CHANNEL, .data = "t-no-such-channel",
	.err = ENOENT, .extack = true, .in_start = true,
};

FIXTURE_VARIANT_ADD(bad, locks_of_unknown_channel) {
	.cmd = IPCHANNEL_CMD_GET_LOCK, .dump = true,
	.attr = IPCHANNEL_A_CHANNEL, .data = "t-no-such-channel",
	.err = ENOENT, .extack = true, .in_start = true,
};

FIXTURE_VARIANT_ADD(bad, stats_dump) {
	.cmd = IPCHANNEL_CMD_GET_STATS, .dump = true, .attr = -1,
	.err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(bad, peer_request_without_dump) {
	.cmd = IPCHANNEL_CMD_GET_PEER, .with_channel = true, .attr = -1,
	.err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(bad, event_command_as_request) {
	.cmd = IPCHANNEL_CMD_PEER_JOINED, .attr = -1,
	.err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(bad, unknown_command) {
	.cmd = IPCHANNEL_CMD_MAX + 1, .attr = -1,
	.err = EOPNOTSUPP,
};

FIXTURE_SETUP(bad)
{
	self->raw.fd = -1;
	self->fd = -1;
	if (!have_device())
		SKIP(return, IPCH_DEV " missing: module not loaded");
	ASSERT_EQ(0, raw_open(&self->raw));
	self->name = chan_name("nlbad");
	self->fd = peer_open(self->name, 0);
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->raw.fd >= 0)
		close(self->raw.fd);
}

TEST_F(bad, request_is_refused_with_its_errno)
{
	struct reply rep;
	struct req q;
	int len = variant->len;

	req_init(&q, self->raw.family, variant->cmd, variant->dump);
	q.gh.reserved = variant->reserved;
	if (variant->with_channel)
		put_attr(&q, IPCHANNEL_A_CHANNEL, self->name,
			 strlen(self->name) + 1);
	if (!len && variant->data)
		len = strlen(variant->data) + 1;
	if (variant->attr >= 0)
		put_attr(&q, variant->attr, variant->data, len);

	raw_send(&self->raw, &q, &rep);
	TH_LOG("extack: \"%s\"", rep.extack);
	EXPECT_EQ(-variant->err, rep.err);
	EXPECT_EQ(0, rep.replies);
	if (variant->extack && (!variant->in_start || start_has_extack()))
		EXPECT_NE(0, rep.extack[0]);

	/* The socket still works, and the valid request is answered. */
	req_init(&q, self->raw.family, IPCHANNEL_CMD_GET_CHANNEL, false);
	put_attr(&q, IPCHANNEL_A_CHANNEL, self->name, strlen(self->name) + 1);
	raw_send(&self->raw, &q, &rep);
	EXPECT_EQ(0, rep.err);
	EXPECT_EQ(1, rep.replies);
}

TEST(library_refuses_bad_names_before_the_kernel)
{
	char long_name[IPCHANNEL_NAME_LEN + 1];
	struct ipch_ctl_channel ch;
	struct ipch_ctl_peer *p;
	struct ipch_ctl_lock *l;
	struct ipch_ctl *ctl;
	size_t n;

	NEED_DEVICE();
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	EXPECT_EQ(-EINVAL, ipch_ctl_channel(ctl, "a b", &ch));
	EXPECT_EQ(-EINVAL, ipch_ctl_channel(ctl, "", &ch));
	EXPECT_EQ(-EINVAL, ipch_ctl_peers(ctl, "a/b", &p, &n));
	EXPECT_EQ(-EINVAL, ipch_ctl_locks(ctl, NULL, &l, &n));
	EXPECT_EQ(-ENAMETOOLONG, ipch_ctl_channel(ctl, long_name, &ch));
	EXPECT_EQ(-ENOENT, ipch_ctl_channel(ctl, "t-no-such-channel", &ch));
	EXPECT_EQ(-ENOENT, ipch_ctl_peers(ctl, "t-no-such-channel", &p, &n));
	ipch_ctl_close(ctl);
}

/* ---- events ---- */

/* The next event of channel @chan; events of other channels are skipped. */
static int next_event(struct ipch_ctl *ctl, const char *chan,
		      struct ipch_ctl_event *ev)
{
	int err;

	do
		err = ipch_ctl_event(ctl, ev, WAIT_MS);
	while (!err && strcmp(ev->channel, chan));
	return err;
}

static bool is_member_event(const struct ipch_ctl_event *ev, uint32_t type,
			    uint32_t peer, pid_t pid, uint32_t nr_peers)
{
	return ev->type == type && ev->peer_id == peer &&
	       ev->pid == (uint32_t)pid && ev->uid == geteuid() &&
	       ev->nr_peers == nr_peers && !ev->lock[0] && !ev->cookie;
}

TEST(events_report_joins_and_closes)
{
	const char *name = chan_name("nlev");
	struct ipch_ctl_event ev;
	struct ipch_ctl *ctl;
	int a, b;

	NEED_DEVICE();
	NEED_CAP_NET_ADMIN();
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	NEED_EVENTS(ctl);
	EXPECT_EQ(-ETIMEDOUT, ipch_ctl_event(ctl, &ev, 0));

	a = peer_open(name, 0);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_JOINED, 1,
				    getpid(), 1));
	EXPECT_STREQ(my_comm(), ev.comm);
	b = peer_open(name, 0);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_JOINED, 2,
				    getpid(), 2));

	close(a);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_LEFT, 1,
				    getpid(), 1));
	EXPECT_STREQ(my_comm(), ev.comm);
	close(b);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_LEFT, 2,
				    getpid(), 0));
	ipch_ctl_close(ctl);
}

TEST(events_report_the_leave_of_a_killed_peer)
{
	const char *name = chan_name("nlkill");
	struct ipch_ctl_event ev;
	struct ipch_ctl *ctl;
	pid_t child;
	int a, id;

	NEED_DEVICE();
	NEED_CAP_NET_ADMIN();
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	NEED_EVENTS(ctl);
	a = peer_open(name, 0);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	child = child_peer(name, "ipch-victim", &id);
	ASSERT_LT(0, child);
	ASSERT_EQ(2, id);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_JOINED, 2, child,
				    2));
	EXPECT_STREQ("ipch-victim", ev.comm);

	ASSERT_EQ(0, kill_and_wait(child));
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_LEFT, 2, child,
				    1));
	EXPECT_STREQ("ipch-victim", ev.comm);
	ipch_ctl_close(ctl);
	close(a);
}

static bool is_handover(const struct ipch_ctl_event *ev, const char *lock,
			uint32_t peer, uint64_t cookie, uint32_t prev_peer,
			uint64_t prev_cookie)
{
	return ev->type == IPCHANNEL_CMD_LOCK_HANDOVER &&
	       !strcmp(ev->lock, lock) && ev->peer_id == peer &&
	       ev->cookie == cookie && ev->prev_peer_id == prev_peer &&
	       ev->prev_cookie == prev_cookie;
}

TEST(events_report_lock_handovers)
{
	const char *name = chan_name("nlhand");
	struct ipch_ctl_event ev, ev2;
	struct ipch_ctl *ctl;
	int fd[3], i;

	NEED_DEVICE();
	NEED_CAP_NET_ADMIN();
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	NEED_EVENTS(ctl);
	for (i = 0; i < 3; i++) {
		fd[i] = peer_open(name, 0);
		ASSERT_EQ(0, next_event(ctl, name, &ev));
	}

	/* Taking a free lock and queueing for it are no events. */
	ASSERT_EQ(0, lock(fd[0], "L", 11));
	ASSERT_EQ(0, lock_async(fd[1], "L", 22));
	ASSERT_EQ(0, lock_async(fd[2], "L", 33));
	EXPECT_EQ(-ETIMEDOUT, ipch_ctl_event(ctl, &ev, 0));

	ASSERT_EQ(0, unlock(fd[0], "L", 11));
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	EXPECT_TRUE(is_handover(&ev, "L", 2, 22, 1, 11));

	/* A holder that closes hands over too, and leaves. */
	close(fd[1]);
	ASSERT_EQ(0, next_event(ctl, name, &ev));
	ASSERT_EQ(0, next_event(ctl, name, &ev2));
	if (ev.type != IPCHANNEL_CMD_LOCK_HANDOVER) {
		struct ipch_ctl_event tmp = ev;

		ev = ev2;
		ev2 = tmp;
	}
	EXPECT_TRUE(is_handover(&ev, "L", 3, 33, 2, 22));
	EXPECT_TRUE(is_member_event(&ev2, IPCHANNEL_CMD_PEER_LEFT, 2,
				    getpid(), 2));
	EXPECT_EQ(-ETIMEDOUT, ipch_ctl_event(ctl, &ev, 0));
	ipch_ctl_close(ctl);
	close(fd[0]);
	close(fd[2]);
}

/* In a child that is not root: 0 if joining the group is -EPERM. */
static int subscribe_without_cap(void)
{
	struct ipch_ctl *ctl;

	if (geteuid() == 0 && become_other_user())
		return 1;
	if (ipch_ctl_open(&ctl))
		return 2;
	return ipch_ctl_subscribe(ctl) == -EPERM ? 0 : 3;
}

TEST(events_without_cap_net_admin_are_eperm)
{
	pid_t pid;

	NEED_DEVICE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(subscribe_without_cap());
	EXPECT_EQ(0, exit_status(pid));
}

/*
 * A listener that does not read loses events once its socket is full: it
 * is told so once, after the events before the gap, and then goes on. The
 * join of another channel afterwards proves that events flow again.
 */
TEST(events_lost_to_a_full_socket_are_enobufs_then_go_on)
{
	const char *name = chan_name("nlflood");
	const char *mark = chan_name("nlmark");
	int i, fd, err, seen = 0, lost = 0;
	struct ipch_ctl_event ev;
	struct ipch_ctl *ctl;

	NEED_DEVICE();
	NEED_CAP_NET_ADMIN();
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	NEED_EVENTS(ctl);
	for (i = 0; i < FLOOD_CYCLES; i++) {
		fd = peer_open(name, 0);
		close(fd);
	}
	/* Bounded, in case something else keeps making events. */
	while (seen < 100 * FLOOD_CYCLES &&
	       (err = ipch_ctl_event(ctl, &ev, 0)) != -ETIMEDOUT) {
		if (err == -ENOBUFS) {
			lost++;
			continue;
		}
		ASSERT_EQ(0, err);
		seen++;
	}
	TH_LOG("%d events seen, %d gaps", seen, lost);
	EXPECT_LT(0, lost);

	fd = peer_open(mark, 0);
	ASSERT_EQ(0, next_event(ctl, mark, &ev));
	EXPECT_TRUE(is_member_event(&ev, IPCHANNEL_CMD_PEER_JOINED, 1,
				    getpid(), 1));
	close(fd);
	ipch_ctl_close(ctl);
}

TEST(control_sockets_are_close_on_exec)
{
	struct ipch_ctl *ctl;

	NEED_DEVICE();
	ASSERT_EQ(0, ipch_ctl_open(&ctl));
	EXPECT_EQ(FD_CLOEXEC, fcntl(ipch_ctl_fd(ctl), F_GETFD) & FD_CLOEXEC);
	ipch_ctl_close(ctl);
}

TEST_HARNESS_MAIN
