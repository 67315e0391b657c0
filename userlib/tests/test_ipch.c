// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_ipch.c - host unit tests of libipchannel, without the device
 *
 * Handles are put on pipes with ipch_attach(): send tests read back what
 * the library wrote, receive tests write receive records for it to read.
 * Where a pipe cannot act the device (EMSGSIZE, partial writes,
 * subscriptions), a fake ipch_io stands in. The control plane's parsers
 * get netlink messages built here with libnl. Prints TAP; exits non-zero
 * if a test fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "../internal.h"
#include "tap.h"

#define PAD_BYTE	0xa5	/* fills padding, to prove it is skipped */

/* ---- helpers ---- */

struct rec {
	uint64_t seq;
	uint32_t sender;
	uint32_t flags;
	uint16_t type;
	const char *event;
	const char *data;
	uint32_t len;
	uint32_t pid;		/* 0: 1000 + sender */
};

/* Lay out one receive record as the kernel would; returns its size. */
static size_t put_rec(unsigned char *buf, const struct rec *r)
{
	struct ipchannel_recv hdr;
	size_t evlen = r->event ? strlen(r->event) : 0;
	size_t used = sizeof(hdr) + evlen + r->len;
	size_t size = IPCHANNEL_ALIGN(used);

	memset(&hdr, 0, sizeof(hdr));
	hdr.seq = r->seq;
	hdr.size = (uint32_t)size;
	hdr.sender = r->sender;
	hdr.flags = r->flags;
	hdr.pid = r->pid ? r->pid : 1000 + r->sender;
	hdr.uid = 500;
	hdr.len = r->len;
	hdr.event_len = (uint16_t)evlen;
	hdr.type = r->type;
	memcpy(buf, &hdr, sizeof(hdr));
	if (evlen)
		memcpy(buf + sizeof(hdr), r->event, evlen);
	if (r->len)
		memcpy(buf + sizeof(hdr) + evlen, r->data, r->len);
	memset(buf + used, PAD_BYTE, size - used);
	return size;
}

/* Write receive records to @fd in one write(), as one read() gets them. */
static void write_recs(int fd, const struct rec *r, int n)
{
	unsigned char buf[4096];
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += put_rec(buf + len, &r[i]);
	if (write(fd, buf, len) != (ssize_t)len)
		abort();
}

/*
 * Blocking, as the library's own file is: a receive that must not wait
 * hangs the test if the library forgets RWF_NOWAIT.
 */
static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		abort();
}

/* A handle on the read end of a new pipe; p[1] is where records go. */
static struct ipch *recv_handle(int p[2], const struct ipch_io *io)
{
	struct ipch *ipc;

