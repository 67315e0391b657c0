#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh - build everything, run lint and the VM tests on every kernel.
#
# Called by "make check" after scripts/deps.sh. Every step runs even when
# an earlier one failed, so one run shows every problem; each failed step
# counts as one failure in the final line, which sums the test results of
# all kernels: "N passed, N failed, N skipped".
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
make=(make --no-print-directory -j"${CHECK_JOBS:-2}")

passed=0
failed=0
skipped=0
problems=()

# step NAME COMMAND...: run a step, remember it when it fails.
step() {
	local name=$1
	shift

	echo "=== $name"
	if ! "$@"; then
		problems+=("$name")
		failed=$((failed + 1))
		return 1
	fi
}

start=$SECONDS
kernels=$(tests/vm/kernels.sh)
# The debug kernel (KASAN, lockdep, UBSAN, kmemleak, KUnit) is built once
# and cached outside the tree; CHECK_DEBUG=0 leaves it out.
if [[ ${CHECK_DEBUG:-1} == 1 ]]; then
	step "debug kernel" scripts/debug-kernel.sh && kernels+=" debug"
fi

step "build library, examples and selftests" \
	"${make[@]}" lib examples selftests || true
if grep -q '^check:' userlib/Makefile 2>/dev/null; then
	step "library unit tests" "${make[@]}" -C userlib check || true
fi
lint_debug=0
[[ $kernels == *debug* ]] && lint_debug=1
step "lint" env LINT_DEBUG=$lint_debug "${make[@]}" lint || true

# make install, make uninstall and DKMS, with a guest per stock kernel;
# its checks count with the rest.
summaries=()
install_tap=build/install.tap
mkdir -p build
rm -f "$install_tap"
step "install, uninstall and DKMS" bash -o pipefail -c \
	'tests/install/check.sh | tee "$0"' "$install_tap" || true
pattern='s/^# install: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p'
totals=$(sed -n "$pattern" "$install_tap" 2>/dev/null || true)
if [[ -n $totals ]]; then
	read -r p f <<<"$totals"
	summaries+=("install: $p passed, $f failed, 0 skipped")
	passed=$((passed + p))
	# The failed step is already one failure; count the checks instead.
	if [[ $f -gt 0 ]]; then
		failed=$((failed - 1 + f))
	fi
fi

# The Node.js rivals' smoke pass joins bench_test in the 6.12 guest,
# where the host has node and npm to build it (tests/bench/node).
node_dir=
if command -v node >/dev/null && command -v npm >/dev/null &&
   step "Node.js benchmarks" "${make[@]}" -C tests/bench/node; then
	node_dir=$PWD/build/bench/node
fi

# count_guest SUMMARY LABEL VM_OK: add a guest's results to the totals.
count_guest() {
	local p f s

	[[ -f $1 ]] || return 0
	read -r p f s <"$1"
	summaries+=("$2: $p passed, $f failed, $s skipped")
	passed=$((passed + p))
	skipped=$((skipped + s))
	# A failed step is already one failure; count the tests instead.
	if [[ $3 -eq 0 && $f -gt 0 ]]; then
		failed=$((failed - 1))
	fi
	failed=$((failed + f))
}

for kver in $kernels; do
	step "module for $kver" "${make[@]}" kmod KVER="$kver" || continue
	VM_NODE=
	[[ $kver == 6.12.* ]] && VM_NODE=$node_dir
	export VM_NODE
	rm -f "build/vm/$kver/summary"
	vm_ok=1
	step "VM tests on $kver" tests/vm/run.sh --no-build --kernel "$kver" \
		--tests || vm_ok=0
	count_guest "build/vm/$kver/summary" "$kver" $vm_ok
done

# A guest with little memory whose queues fill until sends fail
# (tests/fuzz/fill.c), on each stock kernel: errors, never a crash or
# the OOM killer. The debug kernel's sanitizers need more memory.
lowmem=${CHECK_LOWMEM_MB:-256}
for kver in $kernels; do
	[[ $kver == debug ]] && continue
	[[ -f build/kmod/$kver/ipchannel.ko ]] || continue
	dir=build/vm/$kver-mem$lowmem
	rm -f "$dir/summary"
	vm_ok=1
	step "low-memory guest on $kver" env VM_MEM="$lowmem" VM_NODE= \
		tests/vm/run.sh --no-build --kernel "$kver" \
		--cmd /opt/ipchannel/bin/fill || vm_ok=0
	count_guest "$dir/summary" "$kver, $lowmem MiB" $vm_ok
done

echo "=== summary (took $((SECONDS - start))s)"
for line in "${summaries[@]}"; do
	echo "$line"
done
for name in "${problems[@]}"; do
	echo "FAILED: $name"
done
echo "$passed passed, $failed failed, $skipped skipped"
[[ ${#problems[@]} -eq 0 && $failed -eq 0 ]]
