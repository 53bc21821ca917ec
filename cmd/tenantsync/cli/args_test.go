package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsAfterPositional: a flag after a file name is a flag, not a file.
func TestFlagsAfterPositional(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvPath := writeContactsCSV(t, 10, 0)
	code, stdout, stderr := run(t, dir, "import", csvPath, "--dry-run")
	if code != ExitOK {
		t.Fatalf("import FILE --dry-run = exit %d\n%s\n%s", code, stdout, stderr)
	}
	requireNothingCreated(t, dir, "import FILE --dry-run")
	// After --, everything is a file name.
	if code, _, stderr := run(t, dir, "import", "--dry-run", "--", "--skip-invalid"); code != ExitRuntime || !strings.Contains(stderr, "--skip-invalid") {
		t.Errorf("import --dry-run -- --skip-invalid = exit %d, %q; want the file --skip-invalid refused", code, stderr)
	}
}

// TestGlobalDataDirBeforeCommand: --data-dir before the command applies to it,
// and without a command opens the window on that directory.
func TestGlobalDataDirBeforeCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // never the technician's own data directory
	dir := filepath.Join(t.TempDir(), "data")
	noEnv := func(string) string { return "" }
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: noEnv}
	if code := Run(context.Background(), env, []string{"--data-dir", dir, "status"}); code != ExitOK || !strings.Contains(out.String(), "Data directory:  "+dir+"\n") {
		t.Fatalf("--data-dir DIR status = exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := Run(context.Background(), env, []string{"--data-dir=" + dir, "version"}); code != ExitOK || !strings.Contains(out.String(), "tenantsync ") {
		t.Errorf("--data-dir=DIR version = exit %d\n%s", code, errb.String())
	}

	for _, args := range [][]string{{"--data-dir", dir}, {}} {
		opened := ""
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
			if k == DataDirEnv {
				return dir
			}
			return ""
		}, OpenWindow: func(_ context.Context, d string, _ *slog.Logger) error { opened = d; return nil }}
		if code := Run(context.Background(), env, args); code != ExitOK || opened != dir {
			t.Errorf("tenantsync %s = exit %d, window opened on %q; want the window on %s", strings.Join(args, " "), code, opened, dir)
		}
	}
}

// TestExtraArgumentsAreUsageErrors: a command that takes no arguments refuses
// them before it touches the data directory.
func TestExtraArgumentsAreUsageErrors(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"status", "extra"},
		{"version", "extra"},
		{"sync", "extra"},
		{"connect", "--name", "x", "extra"},
		{"setup", "extra"},
		{"consent", "extra"},
		{"demo", "extra"},
		{"logs", "1", "2"},
		{"export", "all", "extra"},
		{"--data-dir", dir, "status", "extra"},
	} {
		code, _, stderr := run(t, dir, args...)
		if code != ExitUsage || !strings.Contains(stderr, "unexpected argument") {
			t.Errorf("tenantsync %s = exit %d, %q; want %d and the argument named", strings.Join(args, " "), code, stderr, ExitUsage)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("refused commands created the data directory: %v", err)
	}
}
