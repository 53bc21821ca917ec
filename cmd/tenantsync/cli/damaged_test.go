package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// TestDamagedDatabaseExitsThree: a file that is not a tenantsync database
// is named as damaged, with exit code 3, and left as it was.
func TestDamagedDatabaseExitsThree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, store.DBFile)
	junk := []byte(strings.Repeat("this is not a database ", 400))
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"export", "contacts"}} {
		code, _, errs := run(t, dir, args...)
		if code != ExitDamaged || !strings.Contains(errs, "damaged") {
			t.Errorf("%v on a damaged database = %d, %q; want 3 naming the damage", args, code, errs)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, junk) {
		t.Error("the damaged file was changed")
	}
}
