package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// cliRun runs one tenantsync command with stdin and returns its exit code,
// stdout and stderr.
type cliRun func(stdin string, args ...string) (int, string, string)

// simCLI starts the simulated cloud with opt (in a temp dir) and returns a
// runner of tenantsync commands that reach it, on a fresh data directory
// with the keychain mocked, the simulator, the data directory and a free
// loopback port for the sign-in.
func simCLI(t *testing.T, opt m365sim.Options) (run cliRun, sim *m365sim.Server, dir string, port int) {
	t.Helper()
	secrets.MockInit()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opt.Dir = t.TempDir()
	sim, err := m365sim.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	nw := demo.Network(ctx, sim)
	dir = t.TempDir()
	run = func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Network: &nw,
			Getenv: func(k string) string {
				if k == DataDirEnv {
					return dir
				}
				return ""
			}}
		return Run(ctx, env, args), out.String(), errb.String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return run, sim, dir, port
}
