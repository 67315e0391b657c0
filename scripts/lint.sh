#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint.sh - static checks of the module, the library and the tool.
#
# Usage: scripts/lint.sh (what "make lint" runs)
# Every check runs even when an earlier one failed; the script fails if
# any did:
#  - checkpatch: "make checkpatch" (checkpatch.pl --strict on module/);
#  - sparse: the module built with C=2 W=1 CHECK=sparse for each kernel of
#    tests/vm/kernels.sh, in build/lint/KVER/ (the builds of scripts/kmod.sh
#    in build/kmod/ are left alone);
#  - user-space build: "make lib", whose library and tool build with
#    -Wall -Wextra -Werror;
#  - cppcheck: userlib/*.c and userlib/tools/*.c.
# Sparse may also report on the kernel's own headers, which we cannot
# fix: a diagnostic fails the sparse check when its file is under module/
# (see ours() below); modpost's warnings and a failed build fail it too.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
make=(make --no-print-directory)

failed=()

# check NAME COMMAND...: run one check, remember it when it fails.
check() {
	local name=$1
	shift

	echo "--- lint: $name"
	if ! "$@"; then
		failed+=("$name")
	fi
}

need() {
	if ! command -v "$1" >/dev/null; then
		echo "lint.sh: $1 is missing; run scripts/deps.sh" >&2
		return 1
	fi
}

# The kernel build tree for a version, as scripts/kmod.sh finds it.
kdir_of() {
	local kdir

	if [[ $1 == debug ]]; then
		scripts/debug-kernel.sh
		return
	fi
	for kdir in "/usr/src/linux-headers-$1" "/lib/modules/$1/build"; do
		if [[ -e "$kdir/Makefile" ]]; then
			echo "$kdir"
			return 0
		fi
	done
	return 1
}

# Print the diagnostics of build log $2 that are ours, without the build
# directory $1: those that gcc and sparse print as "FILE:LINE[:COL]:
# warning: ..." (or error:) where FILE is under module/ of the build
# directory (absolute, or relative as newer kernels print it), and
# modpost's "WARNING:" and "ERROR:" lines, which in an M= build only
# concern our module. One in a kernel header (/usr/src/...) is not ours,
# even when our file included the header.
ours() {
	local out=$1 log=$2 line
	local diag='^module/[^:]+:[0-9]+(:[0-9]+)?: (warning|error): '
	local modpost='^(WARNING|ERROR): modpost: '

	while IFS= read -r line; do
		line=${line#"$out/"}
		if [[ $line =~ $diag || $line =~ $modpost ]]; then
			echo "$line"
		fi
	done <"$log"
}

# Build the module for one kernel with sparse and W=1, from a fresh copy
# of the sources, so that every file is compiled and checked again.
sparse_one() {
	local kver=$1 kdir out log status=0 found

	if ! kdir=$(kdir_of "$kver"); then
		echo "lint.sh: no kernel headers for $kver" >&2
		return 1
	fi
	out=$repo/build/lint/$kver
	log=$out/build.log
	rm -rf "$out"
	mkdir -p "$out"
	cp -a Kbuild VERSION "$out/"
	find module \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
		-type f -print0 | xargs -0 -r cp -a --parents -t "$out"

	make -C "$kdir" M="$out" C=2 W=1 CHECK=sparse modules >"$log" 2>&1 ||
		status=$?
	if [[ $status -ne 0 ]]; then
		cat "$log" >&2
		echo "lint.sh: sparse build for $kver failed" >&2
		return 1
	fi
	found=$(ours "$out" "$log")
	if [[ -n "$found" ]]; then
		echo "lint.sh: sparse or W=1 warnings for $kver (see $log):" >&2
		echo "$found" >&2
		return 1
	fi
	echo "sparse, W=1 on $kver: clean"
}

sparse_all() {
	local kernels kver status=0

	need sparse || return 1
	kernels=$(tests/vm/kernels.sh) || return 1
	# The debug kernel has KUnit, so only there is module/kunit.c built.
	# make check sets LINT_DEBUG=1 once that kernel is built.
	if [[ ${LINT_DEBUG:-0} == 1 ]]; then
		kernels+=" debug"
	fi
	for kver in $kernels; do
		sparse_one "$kver" || status=1
	done
	return $status
}

# -D as userlib/Makefile and userlib/tools/Makefile build: cppcheck then
# checks that configuration only, as the compiler sees it.
cppcheck_all() {
	need cppcheck || return 1
	cppcheck --quiet --enable=warning,style,performance,portability \
		--inline-suppr --error-exitcode=1 --library=posix \
		--suppress=missingIncludeSystem -Iuserlib -Imodule/uapi \
		-D_GNU_SOURCE -DIPCH_TOOL_VERSION='"lint"' \
		userlib/*.c userlib/tools/*.c && echo "cppcheck: clean"
}

start=$SECONDS
check checkpatch "${make[@]}" checkpatch
check sparse sparse_all
check "user-space build" "${make[@]}" lib
check cppcheck cppcheck_all

if [[ ${#failed[@]} -ne 0 ]]; then
	list=$(printf ', %s' "${failed[@]}")
	echo "lint: FAILED: ${list#, } (took $((SECONDS - start))s)" >&2
	exit 1
fi
echo "lint: clean (took $((SECONDS - start))s)"
