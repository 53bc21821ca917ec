package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/m365sim"
)

// TestSetupFromFreshPartner goes from a partner without tenantsync, with 50
// GDAP customers, through one-click setup (administrator sign-in, app
// registration, secret, enterprise application, admin consent, the service
// account's sign-in), consent into every customer through Partner Center,
// to a first full sync of all 50; setup run again creates nothing new.
func TestSetupFromFreshPartner(t *testing.T) {
	t.Parallel()
	runIn, sim, _, port := simCLI(t, m365sim.Options{Seed: 43, Tenants: 50, UsersPerTenant: 6, Unconsented: 10,
		CleanTenants: true, DisableThrottling: true, FreshPartner: true, ReplicationDelay: 300 * time.Millisecond})
	run := func(args ...string) (int, string, string) { return runIn("", args...) }

	code, out, errs := run("setup", "--name", "Partner", "--port", itoa(port))
	if code != ExitOK {
		t.Fatalf("setup = %d\n%s\n%s", code, out, errs)
	}
	info := sim.Info()
	for _, want := range []string{"Signed in as " + info.AdminAccount, "created: app registration tenantsync", "created: client secret",
		"created: enterprise application", "created: admin consent", "Signed in as " + info.ServiceAccount,
		"Consenting tenantsync in 50 customer tenant(s)", "Consented in 50 of 50 customer tenant(s)."} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	regs := sim.Control().Registrations()
	if len(regs) != 1 || regs[0].Secrets != 1 || regs[0].ServicePrincipals != 51 {
		t.Fatalf("after setup: registrations %+v; want one app, one secret, 51 service principals (partner + 50 customers)", regs)
	}
	if len(regs[0].Web) != 1 || regs[0].Web[0] != "http://localhost:"+itoa(port) || len(regs[0].Public) != 0 {
		t.Errorf("redirects: web %v public %v; want only Web http://localhost:%d", regs[0].Web, regs[0].Public, port)
	}
	if !strings.Contains(out+errs, regs[0].AppID) {
		t.Errorf("setup does not name the app id it created:\n%s", out)
	}

	code, out, errs = run("sync", "--connection", "Partner")
	if code != ExitOK || !strings.Contains(out, "Partner: synced 50 tenant(s)") {
		t.Fatalf("sync = %d\n%s\n%s", code, out, errs)
	}

	if _, status, _ := run("status"); !strings.Contains(status, "last run: 50 of 50 tenant(s) synced") || strings.Contains(status, "next sync: never") {
		t.Errorf("status after the first sync: want 50 of 50 synced and an hourly schedule:\n%s", status)
	}

	code, out, errs = run("setup", "--name", "Partner", "--port", itoa(port))
	if code != ExitOK || !strings.Contains(out, "Everything was already set up; nothing was created.") ||
		!strings.Contains(out, "tenantsync is consented in every customer tenant.") {
		t.Fatalf("second setup = %d\n%s\n%s", code, out, errs)
	}
	again := sim.Control().Registrations()
	if len(again) != 1 || counts(again[0]) != counts(regs[0]) {
		t.Errorf("second setup changed the directory: %+v, was %+v", again, regs)
	}
}

func counts(r m365sim.Registration) [5]any {
	return [5]any{r.AppID, r.Secrets, r.ServicePrincipals, r.Grants, r.RoleAssignments}
}
