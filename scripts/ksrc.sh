#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ksrc.sh - extract the kselftest headers and checkpatch from linux-source.
#
# Usage: scripts/ksrc.sh [BUILD_DIR]
# Writes BUILD_DIR/kselftest/{kselftest_harness.h,kselftest.h} and
# BUILD_DIR/checkpatch/{checkpatch.pl,spelling.txt,const_structs.checkpatch}.
# Reading the tarball takes a while, so it is done once per tarball: the
# stamp records the tarball's path, size and modification time.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
tarball=${KSRC_TARBALL:-}

if [[ -z "$tarball" ]]; then
	tarball=$(ls /usr/src/linux-source-6.12.tar.xz \
		     /usr/src/linux-source-6.*.tar.xz 2>/dev/null |
		  head -n 1) || true
fi
if [[ -z "$tarball" || ! -r "$tarball" ]]; then
	echo "ksrc.sh: no /usr/src/linux-source-6.*.tar.xz;" \
	     "run scripts/deps.sh" >&2
	exit 1
fi

stamp=$build/checkpatch/.stamp
want="$tarball $(stat -c '%s %Y' "$tarball")"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" &&
      -f "$build/kselftest/kselftest_harness.h" ]]; then
	exit 0
fi

echo "  KSRC    extracting kselftest headers and checkpatch from $tarball"
mkdir -p "$build"
tmp=$(mktemp -d "$build/.ksrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" --wildcards --strip-components=1 \
	'*/tools/testing/selftests/kselftest_harness.h' \
	'*/tools/testing/selftests/kselftest.h' \
	'*/scripts/checkpatch.pl' \
	'*/scripts/spelling.txt' \
	'*/scripts/const_structs.checkpatch'

mkdir -p "$build/kselftest" "$build/checkpatch"
cp "$tmp"/tools/testing/selftests/kselftest{_harness,}.h \
   "$build/kselftest/"
cp "$tmp"/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} \
   "$build/checkpatch/"
chmod +x "$build/checkpatch/checkpatch.pl"
echo "$want" > "$stamp"
