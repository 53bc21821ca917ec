package m365sim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/tenantsync/tenantsync/core/graph"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantsync/tenantsync/core/m365sim"
)

var graphScopes = []string{"https://graph.microsoft.com/.default"}

func startSim(t *testing.T, opt m365sim.Options) *m365sim.Server {
	t.Helper()
	opt.Dir = t.TempDir()
	if opt.Logf == nil {
		opt.Logf = t.Logf
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := m365sim.Start(ctx, opt)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

func authority(srv *m365sim.Server, tenant string) string {
	return "https://" + srv.Info().AuthorityHost + "/" + tenant
}

func confidentialClient(t *testing.T, srv *m365sim.Server, secret string) confidential.Client {
	t.Helper()
	info := srv.Info()
	cred, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := confidential.New(authority(srv, info.PartnerTenantID), info.ClientID, cred,
		confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatalf("confidential.New: %v", err)
	}
	return c
}

// tokenFunc adapts any MSAL call to kiota's AccessTokenProvider.
type tokenFunc func(ctx context.Context) (string, error)

func (f tokenFunc) GetAuthorizationToken(ctx context.Context, _ *url.URL, _ map[string]any) (string, error) {
	return f(ctx)
}

func (f tokenFunc) GetAllowedHostsValidator() *absauth.AllowedHostsValidator {
	return &absauth.AllowedHostsValidator{} // empty: every host
}

// graphFor builds the real SDK client with its default middleware (retry,
// redirect, compression ...) over a transport trusting the sim's CA.
func graphFor(t *testing.T, srv *m365sim.Server, tok tokenFunc) (*msgraph.GraphServiceClient, *msgraph.GraphRequestAdapter) {
	t.Helper()
	opts := msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"}
	mw := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(srv.Transport(), mw...), Timeout: 2 * time.Minute}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		absauth.NewBaseBearerTokenAuthenticationProvider(tok), nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(srv.Info().GraphBase)
	return graph.ServiceClient(adapter), adapter
}

func appGraph(t *testing.T, srv *m365sim.Server, tenantID string) (*msgraph.GraphServiceClient, *msgraph.GraphRequestAdapter) {
	cca := confidentialClient(t, srv, srv.Info().ClientSecret)
	return graphFor(t, srv, func(ctx context.Context) (string, error) {
		r, err := cca.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(tenantID))
		return r.AccessToken, err
	})
}

func ptr[T any](v T) *T { return &v }

type tenantKey struct{}

func TestClientCredentialsPerTenant(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 1, Tenants: 4, CleanTenants: true})
	ctx := t.Context()
	cca := confidentialClient(t, srv, srv.Info().ClientSecret)
	for _, c := range srv.Customers() {
		r, err := cca.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(c.ID))
		if err != nil {
			t.Fatalf("AcquireTokenByCredential(%s): %v", c.DisplayName, err)
		}
		again, err := cca.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(c.ID))
		if err != nil || again.AccessToken != r.AccessToken {
			t.Fatalf("second AcquireTokenByCredential was not served from MSAL's cache: %v", err)
		}
		g, _ := graphFor(t, srv, func(context.Context) (string, error) { return r.AccessToken, nil })
		org, err := g.Organization().Get(ctx, nil)
		if err != nil {
			t.Fatalf("GET /organization in %s: %v", c.DisplayName, err)
		}
		if got := *org.GetValue()[0].GetDisplayName(); got != c.DisplayName {
			t.Errorf("organization displayName = %q, want %q", got, c.DisplayName)
		}
	}
	tokenCalls := 0
	for _, ct := range srv.Control().Counters() {
		if ct.Endpoint == "POST /{tenant}/oauth2/v2.0/token" {
			tokenCalls += ct.Requests
		}
	}
	if tokenCalls != 4 {
		t.Errorf("token endpoint calls = %d, want 4 (one per tenant, then cached)", tokenCalls)
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 2, Tenants: 2, CleanTenants: true,
		TenantFlags: map[int]m365sim.TenantFlags{1: {NotConsented: true}}})
	ctx := t.Context()
	cs := srv.Customers()
	wrong := confidentialClient(t, srv, "not-the-secret")
	_, err := wrong.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(cs[0].ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: err = %v, want AADSTS7000215", err)
	}
	good := confidentialClient(t, srv, srv.Info().ClientSecret)
	_, err = good.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(cs[1].ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Errorf("not consented: err = %v, want AADSTS700016", err)
	}
	srv.Control().SetAppFlags(m365sim.AppFlags{SecretExpired: true})
	_, err = good.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(cs[0].ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000222") {
		t.Errorf("expired secret: err = %v, want AADSTS7000222", err)
	}
	_, err = good.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID("nosuchtenant.example"))
	if err == nil || !strings.Contains(err.Error(), "AADSTS90002") {
		t.Errorf("unknown tenant: err = %v, want AADSTS90002", err)
	}
}