	make_pipe(p);
	if (ipch_attach(&ipc, p[0], 1, 0, io ? io : &ipch_sys_io))
		abort();
	return ipc;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- names ---- */

static void test_names(void)
{
	char long_name[80];
	char dst[IPCHANNEL_NAME_LEN];

	memset(long_name, 'x', sizeof(long_name));
	long_name[IPCHANNEL_NAME_MAX] = '\0';
	is(ipch_name_check(long_name, true), 0, "name of 63 bytes is valid");
	long_name[IPCHANNEL_NAME_MAX] = 'x';
	long_name[IPCHANNEL_NAME_MAX + 1] = '\0';
	is(ipch_name_check(long_name, true), -ENAMETOOLONG,
	   "name of 64 bytes: ENAMETOOLONG");
	is(ipch_name_check("", true), -EINVAL, "empty name: EINVAL");
	is(ipch_name_check(NULL, false), -EINVAL, "NULL name: EINVAL");
	is(ipch_name_check("a b", false), -EINVAL, "space in name: EINVAL");
	is(ipch_name_check("a\x7f", false), -EINVAL, "DEL in name: EINVAL");
	is(ipch_name_check("caf\xc3\xa9", false), -EINVAL,
	   "non-ASCII name: EINVAL");
	is(ipch_name_check("a/b", true), -EINVAL, "'/' in channel: EINVAL");
	is(ipch_name_check("a/b", false), 0, "'/' in event is valid");
	is(ipch_name_check("!~", true), 0, "0x21 and 0x7e are valid");

	ipch_name_default(dst, "workers");
	ok(!strcmp(dst, "workers"), "default name: program name as is");
	ipch_name_default(dst, "my prog\xc3\xa9");
	ok(!strcmp(dst, "my_prog__"), "default name: bad bytes become '_'");
	ipch_name_default(dst, NULL);
	ok(!strcmp(dst, "ipchannel"), "default name without program name");
	memset(long_name, 'y', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ipch_name_default(dst, long_name);
	is(strlen(dst), IPCHANNEL_NAME_MAX, "default name cut to 63 bytes");
	is(ipch_name_check(dst, true), 0, "default name is valid");
}

/* ---- ipch_open argument checks ---- */

static int open_with(const char *name, uint32_t flags, uint32_t mode,
		     uint32_t reserved)
{
	struct ipch_options opts = {
		.flags = flags, .mode = mode,
		.device = "/nonexistent/ipchannel",
	};
	struct ipch *ipc = (struct ipch *)&opts;	/* must stay as is */
	int ret;

	opts.reserved[3] = reserved;
	ret = ipch_open(&ipc, name, &opts);
	if (ipc != (struct ipch *)&opts)
		ret = -9999;
	return ret;
}

static void test_open_args(void)
{
	char long_name[IPCHANNEL_NAME_LEN + 1];
	struct ipch_options opts = { .device = "/dev/null" };
	struct ipch *ipc = NULL;

	memset(long_name, 'c', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';

	is(ipch_open(NULL, "x", NULL), -EINVAL, "open: NULL out: EINVAL");
	is(open_with(long_name, 0, 0, 0), -ENAMETOOLONG,
	   "open: long channel name: ENAMETOOLONG");
	is(open_with("", 0, 0, 0), -EINVAL, "open: empty name: EINVAL");
	is(open_with("a/b", 0, 0, 0), -EINVAL, "open: '/' in name: EINVAL");
	is(open_with("x", 1U << 7, 0, 0), -EINVAL,
	   "open: unknown flag: EINVAL");
	is(open_with("x", IPCH_OPEN_NOCREATE | IPCH_OPEN_EXCL, 0, 0), -EINVAL,
	   "open: NOCREATE with EXCL: EINVAL");
	is(open_with("x", 0, 01000, 0), -EINVAL, "open: mode 01000: EINVAL");
	is(open_with("x", 0, 0, 1), -EINVAL, "open: reserved field: EINVAL");
	/* Valid arguments reach open(): the checks above did not. */
	is(open_with("x", IPCH_OPEN_EXCL, 0640, 0), -ENOENT,
	   "open: valid arguments reach the device path");
	is(open_with(NULL, 0, 0, 0), -ENOENT,
	   "open: NULL channel takes the program name");
	is(ipch_open(&ipc, "x", &opts), -ENOTTY,
	   "open: a file that is not the device fails the join");
	ok(ipc == NULL, "open: failed open leaves out alone");
}

/* ---- sending ---- */

/* Read what a send wrote into the pipe. */
static size_t drain_pipe(int fd, unsigned char *buf, size_t size)
{
	ssize_t ret = read(fd, buf, size);

	return ret < 0 ? 0 : (size_t)ret;
}

static struct ipchannel_send hdr_at(const unsigned char *buf, size_t off)
{
	struct ipchannel_send hdr;

	memcpy(&hdr, buf + off, sizeof(hdr));
	return hdr;
}

static void test_send_encoding(void)
{
	unsigned char buf[256];
	struct ipchannel_send hdr;
	struct ipch *ipc;
	int p[2];
	size_t n;

	make_pipe(p);
	if (ipch_attach(&ipc, p[1], 3, 0, &ipch_sys_io))
		abort();

	is(ipch_send(ipc, 2, "hello", 5), 0, "send: returns 0");
	n = drain_pipe(p[0], buf, sizeof(buf));
	is(n, 16 + 5, "send: one record, last padding left out");
	hdr = hdr_at(buf, 0);
	ok(hdr.target == 2 && hdr.flags == 0 && hdr.len == 5 &&
	   hdr.event_len == 0 && hdr.reserved == 0, "send: header fields");
	ok(!memcmp(buf + 16, "hello", 5), "send: payload follows header");

	is(ipch_emit(ipc, IPCHANNEL_PEER_ALL, "custom-event", "xy", 2), 0,
	   "emit: returns 0");
	n = drain_pipe(p[0], buf, sizeof(buf));
	hdr = hdr_at(buf, 0);
	ok(n == 16 + 12 + 2 && hdr.target == IPCHANNEL_PEER_ALL &&
	   hdr.event_len == 12 && hdr.len == 2, "emit: header fields");
	ok(!memcmp(buf + 16, "custom-eventxy", 14), "emit: event then payload");

	is(ipch_broadcast(ipc, NULL, NULL, 0, IPCH_NOSELF), 0,
	   "broadcast: returns 0");
	n = drain_pipe(p[0], buf, sizeof(buf));
	hdr = hdr_at(buf, 0);
	ok(n == 16 && hdr.target == IPCHANNEL_PEER_ALL &&
	   hdr.flags == IPCHANNEL_SEND_NOSELF && hdr.len == 0,
	   "broadcast: NOSELF maps to IPCHANNEL_SEND_NOSELF");

	ipch_close(ipc);
	close(p[0]);
}

static void test_sendv_encoding(void)
{
	const struct ipch_out m[3] = {
		{ .to = 1, .data = "abc", .len = 3 },
		{ .to = IPCHANNEL_PEER_ALL, .event = "ev", .data = "12345678",
		  .len = 8 },
		{ .to = 4, .event = "z" },
	};
	unsigned char buf[256];
	struct ipch *ipc;
	int p[2];
	size_t n;

	make_pipe(p);
	if (ipch_attach(&ipc, p[1], 3, 0, &ipch_sys_io))
		abort();
	is(ipch_sendv(ipc, m, 3), 3, "sendv: three messages sent");
	n = drain_pipe(p[0], buf, sizeof(buf));
	is(n, 24 + 32 + 17, "sendv: padded records, last one unpadded");
	is(hdr_at(buf, 0).len, 3, "sendv: first record");
	ok(!memcmp(buf + 19, "\0\0\0\0\0", 5), "sendv: padding is zeros");
	ok(hdr_at(buf, 24).event_len == 2 && !memcmp(buf + 40, "ev1234", 6),
	   "sendv: second record at 8-byte boundary");
	ok(hdr_at(buf, 56).target == 4 && hdr_at(buf, 56).len == 0 &&
	   buf[72] == 'z', "sendv: third record, event without payload");
	is(ipch_sendv(ipc, m, 0), 0, "sendv: zero messages");

	ipch_close(ipc);
	close(p[0]);
}

static void test_sendv_many(void)
{
	static struct ipch_out m[200];
	unsigned char *buf = malloc(65536);
	struct ipch *ipc;
	size_t n, off = 0;
	int p[2], i, in_order = 1;

	/* 24-byte records need no padding, so write boundaries do not show */
	for (i = 0; i < 200; i++) {
		m[i].to = (uint32_t)i + 1;
		m[i].data = "12345678";
		m[i].len = 8;
	}
	make_pipe(p);
	if (!buf || ipch_attach(&ipc, p[1], 3, 0, &ipch_sys_io))
		abort();
	is(ipch_sendv(ipc, m, 200), 200,
	   "sendv: 200 messages, more than one writev");
	n = drain_pipe(p[0], buf, 65536);
	for (i = 0; i < 200 && off + 24 <= n; i++, off += 24)
		in_order &= hdr_at(buf, off).target == (uint32_t)i + 1;
	ok(i == 200 && in_order, "sendv: all 200 records in order");

	ipch_close(ipc);
	close(p[0]);
	free(buf);
}

/* Fake device write: a script of results, one per writev(). */
static ssize_t fake_results[4];
static int fake_writes;

static ssize_t fake_writev(int fd, const struct iovec *iov, int iovcnt)
{
	(void)fd;
	(void)iov;
	(void)iovcnt;
	return fake_results[fake_writes++ & 3];
}

static const struct ipch_io fake_write_io = {
	.read = NULL, .writev = fake_writev,
};

static struct ipch *fake_write_handle(int p[2], uint32_t flags)
{
	struct ipch *ipc;

	make_pipe(p);	/* a file to close; the writes are fake */
	if (ipch_attach(&ipc, p[1], 3, flags, &fake_write_io))
		abort();
	fake_writes = 0;
	return ipc;
}

static void test_send_checks(void)
{
	struct ipch_out bad[2] = {
		{ .to = 2, .data = "a", .len = 1 },
		{ .to = 2, .flags = IPCH_NOSELF },
	};
	char ev[IPCHANNEL_NAME_LEN + 1];
	struct ipch *ipc;
	int p[2];

	memset(ev, 'e', sizeof(ev) - 1);
	ev[sizeof(ev) - 1] = '\0';
	ipc = fake_write_handle(p, 0);

	is(ipch_send(ipc, 0, "a", 1), -EINVAL, "send to peer 0: EINVAL");
	is(ipch_send(ipc, 2, NULL, 1), -EINVAL, "send NULL buffer: EINVAL");
	is(ipch_send(NULL, 2, "a", 1), -EINVAL, "send NULL handle: EINVAL");
	if (sizeof(size_t) > 4)
		is(ipch_send(ipc, 2, "a", (size_t)UINT32_MAX + 1), -EMSGSIZE,
		   "send 4 GiB: EMSGSIZE");
	is(ipch_emit(ipc, 2, NULL, "a", 1), -EINVAL, "emit NULL event: EINVAL");
	is(ipch_emit(ipc, 2, "", "a", 1), -EINVAL, "emit empty event: EINVAL");
	is(ipch_emit(ipc, 2, "a b", "a", 1), -EINVAL,
	   "emit event with space: EINVAL");
	is(ipch_emit(ipc, 2, ev, "a", 1), -ENAMETOOLONG,
	   "emit 64-byte event: ENAMETOOLONG");
	is(ipch_broadcast(ipc, NULL, "a", 1, 2), -EINVAL,
	   "broadcast unknown flag: EINVAL");
	is(ipch_sendv(ipc, bad, 2), -EINVAL,
	   "sendv NOSELF on unicast: EINVAL");
	is(ipch_sendv(ipc, NULL, 1), -EINVAL, "sendv NULL array: EINVAL");
	is(fake_writes, 0, "no system call for invalid arguments");

	ipch_close(ipc);
	close(p[0]);
}

static void test_send_partial(void)
{
	const struct ipch_out m[3] = {
		{ .to = 2, .data = "abc", .len = 3 },	/* 19, padded 24 */
		{ .to = 2, .data = "abc", .len = 3 },
		{ .to = 2, .data = "abc", .len = 3 },
	};
	struct ipch *ipc;
	int p[2];

	ipc = fake_write_handle(p, IPCH_OPEN_NONBLOCK);
	fake_results[0] = 24;
	fake_results[1] = -EAGAIN;
	is(ipch_sendv(ipc, m, 3), 1, "sendv: partial write counts records");
	is(fake_writes, 2, "sendv: NONBLOCK does not wait");
	fake_writes = 0;
	fake_results[0] = -EAGAIN;
	is(ipch_send(ipc, 2, "a", 1), -EAGAIN, "send: NONBLOCK gives EAGAIN");
	ipch_close(ipc);
	close(p[0]);

	ipc = fake_write_handle(p, 0);
	fake_results[0] = 19;		/* first record without padding */
	fake_results[1] = 24 + 19;	/* the rest */
	is(ipch_sendv(ipc, m, 3), 3, "sendv: short write resumed");
	is(fake_writes, 2, "sendv: resumes after the sent record");
	fake_writes = 0;
	fake_results[0] = -EINTR;
	is(ipch_send(ipc, 2, "a", 1), -EINTR,
	   "send: blocking send interrupted: EINTR, no retry");
	is(fake_writes, 1, "send: one write, the kernel did the waiting");

	fake_writes = 0;
	fake_results[0] = 24;
	fake_results[1] = -ENXIO;
	is(ipch_sendv(ipc, m, 3), 1, "sendv: error after a record: count");
	fake_writes = 0;
	fake_results[0] = -ENXIO;
	is(ipch_sendv(ipc, m, 3), -ENXIO, "sendv: error on the first: errno");
	fake_writes = 0;
	fake_results[0] = 7;
	is(ipch_send(ipc, 2, "a", 1), -EPROTO,
	   "send: a write shorter than a record: EPROTO");
	ipch_close(ipc);
	close(p[0]);
}

/* ---- receiving ---- */

static void test_record_next(void)
{
	const struct rec r = { .seq = 9, .sender = 2, .event = "ev",
			       .data = "abc", .len = 3 };
	unsigned char raw[128 + 1];
	unsigned char *buf = raw + 1;	/* deliberately misaligned */
	struct ipchannel_recv hdr;
	struct ipch_msg msg;
	size_t pos = 0, size;

	size = put_rec(buf, &r);
	is(ipch_record_next(buf, &pos, size, &msg), 1,
	   "record: misaligned record parsed");
	ok(msg.seq == 9 && msg.sender == 2 && msg.pid == 1002 &&
	   msg.uid == 500 && !strcmp(msg.event, "ev") && msg.len == 3 &&
	   !memcmp(msg.data, "abc", 3), "record: fields");
	is(pos, size, "record: position moved past padding");
	is(ipch_record_next(buf, &pos, size, &msg), 0, "record: end of buffer");

	pos = 0;
	is(ipch_record_next(buf, &pos, 40 + 2 + 3, &msg), 1,
	   "record: missing padding after the last record accepted");
	pos = 0;
	is(ipch_record_next(buf, &pos, 30, &msg), -EPROTO,
	   "record: truncated header: EPROTO");
	pos = 0;
	is(ipch_record_next(buf, &pos, 44, &msg), -EPROTO,
	   "record: truncated payload: EPROTO");

	memcpy(&hdr, buf, sizeof(hdr));
	hdr.size = 40;
	memcpy(buf, &hdr, sizeof(hdr));
	pos = 0;
	is(ipch_record_next(buf, &pos, size, &msg), -EPROTO,
	   "record: size smaller than contents: EPROTO");
	hdr.size = (uint32_t)size;
	hdr.event_len = 64;
	memcpy(buf, &hdr, sizeof(hdr));
	pos = 0;
	is(ipch_record_next(buf, &pos, 128, &msg), -EPROTO,
	   "record: 64-byte event: EPROTO");
}

static void test_recv_fields(void)
{
	const struct rec r[3] = {
		{ .seq = 1, .sender = 2, .data = "hello from 2", .len = 12 },
		{ .seq = 2, .sender = 3, .flags = IPCHANNEL_RECV_BROADCAST,
		  .event = "custom-event", .data = "x", .len = 1 },
		{ .seq = 3, .flags = IPCHANNEL_RECV_SYSTEM,
		  .type = IPCHANNEL_SYS_LOCK_GRANTED, .event = "lock" },
	};
	struct ipch_msg msg;
	struct ipch *ipc;
	int p[2];

	ipc = recv_handle(p, NULL);
	write_recs(p[1], r, 3);

	is(ipch_recv(ipc, &msg, 0), 0, "recv: first record");
	ok(msg.seq == 1 && msg.sender == 2 && msg.flags == 0 &&
	   msg.event[0] == '\0' && msg.len == 12 &&
	   !memcmp(msg.data, "hello from 2", 12), "recv: plain message");
	is(ipch_recv(ipc, &msg, 0), 0, "recv: second record");
	ok(msg.seq == 2 && msg.flags == IPCHANNEL_RECV_BROADCAST &&
	   !strcmp(msg.event, "custom-event") && msg.len == 1 &&
	   *(const char *)msg.data == 'x', "recv: event, NUL-terminated");
	is(ipch_recv(ipc, &msg, 0), 0, "recv: third record");
	ok(msg.sender == 0 && msg.flags == IPCHANNEL_RECV_SYSTEM &&
	   msg.type == IPCHANNEL_SYS_LOCK_GRANTED && msg.len == 0 &&
	   !strcmp(msg.event, "lock"), "recv: system record");
	is(ipch_recv(ipc, &msg, 0), -EAGAIN, "recv: empty, timeout 0: EAGAIN");
	is(ipch_recv(ipc, NULL, 0), -EINVAL, "recv: NULL msg: EINVAL");

	close(p[1]);
	is(ipch_recv(ipc, &msg, 0), -EPROTO, "recv: end of file: EPROTO");
	ipch_close(ipc);
}

static void test_recv_malformed(void)
{
	const struct rec good = { .seq = 5, .sender = 2, .data = "ok",
				  .len = 2 };
	unsigned char junk[48] = { 0 };
	struct ipch_msg msg;
	struct ipch *ipc;
	int p[2];

	ipc = recv_handle(p, NULL);
	junk[8] = 8;	/* size 8: smaller than a header */
	if (write(p[1], junk, sizeof(junk)) != sizeof(junk))
		abort();
	is(ipch_recv(ipc, &msg, 0), -EPROTO, "recv: malformed record: EPROTO");
	write_recs(p[1], &good, 1);
	is(ipch_recv(ipc, &msg, 0), 0, "recv: next read works again");
	is(msg.seq, 5, "recv: the record after the bad read");
	ipch_close(ipc);
	close(p[1]);
}

static void test_recv_timeout(void)
{
	struct ipch_msg msg;
	struct ipch *ipc;
	int64_t start;
	int p[2];

	ipc = recv_handle(p, NULL);
	start = ms_now();
	is(ipch_recv(ipc, &msg, 30), -EAGAIN, "recv: timeout: EAGAIN");
	ok(ms_now() - start >= 29, "recv: waited for the timeout");
	start = ms_now();
	is(ipch_run(ipc, 30), 0, "run: timeout: 0 records");
	ok(ms_now() - start >= 29, "run: waited for the timeout");
	ipch_close(ipc);
	close(p[1]);
}

static void *late_writer(void *arg)
{
	const struct rec r = { .seq = 77, .sender = 4, .data = "late",
			       .len = 4 };
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	write_recs(*(int *)arg, &r, 1);
	return NULL;
}

static void test_recv_blocking(void)
{
	struct ipch_msg msg;
	struct ipch *ipc;
	pthread_t thread;
	int p[2];

	ipc = recv_handle(p, NULL);
	if (pthread_create(&thread, NULL, late_writer, &p[1]))
		abort();
	is(ipch_recv(ipc, &msg, -1), 0, "recv: blocking waits for a record");
	is(msg.seq, 77, "recv: the record that came later");
	pthread_join(thread, NULL);
	ipch_close(ipc);
	close(p[1]);
}

/*
 * Many records in batches of 1 to 7, one batch per packet of a seqpacket
 * socket: each read() then gets whole records, as from the device.
 */
static void *flood_writer(void *arg)
{
	struct rec r[7];
	char data[100];
	int fd = *(int *)arg;
	uint64_t seq = 1;
	int i, n;

	memset(data, 'd', sizeof(data));
	fcntl(fd, F_SETFL, 0);	/* block when the socket is full */
	while (seq <= 5000) {
		n = (int)(seq % 7) + 1;
		for (i = 0; i < n && seq <= 5000; i++, seq++) {
			r[i] = (struct rec){ .seq = seq, .sender = 2,
					     .data = data,
					     .len = (uint32_t)(seq % 100) };
		}
		write_recs(fd, r, i);
	}
	return NULL;
}

static void test_recv_many(void)
{
	struct ipch_msg msg;
	struct ipch *ipc;
	pthread_t thread;
	uint64_t want = 1;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) ||
	    ipch_attach(&ipc, sv[0], 1, 0, &ipch_sys_io))
		abort();
	if (pthread_create(&thread, NULL, flood_writer, &sv[1]))
		abort();
	while (want <= 5000 && ipch_recv(ipc, &msg, 2000) == 0 &&
	       msg.seq == want && msg.len == want % 100)
		want++;
	is(want, 5001, "recv: 5000 records in order across reads");
	pthread_join(thread, NULL);
	ipch_close(ipc);
	close(sv[1]);
}

/* Fake device read: EMSGSIZE until the buffer fits the big record. */
static unsigned char *big_rec;
static size_t big_size;
static int big_reads;

static ssize_t big_read(int fd, void *buf, size_t size)
{
	(void)fd;
	big_reads++;
	if (!big_size)
		return -EAGAIN;
	if (size < big_size)
		return -EMSGSIZE;
	memcpy(buf, big_rec, big_size);
	size = big_size;
	big_size = 0;
	return (ssize_t)size;
}

static int big_info(int fd, struct ipchannel_info *info)
{
	(void)fd;
	memset(info, 0, sizeof(*info));
	info->next_size = (uint32_t)big_size;
	return 0;
}

static ssize_t big_pending(int fd)
{
	(void)fd;
	return (ssize_t)big_size;
}

static const struct ipch_io big_io = {
	.read = big_read, .info = big_info, .pending = big_pending,
};

static void test_recv_grow(void)
{
	static char payload[100000];
	struct rec r = { .seq = 3, .sender = 2, .event = "big",
			 .data = payload, .len = sizeof(payload) };
	struct ipch_msg msg;
	struct ipch *ipc;
	int p[2];

	memset(payload, 'p', sizeof(payload));
	payload[sizeof(payload) - 1] = 'q';
	big_rec = malloc(sizeof(payload) + 128);
	if (!big_rec)
		abort();

	ipc = recv_handle(p, &big_io);
	big_size = put_rec(big_rec, &r);
	is(ipch_recv(ipc, &msg, 0), 0, "recv: EMSGSIZE grows the buffer");
	ok(msg.len == sizeof(payload) && !strcmp(msg.event, "big") &&
	   ((const char *)msg.data)[sizeof(payload) - 1] == 'q',
	   "recv: the large record is whole");
	is(big_reads, 2, "recv: one failed read, one good one");

	big_size = IPCH_RECV_BUF_MAX + 8;
	is(ipch_recv(ipc, &msg, 0), -EMSGSIZE,
	   "recv: record above the library's limit: EMSGSIZE");
	big_size = 0;
	ipch_close(ipc);
	close(p[1]);
	free(big_rec);
}

/* ---- dispatch ---- */

struct calls {
	int message, custom, fallback;
	uint64_t last_seq;
	struct ipch_msg last;
};

static void on_message(struct ipch *ipc, const struct ipch_msg *msg,
		       void *arg)
{
	struct calls *c = arg;

	(void)ipc;
	c->message++;
	c->last = *msg;
}

static void on_custom(struct ipch *ipc, const struct ipch_msg *msg,
		      void *arg)
{
	struct calls *c = arg;

	(void)ipc;
	c->custom++;
	c->last = *msg;
}

static void on_other(struct ipch *ipc, const struct ipch_msg *msg,
		     void *arg)
{
	struct calls *c = arg;

	(void)ipc;
	c->fallback++;
	c->last = *msg;
}

static void test_dispatch(void)
{
	const struct rec r[5] = {
		{ .seq = 1, .sender = 2, .data = "m", .len = 1 },
		{ .seq = 2, .sender = 3, .event = "custom-event" },
		{ .seq = 3, .sender = 4, .event = "unknown" },
		{ .seq = 4, .flags = IPCHANNEL_RECV_SYSTEM,
		  .type = IPCHANNEL_SYS_LOCK_GRANTED, .event = "custom-event" },
		{ .seq = 5, .sender = 2, .event = "message" },
	};
	struct calls c = { 0 };
	struct ipch *ipc;
	int p[2];

	ipc = recv_handle(p, NULL);
	is(ipch_on(ipc, "message", on_message, &c), 0, "on: message");
	is(ipch_on(ipc, "custom-event", on_other, &c), 0, "on: custom-event");
	is(ipch_on(ipc, "custom-event", on_custom, &c), 0, "on: replaces");
	is(ipch_on(ipc, NULL, on_other, &c), 0, "on: fallback");
	is(ipch_on(ipc, "bad name", on_other, &c), -EINVAL, "on: bad name");
	is(ipch_on(ipc, "x", NULL, &c), -EINVAL, "on: NULL handler: EINVAL");

	write_recs(p[1], r, 5);
	is(ipch_dispatch(ipc), 5, "dispatch: five records");
	is(c.message, 2, "dispatch: plain message and \"message\" event");
	is(c.custom, 1, "dispatch: named event to its handler");
	is(c.fallback, 2, "dispatch: unknown event and system record");
	is(ipch_dispatch(ipc), 0, "dispatch: nothing queued: 0");

	is(ipch_off(ipc, "custom-event"), 0, "off: custom-event");
	is(ipch_off(ipc, "custom-event"), -ENOENT, "off: again: ENOENT");
	is(ipch_off(ipc, NULL), 0, "off: fallback");
	is(ipch_off(ipc, NULL), -ENOENT, "off: fallback again: ENOENT");
	write_recs(p[1], &r[1], 1);
	is(ipch_dispatch(ipc), 1, "dispatch: record without handler counted");
	ok(c.custom == 1 && c.fallback == 2, "dispatch: and dropped");

	ipch_close(ipc);
	close(p[1]);
}

/* A handler that tries what handlers may and may not do. */
struct nested {
	int recv, dispatch, run, on, off, calls;
	int wfd;
};

static void on_nested(struct ipch *ipc, const struct ipch_msg *msg,
		      void *arg)
{
	const struct rec later = { .seq = 99, .sender = 2, .data = "l",
				   .len = 1 };
	struct nested *t = arg;
	struct ipch_msg m;
	char name[16];
	int i;

	(void)msg;
	if (t->calls++)
		return;
	t->recv = ipch_recv(ipc, &m, 0);
	t->dispatch = ipch_dispatch(ipc);
	t->run = ipch_run(ipc, 0);
	/* 40 handlers: the table grows while its dispatch runs */
	for (i = 0; i < 40 && !t->on; i++) {
		snprintf(name, sizeof(name), "ev%d", i);
		t->on = ipch_on(ipc, name, on_nested, t);
	}
	t->off = ipch_off(ipc, "message");
	write_recs(t->wfd, &later, 1);	/* arrives during the dispatch */
}

static void test_dispatch_nested(void)
{
	const struct rec r[2] = {
		{ .seq = 1, .sender = 2, .data = "a", .len = 1 },
		{ .seq = 2, .sender = 2, .event = "ev0" },
	};
	struct nested t = { 0 };
	struct ipch *ipc;
	int p[2];

	ipc = recv_handle(p, NULL);
	t.wfd = p[1];
	ipch_on(ipc, "message", on_nested, &t);
	write_recs(p[1], r, 2);

	is(ipch_dispatch(ipc), 2, "dispatch: stops at what was queued");
	is(t.recv, -EBUSY, "handler: recv: EBUSY");
	is(t.dispatch, -EBUSY, "handler: dispatch: EBUSY");
	is(t.run, -EBUSY, "handler: run: EBUSY");
	is(t.on, 0, "handler: on works, table grows");
	is(t.off, 0, "handler: off of itself works");
	is(t.calls, 2, "dispatch: handler added by a handler is called");
	is(ipch_run(ipc, 0), 1, "run: takes the record that came later");
	ipch_close(ipc);
	close(p[1]);
}

static void test_run_buffered(void)
{
	const struct rec r[3] = {
		{ .seq = 1, .sender = 2 }, { .seq = 2, .sender = 2 },
		{ .seq = 3, .sender = 2 },
	};
	struct calls c = { 0 };
	struct ipch_msg msg;
	struct ipch *ipc;
	int p[2];

	ipc = recv_handle(p, NULL);
	ipch_on(ipc, "message", on_message, &c);
	write_recs(p[1], r, 3);
	is(ipch_recv(ipc, &msg, 0), 0, "recv: one of three read at once");
	is(ipch_run(ipc, 0), 2, "run: handles the buffered rest at once");
	is(c.last.seq, 3, "run: in order");
	ipch_close(ipc);
	close(p[1]);
}


/* ---- locks ---- */

/* Fake lock ioctls: the last request, and a script of results. */
static struct ipchannel_lock last_lock;
static unsigned long last_cmd;
static int lock_results[4];
static int lock_calls;
static uint64_t fake_next_seq;

static int fake_ioctl(int fd, unsigned long cmd, void *arg)
{
	(void)fd;
	last_cmd = cmd;
	if (cmd != IPCHANNEL_IOC_LOCK_INFO)
		memcpy(&last_lock, arg, sizeof(last_lock));
	return lock_results[lock_calls++ & 3];
}

static int fake_lock_info(int fd, struct ipchannel_info *info)
{
	(void)fd;
	memset(info, 0, sizeof(*info));
	info->next_seq = fake_next_seq;
	return 0;
}

static const struct ipch_io fake_lock_io = {
	.read = NULL, .info = fake_lock_info, .ioctl = fake_ioctl,
};

static struct ipch *lock_handle(int p[2])
{
	static struct ipch_io io;
	struct ipch *ipc;

