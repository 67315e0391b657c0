// SPDX-License-Identifier: GPL-2.0
/*
 * msgs.c - message benchmarks: round trip, one-way throughput, broadcast
 * and kernel memory per queued message, against AF_UNIX SOCK_SEQPACKET,
 * pipes and POSIX message queues
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ipchannel.h>

#include "bench.h"

#define MAX_SIZE	16384
#define MAX_BATCH	32

/* What the processes of one measurement share; set before they fork. */
struct ctx {
	const struct job *job;
	struct gate gate;
	char channel[IPCHANNEL_NAME_LEN];
	uint32_t peer;			/* ipchannel peer to send to */
	int fd[MAX_PROCS][2];		/* socket pairs or pipes */
	mqd_t mq[2];
};

static char payload[MAX_SIZE];

static struct ipch *join(const char *channel)
{
	struct ipch *ipc;
	int err;

	err = ipch_open(&ipc, channel, NULL);
	if (err)
		fail("ipch_open", -err);
	return ipc;
}

static void check(int err, const char *what)
{
	if (err < 0)
		fail(what, -err);
}

static void ipch_expect(struct ipch *ipc, struct ipch_msg *m, size_t len)
{
	check(ipch_recv(ipc, m, -1), "ipch_recv");
	if (m->len != len)
		fail("ipch_recv: wrong length", EPROTO);
}

static void sock_pairs(struct ctx *c, int n, int type)
{
	int i;

	for (i = 0; i < n; i++)
		if (socketpair(AF_UNIX, type, 0, c->fd[i]))
			fail("socketpair", errno);
}

static void close_pairs(struct ctx *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		close(c->fd[i][0]);
		close(c->fd[i][1]);
	}
}

static void send_all(int fd, const void *buf, size_t len)
{
	if (send(fd, buf, len, 0) != (ssize_t)len)
		fail("send", errno);
}

static void recv_one(int fd, void *buf, size_t len)
{
	if (recv(fd, buf, MAX_SIZE, 0) != (ssize_t)len)
		fail("recv", errno);
}

/*
 * Spawns the first process (an echo or a receiver), then the second, which
 * may need the first one's peer id; returns the ns until the second is
 * done (the pinger) or, for a receiver, until the first is.
 */
static uint64_t pair_run(struct ctx *c, void (*first)(void *, int),
			 void (*second)(void *, int))
{
	uint64_t ns;

	gate_spawn(&c->gate, first, c, 0);
	c->peer = gate_ready(&c->gate);
	gate_spawn(&c->gate, second, c, 1);
	gate_ready(&c->gate);
	ns = gate_run(&c->gate, 1);
	gate_reap(&c->gate);
	return ns;
}

/* --- round trip ----------------------------------------------------------- */

static void rtt_ipch_echo(void *arg, int index)
{
	struct ctx *c = arg;
	struct ipch *ipc = join(c->channel);
	struct ipch_msg m;
	long i;

	gate_child_ready(&c->gate, ipch_peer_id(ipc));
	for (i = 0; i < c->job->count; i++) {
		ipch_expect(ipc, &m, c->job->size);
		check(ipch_send(ipc, m.sender, m.data, m.len), "ipch_send");
	}
	ipch_close(ipc);
}

static void rtt_ipch_ping(void *arg, int index)
{
	struct ctx *c = arg;
	struct ipch *ipc = join(c->channel);
	struct ipch_msg m;
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		check(ipch_send(ipc, c->peer, payload, c->job->size),
		      "ipch_send");
		ipch_expect(ipc, &m, c->job->size);
	}
	gate_child_done(&c->gate);
	ipch_close(ipc);
}

/* Pipes: fd[0] carries the pings, fd[1] the echoes. */
static void rtt_fd_echo(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[MAX_SIZE];
	size_t len = c->job->size;
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		read_full(c->fd[0][0], buf, len);
		write_all(c->fd[1][1], buf, len);
	}
}

static void rtt_fd_ping(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[MAX_SIZE];
	size_t len = c->job->size;
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		write_all(c->fd[0][1], payload, len);
		read_full(c->fd[1][0], buf, len);
	}
	gate_child_done(&c->gate);
}

static void rtt_sock_echo(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[MAX_SIZE];
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		recv_one(c->fd[0][1], buf, c->job->size);
		send_all(c->fd[0][1], buf, c->job->size);
	}
}

static void rtt_sock_ping(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[MAX_SIZE];
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		send_all(c->fd[0][0], payload, c->job->size);
		recv_one(c->fd[0][0], buf, c->job->size);
	}
	gate_child_done(&c->gate);
}

static void rtt_mq_echo(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[MAX_SIZE];
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		if (mq_receive(c->mq[0], buf, MAX_SIZE, NULL) != c->job->size)
			fail("mq_receive", errno);
		if (mq_send(c->mq[1], buf, c->job->size, 0))
			fail("mq_send", errno);
	}
}