// TestInteractiveAndCrossTenantRefresh signs the partner's service account in
// with the confidential client's loopback flow, then redeems its refresh token
// silently at every customer's authority.
func TestInteractiveAndCrossTenantRefresh(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 3, Tenants: 6, CleanTenants: true, TenantFlags: map[int]m365sim.TenantFlags{
		4: {GDAPExpired: true}, 5: {NotConsented: true}}})
	ctx := t.Context()
	info := srv.Info()
	pca, res := interactive(t, srv)
	if res.Account.PreferredUsername != info.ServiceAccount {
		t.Errorf("signed in as %q, want %q", res.Account.PreferredUsername, info.ServiceAccount)
	}
	if res.IDToken.TenantID != info.PartnerTenantID {
		t.Errorf("id token tid = %q, want partner %q", res.IDToken.TenantID, info.PartnerTenantID)
	}
	// The partner token reads the GDAP customer list.
	g, _ := graphFor(t, srv, func(context.Context) (string, error) { return res.AccessToken, nil })
	cust, err := g.TenantRelationships().DelegatedAdminCustomers().Get(ctx, nil)
	if err != nil {
		t.Fatalf("delegatedAdminCustomers: %v", err)
	}
	if len(cust.GetValue()) != 6 {
		t.Errorf("delegatedAdminCustomers = %d, want 6", len(cust.GetValue()))
	}
	cs := srv.Customers()
	for _, i := range []int{0, 1, 2, 4, 5, 3} {
		c := cs[i]
		if i == 3 {
			// A revoked refresh token fails the next redemption.
			srv.Control().RevokeRefreshTokens("")
		}
		r, err := pca.AcquireTokenSilent(ctx, graphScopes, confidential.WithSilentAccount(res.Account), confidential.WithTenantID(c.ID))
		switch i {
		case 3:
			if err == nil || !strings.Contains(err.Error(), "AADSTS50173") {
				t.Errorf("revoked refresh token: err = %v, want AADSTS50173", err)
			}
			continue
		case 4:
			if err == nil || !strings.Contains(err.Error(), "AADSTS50020") {
				t.Errorf("expired GDAP %s: err = %v, want AADSTS50020", c.DisplayName, err)
			}
			continue
		case 5:
			// The customer never received the app's service principal.
			if err == nil || !strings.Contains(err.Error(), "AADSTS90099") {
				t.Errorf("not consented %s: err = %v, want AADSTS90099", c.DisplayName, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("AcquireTokenSilent(%s): %v", c.DisplayName, err)
		}
		if r.IDToken.TenantID != c.ID {
			t.Errorf("%s: id token tid = %q, want %q", c.DisplayName, r.IDToken.TenantID, c.ID)
		}
		cg, _ := graphFor(t, srv, func(context.Context) (string, error) { return r.AccessToken, nil })
		org, err := cg.Organization().Get(ctx, nil)
		if err != nil {
			t.Fatalf("organization in %s: %v", c.DisplayName, err)
		}
		if got := *org.GetValue()[0].GetId(); got != c.ID {
			t.Errorf("organization id = %s, want %s (Graph must pick the tenant from tid)", got, c.ID)
		}
	}
}

// TestConfidentialAuthCode drives AuthCodeURL + AcquireTokenByAuthCode, the
// web-app form of the authorization code flow, with a PKCE challenge.
func TestConfidentialAuthCode(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 4, Tenants: 2, CleanTenants: true})
	ctx := t.Context()
	info := srv.Info()
	codes := make(chan string, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query().Get("code"):
		default:
		}
		fmt.Fprint(w, "ok")
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	redirect := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)

	cca := confidentialClient(t, srv, info.ClientSecret)
	verifier := "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	u, err := cca.AuthCodeURL(ctx, info.ClientID, redirect, graphScopes)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	u += "&code_challenge=" + challenge + "&code_challenge_method=S256"
	if err := srv.CompleteSignIn(ctx, u); err != nil {
		t.Fatalf("CompleteSignIn: %v", err)
	}
	var code string
	select {
	case code = <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("no code delivered to the redirect URI")
	}
	if _, err := cca.AcquireTokenByAuthCode(ctx, code, redirect, graphScopes, confidential.WithChallenge("wrong-verifier")); err == nil || !strings.Contains(err.Error(), "AADSTS501481") {
		// The code is spent by the failed attempt, as Entra does.
		t.Fatalf("wrong PKCE verifier: err = %v, want AADSTS501481", err)
	}
	if err := srv.CompleteSignIn(ctx, u); err != nil {
		t.Fatal(err)
	}
	code = <-codes
	r, err := cca.AcquireTokenByAuthCode(ctx, code, redirect, graphScopes, confidential.WithChallenge(verifier))
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCode: %v", err)
	}
	if r.Account.PreferredUsername != info.ServiceAccount {
		t.Errorf("account = %q, want %q", r.Account.PreferredUsername, info.ServiceAccount)
	}
	c := srv.Customers()[1]
	silent, err := cca.AcquireTokenSilent(ctx, graphScopes, confidential.WithSilentAccount(r.Account), confidential.WithTenantID(c.ID))
	if err != nil {
		t.Fatalf("AcquireTokenSilent into %s: %v", c.DisplayName, err)
	}
	if silent.IDToken.TenantID != c.ID {
		t.Errorf("silent token tid = %s, want %s", silent.IDToken.TenantID, c.ID)
	}
	_, err = cca.AcquireTokenByAuthCode(ctx, code, redirect, graphScopes, confidential.WithChallenge(verifier))
	if err == nil || !strings.Contains(err.Error(), "AADSTS54005") {
		t.Errorf("reused code: err = %v, want AADSTS54005", err)
	}
}

