package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/store"
)

// TestDemoWhileDemoDatabaseInUse holds the demo database open, as an import
// on DIR/demo or a second demo does, and runs the demo: it must refuse,
// leaving the holder's file and data as they were.
func TestDemoWhileDemoDatabaseInUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(demo.Dir(dir), store.DBFile)
	held, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ctx := context.Background()
	if err := held.Update(ctx, func(tx *store.Tx) error {
		return tx.PutOrg(&store.Organization{Name: "Imported while the demo ran", Source: store.SourceImported})
	}); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	code, _, stderr := run(t, dir, "demo", "--tenants", "2")
	if code != ExitRuntime || !strings.Contains(stderr, "already") {
		t.Errorf("demo while its database is in use = exit %d, stderr %q; want exit %d saying it is already in use", code, stderr, ExitRuntime)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the held demo database is gone: %v", err)
	}
	if !os.SameFile(before, after) {
		t.Errorf("the demo replaced %s while another store held it", path)
	}
	if info, err := held.Info(ctx); err != nil || info.Organizations != 1 {
		t.Errorf("held store after the demo: %+v, %v; want its 1 organization", info, err)
	}
}

// TestDemoRerun runs the demo twice: the second run replaces the first's
// database and leaves nothing else behind.
func TestDemoRerun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 2 {
		if code, _, errs := run(t, dir, "demo", "--tenants", "2"); code != ExitOK {
			t.Fatalf("demo run %d = exit %d: %s", i+1, code, errs)
		}
	}
	entries, err := os.ReadDir(demo.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != store.DBFile {
		t.Errorf("demo directory after two runs = %v, want only %s", names, store.DBFile)
	}
	s, err := store.Open(filepath.Join(demo.Dir(dir), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if info, err := s.Info(context.Background()); err != nil || info.Organizations == 0 {
		t.Errorf("demo database after a rerun: %+v, %v; want the demo's organizations", info, err)
	}
}
