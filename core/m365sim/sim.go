package m365sim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/permissions"
)

// Options configure a simulation. The zero value is usable: 5 customer
// tenants of about 25 users, documented throttling budgets, no faults.
type Options struct {
	Addr           string // listen address; default "127.0.0.1:0"
	Seed           int64
	Tenants        int   // customer tenants (GDAP customers of the partner); default 5, -1 for none
	UsersPerTenant int   // mean users per tenant; default 25
	TenantSizes    []int // explicit users per customer tenant; overrides UsersPerTenant (Tenants = len if larger)

	// TenantFlags overrides the generated flags of customer tenant i (0-based).
	TenantFlags map[int]TenantFlags
	// CleanTenants turns off the randomly assigned problem flags (concealed
	// names, expired or role-poor GDAP, missing consent); Entra ID P1 still
	// follows each tenant's licences.
	CleanTenants bool

	Latency time.Duration // added to every request (simulated round trip)

	// Random faults on Graph requests, decided by a hash of (seed, tenant,
	// method, URL, attempt) so a rerun sees the same faults.
	Rate429, Rate503, RateReset  float64
	RetryAfterMin, RetryAfterMax time.Duration // Retry-After of random 429/503; default 1 s .. 2 s

	// DisableThrottling switches the documented budgets off (fast unit tests).
	DisableThrottling bool
	// ThrottleScale multiplies every budget; 0 means 1. Tests use a small
	// scale to meet real 429s after a few requests.
	ThrottleScale float64

	TokenLifetime        time.Duration // access tokens; default 1 h (MSAL caches only tokens living > 5 min)
	RefreshTokenLifetime time.Duration // inactivity lifetime of refresh tokens; default 90 days
	DeltaTokenLifetime   time.Duration // delta links; default 7 days as for directory objects
	// DeltaExpiredStatus is the status of an expired or unknown delta token:
	// 410 (default) or 400. Both have been observed from Graph.
	DeltaExpiredStatus int

	// Permissions are the Microsoft Graph permissions the ready state's
	// app registration requests and is granted, as delegated and as
	// application permissions; nil means DefaultPermissions (the required
	// list tenantsync publishes). Tests drop one to see what breaks.
	Permissions []string

	// FreshPartner starts with no tenantsync app registered anywhere: the
	// partner's administrator (Info.AdminAccount) must set it up, as a new
	// partner would. Info then has no client id or secret.
	FreshPartner bool
	// ReplicationDelay is how long an object written through Graph or
	// Partner Center stays invisible to reads and sign-in, as Entra's
	// replication makes it (see directory.go). Zero in process; cmd/m365sim
	// defaults to 2 s.
	ReplicationDelay time.Duration

	// Unconsented is how many customers (the last ones) do not hold the
	// app's service principal yet: Partner Center's consent API, or an
	// administrator of the customer, must add it.
	Unconsented int

	// Epoch anchors every generated date (sign-ins "3 days ago"); default
	// today 00:00 UTC, so a seed gives the same data all day.
	Epoch time.Time
	// Now is the clock for token lifetimes and throttling; default time.Now.
	Now func() time.Time

	// Dir receives ca.pem; default a temporary directory removed by Close.
	Dir string

	Logf func(format string, args ...any)
}

// DefaultPermissions are the Microsoft Graph permissions of the ready
// state's app registration: what tenantsync's required list asks for.
var DefaultPermissions = permissions.Names(permissions.GraphAppID, true)

