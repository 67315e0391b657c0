#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tool_test.sh - the ipchannel command-line tool against the module; TAP.
#
# Runs in the test VM (busybox sh) as root, and as uid 1000 from
# unprivileged.list. Needs /dev/ipchannel, the tool (IPCHANNEL, else
# ipchannel in PATH) and jq; without one of them it skips, exit 4.
#
# The state it checks is set up by the test itself: listeners started in
# the background on a private channel get peer ids 1, 2; a holder of a
# lock (3) and two waiters queued behind it (4, 5) follow. Every listing
# in JSON is compared with those ids and pids. As root a monitor runs
# from the start and must have seen the joins, leaves and lock handovers.

IPCH=${IPCHANNEL:-$(command -v ipchannel)}
KSFT_SKIP=4
ME=$(id -u)
N=0
FAILED=0
BG=

echo "TAP version 13"
START=$(date +%s)
if [ -z "$IPCH" ] || [ ! -x "$IPCH" ]; then
	echo "1..0 # SKIP the ipchannel tool is not built"
	exit $KSFT_SKIP
fi
if ! command -v jq >/dev/null; then
	echo "1..0 # SKIP jq is missing (scripts/deps.sh installs it)"
	exit $KSFT_SKIP
fi
if [ ! -c /dev/ipchannel ]; then
	echo "1..0 # SKIP /dev/ipchannel missing: module not loaded"
	exit $KSFT_SKIP
fi

T=$(mktemp -d) || exit 1
cd "$T" || exit 1

cleanup() {
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$BG" ] && kill -9 $BG 2>/dev/null
	for f in sleeper term; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	cd /
	rm -rf "$T"
}
trap cleanup EXIT

ok() {
	N=$((N + 1))
	echo "ok $N $1"
}

not_ok() {
	N=$((N + 1))
	echo "not ok $N $1"
	FAILED=1
}

