package connections_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/testkit"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// env is a data directory with a store, a keychain and a vault, wired to a
// running simulated cloud.
type env struct {
	t     testing.TB
	dir   string
	store *store.Store
	kc    *secrets.Keychain
	sim   *m365sim.Server
	mgr   *connections.Manager
}

func newEnv(t testing.TB, sim *m365sim.Server) *env {
	t.Helper()
	secrets.MockInit()
	e := &env{t: t, dir: t.TempDir(), sim: sim, kc: secrets.NewKeychain("tenantsync-test")}
	e.open(t)
	return e
}

// open (re)opens the store and builds a new manager, as a restart would.
func (e *env) open(t testing.TB) {
	t.Helper()
	s, err := store.Open(filepath.Join(e.dir, store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.store = s
	vault := secrets.NewVault(e.kc, s)
	e.mgr = connections.NewManager(s, e.kc, vault, demo.Network(context.Background(), e.sim))
}

// signedInGDAP creates a GDAP connection to the sim and signs it in.
func (e *env) signedInGDAP(t testing.TB) store.Connection {
	t.Helper()
	ctx := context.Background()
	conn, err := e.mgr.Create(ctx, e.gdapForm())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mgr.SignIn(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	return conn
}

func (e *env) gdapForm() connections.Form {
	info := e.sim.Info()
	return connections.Form{Name: "Partner", Mode: store.ModeGDAP, TenantID: info.PartnerTenantID, ClientID: info.ClientID,
		Secret: info.ClientSecret, RedirectPort: testkit.FreePort(e.t)}
}

func TestGDAPSignInReachesEveryCustomer(t *testing.T) {
	t.Parallel()
	sim := testkit.Sim(t, m365sim.Options{Seed: 11, Tenants: 50, UsersPerTenant: 20, CleanTenants: true, DisableThrottling: true})
	e := newEnv(t, sim)
	ctx := context.Background()
	conn, err := e.mgr.Create(ctx, e.gdapForm())
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.mgr.SignIn(ctx, conn.ID)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if acc.Username != sim.Info().ServiceAccount {
		t.Errorf("signed in as %q, want the GDAP service account %q", acc.Username, sim.Info().ServiceAccount)
	}

	checks, err := e.mgr.Preflight(ctx, conn.ID, nil)
	if err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	if len(checks) != 50 {
		t.Fatalf("preflight saw %d tenants, want 50", len(checks))
	}
	noP1 := 0
	for i, c := range checks {
		cu := customer(sim, c.TenantID)
		if cu.Flags.NoEntraP1 {
			// Sign-in activity needs Entra ID P1: a warning, the rest works.
			noP1++
			if f, ok := findCode(c.Findings, graph.CodeNoP1); !ok || f.Severity != "warning" || c.Works[graph.DataSignIns] {
				t.Errorf("%s without P1: works %v, findings %v; want a no-P1 warning", c.DisplayName, c.Works, c.Findings)
			}
			c.Works[graph.DataSignIns] = true
			checks[i] = c
		}
		if !c.OK() {
			t.Errorf("%s: works %v, findings %v; want every data type", c.DisplayName, c.Works, c.Findings)
		}
	}
	if noP1 == 0 || noP1 == len(checks) {
		t.Errorf("%d of %d tenants lack P1; the sim should mix both", noP1, len(checks))
	}

	// One sign-in, then every data type of every customer.
	conn, _ = e.mgr.Connection(ctx, conn.ID)
	sess, err := e.mgr.Session(conn)
	if err != nil {
		t.Fatal(err)
	}
	stats := &graph.Stats{}
	for _, cu := range sim.Customers() {
		cl, err := e.mgr.GraphClient(conn, sess, cu.ID, stats)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, ctx, cl, cu)
	}
	if err := sess.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// A restart (new store handle, new manager, new session) needs no sign-in.
	e.store.Close()
	e.open(t)
	conn, _ = e.mgr.Connection(ctx, conn.ID)
	sess, err = e.mgr.Session(conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Token(ctx, sim.Customers()[7].ID); err != nil {
		t.Errorf("token after restart: %v (the sealed cache should have carried the sign-in)", err)
	}

	// Neither the secret nor any token is in any file, except as ciphertext.
	token, _ := sess.Token(ctx, sim.Customers()[0].ID)
	e.store.Close()
	assertAbsent(t, e.dir, sim.Info().ClientSecret, token[:40], "refresh_token")
}

func readAll(t *testing.T, ctx context.Context, cl *graph.Client, cu m365sim.TenantInfo) {
	t.Helper()
	dir, err := cl.Organization(ctx)
	if err != nil || dir.DisplayName != cu.DisplayName || len(dir.Domains) == 0 {
		t.Fatalf("%s: Organization = %+v, %v", cu.DisplayName, dir, err)
	}
	n := 0
	if err := cl.Users(ctx, !cu.Flags.NoEntraP1, func(u store.DirectoryUser) error {
		if u.ObjectID == "" || u.UPN == "" {
			t.Errorf("%s: user without id or UPN: %+v", cu.DisplayName, u)
		}
		n++
		return nil
	}); err != nil {
		t.Fatalf("%s: Users: %v", cu.DisplayName, err)
	}
	if n != cu.Users {
		t.Errorf("%s: read %d users, want %d", cu.DisplayName, n, cu.Users)
	}
	lic, err := cl.Licenses(ctx)
	if err != nil || len(lic) == 0 || lic[0].PartNumber == "" {
		t.Errorf("%s: Licenses = %v, %v", cu.DisplayName, lic, err)
	}
	mb, concealed, err := cl.Mailboxes(ctx)
	if err != nil || len(mb) == 0 || concealed {
		t.Errorf("%s: Mailboxes = %d rows, concealed %v, %v", cu.DisplayName, len(mb), concealed, err)
	}
	if err := cl.Devices(ctx, func(store.Device) error { return nil }); err != nil {
		t.Errorf("%s: Devices: %v", cu.DisplayName, err)
	}
	link, err := cl.LatestDeltaLink(ctx)
	if err != nil || link == "" {
		t.Errorf("%s: LatestDeltaLink = %q, %v", cu.DisplayName, link, err)
	}
}

func assertAbsent(t *testing.T, dir string, needles ...string) {
	t.Helper()
	files := 0
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			if n != "" && bytes.Contains(data, []byte(n)) {
				t.Errorf("%s contains %.12q...", filepath.Base(path), n)
			}
		}
		return nil
	})
	if files == 0 {
		t.Fatal("no files to check")
	}
}

