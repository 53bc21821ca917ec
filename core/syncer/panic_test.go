package syncer_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// panicking panics on a request about one tenant, in the goroutine that
// syncs it, as a bug in reading that tenant's data would.
type panicking struct {
	next   http.RoundTripper
	tenant string
}

func (p panicking) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(strings.ToLower(r.URL.Path), p.tenant) {
		panic("boom on " + p.tenant)
	}
	return p.next.RoundTrip(r)
}

// TestPanicFailsOnlyItsTenant: a panic while syncing one tenant fails that
// tenant with an internal-error finding; the others sync and the program
// goes on.
func TestPanicFailsOnlyItsTenant(t *testing.T) {
	secrets.MockInit()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := m365sim.Start(ctx, m365sim.Options{Seed: 9, Tenants: 4, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	bad := strings.ToLower(sim.Customers()[1].ID)
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := demo.Network(ctx, sim)
	n.Transport = panicking{next: n.Transport, tenant: bad}
	n.HTTP = &http.Client{Transport: n.Transport}
	kc := secrets.NewKeychain("tenantsync-test")
	mgr := connections.NewManager(s, kc, secrets.NewVault(kc, s), n)
	info := sim.Info()
	conn, err := mgr.Create(ctx, connections.Form{Name: "Partner", Mode: store.ModeGDAP, TenantID: info.PartnerTenantID,
		ClientID: info.ClientID, Secret: info.ClientSecret, RedirectPort: freePort(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.SignIn(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	// Sequential: the tenant's first request, which fetches its token, is
	// made by the tenant's own goroutine.
	run, err := syncer.New(s, mgr, syncer.Options{Sequential: true}).Sync(ctx, conn.ID, store.TriggerManual, false)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	var failed, ok int
	for _, r := range run.Tenants {
		switch {
		case strings.EqualFold(r.TenantID, bad):
			if r.Status != store.StatusError || len(r.Findings) == 0 || !strings.Contains(r.Findings[0].Message, "internal error (boom") {
				t.Errorf("the panicking tenant = %s %+v; want an error with an internal-error finding", r.Status, r.Findings)
			}
			failed++
		case r.Status == store.StatusOK || r.Status == store.StatusWarning:
			ok++
		}
	}
	if failed != 1 || ok != 3 {
		t.Errorf("%d tenants failed and %d synced; want the panicking one failed and the 3 others synced", failed, ok)
	}
}
