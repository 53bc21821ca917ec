package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/store"
)

// run runs the CLI with a data directory and returns exit code, stdout, stderr.
func run(t *testing.T, dataDir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == DataDirEnv {
			return dataDir
		}
		return ""
	}}
	code := Run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func writeContactsCSV(t *testing.T, n, bad int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Organization,First Name,Last Name,Email\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("person%d@org%d.example", i, i%25)
		if i == bad {
			email = "not an address"
		}
		fmt.Fprintf(&b, "Org %d,Person,Number%d,%s\n", i%25, i, email)
	}
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// requireNothingCreated fails unless the data directory dir is empty: what
// wrote nothing must not create a database or a log either.
func requireNothingCreated(t *testing.T, dir, what string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s created %s in the data directory", what, e.Name())
	}
}

// TestImportChecksEveryFileFirst: when one of several files is invalid,
// nothing is imported from any of them, and a dry run against an existing
// database counts what is already there without writing.
func TestImportChecksEveryFileFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := writeContactsCSV(t, 50, 0), writeContactsCSV(t, 20, 7)
	code, stdout, stderr := run(t, dir, "import", good, bad)
	if code != ExitRuntime || !strings.Contains(stderr, "nothing was imported") || stdout != "" {
		t.Errorf("import GOOD BAD = exit %d, stdout %q, stderr %q; want exit 1, nothing imported", code, stdout, stderr)
	}
	requireNothingCreated(t, dir, "an import with an invalid file")
	if code, _, errs := run(t, dir, "import", good); code != ExitOK {
		t.Fatalf("import GOOD = exit %d: %s", code, errs)
	}
	code, stdout, _ = run(t, dir, "import", "--dry-run", good)
	if code != ExitOK || !strings.Contains(stdout, "Would import 0 contact(s)") || !strings.Contains(stdout, "50 already present") {
		t.Errorf("dry run of an imported file = exit %d, %q; want 0 to import, 50 already present", code, stdout)
	}
	if _, status, _ := run(t, dir, "status"); !strings.Contains(status, "Contacts:        50\n") {
		t.Errorf("status after import and dry run:\n%s", status)
	}
}

func TestImportBadRowWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvPath := writeContactsCSV(t, 1000, 321)

	code, _, stderr := run(t, dir, "import", csvPath)
	if code == ExitOK {
		t.Fatalf("import with a bad row exited 0")
	}
	if !strings.Contains(stderr, `contacts.csv:322: "not an address" is not an e-mail address`) {
		t.Errorf("stderr does not name the bad row:\n%s", stderr)
	}
	requireNothingCreated(t, dir, "a refused import")

	code, stdout, _ := run(t, dir, "import", "--skip-invalid", csvPath)
	if code != ExitOK || !strings.Contains(stdout, "Imported 999 contact(s) and 25 organization(s); 1 invalid row(s) skipped") {
		t.Errorf("import --skip-invalid (exit %d):\n%s", code, stdout)
	}
	if _, stdout, _ = run(t, dir, "status"); !strings.Contains(stdout, "Contacts:        999\n") {
		t.Errorf("status after --skip-invalid:\n%s", stdout)
	}
}

func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "import", writeContactsCSV(t, 40, 0)); code != ExitOK {
		t.Fatalf("import: %s", stderr)
	}
	out := filepath.Join(t.TempDir(), "all.json")
	if code, _, stderr := run(t, dir, "export", "--format", "json", "-o", out, "all"); code != ExitOK {
		t.Fatalf("export: %s", stderr)
	}
	other := t.TempDir()
	code, stdout, stderr := run(t, other, "import", out)
	if code != ExitOK || !strings.Contains(stdout, "Imported 40 contact(s) and 25 organization(s)") {
		t.Errorf("re-import (exit %d): %s %s", code, stdout, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := [][]string{
		{"frobnicate"},
		{"import"},
		{"export"},
		{"export", "--format", "xml", "contacts"},
		{"status", "--no-such-flag"},
	}
	for _, args := range tests {
		if code, _, _ := run(t, dir, args...); code != ExitUsage {
			t.Errorf("tenantsync %s = exit %d, want %d", strings.Join(args, " "), code, ExitUsage)
		}
	}
	if code, stdout, _ := run(t, dir, "help"); code != ExitOK || !strings.Contains(stdout, "import") {
		t.Errorf("help = %d:\n%s", code, stdout)
	}
}

// holderEnv makes the test binary a helper process that holds the database
// open until its stdin closes.
const holderEnv = "TENANTSYNC_TEST_HOLD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(holderEnv); path != "" {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("holding")
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSecondInstanceSaysAlreadyRunning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	holder := exec.Command(os.Args[0], "-test.run=^$")
	holder.Env = append(os.Environ(), holderEnv+"="+filepath.Join(dir, store.DBFile))
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var ready bytes.Buffer
	pr, pw, _ := os.Pipe()
	holder.Stdout = pw
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { stdin.Close(); holder.Wait() })
	line := make([]byte, 64)
	n, _ := pr.Read(line) // blocks until the holder has the database open
	ready.Write(line[:n])
	if !strings.HasPrefix(ready.String(), "holding") {
		t.Fatalf("holder did not open the database: %q", ready.String())
	}

	start := time.Now()
	code, _, stderr := run(t, dir, "status")
	took := time.Since(start)
	if code != ExitRuntime || !strings.Contains(stderr, "tenantsync is already running with this data directory") {
		t.Errorf("status while held = exit %d, %q", code, stderr)
	}
	t.Logf("answered in %v", took) // the bound is bbolt's one-second lock timeout; no wall-clock assertion
}
