#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# unload_test.sh - the module cannot be unloaded while a file is open, and
# unloads and loads again cleanly once the last one closes; TAP.
#
# Runs in the test VM (busybox sh) as root, three rounds with a different
# holder each: a file opened and never joined, a peer holding a lock with
# a message queued (the ipchannel tool's "lock" and "listen"), and a peer
# killed with SIGKILL. A netlink monitor, which holds no file of the
# device, must not keep the module. The module is loaded at the end, as
# the tests after this one expect.

KO=${KO:-/opt/ipchannel/ipchannel.ko}
TOOL=${TOOL:-/opt/ipchannel/bin/ipchannel}
KSFT_SKIP=4
N=0
FAILED=0

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to unload the module"
	exit $KSFT_SKIP
fi
if [ ! -c /dev/ipchannel ] || [ ! -f "$KO" ] || [ ! -x "$TOOL" ]; then
	echo "1..0 # SKIP needs the loaded module, $KO and the tool"
	exit $KSFT_SKIP
fi

result() {
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N $2"
	else
		echo "not ok $N $2"
		FAILED=1
	fi
}

# Waits up to 10 s for COMMAND to succeed: proof that a holder is set up.
wait_for() {
	i=0
	while ! sh -c "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge 100 ] && return 1
		sleep 0.1
	done
}

# unload_round NAME: the holder (already started, pid $holder) keeps the
# module; after it is gone the module unloads and loads again.
unload_round() {
	rmmod ipchannel 2>/dev/null
	[ $? -ne 0 ] && [ -d /sys/module/ipchannel ]
	result $? "$1: rmmod is refused while the file is open"
	[ -c /dev/ipchannel ] && "$TOOL" stats >/dev/null
	result $? "$1: the module still works after the refusal"

	kill -KILL "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	rmmod ipchannel
	[ $? -eq 0 ] && [ ! -d /sys/module/ipchannel ] &&
		[ ! -e /dev/ipchannel ]
	result $? "$1: rmmod succeeds once the holder is gone"

	insmod "$KO" && wait_for '[ -c /dev/ipchannel ]' &&
		"$TOOL" stats >/dev/null
	result $? "$1: the module loads again and answers"
}

echo "1..13"

# Round 1: a file that never joined.
sleep 600 3<>/dev/ipchannel &
holder=$!
wait_for "ls -l /proc/$holder/fd | grep -q ipchannel"
unload_round "an unjoined file"

# Round 2: a peer holding a lock, with a message queued to it (the tool
# waits for its command and does not read).
"$TOOL" lock unload-lk --channel unload-ch -- sleep 600 &
holder=$!
wait_for "$TOOL locks unload-ch | grep -q unload-lk" &&
	"$TOOL" send unload-ch 1 queued >/dev/null &&
	wait_for "$TOOL --json peers unload-ch | grep -Eq '\"queued_records\": ?[1-9]'"
result $? "a peer holds a lock and has a message queued"
unload_round "a peer holding a lock"
pkill -KILL -f "sleep 600" 2>/dev/null

# Round 3: a netlink monitor does not pin the module; a peer does until
# it is killed.
"$TOOL" monitor >/dev/null 2>&1 &
monitor=$!
sleep 600 3<>/dev/ipchannel &
holder=$!
wait_for "ls -l /proc/$monitor/fd | grep -q socket" &&
	wait_for "ls -l /proc/$holder/fd | grep -q ipchannel"
unload_round "a peer killed while a monitor listens"
kill -KILL "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null

exit $FAILED
