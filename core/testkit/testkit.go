// Package testkit wires tests to real things at the boundary: the
// simulated Microsoft cloud over HTTPS, a bbolt store in a temp dir, a
// connections manager with the keychain mocked, free loopback ports. Test
// files of every package use it instead of copies of their own.
package testkit

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// Sim starts the simulated cloud with opt (its files in a temp dir) and
// stops it when the test ends.
func Sim(t testing.TB, opt m365sim.Options) *m365sim.Server {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := m365sim.Start(ctx, opt)
	if err != nil {
		cancel()
		t.Fatalf("start the simulated cloud: %v", err)
	}
	t.Cleanup(func() { cancel(); srv.Close() })
	return srv
}

// Store opens a store in a temp dir, closed when the test ends.
func Store(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatalf("open a store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Manager returns a connections manager over s that reaches the simulated
// cloud through n (demo.Network(ctx, sim) when n is the zero value), with
// secrets in the mocked keychain (secrets.MockInit) and the token cache
// sealed into s.
func Manager(t testing.TB, ctx context.Context, s *store.Store, sim *m365sim.Server, n connections.Network) *connections.Manager {
	t.Helper()
	secrets.MockInit()
	if n.Cloud.AuthorityHost == "" {
		n = demo.Network(ctx, sim)
	}
	kc := secrets.NewKeychain("tenantsync-test")
	return connections.NewManager(s, kc, secrets.NewVault(kc, s), n)
}

// GDAP creates a GDAP connection to sim's partner with its app and signs
// the service account in.
func GDAP(t testing.TB, ctx context.Context, mgr *connections.Manager, sim *m365sim.Server) store.Connection {
	t.Helper()
	info := sim.Info()
	conn, err := mgr.Create(ctx, connections.Form{Name: "Partner", Mode: store.ModeGDAP, TenantID: info.PartnerTenantID,
		ClientID: info.ClientID, Secret: info.ClientSecret, RedirectPort: FreePort(t)})
	if err != nil {
		t.Fatalf("create the connection: %v", err)
	}
	if _, err := mgr.SignIn(ctx, conn.ID); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	return conn
}
