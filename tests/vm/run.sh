#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - boot a QEMU guest with ipchannel.ko and run the tests or a command.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: tests/vm/run.sh [options]

Boots /boot/vmlinuz-KVER under QEMU (software emulation) with an initramfs
holding busybox, jq, ipchannel.ko, the selftests (programs and *_test.sh
scripts), the examples, userlib and its tools,
loads the module, runs something, unloads the module and checks the
kernel log.

  --kernel KVER       kernel version (default: first of tests/vm/kernels.sh);
                      "debug" is the KASAN/lockdep/KUnit kernel built by
                      scripts/debug-kernel.sh
  --tests             run every selftest as root, then those listed in
                      tests/selftests/unprivileged.list as uid 1000
  --cmd 'COMMAND'     run a shell command as root instead
  --shell             interactive shell on the terminal (quit: exit)
  --icount            -icount shift=0,sleep=off: the guest clock counts
                      instructions and skips idle time, so timings repeat
  --no-build          do not run make first
  --timeout SECS      whole guest run limit (default 600, 1500 for the debug
                      kernel; env VM_TIMEOUT)
  --test-timeout SECS limit per test program (default 300, env TEST_TIMEOUT)
  -v, --verbose       also print the guest's kernel log live
  -h, --help          this text

Without --tests, --cmd or --shell the guest only loads and unloads the
module. Results go to build/vm/KVER/: output.log (what the guest printed),
console.log (the kernel console), dmesg.log (the guest's kernel log) and
summary. Environment: KMOD overrides the path of ipchannel.ko,
VM_PROGRAMS adds programs (space-separated paths) to /opt/ipchannel/bin,
VM_NODE=DIR adds the host's /usr/bin/node with its libraries and copies
DIR to /opt/ipchannel/node (see tests/bench/node/), QEMU_CPU the -cpu
model (default max), VM_MEM the guest's memory in MiB (default 1024; the
results then go to build/vm/KVER-memMB/), VM_APPEND adds kernel arguments,
VERBOSE=1 is -v.
EOF
}

repo=$(cd "$(dirname "$0")/../.." && pwd)
kver=
mode=cmd
cmd=true
icount=0
build=1
vm_timeout=${VM_TIMEOUT:-}
test_timeout=${TEST_TIMEOUT:-300}
verbose=${VERBOSE:-0}

while [[ $# -gt 0 ]]; do
	case "$1" in
	--kernel) kver=${2:?--kernel needs a version}; shift ;;
	--tests) mode=tests ;;
	--cmd) mode=cmd; cmd=${2?--cmd needs a command}; shift ;;
	--shell) mode=shell ;;
	--icount) icount=1 ;;
	--no-build) build=0 ;;
	--timeout) vm_timeout=${2:?}; shift ;;
	--test-timeout) test_timeout=${2:?}; shift ;;
	-v|--verbose) verbose=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

if [[ -z "$kver" ]]; then
	kernels=$("$repo/tests/vm/kernels.sh")
	kver=${kernels%%$'\n'*}
fi
# "debug" is the kernel that scripts/debug-kernel.sh builds (and caches).
if [[ $kver == debug ]]; then
	image=$("$repo/scripts/debug-kernel.sh")/arch/x86/boot/bzImage
else
	image=/boot/vmlinuz-$kver
fi
# The sanitizers make the debug kernel several times slower: its test
# run takes about 7 of the 10 minutes a stock guest may run.
if [[ -z "$vm_timeout" ]]; then
	vm_timeout=600
	[[ $kver == debug ]] && vm_timeout=1500
fi
if [[ ! -r "$image" ]]; then
	echo "run.sh: cannot read $image" >&2
	exit 1
fi

# One guest at a time on this machine, and one run at a time in build/vm:
# the lock is held from the build to the verdict.
exec 9>/tmp/ipchannel-vm.lock
if ! flock -n 9; then
	echo "run.sh: waiting for another VM run to finish"
	flock 9
fi

# A selftest that does not compile fails a --tests run (it is missing from
# the guest) but does not keep a command from running.
if [[ $build -eq 1 ]]; then
	make -C "$repo" --no-print-directory kmod examples KVER="$kver"
	make -C "$repo" --no-print-directory selftests ||
		echo "run.sh: warning: some selftests did not build" >&2
fi

ko=${KMOD:-$repo/build/kmod/$kver/ipchannel.ko}
# A guest with other memory than the default keeps its own results.
vmdir=$repo/build/vm/$kver${VM_MEM:+-mem$VM_MEM}
root=$vmdir/root
initrd=$vmdir/initramfs.cpio.gz
if [[ ! -f "$ko" ]]; then
	echo "run.sh: $ko is missing; run make kmod KVER=$kver" >&2
	exit 1