skip() {
	N=$((N + 1))
	echo "ok $N $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: one result, from the command's status.
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# same FILE EXPECTED: the file holds exactly EXPECTED (and a newline).
same() {
	printf '%s\n' "$2" >expected
	if cmp -s expected "$1"; then
		return 0
	fi
	echo "# $1 differs from what was expected:"
	diff expected "$1" | sed 's/^/#   /'
	return 1
}

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds.
wait_until() {
	tries=$(($1 * 10))
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.1
	done
}

# exits PID STATUS: the background process PID ended with STATUS.
exits() {
	wait "$1"
	st=$?
	[ "$st" = "$2" ] && return 0
	echo "# process $1 ended with status $st, not $2"
	return 1
}

# run STATUS COMMAND...: COMMAND exits with STATUS; out and err kept.
run() {
	want=$1
	shift
	"$@" >out 2>err
	st=$?
	[ "$st" = "$want" ] && return 0
	echo "# $*: status $st, not $want; stderr:"
	sed 's/^/#   /' err
	return 1
}

peers_are() {
	[ "$("$IPCH" --json peers "$1" 2>/dev/null |
	     jq '.peers | length')" = "$2" ]
}

# lock_state CHANNEL LOCK: "HOLDER WAITERS" of a lock, peer ids.
lock_state() {
	"$IPCH" --json locks "$1" 2>/dev/null | jq -r --arg l "$2" \
		'.locks[] | select(.name == $l) |
		 "\(.holder.peer_id) \([.waiters[].peer_id] | join(","))"'
}

lock_is() {
	[ "$(lock_state "$1" "$2")" = "$3" ]
}

# gone PID: the background process PID has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# --- usage -------------------------------------------------------------

test_help() {
	run 0 "$IPCH" --help || return 1
	grep -q '^usage: ipchannel ' out || return 1
	[ -s err ] && return 1
	for c in channels peers locks stats monitor send emit listen lock \
		 demo help; do
		grep -q "^  $c" out || { echo "# no $c in --help"; return 1; }
	done
	cp out help.out
	run 0 "$IPCH" -h && cmp -s out help.out &&
		run 0 "$IPCH" help && cmp -s out help.out
}

test_command_help() {
	run 0 "$IPCH" help lock && grep -q '^usage: .* lock NAME' out &&
		run 0 "$IPCH" lock --help && grep -q -- '--timeout' out
}

test_version() {
	run 0 "$IPCH" --version || return 1
	[ "$(wc -l <out)" -eq 1 ] &&
		grep -Eq '^ipchannel [0-9]+\.[0-9]+\.[0-9]+$' out
}

# Each of these is a usage error: status 2, a message, nothing on stdout.
test_usage_errors() {
	bad=0
	long=$(printf '%064d' 0)
	for args in "frobnicate" "peers" "peers a b" "send c x msg" \
		    "send c 0 msg" "--color=sometimes" "listen c --count 0" \
		    "lock" "lock x" "--count 1 peers c" \
		    "peers c --membership" "--bogus" "peers a/b" \
		    "lock x --timeout -1 -- true" "emit c 1 $long" \
		    "emit c all"; do
		# shellcheck disable=SC2086 # split on purpose
		"$IPCH" $args >out 2>err
		st=$?
		if [ "$st" -ne 2 ] || [ ! -s err ] || [ -s out ]; then
			echo "# ipchannel $args: status $st, not 2"
			bad=1
		fi
	done
	return "$bad"
}

check "--help prints the usage on stdout, status 0" test_help
check "help COMMAND and COMMAND --help print its usage" test_command_help
check "--version prints one version line" test_version
check "usage errors exit with status 2 and a message" test_usage_errors

# --- monitor, started first so that it sees everything ---------------------

# Objects that earlier tests left (none, normally): the counts of stats
# can only be compared with what this test sets up when there are none.
BASE=
if [ "$ME" -eq 0 ]; then
	BASE=$("$IPCH" --json stats 2>/dev/null |
	       jq -c '[.channels, .peers, .locks, .lock_requests]')
	[ "$BASE" = "[0,0,0,0]" ] ||
		echo "# objects before the test: $BASE"
fi

MON=
PROBE=tt$$-probe

test_monitor_eperm() {
	run 1 "$IPCH" monitor && grep -q CAP_NET_ADMIN err
}

monitor_saw_probe() {
	"$IPCH" lock probe --channel "$PROBE" -- true
	grep -q "\"$PROBE\"" mon.out
}

if [ "$ME" -eq 0 ]; then
	"$IPCH" --json monitor >mon.out 2>mon.err &
	MON=$!
	BG="$BG $MON"
	check "monitor --json subscribes (it sees a probe join)" \
		wait_until 30 monitor_saw_probe
else
	check "monitor without CAP_NET_ADMIN: status 1, says so" \
		test_monitor_eperm
fi

# --- listings ----------------------------------------------------------

CH=tt$$-list

"$IPCH" listen "$CH" --count 1000 >l1.out 2>&1 &
L1=$!
BG="$BG $L1"
wait_until 20 peers_are "$CH" 1
"$IPCH" listen "$CH" --count 1000 >l2.out 2>&1 &
L2=$!
BG="$BG $L2"
check "two listeners joined" wait_until 20 peers_are "$CH" 2

test_channels_json() {
	run 0 "$IPCH" --json channels || return 1
	jq -e --arg ch "$CH" --argjson uid "$ME" '.channels[] |
		select(.name == $ch) | .nr_peers == 2 and .uid == $uid and
		.mode == 384 and .nr_locks == 0' out >/dev/null
}

test_channels_human() {
	run 0 "$IPCH" channels && grep -q '^CHANNEL  *PEERS' out &&
		grep -Eq "^$CH  +2  +0 " out
}

test_peers_json() {
	run 0 "$IPCH" --json peers "$CH" || return 1
	jq -c '[.channel, [.peers[] | [.id, .pid, .uid, .comm]]]' out \
		>got || return 1
	same got "[\"$CH\",[[1,$L1,$ME,\"ipchannel\"],[2,$L2,$ME,\"ipchannel\"]]]"
}

test_peers_human() {
	run 0 "$IPCH" peers "$CH" && grep -q '^ID  *PID' out &&
		grep -Eq "^ *1  +$L1  +$ME  +ipchannel " out &&
		grep -Eq "^ *2  +$L2  +$ME  +ipchannel " out
}

# Colour only on a terminal (never here: stdout is a file) or if asked.
test_color() {
	esc=$(printf '\033')
	run 0 "$IPCH" peers "$CH" && ! grep -q "$esc" out &&
		run 0 "$IPCH" --color=always peers "$CH" &&
		grep -q "$esc\[1mID" out &&
		run 0 env NO_COLOR=1 "$IPCH" --color=auto peers "$CH" &&
		! grep -q "$esc" out
}

check "channels --json: the channel, its peers, owner and mode" \
	test_channels_json
check "channels: a table with the channel" test_channels_human
check "peers --json: ids, pids, uids and commands of the listeners" \
	test_peers_json
check "peers: a table with the listeners" test_peers_human
check "colour only with --color=always when not on a terminal" test_color

# A holder (peer 3) and two waiters (4, 5) queued behind it, in order.
"$IPCH" lock LK --channel "$CH" -- \
	sh -c 'echo holder >>order; while [ ! -e gate ]; do sleep 0.05; done' &
H=$!
BG="$BG $H"
wait_until 20 lock_is "$CH" LK "3 "
"$IPCH" lock LK --channel "$CH" -- sh -c 'echo w1 >>order' &
W1=$!
BG="$BG $W1"
wait_until 20 lock_is "$CH" LK "3 4"
"$IPCH" lock LK --channel "$CH" -- sh -c 'echo w2 >>order' &
W2=$!
BG="$BG $W2"
check "a holder and two waiters queued" wait_until 20 lock_is "$CH" LK "3 4,5"

test_locks_json() {
	run 0 "$IPCH" --json locks "$CH" || return 1
	jq -c '[.channel, (.locks[] | [.name, .nr_waiters,
		[.holder.pos, .holder.peer_id, .holder.cookie],
		[.waiters[] | [.pos, .peer_id, .cookie]]])]' out >got ||
		return 1
	# The tool is single-threaded: its cookie is its pid.
	same got "[\"$CH\",[\"LK\",2,[0,3,$H],[[1,4,$W1],[2,5,$W2]]]]" ||
		return 1
	run 0 "$IPCH" --json peers "$CH" &&
		jq -c '[.peers[] | select(.id >= 3) | [.id, .pid]]' out >got &&
		same got "[[3,$H],[4,$W1],[5,$W2]]"
}

