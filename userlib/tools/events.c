// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * events.c - the commands that print a stream: monitor (netlink events of
 * every visible channel) and listen (the records a peer receives)
 *
 * Both print one line per event, flushed at once, and run until killed
 * or until --count lines; with --json each line is one JSON object.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char *event_type(uint32_t type)
{
	switch (type) {
	case IPCHANNEL_CMD_PEER_JOINED: return "peer_joined";
	case IPCHANNEL_CMD_PEER_LEFT: return "peer_left";
	case IPCHANNEL_CMD_LOCK_HANDOVER: return "lock_handover";
	default: return "unknown";
	}
}

static void event_json(const struct ipch_ctl_event *ev)
{
	struct json j;

	json_start(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "type", event_type(ev->type));
	json_str(&j, "channel", ev->channel);
	json_u64(&j, "peer_id", ev->peer_id);
	if (ev->type == IPCHANNEL_CMD_LOCK_HANDOVER) {
		json_str(&j, "lock", ev->lock);
		json_u64(&j, "cookie", ev->cookie);
		json_u64(&j, "prev_peer_id", ev->prev_peer_id);
		json_u64(&j, "prev_cookie", ev->prev_cookie);
	} else {
		json_u64(&j, "pid", ev->pid);
		json_u64(&j, "uid", ev->uid);
		json_str(&j, "comm", ev->comm);
		json_u64(&j, "nr_peers", ev->nr_peers);
	}
	json_close(&j, '}');
	json_end(&j);
}

static void event_human(const struct tool *t, const struct ipch_ctl_event *ev)
{
	bool joined = ev->type == IPCHANNEL_CMD_PEER_JOINED;
	enum color c = joined ? C_GREEN : C_RED;

	printf("%s%s%s: ", color_on(t, C_BOLD), ev->channel,
	       color_off(t, C_BOLD));
	if (ev->type == IPCHANNEL_CMD_LOCK_HANDOVER)
		printf("lock %s%s%s passes from peer %u to peer %u\n",
		       color_on(t, C_YELLOW), ev->lock,
		       color_off(t, C_YELLOW), ev->prev_peer_id, ev->peer_id);
	else if (joined || ev->type == IPCHANNEL_CMD_PEER_LEFT)
		printf("peer %u %s%s%s (pid %u, uid %u, %.*s); peers: %u\n",
		       ev->peer_id, color_on(t, c), joined ? "joined" : "left",
		       color_off(t, c), ev->pid, ev->uid,
		       (int)sizeof(ev->comm), ev->comm, ev->nr_peers);
	else
		printf("event of unknown type %u\n", ev->type);
	fflush(stdout);
}

static int subscribe(const struct tool *t, struct ipch_ctl *ctl)
{
	int err = ipch_ctl_subscribe(ctl);

	if (err == -EPERM || err == -EACCES) {
		print_error(t, "the events of ipchannel need CAP_NET_ADMIN "
			    "(run as root): %s", strerror(-err));
		return EXIT_FAIL;
	}
	if (err)
		return fail(t, err, "cannot join the \"%s\" multicast group",
			    IPCHANNEL_GENL_MCGRP);
	return 0;
}

int cmd_monitor(struct tool *t, int argc, char **argv)
{
	struct ipch_ctl_event ev;
	struct ipch_ctl *ctl;
	uint64_t seen = 0;
	int err = 0;

	(void)argc;
	(void)argv;
	if (ctl_open(t, &ctl))
		return EXIT_FAIL;
	if (subscribe(t, ctl)) {
		ipch_ctl_close(ctl);
		return EXIT_FAIL;
	}

	while (!t->count || seen < t->count) {
		err = ipch_ctl_event(ctl, &ev, -1);
		if (err == -EINTR || err == -ETIMEDOUT)
			continue;
		if (err == -ENOBUFS) {
			print_error(t, "events were lost: the socket's "
				    "buffer was full");
			continue;
		}
		if (err)
			break;
		if (t->json)
			event_json(&ev);
		else
			event_human(t, &ev);
		seen++;
	}
	ipch_ctl_close(ctl);
	if (err)
		return fail(t, err, "cannot read the events");
	return finish_output(t, EXIT_OK);
}

static const char *record_kind(const struct ipch_msg *m)
{
	if (!(m->flags & IPCHANNEL_RECV_SYSTEM))
		return m->event[0] ? "event" : "message";
	switch (m->type) {
	case IPCHANNEL_SYS_PEER_JOINED: return "peer_joined";
	case IPCHANNEL_SYS_PEER_LEFT: return "peer_left";
	case IPCHANNEL_SYS_MEMBERSHIP_LOST: return "membership_lost";
	case IPCHANNEL_SYS_LOCK_GRANTED: return "lock_granted";
	default: return "system";
	}
}

