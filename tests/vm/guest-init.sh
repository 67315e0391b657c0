#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# guest-init.sh - /init of the test VM: load ipchannel.ko, run, report.
#
# Runs under busybox sh. The kernel console is ttyS0; everything this
# script prints goes to ttyS1 (the host's stdout), so test output is never
# interleaved with kernel messages. The host reads these marker lines:
#   @@IPCH-RUN <user> <name>          output of one run follows
#   @@IPCH-STATUS <user> <name> <n>   that run ended with exit status n
#   @@IPCH-DMESG-BEGIN / -END         the whole kernel log
#   @@IPCH-EXIT <n>                   the guest finished; n is 0 if all ran
# /opt/ipchannel/run.conf sets MODE (tests, cmd or shell), CMD and
# TEST_TIMEOUT.

export PATH=/opt/ipchannel/bin:/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=/opt/ipchannel/lib
export HOME=/root
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname ipch-vm
ip link set lo up 2>/dev/null

if [ -c /dev/ttyS1 ]; then
	exec >/dev/ttyS1 2>&1 </dev/null
fi

MODE=tests
CMD=
TEST_TIMEOUT=300
. /opt/ipchannel/run.conf

OPT=/opt/ipchannel
failed=0

# run USER NAME COMMAND...: run one command between markers, as root or
# as the unprivileged user ipch, with a timeout.
run() {
	user=$1
	name=$2
	shift 2

	echo "@@IPCH-RUN $user $name"
	cd /tmp
	if [ "$user" = root ]; then
		timeout "$TEST_TIMEOUT" "$@"
	else
		timeout "$TEST_TIMEOUT" "$OPT/bin/as-ipch" "$@"
	fi
	status=$?
	cd /
	echo "@@IPCH-STATUS $user $name $status"
	# Exit status 4 is the kselftest skip code.
	if [ "$status" -ne 0 ] && [ "$status" -ne 4 ]; then
		failed=1
	fi
}

# tap_result STATUS DESCRIPTION: one TAP line for a check done here.
tap_num=0
tap_result() {
	tap_num=$((tap_num + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_num $2"
	else
		echo "not ok $tap_num $2"
		failed=1
	fi
}

# Kill what the tests left behind so that it cannot pin the module.
kill_strays() {
	strays=
	for dir in /proc/[0-9]*; do
		pid=${dir#/proc/}
		[ "$pid" -eq 1 ] && continue
		[ "$pid" -eq $$ ] && continue
		[ -s "$dir/cmdline" ] || continue
		strays="$strays $pid"
	done
	[ -z "$strays" ] && return
	echo "# processes left after the run:"
	for pid in $strays; do
		echo "#   $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done
	kill -KILL $strays 2>/dev/null
	sleep 1
}

run_tests() {
	for test in "$OPT"/selftests/*; do
		[ -x "$test" ] || continue
		run root "${test##*/}" "$test"
	done
	[ -f "$OPT/unprivileged.list" ] || return
	grep -v '^[[:space:]]*#' "$OPT/unprivileged.list" |
	while read -r name _; do
		[ -n "$name" ] && echo "$name"
	done >/tmp/unprivileged
	while read -r name; do
		if [ -x "$OPT/selftests/$name" ]; then
			run ipch "$name" "$OPT/selftests/$name"
		else
			echo "@@IPCH-RUN ipch $name"
			echo "not ok 1 $name # listed in unprivileged.list," \
			     "not built"
			echo "@@IPCH-STATUS ipch $name 1"
			failed=1
		fi
	done </tmp/unprivileged
}

# kmemleak (debug kernel): forget what boot left, so that a report after
# the run is about the run.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w $KMEMLEAK ] && echo clear >$KMEMLEAK

# Install the module where modprobe looks, then load it as a tool would:
# by asking the generic netlink controller for the family, whose alias
# makes the kernel run modprobe.
autoload() {
	dir=/lib/modules/$(uname -r)/extra
	mkdir -p "$dir" && cp "$OPT/ipchannel.ko" "$dir/" && depmod ||
		return 1
	"$OPT/bin/ipchannel" stats >/dev/null
	[ -d /sys/module/ipchannel ]
}

echo "@@IPCH-RUN root module"
if [ -x "$OPT/bin/ipchannel" ]; then
	autoload
	tap_result $? "module autoloads when its netlink family is asked for"
fi
[ -d /sys/module/ipchannel ] || insmod "$OPT/ipchannel.ko"
loaded=$?
tap_result $loaded "module loads"
# KUnit (debug kernel): the suites run while the test module loads and
# report in the kernel log, which the host checks.
if [ $loaded -eq 0 ] && [ -f "$OPT/ipchannel_kunit.ko" ]; then
	insmod "$OPT/ipchannel_kunit.ko" && rmmod ipchannel_kunit
	tap_result $? "KUnit module loads and unloads"
fi
echo "@@IPCH-STATUS root module $loaded"

if [ $loaded -eq 0 ]; then
	case "$MODE" in
	tests)
		run_tests
		;;
	cmd)
		run root cmd sh -c "$CMD"
		;;
	shell)
		echo "ipchannel VM: exit the shell to unload and power off"
		setsid sh -c 'exec sh -i </dev/ttyS1 >/dev/ttyS1 2>&1'
		;;
	esac

	kill_strays
	echo "@@IPCH-RUN root module"
	rmmod ipchannel
	status=$?
	tap_result $status "module unloads"
	echo "@@IPCH-STATUS root module $status"
fi

# Objects younger than five seconds are never reported; then two scans,
# as the kmemleak documentation advises. Leaks land in the kernel log.
if [ -w $KMEMLEAK ]; then
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	cat $KMEMLEAK
fi

echo "@@IPCH-DMESG-BEGIN"
dmesg
echo "@@IPCH-DMESG-END"
echo "@@IPCH-EXIT $failed"
sync
poweroff -f