test_locks_human() {
	run 0 "$IPCH" locks "$CH" || return 1
	grep -q '^LOCK  *STATE' out &&
		grep -Eq "^LK +held +3 +$H +ipchannel +$H " out &&
		grep -Eq "^ +waits 1 +4 +$W1 +ipchannel +$W1 " out &&
		grep -Eq "^ +waits 2 +5 +$W2 +ipchannel +$W2 " out &&
		! grep -q ' $' out
}

test_timeout() {
	start=$(date +%s)
	run 124 "$IPCH" lock LK --channel "$CH" --timeout 0.5 -- touch ran ||
		return 1
	[ ! -e ran ] && grep -q "LK" err &&
		[ $(($(date +%s) - start)) -lt 10 ] &&
		lock_is "$CH" LK "3 4,5"
}

test_stats_root() {
	run 0 "$IPCH" --json stats || return 1
	jq -c '[.has_counters, .channels, .peers, .locks, .lock_requests,
		.max_msg_size > 0, .max_locks > 0]' out >got &&
		same got '[true,1,5,1,3,true,true]'
}

test_stats_user() {
	run 0 "$IPCH" --json stats || return 1
	jq -c '[.has_counters, .channels, .peers, .locks, .lock_requests,
		.max_msg_size > 0, .max_locks > 0]' out >got &&
		same got '[false,null,null,null,null,true,true]'
}

