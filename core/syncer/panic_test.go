package syncer_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// panicking panics on a request about one tenant, in the goroutine that
// syncs it, as a bug in reading that tenant's data would.
type panicking struct {
	next   http.RoundTripper
	tenant string
}

func (p *panicking) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.tenant != "" && strings.Contains(strings.ToLower(r.URL.Path), p.tenant) {
		panic("boom on " + p.tenant)
	}
	return p.next.RoundTrip(r)
}

// TestPanicFailsOnlyItsTenant: a panic while syncing one tenant fails that
// tenant with an internal-error finding; the others sync and the program
// goes on.
func TestPanicFailsOnlyItsTenant(t *testing.T) {
	t.Parallel()
	p := &panicking{}
	f := newFixture(t, m365sim.Options{Seed: 9, Tenants: 4, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true},
		func(next http.RoundTripper) http.RoundTripper { p.next = next; return p })
	bad := strings.ToLower(f.sim.Customers()[1].ID)
	p.tenant = bad // after the sign-in
	ctx, s, mgr, conn := f.ctx, f.store, f.mgr, f.conn
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
