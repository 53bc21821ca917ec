package connections_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/connections"
)

// TestReadmePermissionTable keeps the README's permission table equal to
// the one list the app, setup and the simulator use.
func TestReadmePermissionTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- permissions:start -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- permissions:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no permissions:start/end block")
	}
	if want := connections.PermissionsMarkdown(); table != want {
		t.Errorf("README permission table differs from permissions.Required; replace the block with:\n%s", want)
	}
}
