#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh - tests of make install, make uninstall and the DKMS package.
#
# Stages "make install DESTDIR=... PREFIX=/usr" and checks it file by
# file against files.list; builds hello.c with the staged pkg-config
# file; checks that "make uninstall" leaves no file; for each kernel of
# tests/vm/kernels.sh runs "make install-dkms" into throwaway DKMS trees,
# and "make uninstall-dkms", then boots a guest that installs the
# DKMS-built module under updates/dkms, runs depmod, loads it with
# modprobe and runs hello.
# Prints TAP; exits 1 if a check failed. INSTALL_VM=0 skips the guests.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
work=$repo/build/install
stage=$work/stage
version=$(grep -v '^#' VERSION)
make=(make --no-print-directory)

num=0
failed=0
# result STATUS DESCRIPTION: one TAP line.
result() {
	num=$((num + 1))
	if [[ $1 -eq 0 ]]; then
		echo "ok $num - $2"
	else
		echo "not ok $num - $2"
		failed=$((failed + 1))
	fi
}

# check DESCRIPTION COMMAND...: a TAP line for the command's status.
check() {
	local name=$1 status=0

	shift
	"$@" || status=$?
	result "$status" "$name"
}

rm -rf "$work"
mkdir -p "$work"

# --- one version -----------------------------------------------------

dkms_version=$(set +u && . ./dkms.conf && echo "$PACKAGE_VERSION")
check "dkms.conf has the version of VERSION ($version)" \
	test "$dkms_version" = "$version"

# --- staged install --------------------------------------------------

status=0
"${make[@]}" -s install DESTDIR="$stage" PREFIX=/usr >"$work/install.log" \
	2>&1 || status=$?
result $status "make install DESTDIR=... PREFIX=/usr"

grep -v '^#' tests/install/files.list | sed "s/@VERSION@/$version/" \
	>"$work/expected"
(cd "$stage" && find . -not -type d | sed 's/^\.//' | LC_ALL=C sort) \
	>"$work/staged"
check "staged files are exactly tests/install/files.list" \
	diff -u "$work/expected" "$work/staged"

lib=$stage/usr/lib
check "libipchannel.so -> libipchannel.so.0" \
	test "$(readlink "$lib/libipchannel.so")" = libipchannel.so.0
check "libipchannel.so.0 -> libipchannel.so.$version" \
	test "$(readlink "$lib/libipchannel.so.0")" = \
	"libipchannel.so.$version"
check "SONAME is libipchannel.so.0" \
	grep -q 'Library soname: \[libipchannel.so.0\]' \
	<(readelf -d "$lib/libipchannel.so.$version")
check "ipch_open is exported with a symbol version" \
	grep -qE ' ipch_open@@IPCHANNEL_[0-9.]+$' \
	<(readelf --dyn-syms -W "$lib/libipchannel.so.$version")
check "the UAPI header is include/linux/ipchannel.h" \
	cmp -s module/uapi/linux/ipchannel.h \
	"$stage/usr/include/linux/ipchannel.h"
check "modules-load.d/ipchannel.conf names the module" \
	grep -qx ipchannel "$stage/etc/modules-load.d/ipchannel.conf"
check "the tool's man page is docs/man/man1/ipchannel.1" \
	cmp -s docs/man/man1/ipchannel.1 \
	"$stage/usr/share/man/man1/ipchannel.1"
check "the tool prints version $version" \
	grep -q "$version" <("$stage/usr/bin/ipchannel" --version)

# --- a program built with the staged pkg-config file -----------------

export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
check "pkg-config --modversion ipchannel is $version" \
	test "$(pkg-config --modversion ipchannel)" = "$version"
flags=$(pkg-config --cflags --libs ipchannel)
check "pkg-config points into the stage ($flags)" \
	grep -qE "^-I$stage/usr/include .*-L$lib -lipchannel *$" <<<"$flags"
check "hello.c builds against the staged library" \
	cc -Wall -Wextra -Werror -o "$work/hello" tests/install/hello.c \
	$flags
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
check "hello needs libipchannel.so.0" \
	grep -q 'Shared library: \[libipchannel.so.0\]' \
	<(readelf -d "$work/hello")