func TestPageIterator2500Users(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 5, TenantSizes: []int{2500}, CleanTenants: true})
	ctx := t.Context()
	c := srv.Customers()[0]
	g, adapter := appGraph(t, srv, c.ID)
	resp, err := g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
		Top: ptr(int32(999)), Select: []string{"id", "displayName", "userPrincipalName", "mail", "proxyAddresses", "accountEnabled", "userType", "assignedLicenses"}}})
	if err != nil {
		t.Fatalf("GET /users: %v", err)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](resp, adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	upns := map[string]bool{}
	guests, disabled := 0, 0
	err = it.Iterate(ctx, func(u models.Userable) bool {
		seen[*u.GetId()] = true
		upns[strings.ToLower(*u.GetUserPrincipalName())] = true
		if *u.GetUserType() == "Guest" {
			guests++
			if !strings.Contains(*u.GetUserPrincipalName(), "#EXT#@") {
				t.Errorf("guest UPN %q has no #EXT#", *u.GetUserPrincipalName())
			}
		}
		if !*u.GetAccountEnabled() {
			disabled++
		}
		return true
	})
	if err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	if len(seen) != 2500 || len(upns) != 2500 {
		t.Errorf("iterated %d ids / %d UPNs, want 2500 unique", len(seen), len(upns))
	}
	if guests == 0 || disabled == 0 {
		t.Errorf("guests = %d, disabled = %d; want some of each", guests, disabled)
	}
	var pages int
	for _, ct := range srv.Control().Counters() {
		if ct.Endpoint == "GET /users" {
			pages += ct.Requests
		}
	}
	if pages != 3 {
		t.Errorf("GET /users requests = %d, want 3 pages of 999", pages)
	}
}

func TestTopOutOfRange(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 5, Tenants: 1, CleanTenants: true})
	g, _ := appGraph(t, srv, srv.Customers()[0].ID)
	_, err := g.Users().Get(t.Context(), &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(1000))}})
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 400 {
		t.Fatalf("$top=1000: err = %v, want a 400 ODataError", err)
	}
}

func deltaAll(t *testing.T, ctx context.Context, g *msgraph.GraphServiceClient, adapter *msgraph.GraphRequestAdapter, link string) ([]models.Userable, string) {
	t.Helper()
	var all []models.Userable
	var resp users.DeltaGetResponseable
	var err error
	if link == "" {
		resp, err = g.Users().Delta().GetAsDeltaGetResponse(ctx, &users.DeltaRequestBuilderGetRequestConfiguration{QueryParameters: &users.DeltaRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "givenName", "surname", "userPrincipalName", "mail", "accountEnabled", "assignedLicenses"}}})
	} else {
		resp, err = users.NewDeltaRequestBuilder(link, adapter).GetAsDeltaGetResponse(ctx, nil)
	}
	for {
		if err != nil {
			t.Fatalf("delta: %v", err)
		}
		all = append(all, resp.GetValue()...)
		if n := resp.GetOdataNextLink(); n != nil {
			resp, err = users.NewDeltaRequestBuilder(*n, adapter).GetAsDeltaGetResponse(ctx, nil)
			continue
		}
		return all, *resp.GetOdataDeltaLink()
	}
}