	/* Reads from a pipe, so that tests can write grant records. */
	io = fake_lock_io;
	io.read = ipch_sys_io.read;
	io.pending = ipch_sys_io.pending;
	make_pipe(p);
	if (ipch_attach(&ipc, p[0], 2, 0, &io))
		abort();
	memset(lock_results, 0, sizeof(lock_results));
	lock_calls = 0;
	return ipc;
}

static void test_lock_args(void)
{
	struct timespec ts = { 0, 0 };
	char long_name[IPCHANNEL_NAME_LEN + 1];
	struct ipchannel_lock_info li;
	struct ipch *ipc;
	int p[2];

	memset(long_name, 'l', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ipc = lock_handle(p);

	is(ipch_lock(ipc, ""), -EINVAL, "lock: empty name: EINVAL");
	is(ipch_lock(ipc, NULL), -EINVAL, "lock: NULL name: EINVAL");
	is(ipch_trylock(ipc, "a b"), -EINVAL, "trylock: space: EINVAL");
	is(ipch_unlock(ipc, long_name), -ENAMETOOLONG,
	   "unlock: 64 bytes: ENAMETOOLONG");
	is(ipch_lock_info(ipc, "x", NULL), -EINVAL, "lock_info: NULL: EINVAL");
	is(ipch_lock_cookie(ipc, "x", 1, 2, NULL), -EINVAL,
	   "lock_cookie: unknown flag: EINVAL");
	ts.tv_nsec = 1000000000L;
	is(ipch_timedlock(ipc, "x", &ts), -EINVAL,
	   "timedlock: tv_nsec of a second: EINVAL");
	is(ipch_synchronize(ipc, "x", NULL, NULL), -EINVAL,
	   "synchronize: NULL function: EINVAL");
	is(ipch_lock_async(ipc, "x", 1, NULL, NULL), -EINVAL,
	   "lock_async: NULL callback: EINVAL");
	is(lock_calls, 0, "locks: no system call for invalid arguments");

	is(ipch_lock(ipc, "a/b"), 0, "lock: '/' is allowed");
	ok(last_cmd == IPCHANNEL_IOC_LOCK && !strcmp(last_lock.name, "a/b") &&
	   last_lock.cookie == (uint64_t)gettid() && !last_lock.flags &&
	   !last_lock.deadline_ns && !last_lock.reserved,
	   "lock: the calling thread's id is the cookie, no deadline");
	ipch_trylock(ipc, "x");
	is(last_lock.flags, IPCHANNEL_LOCK_TRY, "trylock: LOCK_TRY");
	ts.tv_nsec = 0;
	ipch_timedlock(ipc, "x", &ts);
	is(last_lock.deadline_ns, 1, "timedlock: time 0 is 1 ns, not none");
	ts = (struct timespec){ .tv_sec = 3, .tv_nsec = 5 };
	ipch_timedlock(ipc, "x", &ts);
	is(last_lock.deadline_ns, 3000000005ULL, "timedlock: nanoseconds");
	ts.tv_sec = (time_t)1 << 62;
	ipch_timedlock(ipc, "x", &ts);
	is(last_lock.deadline_ns, INT64_MAX, "timedlock: far future clamped");
	ipch_unlock_cookie(ipc, "x", 99);
	ok(last_cmd == IPCHANNEL_IOC_UNLOCK && last_lock.cookie == 99 &&
	   !last_lock.flags, "unlock_cookie: UNLOCK with the cookie");
	ipch_lock_info(ipc, "x", &li);
	is(last_cmd, IPCHANNEL_IOC_LOCK_INFO, "lock_info: LOCK_INFO");
	ipch_close(ipc);
	close(p[1]);
}

static int sync_calls;

static int sync_fn(void *arg)
{
	sync_calls++;
	return *(int *)arg;
}

static void test_synchronize(void)
{
	struct ipch *ipc;
	int p[2], val = 5;

	ipc = lock_handle(p);
	lock_results[0] = -EINTR;	/* lock interrupted */
	lock_results[1] = 0;		/* lock again */
	lock_results[2] = 0;		/* unlock */
	is(ipch_synchronize(ipc, "s", sync_fn, &val), 5,
	   "synchronize: returns the function's result");
	is(sync_calls, 1, "synchronize: function called once");
	is(lock_calls, 3, "synchronize: locks again after EINTR, unlocks");
	is(last_cmd, IPCHANNEL_IOC_UNLOCK, "synchronize: unlock last");

	lock_calls = 0;
	lock_results[0] = 0;
	lock_results[1] = -EPERM;
	is(ipch_synchronize(ipc, "s", sync_fn, &val), -EPERM,
	   "synchronize: failed unlock reported");
	lock_calls = 0;
	lock_results[0] = -EDEADLK;
	is(ipch_synchronize(ipc, "s", sync_fn, &val), -EDEADLK,
	   "synchronize: failed lock reported");
	is(sync_calls, 2, "synchronize: function not called then");
	ipch_close(ipc);
	close(p[1]);
}

struct grants {
	int calls;
	uint64_t cookie;
	char name[IPCHANNEL_NAME_LEN];
};

static void on_grant(struct ipch *ipc, const char *name, uint64_t cookie,
		     void *arg)
{
	struct grants *g = arg;

	(void)ipc;
	g->calls++;
	g->cookie = cookie;
	strcpy(g->name, name);
}

/* A grant record as the kernel makes it. */
static struct rec grant_rec(uint64_t seq, const char *name,
			    const uint64_t *cookie)
{
	return (struct rec){ .seq = seq, .flags = IPCHANNEL_RECV_SYSTEM,
			     .type = IPCHANNEL_SYS_LOCK_GRANTED, .event = name,
			     .data = (const char *)cookie, .len = 8 };
}

static void test_lock_async(void)
{
	static const uint64_t c7 = 7, c8 = 8;
	struct grants g = { 0 };
	struct calls c = { 0 };
	struct ipch *ipc;
	struct rec r[3];
	int p[2];

	ipc = lock_handle(p);
	ipch_on(ipc, NULL, on_other, &c);
	fake_next_seq = 10;
	is(ipch_lock_async(ipc, "L", 7, on_grant, &g), 0, "async: queued");
	is(last_lock.flags, IPCHANNEL_LOCK_ASYNC, "async: LOCK_ASYNC");
	is(ipch_lock_async(ipc, "L", 7, on_grant, &g), -EDEADLK,
	   "async: same owner again: EDEADLK before the kernel");
	is(lock_calls, 1, "async: one system call");

	r[0] = grant_rec(9, "L", &c7);	/* older: a withdrawn request's */
	r[1] = grant_rec(10, "L", &c8);	/* another owner's */
	r[2] = grant_rec(11, "L", &c7);
	write_recs(p[1], r, 3);
	is(ipch_dispatch(ipc), 3, "async: three grant records taken");
	ok(g.calls == 1 && g.cookie == 7 && !strcmp(g.name, "L"),
	   "async: only the live grant calls back, with name and cookie");
	is(c.fallback, 0, "async: grants never reach the fallback");
	write_recs(p[1], &r[2], 1);
	is(ipch_dispatch(ipc), 1, "async: a second grant is taken");
	is(g.calls, 1, "async: but calls nothing");
	ipch_close(ipc);
	close(p[1]);
}

static void test_lock_async_cancel(void)
{
	static const uint64_t c8 = 8;
	struct grants g = { 0 };
	struct ipch *ipc;
	struct rec r;
	int p[2];

	ipc = lock_handle(p);
	fake_next_seq = 10;
	lock_results[0] = -ENOSPC;
	is(ipch_lock_async(ipc, "M", 8, on_grant, &g), -ENOSPC,
	   "async: kernel error returned");
	is(ipch_lock_async(ipc, "M", 8, on_grant, &g), 0,
	   "async: refused request left no entry");
	is(ipch_unlock_cookie(ipc, "M", 8), 0, "async: cancelled");
	r = grant_rec(12, "M", &c8);
	write_recs(p[1], &r, 1);
	is(ipch_dispatch(ipc), 1, "async: grant after cancel taken");
	is(g.calls, 0, "async: grant after cancel calls nothing");
	ipch_close(ipc);
	close(p[1]);
}

/* ---- membership ---- */

/* Fake IPCHANNEL_IOC_SUBSCRIBE: the flags of each call, and a result. */
static uint32_t sub_flags[8];
static int sub_calls;
static int sub_result;

static int fake_sub_ioctl(int fd, unsigned long cmd, void *arg)
{
	(void)fd;
	if (cmd != IPCHANNEL_IOC_SUBSCRIBE)
		return -ENOTTY;
	memcpy(&sub_flags[sub_calls++ & 7], arg, sizeof(uint32_t));
	return sub_result;
}

static struct ipch *sub_handle(int p[2])
{
	static struct ipch_io io;
	struct ipch *ipc;

	io = ipch_sys_io;
	io.ioctl = fake_sub_ioctl;
	make_pipe(p);
	if (ipch_attach(&ipc, p[0], 1, 0, &io))
		abort();
	memset(sub_flags, 0xff, sizeof(sub_flags));
	sub_calls = 0;
	sub_result = 0;
	return ipc;
}

/* A membership record of the kernel, as it would queue it. */
static struct rec member_rec(uint64_t seq, uint16_t type,
			     struct ipchannel_membership *m,
			     uint32_t peer, uint32_t nr)
{
	m->peer_id = peer;
	m->nr_peers = nr;
	return (struct rec){ .seq = seq, .flags = IPCHANNEL_RECV_SYSTEM,
			     .type = type, .data = (const char *)m,
			     .len = sizeof(*m), .pid = 2000 + peer };
}

struct members {
	int connect, disconnect, other;
	uint32_t peers[8];	/* ipch_msg_peer() of each connect */
	uint32_t left[8];	/* and of each disconnect */
	struct ipch_msg last;
};

static void on_connect(struct ipch *ipc, const struct ipch_msg *msg,
		       void *arg)
{
	struct members *m = arg;

	(void)ipc;
	m->peers[m->connect++ & 7] = ipch_msg_peer(msg);
	m->last = *msg;
}

static void on_disconnect(struct ipch *ipc, const struct ipch_msg *msg,
			  void *arg)
{
	struct members *m = arg;

	(void)ipc;
	m->left[m->disconnect++ & 7] = ipch_msg_peer(msg);
	m->last = *msg;
}

static void on_member_other(struct ipch *ipc, const struct ipch_msg *msg,
			    void *arg)
{
	struct members *m = arg;

	(void)ipc;
	m->other++;
	m->last = *msg;
}

static void test_subscribe_args(void)
{
	struct ipch *ipc;
	int p[2];

	ipc = sub_handle(p);
	is(ipch_subscribe(NULL, IPCHANNEL_SUB_MEMBERSHIP), -EINVAL,
	   "subscribe: NULL handle: EINVAL");
	is(ipch_subscribe(ipc, 2), -EINVAL, "subscribe: unknown flag: EINVAL");
	is(sub_calls, 0, "subscribe: no system call for invalid arguments");
	is(ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP), 0,
	   "subscribe: membership");
	is(sub_flags[0], IPCHANNEL_SUB_MEMBERSHIP,
	   "subscribe: IPCHANNEL_IOC_SUBSCRIBE with the flags");
	is(ipch_subscribe(ipc, 0), 0, "subscribe: 0 stops");
	is(sub_flags[1], 0, "subscribe: flags 0 passed on");
	sub_result = -ENOTCONN;
	is(ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP), -ENOTCONN,
	   "subscribe: the kernel's error returned");
	ipch_close(ipc);
	close(p[1]);
}

