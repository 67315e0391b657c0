#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh - build, once, the debug kernel the tests also run on.
#
# Usage: debug-kernel.sh [--print]
#
# The kernel is Debian's linux-source-6.12, configured from allnoconfig
# plus tests/kunit/debug.config (KASAN, lockdep, UBSAN, kmemleak, KUnit).
# It is built outside the repository, in $IPCH_CACHE (default
# /var/cache/ipchannel), in a directory keyed by the configuration
# fragment, this script and the source tarball, so it is built again only
# when one of them changes.
# Prints the build tree's path; the image is arch/x86/boot/bzImage in it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
fragment=$repo/tests/kunit/debug.config
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${IPCH_CACHE:-/var/cache/ipchannel}

if [[ ! -f $tarball ]]; then
	echo "debug-kernel.sh: $tarball missing (make deps)" >&2
	exit 1
fi
# The key covers how the kernel is built: the fragment, this script and
# the source tarball.
key=$({ cat "$fragment" "$0"; stat -c '%n %s %Y' "$tarball"; } |
	sha256sum | cut -c1-16)
tree=$cache/debug-6.12-$key

if [[ -f $tree/.ipchannel-built ]]; then
	echo "$tree"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9
if [[ -f $tree/.ipchannel-built ]]; then
	echo "$tree"
	exit 0
fi

log=$cache/debug-6.12-$key.log
echo "debug-kernel.sh: building $tree (log: $log)" >&2
rm -rf "$tree"
mkdir -p "$tree"
tar -xJf "$tarball" -C "$tree" --strip-components=1

{
	make -C "$tree" allnoconfig
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" \
		"$tree/.config" "$fragment"
	make -C "$tree" olddefconfig
} >"$log" 2>&1

# Every option the fragment asks for must have survived olddefconfig.
missing=0
while read -r line; do
	[[ $line =~ ^CONFIG_[A-Z0-9_]+=[ym0-9] ]] || continue
	if ! grep -qx "$line" "$tree/.config"; then
		echo "debug-kernel.sh: not in .config: $line" >&2
		missing=1
	fi
done <"$fragment"
[[ $missing == 0 ]] || exit 1

make -C "$tree" -j"$(nproc)" bzImage modules >>"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	exit 1
}
touch "$tree/.ipchannel-built"
echo "$tree"
