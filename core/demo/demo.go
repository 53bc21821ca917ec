// Package demo runs tenantsync against the simulated Microsoft cloud in
// process, with a local documentation set that partly matches it, so every
// view has something to show without a network or a Microsoft account.
//
// Demo data lives in its own database (DIR/demo/tenantsync.db), replaced on
// every start: it never mixes with the technician's real documentation, and
// secrets stay in memory, so no OS keychain is needed.
package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// Options tune the demo; the zero value is the demo the app shows.
type Options struct {
	// Tenants is how many customer tenants the simulated partner has;
	// default 12.
	Tenants int
	// Latency is added to every simulated request (tests make syncs long
	// enough to cancel).
	Latency time.Duration
}

// Demo is a running demo: a store, a manager signed in to the simulated
// cloud, and the connection to sync.
type Demo struct {
	Store        *store.Store
	Manager      *connections.Manager
	ConnectionID string
	Sim          *m365sim.Server

	cancel context.CancelFunc
	once   sync.Once
}

// Dir is where the demo database lives inside a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, "demo") }

// ErrInUse means another tenantsync has the demo database open: a demo
// being built, the app exploring the demo, or a command run on DIR/demo.
var ErrInUse = errors.New("the demo database is already in use by another tenantsync (a demo, the app exploring the demo, or a command run on the demo folder)")

// Start starts the simulated cloud and puts a new demo database in place
// under dataDir: seeded, with a demo connection signed in and synced once.
// Then one user leaves, for the next sync to flag.
//
// The demo database's lock is taken first and held until Close: the new
// demo is built in a folder of its own and replaces the old contents in one
// transaction (store.Replace), so nothing is deleted under another process
// and a demo killed while building leaves the previous demo as it was.
func Start(ctx context.Context, dataDir string, opt Options) (*Demo, error) {
	if opt.Tenants <= 0 {
		opt.Tenants = 12
	}
	dir := Dir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	target, err := openTarget(filepath.Join(dir, store.DBFile))
	if err != nil {
		return nil, err
	}
	removeBuilds(dir) // what killed demos left; no demo builds now: we hold the lock
	build, err := os.MkdirTemp(dir, buildPrefix+"*")
	if err != nil {
		target.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(build)
	simCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sizes := make([]int, opt.Tenants)
	for i := range sizes {
		sizes[i] = 20 + (i*17)%41 // 20..60 users, the same every start
	}
	sim, err := m365sim.Start(simCtx, m365sim.Options{
		Seed: 42, TenantSizes: sizes, CleanTenants: true, DisableThrottling: true,
		Latency: opt.Latency,
	})
	if err != nil {
		cancel()
		target.Close()
		return nil, fmt.Errorf("demo: start the simulated Microsoft cloud: %w", err)
	}
	d := &Demo{Sim: sim, cancel: cancel}
	fail := func(err error) (*Demo, error) {
		d.Close()
		target.Close()
		return nil, err
	}
	// A fresh database each time (the simulator listens on a new port and
	// issues new tokens on every start), built aside.
	s, err := store.Open(filepath.Join(build, store.DBFile), store.Options{NoSync: true})
	if err != nil {
		return fail(fmt.Errorf("demo: %w", err))
	}
	d.Store = s
	keychain, sealer, network := NewKeychain(), NewSealer(), demoNetwork(simCtx, sim)
	d.Manager = connections.NewManager(s, keychain, sealer, network)
	if err := d.build(ctx, opt); err != nil {
		return fail(err)
	}
	if err := target.Replace(ctx, s); err != nil {
		return fail(fmt.Errorf("demo: put the new demo in place: %w", err))
	}
	if err := s.Close(); err != nil {
		return fail(fmt.Errorf("demo: %w", err))
	}
	d.Store = target
	d.Manager = connections.NewManager(target, keychain, sealer, network)
	return d, nil
}

// openTarget opens the demo database and keeps its lock. A file that
// cannot be opened for damage is a file no one is writing (bbolt takes the
// lock before it reads): the new demo replaces it.
func openTarget(path string) (*store.Store, error) {
	s, err := store.Open(path, store.Options{})
	switch {
	case errors.Is(err, store.ErrLocked):
		return nil, fmt.Errorf("demo: %s: %w", path, ErrInUse)
	case errors.Is(err, store.ErrDamaged) || errors.Is(err, store.ErrNewerSchema):
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("demo: replace the previous demo database: %w", err)
		}
		s, err = store.Open(path, store.Options{})
	}
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return s, nil
}

// buildPrefix names the folders, inside the demo folder, where a new demo
// database is built.
const buildPrefix = ".demo-build-"

// removeBuilds removes what demos killed while building left behind.
func removeBuilds(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), buildPrefix) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name())) // best effort: a leftover only takes space
		}
	}
}

