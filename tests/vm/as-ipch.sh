#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# as-ipch - in the test VM, run a command as the unprivileged user ipch.
#
# Usage: as-ipch COMMAND [ARG...]  (uid and gid 1000, no supplementary
# groups, no capabilities). The full path matters: busybox sh would run
# its own setpriv applet, which lacks --reuid.
exec /usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups \
	env HOME=/tmp USER=ipch LOGNAME=ipch "$@"
