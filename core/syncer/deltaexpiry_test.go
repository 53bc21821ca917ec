package syncer_test

import (
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// TestExpiredDeltaLinkReadsAllUsers: when Microsoft no longer accepts a
// tenant's saved delta link (410 Gone inside the $batch of a later sync),
// the sync reads all of the tenant's users instead and succeeds; nothing
// fails with an empty message.
func TestExpiredDeltaLinkReadsAllUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 21, Tenants: 2, UsersPerTenant: 8, CleanTenants: true, DisableThrottling: true})
	f.sync()
	f.sync() // the second sync reads the delta in a $batch
	tenant := f.sim.Customers()[0]
	if err := f.sim.Control().ExpireDeltaTokens(tenant.ID); err != nil {
		t.Fatal(err)
	}
	run := f.sync()
	for _, r := range run.Tenants {
		if r.Status == store.StatusError {
			t.Errorf("tenant %s failed after its delta link expired: %+v", r.DisplayName, r.Findings)
		}
	}
	var said bool
	for _, l := range run.Log {
		said = said || strings.Contains(l.Message, "delta link expired; reading all users")
	}
	if !said {
		t.Error("the run log does not say the delta link expired")
	}
	if got := f.tenant(tenant.ID); len(got.Findings) > 0 {
		t.Errorf("tenant findings after the full read: %+v", got.Findings)
	}
}