func TestDeltaShowsExactlyTheChanges(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 6, TenantSizes: []int{450}, CleanTenants: true})
	ctx := t.Context()
	c := srv.Customers()[0]
	g, adapter := appGraph(t, srv, c.ID)
	initial, link := deltaAll(t, ctx, g, adapter, "")
	if len(initial) != 450 {
		t.Fatalf("initial delta round = %d users, want 450", len(initial))
	}
	ctl := srv.Control()
	all, _ := ctl.Users(c.ID)
	var members []m365sim.User
	for _, u := range all {
		if u.Kind == "member" && u.Surname != "" && len(u.Licenses) > 0 && u.AccountEnabled {
			members = append(members, u)
		}
	}
	added, err := ctl.AddUser(c.ID, m365sim.UserSpec{GivenName: "Zoë", Surname: "Ångström", Licenses: []string{"FLOW_FREE"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.RenameUser(c.ID, members[0].ID, "Renée", "Müller-Lüdenscheidt"); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.DisableUser(c.ID, members[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := ctl.DeleteUser(c.ID, members[2].ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.SetLicenses(c.ID, members[3].ID, nil); err != nil {
		t.Fatal(err)
	}
	changes, link2 := deltaAll(t, ctx, g, adapter, link)
	got := map[string]models.Userable{}
	for _, u := range changes {
		got[*u.GetId()] = u
	}
	if len(changes) != 5 || len(got) != 5 {
		t.Fatalf("delta after 5 changes returned %d items", len(changes))
	}
	if u := got[added.ID]; u == nil || *u.GetDisplayName() != "Zoë Ångström" || *u.GetUserPrincipalName() != added.UPN {
		t.Errorf("added user missing or incomplete: %+v", u)
	}
	if u := got[members[0].ID]; u == nil || *u.GetSurname() != "Müller-Lüdenscheidt" || *u.GetDisplayName() != "Renée Müller-Lüdenscheidt" || u.GetUserPrincipalName() != nil {
		t.Errorf("renamed user should carry the changed names only")
	}
	if u := got[members[1].ID]; u == nil || u.GetAccountEnabled() == nil || *u.GetAccountEnabled() {
		t.Errorf("disabled user should carry accountEnabled=false")
	}
	if u := got[members[2].ID]; u == nil || u.GetAdditionalData()["@removed"] == nil {
		t.Errorf("deleted user should come as @removed")
	} else if rm, ok := u.GetAdditionalData()["@removed"].(map[string]any); !ok {
		t.Errorf("@removed = %T, want an object", u.GetAdditionalData()["@removed"])
	} else if r, _ := rm["reason"].(*string); r == nil || *r != "changed" {
		t.Errorf("@removed reason = %v, want changed", rm["reason"])
	}
	if u := got[members[3].ID]; u == nil || len(u.GetAssignedLicenses()) != 0 || u.GetDisplayName() != nil {
		t.Errorf("unlicensed user should carry only an empty assignedLicenses")
	}
	// Nothing changed since: an empty round.
	again, _ := deltaAll(t, ctx, g, adapter, link2)
	if len(again) != 0 {
		t.Errorf("delta with no changes returned %d items", len(again))
	}
	// Expired tokens answer 410 Gone.
	if err := ctl.ExpireDeltaTokens(c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = users.NewDeltaRequestBuilder(link2, adapter).GetAsDeltaGetResponse(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 410 || *oe.GetErrorEscaped().GetCode() != "syncStateNotFound" {
		t.Errorf("expired delta link: err = %v, want 410 syncStateNotFound", err)
	}
}

var hex32 = regexp.MustCompile(`^[0-9A-F]{32}$`)

func TestMailboxReportCSV(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 7, Tenants: 2, UsersPerTenant: 40, CleanTenants: true,
		TenantFlags: map[int]m365sim.TenantFlags{1: {ConcealedNames: true}}})
	ctx := t.Context()
	for i, c := range srv.Customers() {
		g, _ := appGraph(t, srv, c.ID)
		data, err := g.Reports().GetMailboxUsageDetailWithPeriod(ptr("D7")).Get(ctx, nil)
		if err != nil {
			t.Fatalf("getMailboxUsageDetail: %v", err)
		}
		data = bytes.TrimPrefix(data, []byte("\ufeff"))
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("report is not CSV: %v", err)
		}
		if len(rows) < 5 || rows[0][0] != "Report Refresh Date" || rows[0][1] != "User Principal Name" || len(rows[0]) != 18 || rows[0][17] != "Report Period" {
			t.Fatalf("report header = %q (%d rows)", rows[0], len(rows))
		}
		upn := rows[1][1]
		if concealed := hex32.MatchString(upn); concealed != (i == 1) {
			t.Errorf("tenant %d: UPN %q concealed = %v", i, upn, concealed)
		}
		rs, err := g.Admin().ReportSettings().Get(ctx, nil)
		if err != nil {
			t.Fatalf("reportSettings: %v", err)
		}
		if *rs.GetDisplayConcealedNames() != (i == 1) {
			t.Errorf("tenant %d: displayConcealedNames = %v", i, *rs.GetDisplayConcealedNames())
		}
	}
}

func TestBatchOf20(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 8, Tenants: 1, UsersPerTenant: 60, CleanTenants: true})
	ctx := t.Context()
	g, adapter := appGraph(t, srv, srv.Customers()[0].ID)
	// NewBatchRequest holds up to 20 items; BatchRequestCollection would
	// split them in chunks of 19.
	batch := msgraphcore.NewBatchRequest(adapter)
	var ids []string
	for i := 0; i < 20; i++ {
		var ri interface{ GetId() *string }
		var err error
		switch i % 4 {
		case 0:
			info, e := g.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(5)), Select: []string{"id", "displayName"}}})
			err = e
			if e == nil {
				ri, err = batch.AddBatchRequestStep(*info)
			}
		case 1:
			info, e := g.Organization().ToGetRequestInformation(ctx, nil)
			err = e
			if e == nil {
				ri, err = batch.AddBatchRequestStep(*info)
			}
		case 2:
			info, e := g.SubscribedSkus().ToGetRequestInformation(ctx, nil)
			err = e
			if e == nil {
				ri, err = batch.AddBatchRequestStep(*info)
			}
		case 3:
			info, e := g.Domains().ToGetRequestInformation(ctx, nil)
			err = e
			if e == nil {
				ri, err = batch.AddBatchRequestStep(*info)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *ri.GetId())
	}
	resp, err := batch.Send(ctx, adapter)
	if err != nil {
		t.Fatalf("batch Send: %v", err)
	}
	codes := resp.GetStatusCodes()
	if len(codes) != 20 {
		t.Fatalf("batch answered %d items, want 20", len(codes))
	}
	for _, id := range ids {
		if codes[id] != 200 {
			t.Errorf("item %s status %d", id, codes[id])
		}
	}
	skus, err := msgraphcore.GetBatchResponseById[models.SubscribedSkuCollectionResponseable](resp, ids[2], models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue)
	if err != nil || len(skus.GetValue()) == 0 {
		t.Errorf("subscribedSkus item: %v", err)
	}
	batches := 0
	for _, ct := range srv.Control().Counters() {
		if ct.Endpoint == "POST /$batch" {
			batches += ct.Requests
		}
	}
	if batches != 1 {
		t.Errorf("$batch requests = %d, want 1", batches)
	}
}

