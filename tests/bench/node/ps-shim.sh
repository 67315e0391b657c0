#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ps-shim.sh - the one ps listing the npm ipchannel package asks for
#
# The package elects its server by running `ps ax -ww -o pid,ppid,uid,gid,args`
# (through find-process). busybox ps has neither -ww nor these columns, so
# in the guest worker.js has the package run this script instead (see
# BENCH_NODE_PS in run.sh). Whatever the options, it prints that listing
# from /proc: a header line, then one line per process with a command
# line, in numeric pid order as procps does (the package takes the first
# of the candidates it finds).

# find-process treats anything on stderr as a failure.
exec 2>/dev/null

echo "  PID  PPID   UID   GID COMMAND"
for pid in $(ls /proc | grep -E '^[0-9]+$' | sort -n); do
	ppid=
	uid=
	gid=
	# A process may exit while we read it: skip it then.
	while read -r key val _; do
		case "$key" in
		PPid:) ppid=$val ;;
		Uid:) uid=$val ;;
		Gid:) gid=$val ;;
		esac
	done <"/proc/$pid/status"
	args=$(tr "\\0" " " <"/proc/$pid/cmdline")
	[ -n "$ppid" ] && [ -n "$args" ] || continue
	echo "$pid $ppid $uid $gid ${args% }"
done
