package connections_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/testkit"
	"github.com/tenantsync/tenantsync/store"
)

// BenchmarkReadLargeTenant streams every user of a 20,000-user tenant through
// the real SDK and reports how far the heap grew above where it started
// (target: under 100 MB). Users are handed on one at a time and dropped, as
// the sync's streaming read does before it commits.
func BenchmarkReadLargeTenant(b *testing.B) {
	sim := testkit.Sim(b, m365sim.Options{Seed: 51, Tenants: 1, TenantSizes: []int{20000}, CleanTenants: true, DisableThrottling: true})
	e := newEnv(b, sim)
	ctx := context.Background()
	f := e.gdapForm()
	f.Mode = store.ModeApp
	conn, err := e.mgr.Create(ctx, f)
	if err != nil {
		b.Fatal(err)
	}
	sess, err := e.mgr.Session(conn)
	if err != nil {
		b.Fatal(err)
	}
	tenant := sim.Customers()[0].ID
	var worst uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cl, err := e.mgr.GraphClient(conn, sess, tenant, nil)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapAlloc, ms.HeapAlloc
		n := 0
		err = cl.Users(ctx, false, func(u store.DirectoryUser) error {
			n++
			if n%500 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != 20000 {
			b.Fatalf("read %d users, want 20000", n)
		}
		worst = max(worst, peak-base)
	}
	b.ReportMetric(float64(worst)/(1<<20), "peak-heap-growth-MB")
}