func TestForbiddenSurfacesAsODataError(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 9, Tenants: 1, CleanTenants: true, TenantFlags: map[int]m365sim.TenantFlags{0: {NoEntraP1: true}}})
	g, _ := appGraph(t, srv, srv.Customers()[0].ID)
	_, err := g.Users().Get(t.Context(), &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
		Select: []string{"id", "signInActivity"}}})
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v (%T), want *odataerrors.ODataError", err, err)
	}
	if oe.ResponseStatusCode != 403 || *oe.GetErrorEscaped().GetCode() != "Authentication_RequestFromNonPremiumTenantOrB2CTenant" ||
		*oe.GetErrorEscaped().GetMessage() != "Neither tenant is B2C or tenant doesn't have premium license" {
		t.Errorf("error = %d %q %q", oe.ResponseStatusCode, *oe.GetErrorEscaped().GetCode(), *oe.GetErrorEscaped().GetMessage())
	}
}

func TestSDKRetriesHonourRetryAfter(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 10, Tenants: 1, CleanTenants: true, Rate429: 0.4, RetryAfterMin: time.Second, RetryAfterMax: time.Second})
	ctx := t.Context()
	g, _ := appGraph(t, srv, srv.Customers()[0].ID)
	for _, top := range []int32{1, 2, 3} {
		r, err := g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(top)}})
		if err != nil {
			t.Fatalf("GET /users?$top=%d: %v (the retry handler should have absorbed the 429s)", top, err)
		}
		if len(r.GetValue()) != int(top) {
			t.Errorf("$top=%d returned %d", top, len(r.GetValue()))
		}
	}
	throttled := 0
	for _, ct := range srv.Control().Counters() {
		throttled += ct.Throttled
	}
	if throttled == 0 {
		t.Fatal("no 429 was served; the seed should produce some at rate 0.4")
	}
	if early := srv.Control().EarlyRetries(); early != 0 {
		t.Errorf("%d of %d retries came before their Retry-After (1 s)", early, throttled)
	}
}

// TestLargeSimFullRead starts 300 tenants of ~200 users and reads every one.
func TestLargeSimFullRead(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("reads 300 tenants")
	}
	start := time.Now()
	srv := startSim(t, m365sim.Options{Seed: 11, Tenants: 300, UsersPerTenant: 200, Logf: func(string, ...any) {}})
	cca := confidentialClient(t, srv, srv.Info().ClientSecret)
	// One SDK client for every tenant: the token provider picks the tenant
	// from the request's context. (Creating GraphServiceClients while other
	// goroutines parse responses is a data race inside msgraph-sdk-go: the
	// constructor writes a package-level backing-store factory.)
	g, adapter := graphFor(t, srv, func(ctx context.Context) (string, error) {
		r, err := cca.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(ctx.Value(tenantKey{}).(string)))
		return r.AccessToken, err
	})
	var mu sync.Mutex
	total, failed := 0, 0
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, c := range srv.Customers() {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx := context.WithValue(t.Context(), tenantKey{}, c.ID)
			if c.Flags.NotConsented {
				_, err := cca.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(c.ID))
				if err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
					t.Errorf("not consented %s: %v", c.DisplayName, err)
				}
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			resp, err := g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
				Top: ptr(int32(999)), Select: []string{"id", "displayName", "mail", "userPrincipalName", "accountEnabled"}}})
			if err != nil {
				t.Errorf("users of %s: %v", c.DisplayName, err)
				return
			}
			n := 0
			it, _ := msgraphcore.NewPageIterator[models.Userable](resp, adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
			if err := it.Iterate(ctx, func(models.Userable) bool { n++; return true }); err != nil {
				t.Errorf("users of %s: %v", c.DisplayName, err)
			}
			if n != c.Users {
				t.Errorf("%s: read %d users, want %d", c.DisplayName, n, c.Users)
			}
			if _, err := g.SubscribedSkus().Get(ctx, nil); err != nil {
				t.Errorf("skus of %s: %v", c.DisplayName, err)
			}
			if _, err := g.Domains().Get(ctx, nil); err != nil {
				t.Errorf("domains of %s: %v", c.DisplayName, err)
			}
			if _, err := g.Organization().Get(ctx, nil); err != nil {
				t.Errorf("organization of %s: %v", c.DisplayName, err)
			}
			if _, err := g.DeviceManagement().ManagedDevices().Get(ctx, nil); err != nil {
				t.Errorf("devices of %s: %v", c.DisplayName, err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("read %d users from %d tenants (%d not consented) in %v", total, len(srv.Customers())-failed, failed, time.Since(start))
}

// interactive signs the partner's GDAP service account in as tenantsync
// does: the confidential client's authorization code flow with PKCE, the
// code delivered to a loopback redirect registered under Web.
func interactive(t *testing.T, srv *m365sim.Server) (confidential.Client, confidential.AuthResult) {
	t.Helper()
	cca := confidentialClient(t, srv, srv.Info().ClientSecret)
	return cca, signInWeb(t, srv, cca, "")
}

// signInWeb runs one authorization code sign-in of cca (login hint
// optional) through a loopback listener and returns its result.
func signInWeb(t *testing.T, srv *m365sim.Server, cca confidential.Client, loginHint string) confidential.AuthResult {
	t.Helper()
	res, err := trySignInWeb(t, srv, cca, srv.Info().ClientID, loginHint)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return res
}

func trySignInWeb(t *testing.T, srv *m365sim.Server, cca confidential.Client, clientID, loginHint string) (confidential.AuthResult, error) {
	t.Helper()
	ctx := t.Context()
	codes := make(chan string, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		answer := r.Form.Get("code")
		if answer == "" {
			answer = "error: " + r.Form.Get("error_description")
		}
		select {
		case codes <- answer:
		default:
		}
		fmt.Fprint(w, "ok")
	})}
	go hs.Serve(ln)
	defer hs.Close()
	redirect := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	verifier := "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8"
	sum := sha256.Sum256([]byte(verifier))
	var opts []confidential.AuthCodeURLOption
	if loginHint != "" {
		opts = append(opts, confidential.WithLoginHint(loginHint))
	}
	u, err := cca.AuthCodeURL(ctx, clientID, redirect, graphScopes, opts...)
	if err != nil {
		return confidential.AuthResult{}, err
	}
	u += "&code_challenge=" + base64.RawURLEncoding.EncodeToString(sum[:]) + "&code_challenge_method=S256"
	if err := srv.CompleteSignIn(ctx, u); err != nil {
		return confidential.AuthResult{}, err
	}
	code := <-codes
	if msg, failed := strings.CutPrefix(code, "error: "); failed {
		return confidential.AuthResult{}, errors.New(msg)
	}
	return cca.AcquireTokenByAuthCode(ctx, code, redirect, graphScopes, confidential.WithChallenge(verifier))
}