static void test_msg_peer(void)
{
	struct ipchannel_membership mb = { .peer_id = 7, .nr_peers = 9 };
	struct ipch_msg msg = {
		.flags = IPCHANNEL_RECV_SYSTEM,
		.type = IPCHANNEL_SYS_PEER_LEFT, .data = &mb,
		.len = sizeof(mb),
	};

	is(ipch_msg_peer(&msg), 7, "msg_peer: peer of a leave record");
	msg.type = IPCHANNEL_SYS_PEER_JOINED;
	is(ipch_msg_peer(&msg), 7, "msg_peer: peer of a join record");
	msg.len = sizeof(mb) - 1;
	is(ipch_msg_peer(&msg), 0, "msg_peer: short payload: 0");
	msg.len = sizeof(mb);
	msg.sender = 3;
	is(ipch_msg_peer(&msg), 0, "msg_peer: from a peer, not the kernel: 0");
	msg.sender = 0;
	msg.type = IPCHANNEL_SYS_LOCK_GRANTED;
	is(ipch_msg_peer(&msg), 0, "msg_peer: lock grant: 0");
	msg.type = IPCHANNEL_SYS_PEER_JOINED;
	msg.flags = 0;
	is(ipch_msg_peer(&msg), 0, "msg_peer: without the system flag: 0");
	is(ipch_msg_peer(NULL), 0, "msg_peer: NULL: 0");
}

