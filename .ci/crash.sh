#!/usr/bin/env bash
# Crashes and faults from the outside (issue 12): the real binaries killed
# at random points, on a full disk, and on damaged database files. After
# each, the database opens, or tenantsync says it is damaged (exit 3) and
# a backup puts it right; nothing panics; nothing is half-written.
#
#   1. kill -9, 20 times each, during
#      - demo, re-run on one data directory: the demo database holds a
#        whole demo, and the next demo leaves nothing of the killed ones;
#      - import of a CSV of 3,000 rows (one transaction): the database
#        holds none or all of its rows;
#      - sync of a connection to m365sim (a fresh copy of the connected,
#        never synced data directory each time): status shows the run as
#        interrupted, not syncing, and the next sync succeeds;
#      - export -o FILE of 40,000 contacts: FILE is absent or the previous
#        complete file, never partial; the next export leaves no temporary
#        file beside it;
#   2. a full disk, where user namespaces allow a private tmpfs: a sync and
#      an import exit 1 naming the full disk; copied to a roomy disk, the
#      database opens, has none of the import, and syncs;
#   3. a populated database (imported, synced, with its daily backup):
#      20 copies with 1-8 bit flips (one in four in the meta pages' first
#      80 bytes, the others past them) and 5 truncated to a page boundary
#      (4096 bytes): status exits 0 or 3, export 0 or 1 (3 when damaged),
#      never a panic; after exit 3, restore of the newest backup brings the
#      organizations back.
#
# Each kill sleeps a random part of the command's measured duration; delays
# and flipped offsets come from $RANDOM seeded with SEED (printed, and
# named with every failure: SEED=N replays a run's choices; the timing of
# the kills themselves still varies). The connection's secret lives in a
# real Secret Service: the script runs itself in a private D-Bus session.
# Usage: [SEED=N] crash.sh TENANTSYNC M365SIM
set -euo pipefail
tenantsync=$(realpath "$1")
m365sim=$(realpath "$2")
if [ "${CRASH_IN_SESSION-}" != 1 ]; then
	CRASH_IN_SESSION=1 exec dbus-run-session -- bash "$0" "$tenantsync" "$m365sim"
