#!/bin/sh
# Starts gnome-keyring's Secret Service in the current D-Bus session,
# unlocked with a test password, and waits until it owns its bus name.
# Without the wait a client that comes quickly makes D-Bus start a second
# daemon, which finds the first one's keyring half-written ("invalid or
# unrecognized format") and cannot unlock it.
echo test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
i=0
while [ $i -lt 100 ]; do # 10 s
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
		grep -q "boolean true" && exit 0
	sleep 0.1
	i=$((i + 1))
done
echo "unlock-keyring: the Secret Service did not start within 10 s" >&2
exit 1
