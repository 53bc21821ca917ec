package cli

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// connectCLI runs the CLI against a fresh simulated partner and data directory.
func connectCLI(t *testing.T) (run func(stdin string, args ...string) (int, string, string), info m365sim.Info, dir, port string) {
	t.Helper()
	r, sim, dir, p := simCLI(t, m365sim.Options{Seed: 44, Tenants: 2, UsersPerTenant: 3, CleanTenants: true, DisableThrottling: true})
	return r, sim.Info(), dir, itoa(p)
}

// TestFailedConnectLeavesNothing: a connect whose sign-in fails removes the
// connection it saved and its keychain item, so trying again does not pile
// up connections of the same name.
func TestFailedConnectLeavesNothing(t *testing.T) {
	t.Parallel()
	run, info, dir, port := connectCLI(t)
	for try := 1; try <= 2; try++ {
		code, out, errs := run("not-the-secret\n", "connect", "--name", "Partner", "--tenant", info.PartnerTenantID,
			"--client-id", info.ClientID, "--secret-stdin", "--port", port)
		if code != ExitRuntime || !strings.Contains(errs, "removed the connection") {
			t.Errorf("connect with a wrong secret, try %d = exit %d; want %d and the connection removed\n%s\n%s", try, code, ExitRuntime, out, errs)
		}
	}
	if _, status, _ := run("", "status"); !strings.Contains(status, "Connections:     0\n") {
		t.Errorf("failed connects left connections:\n%s", status)
	}
	log, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`removed connection.* id=([0-9a-f]+)`).FindAllStringSubmatch(string(log), -1)
	if len(ids) != 2 {
		t.Fatalf("log names %d removed connections, want 2:\n%s", len(ids), log)
	}
	for _, m := range ids {
		if _, err := secrets.NewKeychain("").Get("client-secret/" + m[1]); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("keychain item of removed connection %s: %v; want it gone", m[1], err)
		}
	}
}

// TestConnectRefusesDuplicateName: a second connection of the same name
// (in any case) is refused before anything is saved.
func TestConnectRefusesDuplicateName(t *testing.T) {
	t.Parallel()
	run, info, _, port := connectCLI(t)
	connect := func(name string) (int, string, string) {
		return run(info.ClientSecret+"\n", "connect", "--name", name, "--tenant", info.PartnerTenantID,
			"--client-id", info.ClientID, "--secret-stdin", "--port", port)
	}
	if code, out, errs := connect("Partner"); code != ExitOK {
		t.Fatalf("first connect = exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs := connect("PARTNER")
	if code != ExitRuntime || !strings.Contains(errs, `a connection named "Partner" already exists`) ||
		!strings.Contains(errs, `tenantsync setup --connection "Partner"`) {
		t.Errorf("second connect of the same name = exit %d; want %d and the existing one named\n%s\n%s", code, ExitRuntime, out, errs)
	}
	if _, status, _ := run("", "status"); !strings.Contains(status, "Connections:     1\n") {
		t.Errorf("after a refused duplicate:\n%s", status)
	}
}
