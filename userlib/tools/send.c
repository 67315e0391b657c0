// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * send.c - the send and emit commands: join a channel that exists, send
 * one message or event, leave
 *
 * "all" reaches every other peer: the tool's own short-lived peer is left
 * out (IPCH_NOSELF), since it leaves at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* More than the library can ever receive is refused before joining. */
#define STDIN_MAX	(16U << 20)

static int read_stdin(const struct tool *t, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *bigger;

	for (;;) {
		ssize_t ret;

		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			bigger = cap <= STDIN_MAX ? realloc(buf, cap) : NULL;
			if (!bigger) {
				free(buf);
				print_error(t, "more than %u bytes on stdin",
					    STDIN_MAX);
				return EXIT_FAIL;
			}
			buf = bigger;
		}
		ret = read(STDIN_FILENO, buf + n, cap - n);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			free(buf);
			return fail(t, -errno, "cannot read stdin");
		}
		if (ret == 0)
			break;
		n += ret;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int send_fail(const struct tool *t, const char *channel, uint32_t to,
		     size_t len, int err)
{
	if (err == -ENXIO)
		print_error(t, "no peer %u in channel '%s'", to, channel);
	else if (err == -EMSGSIZE)
		print_error(t, "%zu bytes is more than the module's "
			    "max_msg_size", len);
	else
		return fail(t, err, "cannot send to channel '%s'", channel);
	return EXIT_FAIL;
}

/* Send @data (already read) to @to; @event NULL for a plain message. */
static int deliver(const struct tool *t, const char *channel, uint32_t to,
		   const char *event, const char *data, size_t len)
{
	struct ipch *ipc;
	int err;

	if (join(t, channel, IPCH_OPEN_NOCREATE, &ipc))
		return EXIT_FAIL;

	/* Its own id would be accepted, and the message lost at close. */
	if (to == (uint32_t)ipch_peer_id(ipc))
		err = -ENXIO;
	else if (to == IPCHANNEL_PEER_ALL)
		err = ipch_broadcast(ipc, event, data, len, IPCH_NOSELF);
	else if (event)
		err = ipch_emit(ipc, to, event, data, len);
	else
		err = ipch_send(ipc, to, data, len);
	ipch_close(ipc);
	if (err)
		return send_fail(t, channel, to, len, err);
	return EXIT_OK;
}

/* send CHANNEL PEER MESSAGE and emit CHANNEL PEER EVENT [DATA] */
static int send_or_emit(struct tool *t, const char *channel,
			const char *peer, const char *event, const char *arg)
{
	char *data = NULL;
	size_t len = 0;
	uint32_t to;

	if (check_channel_arg(t, channel))
		return EXIT_USAGE;
	if (parse_peer(peer, &to))
		return usage_error(t, "'%s' is not a peer id (1 to %u) nor "
				   "\"all\"", peer, IPCHANNEL_PEER_MAX);
	if (event && !name_valid(event, false))
		return usage_error(t, "'%s' is not an event name: 1 to %d "
				   "printable ASCII bytes without spaces",
				   event, IPCHANNEL_NAME_MAX);

	if (arg && !strcmp(arg, "-")) {
		int ret = read_stdin(t, &data, &len);

		if (ret)
			return ret;
		ret = deliver(t, channel, to, event, data, len);
		free(data);
		return ret;
	}
	return deliver(t, channel, to, event, arg, arg ? strlen(arg) : 0);
}

int cmd_send(struct tool *t, int argc, char **argv)
{
	(void)argc;
	return send_or_emit(t, argv[0], argv[1], NULL, argv[2]);
}

int cmd_emit(struct tool *t, int argc, char **argv)
{
	return send_or_emit(t, argv[0], argv[1], argv[2],
			    argc > 3 ? argv[3] : NULL);
}
