#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh - install the Debian packages needed to build and test ipchannel.
#
# Idempotent: when every package is already installed it only runs
# dpkg-query and exits. dkms: tests/install builds the module with it.
set -euo pipefail

packages=(
	build-essential
	qemu-system-x86
	busybox-static
	cpio
	kmod
	util-linux
	linux-image-amd64
	linux-headers-amd64
	linux-image-6.12-amd64
	linux-headers-6.12-amd64
	linux-source-6.12
	libnl-3-dev
	libnl-genl-3-dev
	pkg-config
	xz-utils
	perl
	bc
	bison
	flex
	libelf-dev
	libssl-dev
	groff-base
	jq
	sparse
	cppcheck
	dkms
	gnuplot-nox
)

installed() {
	local status

	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[[ "$status" == "install ok installed" ]]
}

missing=()
for pkg in "${packages[@]}"; do
	installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi

echo "deps.sh: installing: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "deps.sh: must run as root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
