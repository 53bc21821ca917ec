package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCtx is run with a context, as main passes one cancelled by Ctrl-C.
func runCtx(t *testing.T, ctx context.Context, dataDir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == DataDirEnv {
			return dataDir
		}
		return ""
	}}
	code := Run(ctx, env, args)
	return code, out.String(), errb.String()
}

func TestImportCancelledSaysNothingImported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv := writeContactsCSV(t, 20, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before the transaction commits
	code, stdout, stderr := runCtx(t, ctx, dir, "import", csv)
	if code != ExitRuntime || !strings.Contains(stderr, "import cancelled: nothing was imported") {
		t.Errorf("cancelled import = exit %d, stdout %q, stderr %q; want exit %d and \"import cancelled: nothing was imported\"",
			code, stdout, stderr, ExitRuntime)
	}
	requireNothingCreated(t, dir, "a cancelled import")
}

func TestExportKeepsExistingFileMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "import", writeContactsCSV(t, 3, 0)); code != ExitOK {
		t.Fatalf("import = %d: %s", code, errs)
	}
	out := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(out, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if code, _, errs := run(t, dir, "export", "-o", out, "contacts"); code != ExitOK {
		t.Fatalf("export = %d: %s", code, errs)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o644 {
		t.Errorf("export over a 0644 file left mode %#o, want 0644", got)
	}

	fresh := filepath.Join(filepath.Dir(out), "new.csv")
	if code, _, errs := run(t, dir, "export", "-o", fresh, "contacts"); code != ExitOK {
		t.Fatalf("export = %d: %s", code, errs)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export to a new file: mode %v (err %v), want 0600: it holds contact data", fi.Mode(), err)
	}
}

func TestExportRemovesLeftoverTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "import", writeContactsCSV(t, 3, 0)); code != ExitOK {
		t.Fatalf("import = %d: %s", code, errs)
	}
	outDir := t.TempDir()
	out := filepath.Join(outDir, "contacts.csv")
	// What an export killed with -9 leaves behind, and a file of the
	// technician's that only looks similar.
	leftover := filepath.Join(outDir, ".contacts.csv.tenantsync-export-123456")
	other := filepath.Join(outDir, ".contacts.csv.notes")
	for _, p := range []string{leftover, other} {
		if err := os.WriteFile(p, []byte("Organization,First Name\nAcme,Ann\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs := run(t, dir, "export", "-o", out, "contacts"); code != ExitOK {
		t.Fatalf("export = %d: %s", code, errs)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temp file of a killed export still there after the next export (stat: %v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("export removed a file it did not write: %v", err)
	}
	entries, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 {
		t.Errorf("files next to the export = %v, want contacts.csv and .contacts.csv.notes", names)
	}
}