// TestFindingsNameTenantAndFix provokes each failure through sim flags and
// checks that its tenant gets the finding with a fix while the others work.
func TestFindingsNameTenantAndFix(t *testing.T) {
	t.Parallel()
	flags := map[int]m365sim.TenantFlags{
		1: {NotConsented: true},
		2: {GDAPExpired: true},
		3: {GDAPMissingRoles: true},
		4: {NoEntraP1: true},
		5: {ConcealedNames: true},
		6: {NoGrants: true},
	}
	sim := testkit.Sim(t, m365sim.Options{Seed: 12, Tenants: 8, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true, TenantFlags: flags})
	e := newEnv(t, sim)
	ctx := context.Background()
	conn := e.signedInGDAP(t)
	checks, err := e.mgr.Preflight(ctx, conn.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]connections.Check{}
	for _, c := range checks {
		byID[c.TenantID] = c
	}
	want := map[int]string{
		1: auth.CodeAppNotPermitted,
		2: graph.CodeGDAPExpired,
		3: graph.CodeGDAPRoles,
		4: graph.CodeNoP1,
		5: graph.CodeConcealedNames,
		6: auth.CodeConsentMissing,
	}
	for i, cu := range sim.Customers() {
		c := byID[cu.ID]
		code, flagged := want[i]
		if !flagged && cu.Flags.NoEntraP1 {
			code, flagged = graph.CodeNoP1, true
		}
		if !flagged {
			if !c.OK() || len(c.Findings) != 0 {
				t.Errorf("%s (no flags): works %v findings %v; want all clean", cu.DisplayName, c.Works, c.Findings)
			}
			continue
		}
		f, ok := findCode(c.Findings, code)
		if !ok {
			t.Errorf("%s: findings %v; want %s", cu.DisplayName, c.Findings, code)
			continue
		}
		if f.Fix == "" || f.Message == "" {
			t.Errorf("%s: finding %s has no message or fix: %+v", cu.DisplayName, code, f)
		}
	}
	// The findings are saved on the tenant records for the UI.
	_ = e.store.View(ctx, func(tx *store.Tx) error {
		tn, err := tx.Tenant(conn.ID, sim.Customers()[1].ID)
		if err != nil || len(tn.Findings) == 0 {
			t.Errorf("tenant record = %+v, %v; want its findings saved", tn, err)
		}
		return nil
	})
}

func customer(sim *m365sim.Server, id string) m365sim.TenantInfo {
	for _, cu := range sim.Customers() {
		if cu.ID == id {
			return cu
		}
	}
	return m365sim.TenantInfo{}
}

func findCode(fs []store.Finding, code string) (store.Finding, bool) {
	for _, f := range fs {
		if f.Code == code {
			return f, true
		}
	}
	return store.Finding{}, false
}

