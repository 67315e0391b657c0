// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * show.c - the commands that list: channels, peers, locks, stats
 *
 * Each asks the generic netlink family through the library's control
 * plane and prints one aligned table, or one JSON document.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

/* Right-aligned columns of a table, by number. */
#define R(col)		(1U << (col))

/*
 * The library reads a dump again a few times when it changed meanwhile,
 * then gives -EAGAIN. A join or leave anywhere in the namespace counts as
 * a change, so on a busy machine the tool keeps trying for about a
 * second before it gives up.
 */
#define LIST_TRIES	20
#define LIST_PAUSE_MS	50

static bool again(int err, int *tries)
{
	const struct timespec delay = { .tv_nsec = LIST_PAUSE_MS * 1000000L };

	if (err != -EAGAIN || ++*tries >= LIST_TRIES)
		return false;
	nanosleep(&delay, NULL);
	return true;
}

static int by_name(const void *a, const void *b)
{
	const struct ipch_ctl_channel *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void channel_json(struct json *j, const struct ipch_ctl_channel *c)
{
	json_open(j, NULL, '{');
	json_str(j, "name", c->name);
	json_u64(j, "uid", c->uid);
	json_u64(j, "gid", c->gid);
	json_u64(j, "mode", c->mode);
	json_u64(j, "nr_peers", c->nr_peers);
	json_u64(j, "nr_locks", c->nr_locks);
	json_u64(j, "blocked", c->blocked);
	json_u64(j, "seq", c->seq);
	json_u64(j, "messages", c->messages);
	json_u64(j, "queued_records", c->queued_records);
	json_u64(j, "queued_bytes", c->queued_bytes);
	json_close(j, '}');
}

static void channels_json(const struct ipch_ctl_channel *ch, size_t n)
{
	struct json j;
	size_t i;

	json_start(&j, stdout);
	json_open(&j, NULL, '{');
	json_open(&j, "channels", '[');
	for (i = 0; i < n; i++)
		channel_json(&j, &ch[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static int channels_table(const struct tool *t,
			  const struct ipch_ctl_channel *ch, size_t n)
{
	struct table tab;
	size_t i;
	int err;

	if (n == 0) {
		puts("no channels");
		return 0;
	}
	table_init(&tab, 10, R(1) | R(2) | R(3) | R(4) | R(5) | R(6) | R(7));
	table_head(&tab, (const char *const []){ "CHANNEL", "PEERS",
		   "LOCKS", "BLOCKED", "MESSAGES", "SEQ", "QUEUED", "BYTES",
		   "OWNER", "MODE" });
	for (i = 0; i < n; i++) {
		table_add(&tab, C_GREEN, "%s", ch[i].name);
		table_add(&tab, C_NONE, "%u", ch[i].nr_peers);
		table_add(&tab, C_NONE, "%u", ch[i].nr_locks);
		table_add(&tab, ch[i].blocked ? C_YELLOW : C_NONE, "%u",
			  ch[i].blocked);
		table_add(&tab, C_NONE, "%lu", (unsigned long)ch[i].messages);
		table_add(&tab, C_NONE, "%lu", (unsigned long)ch[i].seq);
		table_add(&tab, C_NONE, "%lu",
			  (unsigned long)ch[i].queued_records);
		table_add(&tab, C_NONE, "%lu",
			  (unsigned long)ch[i].queued_bytes);
		table_add(&tab, C_NONE, "%u:%u", ch[i].uid, ch[i].gid);
		table_add(&tab, C_NONE, "%04o", ch[i].mode);
	}
	err = table_print(t, &tab, stdout);
	table_free(&tab);
	return err;
}

int cmd_channels(struct tool *t, int argc, char **argv)
{
	struct ipch_ctl_channel *ch = NULL;
	struct ipch_ctl *ctl;
	size_t n = 0;
	int err, tries = 0;

	(void)argc;
	(void)argv;
	if (ctl_open(t, &ctl))
		return EXIT_FAIL;
	do
		err = ipch_ctl_channels(ctl, &ch, &n);
	while (again(err, &tries));
	ipch_ctl_close(ctl);
	if (err == -EAGAIN) {
		print_error(t, "the channels kept changing while they were "
			    "read; try again");
		return EXIT_FAIL;
	}
	if (err)
		return fail(t, err, "cannot list the channels");

	qsort(ch, n, sizeof(*ch), by_name);
	if (t->json)
		channels_json(ch, n);
	else if (channels_table(t, ch, n)) {
		err = -ENOMEM;
	}
	free(ch);
	if (err)
		return fail(t, err, "cannot print the channels");
	return finish_output(t, EXIT_OK);
}

static void peer_json(struct json *j, const struct ipch_ctl_peer *p)
{
	json_open(j, NULL, '{');
	json_u64(j, "id", p->id);
	json_u64(j, "pid", p->pid);
	json_u64(j, "uid", p->uid);
	json_str(j, "comm", p->comm);
	json_u64(j, "queued_records", p->queued_records);
	json_u64(j, "queued_bytes", p->queued_bytes);
	json_u64(j, "sent", p->sent);
	json_u64(j, "received", p->received);
	json_u64(j, "since_ns", p->since_ns);
	json_close(j, '}');
}

static int peers_table(const struct tool *t, const struct ipch_ctl_peer *p,
		       size_t n)
{
	struct table tab;
	char age[32];
	size_t i;
	int err;

	table_init(&tab, 9, R(0) | R(1) | R(2) | R(4) | R(5) | R(6) | R(7) |
		   R(8));
	table_head(&tab, (const char *const []){ "ID", "PID", "UID", "COMM",
		   "QUEUED", "BYTES", "SENT", "RECEIVED", "AGE" });
	for (i = 0; i < n; i++) {
		format_age(age, sizeof(age), p[i].since_ns);
		table_add(&tab, C_GREEN, "%u", p[i].id);
		table_add(&tab, C_NONE, "%u", p[i].pid);
		table_add(&tab, C_NONE, "%u", p[i].uid);
		table_add(&tab, C_NONE, "%.*s", (int)sizeof(p[i].comm),
			  p[i].comm);
		table_add(&tab, C_NONE, "%lu",
			  (unsigned long)p[i].queued_records);
		table_add(&tab, C_NONE, "%lu",
			  (unsigned long)p[i].queued_bytes);
		table_add(&tab, C_NONE, "%lu", (unsigned long)p[i].sent);
		table_add(&tab, C_NONE, "%lu", (unsigned long)p[i].received);
		table_add(&tab, C_NONE, "%s", age);
	}
	err = table_print(t, &tab, stdout);
	table_free(&tab);
	return err;
}

int cmd_peers(struct tool *t, int argc, char **argv)
{
	struct ipch_ctl_peer *p = NULL;
	const char *channel = argv[0];
	struct ipch_ctl *ctl;
	size_t n = 0;
	int err, tries = 0;

	(void)argc;
	if (check_channel_arg(t, channel))
		return EXIT_USAGE;
	if (ctl_open(t, &ctl))
		return EXIT_FAIL;
	do
		err = ipch_ctl_peers(ctl, channel, &p, &n);
	while (again(err, &tries));
	ipch_ctl_close(ctl);
	if (err)
		return channel_fail(t, channel, err);

	if (t->json) {
		struct json j;
		size_t i;

		json_start(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "channel", channel);
		json_open(&j, "peers", '[');
		for (i = 0; i < n; i++)
			peer_json(&j, &p[i]);
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else if (peers_table(t, p, n)) {
		err = -ENOMEM;
	}
	free(p);
	if (err)
		return fail(t, err, "cannot print the peers");
	return finish_output(t, EXIT_OK);
}

static void request_json(struct json *j, const char *key,
			 const struct ipch_ctl_lock *l)
{
	json_open(j, key, '{');
	json_u64(j, "pos", l->pos);
	json_u64(j, "peer_id", l->peer_id);
	json_u64(j, "cookie", l->cookie);
	json_u64(j, "since_ns", l->since_ns);
	json_close(j, '}');
}

/* Requests of one lock: l[0..n) until the name changes or a holder. */
static size_t lock_group(const struct ipch_ctl_lock *l, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (l[i].pos == 0 || strcmp(l[i].name, l[0].name))
			break;
	return i;
}

/*
 * One lock: its holder (null if the dump has none at position 0) and its
 * waiters in the order they will get it.
 */
static void lock_json(struct json *j, const struct ipch_ctl_lock *l,
		      size_t n)
{
	size_t i = 0;

	json_open(j, NULL, '{');
	json_str(j, "name", l[0].name);
	json_u64(j, "nr_waiters", l[0].pos == 0 ? l[0].nr_waiters :
		 (uint32_t)n);
	if (l[0].pos == 0)
		request_json(j, "holder", &l[i++]);
	else
		json_null(j, "holder");
	json_open(j, "waiters", '[');
	for (; i < n; i++)
		request_json(j, NULL, &l[i]);
	json_close(j, ']');
	json_close(j, '}');
}

static void locks_json(const char *channel, const struct ipch_ctl_lock *l,
		       size_t n)
{
	struct json j;
	size_t i, len;

	json_start(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "channel", channel);
	json_open(&j, "locks", '[');
	for (i = 0; i < n; i += len) {
		len = lock_group(&l[i], n - i);
		lock_json(&j, &l[i], len);
	}
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static const struct ipch_ctl_peer *find_peer(const struct ipch_ctl_peer *p,
					     size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].id == id)
			return &p[i];
	return NULL;
}

static void lock_row(struct table *tab, const struct ipch_ctl_lock *l,
		     bool first, const struct ipch_ctl_peer *peer)
{
	char age[32];

	format_age(age, sizeof(age), l->since_ns);
	table_add(tab, C_GREEN, "%s", first ? l->name : "");
	if (l->pos == 0)
		table_add(tab, C_GREEN, "held");
	else
		table_add(tab, C_YELLOW, "waits %u", l->pos);
	table_add(tab, C_NONE, "%u", l->peer_id);
	if (peer) {
		table_add(tab, C_NONE, "%u", peer->pid);
		table_add(tab, C_NONE, "%.*s", (int)sizeof(peer->comm),
			  peer->comm);
	} else {
		table_add(tab, C_NONE, "-");
		table_add(tab, C_NONE, "-");
	}
	table_add(tab, C_NONE, "%lu", (unsigned long)l->cookie);
	table_add(tab, C_NONE, "%s", age);
}

/* The pid and command of each request come from a dump of the peers. */
static int locks_table(const struct tool *t, const struct ipch_ctl_lock *l,
		       size_t n, const struct ipch_ctl_peer *p, size_t np)
{
	struct table tab;
	size_t i;
	int err;

	if (n == 0) {
		puts("no locks");
		return 0;
	}
	table_init(&tab, 7, R(2) | R(3) | R(5) | R(6));
	table_head(&tab, (const char *const []){ "LOCK", "STATE", "PEER",
		   "PID", "COMM", "COOKIE", "SINCE" });
	for (i = 0; i < n; i++)
		lock_row(&tab, &l[i], i == 0 || strcmp(l[i].name,
			 l[i - 1].name), find_peer(p, np, l[i].peer_id));
	err = table_print(t, &tab, stdout);
	table_free(&tab);
	return err;
}

int cmd_locks(struct tool *t, int argc, char **argv)
{
	struct ipch_ctl_lock *l = NULL;
	struct ipch_ctl_peer *p = NULL;
	const char *channel = argv[0];
	struct ipch_ctl *ctl;
	size_t n = 0, np = 0;
	int err, tries = 0;

	(void)argc;
	if (check_channel_arg(t, channel))
		return EXIT_USAGE;
	if (ctl_open(t, &ctl))
		return EXIT_FAIL;
	do
		err = ipch_ctl_locks(ctl, channel, &l, &n);
	while (again(err, &tries));
	/* Only for the pids and commands of the table: no error if it fails. */
	if (!err && !t->json && ipch_ctl_peers(ctl, channel, &p, &np))
		np = 0;
	ipch_ctl_close(ctl);
	if (err)
		return channel_fail(t, channel, err);

	if (t->json)
		locks_json(channel, l, n);
	else if (locks_table(t, l, n, p, np))
		err = -ENOMEM;
	free(l);
	free(p);
	if (err)
		return fail(t, err, "cannot print the locks");
	return finish_output(t, EXIT_OK);
}

static void stats_json(const struct ipch_ctl_stats *s)
{
	static const char *const counters[] = { "channels", "peers",
		"messages", "records", "locks", "lock_requests" };
	const uint64_t values[] = { s->channels, s->peers, s->messages,
		s->records, s->locks, s->lock_requests };
	struct json j;
	size_t i;

	json_start(&j, stdout);
	json_open(&j, NULL, '{');
	json_bool(&j, "has_counters", s->has_counters);
	json_u64(&j, "max_msg_size", s->max_msg_size);
	json_u64(&j, "max_queue_records", s->max_queue_records);
	json_u64(&j, "max_queue_bytes", s->max_queue_bytes);
	json_u64(&j, "max_locks", s->max_locks);
	json_u64(&j, "max_lock_requests", s->max_lock_requests);
	for (i = 0; i < 6; i++) {
		if (s->has_counters)
			json_u64(&j, counters[i], values[i]);
		else
			json_null(&j, counters[i]);
	}
	json_close(&j, '}');
	json_end(&j);
}

static void stats_row(struct table *tab, const char *name, uint64_t v)
{
	table_add(tab, C_NONE, "  %s", name);
	table_add(tab, C_NONE, "%lu", (unsigned long)v);
}

static int stats_table(const struct tool *t, const struct ipch_ctl_stats *s)
{
	struct table tab;
	int err;

	table_init(&tab, 2, R(1));
	table_add(&tab, C_BOLD, "limits");
	table_add(&tab, C_NONE, "%s", "");
	stats_row(&tab, "max_msg_size", s->max_msg_size);
	stats_row(&tab, "max_queue_records", s->max_queue_records);
	stats_row(&tab, "max_queue_bytes", s->max_queue_bytes);
	stats_row(&tab, "max_locks", s->max_locks);
	stats_row(&tab, "max_lock_requests", s->max_lock_requests);
	if (s->has_counters) {
		table_add(&tab, C_BOLD, "objects");
		table_add(&tab, C_NONE, "%s", "");
		stats_row(&tab, "channels", s->channels);
		stats_row(&tab, "peers", s->peers);
		stats_row(&tab, "messages", s->messages);
		stats_row(&tab, "records", s->records);
		stats_row(&tab, "locks", s->locks);
		stats_row(&tab, "lock_requests", s->lock_requests);
	}
	err = table_print(t, &tab, stdout);
	table_free(&tab);
	if (!err && !s->has_counters)
		printf("%sobjects%s: not visible (CAP_NET_ADMIN in the "
		       "initial user namespace sees them)\n",
		       color_on(t, C_BOLD), color_off(t, C_BOLD));
	return err;
}

int cmd_stats(struct tool *t, int argc, char **argv)
{
	struct ipch_ctl_stats s;
	struct ipch_ctl *ctl;
	int err;

	(void)argc;
	(void)argv;
	if (ctl_open(t, &ctl))
		return EXIT_FAIL;
	memset(&s, 0, sizeof(s));
	err = ipch_ctl_stats(ctl, &s);
	ipch_ctl_close(ctl);
	if (err)
		return fail(t, err, "cannot read the module's statistics");

	if (t->json)
		stats_json(&s);
	else if (stats_table(t, &s))
		return fail(t, -ENOMEM, "cannot print the statistics");
	return finish_output(t, EXIT_OK);
}
