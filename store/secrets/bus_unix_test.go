//go:build linux

package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSessionBusLaunchesNothing: without a desktop session (cron, ssh)
// the keychain is named unreachable, and no dbus-daemon is launched (the
// D-Bus library would run dbus-launch, whose daemons outlive tenantsync).
func TestNoSessionBusLaunchesNothing(t *testing.T) {
	was := mocked.Load()
	mocked.Store(false)
	defer mocked.Store(was)
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "launched")
	script := "#!/bin/sh\n: > " + marker + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	old := runUserDir
	runUserDir = t.TempDir()
	defer func() { runUserDir = old }()

	_, err := NewKeychain("tenantsync-test").Get("client-secret/x")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no desktop session bus") {
		t.Errorf("Get without a session bus = %v; want ErrUnavailable naming the missing session bus", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the keychain ran dbus-launch: a daemon would be left behind")
	}
}
