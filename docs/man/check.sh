#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check.sh - every exported library function has a man page or an alias,
# ipchannel(1) covers the tool's commands, JSON fields and exit statuses,
# every page is well-formed and groff renders it without a warning; TAP.
set -eu
man=$(cd "$(dirname "$0")" && pwd)
top=$man/../..
map=$top/userlib/libipchannel.map
uapi=$top/module/uapi/linux/ipchannel.h
tool=$top/userlib/tools
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$man"

n=0
fail=0
result() {	# result STATUS DESCRIPTION; details in $tmp/why
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/#   /' "$tmp/why"
		fail=1
	fi
	: > "$tmp/why"
}
: > "$tmp/why"

sed -n 's/^\t\(ipch_[a-z_]*\);$/\1/p' "$map" | sort > "$tmp/syms"
[ -s "$tmp/syms" ] || echo "no symbols in $map" >> "$tmp/why"

# A page is an alias (".so man3/X.3" alone) or a full page.
target() {
	sed -n '1s|^\.so \(man[34]/[a-z_]*\.[34]\)$|\1|p' "$1"
}

# 1: every exported function has its page or an alias to a page that
# names it in NAME and declares it in SYNOPSIS.
st=0
while read -r sym; do
	page=man3/$sym.3
	if [ ! -f "$page" ]; then
		echo "$sym: no $page" >> "$tmp/why"; st=1; continue
	fi
	t=$(target "$page")
	if [ -n "$t" ]; then
		if [ "$(wc -l < "$page")" -ne 1 ] || [ ! -f "$t" ] ||
		   [ -n "$(target "$t")" ]; then
			echo "$page: not one .so line to a full page" \
				>> "$tmp/why"; st=1; continue
		fi
		page=$t
	fi
	name=$(sed -n '/^\.SH NAME$/,/^\.SH /p' "$page")
	synopsis=$(sed -n '/^\.SH SYNOPSIS$/,/^\.SH /p' "$page")
	if ! echo "$name" | grep -Eq "(^|[ ,])$sym(,| |$)"; then
		echo "$sym: not in the NAME of $page" >> "$tmp/why"; st=1
	fi
	if ! echo "$synopsis" | grep -q " $sym("; then
		echo "$sym: not in the SYNOPSIS of $page" >> "$tmp/why"; st=1
	fi
done < "$tmp/syms"
result $st "every exported function has a page or an alias"

# 2: no page for a function that is not exported.
st=0
for page in man3/*.3; do
	sym=$(basename "$page" .3)
	[ "$sym" = libipchannel ] && continue
	if ! grep -qx "$sym" "$tmp/syms"; then
		echo "$page: $sym is not exported" >> "$tmp/why"; st=1
	fi
done
result $st "no page for a function that is not exported"

# 3: libipchannel(3) refers to every function.
st=0
while read -r sym; do
	if ! grep -qx "\.BR $sym (3),\{0,1\}" man3/libipchannel.3; then
		echo "$sym: not in SEE ALSO of libipchannel.3" >> "$tmp/why"
		st=1
	fi
done < "$tmp/syms"
result $st "libipchannel(3) refers to every function"

# 4: full pages: the SPDX line, then the sections in order.
st=0
for page in man1/*.1 man3/*.3 man4/*.4; do
	[ -n "$(target "$page")" ] && continue
	case $page in
	man4/*) spdx=GPL-2.0 ;;
	*) spdx=LGPL-2.1-or-later ;;
	esac
	case $page in
	man1/*)
		want="NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS EXIT_STATUS"
		want="$want SEE_ALSO" ;;
	man3/libipchannel.3)
		want="NAME SYNOPSIS DESCRIPTION SEE_ALSO" ;;
	*)	want="NAME SYNOPSIS DESCRIPTION RETURN_VALUE ERRORS SEE_ALSO" ;;
	esac
	if [ "$(head -n 1 "$page")" != \
	     ".\\\" SPDX-License-Identifier: $spdx" ]; then
		echo "$page: first line is not the $spdx SPDX line" \
			>> "$tmp/why"; st=1
	fi
	have=$(sed -n 's/^\.SH "*\([A-Z ]*\)"*$/\1/p' "$page" | tr ' ' _ |
	       while read -r s; do
		       case " $want " in *" $s "*) printf '%s ' "$s" ;; esac
	       done)
	if [ "$have" != "$want " ]; then
		echo "$page: sections '$have', want '$want'" >> "$tmp/why"
		st=1
	fi
done
result $st "every page has its SPDX line and sections"

# 5: ipchannel(4) names every constant of the UAPI header.
st=0
sed -n 's/^#define \(IPCHANNEL_[A-Z_]*\).*/\1/p' "$uapi" |
	grep -vx 'IPCHANNEL_IOC_MAGIC' > "$tmp/consts"