static void test_membership_dispatch(void)
{
	struct ipchannel_membership mb[4];
	struct members m = { 0 };
	struct ipch *ipc;
	struct rec r[7];
	int p[2];

	ipc = sub_handle(p);
	is(ipch_on(ipc, "connect", on_member_other, &m), 0, "on: connect");
	is(sub_calls, 1, "on connect: subscribes");
	is(sub_flags[0], IPCHANNEL_SUB_MEMBERSHIP, "on connect: membership");
	is(ipch_on(ipc, "disconnect", on_disconnect, &m), 0, "on: disconnect");
	is(ipch_on(ipc, "connect", on_connect, &m), 0, "on: connect again");
	is(ipch_on(ipc, NULL, on_member_other, &m), 0, "on: fallback");
	is(sub_calls, 1, "on: subscribes once per handle");

	r[0] = member_rec(1, IPCHANNEL_SYS_PEER_JOINED, &mb[0], 1, 1);
	r[1] = member_rec(2, IPCHANNEL_SYS_PEER_JOINED, &mb[1], 2, 2);
	r[2] = (struct rec){ .seq = 3, .sender = 2, .event = "connect",
			     .data = "hi", .len = 2 };
	r[3] = member_rec(4, IPCHANNEL_SYS_PEER_LEFT, &mb[2], 2, 1);
	r[4] = (struct rec){ .seq = 5, .sender = 1, .event = "disconnect" };
	r[5] = member_rec(6, 99, &mb[3], 5, 1);	/* a type unknown here */
	r[6] = (struct rec){ .seq = 7, .sender = 1, .event = "other" };
	write_recs(p[1], r, 7);
	is(ipch_dispatch(ipc), 7, "membership: seven records taken");
	is(m.connect, 3, "membership: joins and the peer event \"connect\"");
	ok(m.peers[0] == 1 && m.peers[1] == 2 && m.peers[2] == 0,
	   "membership: msg_peer of each; 0 for a peer's event");
	is(m.disconnect, 2, "membership: leave and the peer event");
	ok(m.left[0] == 2 && m.left[1] == 0,
	   "membership: the peer that left");
	is(m.other, 2, "membership: unknown system record to the fallback");
	is(sub_calls, 1, "membership: no subscription while dispatching");
	ipch_close(ipc);
	close(p[1]);
}