func TestGDAPMissingRoles(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 12, Tenants: 1, CleanTenants: true, TenantFlags: map[int]m365sim.TenantFlags{0: {GDAPMissingRoles: true}}})
	ctx := t.Context()
	pca, res := interactive(t, srv)
	c := srv.Customers()[0]
	g, _ := graphFor(t, srv, func(ctx context.Context) (string, error) {
		r, err := pca.AcquireTokenSilent(ctx, graphScopes, confidential.WithSilentAccount(res.Account), confidential.WithTenantID(c.ID))
		return r.AccessToken, err
	})
	if _, err := g.Users().Get(ctx, nil); err != nil {
		t.Fatalf("Directory Readers should read users: %v", err)
	}
	rels, err := func() (models.DelegatedAdminRelationshipCollectionResponseable, error) {
		pg, _ := graphFor(t, srv, func(context.Context) (string, error) { return res.AccessToken, nil })
		return pg.TenantRelationships().DelegatedAdminRelationships().Get(ctx, nil)
	}()
	if err != nil || len(rels.GetValue()) != 1 || len(rels.GetValue()[0].GetAccessDetails().GetUnifiedRoles()) != 1 {
		t.Fatalf("delegatedAdminRelationships should list one relationship with one role: %v", err)
	}
	_, err = g.Reports().GetMailboxUsageDetailWithPeriod(ptr("D7")).Get(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 {
		t.Errorf("reports without Reports Reader: err = %v, want 403", err)
	}
	_, err = g.DeviceManagement().ManagedDevices().Get(ctx, nil)
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 {
		t.Errorf("devices without Intune role: err = %v, want 403", err)
	}
}

func TestBatchItemsThrottledIndividually(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 13, Tenants: 1, CleanTenants: true, Rate429: 0.5, RetryAfterMin: 2 * time.Second, RetryAfterMax: 2 * time.Second})
	ctx := t.Context()
	g, adapter := appGraph(t, srv, srv.Customers()[0].ID)
	batch := msgraphcore.NewBatchRequest(adapter)
	for i := 1; i <= 20; i++ {
		info, err := g.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(i))}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := batch.AddBatchRequestStep(*info); err != nil {
			t.Fatal(err)
		}
	}
	// The $batch POST itself is never faulted, only its items.
	resp, err := batch.Send(ctx, adapter)
	if err != nil {
		t.Fatalf("batch Send: %v", err)
	}
	ok, throttled := 0, 0
	for _, it := range resp.GetResponses() {
		switch *it.GetStatus() {
		case 200:
			ok++
		case 429:
			throttled++
			if it.GetHeaders()["Retry-After"] != "2" {
				t.Errorf("429 item headers = %v, want Retry-After 2", it.GetHeaders())
			}
		default:
			t.Errorf("item status %d", *it.GetStatus())
		}
	}
	if ok == 0 || throttled == 0 {
		t.Errorf("items ok = %d, throttled = %d; want both", ok, throttled)
	}
}

func TestDocumentedBudgetAnswers429(t *testing.T) {
	t.Parallel()
	// Scale 0.002: a small tenant holds 7 resource units per 10 s.
	srv := startSim(t, m365sim.Options{Seed: 14, Tenants: 1, UsersPerTenant: 10, CleanTenants: true, ThrottleScale: 0.002})
	ctx := t.Context()
	c := srv.Customers()[0]
	cca := confidentialClient(t, srv, srv.Info().ClientSecret)
	tok, err := cca.AcquireTokenByCredential(ctx, graphScopes, confidential.WithTenantID(c.ID))
	if err != nil {
		t.Fatal(err)
	}
	hc := srv.HTTPClient()
	var last *http.Response
	for i := 0; i < 4; i++ { // GET /users costs 2: three fit, the fourth does not
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.Info().GraphBase+"/users", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		last, err = hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		last.Body.Close()
		if i < 3 && last.StatusCode != 200 {
			t.Fatalf("request %d: %s", i, last.Status)
		}
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" || !strings.HasPrefix(last.Header.Get("x-ms-throttle-scope"), "Tenant_Application/") {
		t.Errorf("fourth request: %s, Retry-After %q, scope %q", last.Status, last.Header.Get("Retry-After"), last.Header.Get("x-ms-throttle-scope"))
	}
}

