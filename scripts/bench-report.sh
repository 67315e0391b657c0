#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-report.sh - turn the guest's benchmark output into results.
#
# usage: scripts/bench-report.sh OUTPUT_LOG [KERNEL]
# (BENCH_CPU in the environment: the guest's -cpu, for the text)
#
# Reads the "@bench," lines that tests/bench (and tests/bench/node) print
# in the guest and writes:
#   build/bench/results.csv   every figure, with its ratio to ipchannel
#   docs/benchmarks.png       round trip by payload, broadcast by receivers
#   docs/benchmarks.md        docs/benchmarks.md.in with the tables filled in
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
log=${1:?usage: bench-report.sh OUTPUT_LOG [KERNEL]}
kernel=${2:-unknown}
out=$repo/build/bench
csv=$out/results.csv
png=$repo/docs/benchmarks.png
md=$repo/docs/benchmarks.md
template=$repo/docs/benchmarks.md.in

mkdir -p "$out"
if ! grep -q '^@bench-done' "$log"; then
	echo "bench-report: $log: the benchmark did not run to the end" >&2
	exit 1
fi

# The CSV: the ratio is ipchannel's median over this row's, per case and
# unit ("ipchannel-node" is the reference of the Node.js rows).
tr -d '\r' <"$log" | awk -F, '
	/^@bench,/ {
		key = $2 "," $3 "," $5
		row[++n] = $0
		if ($4 == "ipchannel" || $4 == "ipchannel-node")
			ref[key] = $7
	}
	END {
		print "benchmark,param,method,unit,reps,median,min,max,ratio"
		for (i = 1; i <= n; i++) {
			split(row[i], f, ",")
			key = f[2] "," f[3] "," f[5]
			r = ""
			if (f[4] != "ipchannel" && f[4] != "ipchannel-node" &&
			    (key in ref) && f[7] + 0 != 0)
				r = sprintf("%.3f", ref[key] / f[7])
			sub(/^@bench,/, "", row[i])
			print row[i] "," r
		}
	}' >"$csv"
echo "bench-report: wrote ${csv#"$repo"/}"

# --- the plot ---------------------------------------------------------

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
for m in ipchannel unix-seqpacket pipe mqueue; do
	awk -F, -v m="$m" '$1 == "rtt" && $3 == m { print $2, $6, $7, $8 }' \
		"$csv" >"$data/rtt-$m"
done
for m in ipchannel unix-seqpacket; do
	awk -F, -v m="$m" '$1 == "broadcast" && $3 == m {
		print $2, $6, $7, $8 }' "$csv" >"$data/bcast-$m"
done
if command -v gnuplot >/dev/null; then
	gnuplot <<-EOF
	set terminal pngcairo size 1100,450 font "sans,10"
	set output "$png"
	set multiplot layout 1,2
	set logscale xy
	set grid
	set key top left
	set title "Round trip by payload size (lower is better)"
	set xlabel "payload bytes"
	set ylabel "microseconds per round trip"
	set xrange [40:26000]
	set xtics ("64" 64, "1 KiB" 1024, "16 KiB" 16384)
	plot "$data/rtt-ipchannel" using 1:2:3:4 with yerrorlines \
		lw 2 title "ipchannel", \
	     "$data/rtt-unix-seqpacket" using 1:2:3:4 with yerrorlines \
		title "AF\\\\_UNIX seqpacket", \
	     "$data/rtt-pipe" using 1:2:3:4 with yerrorlines title "pipes", \
	     "$data/rtt-mqueue" using 1:2:3:4 with yerrorlines \
		title "POSIX mqueue"
	set title "Broadcast cost by receivers (lower is better)"
	set xlabel "receivers"
	set ylabel "microseconds per message to all"
	set xrange [0.8:80]
	set xtics ("1" 1, "4" 4, "16" 16, "64" 64)
	plot "$data/bcast-ipchannel" using 1:2:3:4 with yerrorlines \
		lw 2 title "ipchannel: one broadcast", \
	     "$data/bcast-unix-seqpacket" using 1:2:3:4 with yerrorlines \
		title "AF\\\\_UNIX: one send per receiver"
	unset multiplot
	EOF
	echo "bench-report: wrote ${png#"$repo"/}"
else
	echo "bench-report: no gnuplot (scripts/deps.sh installs it);" \
	     "the plot is not redrawn" >&2
