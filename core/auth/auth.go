// Package auth signs tenantsync in to Microsoft 365 with MSAL and hands out
// an access token for every customer tenant.
//
// A GDAP partner signs in once, interactively, as its GDAP service account:
// authorization code + PKCE through the system browser and a loopback
// redirect. MSAL then redeems that account's refresh token at each customer
// tenant's authority (AcquireTokenSilent with WithTenantID). An application
// connection instead uses client credentials in each tenant that consented
// the app. The token cache is sealed in the store (see store/secrets), so a
// restart does not ask to sign in again.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/tenantsync/tenantsync/store"
)

// Sealer keeps the token cache encrypted; *secrets.Vault is one.
//
// Open's error when name is not stored reports NotFound() true (as
// secrets.ErrNotFound does): the session then starts with an empty cache.
type Sealer interface {
	Seal(ctx context.Context, name string, plaintext []byte) error
	Open(ctx context.Context, name string) ([]byte, error)
	Delete(ctx context.Context, name string) error
}

// Config is what a Session needs.
type Config struct {
	Conn   store.Connection
	Secret string       // the client secret, fresh from the keychain
	HTTP   *http.Client // nil: http.DefaultClient; the simulator passes one trusting its CA
	Vault  Sealer       // token cache persistence; nil keeps tokens in memory only
	// OpenURL shows the sign-in page to the technician (the system browser);
	// demo mode and tests pass a function that plays the browser.
	OpenURL func(url string) error
	// Cloud names the resources tokens are for; its hosts come from Conn.
	Cloud Cloud
}

// Account is the signed-in home account of a delegated connection.
type Account struct {
	HomeAccountID string
	Username      string
	TenantID      string
}

// Session is one connection's MSAL client and token cache. Its methods are
// safe for concurrent use.
type Session struct {
	cfg         Config
	graphScopes []string // every Graph permission granted, in the connection's cloud
	cca         confidential.Client
	cache       *sealedCache

	mu      sync.Mutex
	account *confidential.Account
	tenants sync.Map // tenant id -> *sync.Mutex: one token request per tenant at a time
}

// CacheBlobName is the store blob holding a connection's sealed token cache.
func CacheBlobName(connID string) string { return "msal-cache/" + connID }