# --- uninstall -------------------------------------------------------

status=0
"${make[@]}" -s uninstall DESTDIR="$stage" PREFIX=/usr \
	>>"$work/install.log" 2>&1 || status=$?
result $status "make uninstall DESTDIR=... PREFIX=/usr"
left=$(find "$stage" -not -type d)
check "make uninstall leaves no file${left:+: $left}" test -z "$left"

# --- DKMS, in throwaway trees ----------------------------------------

for kver in $(tests/vm/kernels.sh); do
	tree=$work/dkms-$kver
	dkms=(dkms --dkmstree "$tree/var" --sourcetree "$tree/src"
	      --installtree "$tree/modules"
	      --kernelsourcedir "/usr/src/linux-headers-$kver")
	mkdir -p "$tree"/{var,src,modules/$kver}
	status=0
	"${make[@]}" install-dkms DKMS="${dkms[*]}" \
		DKMS_SRCROOT="$tree/src" DKMS_KVER="$kver" \
		>"$tree/dkms.log" 2>&1 || status=$?
	[[ $status -eq 0 ]] || tail -n 30 "$tree/dkms.log" | sed 's/^/# /'
	result $status "DKMS add, build and install for $kver"
	# DKMS compresses the module as the kernel's own are (6.12: xz).
	ko=$(find "$tree/modules/$kver/updates/dkms" -name 'ipchannel.ko*' \
		2>/dev/null | head -n 1)
	check "DKMS installed updates/dkms/ipchannel.ko* for $kver" \
		test -n "$ko"
	[[ -n $ko ]] || continue
	check "its vermagic is $kver" \
		grep -q "^$kver " <(modinfo -F vermagic "$ko")
	check "its version is $version" \
		test "$(modinfo -F version "$ko")" = "$version"
	# A copy for the guest, uncompressed: the DKMS trees go next.
	if [[ $ko == *.xz ]]; then
		xz -dc "$ko" >"$tree/ipchannel.ko"
	else
		cp "$ko" "$tree/ipchannel.ko"
	fi
	ko=$tree/ipchannel.ko

	status=0
	"${make[@]}" uninstall-dkms DKMS="${dkms[*]}" \
		DKMS_SRCROOT="$tree/src" >>"$tree/dkms.log" 2>&1 || status=$?
	result $status "make uninstall-dkms for $kver"
	left=$(find "$tree"/{var,src,modules} -not -type d)
	check "it leaves no file in the DKMS trees${left:+: $left}" \
		test -z "$left"
	[[ ${INSTALL_VM:-1} == 1 ]] || continue

	# The guest runs as the machine would at boot: the module in
	# updates/dkms, depmod, modprobe, then a program of the user.
	cmd='rmmod ipchannel && rm -rf /lib/modules/$(uname -r)/extra &&
	     d=/lib/modules/$(uname -r)/updates/dkms && mkdir -p $d &&
	     cp /opt/ipchannel/ipchannel.ko $d/ && depmod &&
	     modprobe ipchannel && test -d /sys/module/ipchannel &&
	     echo "# modprobe loaded $(modinfo -F filename ipchannel)" &&
	     hello'
	for try in 1 2; do
		status=0
		KMOD=$ko VM_PROGRAMS=$work/hello tests/vm/run.sh --no-build \
			--kernel "$kver" --cmd "$cmd" >"$tree/vm.log" 2>&1 ||
			status=$?
		# A kernel that dies booting under TCG, before /init has
		# printed a line, never saw the module: boot it once more.
		[[ $status -ne 0 && $try -eq 1 &&
		   ! -s build/vm/$kver/output.log ]] || break
		echo "# guest $kver crashed before /init ran; booting again"
		cp "$tree/vm.log" "$tree/vm-crashed.log"
	done
	[[ $status -eq 0 ]] || tail -n 30 "$tree/vm.log" | sed 's/^/# /'
	result $status "guest $kver: modprobe loads the DKMS module; hello"
done

echo "1..$num"
echo "# install: $((num - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
