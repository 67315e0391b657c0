#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench_test.sh - the benchmarks' smoke pass: every one runs and prints
# its figures; TAP.
#
# Runs in the test VM (busybox sh) as root. One short repetition of each
# benchmark (bench --smoke); the figures themselves are not judged, only
# that each expected line is there with a number in it. Needs the bench
# program (BENCH, else bench in PATH) and /dev/ipchannel; skips without.

BENCH=${BENCH:-$(command -v bench)}
KSFT_SKIP=4
N=0
FAILED=0

echo "TAP version 13"
if [ -z "$BENCH" ] || [ ! -x "$BENCH" ]; then
	echo "1..0 # SKIP the bench program is not built"
	exit $KSFT_SKIP
fi
if [ ! -c /dev/ipchannel ]; then
	echo "1..0 # SKIP /dev/ipchannel missing: module not loaded"
	exit $KSFT_SKIP
fi

OUT=$(mktemp) || exit 1
trap 'rm -f "$OUT"' EXIT

ok() {
	N=$((N + 1))
	echo "ok $N $1"
}

not_ok() {
	N=$((N + 1))
	echo "not ok $N $1"
	FAILED=1
}

# expect BENCHMARK PARAM METHOD UNIT: one CSV line with numbers in it.
expect() {
	if grep -qE "^@bench,$1,$2,$3,$4,1,[0-9.e+-]+,[0-9.e+-]+,[0-9.e+-]+$" \
		"$OUT"; then
		ok "$1 $2 $3 prints $4"
	else
		not_ok "$1 $2 $3 prints $4"
	fi
}

if "$BENCH" --smoke >"$OUT" 2>&1; then
	ok "bench --smoke exits 0"
else
	not_ok "bench --smoke exits 0"
	sed 's/^/# /' "$OUT"
fi
if grep -q '^@bench-done$' "$OUT"; then
	ok "bench --smoke runs to the end"
else
	not_ok "bench --smoke runs to the end"
fi

for size in 64 1024 16384; do
	for m in ipchannel unix-seqpacket pipe mqueue; do
		expect rtt "$size" "$m" us/trip
	done
done
for batch in 1 32; do
	for m in ipchannel unix-seqpacket; do
		expect throughput "batch=$batch" "$m" msgs/s
	done
done
for n in 1 4 16 64; do
	for m in ipchannel unix-seqpacket; do
		expect broadcast "$n" "$m" us/msg
	done
done
for m in ipchannel unix-seqpacket; do
	expect memory 64 "$m" bytes/msg
done
for m in ipchannel flock fcntl-ofd pthread-robust; do
	expect lock-uncontended 1 "$m" ns/op
	for n in 2 4 8; do
		for unit in handoffs/s acq/s jain max-wait-us; do
			expect lock-contended "$n" "$m" "$unit"
		done
	done
done
# Exactly the figures above, each once.
if [ "$(grep -c '^@bench,' "$OUT")" -eq $((N - 2)) ]; then
	ok "no figure is printed twice or unexpected"
else
	not_ok "no figure is printed twice or unexpected"
	grep '^@bench,' "$OUT" | sed 's/^/# /'
fi

# The Node.js rivals, where run.sh put node in the guest (VM_NODE).
NODE_RUN=/opt/ipchannel/node/run.sh
if [ -x "$NODE_RUN" ]; then
	if "$NODE_RUN" --smoke >"$OUT" 2>&1; then
		ok "node benchmarks --smoke exit 0"
	else
		not_ok "node benchmarks --smoke exit 0"
		sed 's/^/# /' "$OUT"
	fi
	for size in 64 1024 16384; do
		for m in ipchannel-node npm-ipchannel; do
			expect node-rtt "$size" "$m" us/trip
		done
	done
	for n in 2 4 8; do
		expect node-lock "$n" ipchannel-node handoffs/s
		expect node-lock "$n" ipchannel-node acq/s
	done
else
	echo "# node benchmarks not in this guest (make check puts them" \
	     "in the 6.12 one when the host has node and npm)"
fi

echo "1..$N"
exit $FAILED