fi

# --- the document --------------------------------------------------------

# One Markdown table per benchmark, in the order they ran.
tables() {
	awk -F, 'NR > 1 {
		if ($1 != last) {
			printf "\n### %s\n\n", $1
			print "| param | method | unit | median | min | max |" \
			      " ipchannel / this |"
			print "|---|---|---|---|---|---|---|"
			last = $1
		}
		printf "| %s | %s | %s | %s | %s | %s | %s |\n",
		       $2, $3, $4, $6, $7, $8, $9
	}' "$csv"
}

# The targets of the module, each with the figure that decides it.
ratio() {
	awk -F, -v b="$1" -v p="$2" -v m="$3" -v u="$4" \
		'$1 == b && $2 == p && $3 == m && $4 == u { print $9 }' "$csv"
}
median() {
	awk -F, -v b="$1" -v p="$2" -v m="$3" -v u="$4" \
		'$1 == b && $2 == p && $3 == m && $4 == u { print $6 }' "$csv"
}
verdict() {
	if [[ -z "$1" ]]; then
		echo "not measured"
	elif awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		exit !((op == "<=" && v <= t) || (op == ">=" && v >= t)) }'
	then
		echo "met"
	else
		echo "missed"
	fi
}
target() {
	echo "| $1 | $2 | $3 | $(verdict "$3" "$4" "$5") |"
}

targets() {
	local s n j jf

	echo "| target | wanted | figure | verdict |"
	echo "|---|---|---|---|"
	for s in 64 1024 16384; do
		target "round trip, $s B, vs AF_UNIX seqpacket" "<= 0.8" \
			"$(ratio rtt "$s" unix-seqpacket us/trip)" "<=" 0.8
	done
	target "throughput in batches of 32 vs sendmmsg" ">= 2" \
		"$(ratio throughput batch=32 unix-seqpacket msgs/s)" ">=" 2
	target "broadcast to 16 vs 16 AF_UNIX sends" "<= 0.5" \
		"$(ratio broadcast 16 unix-seqpacket us/msg)" "<=" 0.5
	target "kernel memory per queued 64 B message" "<= 0.25" \
		"$(ratio memory 64 unix-seqpacket bytes/msg)" "<=" 0.25
	for n in 2 4 8; do
		target "contended hand-offs, $n processes, vs flock" ">= 1" \
			"$(ratio lock-contended "$n" flock handoffs/s)" ">=" 1
		j=$(median lock-contended "$n" ipchannel jain)
		jf=$(median lock-contended "$n" flock jain)
		if awk -v a="$jf" 'BEGIN { exit !(a < 0.99) }'; then
			target "Jain's index, $n processes (flock: $jf)" \
				">= 0.99" "$j" ">=" 0.99
		else
			echo "| Jain's index, $n processes (flock: $jf) |" \
			     ">= 0.99 where flock is lower | $j | n/a |"
		fi
	done
}

# What the benchmarks said about themselves (a method that could not run).
notes() {
	tr -d '\r' <"$log" | sed -n 's/^@bench-note,\(.*\)/- \1/p' | sort -u
}

node() {
	if grep -q '^node-' "$csv"; then
		echo "The node-rtt and node-lock tables above come from"
		echo "tests/bench/node (see its README.md)."
	else
		echo "Not run: the guest had no Node.js (tests/bench/node is"
		echo "built only where the host has node and npm)."
	fi
}

run_info() {
	local qemu

	qemu=$(qemu-system-x86_64 --version | head -n 1)
	echo "Run of $(date -u +%Y-%m-%d) on a TCG guest ($qemu," \
	     "\`-cpu ${BENCH_CPU:-max} -smp 2 -m 1024 -icount shift=0,sleep=off\`)" \
	     "running Debian's $kernel; $(awk -F, 'NR == 2 { print $5 }' \
	     "$csv") repetitions of each figure."
}

if [[ -f "$template" ]]; then
	{
		while IFS= read -r line; do
			case "$line" in
			@RUN@) run_info ;;
			@TARGETS@) targets ;;
			@TABLES@) tables ;;
			@NOTES@) notes ;;
			@NODE@) node ;;
			*) printf '%s\n' "$line" ;;
			esac
		done <"$template"
	} >"$md.tmp"
	mv "$md.tmp" "$md"
	echo "bench-report: wrote ${md#"$repo"/}"
fi