fi
SEED=${SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
kills=20
flips=20
truncations=5

work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
cleanup() {
	stop_sim
	rm -rf "$work"
}
trap cleanup EXIT
log="$work/crash.log"
fail() { # the suite itself cannot go on
	echo "crash: $* (SEED=$SEED)" >&2
	for f in "$work"/*.out "$work"/*.err "$work"/sim.err; do
		[ -s "$f" ] && { echo "--- $(basename "$f")"; tail -20 "$f"; } >&2
	done
	exit 1
}
violations=0
violation() { # a broken promise: reported, and the suite goes on
	violations=$((violations + 1))
	echo "crash: FAIL $* (SEED=$SEED)" | tee -a "$log" >&2
}
note() { echo "$*" >>"$log"; }
started=$SECONDS
phase() { note "--- $* (at $((SECONDS - started)) s)"; }

# rnd N: a random number in [0, N) in r. Only in this shell: a subshell
# reseeds $RANDOM, which would break replaying SEED.
rnd() { r=$((((RANDOM << 15) | RANDOM) % $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run NAME ARGS...: tenantsync ARGS to completion; exit code in rc, output
# in $work/NAME.out and NAME.err, duration in ms in took.
run() {
	local name=$1 start
	shift
	start=$(now_ms)
	rc=0
	timeout 120 "$tenantsync" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	took=$(($(now_ms) - start))
}

# kill_after NAME MS ARGS...: tenantsync ARGS, killed with SIGKILL after MS
# milliseconds unless it exited first; exit code in rc (137: killed).
kill_after() {
	local name=$1 ms=$2 pid
	shift 2
	"$tenantsync" "$@" >"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" 2>/dev/null || rc=$? # 2>/dev/null: no "Killed" from bash
}

# said NAME: the last words of the command NAME (without the Fyne
# toolkit's complaint about the C locale), for a failure's message.
said() {
	grep -hv 'Fyne error\|  Cause: \|  At: ' "$work/$1.out" "$work/$1.err" | tail -3 | tr '\n' ' ' | cut -c1-300
}

# no_panic CASE NAME...: what the commands NAME printed shows no crash
# (a recovered panic reads "internal error").
no_panic() {
	local what=$1 name
	shift
	for name; do
		if grep -Eq 'panic|goroutine |SIGSEGV|internal error' "$work/$name.out" "$work/$name.err"; then
			violation "$what: $name printed a crash: $(grep -Eh -m2 'panic|goroutine |SIGSEGV|internal error' "$work/$name.out" "$work/$name.err" | tr '\n' ' ')"
		fi
	done
}

# count KEY: the number status printed after "KEY:".
count() { sed -n "s/^$1: *\([0-9]*\)$/\1/p" "$work/status.out"; }

# open_or_restore CASE DIR: status exits 0, or 3 and then restore of the
# newest backup makes it exit 0. Sets opened to ok or restored.
open_or_restore() {
	local what=$1 dir=$2
	opened=
	run status --data-dir "$dir" status
	no_panic "$what" status
	case $rc in
	0) opened=ok ;;
	3)
		run restore --data-dir "$dir" restore latest
		no_panic "$what" restore
		[ "$rc" = 0 ] || { violation "$what: status said damaged (exit 3) and restore latest exited $rc: $(said restore)"; return; }
		run status --data-dir "$dir" status
		no_panic "$what" status
		[ "$rc" = 0 ] || { violation "$what: status exits $rc after restore: $(said status)"; return; }
		opened=restored
		;;
	*) violation "$what: status exited $rc (want 0, or 3 for damage): $(said status)" ;;
	esac
}

# gen_csv FILE TAG ROWS ORGS: ROWS new contacts in ORGS new organizations.
gen_csv() {
	awk -v tag="$2" -v n="$3" -v orgs="$4" 'BEGIN {
		print "Organization,First Name,Last Name,Email"
		for (i = 0; i < n; i++)
			printf "Crash %s Org %d,Given%d,Family%s%d,p%d.%s@org%d-%s.example\n", tag, i % orgs, i, tag, i, i, tag, i % orgs, tag
	}' >"$1"
}

echo "crash: SEED=$SEED"
export HOME="$work/home" # the keyring's files
mkdir -p "$HOME"
unlock_keyring

# The simulated partner: 20 customers of 100 users on average, 30 ms per
# request, so that a first sync lasts about a second (mostly waiting: CPU
# is scarce); no replication wait worth speaking of, so that setup is
# quick; no throttling, whose report budget (14 in 10 minutes a tenant)
# some forty first syncs would exhaust.
start_sim --fresh-partner --tenants 20 --users 100 --latency 30ms --replication-delay 200ms --clean --throttle=false
use_sim
conn="$work/conn" # connected, never synced: each sync kill starts from a copy
run setup --data-dir "$conn" setup --name Partner --port $((20000 + $$ % 20000))
[ "$rc" = 0 ] || fail "tenantsync setup failed (exit $rc)"

# The populated database of part 3: an import, then a first sync, which
# takes the daily backup.
populated="$work/populated"
cp -a "$conn" "$populated"
gen_csv "$work/orgs.csv" orgs 500 20
run import-orgs --data-dir "$populated" import "$work/orgs.csv"
[ "$rc" = 0 ] || fail "import into the populated database failed (exit $rc)"
run sync-first --data-dir "$populated" sync
[ "$rc" = 0 ] || fail "the first sync failed (exit $rc)"
run restore-list --data-dir "$populated" restore --list
grep -q daily "$work/restore-list.out" || fail "the first good sync took no daily backup"
run status --data-dir "$populated" status
orgs=$(count Organizations)
[ "$orgs" = 20 ] || fail "the populated database has $orgs organizations, want 20"

# --- 1. kill -9 -------------------------------------------------------

phase demo
# Demo: one data directory, re-run; the demo database is replaced in one
# transaction, so it always holds a whole demo (12 tenants).
demo="$work/demo"
for _ in 1 2; do # the second, a re-run, is what the kills interrupt
	run demo --data-dir "$demo" demo
	[ "$rc" = 0 ] || fail "demo failed (exit $rc)"
done
demo_ms=$took
(cd "$demo" && find . | sort) >"$work/demo.files"
demo_killed=0 demo_done=0
for i in $(seq 1 $kills); do
	rnd "$demo_ms"
	what="demo kill $i (after $r of $demo_ms ms)"
	kill_after demo-kill "$r" --data-dir "$demo" demo
	note "$what: exit $rc"
	case $rc in
	137) demo_killed=$((demo_killed + 1)) ;;
	0) demo_done=$((demo_done + 1)) ;;
	*) violation "$what: exit $rc: $(said demo-kill)" ;;
	esac
	no_panic "$what" demo-kill
	open_or_restore "$what" "$demo/demo"
	if [ "$opened" = ok ] && { [ "$(count Tenants)" != 12 ] || [ "$(count Connections)" != 1 ]; }; then
		violation "$what: the demo database holds $(count Tenants) tenants and $(count Connections) connections, want a whole demo (12, 1)"
	fi
done
run demo --data-dir "$demo" demo
[ "$rc" = 0 ] || violation "demo after the kills exited $rc: $(said demo)"
(cd "$demo" && find . | sort) | diff "$work/demo.files" - >"$work/demo.diff" ||
	violation "demo: files the killed demos left behind: $(grep '^>' "$work/demo.diff" | tr '\n' ' ')"

phase import
# Import: each file is one transaction.
imp="$work/import"
rows=3000 per_orgs=30
for i in a b; do # the second, into a database, is what the kills interrupt
	gen_csv "$work/import.csv" "$i" $rows $per_orgs
	run import --data-dir "$imp" import "$work/import.csv"
	[ "$rc" = 0 ] || fail "import failed (exit $rc)"
done
import_ms=$took
contacts=$((2 * rows)) organizations=$((2 * per_orgs))
import_none=0 import_all=0
for i in $(seq 1 $kills); do
	gen_csv "$work/import.csv" "k$i" $rows $per_orgs
	rnd "$import_ms"
	what="import kill $i (after $r of $import_ms ms)"
	kill_after import-kill "$r" --data-dir "$imp" import "$work/import.csv"
	note "$what: exit $rc"
	killed=$rc
	[ "$rc" = 137 ] || [ "$rc" = 0 ] || violation "$what: exit $rc: $(said import-kill)"
	no_panic "$what" import-kill
	open_or_restore "$what" "$imp"
	[ -n "$opened" ] || continue
	c=$(count Contacts) o=$(count Organizations)
	if [ "$c" = $contacts ] && [ "$o" = $organizations ]; then
		import_none=$((import_none + 1))
		[ "$killed" != 0 ] || violation "$what: import exited 0 but none of its rows are in the database"
	elif [ "$c" = $((contacts + rows)) ] && [ "$o" = $((organizations + per_orgs)) ]; then
		import_all=$((import_all + 1))
	else
		violation "$what: half an import: $c contacts and $o organizations, want $contacts and $organizations or $((contacts + rows)) and $((organizations + per_orgs))"
	fi
	contacts=$c organizations=$o
done

phase sync
# Sync: from a fresh copy of the connected data directory, so that every
# killed sync is a first, writing one. Its duration is the shorter of two
# (one slowed by a busy machine would leave most kills too late).
sync_ms=
for _ in 1 2; do
	rm -rf "$work/sync"
	cp -a "$conn" "$work/sync"
	run sync --data-dir "$work/sync" sync --connection Partner
	[ "$rc" = 0 ] || fail "sync failed (exit $rc)"
	[ -n "$sync_ms" ] && [ "$sync_ms" -le "$took" ] || sync_ms=$took
done
sync_before=0 sync_interrupted=0 sync_finished=0 sync_done=0
for i in $(seq 1 $kills); do
	rm -rf "$work/sync"
	cp -a "$conn" "$work/sync"
	rnd "$sync_ms"
	what="sync kill $i (after $r of $sync_ms ms)"
	kill_after sync-kill "$r" --data-dir "$work/sync" sync --connection Partner
	note "$what: exit $rc"
	killed=$rc
	[ "$rc" = 137 ] || [ "$rc" = 0 ] || violation "$what: exit $rc: $(said sync-kill)"
	no_panic "$what" sync-kill
	open_or_restore "$what" "$work/sync"
	[ -n "$opened" ] || continue
	if grep -q ': syncing' "$work/status.out"; then
		violation "$what: status shows the killed sync as still syncing: $(grep ': syncing' "$work/status.out")"
	fi
	runs=$(count 'Sync runs')
	run logs --data-dir "$work/sync" logs -n 1
	no_panic "$what" logs
	run_id=$(awk '$1 == "run" { print $2; exit }' "$work/logs.out")
	run sync-next --data-dir "$work/sync" sync --connection Partner
	no_panic "$what" sync-next
	[ "$rc" = 0 ] || violation "$what: the next sync exited $rc: $(said sync-next)"
	run logs --data-dir "$work/sync" logs -n 5
	no_panic "$what" logs
	if grep -q ' syncing ' "$work/logs.out"; then
		violation "$what: after the next sync, logs still shows a run syncing"
	fi
	if [ "$killed" = 0 ]; then
		sync_done=$((sync_done + 1))
	elif [ "$runs" = 0 ] || [ -z "$run_id" ]; then
		sync_before=$((sync_before + 1))
	else
		case $(awk -v id="$run_id" '$1 == "run" && $2 == id { print $6 }' "$work/logs.out") in
		interrupted) sync_interrupted=$((sync_interrupted + 1)) ;;
		ok | warning) sync_finished=$((sync_finished + 1)) ;; # killed after its end (the backup)
		*) violation "$what: the killed run $run_id reads: $(awk -v id="$run_id" '$1 == "run" && $2 == id' "$work/logs.out")" ;;
		esac
	fi
done

phase export
# Export: to a file that, on odd kills, does not exist yet.
exp="$work/export"
gen_csv "$work/big.csv" big 40000 200
run import-big --data-dir "$exp" import "$work/big.csv"
[ "$rc" = 0 ] || fail "import of 40000 rows failed (exit $rc)"
mkdir "$work/exports"
file="$work/exports/all.json"
run export --data-dir "$exp" export all --format json -o "$file"
[ "$rc" = 0 ] || fail "export failed (exit $rc)"
export_ms=$took
cp "$file" "$work/complete.json"
export_absent=0 export_complete=0
for i in $(seq 1 $kills); do
	had=complete
	if [ $((i % 2)) = 1 ]; then
		rm -f "$file"
		had=absent
	fi
	rnd "$export_ms"
	what="export kill $i (after $r of $export_ms ms, file $had before)"
	kill_after export-kill "$r" --data-dir "$exp" export all --format json -o "$file"
	note "$what: exit $rc"
	[ "$rc" = 137 ] || [ "$rc" = 0 ] || violation "$what: exit $rc: $(said export-kill)"
	no_panic "$what" export-kill
	if [ ! -e "$file" ]; then
		export_absent=$((export_absent + 1))
		[ $had = absent ] || violation "$what: the previous complete file is gone"
		[ "$rc" != 0 ] || violation "$what: export exited 0 but wrote no file"
	elif cmp -s "$file" "$work/complete.json"; then
		export_complete=$((export_complete + 1))
	else
		violation "$what: a partial file: $(wc -c <"$file") of $(wc -c <"$work/complete.json") bytes"
	fi
	open_or_restore "$what" "$exp"
	run export-next --data-dir "$exp" export all --format json -o "$file"
	no_panic "$what" export-next
	[ "$rc" = 0 ] || violation "$what: the next export exited $rc: $(said export-next)"
	cmp -s "$file" "$work/complete.json" || violation "$what: the next export's file differs from a complete one"
	left=$(ls -A "$work/exports" | grep -vx all.json || true)
	[ -z "$left" ] || violation "$what: the next export left $left beside the file"
done

# --- 2. full disk -----------------------------------------------------

# on_small_disk NAME SIZE SRC DST ARGS...: tenantsync ARGS on a copy of the
# data directory SRC on a tmpfs of SIZE (private to a mount namespace);
# the data directory is then copied to DST. Exit code in rc.
on_small_disk() {
	local name=$1 size=$2 src=$3 dst=$4
	shift 4
	mkdir -p "$dst"
	rc=0
	unshare -r -m bash -c '
		mount -t tmpfs -o size="$1" tmpfs "$2" && cp -a "$3"/. "$2"/ || exit 90
		code=0
		timeout 120 "$4" --data-dir "$2" "${@:7}" >"$5.out" 2>"$5.err" || code=$?
		cp -a "$2"/. "$6"/ || exit 91
		exit $code' _ "$size" "$work/tmpfs" "$src" "$tenantsync" "$work/$name" "$dst" "$@" || rc=$?
	[ "$rc" != 90 ] && [ "$rc" != 91 ] || fail "$name: could not set up or copy back the small tmpfs"
}

# disk_full CASE NAME: the command NAME stopped with exit 1 and said why.
disk_full() {
	local what=$1 name=$2
	no_panic "$what" "$name"
	[ "$rc" = 1 ] || violation "$what: exit $rc, want 1"
	grep -Eiq 'disk is full|no space left' "$work/$name.out" "$work/$name.err" ||
		violation "$what: no message names the full disk: $(said "$name")"
	! grep -iq 'cannot reach microsoft' "$work/$name.out" "$work/$name.err" ||
		violation "$what: the full disk reads as a network problem"
}

phase full disk
full_disk="skipped (no user namespaces)"
mkdir -p "$work/tmpfs"
if unshare -r -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' _ "$work/tmpfs" 2>/dev/null; then
	what="full disk under a sync (2 MB tmpfs)"
	on_small_disk sync-full 2048k "$conn" "$work/full-sync" sync --connection Partner
	disk_full "$what" sync-full
	open_or_restore "$what, copied out" "$work/full-sync"
	run sync-after-full --data-dir "$work/full-sync" sync --connection Partner
	no_panic "$what" sync-after-full
	[ "$rc" = 0 ] || violation "$what: the sync after the full disk exited $rc: $(said sync-after-full)"

	what="full disk under an import (1 MB tmpfs, 40000 rows)"
	on_small_disk import-full 1024k "$conn" "$work/full-import" import "$work/big.csv"
	disk_full "$what" import-full
	open_or_restore "$what, copied out" "$work/full-import"
	[ "$(count Contacts)" = 0 ] || violation "$what: $(count Contacts) contacts after a failed import, want 0"
	full_disk="sync and import stopped with exit 1 naming it, then opened and synced"
else
	echo "crash: full disk skipped: no user namespaces"
fi

# --- 3. bit flips and truncations -------------------------------------

# flip_bit FILE OFFSET BIT
flip_bit() {
	local v
	v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((v ^ (1 << $3))))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# damaged CASE DIR: status exits 0 or 3; export 0 or 1 (a warning) on a
# file that opens; after 3, restore brings the organizations back.
damaged() {
	local what=$1 dir=$2
	run status --data-dir "$dir" status
	no_panic "$what" status
	local st=$rc
	run export-damaged --data-dir "$dir" export all --format json -o "$dir/all.json"
	no_panic "$what" export-damaged
	case $st:$rc in
	0:0) ;;
	0:1) grep -q 'tenantsync' "$work/export-damaged.err" || violation "$what: export exited 1 without a word" ;;
	3:1 | 3:3) ;;
	*) violation "$what: status exited $st and export $rc (want 0 or 3, and 0 or 1 when it opens): $(said status) / $(said export-damaged)" ;;
	esac
	open_or_restore "$what" "$dir"
	if [ "$opened" = restored ]; then
		[ "$(count Organizations)" = "$orgs" ] || violation "$what: $(count Organizations) organizations after restore, want $orgs"
	fi
}

phase flips and truncations
db="$work/damaged/tenantsync.db"
# The live part of the file: the backup is a copy of it up to its last
# page in use.
live=$(stat -c %s "$(ls "$populated"/backups/*.db | head -1)")
flip_opened=0 flip_restored=0
for i in $(seq 1 $flips); do
	rm -rf "$work/damaged"
	cp -a "$populated" "$work/damaged"
	rnd 8
	n=$((r + 1)) offsets=
	for _ in $(seq 1 $n); do
		if [ $((i % 4)) = 1 ]; then # a meta page's header and fields
			rnd 2
			off=$((r * 4096))
			rnd 80
			off=$((off + r))
		else
			rnd $((live - 8192))
			off=$((r + 8192))
		fi
		rnd 8
		flip_bit "$db" "$off" "$r"
		offsets="$offsets $off:$r"
	done
	what="flip $i (offset:bit$offsets)"
	note "$what"
	damaged "$what" "$work/damaged"
	case $opened in
	ok) flip_opened=$((flip_opened + 1)) ;;
	restored) flip_restored=$((flip_restored + 1)) ;;
	esac
done
trunc_opened=0 trunc_restored=0
for i in $(seq 1 $truncations); do
	rm -rf "$work/damaged"
	cp -a "$populated" "$work/damaged"
	pages=$(($(stat -c %s "$db") / 4096))
	rnd $((pages - 1))
	size=$(((r + 1) * 4096))
	truncate -s "$size" "$db"
	what="truncation $i (to $size of $((pages * 4096)) bytes)"
	note "$what"
	damaged "$what" "$work/damaged"
	case $opened in
	ok) trunc_opened=$((trunc_opened + 1)) ;;
	restored) trunc_restored=$((trunc_restored + 1)) ;;
	esac
done

phase end
summary="demo $kills kills ($demo_killed interrupted cleanly, $demo_done completed), import $kills kills ($import_none none, $import_all all), sync $kills kills ($sync_before before the run, $sync_interrupted interrupted, $sync_finished after the run, $sync_done completed), export $kills kills ($export_absent absent, $export_complete complete), full disk: $full_disk, flips $flips ($flip_opened opened, $flip_restored damaged+restored), truncations $truncations ($trunc_opened opened, $trunc_restored damaged+restored)"
if [ "$violations" -gt 0 ]; then
	echo "--- crash.log" >&2
	cat "$log" >&2
	echo "crash: $violations violation(s) (SEED=$SEED): $summary" >&2
	exit 1
fi
echo "crash: ok (SEED=$SEED): $summary"