static void test_membership_fields(void)
{
	struct ipchannel_membership mb;
	struct members m = { 0 };
	struct ipch *ipc;
	struct rec r;
	int p[2];

	ipc = sub_handle(p);
	ipch_on(ipc, "connect", on_connect, &m);
	r = member_rec(4, IPCHANNEL_SYS_PEER_JOINED, &mb, 3, 2);
	write_recs(p[1], &r, 1);
	is(ipch_dispatch(ipc), 1, "membership: one record");
	ok(m.last.sender == 0 && m.last.flags == IPCHANNEL_RECV_SYSTEM &&
	   m.last.type == IPCHANNEL_SYS_PEER_JOINED && m.last.pid == 2003 &&
	   m.last.len == sizeof(mb) && m.last.event[0] == '\0',
	   "membership: sender 0, system flag, type, the subject's pid");
	ipch_close(ipc);
	close(p[1]);
}

static void test_membership_lost(void)
{
	const struct rec lost = { .seq = 9, .flags = IPCHANNEL_RECV_SYSTEM,
				  .type = IPCHANNEL_SYS_MEMBERSHIP_LOST };
	struct members m = { 0 };
	struct ipch *ipc;
	int p[2];

	ipc = sub_handle(p);
	ipch_on(ipc, "disconnect", on_disconnect, &m);
	ipch_on(ipc, NULL, on_member_other, &m);
	write_recs(p[1], &lost, 1);
	is(ipch_dispatch(ipc), 1, "lost: record taken");
	is(sub_calls, 2, "lost: subscribed again");
	is(sub_flags[1], IPCHANNEL_SUB_MEMBERSHIP, "lost: with membership");
	ok(m.other == 1 && m.last.type == IPCHANNEL_SYS_MEMBERSHIP_LOST,
	   "lost: the fallback hears of it");
	is(m.disconnect, 0, "lost: not a disconnect");

	sub_result = -ENOMEM;
	write_recs(p[1], &lost, 1);
	ipch_dispatch(ipc);
	is(sub_calls, 3, "lost: subscribing again failed");
	sub_result = 0;
	is(ipch_on(ipc, "connect", on_connect, &m), 0, "lost: on connect");
	is(sub_calls, 4, "lost: after a failure, on() subscribes again");

	is(ipch_subscribe(ipc, 0), 0, "lost: unsubscribed");
	write_recs(p[1], &lost, 1);
	ipch_dispatch(ipc);
	is(sub_calls, 5, "lost: no subscription after an unsubscribe");
	ipch_close(ipc);
	close(p[1]);
}