test_nr_locks() {
	run 0 "$IPCH" --json channels && jq -e --arg ch "$CH" \
		'.channels[] | select(.name == $ch) | .nr_locks == 1' out \
		>/dev/null
}

test_stats_human() {
	run 0 "$IPCH" stats && grep -Eq '^  max_msg_size +[0-9]+$' out &&
		grep -qx 'limits' out && ! grep -q ' $' out
}

check "locks --json: holder, then waiters in queue order" test_locks_json
check "locks: a table, holder first" test_locks_human
check "channels --json counts the held lock" test_nr_locks
check "lock --timeout on a held lock: status 124, command not run" \
	test_timeout
if [ "$ME" -eq 0 ] && [ "$BASE" != "[0,0,0,0]" ]; then
	skip "stats --json as root: limits and exact object counts" \
		"earlier tests left objects: $BASE"
elif [ "$ME" -eq 0 ]; then
	check "stats --json as root: limits and exact object counts" \
		test_stats_root
else
	check "stats --json without privilege: limits, counters null" \
		test_stats_user
fi
check "stats: a table of the limits, no trailing blanks" test_stats_human

test_lock_order() {
	touch gate
	exits "$H" 0 && exits "$W1" 0 && exits "$W2" 0 || return 1
	same order "holder
w1
w2"
}

check "lock: the holder, then the waiters in order; each status 0" \
	test_lock_order
kill "$L1" "$L2" 2>/dev/null
wait "$L1" "$L2" 2>/dev/null

# --- send, emit, listen --------------------------------------------------

CS=tt$$-send

send_all() {
	"$IPCH" send "$CS" 1 hello &&
		"$IPCH" emit "$CS" all greet 'hi there' &&
		"$IPCH" send "$CS" all '' &&
		printf 'line1\nline2' | "$IPCH" emit "$CS" 1 data - &&
		printf '\001\377"\\' | "$IPCH" send "$CS" 1 - &&
		"$IPCH" emit "$CS" 1 ping
}

test_send_errors() {
	run 1 "$IPCH" send "$CS" 9 x && grep -q "no peer 9" err &&
		run 1 "$IPCH" send "$CS" 2 x &&
		run 1 "$IPCH" send "tt$$-none" 1 x &&
		grep -q "no channel 'tt$$-none'" err &&
		run 1 "$IPCH" peers "tt$$-none"
}

listen_ended() {
	wait_until 20 gone "$LS" && exits "$LS" 0
}

"$IPCH" listen "$CS" --count 6 >listen.out 2>listen.err &
LS=$!
BG="$BG $LS"
wait_until 20 peers_are "$CS" 1
check "send to a missing peer or channel: status 1, says which" \
	test_send_errors
check "send and emit, from arguments and stdin" send_all
check "listen --count 6 ends by itself, status 0" listen_ended
check "listen prints what send and emit sent, escaped" same listen.out \
'message from peer 2: hello
event greet from peer 2 to all: hi there
message from peer 2 to all:
event data from peer 2: line1\nline2
message from peer 2: \x01\xff"\\
event ping from peer 2:'

