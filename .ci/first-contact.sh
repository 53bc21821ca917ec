#!/usr/bin/env bash
# First contact from the outside: the real binaries, as a technician would
# run them against Microsoft, here against the simulated cloud.
#
#   1. m365sim --fresh-partner --unconsented 5: a partner without tenantsync;
#   2. tenantsync setup: the administrator's sign-in, app registration,
#      secret (into a real Secret Service), admin consent, the GDAP service
#      account's sign-in, consent into every customer through Partner Center;
#   3. tenantsync sync, then tenantsync status: every tenant synced;
#   4. tenantsync setup again: nothing new is created.
#
# Sign-in pages open through $BROWSER (.ci/browser.sh plays the browser);
# the cloud's hosts come from TENANTSYNC_CLOUD_FILE (the simulator's ready
# line), its CA from SSL_CERT_FILE. Usage: first-contact.sh TENANTSYNC M365SIM
set -euo pipefail
tenantsync=$(realpath "$1")
m365sim=$(realpath "$2")
work=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
cleanup() {
	stop_sim
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "first-contact: $*" >&2
	for f in "$work"/*.out "$work"/browser.log "$work"/sim.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; } >&2
	done
	exit 1
}
tenants=12
start_sim --fresh-partner --unconsented 5 --tenants "$tenants" --users 8 --clean
grep -q '"client_id"' "$work/ready.json" && fail "a fresh partner's ready line names a client id"

use_sim
export TENANTSYNC_DATA_DIR="$work/data"
port=$(( 20000 + RANDOM % 20000 ))

# The keychain: a real Secret Service in a private D-Bus session.
export HOME="$work/home"
mkdir -p "$HOME"
run() { # run NAME ARGS...: tenantsync ARGS with output in NAME.out
	local name=$1
	shift
	timeout 120 "$tenantsync" "$@" >"$work/$name.out" 2>&1
}
session() {
	unlock_keyring
	run setup setup --name Partner --port "$port" || fail "tenantsync setup failed"
	grep -q "Signed in as $(field admin_account)" "$work/setup.out" || fail "setup did not sign the administrator in"
	grep -q "Signed in as $(field service_account)" "$work/setup.out" || fail "setup did not sign the GDAP service account in"
	grep -q "created: app registration tenantsync" "$work/setup.out" || fail "setup created no app registration"
	grep -q "Consented in $tenants of $tenants customer tenant(s)." "$work/setup.out" || fail "setup did not consent into every customer"
	run sync sync --connection Partner || fail "tenantsync sync failed"
	grep -q "Partner: synced $tenants tenant(s)" "$work/sync.out" || fail "sync did not sync $tenants tenants"
	run status status || fail "tenantsync status failed"
	grep -q "last run: $tenants of $tenants tenant(s) synced" "$work/status.out" || fail "status does not show every tenant synced"
	grep -q "client secret: expires" "$work/status.out" || fail "status does not show the secret's end date"
	grep -q "next sync: never" "$work/status.out" && fail "the new connection has no schedule"
	# Run under LC_ALL=C.UTF-8 (as cron and CI are): nothing but tenantsync
	# speaks on stderr, no "Fyne error: Error parsing user locale C".
	grep -l "Fyne error" "$work"/*.out && fail "a command printed Fyne's locale error"
	run setup2 setup --name Partner --port "$port" || fail "second setup failed"
	grep -q "Everything was already set up; nothing was created." "$work/setup2.out" || fail "second setup created something"
	cat "$work/status.out"
}
export -f session run fail field unlock_keyring
export work tenantsync tenants port
dbus-run-session -- bash -c session
echo "first-contact: ok (setup, consent into $tenants customers, sync, status, setup again)"