static void rtt_mq_ping(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[MAX_SIZE];
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++) {
		if (mq_send(c->mq[0], payload, c->job->size, 0))
			fail("mq_send", errno);
		if (mq_receive(c->mq[1], buf, MAX_SIZE, NULL) != c->job->size)
			fail("mq_receive", errno);
	}
	gate_child_done(&c->gate);
}

static int rtt_ipch(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	channel_name(c.channel, sizeof(c.channel));
	gate_init(&c.gate);
	figs[0] = pair_run(&c, rtt_ipch_echo, rtt_ipch_ping) / 1e3 /
		  job->count;
	return 0;
}

static int rtt_seqpacket(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	sock_pairs(&c, 1, SOCK_SEQPACKET);
	gate_init(&c.gate);
	figs[0] = pair_run(&c, rtt_sock_echo, rtt_sock_ping) / 1e3 /
		  job->count;
	close_pairs(&c, 1);
	return 0;
}

static int rtt_pipe(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	if (pipe(c.fd[0]) || pipe(c.fd[1]))
		fail("pipe", errno);
	gate_init(&c.gate);
	figs[0] = pair_run(&c, rtt_fd_echo, rtt_fd_ping) / 1e3 /
		  job->count;
	close_pairs(&c, 2);
	return 0;
}

/*
 * The default msgsize_max (8192) is below the largest payload; root
 * raises it, as an application that picked message queues would.
 */
static void mq_allow(long size)
{
	FILE *f = fopen("/proc/sys/fs/mqueue/msgsize_max", "r+");
	long max;

	if (!f)
		return;
	if (fscanf(f, "%ld", &max) == 1 && max < size) {
		rewind(f);
		fprintf(f, "%ld\n", size);
	}
	fclose(f);
}

static int rtt_mqueue(const struct job *job, double *figs)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = job->size };
	struct ctx c = { .job = job };
	char name[2][64];
	int i;

	mq_allow(job->size);
	for (i = 0; i < 2; i++) {
		snprintf(name[i], sizeof(name[i]), "/ipch-bench-%d-%d",
			 (int)getpid(), i);
		c.mq[i] = mq_open(name[i], O_RDWR | O_CREAT | O_EXCL, 0600,
				  &attr);
		if (c.mq[i] == (mqd_t)-1) {
			fprintf(stderr, "bench: mq_open of %d bytes: %s\n",
				job->size, strerror(errno));
			if (i)
				mq_close(c.mq[0]);
			return -1;
		}
		mq_unlink(name[i]);
	}
	gate_init(&c.gate);
	figs[0] = pair_run(&c, rtt_mq_echo, rtt_mq_ping) / 1e3 /
		  job->count;
	mq_close(c.mq[0]);
	mq_close(c.mq[1]);
	return 0;
}

void bench_rtt(void)
{
	static const struct method methods[] = {
		{ "ipchannel", rtt_ipch },
		{ "unix-seqpacket", rtt_seqpacket },
		{ "pipe", rtt_pipe },
		{ "mqueue", rtt_mqueue },
	};
	static const struct unit units[] = { { "us/trip", false } };
	static const int sizes[] = { 64, 1024, 16384 };
	char param[16];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct job job = { .size = sizes[i], .count = scaled(5000) };

		snprintf(param, sizeof(param), "%d", sizes[i]);
		compare("rtt", param, &job, methods, 4, units, 1);
	}
}

/* --- one-way throughput --------------------------------------------------- */

static void tput_ipch_recv(void *arg, int index)
{
	struct ctx *c = arg;
	struct ipch *ipc = join(c->channel);
	struct ipch_msg m;
	long i;

	gate_child_ready(&c->gate, ipch_peer_id(ipc));
	for (i = 0; i < c->job->count; i++)
		ipch_expect(ipc, &m, c->job->size);
	gate_child_done(&c->gate);
	ipch_close(ipc);
}

static void tput_ipch_send(void *arg, int index)
{
	struct ctx *c = arg;
	struct ipch *ipc = join(c->channel);
	struct ipch_out out[MAX_BATCH];
	long sent = 0;
	int i, n;

	for (i = 0; i < MAX_BATCH; i++)
		out[i] = (struct ipch_out){
			.to = c->peer, .data = payload, .len = c->job->size,
		};
	gate_child_ready(&c->gate, 0);
	while (sent < c->job->count) {
		n = c->job->batch;
		if (n > c->job->count - sent)
			n = c->job->count - sent;
		if (n == 1)
			check(ipch_send(ipc, c->peer, payload, c->job->size),
			      "ipch_send");
		else if (ipch_sendv(ipc, out, n) != n)
			fail("ipch_sendv", EIO);
		sent += n;
	}
	ipch_close(ipc);
}

