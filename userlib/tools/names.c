// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * names.c - channel names and peer ids from the command line, and the
 * messages for what can go wrong when joining or asking the kernel
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define DEVICE		"/dev/ipchannel"

/* 1..63 bytes of printable ASCII; a channel name has no '/' either. */
bool name_valid(const char *name, bool channel)
{
	size_t i;

	for (i = 0; name[i]; i++) {
		if (i == IPCHANNEL_NAME_MAX)
			return false;
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
		if (channel && name[i] == '/')
			return false;
	}
	return i > 0;
}

/* A peer id (1..IPCHANNEL_PEER_MAX) or "all"; -EINVAL otherwise. */
int parse_peer(const char *arg, uint32_t *id)
{
	unsigned long n;
	char *end;

	if (!strcmp(arg, "all")) {
		*id = IPCHANNEL_PEER_ALL;
		return 0;
	}
	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || *end || n == 0 || n > IPCHANNEL_PEER_MAX)
		return -EINVAL;
	*id = n;
	return 0;
}

int check_channel_arg(const struct tool *t, const char *name)
{
	if (name_valid(name, true))
		return 0;
	return usage_error(t, "'%s' is not a channel name: 1 to %d "
			   "printable ASCII bytes without spaces or '/'",
			   name, IPCHANNEL_NAME_MAX);
}

/* The message for an error about @channel; returns EXIT_FAIL. */
int channel_fail(const struct tool *t, const char *channel, int err)
{
	switch (err) {
	case -ENOENT:
		print_error(t, "no channel '%s' (or you may not see it)",
			    channel);
		return EXIT_FAIL;
	case -EACCES:
		print_error(t, "channel '%s': permission denied (its mode "
			    "does not let you join)", channel);
		return EXIT_FAIL;
	case -EAGAIN:
		print_error(t, "channel '%s' kept changing while it was "
			    "read; try again", channel);
		return EXIT_FAIL;
	default:
		return fail(t, err, "channel '%s'", channel);
	}
}

/*
 * join - open the device and join @channel as a new peer
 * @flags: IPCH_OPEN_*
 *
 * Return: 0, or EXIT_FAIL after printing why.
 */
int join(const struct tool *t, const char *channel, uint32_t flags,
	 struct ipch **ipc)
{
	struct ipch_options opts = { .flags = flags };
	int err;

	if (t->shared)
		opts.flags |= IPCH_OPEN_SHARED;
	err = ipch_open(ipc, channel, &opts);
	if (!err)
		return 0;
	return join_fail(t, channel, err);
}

/* The message for an error of ipch_open(); returns EXIT_FAIL. */
int join_fail(const struct tool *t, const char *channel, int err)
{
	/* The device missing and the channel missing are both -ENOENT. */
	if ((err == -ENOENT || err == -ENODEV || err == -ENXIO) &&
	    access(DEVICE, F_OK)) {
		print_error(t, "%s: %s (is the ipchannel module loaded?)",
			    DEVICE, strerror(errno));
		return EXIT_FAIL;
	}
	if (err == -EUSERS) {
		print_error(t, "channel '%s' is full: every peer id is taken",
			    channel);
		return EXIT_FAIL;
	}
	if (err == -EEXIST) {
		print_error(t, "channel '%s' exists already", channel);
		return EXIT_FAIL;
	}
	if (err == -EPERM) {
		print_error(t, "channel '%s' was made by another user "
			    "(--shared joins it anyway)", channel);
		return EXIT_FAIL;
	}
	if (err == -EDQUOT) {
		print_error(t, "this user has max_peers_per_uid peers "
			    "already");
		return EXIT_FAIL;
	}
	return channel_fail(t, channel, err);
}

int ctl_open(const struct tool *t, struct ipch_ctl **ctl)
{
	int err = ipch_ctl_open(ctl);

	if (err == -EPROTONOSUPPORT || err == -ENOENT) {
		print_error(t, "no \"%s\" generic netlink family: is the "
			    "ipchannel module loaded?", IPCHANNEL_GENL_NAME);
		return EXIT_FAIL;
	}
	if (err)
		return fail(t, err, "cannot open a generic netlink socket");
	return 0;
}
