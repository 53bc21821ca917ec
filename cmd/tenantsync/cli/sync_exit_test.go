package cli

import (
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
)

// syncAgainstSim connects to a simulated partner with the given per-tenant
// flags and runs `tenantsync sync`.
func syncAgainstSim(t *testing.T, flags map[int]m365sim.TenantFlags) (code int, stdout, stderr string, customers []m365sim.TenantInfo) {
	t.Helper()
	run, sim, _, port := simCLI(t, m365sim.Options{Seed: 43, Tenants: 3, UsersPerTenant: 8, CleanTenants: true,
		TenantFlags: flags, DisableThrottling: true})
	info := sim.Info()
	customers = sim.Customers()
	if _, out, errs := run(info.ClientSecret+"\n", "connect", "--name", "Partner", "--tenant", info.PartnerTenantID,
		"--client-id", info.ClientID, "--secret-stdin", "--port", itoa(port)); !strings.Contains(out, "Signed in as ") {
		t.Fatalf("connect did not sign in:\n%s\n%s", out, errs)
	}
	code, stdout, stderr = run("", "sync")
	return code, stdout, stderr, customers
}

// A sync in which a tenant failed exits 1, as the README promises, and the
// summary names every failed tenant with its fix, also one that failed
// before it was read (an expired GDAP relationship).
func TestSyncExitsOneWhenATenantFailed(t *testing.T) {
	t.Parallel()
	code, out, errs, customers := syncAgainstSim(t, map[int]m365sim.TenantFlags{1: {GDAPExpired: true}})
	if code != ExitRuntime {
		t.Errorf("sync with a GDAP-expired tenant = %d, want %d\n%s\n%s", code, ExitRuntime, out, errs)
	}
	t.Logf("sync output:\n%s\n%s", out, errs)
	expired := customers[1]
	if !strings.Contains(out, expired.DisplayName) || !strings.Contains(out, "fix: ") || !strings.Contains(out, "GDAP") {
		t.Errorf("the summary does not name the failed tenant %q with its fix:\n%s", expired.DisplayName, out)
	}
}

func TestSyncExitsZeroWhenClean(t *testing.T) {
	t.Parallel()
	code, out, errs, _ := syncAgainstSim(t, nil)
	if code != ExitOK {
		t.Errorf("sync of clean tenants = %d, want %d\n%s\n%s", code, ExitOK, out, errs)
	}
	if strings.Contains(out, "fix: ") {
		t.Errorf("a clean sync printed a failure:\n%s", out)
	}
}