static void test_membership_errors(void)
{
	const struct rec lost = { .seq = 9, .flags = IPCHANNEL_RECV_SYSTEM,
				  .type = IPCHANNEL_SYS_MEMBERSHIP_LOST };
	struct members m = { 0 };
	struct ipch_msg msg;
	struct ipch *ipc;
	int p[2];

	ipc = sub_handle(p);
	sub_result = -ENOTCONN;
	is(ipch_on(ipc, "connect", on_connect, &m), -ENOTCONN,
	   "on connect: subscription error returned");
	is(ipch_off(ipc, "connect"), -ENOENT,
	   "on connect: failed, no handler left behind");
	sub_result = 0;
	is(ipch_on(ipc, "connect", on_connect, &m), 0, "on connect: works");

	write_recs(p[1], &lost, 1);
	is(ipch_recv(ipc, &msg, 0), 0, "recv: gets the lost record");
	is(msg.type, IPCHANNEL_SYS_MEMBERSHIP_LOST, "recv: of type LOST");
	is(sub_calls, 2, "recv: does not subscribe by itself");
	is(ipch_on(ipc, "disconnect", on_disconnect, &m), 0,
	   "recv: on disconnect");
	is(sub_calls, 3, "recv: a later on() subscribes again");
	ipch_close(ipc);
	close(p[1]);
}

/* ---- control plane: parsing replies and events ---- */

#define FAMILY	0x42

/* A message of our family, as the kernel would send it. */
static struct nl_msg *genl_new(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg || !genlmsg_put(msg, 0, 1, FAMILY, 0, 0, cmd, 1))
		abort();
	return msg;
}

/* A u64 attribute padded to 8 bytes as the kernel pads it. */
static void put_u64(struct nl_msg *msg, int attr, uint64_t v)
{
	if (nla_put(msg, IPCHANNEL_A_PAD, 0, NULL) < 0 ||
	    nla_put_u64(msg, attr, v) < 0)
		abort();
}

static void test_ctl_parse_channel(void)
{
	struct nl_msg *msg = genl_new(IPCHANNEL_CMD_GET_CHANNEL);
	struct ipch_ctl_channel ch;

	nla_put_string(msg, IPCHANNEL_A_CHANNEL, "workers");
	nla_put_u32(msg, IPCHANNEL_A_UID, 1000);
	nla_put_u32(msg, IPCHANNEL_A_GID, 100);
	nla_put_u32(msg, IPCHANNEL_A_MODE, 0640);
	nla_put_u32(msg, IPCHANNEL_A_NR_PEERS, 3);
	nla_put_u32(msg, IPCHANNEL_A_NR_LOCKS, 2);
	nla_put_u32(msg, IPCHANNEL_A_BLOCKED, 1);
	put_u64(msg, IPCHANNEL_A_SEQ, 1ULL << 40);
	put_u64(msg, IPCHANNEL_A_MESSAGES, 77);
	put_u64(msg, IPCHANNEL_A_QUEUED_RECORDS, 5);
	put_u64(msg, IPCHANNEL_A_QUEUED_BYTES, 400);
	nla_put_u32(msg, IPCHANNEL_A_MAX + 9, 1);	/* newer kernel */

	memset(&ch, 0xa5, sizeof(ch));
	is(ipch_ctl_parse(IPCH_CTL_CHANNEL, nlmsg_hdr(msg), &ch), 0,
	   "ctl parse: channel");
	ok(!strcmp(ch.name, "workers") && ch.uid == 1000 && ch.gid == 100 &&
	   ch.mode == 0640 && ch.nr_peers == 3 && ch.nr_locks == 2 &&
	   ch.blocked == 1, "ctl parse: channel u32 and string fields");
	ok(ch.seq == 1ULL << 40 && ch.messages == 77 &&
	   ch.queued_records == 5 && ch.queued_bytes == 400,
	   "ctl parse: channel u64 fields, padded");
	nlmsg_free(msg);

	msg = genl_new(IPCHANNEL_CMD_GET_CHANNEL);
	nla_put_u32(msg, IPCHANNEL_A_UID, 1000);
	is(ipch_ctl_parse(IPCH_CTL_CHANNEL, nlmsg_hdr(msg), &ch), -EPROTO,
	   "ctl parse: channel without its name: EPROTO");
	nlmsg_free(msg);
}

