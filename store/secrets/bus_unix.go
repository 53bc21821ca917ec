//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package secrets

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
)

// errNoSessionBus: the Secret Service lives on the desktop session's D-Bus.
// Without a session (cron, ssh, a service) the D-Bus library would start a
// dbus-daemon of its own with dbus-launch on every call, and those daemons
// outlive tenantsync and pile up; so tenantsync looks for a session bus the
// way the library does, without launching one, and says what is missing.
var errNoSessionBus = errors.New("no desktop session bus (DBUS_SESSION_BUS_ADDRESS is unset and /run/user/UID/bus does not exist): the keychain (Secret Service) is reachable only from a desktop session. Run tenantsync from the desktop session, or start its headless sync from a user service that has the session's bus")

// sessionBus reports whether a session bus is there to use, looking where
// the D-Bus library looks before it would launch one: the environment, then
// /run/user/<uid>/bus or dbus-session.
func sessionBus() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("%w (%v)", errNoSessionBus, err)
	}
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(runUserDir, u.Uid, name)); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}

// runUserDir is where the D-Bus library looks for a user's session bus.
var runUserDir = "/run/user"