static bool is_membership(const struct ipch_msg *m)
{
	return (m->flags & IPCHANNEL_RECV_SYSTEM) &&
	       (m->type == IPCHANNEL_SYS_PEER_JOINED ||
		m->type == IPCHANNEL_SYS_PEER_LEFT);
}

/* Peers in the channel after a join or leave, from the record's payload. */
static uint32_t membership_peers(const struct ipch_msg *m)
{
	struct ipchannel_membership mb;

	if (m->len < sizeof(mb))
		return 0;
	memcpy(&mb, m->data, sizeof(mb));
	return mb.nr_peers;
}

static void record_json(const struct ipch_msg *m)
{
	struct json j;

	json_start(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "kind", record_kind(m));
	json_u64(&j, "seq", m->seq);
	json_u64(&j, "sender", m->sender);
	json_u64(&j, "flags", m->flags);
	json_bool(&j, "broadcast", m->flags & IPCHANNEL_RECV_BROADCAST);
	json_u64(&j, "pid", m->pid);
	json_u64(&j, "uid", m->uid);
	json_u64(&j, "type", m->type);
	json_str(&j, "event", m->event);
	json_u64(&j, "len", m->len);
	if (is_membership(m)) {
		json_u64(&j, "peer_id", ipch_msg_peer(m));
		json_u64(&j, "nr_peers", membership_peers(m));
	} else {
		json_bytes(&j, "data", m->data, m->len);
	}
	json_close(&j, '}');
	json_end(&j);
}

static void membership_human(const struct tool *t, const struct ipch_msg *m)
{
	bool joined = m->type == IPCHANNEL_SYS_PEER_JOINED;
	enum color c = joined ? C_GREEN : C_RED;

	printf("peer %u %s%s%s (pid %u, uid %u); peers: %u\n",
	       ipch_msg_peer(m), color_on(t, c), joined ? "joined" : "left",
	       color_off(t, c), m->pid, m->uid, membership_peers(m));
}

/*
 * "message from peer 2: hello", "event greet from peer 2 to all: hi";
 * the payload is escaped (see print_escaped()).
 */
static void record_human(const struct tool *t, const struct ipch_msg *m)
{
	if (is_membership(m)) {
		membership_human(t, m);
	} else if (m->flags & IPCHANNEL_RECV_SYSTEM) {
		printf("%s%s%s from the kernel\n", color_on(t, C_YELLOW),
		       record_kind(m), color_off(t, C_YELLOW));
	} else {
		if (m->event[0])
			printf("%sevent %s%s", color_on(t, C_CYAN), m->event,
			       color_off(t, C_CYAN));
		else
			printf("%smessage%s", color_on(t, C_CYAN),
			       color_off(t, C_CYAN));
		printf(" from peer %u%s:", m->sender,
		       m->flags & IPCHANNEL_RECV_BROADCAST ? " to all" : "");
		if (m->len) {
			putchar(' ');
			print_escaped(stdout, m->data, m->len);
		}
		putchar('\n');
	}
	fflush(stdout);
}

static int listen_loop(struct tool *t, struct ipch *ipc)
{
	struct ipch_msg m;
	uint64_t seen = 0;

	while (!t->count || seen < t->count) {
		int err = ipch_recv(ipc, &m, -1);

		if (err == -EINTR || err == -EAGAIN)
			continue;
		if (err)
			return fail(t, err, "cannot receive");

		/* The kernel ended the subscription: ask again. */
		if ((m.flags & IPCHANNEL_RECV_SYSTEM) &&
		    m.type == IPCHANNEL_SYS_MEMBERSHIP_LOST && t->membership) {
			err = ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP);
			if (err)
				return fail(t, err, "cannot subscribe again");
		}
		if (t->json)
			record_json(&m);
		else
			record_human(t, &m);
		seen++;
	}
	return finish_output(t, EXIT_OK);
}

int cmd_listen(struct tool *t, int argc, char **argv)
{
	const char *channel = argv[0];
	struct ipch *ipc;
	int err;

	(void)argc;
	if (check_channel_arg(t, channel))
		return EXIT_USAGE;
	if (join(t, channel, 0, &ipc))
		return EXIT_FAIL;
	if (t->membership) {
		err = ipch_subscribe(ipc, IPCHANNEL_SUB_MEMBERSHIP);
		if (err) {
			ipch_close(ipc);
			return fail(t, err, "cannot subscribe to joins and "
				    "leaves");
		}
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "listening on %s as peer %d\n", channel,
			ipch_peer_id(ipc));

	err = listen_loop(t, ipc);
	ipch_close(ipc);
	return err;
}
