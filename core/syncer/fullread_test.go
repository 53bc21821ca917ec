package syncer_test

import (
	"fmt"
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
	t.Parallel()
	// 1,500 users are listed by first UPN character; 6,000 have their
	// larger prefixes split by the second.
	for _, size := range []int{1500, 6000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { largeTenantFullRead(t, size) })
	}
}

func largeTenantFullRead(t *testing.T, size int) {
	f := newFixture(t, m365sim.Options{Seed: 71, Tenants: 1, TenantSizes: []int{size}, CleanTenants: true, DisableThrottling: true,
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

// Without Entra ID P1 a large tenant cannot be listed with sign-in
// activity: it is read through the delta round, every user still arrives,
// and the run says why sign-ins are missing.
func TestLargeTenantWithoutP1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 72, Tenants: 1, TenantSizes: []int{1500}, CleanTenants: true, DisableThrottling: true,
		TenantFlags: map[int]m365sim.TenantFlags{0: {NoEntraP1: true}}})
	tid := f.sim.Customers()[0].ID
	run := f.sync()
	want, err := f.sim.Control().Users(tid)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := f.store.View(f.ctx, func(tx *store.Tx) error {
		m, err := tx.Mirror(f.conn.ID, tid)
		if err != nil {
			return err
		}
		n = m.UserCount()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("mirror holds %d users, want %d", n, len(want))
	}
	if len(run.Tenants) != 1 || len(run.Tenants[0].Findings) == 0 {
		t.Fatalf("run %+v: want a finding about sign-in activity", run.Tenants)
	}
	found := false
	for _, fd := range run.Tenants[0].Findings {
		found = found || strings.Contains(fd.Message+fd.Fix, "P1")
	}
	if !found {
		t.Errorf("findings %+v: want one naming Entra ID P1", run.Tenants[0].Findings)
	}
}

// A user whose principal name starts with a character no UPN prefix
// covers is not lost: the listing by prefix sees it missing and the delta
// round reads the tenant.
func TestLargeTenantListingMissesNobody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 73, Tenants: 1, TenantSizes: []int{1500}, CleanTenants: true, DisableThrottling: true,
		TenantFlags: map[int]m365sim.TenantFlags{0: {}}})
	cu := f.sim.Customers()[0]
	ctl := f.sim.Control()
	users, err := ctl.Users(cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	domain := users[len(users)-1].UPN[strings.Index(users[len(users)-1].UPN, "@"):]
	odd, err := ctl.AddUser(cu.ID, m365sim.UserSpec{GivenName: "Odd", Surname: "Prefix", UPN: "+odd" + domain, Licenses: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	f.sync()
	want, err := ctl.Users(cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	if err := f.store.View(f.ctx, func(tx *store.Tx) error {
		m, err := tx.Mirror(f.conn.ID, cu.ID)
		if err != nil {
			return err
		}
		return m.ForEachUser(func(u *store.DirectoryUser) error { got[strings.ToLower(u.ObjectID)] = true; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || !got[strings.ToLower(odd.ID)] {
		t.Errorf("mirror holds %d users (the +odd user: %v), want %d with it", len(got), got[strings.ToLower(odd.ID)], len(want))
	}
}
