#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fuzz_test.sh - a short run of the device fuzzer (tests/fuzz); TAP.
#
# Runs in the test VM, as root and again as the unprivileged user: four
# processes throw random and mutated records, reads and ioctls at the
# device for FUZZ_SECONDS (default 20). Every failure must carry a
# documented errno and every read whole records; as root the module's
# counters must be zero at the end. The guest's kernel log check catches
# what the kernel thought of it. The fuzzer prints its seed: a failure
# can be run again with FUZZ_ARGS="--seed N".

FUZZ=${FUZZ:-/opt/ipchannel/bin/fuzz}
KSFT_SKIP=4

echo "TAP version 13"
if [ ! -x "$FUZZ" ]; then
	echo "1..0 # SKIP the fuzzer is not built"
	exit $KSFT_SKIP
fi

echo "1..1"
# shellcheck disable=SC2086 # extra arguments, split on purpose
"$FUZZ" --duration "${FUZZ_SECONDS:-20}" ${FUZZ_ARGS:-}
status=$?
case $status in
0) echo "ok 1 fuzz run: only documented errors, whole records" ;;
4) echo "ok 1 fuzz run # SKIP the device is missing"; exit $KSFT_SKIP ;;
*) echo "not ok 1 fuzz run: exit status $status"; exit 1 ;;
esac