while read -r c; do
	grep -q "$c" man4/ipchannel.4 || { echo "$c" >> "$tmp/why"; st=1; }
done < "$tmp/consts"
result $st "ipchannel(4) names every constant of <linux/ipchannel.h>"

# 6: ipchannel(1) names every command of the tool's table, every key of
# its JSON output and every exit status of userlib/tools/tool.h, and the
# version in VERSION, which the tool prints.
st=0
sed -n 's/^\t{ "\([a-z]*\)", cmd_.*/\1/p' "$tool/ipchannel.c" \
	> "$tmp/cmds"
[ -s "$tmp/cmds" ] || echo "no commands in $tool/ipchannel.c" >> "$tmp/why"
while read -r c; do
	grep -q "^\.B[IR]* \"*$c[\" ]" man1/ipchannel.1 ||
	grep -q "^\.B[IR]* \"*$c\$" man1/ipchannel.1 ||
		{ echo "command $c" >> "$tmp/why"; st=1; }
done < "$tmp/cmds"
cat "$tool"/*.c | grep -o 'json_[a-z0-9]*(&*j, "[a-z_]*"' |
	sed 's/.*"\(.*\)"/\1/' | sort -u > "$tmp/keys"
[ -s "$tmp/keys" ] || echo "no JSON keys in $tool" >> "$tmp/why"
while read -r k; do
	grep -q "\"$k\"" man1/ipchannel.1 ||
		{ echo "JSON key \"$k\"" >> "$tmp/why"; st=1; }
done < "$tmp/keys"
sed -n '/^\.SH EXIT STATUS$/,/^\.SH /p' man1/ipchannel.1 > "$tmp/exit"
sed -n 's/^#define EXIT_[A-Z]*[[:space:]]*\([0-9]*\).*/\1/p' \
	"$tool/tool.h" > "$tmp/codes"
[ -s "$tmp/codes" ] || echo "no EXIT_* in $tool/tool.h" >> "$tmp/why"
while read -r code; do
	grep -qx "\.B $code" "$tmp/exit" ||
		{ echo "exit status $code" >> "$tmp/why"; st=1; }
done < "$tmp/codes"
version=$(grep -v '^#' "$top/VERSION")
if ! head -n 3 man1/ipchannel.1 | grep -q "^\.TH .* \"ipchannel $version\""
then
	echo "the .TH line does not say ipchannel $version" >> "$tmp/why"
	st=1
fi
result $st "ipchannel(1) covers the tool's commands, JSON, exit statuses"

# 7: groff renders every page, aliases included, without a warning.
st=0
if ! command -v groff > /dev/null; then
	echo "groff not found: apt-get install groff-base (make deps)" \
		>> "$tmp/why"
	st=1
else
	for page in man1/*.1 man3/*.3 man4/*.4; do
		if ! groff -man -Tutf8 -ww -z "$page" > "$tmp/out" 2>&1 ||
		   [ -s "$tmp/out" ]; then
			echo "$page:" >> "$tmp/why"
			cat "$tmp/out" >> "$tmp/why"
			st=1
		fi
	done
fi
result $st "groff -man -ww renders every page without a warning"

echo "1..$n"
exit $fail