func TestConnectionResetSurfacesAsTransportError(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 15, Tenants: 1, CleanTenants: true, RateReset: 1})
	g, _ := appGraph(t, srv, srv.Customers()[0].ID)
	_, err := g.Organization().Get(t.Context(), nil)
	var oe *odataerrors.ODataError
	if err == nil || errors.As(err, &oe) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	resets := 0
	for _, ct := range srv.Control().Counters() {
		resets += ct.Resets
	}
	if resets == 0 {
		t.Error("no reset counted")
	}
}

func TestControlAPIOverHTTPS(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 16, Tenants: 1, UsersPerTenant: 10, CleanTenants: true})
	ctx := t.Context()
	info := srv.Info()
	c := srv.Customers()[0]
	call := func(method, path, body, token string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, method, "https://"+info.AuthorityHost+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if r := call("GET", "/_sim/counters", "", "wrong"); r.StatusCode != 401 {
		t.Errorf("control API without token: %s", r.Status)
	}
	if r := call("POST", "/_sim/tenants/"+c.ID+"/users", `{"givenName":"Øyvind","surname":"Løvås","licenses":["FLOW_FREE"]}`, info.ControlToken); r.StatusCode != 200 {
		t.Fatalf("add user: %s", r.Status)
	}
	u, err := srv.Control().User(c.ID, "oyvind.lovas@"+c.DefaultDomain)
	if err != nil || u.DisplayName != "Øyvind Løvås" {
		t.Fatalf("added user = %+v, %v", u, err)
	}
	if r := call("DELETE", "/_sim/tenants/"+c.ID+"/users/"+u.ID, "", info.ControlToken); r.StatusCode != 204 {
		t.Errorf("delete user: %s", r.Status)
	}
	if _, err := srv.Control().User(c.ID, u.ID); !errors.Is(err, m365sim.ErrNotFound) {
		t.Errorf("deleted user still found: %v", err)
	}
	if r := call("PUT", "/_sim/tenants/"+c.ID+"/flags", `{"no_entra_p1":true}`, info.ControlToken); r.StatusCode != 204 {
		t.Errorf("set flags: %s", r.Status)
	}
	if f, _ := srv.Control().Flags(c.ID); !f.NoEntraP1 {
		t.Error("flags not applied")
	}
}

func TestAdvancedQueryNeedsEventualConsistency(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 17, Tenants: 1, UsersPerTenant: 80, CleanTenants: true})
	ctx := t.Context()
	c := srv.Customers()[0]
	g, _ := appGraph(t, srv, c.ID)
	q := &users.UsersRequestBuilderGetQueryParameters{Filter: ptr("assignedLicenses/$count ne 0"), Count: ptr(true), Top: ptr(int32(999))}
	_, err := g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q})
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 400 {
		t.Fatalf("advanced query without ConsistencyLevel: err = %v, want 400", err)
	}
	h := abstractions.NewRequestHeaders()
	h.Add("ConsistencyLevel", "eventual")
	r, err := g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q, Headers: h})
	if err != nil {
		t.Fatalf("advanced query: %v", err)
	}
	all, _ := srv.Control().Users(c.ID)
	licensed := 0
	for _, u := range all {
		if len(u.Licenses) > 0 {
			licensed++
		}
	}
	if len(r.GetValue()) != licensed || r.GetOdataCount() == nil || int(*r.GetOdataCount()) != licensed {
		t.Errorf("licensed users = %d (count %v), want %d", len(r.GetValue()), r.GetOdataCount(), licensed)
	}
}

func TestMissingPermissionIsForbidden(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 18, Tenants: 1, CleanTenants: true})
	srv.Control().SetPermissions([]string{"User.Read.All", "Directory.Read.All"})
	g, _ := appGraph(t, srv, srv.Customers()[0].ID)
	ctx := t.Context()
	if _, err := g.Users().Get(ctx, nil); err != nil {
		t.Fatalf("users with User.Read.All: %v", err)
	}
	_, err := g.Reports().GetMailboxUsageDetailWithPeriod(ptr("D7")).Get(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 || *oe.GetErrorEscaped().GetCode() != "S2SUnauthorized" {
		t.Errorf("report without Reports.Read.All: err = %v, want 403 S2SUnauthorized", err)
	}
	_, err = g.DeviceManagement().ManagedDevices().Get(ctx, nil)
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 {
		t.Errorf("devices without DeviceManagementManagedDevices.Read.All: err = %v, want 403", err)
	}
}

