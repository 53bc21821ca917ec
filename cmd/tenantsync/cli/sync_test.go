package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
)

// TestConnectSyncLogs drives the headless commands against the simulated
// cloud: connect (sign-in through the loopback), sync, a dry run, logs.
func TestConnectSyncLogs(t *testing.T) {
	t.Parallel()
	run, sim, _, port := simCLI(t, m365sim.Options{Seed: 41, Tenants: 4, UsersPerTenant: 15, CleanTenants: true, DisableThrottling: true})
	info := sim.Info()

	code, out, errs := run(info.ClientSecret+"\n", "connect", "--name", "Partner", "--tenant", info.PartnerTenantID,
		"--client-id", info.ClientID, "--secret-stdin", "--port", itoa(port))
	if code != ExitOK || !strings.Contains(out, "Signed in as "+info.ServiceAccount) || !strings.Contains(out, "of 4 tenant(s) ready") {
		t.Fatalf("connect = %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(out+errs, info.ClientSecret) {
		t.Error("connect printed the secret")
	}

	code, out, errs = run("", "sync", "--dry-run")
	if code != ExitOK || !strings.Contains(out, "would sync (dry run, nothing written) 4 tenant(s)") {
		t.Fatalf("sync --dry-run = %d\n%s\n%s", code, out, errs)
	}
	if _, status, _ := run("", "status"); !strings.Contains(status, "Sync runs:       0") {
		t.Errorf("a dry run left a sync log:\n%s", status)
	}

	code, out, errs = run("", "sync", "--connection", "partner")
	if code != ExitOK || !strings.Contains(out, "Partner: synced 4 tenant(s)") || !strings.Contains(errs, "[4/4]") {
		t.Fatalf("sync = %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = run("", "logs")
	if code != ExitOK || !strings.Contains(out, "run 1") {
		t.Errorf("logs = %d\n%s", code, out)
	}
	if code, _, errs = run("", "sync", "--connection", "nobody"); code != ExitRuntime || !strings.Contains(errs, `no connection named "nobody"`) {
		t.Errorf("sync of an unknown connection = %d, %s", code, errs)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDemoCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errs := run(t, dir, "demo", "--tenants", "5")
	if code != ExitOK || !strings.Contains(out, "synced 5 tenant(s)") || !strings.Contains(out, "matched to organizations") {
		t.Fatalf("demo = %d\n%s\n%s", code, out, errs)
	}
	// The demo lives apart from real data.
	if _, status, _ := run(t, dir, "status"); !strings.Contains(status, "No database yet") && !strings.Contains(status, "Organizations:   0") {
		t.Errorf("demo data leaked into the real database:\n%s", status)
	}
}
