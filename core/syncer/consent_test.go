package syncer_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// TestSyncConsentsNewCustomers: customers that do not hold tenantsync yet
// (a new GDAP customer, or one whose grants were removed) are consented
// through Partner Center by the sync itself and synced in the same run.
func TestSyncConsentsNewCustomers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 61, Tenants: 5, UsersPerTenant: 8, Unconsented: 2, CleanTenants: true,
		DisableThrottling: true, ReplicationDelay: 200 * time.Millisecond, TenantFlags: map[int]m365sim.TenantFlags{0: {NoGrants: true}}})
	setAuto := func(on bool) {
		s := f.conn.Settings
		s.NoAutoConsent = !on
		if err := f.engine.SaveSettings(f.ctx, f.conn.ID, s, 0); err != nil {
			t.Fatal(err)
		}
	}
	// Turned off, the sync reports each such customer with the fix, and
	// syncs the others.
	setAuto(false)
	run := f.sync()
	failed := 0
	for _, r := range run.Tenants {
		if r.Status != store.StatusError {
			continue
		}
		failed++
		if len(r.Findings) == 0 || (r.Findings[0].Code != auth.CodeAppNotPermitted && r.Findings[0].Code != auth.CodeConsentMissing) ||
			!strings.Contains(r.Findings[0].Fix, "tenantsync consent") {
			t.Errorf("%s without consent: %+v", r.DisplayName, r.Findings)
		}
	}
	if failed != 3 || run.Status != store.StatusWarning || len(run.Tenants) != 5 {
		t.Errorf("auto-consent off: %d failed, run %s, %d tenants; want 3 failed, warning, 5", failed, run.Status, len(run.Tenants))
	}

	setAuto(true)
	run = f.sync()
	consented := 0
	for _, l := range run.Log {
		if strings.Contains(l.Message, "through Partner Center") {
			consented++
		}
	}
	if consented != 3 {
		t.Errorf("consent log lines = %d, want 3 (2 without the app, 1 without grants):\n%v", consented, run.Log)
	}
	for _, r := range run.Tenants {
		if r.Status == store.StatusError {
			t.Errorf("%s: %s %v", r.DisplayName, r.Status, r.Findings)
		}
	}
	if need, err := f.mgr.NeedsConsent(f.ctx, f.conn.ID); err != nil || len(need) != 0 {
		t.Errorf("NeedsConsent after the run = %v, %v; want none", need, err)
	}
	// The good runs took the daily backup, once.
	if list, err := store.Backups(f.store.Path()); err != nil || len(list) != 1 {
		t.Errorf("backups after two good runs = %d, %v; want one daily backup", len(list), err)
	}
}

// TestSecretLifecycle: the secret's end date is read, warned about 30 and
// 7 days ahead (log and one notification per threshold), renewed through
// the administrator's sign-in, and the old secret removed after the next
// good sync.
func TestSecretLifecycle(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	clock := time.Now().UTC()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	// Only the engine's clock moves: MSAL keeps real time, so the
	// simulator (which checks token lifetimes) must too.
	f := newFixture(t, m365sim.Options{Seed: 62, Tenants: 2, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true, ReplicationDelay: 200 * time.Millisecond})
	var notes []string
	f.engine = syncer.New(f.store, f.mgr, syncer.Options{Now: now, Notify: func(title, body string) {
		if strings.Contains(title, "secret") {
			notes = append(notes, body)
		}
	}})

	f.sync()
	c, _ := f.mgr.Connection(f.ctx, f.conn.ID)
	if c.SecretExpires.IsZero() || c.SecretExpires.Sub(now()) < 700*24*time.Hour {
		t.Fatalf("secret end date = %v; want about two years ahead", c.SecretExpires)
	}
	// 20 days before the end: a warning, one notification.
	advance(c.SecretExpires.Sub(now()) - 20*24*time.Hour)
	run := f.sync()
	if !logHas(run, "expires on") || len(notes) != 1 {
		t.Errorf("20 days left: log %v, notifications %v; want a warning and one notification", run.Log, notes)
	}
	f.sync()
	if len(notes) != 1 {
		t.Errorf("second run at the same threshold notified again: %v", notes)
	}
	advance(15 * 24 * time.Hour)
	if f.sync(); len(notes) != 2 || !strings.Contains(notes[1], "day(s)") {
		t.Errorf("5 days left: notifications %v; want a second, urgent one", notes)
	}

	before := f.sim.Control().Registrations()[0].Secrets
	if err := f.mgr.RenewSecret(f.ctx, f.conn.ID, nil); err != nil {
		t.Fatalf("RenewSecret: %v", err)
	}
	if got := f.sim.Control().Registrations()[0].Secrets; got != before+1 {
		t.Errorf("secrets after renewal = %d, want %d (old kept until a good sync)", got, before+1)
	}
	c, _ = f.mgr.Connection(f.ctx, f.conn.ID)
	if level, _ := connections.SecretWarning(c, time.Now()); level != connections.SecretOK || c.RetiringSecretKeyID == "" {
		t.Errorf("after renewal: level %d, retiring %q", level, c.RetiringSecretKeyID)
	}
	run = f.sync()
	if run.Status != store.StatusOK || !logHas(run, "removed the old client secret") {
		t.Fatalf("sync with the new secret: %s %v", run.Status, run.Log)
	}
	if got := f.sim.Control().Registrations()[0].Secrets; got != before {
		t.Errorf("secrets after the good sync = %d, want %d", got, before)
	}
}

func logHas(run store.SyncRun, s string) bool {
	for _, l := range run.Log {
		if strings.Contains(l.Message, s) {
			return true
		}
	}
	return false
}
