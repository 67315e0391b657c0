#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run.sh - run the Node.js benchmarks in the guest (busybox sh)
#
#	/opt/ipchannel/node/run.sh [--smoke] [bench.js arguments]
#
# Needs /usr/bin/node and this folder as tests/vm/run.sh copies them with
# VM_NODE=build/bench/node; the module is loaded by the guest's init.
# Prints the @bench lines of bench.js and how long the run took.

dir=$(cd "$(dirname "$0")" && pwd)

if [ ! -x /usr/bin/node ]; then
	echo "run.sh: no /usr/bin/node; boot the guest with VM_NODE" >&2
	exit 1
fi
if [ ! -c /dev/ipchannel ]; then
	echo "run.sh: no /dev/ipchannel; is the module loaded?" >&2
	exit 1
fi

# The npm package elects its server from a procps ps listing. busybox ps
# cannot print it, and busybox sh runs its own ps whatever PATH says, so
# worker.js has the package run this stand-in that reads /proc instead.
if ! ps ax -ww -o pid,ppid,uid,gid,args >/dev/null 2>&1; then
	BENCH_NODE_PS=$dir/ps-shim.sh
	export BENCH_NODE_PS
fi

start=$(date +%s)
node "$dir/bench.js" "$@"
status=$?
echo "# run.sh: node bench.js $* took $(($(date +%s) - start)) s" \
     "(guest clock), exit status $status"
exit $status
