package syncer_test

import (
	"testing"

	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// A tenant without Entra ID P1 keeps saying so after the syncs that do not
// ask for sign-in activity (a delta): its users' last sign-ins stay unknown
// for that reason, not "never", and the finding found before does not make
// every later run a warning.
func TestNoP1FindingOutlivesDeltaSyncs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 74, Tenants: 1, TenantSizes: []int{20}, CleanTenants: true, DisableThrottling: true,
		TenantFlags: map[int]m365sim.TenantFlags{0: {NoEntraP1: true}}})
	tid := f.sim.Customers()[0].ID
	hasNoP1 := func(fs []store.Finding) bool {
		for _, fd := range fs {
			if fd.Code == graph.CodeNoP1 {
				return true
			}
		}
		return false
	}
	tenantFindings := func() []store.Finding {
		var tn store.Tenant
		if err := f.store.View(f.ctx, func(tx *store.Tx) (err error) {
			tn, err = tx.Tenant(f.conn.ID, tid)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return tn.Findings
	}
	first := f.sync()
	if len(first.Tenants) != 1 || !hasNoP1(first.Tenants[0].Findings) || !hasNoP1(tenantFindings()) {
		t.Fatalf("first sync: run findings %+v, want the no-P1 finding", first.Tenants)
	}
	for i := 2; i <= 3; i++ {
		run := f.sync()
		if !hasNoP1(tenantFindings()) {
			t.Errorf("sync %d dropped the tenant's no-P1 finding: %+v", i, tenantFindings())
		}
		if len(run.Tenants) == 1 && run.Tenants[0].Status != store.StatusOK {
			t.Errorf("sync %d: tenant status %s, want ok (nothing new: the finding is carried)", i, run.Tenants[0].Status)
		}
	}
}
