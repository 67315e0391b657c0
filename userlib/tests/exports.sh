#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# exports.sh - the shared library exports exactly the functions that the
# public header declares and the version script lists; prints TAP.
set -eu
lib=$1 header=$2 map=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort > "$tmp/lib"
sed -n 's/^[a-z].* \**\(ipch_[a-z_]*\)(.*/\1/p' "$header" | sort > "$tmp/header"
sed -n 's/^\t\(ipch_[a-z_]*\);$/\1/p' "$map" | sort > "$tmp/map"
others=$(nm -D --defined-only "$lib" | awk '$2 != "T" && $2 != "A"')

fail=0
if cmp -s "$tmp/lib" "$tmp/header"; then
	echo "ok 1 - exported functions are the header's"
else
	echo "not ok 1 - exported functions are the header's"
	diff "$tmp/header" "$tmp/lib" | sed 's/^/#   /'
	fail=1
fi
if cmp -s "$tmp/lib" "$tmp/map"; then
	echo "ok 2 - exported functions are the version script's"
else
	echo "not ok 2 - exported functions are the version script's"
	diff "$tmp/map" "$tmp/lib" | sed 's/^/#   /'
	fail=1
fi
if [ -z "$others" ]; then
	echo "ok 3 - no data or other symbols exported"
else
	echo "not ok 3 - no data or other symbols exported"
	echo "$others" | sed 's/^/#   /'
	fail=1
fi
echo "1..3"
exit $fail