test_listen_json() {
	jq -c '[.kind, .sender, .broadcast, .event, .len, .uid, .type]' \
		listen.out >got || return 1
	same got "[\"message\",2,false,\"\",5,$ME,0]
[\"event\",2,true,\"greet\",8,$ME,0]
[\"message\",2,true,\"\",0,$ME,0]
[\"event\",2,false,\"data\",11,$ME,0]
[\"message\",2,false,\"\",4,$ME,0]
[\"event\",2,false,\"ping\",0,$ME,0]" || return 1
	jq -r '.data' listen.out | sed -n 1,2p >got &&
		same got 'hello
hi there' &&
		grep -qF '"data":"line1\nline2"' listen.out &&
		grep -qF '"data":"\u0001\u00ff\"\\"' listen.out &&
		jq -s -e '[.[].seq] | . == (sort | unique)' listen.out \
			>/dev/null
}

"$IPCH" --json listen "$CS" --count 6 >listen.out 2>listen.err &
LS=$!
BG="$BG $LS"
wait_until 20 peers_are "$CS" 1
send_all
wait_until 20 gone "$LS"
check "listen --json: one record a line, payload bytes escaped" \
	test_listen_json

CM=tt$$-member

test_membership() {
	exits "$LM" 0 || return 1
	jq -c '[.kind, (.peer_id // .sender), .nr_peers]' member.out \
		>got || return 1
	same got '["peer_joined",1,1]
["peer_joined",2,2]
["message",2,null]
["peer_left",2,1]' || return 1
	[ "$(jq -s '.[0].pid' member.out)" = "$LM" ]
}

"$IPCH" --json listen "$CM" --membership --count 4 >member.out 2>&1 &
LM=$!
BG="$BG $LM"
wait_until 20 peers_are "$CM" 1
"$IPCH" send "$CM" 1 x
wait_until 20 gone "$LM"
check "listen --membership: joins, then the message, then the leave" \
	test_membership

# --- monitor: join and leave of a listener killed with kill -9 ------------

CK=tt$$-kill

test_monitor_kill() {
	"$IPCH" listen "$CK" >/dev/null 2>&1 &
	lk=$!
	wait_until 20 peers_are "$CK" 1 || return 1
	kill -9 "$lk"
	{ wait "$lk"; } 2>/dev/null
	wait_until 20 grep -q "\"peer_left\",\"channel\":\"$CK\"" mon.out ||
		return 1
	jq -c --arg ch "$CK" 'select(.channel == $ch) |
		[.type, .peer_id, .pid, .uid, .comm, .nr_peers]' mon.out >got &&
		same got "[\"peer_joined\",1,$lk,$ME,\"ipchannel\",1]
[\"peer_left\",1,$lk,$ME,\"ipchannel\",0]"
}

test_monitor_handover() {
	jq -c --arg ch "$CH" 'select(.type == "lock_handover" and
		.channel == $ch and .lock == "LK") |
		[.prev_peer_id, .prev_cookie, .peer_id, .cookie]' mon.out \
		>got &&
		same got "[3,$H,4,$W1]
[4,$W1,5,$W2]"
}

probe_until_gone() {
	"$IPCH" lock p --channel "$CK" -- true
	gone "$1"
}

# monitor --count 2, human: two joins or leaves (of the probes, unless
# another program's peers come and go meanwhile), then it exits.
test_monitor_human() {
	"$IPCH" monitor --count 2 >mh.out 2>&1 &
	mh=$!
	BG="$BG $mh"
	wait_until 30 probe_until_gone "$mh" || return 1
	line='^[!-~]+: peer [0-9]+ (joined|left) \(pid [0-9]+, uid [0-9]+, '
	line="${line}[^)]*\\); peers: [0-9]+\$"
	exits "$mh" 0 && [ "$(wc -l <mh.out)" -eq 2 ] &&
		! grep -Evq "$line" mh.out
}

if [ -n "$MON" ]; then
	check "monitor --json: a listener joins and, killed, leaves" \
		test_monitor_kill
	check "monitor --json: the lock passed holder to waiter, in order" \
		test_monitor_handover
	check "monitor --count 2: two lines, then status 0" test_monitor_human
	if [ -s mon.err ]; then
		echo "# monitor said:"
		sed 's/^/#   /' mon.err
	fi
else
	skip "monitor --json: a listener joins and, killed, leaves" \
		"needs CAP_NET_ADMIN"
	skip "monitor --json: the lock passed holder to waiter, in order" \
		"needs CAP_NET_ADMIN"
	skip "monitor --count 2: two lines, then status 0" \
		"needs CAP_NET_ADMIN"
fi

# --- lock --------------------------------------------------------------

CC=tt$$-lock

# One of four workers: 25 increments, each under the lock.
increments() {
	i=0
	while [ "$i" -lt 25 ]; do
		# shellcheck disable=SC2016 # expanded by sh -c
		"$IPCH" lock inc --channel "$CC" -- sh -c \
			'n=$(cat counter); sleep 0.01; echo $((n + 1)) >counter' ||
			return 1
		i=$((i + 1))
	done
}

test_counter() {
	echo 0 >counter
	pids=
	for w in 1 2 3 4; do
		increments &
		pids="$pids $!"
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=1
	done
	[ "$bad" -eq 0 ] && same counter 100
}

test_holder_killed() {
	"$IPCH" lock K9 --channel "$CC" -- \
		sh -c 'echo $$ >sleeper; exec sleep 60' &
	h=$!
	wait_until 20 lock_is "$CC" K9 "1 " || return 1
	"$IPCH" lock K9 --channel "$CC" -- sh -c 'echo got >got' &
	w=$!
	wait_until 20 lock_is "$CC" K9 "1 2" || return 1
	kill -9 "$h"
	{ wait "$h"; } 2>/dev/null
	exits "$w" 0 && same got got
}

test_lock_missing() {
	run 127 "$IPCH" lock st --channel "$CC" -- ./missing &&
		grep -q missing err
}

# The command lists its own open files: /dev/ipchannel must not be one.
test_lock_cloexec() {
	# shellcheck disable=SC2016 # $$ is the command's
	run 0 "$IPCH" lock st --channel "$CC" -- sh -c 'ls -l /proc/$$/fd' &&
		grep -q 'out$' out && ! grep -q /dev/ipchannel out
}

# The tool passes SIGTERM on and waits: status 128 + 15 from the command,
# which is gone when the tool exits (a tool killed by it would leave the
# command running, with the same status).
test_lock_sigterm() {
	# shellcheck disable=SC2016 # $$ is the command's
	"$IPCH" lock TERM --channel "$CC" -- \
		sh -c 'echo $$ >term; exec sleep 60' &
	h=$!
	wait_until 20 lock_is "$CC" TERM "1 " || return 1
	wait_until 20 test -s term || return 1
	kill -TERM "$h"
	exits "$h" 143 && gone "$(cat term)" &&
		run 0 "$IPCH" lock TERM --channel "$CC" --timeout 0 -- true
}

check "four lock commands, 25 increments each, count to 100" test_counter
check "lock: exits with the command's status" \
	run 7 "$IPCH" lock st --channel "$CC" -- sh -c 'exit 7'
check "lock: status 127 and a message for a missing command" \
	test_lock_missing
check "lock: the command does not get the device file" test_lock_cloexec
check "lock: a holder killed with kill -9 lets the waiter in" \
	test_holder_killed
check "lock: SIGTERM goes to the command, then the lock is free" \
	test_lock_sigterm

# --- another user's channel ------------------------------------------------

CU=tt$$-user
AS_IPCH=/opt/ipchannel/bin/as-ipch

test_shared() {
	run 1 "$IPCH" send "$CU" 1 x &&
		grep -q "made by another user (--shared joins it anyway)" err &&
		run 0 "$IPCH" send --shared "$CU" 1 x &&
		wait_until 20 gone "$US" && exits "$US" 0 &&
		grep -q "message from peer 2: x" user.out
}

if [ "$ME" -ne 0 ] || [ ! -x "$AS_IPCH" ]; then
	skip "send to another user's channel needs --shared" \
		"needs root and $AS_IPCH"
else
	"$AS_IPCH" "$IPCH" listen "$CU" --count 1 >user.out 2>&1 &
	US=$!
	BG="$BG $US"
	wait_until 20 peers_are "$CU" 1
	check "send to another user's channel needs --shared" test_shared
fi

# --- demo --------------------------------------------------------------

test_demo() {
	run 0 timeout 60 "$IPCH" demo || return 1
	[ "$(grep -c 'holds the lock' out)" -eq 3 ] &&
		[ "$(grep -c 'got "hello from peer' out)" -eq 3 ] &&
		tail -n 1 out | grep -q 'counter is 3'
}

check "demo runs to completion" test_demo

echo "# took $(($(date +%s) - START)) seconds"
echo "1..$N"
exit $FAILED
