package syncer_test

import (
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// switchable fails every request while off, as a lost network does.
type switchable struct {
	next http.RoundTripper
	off  atomic.Bool
}

func (s *switchable) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.off.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return s.next.RoundTrip(r)
}

// TestFailedRunsBackOff: a run that fails is tried again after 1 minute,
// then 2, then 4, doubling up to the schedule; a good run resets the
// back-off and the next sync is a schedule after it.
func TestFailedRunsBackOff(t *testing.T) {
	t.Parallel()
	net := &switchable{}
	f := newFixture(t, m365sim.Options{Seed: 3, Tenants: 2, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true},
		func(next http.RoundTripper) http.RoundTripper { net.next = next; return net })
	ctx, s, mgr, conn := f.ctx, f.store, f.mgr, f.conn
	eng := syncer.New(s, mgr, syncer.Options{})
	if err := eng.SetSchedule(ctx, conn.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	sync := func() error { _, err := eng.Sync(ctx, conn.ID, store.TriggerSchedule, false); return err }
	if err := sync(); err != nil {
		t.Fatal(err)
	}
	net.off.Store(true)
	for failures, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if err := sync(); err == nil {
			t.Fatalf("run %d without a network succeeded", failures+1)
		}
		c, err := mgr.Connection(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Failures != failures+1 || !c.NextSync.Equal(c.LastAttempt.Add(wait)) {
			t.Errorf("after %d failed run(s): failures %d, next sync %s after the attempt; want %d and %s",
				failures+1, c.Failures, c.NextSync.Sub(c.LastAttempt), failures+1, wait)
		}
	}
	net.off.Store(false)
	if err := sync(); err != nil {
		t.Fatal(err)
	}
	c, err := mgr.Connection(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Failures != 0 || !c.NextSync.Equal(c.LastSync.Add(time.Hour)) {
		t.Errorf("after a good run: failures %d, next sync %s after it; want 0 and 1h", c.Failures, c.NextSync.Sub(c.LastSync))
	}
}