static void mmsg_init(struct mmsghdr *v, struct iovec *iov, char *buf,
		      size_t len)
{
	int i;

	memset(v, 0, MAX_BATCH * sizeof(*v));
	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = buf ? buf + i * len : payload;
		iov[i].iov_len = len;
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
	}
}

static void tput_sock_recv(void *arg, int index)
{
	static char buf[MAX_BATCH * 64];
	struct ctx *c = arg;
	struct mmsghdr v[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	long got = 0;
	int n;

	mmsg_init(v, iov, buf, 64);
	gate_child_ready(&c->gate, 0);
	while (got < c->job->count) {
		if (c->job->batch == 1) {
			recv_one(c->fd[0][1], buf, c->job->size);
			got++;
			continue;
		}
		n = recvmmsg(c->fd[0][1], v, MAX_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			fail("recvmmsg", errno);
		got += n;
	}
	gate_child_done(&c->gate);
}

static void tput_sock_send(void *arg, int index)
{
	struct ctx *c = arg;
	struct mmsghdr v[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	long sent = 0;
	int n;

	mmsg_init(v, iov, NULL, c->job->size);
	gate_child_ready(&c->gate, 0);
	while (sent < c->job->count) {
		n = c->job->batch;
		if (n > c->job->count - sent)
			n = c->job->count - sent;
		if (n == 1)
			send_all(c->fd[0][0], payload, c->job->size);
		else if (sendmmsg(c->fd[0][0], v, n, 0) != n)
			fail("sendmmsg", errno);
		sent += n;
	}
}

static int tput_ipch(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	channel_name(c.channel, sizeof(c.channel));
	gate_init(&c.gate);
	figs[0] = job->count * 1e9 /
		  pair_run(&c, tput_ipch_recv, tput_ipch_send);
	return 0;
}

static int tput_seqpacket(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	sock_pairs(&c, 1, SOCK_SEQPACKET);
	gate_init(&c.gate);
	figs[0] = job->count * 1e9 /
		  pair_run(&c, tput_sock_recv, tput_sock_send);
	close_pairs(&c, 1);
	return 0;
}

void bench_throughput(void)
{
	static const struct method methods[] = {
		{ "ipchannel", tput_ipch },
		{ "unix-seqpacket", tput_seqpacket },
	};
	static const struct unit units[] = { { "msgs/s", true } };
	static const int batches[] = { 1, MAX_BATCH };
	char param[16];
	size_t i;

	for (i = 0; i < 2; i++) {
		struct job job = {
			.size = 64, .batch = batches[i],
			.count = scaled(20000),
		};

		snprintf(param, sizeof(param), "batch=%d", batches[i]);
		compare("throughput", param, &job, methods, 2, units, 1);
	}
}

/* --- broadcast ------------------------------------------------------------ */

static void bcast_ipch_recv(void *arg, int index)
{
	tput_ipch_recv(arg, index);
}

static void bcast_ipch_send(void *arg, int index)
{
	struct ctx *c = arg;
	struct ipch *ipc = join(c->channel);
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++)
		check(ipch_broadcast(ipc, NULL, payload, c->job->size,
				     IPCH_NOSELF), "ipch_broadcast");
	ipch_close(ipc);
}

static void bcast_sock_recv(void *arg, int index)
{
	struct ctx *c = arg;
	char buf[64];
	long i;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++)
		recv_one(c->fd[index][1], buf, c->job->size);
	gate_child_done(&c->gate);
}

static void bcast_sock_send(void *arg, int index)
{
	struct ctx *c = arg;
	long i;
	int r;

	gate_child_ready(&c->gate, 0);
	for (i = 0; i < c->job->count; i++)
		for (r = 0; r < c->job->procs; r++)
			send_all(c->fd[r][0], payload, c->job->size);
}

static double bcast_run(struct ctx *c, void (*recv_fn)(void *, int),
			void (*send_fn)(void *, int))
{
	uint64_t ns;
	int r;

	for (r = 0; r < c->job->procs; r++) {
		gate_spawn(&c->gate, recv_fn, c, r);
		gate_ready(&c->gate);
	}
	gate_spawn(&c->gate, send_fn, c, c->job->procs);
	gate_ready(&c->gate);
	ns = gate_run(&c->gate, c->job->procs);
	gate_reap(&c->gate);
	return ns / 1e3 / c->job->count;
}

static int bcast_ipch(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	channel_name(c.channel, sizeof(c.channel));
	gate_init(&c.gate);
	figs[0] = bcast_run(&c, bcast_ipch_recv, bcast_ipch_send);
	return 0;
}

static int bcast_seqpacket(const struct job *job, double *figs)
{
	struct ctx c = { .job = job };

	sock_pairs(&c, job->procs, SOCK_SEQPACKET);
	gate_init(&c.gate);
	figs[0] = bcast_run(&c, bcast_sock_recv, bcast_sock_send);
	close_pairs(&c, job->procs);
	return 0;
}

void bench_broadcast(void)
{
	static const struct method methods[] = {
		{ "ipchannel", bcast_ipch },
		{ "unix-seqpacket", bcast_seqpacket },
	};
	static const struct unit units[] = { { "us/msg", false } };
	static const int receivers[] = { 1, 4, 16, 64 };
	char param[16];
	size_t i;

	for (i = 0; i < 4; i++) {
		struct job job = {
			.size = 64, .procs = receivers[i],
			.count = scaled(2000),
		};

		snprintf(param, sizeof(param), "%d", receivers[i]);
		compare("broadcast", param, &job, methods, 2, units, 1);
	}
}

/* --- kernel memory per queued message ------------------------------------- */

/*
 * Bytes in allocated slab objects, from /proc/slabinfo. SLUB counts the
 * free objects of per-CPU slabs as allocated, so every cache is shrunk
 * first, which flushes them (root only; without it the figure is rough).
 */
static long slab_bytes(void)
{
	long active, total, size, bytes = 0;
	char line[512], path[300];
	struct dirent *d;
	DIR *dir;
	FILE *f;

	dir = opendir("/sys/kernel/slab");
	while (dir && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 d->d_name);
		f = fopen(path, "w");
		if (f) {
			fputs("1\n", f);
			fclose(f);
		}
	}
	if (dir)
		closedir(dir);

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		fail("/proc/slabinfo", errno);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %ld %ld %ld", &active, &total,
			   &size) == 3)
			bytes += active * size;
	fclose(f);
	return bytes;
}

