package connections

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBrowserCommands(t *testing.T) {
	t.Parallel()
	const u = "https://login.example.test/authorize?a=1&b=%20"
	sep := string(os.PathListSeparator)
	tests := []struct {
		list string
		want [][]string
	}{
		{"", nil},
		{"  ", nil},
		{"firefox", [][]string{{"firefox", u}}},
		{"firefox --new-window", [][]string{{"firefox", "--new-window", u}}},
		{"chromium --app=%s", [][]string{{"chromium", "--app=" + u}}},
		{"w3m %s -o 100%%", [][]string{{"w3m", u, "-o", "100%"}}},
		{"echo %%s", [][]string{{"echo", "%s", u}}},
		{"/no/such" + sep + sep + "lynx %s" + sep + "links", [][]string{{"/no/such", u}, {"lynx", u}, {"links", u}}},
	}
	for _, tt := range tests {
		if got := browserCommands(tt.list, u); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("browserCommands(%q) = %q, want %q", tt.list, got, tt.want)
		}
	}
}

// fakeBrowser writes a script that plays the browser: it writes its
// arguments, one line, into a FIFO the test reads with a deadline.
func fakeBrowser(t *testing.T) (script string, args func() string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake browser is a shell script")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "opened")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	// Read-write, so opening does not wait for the script and the script's
	// open does not wait for us.
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	script = filepath.Join(dir, "fake browser")
	body := "#!/bin/sh\nprintf '%s\\n' \"$*\" > '" + fifo + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	// The path has a space on purpose (commands split on spaces), so the
	// tests put the script on PATH under a plain name instead.
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(script, filepath.Join(bin, "fakebrowser")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	lines := bufio.NewReader(r)
	return "fakebrowser", func() string {
		t.Helper()
		if err := r.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("the browser was not opened: %v", err)
		}
		return strings.TrimSuffix(line, "\n")
	}
}

func TestOpenBrowserUsesBROWSER(t *testing.T) {
	const u = "http://localhost:53100/?code=abc&state=x y"
	browser, opened := fakeBrowser(t)
	sep := string(os.PathListSeparator)
	tests := []struct {
		env, want string
	}{
		{browser, u},
		{browser + " --new-window", "--new-window " + u},
		{browser + " --app=%s --flag", "--app=" + u + " --flag"},
		{"/no/such/browser" + sep + browser, u},
		{"no-such-browser-on-path --x" + sep + browser + " %s", u},
	}
	for _, tt := range tests {
		t.Setenv(BrowserEnv, tt.env)
		if err := OpenBrowser(u); err != nil {
			t.Fatalf("BROWSER=%q: OpenBrowser: %v", tt.env, err)
		}
		if got := opened(); got != tt.want {
			t.Errorf("BROWSER=%q: the browser got %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestOpenBrowserNoneStarts(t *testing.T) {
	const u = "https://login.example.test/authorize"
	sep := string(os.PathListSeparator)
	t.Setenv(BrowserEnv, "/no/such/browser"+sep+"no-such-browser-on-path %s")
	err := OpenBrowser(u)
	if err == nil || !strings.Contains(err.Error(), "open this address yourself: "+u) || !strings.Contains(err.Error(), "/no/such/browser") {
		t.Fatalf("OpenBrowser = %v; want an error naming the failures and the address", err)
	}
}