// build seeds the demo database, creates the demo connection, signs it in
// and plays yesterday's sync.
func (d *Demo) build(ctx context.Context, opt Options) error {
	info := d.Sim.Info()
	if err := Seed(ctx, d.Store, d.Sim); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	conn, err := d.Manager.Create(ctx, connections.Form{
		Name: "Demo partner (simulated)", Mode: store.ModeDemo, TenantID: info.PartnerTenantID,
		ClientID: info.ClientID, Secret: info.ClientSecret, RedirectPort: port,
	})
	if err != nil {
		return fmt.Errorf("demo: create the connection: %w", err)
	}
	d.ConnectionID = conn.ID
	if _, err := d.Manager.SignIn(ctx, conn.ID); err != nil {
		return fmt.Errorf("demo: sign in: %w", err)
	}
	return d.yesterday(ctx)
}

// yesterday plays the sync a technician ran before today, then disables
// one synced user in the simulated tenant, so the window's first sync has
// a leaver to flag and the sync logs have history.
func (d *Demo) yesterday(ctx context.Context) error {
	eng := syncer.New(d.Store, d.Manager, syncer.Options{})
	if _, err := eng.Sync(ctx, d.ConnectionID, store.TriggerStartup, false); err != nil {
		return fmt.Errorf("demo: first sync: %w", err)
	}
	if err := eng.SetSchedule(ctx, d.ConnectionID, syncer.DefaultSchedule); err != nil {
		return fmt.Errorf("demo: schedule: %w", err)
	}
	var link *store.MSLink
	err := d.Store.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachContact(func(c *store.Contact) error {
			if link == nil && c.Link != nil && c.Source == store.SourceTenant && len(c.Locked) == 0 {
				link = c.Link
			}
			return nil
		})
	})
	if err != nil || link == nil {
		return err
	}
	if _, err := d.Sim.Control().DisableUser(link.TenantID, link.ObjectID); err != nil {
		return fmt.Errorf("demo: disable a user: %w", err)
	}
	return nil
}

// Close stops the simulated cloud and closes the demo database.
func (d *Demo) Close() error {
	var err error
	d.once.Do(func() {
		if d.Store != nil {
			err = d.Store.Close()
		}
		d.cancel()
		d.Sim.Close()
	})
	return err
}

// NewManager returns a connections manager over s that reaches the
// simulated cloud and keeps secrets in memory; its sign-in completes without
// a browser.
func NewManager(ctx context.Context, s *store.Store, sim *m365sim.Server) *connections.Manager {
	return connections.NewManager(s, NewKeychain(), NewSealer(), demoNetwork(ctx, sim))
}

// demoNetwork is Network under the cloud name the demo connection carries.
func demoNetwork(ctx context.Context, sim *m365sim.Server) connections.Network {
	n := Network(ctx, sim)
	n.Cloud.Name = "demo"
	return n
}

// Network reaches the simulated cloud: its identity platform and Graph over
// HTTPS it trusts, and a sign-in that completes without a browser.
func Network(ctx context.Context, sim *m365sim.Server) connections.Network {
	info := sim.Info()
	return connections.Network{
		Cloud:     Cloud(info),
		HTTP:      sim.HTTPClient(),
		Transport: sim.Transport(),
		OpenURL:   func(u string) error { return sim.CompleteSignIn(ctx, u) },
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("demo: find a free port for sign-in: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Keychain keeps secrets in memory: the demo needs no OS keychain.
type Keychain struct {
	mu    sync.Mutex
	items map[string]string
}

var _ connections.Keychain = (*Keychain)(nil)

// NewKeychain returns an empty in-memory keychain.
func NewKeychain() *Keychain { return &Keychain{items: map[string]string{}} }

// Set stores secret under item.
func (k *Keychain) Set(item, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[item] = secret
	return nil
}

// Get returns the secret under item or secrets.ErrNotFound.
func (k *Keychain) Get(item string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.items[item]
	if !ok {
		return "", fmt.Errorf("keychain item %s: %w", item, secrets.ErrNotFound)
	}
	return s, nil
}

// Delete removes item.
func (k *Keychain) Delete(item string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.items, item)
	return nil
}

// Sealer keeps token caches in memory.
type Sealer struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

var _ auth.Sealer = (*Sealer)(nil)

// NewSealer returns an empty in-memory sealer.
func NewSealer() *Sealer { return &Sealer{blobs: map[string][]byte{}} }

// Seal stores a copy of plaintext as name.
func (s *Sealer) Seal(_ context.Context, name string, plaintext []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[name] = append([]byte(nil), plaintext...)
	return nil
}

// Open returns the blob name or secrets.ErrNotFound.
func (s *Sealer) Open(_ context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[name]
	if !ok {
		return nil, secrets.ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

// Delete removes the blob name.
func (s *Sealer) Delete(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blobs, name)
	return nil
}

// Cloud is Microsoft's global cloud served by the simulator at info's hosts.
func Cloud(info m365sim.Info) auth.Cloud {
	c := auth.Global.At(info.AuthorityHost, info.GraphBase, info.PartnerCenterBase)
	c.Name, c.Label = "sim", "Simulated Microsoft cloud"
	return c
}