// Info is what a client needs to connect; cmd/m365sim prints it as JSON.
type Info struct {
	AuthorityHost   string `json:"authority_host"` // "127.0.0.1:PORT"; authority is https://HOST/{tenant}
	GraphBase       string `json:"graph_base"`     // "https://127.0.0.1:PORT/v1.0"
	PartnerTenantID string `json:"partner_tenant_id"`
	// PartnerCenterBase is the Partner Center API root (the real one is
	// https://api.partnercenter.microsoft.com): /v1/customers/... below it.
	PartnerCenterBase string `json:"partner_center_base"`
	// The app registration of the ready state; empty with FreshPartner.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	RedirectURI  string `json:"redirect_uri"` // "http://localhost", registered under Web; the port is ignored for loopback, as Entra does
	CAPEMPath    string `json:"ca_pem"`
	ControlToken string `json:"control_token"`
	// AdminAccount is the partner's administrator (Global Administrator and
	// Partner Center admin agent), who sets tenantsync up; ServiceAccount
	// the GDAP service account that syncs (an admin agent, not an
	// administrator of the partner tenant).
	AdminAccount   string `json:"admin_account"`
	ServiceAccount string `json:"service_account"`
}

// TenantInfo describes a customer tenant for demo data and tests.
type TenantInfo struct {
	ID             string      `json:"id"`
	DisplayName    string      `json:"display_name"`
	DefaultDomain  string      `json:"default_domain"`
	InitialDomain  string      `json:"initial_domain"`
	Domains        []string    `json:"domains"` // verified domains
	Users          int         `json:"users"`   // current users (generated + added - deleted)
	Flags          TenantFlags `json:"flags"`
	SKUs           []string    `json:"skus"` // part numbers
	RelationshipID string      `json:"relationship_id"`
}

// Server is a running simulation.
type Server struct {
	// base is Start's context without its cancellation: what Close's
	// shutdown grace derives from after Start's context ended.
	base     context.Context
	opt      Options
	epoch    time.Time
	ln       net.Listener
	hs       *http.Server
	tlsCert  tls.Certificate
	pool     *x509.CertPool
	caDER    []byte
	info     Info
	hmacKey  []byte
	ownDir   string
	partner  *tenant
	tenants  []*tenant
	byID     map[string]*tenant
	byDomain map[string]*tenant
	appName  string
	dir      *directory
	readyApp *application // the ready state's app registration; nil with FreshPartner

	mu         sync.Mutex
	codes      map[string]*authCode
	app        AppFlags
	secret     string           // the ready state's client secret, stable for a seed
	rtGen      map[string]int64 // user object id -> tokens-valid-from generation
	downloads  map[string]downloadTicket
	faultTries map[string]int
	// notBefore holds, per faulted request, when its Retry-After ends;
	// earlyRetries counts requests that came back sooner.
	notBefore    map[string]time.Time
	earlyRetries int
	pcLimiter    *pcLimiter

	thr      *throttler
	counters *counters
	ctl      *Control
	wg       sync.WaitGroup
	closed   chan struct{}
	once     sync.Once
}

