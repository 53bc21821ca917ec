# What the scripts in .ci share to drive the real binaries against the
# simulated cloud. Source it after setting $work (a private temporary
# directory) and $m365sim, and defining fail (prints its arguments, exits 1).
#
#   start_sim ARGS...  starts m365sim ARGS in the background with its ready
#                      line in $work/ready.json (its stderr in $work/sim.err)
#                      and waits for it; sets sim_pid
#   stop_sim           stops it (safe to call when it is not running)
#   field NAME         a string field of the ready line
#   use_sim            points tenantsync at it: TENANTSYNC_CLOUD_FILE (its
#                      hosts), SSL_CERT_FILE (its CA), BROWSER (.ci/browser.sh
#                      plays the sign-ins, logging to $work/browser.log)
#   unlock_keyring     starts gnome-keyring's Secret Service in the current
#                      D-Bus session, unlocked; run it inside dbus-run-session
#                      with a throwaway HOME

ci_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ci_dir # the session functions run in a new shell (first-contact.sh)
sim_pid=

start_sim() {
	"$m365sim" "$@" --quiet --dir "$work" >"$work/ready.json" 2>"$work/sim.err" &
	sim_pid=$!
	local _
	for _ in $(seq 1 300); do # the ready line, within 30 s
		[ -s "$work/ready.json" ] && return 0
		kill -0 "$sim_pid" 2>/dev/null || fail "m365sim exited before it was ready"
		sleep 0.1
	done
	fail "m365sim printed no ready line in 30 s"
}

stop_sim() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
		sim_pid=
	fi
	return 0
}

field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$work/ready.json"; }

use_sim() {
	export TENANTSYNC_CLOUD_FILE="$work/ready.json"
	SSL_CERT_FILE=$(field ca_pem)
	export SSL_CERT_FILE
	export BROWSER="$ci_dir/browser.sh"
	export BROWSER_LOG="$work/browser.log"
}

unlock_keyring() {
	sh "$ci_dir/unlock-keyring.sh"
}
