package connections

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/store"
)

// Keychain holds small secrets; *secrets.Keychain is one.
type Keychain interface {
	Set(item, secret string) error
	Get(item string) (string, error)
	Delete(item string) error
}

// Network is how connections reach Microsoft: the real cloud by default, the
// simulated one in demo mode and tests.
type Network struct {
	Cloud     auth.Cloud
	HTTP      *http.Client      // identity platform; nil: http.DefaultClient
	Transport http.RoundTripper // Graph; nil: http.DefaultTransport
	// OpenURL shows the sign-in page; nil opens the system browser.
	OpenURL func(url string) error
}

// Manager creates, signs in, checks and removes connections.
type Manager struct {
	store    *store.Store
	keychain Keychain
	vault    auth.Sealer
	net      Network
	inFlight chan struct{}

	mu       sync.Mutex
	sessions map[string]keptSession // by connection id
	retire   retiring
}

// keptSession is a connection's MSAL session, kept from run to run while
// what it was built from stays the same: MSAL then remembers each tenant's
// endpoints (one request less per tenant token) and the sealed token cache
// is opened once.
type keptSession struct {
	from string
	sess *auth.Session
}

// NewManager returns a Manager over a store, the keychain and the vault that
// seals token caches.
func NewManager(s *store.Store, kc Keychain, vault auth.Sealer, net Network) *Manager {
	if net.Cloud.AuthorityHost == "" {
		net.Cloud = auth.Global
	}
	if net.OpenURL == nil {
		net.OpenURL = OpenBrowser
	}
	return &Manager{store: s, keychain: kc, vault: vault, net: net}
}

// Network returns how the manager reaches Microsoft.
func (m *Manager) Network() Network { return m.net }

func secretItem(connID string) string { return "client-secret/" + connID }

func newID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Create validates the form, stores the secret in the keychain and the
// connection in the store. Nothing is written when the form is invalid.
func (m *Manager) Create(ctx context.Context, f Form) (store.Connection, error) {
	if fe := f.Check(false); fe != nil {
		return store.Connection{}, fe
	}
	cloud, err := m.cloudNamed(f.Cloud)
	if err != nil {
		return store.Connection{}, err
	}
	c := store.Connection{
		ID: newID(), Name: strings.TrimSpace(f.Name), Mode: f.Mode, Cloud: cloud.Name,
		AuthorityHost: cloud.AuthorityHost, GraphBase: cloud.GraphBase,
		TenantID: normalizeTenant(f.TenantID), ClientID: strings.ToLower(strings.Trim(strings.TrimSpace(f.ClientID), "{}")),
		RedirectPort: f.RedirectPort, Status: store.StatusNeverSynced, Settings: store.DefaultSyncSettings(),
	}
	c.SecretRef = secretItem(c.ID)
	if err := m.keychain.Set(c.SecretRef, strings.TrimSpace(f.Secret)); err != nil {
		return store.Connection{}, fmt.Errorf("save the client secret: %w", err)
	}
	if err := m.store.Update(ctx, func(tx *store.Tx) error { return tx.PutConnection(&c) }); err != nil {
		_ = m.keychain.Delete(c.SecretRef)
		return store.Connection{}, err
	}
	return c, nil
}

// UpdateCredentials changes a connection's tenant, application, secret or
// port. An empty secret keeps the stored one. Changing the tenant or app
// forgets the saved sign-in.
func (m *Manager) UpdateCredentials(ctx context.Context, id string, f Form) (store.Connection, error) {
	if fe := f.Check(true); fe != nil {
		return store.Connection{}, fe
	}
	var c store.Connection
	err := m.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.Connection(id); err != nil {
			return err
		}
		tenant, client := normalizeTenant(f.TenantID), strings.ToLower(strings.Trim(strings.TrimSpace(f.ClientID), "{}"))
		if tenant != c.TenantID || client != c.ClientID || f.Mode != c.Mode {
			c.Account = ""
		}
		c.Name, c.Mode, c.TenantID, c.ClientID, c.RedirectPort = strings.TrimSpace(f.Name), f.Mode, tenant, client, f.RedirectPort
		if s := strings.TrimSpace(f.Secret); s != "" {
			if err := m.keychain.Set(c.SecretRef, s); err != nil {
				return fmt.Errorf("save the client secret: %w", err)
			}
		}
		return tx.PutConnection(&c)
	})
	m.forgetSession(id)
	if err == nil && c.Account == "" {
		err = m.vault.Delete(ctx, auth.CacheBlobName(id))
	}
	return c, err
}

// AfterDisconnect says what tenantsync cannot undo on Microsoft's side.
const AfterDisconnect = "tenantsync deleted its copy of the client secret and the saved sign-in. " +
	"On Microsoft's side the app registration, its client secret, its admin consent in each customer tenant " +
	"and the GDAP relationships are untouched and keep their privileges: delete the client secret (or the whole app " +
	"registration) in the Entra admin center, and remove the app's consent from customer tenants you no longer manage."

