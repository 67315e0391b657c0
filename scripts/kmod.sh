#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kmod.sh - build ipchannel.ko for one kernel in build/kmod/KVER/.
#
# Usage: scripts/kmod.sh KVER [KDIR]
# Out-of-tree builds write their objects next to the sources, so each
# kernel gets its own copy of Kbuild and module/. The build fails if the
# compiler, the linker or modpost prints any warning.
# Environment: MODULE_SRC (default: the repository) is the directory that
# holds Kbuild and module/; KMOD_MAKEFLAGS adds make arguments (e.g. W=1).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: kmod.sh KVER [KDIR]}
kdir=${2:-}
src=${MODULE_SRC:-$repo}
out=$repo/build/kmod/$kver

if [[ -z "$kdir" && $kver == debug ]]; then
	kdir=$("$repo/scripts/debug-kernel.sh")
fi
if [[ -z "$kdir" ]]; then
	for kdir in "/usr/src/linux-headers-$kver" "/lib/modules/$kver/build"
	do
		[[ -e "$kdir/Makefile" ]] && break
	done
fi
if [[ ! -e "$kdir/Makefile" ]]; then
	echo "kmod.sh: no kernel headers for $kver; run scripts/deps.sh" >&2
	exit 1
fi

# Mirror the sources only (not objects of an in-place build); cp -a keeps
# modification times, so make only rebuilds what changed. Sources deleted
# upstream are deleted here too.
sources() {
	(cd "$1" && find module \( -name '*.[ch]' -o -name Kbuild \
	 -o -name Makefile \) -type f | LC_ALL=C sort)
}
mkdir -p "$out"
if [[ -d "$out/module" ]]; then
	comm -23 <(sources "$out") <(sources "$src") | while read -r f; do
		rm -f "$out/$f"
	done
fi
cp -a "$src/Kbuild" "$src/VERSION" "$out/"
(cd "$src" && sources . | xargs -r cp -a --parents -t "$out")

log=$out/build.log
status=0
make -C "$kdir" M="$out" ${KMOD_MAKEFLAGS:-} modules 2>&1 |
	tee "$log" || status=$?
if [[ $status -ne 0 ]]; then
	echo "kmod.sh: build for $kver failed" >&2
	exit "$status"
fi
# Compiler, linker and modpost warnings; not make's own notes.
warnings=$(grep -i 'warning:' "$log" | grep -v '^make\(\[[0-9]*\]\)\?: ') ||
	true
if [[ -n "$warnings" ]]; then
	echo "kmod.sh: build for $kver has warnings (see $log):" >&2
	echo "$warnings" >&2
	# Drop the objects so the next build compiles and warns again.
	find "$out" \( -name '*.o' -o -name '*.ko' \) -delete
	exit 1
fi
