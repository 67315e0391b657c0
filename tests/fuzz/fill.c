// SPDX-License-Identifier: GPL-2.0
/*
 * fill.c - fills receive queues until the guest runs out of memory, then
 * reads everything back. Meant for a guest with little memory (make check
 * boots one with 256 MiB): with the queue limits raised far beyond it,
 * sends must fail with ENOMEM (or EAGAIN once a queue limit is reached),
 * never crash or call the OOM killer, and every accepted message must be
 * read back whole and in order. Prints TAP; runs as root.
 *
 * Usage: fill [--receivers N] [--size BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ipchannel.h>

#define KSFT_SKIP	4
#define PARAMS		"/sys/module/ipchannel/parameters/"
#define MAX_RECEIVERS	16
#define RETRIES		200	/* sends tried after the first failure */

static int tap;
static bool failed;

static void result(bool ok, const char *what)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++tap, what);
	failed |= !ok;
}

static int param(const char *name, const char *val, char *old, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f || !fgets(old, n, f))
		return -1;
	fclose(f);
	old[strcspn(old, "\n")] = 0;
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(val, f);
	return fclose(f);
}

static int peer(const char *name)
{
	struct ipchannel_join j = { .flags = IPCHANNEL_JOIN_CREATE };
	int fd = open("/dev/ipchannel", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	strcpy(j.name, name);
	if (fd < 0 || ioctl(fd, IPCHANNEL_IOC_JOIN, &j) < 0) {
		perror("fill: join");
		exit(1);
	}
	return fd;
}

/* One message: its number, repeated through the payload. */
static void stamp(uint32_t *p, size_t size, uint32_t n)
{
	size_t i;

	for (i = 0; i < size / 4; i++)
		p[i] = n;
}

struct totals {
	unsigned long sent, enomem, eagain, other;
	unsigned long sent_to[MAX_RECEIVERS];
};

/* Sends to the receivers in turn until RETRIES sends after the first
 * failure have been tried; counts what happened. */
static void fill(int tx, int nr, size_t size, struct totals *t)
{
	size_t rec = IPCHANNEL_ALIGN(sizeof(struct ipchannel_send) + size);
	struct ipchannel_send *s = calloc(1, rec);
	unsigned long tries = 0;
	int to;

	s->len = size;
	for (to = 0; tries < RETRIES; to = (to + 1) % nr) {
		s->target = to + 2;	/* the sender is peer 1 */
		stamp((uint32_t *)(s + 1), size, t->sent_to[to]);
		if (write(tx, s, rec) == (ssize_t)rec) {
			t->sent++;
			t->sent_to[to]++;
		} else if (errno == ENOMEM) {
			t->enomem++;
		} else if (errno == EAGAIN) {
			t->eagain++;
		} else {
			perror("fill: write");
			t->other++;
		}
		if (t->enomem || t->eagain || t->other)
			tries++;
	}
	free(s);
}

/* Reads @fd empty; true if it held @n messages numbered 0.. in order. */
static bool drain(int fd, size_t size, unsigned long n)
{
	size_t rec = IPCHANNEL_ALIGN(sizeof(struct ipchannel_recv) + size);
	struct ipchannel_recv *h = malloc(rec);
	unsigned long got = 0;
	uint32_t *p = (uint32_t *)(h + 1);
	bool ok = true;
	size_t i;

	while (read(fd, h, rec) == (ssize_t)rec) {
		for (i = 0; i < size / 4; i++)
			ok &= p[i] == got;
		ok &= h->len == size;
		got++;
	}
	ok &= errno == EAGAIN && got == n;
	if (!ok)
		fprintf(stderr, "fill: read %lu of %lu\n", got, n);
	free(h);
	return ok;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "receivers", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ 0 }
	};
	char old_bytes[32], old_records[32], scratch[32];
	int nr = 4, c, tx, rx[MAX_RECEIVERS], i;
	struct totals t = { 0 };
	struct ipchannel_stats st;
	size_t size = 65536;
	bool ok = true;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'r')
			nr = atoi(optarg);
		else if (c == 's')
			size = strtoul(optarg, NULL, 0) & ~3UL;
		else
			return 2;
	}
	printf("TAP version 13\n");
	if (access("/dev/ipchannel", R_OK | W_OK) || geteuid()) {
		printf("1..0 # SKIP needs root and the module\n");
		return KSFT_SKIP;
	}
	if (nr < 1 || nr > MAX_RECEIVERS || !size || size > 65536)
		return 2;
	printf("1..4\n");
	/* Queues that memory, not the limits, will bound. */
	if (param("max_queue_bytes", "1073741824", old_bytes,
		  sizeof(old_bytes)) ||
	    param("max_queue_records", "1048576", old_records,
		  sizeof(old_records))) {
		perror("fill: module parameters");
		return 1;
	}

	tx = peer("fill");
	for (i = 0; i < nr; i++)
		rx[i] = peer("fill");
	fill(tx, nr, size, &t);
	printf("# %lu messages of %zu bytes queued; then %lu ENOMEM, "
	       "%lu EAGAIN, %lu other\n", t.sent, size, t.enomem, t.eagain,
	       t.other);
	result(t.enomem + t.eagain > 0 && !t.other,
	       "a full memory fails sends with ENOMEM or EAGAIN only");
	result(t.sent > 0, "messages were queued before memory ran out");

	for (i = 0; i < nr; i++)
		ok &= drain(rx[i], size, t.sent_to[i]);
	result(ok, "every queued message is read back whole and in order");

	close(tx);
	for (i = 0; i < nr; i++)
		close(rx[i]);
	tx = open("/dev/ipchannel", O_RDWR | O_CLOEXEC);
	ok = tx >= 0 && !ioctl(tx, IPCHANNEL_IOC_STATS, &st) &&
	     !(st.channels | st.peers | st.messages | st.records);
	result(ok, "nothing is left once the peers are gone");
	param("max_queue_bytes", old_bytes, scratch, sizeof(scratch));
	param("max_queue_records", old_records, scratch, sizeof(scratch));
	return failed;
}
