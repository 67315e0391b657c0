#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernels.sh - print the kernel versions the VM tests run on, one per line.
#
# The newest installed Debian 6.1 kernel and the newest 6.12 kernel, each
# with a kernel image in /boot and matching headers to build against.
set -euo pipefail

# Kernel build directory for a version, or nothing.
kdir() {
	local ver=$1

	if [[ -e "/usr/src/linux-headers-$ver/Makefile" ]]; then
		echo "/usr/src/linux-headers-$ver"
	elif [[ -e "/lib/modules/$ver/build/Makefile" ]]; then
		echo "/lib/modules/$ver/build"
	fi
}

# Newest version matching a /boot/vmlinuz-* glob that has headers.
newest() {
	local pattern=$1 image ver

	for image in /boot/vmlinuz-$pattern; do
		[[ -e "$image" ]] || continue
		ver=${image#/boot/vmlinuz-}
		[[ -n "$(kdir "$ver")" ]] && echo "$ver"
	done | sort -V | tail -n 1
}

status=0
for pattern in '6.1.0-*-amd64' '6.12.*+deb12-amd64'; do
	ver=$(newest "$pattern")
	if [[ -z "$ver" ]]; then
		echo "kernels.sh: no /boot/vmlinuz-$pattern with headers" \
		     "installed; run scripts/deps.sh" >&2
		status=1
		continue
	fi
	echo "$ver"
done
exit $status
