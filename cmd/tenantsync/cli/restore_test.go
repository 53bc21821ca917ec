package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// TestRestoreAfterDamage: yesterday's backup brings the data back after
// today's database was damaged; the damaged file is kept aside.
func TestRestoreAfterDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) { return run(t, dir, args...) }
	csv := func(name string, orgs ...string) string {
		p := filepath.Join(t.TempDir(), name)
		var b strings.Builder
		b.WriteString("Organization,First Name,Last Name,Email\n")
		for i, o := range orgs {
			b.WriteString(o + ",Ann,Lee" + string(rune('a'+i)) + ",ann" + string(rune('a'+i)) + "@" + strings.ToLower(strings.ReplaceAll(o, " ", "")) + ".example.com\n")
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, out, errs := run("import", csv("day1.csv", "Alpha Ltd", "Beta Ltd", "Gamma Ltd")); code != ExitOK {
		t.Fatalf("import day 1 = %d\n%s\n%s", code, out, errs)
	}
	// Yesterday's daily backup (a good sync takes it; here directly).
	dbPath := filepath.Join(dir, store.DBFile)
	s, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if taken, err := s.BackupDaily(context.Background()); err != nil || !taken {
		t.Fatalf("BackupDaily = %v, %v", taken, err)
	}
	if taken, _ := s.BackupDaily(context.Background()); taken {
		t.Error("a second daily backup on the same day")
	}
	s.Close()
	if code, out, errs := run("import", csv("day2.csv", "Delta Ltd", "Epsilon Ltd")); code != ExitOK {
		t.Fatalf("import day 2 = %d\n%s\n%s", code, out, errs)
	}
	// Today's database is damaged: cut to half.
	data, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, data[:len(data)/2/4096*4096], 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("status"); code != ExitDamaged {
		t.Fatalf("status on the damaged database = %d, want 3: %s", code, errs)
	}
	code, out, errs := run("restore", "--list")
	if code != ExitOK || !strings.Contains(out, "-daily.db") {
		t.Fatalf("restore --list = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run("restore", "latest")
	if code != ExitOK || !strings.Contains(out, "Restored") || !strings.Contains(out, "kept as") {
		t.Fatalf("restore latest = %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = run("status")
	if code != ExitOK || !strings.Contains(out, "Organizations:   3\n") {
		t.Errorf("status after restore = %d\n%s; want yesterday's 3 organizations", code, out)
	}
	kept, _ := filepath.Glob(dbPath + ".replaced-*")
	if len(kept) != 1 {
		t.Errorf("the damaged database was not kept aside: %v", kept)
	}
	if code, _, _ := run("restore", "no-such-backup.db"); code != ExitUsage {
		t.Errorf("restore of an unknown backup = %d, want 2", code)
	}
}

// TestReadCommandsChangeNothing: status, logs and export read without
// writing: the database file stays byte for byte, and on a directory with
// no database nothing is created.
func TestReadCommandsChangeNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		code, out, errs := run(t, dir, args...)
		return code, out + errs
	}
	empty := filepath.Join(dir, "empty")
	if code, out := run("status", "--data-dir", empty); code != ExitOK || !strings.Contains(out, "No database yet") {
		t.Errorf("status on an empty directory = %d %q", code, out)
	}
	if _, err := os.Stat(empty); err == nil {
		t.Error("status created the data directory")
	}
	p := filepath.Join(t.TempDir(), "orgs.csv")
	os.WriteFile(p, []byte("Organization,First Name,Last Name,Email\nAlpha Ltd,Ann,Lee,ann@alpha.example.com\n"), 0o600)
	if code, out := run("import", p); code != ExitOK {
		t.Fatalf("import = %d %s", code, out)
	}
	dbPath := filepath.Join(dir, store.DBFile)
	before, _ := os.ReadFile(dbPath)
	for _, args := range [][]string{{"status"}, {"logs"}, {"export", "contacts"}} {
		if code, out := run(args...); code != ExitOK {
			t.Errorf("%v = %d %s", args, code, out)
		}
	}
	if after, _ := os.ReadFile(dbPath); !bytes.Equal(before, after) {
		t.Error("a read command changed the database file")
	}
}