func TestSingleTenantSignInWithLoginHint(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 19, Tenants: 1, UsersPerTenant: 40, CleanTenants: true})
	info := srv.Info()
	c := srv.Customers()[0]
	all, _ := srv.Control().Users(c.ID)
	var member, leaver m365sim.User
	for _, u := range all {
		switch {
		case u.Kind == "member" && u.AccountEnabled && member.ID == "":
			member = u
		case u.Kind == "leaver" && leaver.ID == "":
			leaver = u
		}
	}
	cred, err := confidential.NewCredFromSecret(info.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	cca, err := confidential.New(authority(srv, c.DefaultDomain), info.ClientID, cred,
		confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	r := signInWeb(t, srv, cca, member.UPN)
	if r.Account.PreferredUsername != member.UPN || r.IDToken.TenantID != c.ID {
		t.Errorf("signed in as %s in %s", r.Account.PreferredUsername, r.IDToken.TenantID)
	}
	if leaver.ID != "" {
		_, err = trySignInWeb(t, srv, cca, info.ClientID, leaver.UPN)
		if err == nil || !strings.Contains(err.Error(), "AADSTS50057") {
			t.Errorf("disabled user sign-in: err = %v, want AADSTS50057", err)
		}
	}
}

func TestBatchOf21IsRefused(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 20, Tenants: 1, CleanTenants: true})
	ctx := t.Context()
	g, adapter := appGraph(t, srv, srv.Customers()[0].ID)
	full := msgraphcore.NewBatchRequest(adapter)
	var items []msgraphcore.BatchItem
	for i := 0; i < 21; i++ {
		info, _ := g.Organization().ToGetRequestInformation(ctx, nil)
		if i < 20 {
			it, err := full.AddBatchRequestStep(*info)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
	}
	extra, _ := g.Domains().ToGetRequestInformation(ctx, nil)
	spare := msgraphcore.NewBatchRequest(adapter)
	it, err := spare.AddBatchRequestStep(*extra)
	if err != nil {
		t.Fatal(err)
	}
	full.SetRequests(append(items, it)) // bypass the SDK's own limit
	_, err = full.Send(ctx, adapter)
	// The SDK registers no error factory for $batch: it reports an ApiError.
	var ae *abstractions.ApiError
	if !errors.As(err, &ae) || ae.ResponseStatusCode != 400 {
		t.Errorf("$batch of 21: err = %v, want 400", err)
	}
}

func TestDeltaTokenLatestAndGroups(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 21, Tenants: 1, UsersPerTenant: 60, CleanTenants: true})
	ctx := t.Context()
	c := srv.Customers()[0]
	g, adapter := appGraph(t, srv, c.ID)
	_, link := deltaAll(t, ctx, g, adapter, srv.Info().GraphBase+"/users/delta()?$deltatoken=latest")
	added, err := srv.Control().AddUser(c.ID, m365sim.UserSpec{GivenName: "Дмитрий", Surname: "Волков", UPN: "dmitry.volkov@" + c.DefaultDomain})
	if err != nil {
		t.Fatal(err)
	}
	changes, _ := deltaAll(t, ctx, g, adapter, link)
	if len(changes) != 1 || *changes[0].GetId() != added.ID {
		t.Errorf("delta from latest returned %d items, want only the added user", len(changes))
	}
	groups, err := g.Groups().Get(ctx, nil)
	if err != nil || len(groups.GetValue()) == 0 {
		t.Fatalf("groups: %v", err)
	}
	members, err := g.Groups().ByGroupId(*groups.GetValue()[0].GetId()).Members().Get(ctx, nil)
	if err != nil || len(members.GetValue()) == 0 {
		t.Fatalf("members of %s: %v", *groups.GetValue()[0].GetDisplayName(), err)
	}
	if _, ok := members.GetValue()[0].(models.Userable); !ok {
		t.Errorf("member is %T, want a user (from @odata.type)", members.GetValue()[0])
	}
}

// A listing filtered by UPN prefix answers from current names: a renamed
// user moves to its new prefix, a deleted one is gone, whatever the sim
// cached of generated names.
func TestStartsWithUPNFollowsChanges(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 6, TenantSizes: []int{400}, CleanTenants: true})
	ctx := t.Context()
	c := srv.Customers()[0]
	g, adapter := appGraph(t, srv, c.ID)
	ctl := srv.Control()
	list := func(prefix string) map[string]bool {
		t.Helper()
		f := "startswith(userPrincipalName,'" + prefix + "')"
		resp, err := g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Filter: &f, Top: ptr(int32(50)), Select: []string{"id", "userPrincipalName"}}})
		if err != nil {
			t.Fatalf("GET /users?$filter=%s: %v", f, err)
		}
		it, err := msgraphcore.NewPageIterator[models.Userable](resp, adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		if err := it.Iterate(ctx, func(u models.Userable) bool { got[strings.ToLower(*u.GetUserPrincipalName())] = true; return true }); err != nil {
			t.Fatalf("Iterate: %v", err)
		}
		return got
	}
	want := func(prefix string) map[string]bool {
		t.Helper()
		us, err := ctl.Users(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, u := range us {
			if upn := strings.ToLower(u.UPN); strings.HasPrefix(upn, prefix) {
				out[upn] = true
			}
		}
		return out
	}
	check := func(prefix string) {
		t.Helper()
		got, w := list(prefix), want(prefix)
		if len(w) == 0 {
			t.Fatalf("no users start with %q: the test needs some", prefix)
		}
		if !maps.Equal(got, w) {
			t.Errorf("startswith %q listed %d users, want %d: %v", prefix, len(got), len(w), got)
		}
	}
	us, err := ctl.Users(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.ToLower(us[0].UPN[:1])
	check(first) // fills the sim's cache of generated names

	newUPN := "zz-renamed@" + strings.SplitN(us[0].UPN, "@", 2)[1]
	if _, err := ctl.UpdateUser(c.ID, us[0].ID, m365sim.UserPatch{UPN: &newUPN}); err != nil {
		t.Fatal(err)
	}
	var gone string
	for _, u := range us[1:] {
		if strings.HasPrefix(strings.ToLower(u.UPN), first) {
			gone = u.ID
			break
		}
	}
	if gone != "" {
		if err := ctl.DeleteUser(c.ID, gone, false); err != nil {
			t.Fatal(err)
		}
	}
	check(first)
	check("zz-")
}
