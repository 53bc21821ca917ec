package syncer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/permissions"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/core/testkit"
	"github.com/tenantsync/tenantsync/store"
)

// The manual path: a technician registers the app by hand, as the connect
// view's steps say (connections.RegistrationSteps: Web redirect
// http://localhost:PORT, the permissions of permissions.Required, admin
// consent, a client secret), connects and syncs. Each mistake a technician
// can make gets the mapped message and fix, and the other tenants sync.

// manualFixture registers an app in a fresh partner with spec, then
// connects and signs in the GDAP service account; the sign-in's error is
// returned, not fatal.
func manualFixture(t *testing.T, opt m365sim.Options, spec func(port int) m365sim.AppSpec) (*fixture, error) {
	t.Helper()
	opt.FreshPartner, opt.CleanTenants, opt.DisableThrottling = true, true, true
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sim := testkit.Sim(t, opt)
	s := testkit.Store(t)
	mgr := testkit.Manager(t, ctx, s, sim, connections.Network{})
	port := testkit.FreePort(t)
	app := sim.Control().RegisterApp(spec(port))
	conn, err := mgr.Create(ctx, connections.Form{Name: "Partner", Mode: store.ModeGDAP, TenantID: sim.Info().PartnerTenantID,
		ClientID: app.ClientID, Secret: app.Secret, RedirectPort: port})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, sim: sim, store: s, mgr: mgr, engine: syncer.New(s, mgr, syncer.Options{}), conn: conn, ctx: ctx}
	_, err = mgr.SignIn(ctx, conn.ID)
	return f, err
}

// asInstructed is the registration the instructions describe.
func asInstructed(port int) m365sim.AppSpec {
	steps := strings.Join(connections.RegistrationSteps(port, auth.Global), "\n")
	if !strings.Contains(steps, "choose Web") || !strings.Contains(steps, auth.RedirectURI(port)) || !strings.Contains(steps, "Multitenant") {
		panic("the registration steps no longer say Web, the redirect URI and multitenant: update asInstructed")
	}
	var graphPerms []string
	pc := false
	for _, p := range permissions.Required {
		if p.ResourceAppID == permissions.PartnerCenterAppID {
			pc = true
			continue
		}
		graphPerms = append(graphPerms, p.Name)
	}
	return m365sim.AppSpec{Web: []string{auth.RedirectURI(port)}, Graph: graphPerms, PartnerCenter: pc}
}

func TestManualRegistrationSyncs(t *testing.T) {
	t.Parallel()
	f, err := manualFixture(t, m365sim.Options{Seed: 71, Tenants: 4, UsersPerTenant: 6}, asInstructed)
	if err != nil {
		t.Fatalf("sign-in with the app registered as instructed: %v", err)
	}
	run := f.sync()
	if len(run.Tenants) != 4 {
		t.Fatalf("run synced %d tenants, want 4", len(run.Tenants))
	}
	for _, r := range run.Tenants {
		if r.Status == store.StatusError {
			t.Errorf("%s: %v", r.DisplayName, r.Findings)
		}
	}
}

func TestManualRegistrationAsMobileAndDesktop(t *testing.T) {
	t.Parallel()
	_, err := manualFixture(t, m365sim.Options{Seed: 72, Tenants: 1}, func(port int) m365sim.AppSpec {
		s := asInstructed(port)
		s.Web, s.Public = nil, s.Web
		return s
	})
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.CodePublicRedirect || ae.AADSTS != 700025 || !strings.Contains(ae.Fix, "Web") {
		t.Fatalf("sign-in with a Mobile and desktop redirect: %v; want AADSTS700025 with a fix naming the Web platform", err)
	}
}

func TestManualRegistrationMissingPermission(t *testing.T) {
	t.Parallel()
	f, err := manualFixture(t, m365sim.Options{Seed: 73, Tenants: 3, UsersPerTenant: 6}, func(port int) m365sim.AppSpec {
		// Customers consented from the registration (its admin consent
		// link), so they hold what it lists. (Partner Center consent grants
		// what tenantsync asks for, whatever the registration lists.)
		s := asInstructed(port)
		s.Graph = slicesWithout(s.Graph, "Reports.Read.All")
		s.ConsentIn = []int{0, 1, 2}
		return s
	})
	if err != nil {
		t.Fatal(err)
	}
	run := f.sync()
	if len(run.Tenants) != 3 {
		t.Fatalf("run synced %d tenants, want 3", len(run.Tenants))
	}
	for _, r := range run.Tenants {
		var mailbox *store.Finding
		for i, fd := range r.Findings {
			if fd.Code == graph.CodePermissionMissing && fd.DataType == graph.DataMailboxes {
				mailbox = &r.Findings[i]
			}
		}
		if mailbox == nil || !strings.Contains(mailbox.Fix, "Reports.Read.All") {
			t.Errorf("%s without Reports.Read.All: findings %v; want the mailbox finding naming the permission", r.DisplayName, r.Findings)
		}
	}
	if run.Status != store.StatusWarning {
		t.Errorf("run status = %s, want warning: the run goes on past a tenant's missing permission", run.Status)
	}
}

func TestManualRegistrationWithoutCustomerConsent(t *testing.T) {
	t.Parallel()
	f, err := manualFixture(t, m365sim.Options{Seed: 74, Tenants: 4, UsersPerTenant: 6}, func(port int) m365sim.AppSpec {
		s := asInstructed(port)
		s.ConsentIn = []int{0, 2} // customers 1 and 3 never consented
		return s
	})
	if err != nil {
		t.Fatal(err)
	}
	s := f.conn.Settings
	s.NoAutoConsent = true
	if err := f.engine.SaveSettings(f.ctx, f.conn.ID, s, 0); err != nil {
		t.Fatal(err)
	}
	run := f.sync()
	cs := f.sim.Customers()
	for _, r := range run.Tenants {
		unconsented := r.TenantID == cs[1].ID || r.TenantID == cs[3].ID
		switch {
		case unconsented && (r.Status != store.StatusError || len(r.Findings) == 0 || r.Findings[0].Code != auth.CodeAppNotPermitted || !strings.Contains(r.Findings[0].Fix, "Partner Center")):
			t.Errorf("%s without consent: %+v; want AADSTS90099 with the consent fix", r.DisplayName, r)
		case !unconsented && r.Status == store.StatusError:
			t.Errorf("%s (consented) failed: %v", r.DisplayName, r.Findings)
		}
	}
}

func slicesWithout(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