static void test_ctl_parse_bad(void)
{
	struct nl_msg *msg = genl_new(IPCHANNEL_CMD_GET_PEER);
	struct ipch_ctl_peer peer;
	uint16_t shortval = 5;

	nla_put_u32(msg, IPCHANNEL_A_PEER_ID, 2);
	nla_put(msg, IPCHANNEL_A_PID, sizeof(shortval), &shortval);
	is(ipch_ctl_parse(IPCH_CTL_PEER, nlmsg_hdr(msg), &peer), -EPROTO,
	   "ctl parse: 2-byte u32 attribute: EPROTO");
	nlmsg_free(msg);

	msg = genl_new(IPCHANNEL_CMD_GET_PEER);
	nla_put_u32(msg, IPCHANNEL_A_PEER_ID, 2);
	nla_put(msg, IPCHANNEL_A_COMM, 4, "abcd");
	is(ipch_ctl_parse(IPCH_CTL_PEER, nlmsg_hdr(msg), &peer), -EPROTO,
	   "ctl parse: unterminated string: EPROTO");
	nlmsg_free(msg);

	msg = genl_new(IPCHANNEL_CMD_GET_PEER);
	nla_put_u32(msg, IPCHANNEL_A_PEER_ID, 2);
	nla_put_string(msg, IPCHANNEL_A_COMM, "a-very-long-command");
	is(ipch_ctl_parse(IPCH_CTL_PEER, nlmsg_hdr(msg), &peer), -EPROTO,
	   "ctl parse: comm above 16 bytes: EPROTO");
	nlmsg_free(msg);
}

static void test_ctl_parse_peer_lock(void)
{
	struct nl_msg *msg = genl_new(IPCHANNEL_CMD_GET_PEER);
	struct ipch_ctl_peer peer;
	struct ipch_ctl_lock lk;

	nla_put_string(msg, IPCHANNEL_A_CHANNEL, "c");
	nla_put_u32(msg, IPCHANNEL_A_PEER_ID, 2);
	nla_put_u32(msg, IPCHANNEL_A_PID, 321);
	nla_put_u32(msg, IPCHANNEL_A_UID, 1000);
	nla_put_string(msg, IPCHANNEL_A_COMM, "worker");
	put_u64(msg, IPCHANNEL_A_SENT, 10);
	put_u64(msg, IPCHANNEL_A_RECEIVED, 11);
	put_u64(msg, IPCHANNEL_A_SINCE_NS, 12);
	is(ipch_ctl_parse(IPCH_CTL_PEER, nlmsg_hdr(msg), &peer), 0,
	   "ctl parse: peer");
	ok(peer.id == 2 && peer.pid == 321 && peer.uid == 1000 &&
	   !strcmp(peer.comm, "worker") && peer.sent == 10 &&
	   peer.received == 11 && peer.since_ns == 12 &&
	   peer.queued_records == 0, "ctl parse: peer fields, absent is 0");
	nlmsg_free(msg);

	msg = genl_new(IPCHANNEL_CMD_GET_LOCK);
	nla_put_string(msg, IPCHANNEL_A_CHANNEL, "c");
	nla_put_string(msg, IPCHANNEL_A_LOCK, "a/lock");
	nla_put_u32(msg, IPCHANNEL_A_LOCK_POS, 0);
	nla_put_u32(msg, IPCHANNEL_A_PEER_ID, 4);
	put_u64(msg, IPCHANNEL_A_COOKIE, 0xfedcba9876543210ULL);
	nla_put_u32(msg, IPCHANNEL_A_NR_WAITERS, 2);
	is(ipch_ctl_parse(IPCH_CTL_LOCK, nlmsg_hdr(msg), &lk), 0,
	   "ctl parse: lock");
	ok(!strcmp(lk.name, "a/lock") && lk.pos == 0 && lk.peer_id == 4 &&
	   lk.cookie == 0xfedcba9876543210ULL && lk.nr_waiters == 2,
	   "ctl parse: lock fields");
	nlmsg_free(msg);
}

static void test_ctl_parse_stats_event(void)
{
	struct nl_msg *msg = genl_new(IPCHANNEL_CMD_GET_STATS);
	struct ipch_ctl_stats st;
	struct ipch_ctl_event ev;

	nla_put_u32(msg, IPCHANNEL_A_MAX_MSG_SIZE, 65536);
	nla_put_u32(msg, IPCHANNEL_A_MAX_LOCK_REQUESTS, 256);
	is(ipch_ctl_parse(IPCH_CTL_STATS, nlmsg_hdr(msg), &st), 0,
	   "ctl parse: stats");
	ok(st.max_msg_size == 65536 && st.max_lock_requests == 256 &&
	   st.has_counters == 0, "ctl parse: limits without counters");
	put_u64(msg, IPCHANNEL_A_STAT_CHANNELS, 0);
	put_u64(msg, IPCHANNEL_A_STAT_PEERS, 6);
	ipch_ctl_parse(IPCH_CTL_STATS, nlmsg_hdr(msg), &st);
	ok(st.has_counters == 1 && st.channels == 0 && st.peers == 6,
	   "ctl parse: counters, even a counter of 0");
	nlmsg_free(msg);

	msg = genl_new(IPCHANNEL_CMD_LOCK_HANDOVER);
	nla_put_string(msg, IPCHANNEL_A_CHANNEL, "c");
	nla_put_string(msg, IPCHANNEL_A_LOCK, "L");
	nla_put_u32(msg, IPCHANNEL_A_PEER_ID, 3);
	put_u64(msg, IPCHANNEL_A_COOKIE, 30);
	nla_put_u32(msg, IPCHANNEL_A_PREV_PEER_ID, 2);
	put_u64(msg, IPCHANNEL_A_PREV_COOKIE, 20);
	is(ipch_ctl_parse(IPCH_CTL_EVENT, nlmsg_hdr(msg), &ev), 0,
	   "ctl parse: handover event");
	ok(ev.type == IPCHANNEL_CMD_LOCK_HANDOVER && !strcmp(ev.lock, "L") &&
	   ev.peer_id == 3 && ev.cookie == 30 && ev.prev_peer_id == 2 &&
	   ev.prev_cookie == 20 && !strcmp(ev.channel, "c"),
	   "ctl parse: handover fields and type");
	nlmsg_free(msg);
}

static void test_ctl_errors(void)
{
	struct ipch_ctl_channel *chans;
	struct ipch_ctl_event ev;
	size_t n;

	is(ipch_nl_errno(3), 3, "nl errno: counts pass");
	is(ipch_nl_errno(-NLE_NOMEM), -ENOMEM, "nl errno: NOMEM");
	is(ipch_nl_errno(-NLE_PERM), -EPERM, "nl errno: PERM");
	is(ipch_nl_errno(-NLE_OBJ_NOTFOUND), -ENOENT, "nl errno: NOTFOUND");
	is(ipch_nl_errno(-NLE_DUMP_INTR), -EAGAIN, "nl errno: DUMP_INTR");
	is(ipch_nl_errno(-NLE_FAILURE), -EIO, "nl errno: FAILURE is EIO");
	is(ipch_nl_errno(-(4096 + ENOBUFS)), -ENOBUFS,
	   "nl errno: a recvmsg() errno kept exactly");

	is(ipch_ctl_open(NULL), -EINVAL, "ctl open: NULL: EINVAL");
	is(ipch_ctl_channels(NULL, &chans, &n), -EINVAL,
	   "ctl channels: NULL handle: EINVAL");
	is(ipch_ctl_event(NULL, &ev, 0), -EINVAL, "ctl event: NULL: EINVAL");
	is(ipch_ctl_fd(NULL), -EINVAL, "ctl fd: NULL: EINVAL");
	ipch_ctl_close(NULL);
	ok(1, "ctl close: NULL is ignored");
}

int main(void)
{
	test_names();
	test_open_args();
	test_send_encoding();
	test_sendv_encoding();
	test_sendv_many();
	test_send_checks();
	test_send_partial();
	test_record_next();
	test_recv_fields();
	test_recv_malformed();
	test_recv_timeout();
	test_recv_blocking();
	test_recv_many();
	test_recv_grow();
	test_dispatch();
	test_dispatch_nested();
	test_run_buffered();
	test_lock_args();
	test_synchronize();
	test_lock_async();
	test_lock_async_cancel();
	test_subscribe_args();
	test_msg_peer();
	test_membership_dispatch();
	test_membership_fields();
	test_membership_lost();
	test_membership_errors();
	test_ctl_parse_channel();
	test_ctl_parse_bad();
	test_ctl_parse_peer_lock();
	test_ctl_parse_stats_event();
	test_ctl_errors();
	return tap_done();
}
