package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: a failed write leaves the target and its folder as they were;
// a good one replaces the target with the mode asked for.
func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk went away")
	err := Write(path, 0o644, ".out-", func(f *os.File) error {
		f.WriteString("half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed write left %q, want the old file", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed write left %d files, want only the target", len(entries))
	}
	if err := Write(path, 0o640, ".out-", func(f *os.File) error { _, err := f.WriteString("new"); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if b, _ := os.ReadFile(path); err != nil || string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Errorf("after a good write: %q, mode %v (%v); want new, 0640", b, fi.Mode().Perm(), err)
	}
}
