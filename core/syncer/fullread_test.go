package syncer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// A tenant larger than one users page has its sign-in listing split by UPN
// prefix: every user must still arrive with the sign-in activity the sim
// holds, and the next sync must be a delta.
func TestLargeTenantFullReadKeepsEverySignIn(t *testing.T) {
	f := newFixture(t, m365sim.Options{Seed: 71, Tenants: 1, TenantSizes: []int{1500}, CleanTenants: true, DisableThrottling: true,
		TenantFlags: map[int]m365sim.TenantFlags{0: {}}}) // Entra ID P1, a healthy relationship
	tid := f.sim.Customers()[0].ID
	run := f.sync()
	if run.Status != store.StatusOK {
		t.Fatalf("first sync: %s %+v", run.Status, run.Tenants)
	}
	t.Logf("first sync: %d requests", run.Totals.Requests)
	want, err := f.sim.Control().Users(tid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.DirectoryUser{}
	if err := f.store.View(f.ctx, func(tx *store.Tx) error {
		m, err := tx.Mirror(f.conn.ID, tid)
		if err != nil {
			return err
		}
		return m.ForEachUser(func(u *store.DirectoryUser) error { got[strings.ToLower(u.ObjectID)] = *u; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("mirror holds %d users, want %d", len(got), len(want))
	}
	at := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return p.UTC()
	}
	for _, w := range want {
		g, ok := got[strings.ToLower(w.ID)]
		if !ok {
			t.Errorf("user %s missing", w.UPN)
			continue
		}
		var last time.Time
		if w.SignIn != nil {
			last = at(w.SignIn.LastSignIn)
		}
		if !g.LastSignIn.Equal(last) {
			t.Errorf("user %s last sign-in %v, want %v", w.UPN, g.LastSignIn, last)
		}
	}
	run = f.sync()
	if run.Totals.Requests > 3 {
		t.Errorf("second sync made %d requests, want a delta (customers, relationships, one $batch)", run.Totals.Requests)
	}
}