func TestSecretProblems(t *testing.T) {
	t.Parallel()
	sim := testkit.Sim(t, m365sim.Options{Seed: 13, Tenants: 2, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true})
	e := newEnv(t, sim)
	ctx := context.Background()
	f := e.gdapForm()
	f.Mode = store.ModeApp
	conn, err := e.mgr.Create(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flags m365sim.AppFlags
		code  string
	}{
		{m365sim.AppFlags{SecretRotated: true}, auth.CodeBadSecret},
		{m365sim.AppFlags{SecretExpired: true}, auth.CodeSecretExpired},
	}
	for _, tt := range tests {
		sim.Control().SetAppFlags(tt.flags)
		_, err := e.mgr.Preflight(ctx, conn.ID, nil)
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != tt.code || ae.Fix == "" {
			t.Errorf("Preflight with %+v = %v; want %s with a fix", tt.flags, err, tt.code)
		}
		if err != nil && strings.Contains(err.Error(), sim.Info().ClientSecret) {
			t.Errorf("error reveals the secret: %v", err)
		}
	}
	sim.Control().SetAppFlags(m365sim.AppFlags{})
	if checks, err := e.mgr.Preflight(ctx, conn.ID, nil); err != nil || len(checks) != 2 {
		t.Errorf("app connection after the fix = %d checks, %v", len(checks), err)
	}
}

