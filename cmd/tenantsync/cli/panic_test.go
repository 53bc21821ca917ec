package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPanicExitsOneWithMessage: a bug is exit 1 and a sentence, with the
// stack in the log, never exit 2 and a bare trace.
// Not parallel: it sets the package's testCommands.
func TestPanicExitsOneWithMessage(t *testing.T) {
	t.Cleanup(func() { testCommands = nil })
	testCommands = []command{
		{"panic-after-log", "", 0, func(_ context.Context, env *Env, _ []string) int {
			_, _, closeAll, err := openStore(env, "")
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			panic("boom after log")
		}},
		{"panic-before-log", "", 0, func(context.Context, *Env, []string) int { panic("boom before log") }},
	}
	dir := t.TempDir()
	code, _, stderr := run(t, dir, "panic-after-log")
	if code != ExitRuntime || !strings.Contains(stderr, "tenantsync: internal error: boom after log; details in "+filepath.Join(dir, LogFile)) {
		t.Errorf("panic after opening the log = exit %d, %q", code, stderr)
	}
	if log, err := os.ReadFile(filepath.Join(dir, LogFile)); err != nil || !strings.Contains(string(log), "boom after log") || !strings.Contains(string(log), "goroutine") {
		t.Errorf("log lacks the panic and its stack (%v):\n%s", err, log)
	}
	code, _, stderr = run(t, t.TempDir(), "panic-before-log")
	if code != ExitRuntime || !strings.Contains(stderr, "tenantsync: internal error: boom before log") || !strings.Contains(stderr, "goroutine") {
		t.Errorf("panic before opening the log = exit %d, %q; want 1, the message and the stack", code, stderr)
	}
}
