package m365sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/permissions"
)

// The rules of app registration, consent and sign-in, each shown refusing
// what Entra, Graph and Partner Center refuse and accepting what they accept.
// Every test starts from a partner without tenantsync and registers an app
// through Graph as the partner's administrator, as setup does.

var setupScopes = []string{
	"https://graph.microsoft.com/Application.ReadWrite.All",
	"https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All",
	"https://graph.microsoft.com/Application.Read.All",
	"https://graph.microsoft.com/DelegatedPermissionGrant.ReadWrite.All",
}

// adminToken signs the partner's administrator in through Microsoft Graph
// PowerShell's public client, consenting to the setup scopes.
func adminToken(t *testing.T, srv *m365sim.Server) string {
	t.Helper()
	tok, err := firstPartyToken(t, srv, "")
	if err != nil {
		t.Fatalf("admin sign-in through Graph PowerShell: %v", err)
	}
	return tok
}

func firstPartyToken(t *testing.T, srv *m365sim.Server, loginHint string) (string, error) {
	t.Helper()
	ctx := t.Context()
	pca, err := public.New(permissions.GraphPowerShellClientID, public.WithAuthority(authority(srv, srv.Info().PartnerTenantID)),
		public.WithHTTPClient(srv.HTTPClient()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	opts := []public.AcquireInteractiveOption{public.WithOpenURL(func(u string) error { return srv.CompleteSignIn(ctx, u) })}
	if loginHint != "" {
		opts = append(opts, public.WithLoginHint(loginHint))
	}
	res, err := pca.AcquireTokenInteractive(ctx, setupScopes, opts...)
	return res.AccessToken, err
}

// call sends one JSON request and decodes the JSON answer.
func call(t *testing.T, srv *m365sim.Server, token, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		json.Unmarshal(raw, &out)
	}
	return resp.StatusCode, out
}

func graphCall(t *testing.T, srv *m365sim.Server, token, method, path string, body any) (int, map[string]any) {
	return call(t, srv, token, method, srv.Info().GraphBase+path, body)
}

func errCode(out map[string]any) string {
	if e, ok := out["error"].(map[string]any); ok {
		return fmt.Sprint(e["code"])
	}
	return fmt.Sprint(out["code"])
}

// registration is an app the test registered.
type registration struct {
	objectID, appID, secret, spID string
}

type regSpec struct {
	web, public []string
	graph       []string // delegated and application Graph permissions
	partner     bool     // Partner Center user_impersonation
	noConsent   bool     // skip admin consent in the partner tenant
	audience    string
}

// register creates an app the way the manual instructions say: app,
// secret, service principal, admin consent (grants and app roles).
func register(t *testing.T, srv *m365sim.Server, admin string, spec regSpec) registration {
	t.Helper()
	graphSP := servicePrincipalOf(t, srv, admin, permissions.GraphAppID)
	access := []map[string]any{}
	var graphAccess []map[string]string
	for _, n := range spec.graph {
		graphAccess = append(graphAccess, map[string]string{"id": scopeID(graphSP, n), "type": "Scope"})
		if id := roleID(graphSP, n); id != "" {
			graphAccess = append(graphAccess, map[string]string{"id": id, "type": "Role"})
		}
	}
	access = append(access, map[string]any{"resourceAppId": permissions.GraphAppID, "resourceAccess": graphAccess})
	pcSP := servicePrincipalOf(t, srv, admin, permissions.PartnerCenterAppID)
	if spec.partner {
		access = append(access, map[string]any{"resourceAppId": permissions.PartnerCenterAppID,
			"resourceAccess": []map[string]string{{"id": scopeID(pcSP, permissions.PartnerCenterScopeName), "type": "Scope"}}})
	}
	aud := spec.audience
	if aud == "" {
		aud = "AzureADMultipleOrgs"
	}
	st, app := graphCall(t, srv, admin, "POST", "/applications", map[string]any{
		"displayName": "tenantsync test", "signInAudience": aud,
		"web": map[string]any{"redirectUris": nonNilList(spec.web)}, "publicClient": map[string]any{"redirectUris": nonNilList(spec.public)},
		"requiredResourceAccess": access})
	if st != 201 {
		t.Fatalf("POST /applications = %d %v", st, app)
	}
	r := registration{objectID: app["id"].(string), appID: app["appId"].(string)}
	st, pw := graphCall(t, srv, admin, "POST", "/applications/"+r.objectID+"/addPassword", map[string]any{"passwordCredential": map[string]any{"displayName": "test"}})
	if st != 200 || pw["secretText"] == nil {
		t.Fatalf("addPassword = %d %v", st, pw)
	}
	r.secret = pw["secretText"].(string)
	st, sp := graphCall(t, srv, admin, "POST", "/servicePrincipals", map[string]any{"appId": r.appID})
	if st != 201 {
		t.Fatalf("POST /servicePrincipals = %d %v", st, sp)
	}
	r.spID = sp["id"].(string)
	if spec.noConsent {
		return r
	}
	grant := func(resID string, names []string) {
		st, out := graphCall(t, srv, admin, "POST", "/oauth2PermissionGrants", map[string]any{
			"clientId": r.spID, "consentType": "AllPrincipals", "resourceId": resID, "scope": strings.Join(names, " ")})
		if st != 201 {
			t.Fatalf("POST /oauth2PermissionGrants = %d %v", st, out)
		}
	}
	grant(graphSP["id"].(string), spec.graph)
	if spec.partner {
		grant(pcSP["id"].(string), []string{permissions.PartnerCenterScopeName})
	}
	for _, n := range spec.graph {
		if id := roleID(graphSP, n); id != "" {
			st, out := graphCall(t, srv, admin, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo",
				map[string]any{"principalId": r.spID, "resourceId": graphSP["id"], "appRoleId": id})
			if st != 201 {
				t.Fatalf("appRoleAssignedTo %s = %d %v", n, st, out)
			}
		}
	}
	return r
}

func nonNilList(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func servicePrincipalOf(t *testing.T, srv *m365sim.Server, token, appID string) map[string]any {
	t.Helper()
	st, out := graphCall(t, srv, token, "GET", "/servicePrincipals?$filter=appId%20eq%20'"+appID+"'", nil)
	vals, _ := out["value"].([]any)
	if st != 200 || len(vals) != 1 {
		t.Fatalf("service principal of %s = %d %v", appID, st, out)
	}
	return vals[0].(map[string]any)
}

func permIDIn(sp map[string]any, list, name string) string {
	items, _ := sp[list].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if m["value"] == name {
			return m["id"].(string)
		}
	}
	return ""
}

func scopeID(sp map[string]any, name string) string {
	return permIDIn(sp, "oauth2PermissionScopes", name)
}
func roleID(sp map[string]any, name string) string { return permIDIn(sp, "appRoles", name) }

func clientFor(t *testing.T, srv *m365sim.Server, appID, secret, tenant string) confidential.Client {
	t.Helper()
	cred, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := confidential.New(authority(srv, tenant), appID, cred,
		confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signInAs runs tenantsync's sign-in (confidential auth code + PKCE,
// loopback redirect http://localhost:PORT) for a registered app.
func signInAs(t *testing.T, srv *m365sim.Server, reg registration) (confidential.Client, confidential.AuthResult, error) {
	t.Helper()
	cca := clientFor(t, srv, reg.appID, reg.secret, srv.Info().PartnerTenantID)
	res, err := trySignInWeb(t, srv, cca, reg.appID, "")
	return cca, res, err
}

func TestFreshPartnerHasNoApp(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 31, Tenants: 2, CleanTenants: true, FreshPartner: true})
	info := srv.Info()
	if info.ClientID != "" || info.ClientSecret != "" || info.AdminAccount == "" || info.PartnerCenterBase == "" {
		t.Fatalf("fresh partner info = %+v; want no client id or secret, an admin account and a Partner Center base", info)
	}
	admin := adminToken(t, srv)
	st, out := graphCall(t, srv, admin, "GET", "/applications", nil)
	if vals, _ := out["value"].([]any); st != 200 || len(vals) != 0 {
		t.Errorf("GET /applications on a fresh partner = %d %v; want none", st, out)
	}
}

func TestRedirectPlatformsAndSecrets(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 32, Tenants: 1, CleanTenants: true, FreshPartner: true})
	admin := adminToken(t, srv)
	all := permissions.Names(permissions.GraphAppID, true)

	// "Mobile and desktop applications": Entra treats the client as public
	// and refuses the secret tenantsync presents.
	mobile := register(t, srv, admin, regSpec{public: []string{"http://localhost"}, graph: all, partner: true})
	if _, _, err := signInAs(t, srv, mobile); err == nil || !strings.Contains(err.Error(), "AADSTS700025") {
		t.Errorf("secret for a Mobile and desktop redirect: err = %v, want AADSTS700025", err)
	}

	// Web: the port of a loopback redirect is ignored, the secret required.
	web := register(t, srv, admin, regSpec{web: []string{"http://localhost"}, graph: all, partner: true})
	if _, res, err := signInAs(t, srv, web); err != nil || res.Account.PreferredUsername != srv.Info().ServiceAccount {
		t.Errorf("Web redirect http://localhost, sign-in on another port: %v (account %q)", err, res.Account.PreferredUsername)
	}
	pca, err := public.New(web.appID, public.WithAuthority(authority(srv, srv.Info().PartnerTenantID)),
		public.WithHTTPClient(srv.HTTPClient()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pca.AcquireTokenInteractive(t.Context(), graphScopes, public.WithOpenURL(func(u string) error { return srv.CompleteSignIn(t.Context(), u) }))
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000218") {
		t.Errorf("Web redirect redeemed without a secret: err = %v, want AADSTS7000218", err)
	}

	// The path must match; so must the host (localhost is not 127.0.0.1
	// here: tenantsync sends localhost).
	for _, uri := range []string{"http://localhost/callback", "http://127.0.0.1", "https://localhost"} {
		other := register(t, srv, admin, regSpec{web: []string{uri}, graph: all})
		if _, _, err := signInAs(t, srv, other); err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
			t.Errorf("registered %s, sent http://localhost:PORT: err = %v, want AADSTS50011", uri, err)
		}
	}
	// http is for loopback only.
	st, out := graphCall(t, srv, admin, "POST", "/applications", map[string]any{"displayName": "x", "web": map[string]any{"redirectUris": []string{"http://example.com/cb"}}})
	if st != 400 {
		t.Errorf("http redirect for a public host = %d %v, want 400", st, out)
	}

	// A wrong secret, then a secret that has expired.
	if _, _, err := signInAs(t, srv, registration{appID: web.appID, secret: "wrong" + web.secret}); err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: err = %v, want AADSTS7000215", err)
	}
	st, pw := graphCall(t, srv, admin, "POST", "/applications/"+web.objectID+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"endDateTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}})
	if st != 200 {
		t.Fatalf("addPassword = %d %v", st, pw)
	}
	soon := registration{appID: web.appID, secret: pw["secretText"].(string)}
	if _, _, err := signInAs(t, srv, soon); err != nil {
		t.Errorf("a secret valid for an hour: %v", err)
	}
	if st, out := graphCall(t, srv, admin, "POST", "/applications/"+web.objectID+"/removePassword", map[string]any{"keyId": pw["keyId"]}); st != 204 {
		t.Errorf("removePassword = %d %v", st, out)
	}
	if _, _, err := signInAs(t, srv, soon); err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("a removed secret: err = %v, want AADSTS7000215", err)
	}
}

