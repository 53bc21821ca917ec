package syncer_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// runEngine starts the engine's schedule loop and returns its events.
func runEngine(t *testing.T, f *fixture) <-chan syncer.Event {
	t.Helper()
	events, stop := f.engine.Subscribe()
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.engine.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; stop() })
	return events
}

// waitFor returns the first event that satisfies ok, failing after a deadline.
func waitFor(t *testing.T, events <-chan syncer.Event, what string, ok func(syncer.Event) bool) syncer.Event {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev := <-events:
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within a minute", what)
		}
	}
}

func finished(ev syncer.Event) bool { return ev.Kind == syncer.RunFinished }

// gate holds every request while shut, as a slow network would, so a test
// decides when a run may go on instead of guessing how long it lasts.
type gate struct {
	next http.RoundTripper
	mu   sync.Mutex
	shut chan struct{} // nil: open
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.mu.Lock()
	shut := g.shut
	g.mu.Unlock()
	if shut != nil {
		select {
		case <-shut:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

func (g *gate) close() { g.mu.Lock(); g.shut = make(chan struct{}); g.mu.Unlock() }
func (g *gate) open()  { g.mu.Lock(); close(g.shut); g.shut = nil; g.mu.Unlock() }

func TestRepeatedSyncNowCollapses(t *testing.T) {
	t.Parallel()
	g := &gate{}
	f := newFixture(t, m365sim.Options{Seed: 61, Tenants: 3, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true},
		func(next http.RoundTripper) http.RoundTripper { g.next = next; return g })
	events := runEngine(t, f)
	g.close() // the first run cannot finish before the clicks are in
	f.engine.SyncNow(f.ctx, f.conn.ID)
	waitFor(t, events, "the first run to start", func(ev syncer.Event) bool { return ev.Kind == syncer.RunStarted })
	for i := 0; i < 5; i++ {
		f.engine.SyncNow(f.ctx, f.conn.ID)
	}
	g.open()
	waitFor(t, events, "first run", finished)
	// Clicks during the first run queue exactly one more.
	waitFor(t, events, "second run", finished)
	f.engine.SyncNow(f.ctx, f.conn.ID)
	waitFor(t, events, "third run", finished)
	var runs []store.SyncRun
	_ = f.store.View(f.ctx, func(tx *store.Tx) error {
		var err error
		runs, err = tx.Runs(f.conn.ID, 0)
		return err
	})
	if len(runs) != 3 {
		t.Errorf("%d runs for 7 clicks (1, a burst of 5 during the run, 1 later), want 3 (each burst collapses behind the running sync)", len(runs))
	}
	for _, r := range runs {
		if r.Trigger != store.TriggerManual {
			t.Errorf("run %d trigger %q, want manual", r.ID, r.Trigger)
		}
	}
}

func TestPauseCancelsAndResumeRestores(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 62, Tenants: 40, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true, Latency: 50 * time.Millisecond})
	f.engine = syncer.New(f.store, f.mgr, syncer.Options{Tenants: 2})
	events := runEngine(t, f)
	f.engine.SyncNow(f.ctx, f.conn.ID)
	waitFor(t, events, "a tenant in progress", func(ev syncer.Event) bool { return ev.Kind == syncer.TenantDone })
	if err := f.engine.SetPaused(f.ctx, f.conn.ID, true); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, events, "the cancelled run", finished)
	if ev.Run.Status != "cancelled" || len(ev.Run.Tenants) >= 40 {
		t.Errorf("paused run: status %q with %d tenants, want cancelled part way", ev.Run.Status, len(ev.Run.Tenants))
	}
	conn, _ := f.mgr.Connection(f.ctx, f.conn.ID)
	if conn.Status != store.StatusPaused || !conn.NextSync.IsZero() {
		t.Errorf("after pause: status %q next %v, want paused with no next sync", conn.Status, conn.NextSync)
	}
	if err := f.engine.SetPaused(f.ctx, f.conn.ID, false); err != nil {
		t.Fatal(err)
	}
	conn, _ = f.mgr.Connection(f.ctx, f.conn.ID)
	if conn.Paused || conn.Status == store.StatusPaused {
		t.Errorf("after resume: paused %v status %q", conn.Paused, conn.Status)
	}
}

func TestCancelStopsARun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 63, Tenants: 30, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true, Latency: 50 * time.Millisecond})
	f.engine = syncer.New(f.store, f.mgr, syncer.Options{Tenants: 1})
	events := runEngine(t, f)
	f.engine.SyncNow(f.ctx, f.conn.ID)
	waitFor(t, events, "a tenant done", func(ev syncer.Event) bool { return ev.Kind == syncer.TenantDone })
	f.engine.Cancel(f.conn.ID)
	ev := waitFor(t, events, "the cancelled run", finished)
	if ev.Run.Status != "cancelled" {
		t.Errorf("run status %q, want cancelled", ev.Run.Status)
	}
	if f.engine.Running(f.conn.ID) {
		t.Error("engine still reports the connection running")
	}
	// Tenants committed before the cancel are kept.
	n := 0
	_ = f.store.View(f.ctx, func(tx *store.Tx) error {
		tns, _ := tx.Tenants(f.conn.ID)
		for _, tn := range tns {
			m, _ := tx.Mirror(f.conn.ID, tn.TenantID)
			if m.UserCount() > 0 {
				n++
			}
		}
		return nil
	})
	if n == 0 || n == 30 {
		t.Errorf("%d of 30 tenants saved after a cancel part way, want some but not all", n)
	}
}

func TestScheduleSyncsWhenDue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 64, Tenants: 2, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true})
	events := runEngine(t, f)
	// A tiny interval stands in for the hourly default: the loop must start
	// the next run by itself when it is due.
	if err := f.engine.SetSchedule(f.ctx, f.conn.ID, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	first := waitFor(t, events, "the first scheduled run", finished)
	second := waitFor(t, events, "the second scheduled run", finished)
	if first.Run.Trigger != store.TriggerSchedule || second.Run.Trigger != store.TriggerSchedule {
		t.Errorf("triggers %q, %q; want schedule", first.Run.Trigger, second.Run.Trigger)
	}
	if err := f.engine.SetSchedule(f.ctx, f.conn.ID, 0); err != nil {
		t.Fatal(err)
	}
	conn, _ := f.mgr.Connection(f.ctx, f.conn.ID)
	if !conn.NextSync.IsZero() {
		t.Errorf("manual-only connection has a next sync at %v", conn.NextSync)
	}
}