fi

# --- initramfs -------------------------------------------------------

# Is this file an ELF executable (not a shared library or object)?
is_program() {
	case "$1" in
	*.so|*.so.*|*.o|*.ko|*.a) return 1 ;;
	esac
	[[ -f "$1" && -x "$1" && "$(head -c 4 "$1")" == $'\x7fELF' ]]
}

# Copy a file to the same path inside the image, following links.
add_file() {
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}

# Copy the shared libraries and the loader that the given ELF files need.
add_libs() {
	local prog out lib

	for prog in "$@"; do
		# ldd fails on static programs; they need nothing.
		out=$(LD_LIBRARY_PATH=$repo/userlib ldd "$prog" 2>&1) ||
			continue
		while read -r lib; do
			if [[ "$lib" == MISSING* ]]; then
				echo "run.sh: $prog needs ${lib#MISSING }," \
				     "which is not found" >&2
				exit 1
			fi
			# libipchannel comes from the build, not the host.
			[[ "$lib" == "$repo"/* ]] && continue
			[[ -e "$root$lib" ]] || add_file "$lib"
		done < <(awk '/not found/ { print "MISSING " $1; next }
			      /=> \// { print $3; next }
			      /^[ \t]*\// { print $1 }' <<<"$out")
	done
}

# Single-quote a string for the guest's shell.
shquote() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

build_initramfs() {
	local opt=$root/opt/ipchannel f applet programs=()

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run}
	mkdir -p "$root"/root "$opt"/{bin,lib,selftests,examples}

	cp /bin/busybox "$root/bin/busybox"
	for applet in $("$root/bin/busybox" --list-full); do
		[[ -e "$root/$applet" ]] ||
			ln -s /bin/busybox "$root/$applet"
	done
	# util-linux setpriv, not the busybox applet that lacks --reuid.
	find "$root" -name setpriv -type l -delete
	add_file /usr/bin/setpriv
	programs+=("$root/usr/bin/setpriv")

	cp "$repo/tests/vm/guest-init.sh" "$root/init"
	cp "$repo/tests/vm/as-ipch.sh" "$opt/bin/as-ipch"
	chmod 755 "$root/init" "$opt/bin/as-ipch"
	cp "$ko" "$opt/ipchannel.ko"
	# The KUnit tests, built only for a kernel with CONFIG_KUNIT.
	if [[ -f "$(dirname "$ko")/ipchannel_kunit.ko" ]]; then
		cp "$(dirname "$ko")/ipchannel_kunit.ko" "$opt/"
	fi

	# Only programs whose source still exists: no stale leftovers.
	for f in "$repo"/tests/selftests/*_test.c; do
		[[ -e "$f" ]] || continue
		f=$repo/build/selftests/$(basename "$f" .c)
		if ! is_program "$f"; then
			if [[ $mode == tests ]]; then
				unbuilt+=("$(basename "$f")")
			fi
			continue
		fi
		cp "$f" "$opt/selftests/"
		programs+=("$f")
	done
	# Shell selftests (tool_test.sh) run as NAME, like the programs.
	for f in "$repo"/tests/selftests/*_test.sh; do
		[[ -e "$f" ]] || continue
		install -m 755 "$f" "$opt/selftests/$(basename "$f" .sh)"
	done
	if [[ -f "$repo/tests/selftests/unprivileged.list" ]]; then
		cp "$repo/tests/selftests/unprivileged.list" "$opt/"
	fi
	for f in "$repo"/examples/* "$repo"/build/examples/*; do
		is_program "$f" || continue
		cp "$f" "$opt/examples/"
		programs+=("$f")
	done
	for f in "$repo"/userlib/* "$repo"/userlib/tools/* \
		 "$repo"/build/bench/* "$repo"/build/stress/* \
		 "$repo"/build/fuzz/*; do
		is_program "$f" || continue
		cp "$f" "$opt/bin/"
		programs+=("$f")
	done
	for f in ${VM_PROGRAMS:-}; do
		cp "$f" "$opt/bin/"
		programs+=("$f")
	done
	if [[ -n "${VM_NODE:-}" ]]; then
		add_file /usr/bin/node
		programs+=(/usr/bin/node)
		mkdir -p "$opt/node"
		cp -a "$VM_NODE/." "$opt/node/"
	fi
	for f in "$repo"/userlib/libipchannel.so*; do
		if [[ -e "$f" ]]; then
			cp -a "$f" "$opt/lib/"
		fi
	done
	# jq: tool_test checks the tool's JSON with it (it skips without).
	if [[ -x /usr/bin/jq ]]; then
		add_file /usr/bin/jq
		programs+=(/usr/bin/jq)
	else
		echo "run.sh: warning: no /usr/bin/jq; tool_test will skip" >&2
	fi
	add_libs "${programs[@]}"

	cat >"$root/etc/passwd" <<-'EOF'
	root:x:0:0:root:/root:/bin/sh
	ipch:x:1000:1000:ipchannel test user:/tmp:/bin/sh
	EOF
	cat >"$root/etc/group" <<-'EOF'
	root:x:0:
	ipch:x:1000:
	EOF
	{
		echo "MODE=$mode"
		echo "CMD=$(shquote "$cmd")"
		echo "TEST_TIMEOUT=$test_timeout"
	} >"$opt/run.conf"

	# The kernel opens /dev/console for init before devtmpfs is mounted.
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

	(cd "$root" && find . | LC_ALL=C sort |
	 cpio -o -H newc --owner=0:0 --quiet) | gzip -1 >"$initrd"
}

mkdir -p "$vmdir"
unbuilt=()
build_initramfs

# --- boot ------------------------------------------------------------

output=$vmdir/output.log
console=$vmdir/console.log
dmesg_log=$vmdir/dmesg.log
rm -f "$output" "$console" "$dmesg_log" "$vmdir/summary"

append="console=ttyS0 loglevel=7 panic=-1 mitigations=off"
append+=" hung_task_timeout_secs=60 rdinit=/init ${VM_APPEND:-}"
qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu "${QEMU_CPU:-max}"
      -smp 2 -m "${VM_MEM:-1024}" -nodefaults -display none -no-reboot
      -kernel "$image" -initrd "$initrd" -append "$append"
      -serial "file:$console")
if [[ $mode == shell ]]; then
	qemu+=(-serial mon:stdio)
else
	qemu+=(-monitor none -serial stdio)
fi
if [[ $icount -eq 1 ]]; then
	qemu+=(-icount shift=0,sleep=off)
	# Seen with QEMU 7.2: under -icount, 6.1 hangs bringing up the second
	# CPU (the AP spins in cpu_init, the boot CPU in schedule()).
	if [[ $kver == 6.1.* ]]; then
		echo "run.sh: warning: $kver is known to hang at SMP bring-up" \
		     "with --icount; 6.12 works" >&2
	fi
fi

# Show the guest's output live, with the kernel log folded away.
show() {
	awk -v verbose="$verbose" '
		{ sub(/\r+$/, "") }
		/^@@IPCH-RUN / {
			print "# ---- " $3 " as " $2 " ----"
			fflush(); next
		}
		/^@@IPCH-STATUS / {
			print "# ---- " $3 " as " $2 ": exit status " $4 " ----"
			fflush(); next
		}
		/^@@IPCH-DMESG-BEGIN/ { dmesg = 1; next }
		/^@@IPCH-DMESG-END/ { dmesg = 0; next }
		/^@@IPCH-EXIT/ { next }
		!dmesg || verbose { print; fflush() }'
}

echo "run.sh: booting $kver (log: ${console#$repo/})"
start=$SECONDS
set +e
if [[ $mode == shell ]]; then
	timeout --foreground -k 10 "$vm_timeout" "${qemu[@]}"
	qemu_status=$?
else
	timeout -k 10 "$vm_timeout" "${qemu[@]}" </dev/null |
		tee "$output" | show
	qemu_status=${PIPESTATUS[0]}
fi
set -e
elapsed=$((SECONDS - start))

if [[ $mode == shell ]]; then
	exit "$qemu_status"
fi

# --- verdict ---------------------------------------------------------

failed=0
fail() {
	echo "run.sh: $kver: $*" >&2
	failed=1
}

# check_ok DESCRIPTION / check_not_ok DESCRIPTION: one TAP line for a check
# made here on the host, counted with the guest's results.
check_ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}
check_not_ok() {
	echo "not ok - $1"
	nfailed=$((nfailed + 1))
}

touch "$output"
report=$(awk -f "$repo/tests/vm/report.awk" "$output")
read -r _ dmesg_begin dmesg_end exit_seen exit_value \
	< <(grep '^markers ' <<<"$report")
read -r _ passed nfailed skipped < <(grep '^totals ' <<<"$report")

if [[ $qemu_status -eq 124 || $qemu_status -eq 137 ]]; then
	fail "guest timed out after ${vm_timeout}s"
elif [[ $qemu_status -ne 0 ]]; then
	fail "qemu exited with status $qemu_status"
fi
if [[ $dmesg_begin -eq 1 && $dmesg_end -eq 1 && $exit_seen -eq 1 ]]; then
	check_ok "guest finished"
else
	check_not_ok "guest finished # markers missing: crash or hang?"
	fail "guest did not finish; last kernel messages:"
	tail -n 40 "$console" 2>/dev/null | tr -d '\r' >&2
fi
if [[ $exit_seen -eq 1 && "$exit_value" != 0 ]]; then
	fail "guest reported failures (exit marker $exit_value)"
fi

for name in "${unbuilt[@]}"; do
	check_not_ok "$name was built"
	fail "tests/selftests/$name.c has no program; did the build fail?"
done

# Kernel log: the dump between the markers, else the console capture.
if [[ $dmesg_end -eq 1 ]]; then
	tr -d '\r' <"$output" |
		sed -n '/^@@IPCH-DMESG-BEGIN/,/^@@IPCH-DMESG-END/p' |
		sed '1d;$d' >"$dmesg_log"
else
	tr -d '\r' <"$console" >"$dmesg_log" 2>/dev/null || true
fi
bad='BUG:|WARNING:|Oops|general protection|Call Trace|KASAN|UBSAN'
bad+='|kmemleak:.*suspected|unreferenced object'
bad+='|possible circular locking|possible recursive locking|INFO: task'
bad+='|refcount_t|list_add corruption|list_del corruption'
bad+='|RCU stall|rcu: INFO:.*stall|detected stalls'
# KUnit's KTAP lines in the kernel log: a failed case or suite.
bad+='|(^|\] ) *not ok [0-9]+ '
if grep -qE "$bad" "$dmesg_log"; then
	check_not_ok "guest kernel log is clean"
	fail "kernel log has errors (${dmesg_log#$repo/}):"
	line=$(grep -nE "$bad" "$dmesg_log" | head -n 1 | cut -d: -f1)
	sed -n "$((line > 5 ? line - 5 : 1)),$((line + 60))p" "$dmesg_log" >&2
	grep -E "$bad" "$dmesg_log" | sed 's/^/  match: /' | head -n 20 >&2
else
	check_ok "guest kernel log is clean"
fi

# A KUnit suite passed if its KTAP result is ok and it ran at least one
# case without a failure: a suite whose cases all vanished or were
# skipped does not count.
kunit_passed() {
	local suite=$1 pass

	grep -qE "^(\[[^]]*\] )?ok [0-9]+ $suite\$" "$dmesg_log" || return 1
	pass=$(sed -nE "s/^(\[[^]]*\] )?# $suite: pass:([0-9]+) fail:0 .*/\2/p" \
		"$dmesg_log" | tail -n 1)
	[[ -n $pass && $pass -gt 0 ]]
}

# The debug kernel runs the KUnit suites when the guest loads
# ipchannel_kunit.ko: each must be in the log, and passed.
if [[ $kver == debug ]]; then
	for suite in ipchannel-core ipchannel-channel; do
		if kunit_passed "$suite"; then
			check_ok "KUnit suite $suite"
		else
			check_not_ok "KUnit suite $suite"
			fail "KUnit suite $suite did not pass (see ${dmesg_log#$repo/})"
		fi
	done
fi

# describe STATUS: how a program ended, in words.
describe() {
	case "$1" in
	0) echo "exit status 0" ;;
	4) echo "exit status 4: skipped" ;;
	none) echo "did not finish" ;;
	124|143) echo "exit status $1: timed out" ;;
	*) if [[ $1 -gt 128 ]]; then
		echo "killed by signal $(($1 - 128))"
	   else
		echo "exit status $1"
	   fi ;;
	esac
}

echo "# results by program:"
while read -r _ user name p f s status; do
	printf '#   %-5s %-28s %3d passed, %d failed, %d skipped (%s)\n' \
		"$user" "$name" "$p" "$f" "$s" "$(describe "$status")"
	if [[ "$status" != 0 && "$status" != 4 ]]; then
		fail "$name as $user: $(describe "$status")"
	fi
done < <(grep '^run ' <<<"$report")
# Per user: root runs everything, ipch (uid 1000) the unprivileged list.
grep '^run ' <<<"$report" | awk '
	$3 != "module" && $3 != "cmd" {
		p[$2] += $4; f[$2] += $5; s[$2] += $6; seen[$2] = 1
	}
	END {
		for (u in seen)
			printf "# as %s%s: %d passed, %d failed, %d skipped\n",
				u, u == "ipch" ? " (uid 1000)" : "",
				p[u], f[u], s[u]
	}' | sort
[[ $nfailed -gt 0 ]] && failed=1

echo "$passed $nfailed $skipped" >"$vmdir/summary"
echo "# guest ran for ${elapsed}s"
echo "$kver: $passed passed, $nfailed failed, $skipped skipped"
exit "$failed"