// Disconnect removes a connection: its secret, token cache, tenants, mirrors
// and sync logs. Organizations and contacts stay. It returns what remains to
// do on Microsoft's side.
func (m *Manager) Disconnect(ctx context.Context, id string) (string, error) {
	c, err := m.Connection(ctx, id)
	if err != nil {
		return "", err
	}
	m.forgetSession(id)
	if err := m.keychain.Delete(c.SecretRef); err != nil {
		return "", fmt.Errorf("delete the client secret: %w", err)
	}
	if err := m.vault.Delete(ctx, auth.CacheBlobName(id)); err != nil {
		return "", err
	}
	if err := m.store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteConnection(id) }); err != nil {
		return "", err
	}
	return AfterDisconnect, nil
}

// Connection returns one connection.
func (m *Manager) Connection(ctx context.Context, id string) (c store.Connection, err error) {
	err = m.store.View(ctx, func(tx *store.Tx) error { c, err = tx.Connection(id); return err })
	return c, err
}

// Session builds the MSAL session of a connection, with its secret from the
// keychain and its sealed token cache.
func (m *Manager) Session(c store.Connection) (*auth.Session, error) {
	secret, err := m.keychain.Get(c.SecretRef)
	if err != nil {
		return nil, fmt.Errorf("read the client secret of %q: %w", c.Name, err)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{c.Mode, c.TenantID, c.ClientID, c.AuthorityHost, c.Account, secret}, "\x00")))
	from := hex.EncodeToString(sum[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.sessions[c.ID]; ok && k.from == from {
		return k.sess, nil
	}
	sess, err := auth.NewSession(auth.Config{
		Conn: c, Secret: secret, HTTP: m.net.HTTP, Vault: m.vault, OpenURL: m.net.OpenURL, Cloud: m.cloudOf(c),
	})
	if err != nil {
		return nil, err
	}
	if m.sessions == nil {
		m.sessions = map[string]keptSession{}
	}
	m.sessions[c.ID] = keptSession{from: from, sess: sess}
	return sess, nil
}

// cloudOf is the cloud a connection lives in: the network's when it names
// the same cloud (a cloud file may have replaced its hosts), else the named
// cloud's own.
func (m *Manager) cloudOf(c store.Connection) auth.Cloud {
	if c.Cloud == "" || c.Cloud == m.net.Cloud.Name {
		return m.net.Cloud
	}
	if cl, ok := auth.CloudByName(c.Cloud); ok {
		return cl
	}
	return m.net.Cloud
}

// cloudNamed is the cloud a new connection uses: the network's unless the
// form names another.
func (m *Manager) cloudNamed(name auth.CloudName) (auth.Cloud, error) {
	if name == "" || name == m.net.Cloud.Name {
		return m.net.Cloud, nil
	}
	if cl, ok := auth.CloudByName(name); ok {
		return cl, nil
	}
	return auth.Cloud{}, fmt.Errorf("unknown Microsoft cloud %q", name)
}

// forgetSession drops a connection's kept session: its token cache was
// deleted or its credentials changed.
func (m *Manager) forgetSession(id string) {
	m.mu.Lock()
	delete(m.sessions, id)
	m.mu.Unlock()
}

// SignIn runs the interactive sign-in of a delegated connection and saves
// the signed-in account.
func (m *Manager) SignIn(ctx context.Context, id string) (auth.Account, error) {
	c, err := m.Connection(ctx, id)
	if err != nil {
		return auth.Account{}, err
	}
	if !auth.Delegated(c.Mode) {
		return auth.Account{}, fmt.Errorf("%q uses application permissions and needs no interactive sign-in", c.Name)
	}
	sess, err := m.Session(c)
	if err != nil {
		return auth.Account{}, err
	}
	acc, err := sess.SignIn(ctx)
	if err != nil {
		return auth.Account{}, err
	}
	err = m.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Connection(id)
		if err != nil {
			return err
		}
		cur.Account = acc.HomeAccountID
		return tx.PutConnection(&cur)
	})
	return acc, err
}

// GraphClient returns a Graph client for one tenant of a connection.
// inFlight caps the manager's Graph requests: the SDK would otherwise open
// as many connections as there are tenants syncing.
func (m *Manager) GraphClient(c store.Connection, sess *auth.Session, tenantID string, stats *graph.Stats) (*graph.Client, error) {
	return graph.NewClient(tenantID, sess.TokenProvider(tenantID), graph.Options{GraphBase: c.GraphBase, Transport: m.transport(), Stats: stats, InFlight: m.inFlight})
}

// SetInFlight bounds how many Graph requests run at once across every
// tenant (0: no bound).
func (m *Manager) SetInFlight(n int) {
	if n <= 0 {
		m.inFlight = nil
		return
	}
	m.inFlight = make(chan struct{}, n)
}

func (m *Manager) transport() http.RoundTripper {
	if m.net.Transport != nil {
		return m.net.Transport
	}
	return defaultTransport
}

// defaultTransport keeps enough idle connections for many tenants syncing at
// once (net/http keeps 2 per host by default) and speaks HTTP/2 to Graph.
var defaultTransport = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.ForceAttemptHTTP2 = true
	return t
}()