func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Tenants == 0 && len(o.TenantSizes) == 0 {
		o.Tenants = 5
	}
	if o.Tenants < 0 {
		o.Tenants = 0
	}
	if len(o.TenantSizes) > o.Tenants {
		o.Tenants = len(o.TenantSizes)
	}
	if o.UsersPerTenant == 0 {
		o.UsersPerTenant = 25
	}
	if o.RetryAfterMin <= 0 {
		o.RetryAfterMin = time.Second
	}
	if o.RetryAfterMax < o.RetryAfterMin {
		o.RetryAfterMax = max(2*time.Second, o.RetryAfterMin)
	}
	if o.ThrottleScale <= 0 {
		o.ThrottleScale = 1
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.RefreshTokenLifetime <= 0 {
		o.RefreshTokenLifetime = 90 * 24 * time.Hour
	}
	if o.DeltaTokenLifetime <= 0 {
		o.DeltaTokenLifetime = 7 * 24 * time.Hour
	}
	if o.DeltaExpiredStatus == 0 {
		o.DeltaExpiredStatus = http.StatusGone
	}
	if o.Permissions == nil {
		o.Permissions = DefaultPermissions
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Epoch.IsZero() {
		o.Epoch = time.Now().UTC().Truncate(24 * time.Hour)
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Start generates the tenants, listens and serves until ctx ends or Close.
func Start(ctx context.Context, opt Options) (*Server, error) {
	opt.setDefaults()
	s := &Server{base: context.WithoutCancel(ctx),
		opt: opt, epoch: opt.Epoch.UTC(), byID: map[string]*tenant{}, byDomain: map[string]*tenant{},
		codes: map[string]*authCode{}, rtGen: map[string]int64{}, downloads: map[string]downloadTicket{},
		faultTries: map[string]int{}, notBefore: map[string]time.Time{}, closed: make(chan struct{}), appName: "tenantsync",
		dir: newDirectory(), pcLimiter: newPCLimiter(opt.Now),
	}
	s.hmacKey = make([]byte, 32)
	if _, err := rand.Read(s.hmacKey); err != nil {
		return nil, err
	}
	ctlTok := make([]byte, 24)
	if _, err := rand.Read(ctlTok); err != nil {
		return nil, err
	}
	seed := uint64(opt.Seed)
	// The client secret looks like Entra's (40 characters, "~" inside) and
	// is stable for a seed, so a saved connection keeps working across runs.
	sec := rngFor(seed, saltApp, 2)
	b := make([]byte, 40)
	for i := range b {
		b[i] = secretChars[sec.IntN(len(secretChars))]
	}
	b[3] = '8'
	b[4] = 'Q'
	b[5] = '~'
	s.secret = string(b)

	used := map[string]bool{}
	s.partner = s.newTenant(-1, "Bluefin IT Solutions Ltd", "bluefin-it.co.uk", 0, used)
	s.partner.size = 15
	s.register(s.partner)
	names := companyNames(opt.Seed, opt.Tenants)
	for i := 0; i < opt.Tenants; i++ {
		size := sizeFor(opt.Seed, i, opt.UsersPerTenant)
		if i < len(opt.TenantSizes) {
			size = opt.TenantSizes[i]
		}
		t := s.newTenant(i, names[i].name, names[i].domain, names[i].culture, used)
		t.size = size
		if i >= opt.Tenants-opt.Unconsented {
			t.flags.NotConsented = true
		}
		s.tenants = append(s.tenants, t)
		s.register(t)
	}

	if err := s.makeCerts(); err != nil {
		return nil, err
	}
	dir := opt.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "m365sim-")
		if err != nil {
			return nil, err
		}
		dir, s.ownDir = d, d
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, s.caPEM(), 0o644); err != nil {
		return nil, fmt.Errorf("write CA: %w", err)
	}

	ln, err := net.Listen("tcp", opt.Addr)
	if err != nil {
		s.removeDir()
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	host := ln.Addr().String()
	s.info = Info{
		AuthorityHost:     host,
		GraphBase:         "https://" + host + "/v1.0",
		PartnerCenterBase: "https://" + host + partnerCenterPrefix,
		PartnerTenantID:   s.partner.id,
		RedirectURI:       "http://localhost",
		CAPEMPath:         caPath,
		ControlToken:      hex.EncodeToString(ctlTok),
		AdminAccount:      s.partner.user(0).UPN,
		ServiceAccount:    s.partner.user(1).UPN,
	}
	if !opt.FreshPartner {
		s.info.ClientID, s.info.ClientSecret = s.setUpApp(guid(seed, saltApp, 1), s.secret)
	}
	s.thr = newThrottler(&s.opt)
	s.counters = newCounters()
	s.ctl = &Control{s: s}

	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.tlsCert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}},
		ErrorLog:          nil,
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.hs.ServeTLS(ln, "", "")
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opt.Logf("m365sim: serve: %v", err)
		}
	}()
	// Cancelling ctx closes the server; the watcher ends with it. It is not
	// in s.wg because Close waits for s.wg and the watcher may be calling Close.
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.closed:
		}
	}()
	s.opt.Logf("m365sim: listening on https://%s (%d customer tenants, partner %s)", host, len(s.tenants), s.partner.id)
	return s, nil
}