/* Reads or (if @set) writes a module parameter; -1 if it cannot. */
static long param(const char *name, long set)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/ipchannel/parameters/%s",
		 name);
	f = fopen(path, set < 0 ? "r" : "w");
	if (!f)
		return -1;
	if (set < 0 && fscanf(f, "%ld", &val) != 1)
		val = -1;
	if (set >= 0)
		val = fprintf(f, "%ld\n", set) > 0 ? set : -1;
	if (fclose(f))
		val = -1;
	return val;
}

static int mem_ipch(const struct job *job, double *figs)
{
	struct ipch_out out[MAX_BATCH];
	char channel[IPCHANNEL_NAME_LEN];
	long old_records, old_bytes, before, n, sent = 0;
	struct ipch *a, *b;
	int i, ret;

	/* Room for them all, as root; otherwise what the limits allow. */
	old_records = param("max_queue_records", -1);
	old_bytes = param("max_queue_bytes", -1);
	n = job->count;
	if (param("max_queue_records", n) < 0 ||
	    param("max_queue_bytes", n * 256) < 0)
		n = old_records > 0 && old_records < n ? old_records : n;

	channel_name(channel, sizeof(channel));
	a = join(channel);
	b = join(channel);
	for (i = 0; i < MAX_BATCH; i++)
		out[i] = (struct ipch_out){
			.to = (uint32_t)ipch_peer_id(b), .data = payload,
			.len = job->size,
		};

	before = slab_bytes();
	while (sent < n) {
		ret = ipch_sendv(a, out, n - sent < MAX_BATCH ?
				 n - sent : MAX_BATCH);
		if (ret <= 0)
			fail("ipch_sendv", ret ? -ret : EIO);
		sent += ret;
	}
	figs[0] = (double)(slab_bytes() - before) / sent;

	ipch_close(b);
	ipch_close(a);
	if (old_records > 0)
		param("max_queue_records", old_records);
	if (old_bytes > 0)
		param("max_queue_bytes", old_bytes);
	return 0;
}

static int mem_seqpacket(const struct job *job, double *figs)
{
	int big = 256 << 20, sk[2];
	long before, sent = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sk))
		fail("socketpair", errno);
	/* Room for them all, as root; otherwise wmem_max's worth. */
	if (setsockopt(sk[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
		setsockopt(sk[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));

	before = slab_bytes();
	while (sent < job->count) {
		if (send(sk[0], payload, job->size, 0) < 0) {
			if (errno == EAGAIN && sent)
				break;
			fail("send", errno);
		}
		sent++;
	}
	figs[0] = (double)(slab_bytes() - before) / sent;

	close(sk[0]);
	close(sk[1]);
	return 0;
}

void bench_memory(void)
{
	static const struct method methods[] = {
		{ "ipchannel", mem_ipch },
		{ "unix-seqpacket", mem_seqpacket },
	};
	static const struct unit units[] = { { "bytes/msg", false } };
	struct job job = { .size = 64, .count = smoke ? 1024 : 16384 };

	compare("memory", "64", &job, methods, 2, units, 1);
}