// NewSession builds the MSAL confidential client of a connection.
func NewSession(cfg Config) (*Session, error) {
	c := cfg.Conn
	if c.ClientID == "" || c.TenantID == "" {
		return nil, errors.New("connection needs an application (client) id and a tenant id")
	}
	if cfg.Secret == "" {
		return nil, errors.New("connection has no client secret: use Edit credentials to enter it")
	}
	host := c.AuthorityHost
	if host == "" {
		host = Global.AuthorityHost
	}
	cred, err := confidential.NewCredFromSecret(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if cfg.Cloud.Name == "" {
		cfg.Cloud = Global
	}
	s := &Session{cfg: cfg, graphScopes: []string{cfg.Cloud.GraphScope()}}
	opts := []confidential.Option{confidential.WithInstanceDiscovery(host == Global.AuthorityHost)}
	if cfg.HTTP != nil {
		opts = append(opts, confidential.WithHTTPClient(cfg.HTTP))
	}
	if cfg.Vault != nil {
		s.cache = &sealedCache{vault: cfg.Vault, name: CacheBlobName(c.ID)}
		opts = append(opts, confidential.WithCache(s.cache))
	}
	s.cca, err = confidential.New("https://"+host+"/"+c.TenantID, c.ClientID, cred, opts...)
	if err != nil {
		return nil, fmt.Errorf("set up sign-in: %w", err)
	}
	return s, nil
}

// Delegated reports whether the connection signs in as a user (GDAP partner
// or single tenant with sign-in) rather than as the application.
func Delegated(mode string) bool {
	return mode == store.ModeGDAP || mode == store.ModeSingle || mode == store.ModeDemo
}

// RedirectURI is the loopback redirect URI to register for a port.
func RedirectURI(port int) string { return fmt.Sprintf("http://localhost:%d", port) }

// SignIn runs the interactive sign-in of a delegated connection and returns
// the signed-in account, whose HomeAccountID the connection keeps.
func (s *Session) SignIn(ctx context.Context) (Account, error) {
	if s.cfg.OpenURL == nil {
		return Account{}, errors.New("sign-in needs a browser")
	}
	redirect := RedirectURI(s.cfg.Conn.RedirectPort)
	state := randomString(24)
	lb, err := listenLoopback(s.cfg.Conn.RedirectPort, state)
	if err != nil {
		return Account{}, err
	}
	defer lb.close()

	authURL, err := s.cca.AuthCodeURL(ctx, s.cfg.Conn.ClientID, redirect, s.graphScopes)
	if err != nil {
		return Account{}, fmt.Errorf("sign-in: %w", Classify(err))
	}
	verifier, challenge := newPKCE()
	u, err := url.Parse(authURL)
	if err != nil {
		return Account{}, err
	}
	q := u.Query()
	q.Set("state", state)
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	q.Set("response_mode", "form_post")
	q.Set("prompt", "select_account") // the technician picks the GDAP service account, not whoever is signed in
	u.RawQuery = q.Encode()

	if err := s.cfg.OpenURL(u.String()); err != nil {
		return Account{}, fmt.Errorf("open the sign-in page: %w", err)
	}
	code, err := lb.wait(ctx)
	if err != nil {
		return Account{}, err
	}
	res, err := s.cca.AcquireTokenByAuthCode(ctx, code, redirect, s.graphScopes, confidential.WithChallenge(verifier))
	if err != nil {
		return Account{}, fmt.Errorf("sign-in: %w", Classify(err))
	}
	s.mu.Lock()
	acc := res.Account
	s.account = &acc
	s.mu.Unlock()
	if err := s.Flush(ctx); err != nil {
		return Account{}, err
	}
	return Account{HomeAccountID: res.Account.HomeAccountID, Username: res.Account.PreferredUsername, TenantID: res.Account.Realm}, nil
}

// ErrNotSignedIn means a delegated connection has no usable sign-in.
var ErrNotSignedIn = errors.New("not signed in")

func (s *Session) signedInAccount(ctx context.Context) (confidential.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.account != nil {
		return *s.account, nil
	}
	id := s.cfg.Conn.Account
	if id == "" {
		return confidential.Account{}, ErrNotSignedIn
	}
	acc, err := s.cca.Account(ctx, id)
	if err != nil {
		return confidential.Account{}, err
	}
	if acc.HomeAccountID == "" {
		return confidential.Account{}, ErrNotSignedIn
	}
	s.account = &acc
	return acc, nil
}

// Token returns an access token for Graph in tenantID, from the cache when
// it is still valid.
func (s *Session) Token(ctx context.Context, tenantID string) (string, error) {
	return s.TokenFor(ctx, tenantID, s.graphScopes)
}

// ErrNoPartnerCenter means the connection's cloud has no Partner Center.
var ErrNoPartnerCenter = errors.New("this Microsoft cloud has no Partner Center API: consent the app in each customer tenant instead")

// PartnerCenterToken returns the signed-in account's token for Partner
// Center in the partner tenant: the same sign-in, another resource.
func (s *Session) PartnerCenterToken(ctx context.Context) (string, error) {
	scope := s.cfg.Cloud.PartnerCenterScope()
	if scope == "" {
		return "", ErrNoPartnerCenter
	}
	return s.TokenFor(ctx, s.cfg.Conn.TenantID, []string{scope})
}

// TokenFor returns an access token for scopes (of one resource) in tenantID.
func (s *Session) TokenFor(ctx context.Context, tenantID string, scopes []string) (string, error) {
	// Requests of one tenant run in parallel and would all miss the cache
	// at once; the first fetches the token, the others then find it cached.
	l, _ := s.tenants.LoadOrStore(tenantID+" "+strings.Join(scopes, " "), &sync.Mutex{})
	l.(*sync.Mutex).Lock()
	defer l.(*sync.Mutex).Unlock()
	var (
		res confidential.AuthResult
		err error
	)
	if Delegated(s.cfg.Conn.Mode) {
		acc, aerr := s.signedInAccount(ctx)
		if aerr != nil {
			return "", aerr
		}
		res, err = s.cca.AcquireTokenSilent(ctx, scopes, confidential.WithSilentAccount(acc), confidential.WithTenantID(tenantID))
	} else {
		res, err = s.cca.AcquireTokenByCredential(ctx, scopes, confidential.WithTenantID(tenantID))
	}
	if err != nil {
		return "", Classify(err)
	}
	return res.AccessToken, nil
}

// Flush seals the token cache into the store if it changed.
func (s *Session) Flush(ctx context.Context) error {
	if s.cache == nil {
		return nil
	}
	return s.cache.flush(ctx)
}

// TokenProvider returns kiota's token provider for one tenant, for the Graph SDK.
func (s *Session) TokenProvider(tenantID string) absauth.AccessTokenProvider {
	return tenantTokens{s: s, tenantID: tenantID}
}

type tenantTokens struct {
	s        *Session
	tenantID string
}

func (t tenantTokens) GetAuthorizationToken(ctx context.Context, _ *url.URL, _ map[string]any) (string, error) {
	return t.s.Token(ctx, t.tenantID)
}

func (t tenantTokens) GetAllowedHostsValidator() *absauth.AllowedHostsValidator {
	// An empty validator allows every host: the adapter's base URL decides
	// where requests go.
	return &absauth.AllowedHostsValidator{}
}

var _ absauth.AccessTokenProvider = tenantTokens{}
