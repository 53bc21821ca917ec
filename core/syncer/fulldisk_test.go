//go:build linux

package syncer_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

func limitFileSize(bytes string) error {
	n, err := strconv.ParseUint(bytes, 10, 64)
	if err != nil {
		return err
	}
	return syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
}

// TestFullDiskStopsTheRun syncs, in a child process that may not grow the
// database, eight tenants: the first tenant that cannot be saved stops the
// run, which fails naming the local cause, never "Cannot reach Microsoft";
// no tenant is counted as saved that was not, and the database opens.
func TestFullDiskStopsTheRun(t *testing.T) {
	t.Parallel()
	sim, dbPath, conn := childFixture(t, m365sim.Options{Seed: 5, Tenants: 8, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true})
	ctx := context.Background()
	child := func(limit int64) ([]byte, int) {
		var env []string
		if limit > 0 {
			env = append(env, fileSizeEnv+"="+strconv.FormatInt(limit, 10))
		}
		cmd := syncChild(sim, dbPath, conn, env...)
		out, _ := cmd.CombinedOutput()
		return out, cmd.ProcessState.ExitCode()
	}
	// A first sync with room to spare; then every tenant hires so many that
	// the next sync must grow the file, which it may not.
	if out, code := child(0); code != 0 {
		t.Fatalf("first sync = exit %d:\n%s", code, out)
	}
	for _, cu := range sim.Customers() {
		for i := range 200 {
			if _, err := sim.Control().AddUser(cu.ID, m365sim.UserSpec{GivenName: "New", Surname: fmt.Sprintf("Hire%d", i), Licenses: []string{cu.SKUs[0]}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fi, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	// bbolt doubles the file as it grows: room for half of it again lets a
	// few tenants commit before the next step fails.
	limit := fi.Size() + fi.Size()/2
	out, code := child(limit)
	if fi2, err := os.Stat(dbPath); err == nil {
		t.Logf("file %d before, %d after, limit %d", fi.Size(), fi2.Size(), limit)
	}
	if code != 1 || !strings.Contains(string(out), "error:") {
		t.Errorf("child on a full disk = exit %d, output:\n%s\nwant exit 1 with the error", code, out)
	}
	if strings.Contains(string(out), "panic") {
		t.Fatalf("child panicked:\n%s", out)
	}

	s, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("the database does not open after the full disk: %v", err)
	}
	defer s.Close()
	var runs []store.SyncRun
	err = s.View(ctx, func(tx *store.Tx) (err error) { runs, err = tx.Runs(conn.ID, 1); return err })
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	run := runs[0]
	var logText strings.Builder
	for _, l := range run.Log {
		logText.WriteString(l.Message + "\n")
	}
	t.Logf("child output:\n%s", out)
	t.Logf("run %s with %d of %d tenant results; log:\n%s", run.Status, len(run.Tenants), len(sim.Customers()), logText.String())
	if run.Status != store.StatusError {
		t.Errorf("run status = %q, want %q", run.Status, store.StatusError)
	}
	if !strings.Contains(logText.String(), "file too large") || !strings.Contains(logText.String(), "stopped the sync") {
		t.Errorf("the run log does not name the local cause and the stop")
	}
	if strings.Contains(logText.String(), "Cannot reach Microsoft") {
		t.Errorf("a local I/O error was reported as a network problem")
	}
	saved := map[string]bool{}
	err = s.View(ctx, func(tx *store.Tx) error {
		tns, err := tx.Tenants(conn.ID)
		for _, tn := range tns {
			if m, err := tx.Mirror(conn.ID, tn.TenantID); err == nil && m.UserCount() > 0 {
				saved[tn.TenantID] = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ok, localIO := 0, 0
	for _, r := range run.Tenants {
		if r.Status == store.StatusOK || r.Status == store.StatusWarning {
			ok++
			if !saved[r.TenantID] {
				t.Errorf("tenant %s reported %s but nothing of it was saved", r.DisplayName, r.Status)
			}
		}
		if r.Counts.Created > 0 && !saved[r.TenantID] {
			t.Errorf("tenant %s counted %d contacts created that the database does not hold", r.DisplayName, r.Counts.Created)
		}
		for _, f := range r.Findings {
			if f.Code == auth.CodeLocalIO {
				localIO++
			}
		}
	}
	if localIO == 0 {
		t.Error("no tenant carries the local I/O finding")
	}
	if ok+localIO >= len(sim.Customers()) {
		t.Errorf("%d tenants finished and %d failed locally of %d: the run did not stop", ok, localIO, len(sim.Customers()))
	}
}