func TestFormValidation(t *testing.T) {
	good := connections.Form{Name: "P", Mode: store.ModeGDAP, TenantID: "contoso.onmicrosoft.com",
		ClientID: "11111111-2222-3333-4444-555555555555", Secret: "abc~def", RedirectPort: 8400}
	if fe := good.Check(false); fe != nil {
		t.Fatalf("Check(good) = %v", fe)
	}
	tests := []struct {
		name  string
		edit  func(*connections.Form)
		field string
	}{
		{"tenant not a GUID or domain", func(f *connections.Form) { f.TenantID = "contoso" }, connections.FieldTenantID},
		{"tenant GUID typo", func(f *connections.Form) { f.TenantID = "1111111-2222-3333-4444-555555555555" }, connections.FieldTenantID},
		{"client id not a GUID", func(f *connections.Form) { f.ClientID = "my-app" }, connections.FieldClientID},
		{"secret empty", func(f *connections.Form) { f.Secret = "" }, connections.FieldSecret},
		{"secret is the secret's ID", func(f *connections.Form) { f.Secret = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" }, connections.FieldSecret},
		{"port too low", func(f *connections.Form) { f.RedirectPort = 80 }, connections.FieldRedirectPort},
		{"no name", func(f *connections.Form) { f.Name = " " }, connections.FieldName},
	}
	for _, tt := range tests {
		f := good
		tt.edit(&f)
		fe := f.Check(false)
		if fe[tt.field] == "" {
			t.Errorf("%s: Check = %v, want an error on %s", tt.name, fe, tt.field)
		}
	}
	// Bad input changes nothing.
	secrets.MockInit()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kc := secrets.NewKeychain("tenantsync-test")
	mgr := connections.NewManager(s, kc, secrets.NewVault(kc, s), connections.Network{})
	bad := good
	bad.ClientID = "nope"
	if _, err := mgr.Create(context.Background(), bad); err == nil {
		t.Fatal("Create(bad form) succeeded")
	}
	if info, _ := s.Info(context.Background()); info.Connections != 0 {
		t.Errorf("a refused form left %d connections", info.Connections)
	}
}

// TestEditAndDisconnect: editing credentials keeps or replaces the secret;
// disconnecting removes secret, sign-in and synced records and says what
// remains on Microsoft's side.
func TestEditAndDisconnect(t *testing.T) {
	t.Parallel()
	sim := testkit.Sim(t, m365sim.Options{Seed: 14, Tenants: 2, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true})
	e := newEnv(t, sim)
	ctx := context.Background()
	conn := e.signedInGDAP(t)
	if _, err := e.mgr.Preflight(ctx, conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	// An empty secret on edit keeps the stored one; the sign-in stays.
	f := e.gdapForm()
	f.Name, f.Secret = "Renamed", ""
	edited, err := e.mgr.UpdateCredentials(ctx, conn.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.kc.Get(conn.SecretRef); got != sim.Info().ClientSecret || edited.Name != "Renamed" || edited.Account == "" {
		t.Errorf("after edit: secret kept %v, name %q, account %q", got == sim.Info().ClientSecret, edited.Name, edited.Account)
	}
	// A bad form changes nothing.
	f.ClientID = "not-a-guid"
	if _, err := e.mgr.UpdateCredentials(ctx, conn.ID, f); err == nil {
		t.Error("UpdateCredentials accepted a bad application id")
	}
	msg, err := e.mgr.Disconnect(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "Entra admin center") {
		t.Errorf("Disconnect says %q; want what remains to do on Microsoft's side", msg)
	}
	if _, err := e.kc.Get(conn.SecretRef); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("secret after disconnect: %v, want gone", err)
	}
	if _, err := e.store.Blob(ctx, auth.CacheBlobName(conn.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token cache after disconnect: %v, want gone", err)
	}
	if info, _ := e.store.Info(ctx); info.Connections != 0 || info.Tenants != 0 {
		t.Errorf("after disconnect: %d connections, %d tenants; want none", info.Connections, info.Tenants)
	}
}

// TestPermissionMissingAndThrottled provokes the two findings that no tenant
// flag gives: an app permission missing from the token, and a tenant that
// stays throttled after the SDK's retries.
func TestPermissionMissingAndThrottled(t *testing.T) {
	t.Parallel()
	var perms []string
	for _, p := range m365sim.DefaultPermissions {
		if p != "DeviceManagementManagedDevices.Read.All" {
			perms = append(perms, p)
		}
	}
	sim := testkit.Sim(t, m365sim.Options{Seed: 15, Tenants: 3, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true, Permissions: perms})
	e := newEnv(t, sim)
	ctx := context.Background()
	conn := e.signedInGDAP(t)
	checks, err := e.mgr.Preflight(ctx, conn.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		f, ok := findCode(c.Findings, graph.CodePermissionMissing)
		if !ok || !strings.Contains(f.Message, "DeviceManagementManagedDevices.Read.All") || f.Fix == "" || c.Works[graph.DataDevices] {
			t.Errorf("%s: works %v findings %v; want devices refused for the missing permission, with a fix", c.DisplayName, c.Works, c.Findings)
		}
		if !c.Works[graph.DataContacts] {
			t.Errorf("%s: contacts should still work without the Intune permission", c.DisplayName)
		}
	}

	// Every Graph answer a 429: the SDK retries, honouring Retry-After, then
	// the read fails with a throttling finding.
	hot := testkit.Sim(t, m365sim.Options{Seed: 16, Tenants: 1, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true,
		Rate429: 1, RetryAfterMin: 10 * time.Millisecond, RetryAfterMax: 20 * time.Millisecond})
	he := newEnv(t, hot)
	f := he.gdapForm()
	f.Mode = store.ModeApp
	hc, err := he.mgr.Create(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := he.mgr.Session(hc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := he.mgr.GraphClient(hc, sess, hot.Customers()[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Licenses(ctx)
	if err == nil {
		t.Fatal("a tenant answering only 429 was read")
	}
	fd := graph.Finding(err, graph.DataLicenses)
	if fd.Code != graph.CodeThrottled || fd.Fix == "" {
		t.Errorf("finding for a throttled tenant = %+v, want %s with a fix", fd, graph.CodeThrottled)
	}
	if n := cl.Stats().Throttled.Load(); n < 2 {
		t.Errorf("%d throttled answers seen: the SDK did not retry", n)
	}
}

// The manager keeps a connection's MSAL session between runs, but never
// past a change of credentials: a new secret is used at once.
func TestNewSecretIsUsedAtOnce(t *testing.T) {
	t.Parallel()
	sim := testkit.Sim(t, m365sim.Options{Seed: 17, Tenants: 2, UsersPerTenant: 5, CleanTenants: true, DisableThrottling: true,
		TokenLifetime: time.Minute}) // MSAL refreshes tokens that expire within 5 minutes: every check asks anew
	e := newEnv(t, sim)
	ctx := context.Background()
	conn := e.signedInGDAP(t)
	if _, err := e.mgr.Preflight(ctx, conn.ID, nil); err != nil {
		t.Fatalf("preflight with the right secret: %v", err)
	}
	f := e.gdapForm()
	f.Secret = "Wr0ng~SecretValue.NotTheApps1234567890"
	if _, err := e.mgr.UpdateCredentials(ctx, conn.ID, f); err != nil {
		t.Fatal(err)
	}
	_, err := e.mgr.Preflight(ctx, conn.ID, nil)
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.CodeBadSecret {
		t.Fatalf("preflight after saving a wrong secret = %v; want %s: the old session was kept", err, auth.CodeBadSecret)
	}
	f.Secret = sim.Info().ClientSecret
	if _, err := e.mgr.UpdateCredentials(ctx, conn.ID, f); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mgr.Preflight(ctx, conn.ID, nil); err != nil {
		t.Errorf("preflight after restoring the secret: %v", err)
	}
}