func TestExpiredSecret(t *testing.T) {
	t.Parallel()
	clock := time.Now()
	now := func() time.Time { return clock }
	srv := startSim(t, m365sim.Options{Seed: 33, Tenants: 1, CleanTenants: true, Now: now})
	// The ready state's secret lives two years; a day past that it is expired.
	clock = clock.AddDate(2, 0, 1)
	cca := confidentialClient(t, srv, srv.Info().ClientSecret)
	_, err := cca.AcquireTokenByCredential(t.Context(), graphScopes, confidential.WithTenantID(srv.Customers()[0].ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000222") {
		t.Errorf("secret past its endDateTime: err = %v, want AADSTS7000222", err)
	}
}

func TestConsentIsExplicit(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 34, Tenants: 2, CleanTenants: true, FreshPartner: true})
	admin := adminToken(t, srv)
	all := permissions.Names(permissions.GraphAppID, true)

	// Registered but never consented in the partner tenant.
	bare := register(t, srv, admin, regSpec{web: []string{"http://localhost"}, graph: all, noConsent: true})
	if _, _, err := signInAs(t, srv, bare); err == nil || !strings.Contains(err.Error(), "AADSTS65001") {
		t.Errorf("no admin consent: err = %v, want AADSTS65001", err)
	}

	// One permission short: the token lacks it and Graph refuses that endpoint only.
	var short []string
	for _, p := range all {
		if p != "Reports.Read.All" {
			short = append(short, p)
		}
	}
	reg := register(t, srv, admin, regSpec{web: []string{"http://localhost"}, graph: short, partner: true})
	cca, res, err := signInAs(t, srv, reg)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if st, out := graphCall(t, srv, res.AccessToken, "GET", "/tenantRelationships/delegatedAdminCustomers", nil); st != 200 {
		t.Errorf("GDAP customers with DelegatedAdminRelationship.Read.All = %d %v", st, out)
	}

	// Customers do not hold the new app: a GDAP sign-in there is refused
	// until Partner Center consents it.
	cust := srv.Customers()[0]
	_, err = cca.AcquireTokenSilent(t.Context(), graphScopes, confidential.WithSilentAccount(res.Account), confidential.WithTenantID(cust.ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS90099") {
		t.Fatalf("customer without the app: err = %v, want AADSTS90099", err)
	}
	pc, err := cca.AcquireTokenSilent(t.Context(), []string{permissions.PartnerCenterResource + "/.default"}, confidential.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("Partner Center token: %v", err)
	}
	consent := map[string]any{"applicationId": reg.appID, "applicationGrants": []map[string]string{
		{"enterpriseApplicationId": permissions.GraphAppID, "scope": strings.Join(short, ",")}}}
	pcURL := srv.Info().PartnerCenterBase + "/v1/customers/" + cust.ID + "/applicationconsents"
	if st, out := call(t, srv, pc.AccessToken, "POST", pcURL, consent); st != 201 {
		t.Fatalf("Partner Center consent = %d %v", st, out)
	}
	tok, err := cca.AcquireTokenSilent(t.Context(), graphScopes, confidential.WithSilentAccount(res.Account), confidential.WithTenantID(cust.ID))
	if err != nil {
		t.Fatalf("customer after consent: %v", err)
	}
	if st, out := graphCall(t, srv, tok.AccessToken, "GET", "/users?$top=5", nil); st != 200 {
		t.Errorf("users after consent = %d %v", st, out)
	}
	st, out := graphCall(t, srv, tok.AccessToken, "GET", "/reports/getMailboxUsageDetail(period='D7')", nil)
	if st != 403 {
		t.Errorf("mailbox report without Reports.Read.All = %d %v, want 403", st, out)
	}
	// Consenting again is refused; deleting the consent takes access away.
	if st, out := call(t, srv, pc.AccessToken, "POST", pcURL, consent); st != 409 {
		t.Errorf("second consent = %d %v, want 409", st, out)
	}
	if st, out := call(t, srv, pc.AccessToken, "DELETE", pcURL+"/"+reg.appID, nil); st/100 != 2 {
		t.Errorf("DELETE consent = %d %v", st, out)
	}
	// A Partner Center token is not had in a customer tenant (no service principal there).
	_, err = cca.AcquireTokenSilent(t.Context(), []string{permissions.PartnerCenterResource + "/.default"}, confidential.WithSilentAccount(res.Account), confidential.WithTenantID(cust.ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS650052") {
		t.Errorf("Partner Center token in a customer: err = %v, want AADSTS650052", err)
	}
	// Application access: the app holds no service principal in the customer.
	app := clientFor(t, srv, reg.appID, reg.secret, srv.Info().PartnerTenantID)
	_, err = app.AcquireTokenByCredential(t.Context(), graphScopes, confidential.WithTenantID(srv.Customers()[1].ID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Errorf("app token in a customer without the app: err = %v, want AADSTS700016", err)
	}
}

func TestPartnerCenterRules(t *testing.T) {
	t.Parallel()
	clock := time.Now()
	srv := startSim(t, m365sim.Options{Seed: 35, Tenants: 3, CleanTenants: true, FreshPartner: true,
		Now: func() time.Time { return clock }, TenantFlags: map[int]m365sim.TenantFlags{2: {GDAPExpired: true}}})
	admin := adminToken(t, srv)
	reg := register(t, srv, admin, regSpec{web: []string{"http://localhost"}, graph: permissions.Names(permissions.GraphAppID, true), partner: true})
	cca, res, err := signInAs(t, srv, reg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := cca.AcquireTokenSilent(t.Context(), []string{permissions.PartnerCenterResource + "/.default"}, confidential.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatal(err)
	}
	base := srv.Info().PartnerCenterBase + "/v1/customers/"
	body := func(scope string) map[string]any {
		return map[string]any{"applicationId": reg.appID, "applicationGrants": []map[string]string{{"enterpriseApplicationId": permissions.GraphAppID, "scope": scope}}}
	}
	cs := srv.Customers()
	cases := []struct {
		name, token, url string
		body             any
		want             int
	}{
		{"Graph token", res.AccessToken, base + cs[0].ID + "/applicationconsents", body("User.Read.All"), 401},
		{"unknown customer", pc.AccessToken, base + "00000000-0000-0000-0000-000000000001/applicationconsents", body("User.Read.All"), 404},
		{"expired GDAP", pc.AccessToken, base + cs[2].ID + "/applicationconsents", body("User.Read.All"), 403},
		{"no such permission", pc.AccessToken, base + cs[0].ID + "/applicationconsents", body("Nope.Read.All"), 400},
		{"empty body", pc.AccessToken, base + cs[0].ID + "/applicationconsents", map[string]any{}, 400},
		{"GET is not documented", pc.AccessToken, base + cs[0].ID + "/applicationconsents", nil, 404},
		{"good", pc.AccessToken, base + cs[0].ID + "/applicationconsents", body("User.Read.All,Directory.Read.All"), 201},
	}
	for _, c := range cases {
		method := "POST"
		if c.body == nil {
			method = "GET"
		}
		if st, out := call(t, srv, c.token, method, c.url, c.body); st != c.want {
			t.Errorf("%s: %s = %d %v, want %d", c.name, method, st, out, c.want)
		}
	}
	// Accept: application/json is required.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", base+cs[0].ID+"/applicationconsents", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+pc.AccessToken)
	if resp, err := srv.HTTPClient().Do(req); err != nil || resp.StatusCode != 400 {
		t.Errorf("consent without Accept: %v %v, want 400", resp.Status, err)
	} else {
		resp.Body.Close()
	}
	// Application-only tokens are refused: the consent API is App+User.
	appTok, err := clientFor(t, srv, reg.appID, reg.secret, srv.Info().PartnerTenantID).AcquireTokenByCredential(t.Context(),
		[]string{permissions.PartnerCenterResource + "/.default"})
	if err != nil {
		t.Fatalf("app-only Partner Center token: %v", err)
	}
	if st, out := call(t, srv, appTok.AccessToken, "POST", base+cs[0].ID+"/applicationconsents", body("User.Read.All")); st != 403 {
		t.Errorf("app-only token: %d %v, want 403", st, out)
	}
	// 50 requests per second per application; the clock stands still.
	throttled := 0
	for i := 0; i < 60; i++ {
		st, _ := call(t, srv, pc.AccessToken, "DELETE", base+cs[1].ID+"/applicationconsents/"+reg.appID, nil)
		if st == 429 {
			throttled++
		}
	}
	if throttled < 10 {
		t.Errorf("429s in 60 requests within one second = %d, want >= 10 (50 per second)", throttled)
	}
	clock = clock.Add(time.Second)
	if st, out := call(t, srv, pc.AccessToken, "POST", base+cs[1].ID+"/applicationconsents", body("User.Read.All")); st != 201 {
		t.Errorf("after a second: %d %v, want 201", st, out)
	}
}

func TestOnlyAdminsSetUp(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 36, Tenants: 1, CleanTenants: true, FreshPartner: true})
	// The GDAP service account is no administrator of the partner tenant:
	// it cannot consent to Graph PowerShell's admin-only scopes.
	if _, err := firstPartyToken(t, srv, srv.Info().ServiceAccount); err == nil || !strings.Contains(err.Error(), "AADSTS90094") {
		t.Errorf("service account consenting to admin scopes: err = %v, want AADSTS90094", err)
	}
	admin := adminToken(t, srv)
	reg := register(t, srv, admin, regSpec{web: []string{"http://localhost"}, graph: []string{"User.Read.All"}})
	// Duplicates are refused, not silently doubled.
	if st, out := graphCall(t, srv, admin, "POST", "/servicePrincipals", map[string]any{"appId": reg.appID}); st != 409 {
		t.Errorf("second service principal = %d %v, want 409", st, out)
	}
	graphSP := servicePrincipalOf(t, srv, admin, permissions.GraphAppID)
	if st, out := graphCall(t, srv, admin, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo",
		map[string]any{"principalId": reg.spID, "resourceId": graphSP["id"], "appRoleId": roleID(graphSP, "User.Read.All")}); st != 400 {
		t.Errorf("second app role assignment = %d %v, want 400", st, out)
	}
	if st, out := graphCall(t, srv, admin, "POST", "/oauth2PermissionGrants", map[string]any{
		"clientId": reg.spID, "consentType": "AllPrincipals", "resourceId": graphSP["id"], "scope": "User.Read.All"}); st != 409 {
		t.Errorf("second grant = %d %v, want 409", st, out)
	}
	// The app itself (no Application.* permission) cannot register apps.
	app := clientFor(t, srv, reg.appID, reg.secret, srv.Info().PartnerTenantID)
	tok, err := app.AcquireTokenByCredential(t.Context(), graphScopes)
	if err != nil {
		t.Fatal(err)
	}
	if st, out := graphCall(t, srv, tok.AccessToken, "POST", "/applications", map[string]any{"displayName": "x"}); st != 403 || errCode(out) != "Authorization_RequestDenied" {
		t.Errorf("POST /applications without Application.ReadWrite.All = %d %v, want 403 Authorization_RequestDenied", st, out)
	}
}

// TestRequestShapesLikeEntraAndGraph: what Entra's and Graph's references
// say they refuse.
func TestRequestShapesLikeEntraAndGraph(t *testing.T) {
	t.Parallel()
	srv := startSim(t, m365sim.Options{Seed: 37, Tenants: 1, CleanTenants: true, FreshPartner: true})
	admin := adminToken(t, srv)
	// "Adding passwordCredential when creating applications is not
	// supported"; an unknown (here misspelt) property is refused too.
	for _, body := range []map[string]any{
		{"displayName": "x", "passwordCredentials": []any{map[string]any{"displayName": "s"}}},
		{"displayName": "x", "webb": map[string]any{"redirectUris": []string{"http://localhost"}}},
	} {
		if st, out := graphCall(t, srv, admin, "POST", "/applications", body); st != 400 {
			t.Errorf("POST /applications %v = %d %v, want 400", body, st, out)
		}
	}
	// .default cannot be combined with named scopes.
	pca, err := public.New(permissions.GraphPowerShellClientID, public.WithAuthority(authority(srv, srv.Info().PartnerTenantID)),
		public.WithHTTPClient(srv.HTTPClient()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pca.AcquireTokenInteractive(t.Context(), []string{"https://graph.microsoft.com/.default", "https://graph.microsoft.com/User.Read"},
		public.WithOpenURL(func(u string) error { return srv.CompleteSignIn(t.Context(), u) }))
	if err == nil || !strings.Contains(err.Error(), "AADSTS70011") {
		t.Errorf(".default with a named scope: err = %v, want AADSTS70011", err)
	}
	// A single-tenant app at /organizations.
	single := srv.Control().RegisterApp(m365sim.AppSpec{Web: []string{"http://localhost"}, Graph: []string{"User.Read.All"}, SingleTenant: true})
	cca, err := confidential.New(authority(srv, "organizations"), single.ClientID, mustCred(t, single.Secret),
		confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trySignInWeb(t, srv, cca, single.ClientID, ""); err == nil || !strings.Contains(err.Error(), "AADSTS50194") {
		t.Errorf("single-tenant app at /organizations: err = %v, want AADSTS50194", err)
	}
	// Reading grants needs a directory role: the GDAP service account has none.
	reg := srv.Control().RegisterApp(m365sim.AppSpec{Web: []string{"http://localhost"}, Graph: []string{"Directory.Read.All"}})
	_, res, err := signInAs(t, srv, registration{appID: reg.ClientID, secret: reg.Secret})
	if err != nil {
		t.Fatal(err)
	}
	if st, out := graphCall(t, srv, res.AccessToken, "GET", "/oauth2PermissionGrants", nil); st != 403 {
		t.Errorf("grants read by a user without a role = %d %v, want 403", st, out)
	}
	if st, out := graphCall(t, srv, admin, "GET", "/oauth2PermissionGrants", nil); st != 200 {
		t.Errorf("grants read by the Global Administrator = %d %v, want 200", st, out)
	}
}

func mustCred(t *testing.T, secret string) confidential.Credential {
	t.Helper()
	c, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReplicationDelay: what was just written is not there yet, for reads
// and for sign-in, until Entra has replicated it.
func TestReplicationDelay(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	srv := startSim(t, m365sim.Options{Seed: 38, Tenants: 1, CleanTenants: true, FreshPartner: true, ReplicationDelay: 5 * time.Second, Now: now})
	admin := adminToken(t, srv)
	st, app := graphCall(t, srv, admin, "POST", "/applications", map[string]any{"displayName": "late", "signInAudience": "AzureADMultipleOrgs",
		"web": map[string]any{"redirectUris": []string{"http://localhost"}}})
	if st != 201 {
		t.Fatalf("POST /applications = %d %v", st, app)
	}
	id := app["id"].(string)
	if st, out := graphCall(t, srv, admin, "POST", "/applications/"+id+"/addPassword", map[string]any{}); st != 404 {
		t.Errorf("addPassword on a new app = %d %v, want 404 until it replicates", st, out)
	}
	if st, out := graphCall(t, srv, admin, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]}); st != 400 {
		t.Errorf("service principal for a new app = %d %v, want 400 until it replicates", st, out)
	}
	advance(5 * time.Second)
	st, pw := graphCall(t, srv, admin, "POST", "/applications/"+id+"/addPassword", map[string]any{})
	if st != 200 {
		t.Fatalf("addPassword after replication = %d %v", st, pw)
	}
	cca := clientFor(t, srv, app["appId"].(string), pw["secretText"].(string), srv.Info().PartnerTenantID)
	if _, err := cca.AcquireTokenByCredential(t.Context(), graphScopes); err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("a new secret at once: err = %v, want AADSTS7000215 until it replicates", err)
	}
	advance(5 * time.Second)
	if _, err := cca.AcquireTokenByCredential(t.Context(), graphScopes); err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Errorf("no service principal yet: err = %v, want AADSTS700016", err)
	}
}