func (s *Server) register(t *tenant) {
	s.byID[t.id] = t
	for _, d := range t.domains {
		s.byDomain[strings.ToLower(d.Name)] = t
	}
}

// Info returns the connection facts.
func (s *Server) Info() Info { return s.info }

// Control returns the Go mirror of the /_sim/ control API.
func (s *Server) Control() *Control { return s.ctl }

// CertPool returns a pool holding the simulation's CA.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// HTTPClient returns a client that trusts the simulation's CA.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport()}
}

// Transport returns a fresh transport trusting the simulation's CA.
func (s *Server) Transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = 64
	return tr
}

// Customers lists the customer tenants in a stable order.
func (s *Server) Customers() []TenantInfo {
	out := make([]TenantInfo, 0, len(s.tenants))
	for _, t := range s.tenants {
		out = append(out, t.describe())
	}
	return out
}

func (t *tenant) describe() TenantInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	ti := TenantInfo{ID: t.id, DisplayName: t.name, DefaultDomain: t.defaultDomain(), InitialDomain: t.initialDomain(),
		Users: t.size + t.added - len(t.deleted), Flags: t.flags, RelationshipID: t.relID}
	for _, d := range t.domains {
		if d.Verified {
			ti.Domains = append(ti.Domains, d.Name)
		}
	}
	for _, sk := range t.skus {
		ti.SKUs = append(ti.SKUs, sk.PartNumber)
	}
	return ti
}

// Close stops the listener, waits for the serving goroutines and removes the
// temporary directory it created.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		// Give in-flight requests a moment, then drop the rest: HTTP/2's
		// graceful GOAWAY alone would hold every Close for a second.
		ctx, cancel := context.WithTimeout(s.base, 50*time.Millisecond)
		defer cancel()
		if s.hs.Shutdown(ctx) != nil {
			err = s.hs.Close()
		}
		s.wg.Wait()
		s.removeDir()
	})
	return err
}

func (s *Server) removeDir() {
	if s.ownDir != "" {
		os.RemoveAll(s.ownDir)
	}
}

func (s *Server) now() time.Time { return s.opt.Now() }

func (s *Server) tenantByID(id string) *tenant {
	if id == s.partner.id {
		return s.partner
	}
	return s.byID[strings.ToLower(id)]
}

// resolveTenant maps an authority path segment (GUID or verified domain) to
// a tenant; "common" and "organizations" resolve to nil with ok true.
func (s *Server) resolveTenant(seg string) (t *tenant, multi bool, ok bool) {
	switch strings.ToLower(seg) {
	case "common", "organizations":
		return nil, true, true
	}
	if t := s.byID[strings.ToLower(seg)]; t != nil {
		return t, false, true
	}
	if t := s.byDomain[strings.ToLower(seg)]; t != nil {
		return t, false, true
	}
	return nil, false, false
}

// reqMeta travels with a request so ServeHTTP can count it afterwards.
type reqMeta struct {
	endpoint string
	tenant   string
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.Latency > 0 && !strings.HasPrefix(r.URL.Path, "/_sim/") {
		t := time.NewTimer(s.opt.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	meta := &reqMeta{}
	sw := &statusWriter{ResponseWriter: w}
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/_sim/"):
		s.serveControl(sw, r)
		return
	case strings.HasPrefix(path, "/v1.0/") || path == "/v1.0":
		s.serveGraph(sw, r, meta)
	case strings.HasPrefix(path, partnerCenterPrefix+"/"):
		s.servePartnerCenter(sw, r, meta)
	case strings.HasPrefix(path, "/_download/"):
		s.serveDownload(sw, r, meta)
	default:
		s.serveIdentity(sw, r, meta)
	}
	if meta.endpoint != "" {
		s.counters.add(meta.endpoint, meta.tenant, sw.status, false)
	}
}

// Ensure Server is an http.Handler.
var _ http.Handler = (*Server)(nil)
