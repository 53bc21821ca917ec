package connections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/permissions"
	"github.com/tenantsync/tenantsync/store"
)

// One-click setup: what a partner administrator would otherwise click
// through in the Entra admin center, done through Graph with their sign-in:
//
//	1. the administrator signs in (Microsoft Graph PowerShell's client);
//	2. tenantsync's multi-tenant app registration: Web redirect
//	   http://localhost:PORT, the required permissions (permissions.Required);
//	3. a client secret, straight into the keychain, never shown;
//	4. its service principal in the partner tenant;
//	5. admin consent there: delegated grants and application permissions;
//	6. the connection, then the GDAP service account's own sign-in.
//
// Every step first looks for what exists and reuses it, so running setup
// again creates nothing new and repairs what differs (a redirect registered
// under "Mobile and desktop", a permission removed).

// SetupStep names a step of setup, for progress.
type SetupStep string

const (
	StepAdminSignIn      SetupStep = "admin_sign_in"
	StepApplication      SetupStep = "application"
	StepSecret           SetupStep = "secret"
	StepServicePrincipal SetupStep = "service_principal"
	StepAdminConsent     SetupStep = "admin_consent"
	StepConnection       SetupStep = "connection"
	StepServiceSignIn    SetupStep = "service_sign_in"
)

// SetupSteps lists the steps in order, for a progress display.
var SetupSteps = []SetupStep{StepAdminSignIn, StepApplication, StepSecret, StepServicePrincipal, StepAdminConsent, StepConnection, StepServiceSignIn}

// SetupProgress reports one step: started, then done with what it did.
type SetupProgress struct {
	Step    SetupStep
	Done    bool
	Message string // what the step did, or is doing, in plain words
}

// SetupOptions configure setup.
type SetupOptions struct {
	Name         string // connection name; default "Microsoft 365 partner"
	AppName      string // app registration display name; default "tenantsync"
	RedirectPort int    // default 8400
	// ConnectionID repeats setup for an existing connection (same app).
	ConnectionID string
	Cloud        auth.CloudName // empty: the network's cloud
	Progress     func(SetupProgress)
}

// SetupResult says what setup did.
type SetupResult struct {
	Connection store.Connection
	Admin      string   // who set it up
	Created    []string // objects created, in plain words
	Updated    []string // objects changed to match
	Account    auth.Account
}

// SetupError is a failed step with its plain cause and fix.
type SetupError struct {
	Step SetupStep
	Err  error
	Fix  string
}

func (e *SetupError) Error() string {
	return fmt.Sprintf("%s: %v", setupStepText[e.Step], e.Err)
}

func (e *SetupError) Unwrap() error { return e.Err }

var setupStepText = map[SetupStep]string{
	StepAdminSignIn:      "Administrator sign-in",
	StepApplication:      "App registration",
	StepSecret:           "Client secret",
	StepServicePrincipal: "Enterprise application",
	StepAdminConsent:     "Admin consent",
	StepConnection:       "Connection",
	StepServiceSignIn:    "GDAP service account sign-in",
}

// StepText names a step for people.
func StepText(s SetupStep) string { return setupStepText[s] }

// redirectRegistered is the Web redirect setup registers.
func redirectRegistered(port int) string { return auth.RedirectURI(port) }

// Setup registers tenantsync in the partner tenant and connects to it.
func (m *Manager) Setup(ctx context.Context, opt SetupOptions) (SetupResult, error) {
	if opt.Name == "" {
		opt.Name = "Microsoft 365 partner"
	}
	if opt.AppName == "" {
		opt.AppName = "tenantsync"
	}
	if opt.RedirectPort == 0 {
		opt.RedirectPort = DefaultRedirectPort
	}
	report := func(step SetupStep, done bool, format string, args ...any) {
		if opt.Progress != nil {
			opt.Progress(SetupProgress{Step: step, Done: done, Message: fmt.Sprintf(format, args...)})
		}
	}
	var res SetupResult
	var existing *store.Connection
	if opt.ConnectionID != "" {
		c, err := m.Connection(ctx, opt.ConnectionID)
		if err != nil {
			return res, err
		}
		existing = &c
		opt.Name, opt.RedirectPort = c.Name, c.RedirectPort
	}

	cloud, err := m.cloudNamed(opt.Cloud)
	if err != nil {
		return res, err
	}
	tenantHint := ""
	if existing != nil {
		tenantHint, cloud = existing.TenantID, m.cloudOf(*existing)
	}
	report(StepAdminSignIn, false, "Sign in as an administrator of the partner tenant (Global Administrator) in the browser.")
	admin, err := auth.AdminSignIn(ctx, auth.AdminConfig{Cloud: cloud, HTTP: m.net.HTTP, OpenURL: m.net.OpenURL, Tenant: tenantHint})
	if err != nil {
		return res, &SetupError{StepAdminSignIn, err, "Sign in with a Global Administrator of your partner tenant and accept the permissions Microsoft Graph Command Line Tools asks for."}
	}
	res.Admin = admin.Username
	report(StepAdminSignIn, true, "Signed in as %s.", admin.Username)
	g := &adminGraph{base: cloud.GraphBase, client: m.httpClient(), token: admin.Token}

	graphSP, err := g.servicePrincipal(ctx, permissions.GraphAppID)
	if err != nil || graphSP == nil {
		return res, &SetupError{StepApplication, orNotFound(err, "Microsoft Graph's enterprise application"), "Check that the account is a Global Administrator of the partner tenant."}
	}
	pcSP, err := g.servicePrincipal(ctx, permissions.PartnerCenterAppID)
	if err != nil {
		return res, &SetupError{StepApplication, err, ""}
	}
	required, err := requiredAccess(graphSP, pcSP)
	if err != nil {
		return res, &SetupError{StepApplication, err, ""}
	}

	// 2. The app registration.
	report(StepApplication, false, "Looking for the %s app registration.", opt.AppName)
	clientID := ""
	if existing != nil {
		clientID = existing.ClientID
	}
	app, err := g.findApplication(ctx, clientID, opt.AppName)
	if err != nil {
		return res, &SetupError{StepApplication, err, ""}
	}
	redirect := redirectRegistered(opt.RedirectPort)
	if app == nil {
		app, err = g.createApplication(ctx, opt.AppName, redirect, required)
		if err != nil {
			return res, &SetupError{StepApplication, err, "Check that the account may register applications (Global Administrator or Application Administrator)."}
		}
		res.Created = append(res.Created, "app registration "+opt.AppName+" ("+app.AppID+")")
		report(StepApplication, true, "Created the app registration %s (%s).", opt.AppName, app.AppID)
	} else if patch := app.repair(redirect, required); patch != nil {
		if err := g.do(ctx, http.MethodPatch, "/applications/"+app.ID, patch, nil); err != nil {
			return res, &SetupError{StepApplication, err, ""}
		}
		res.Updated = append(res.Updated, "app registration "+app.DisplayName+": "+strings.Join(app.repairs, ", "))
		report(StepApplication, true, "Corrected the app registration %s: %s.", app.DisplayName, strings.Join(app.repairs, ", "))
	} else {
		report(StepApplication, true, "The app registration %s (%s) is set up as it should be.", app.DisplayName, app.AppID)
	}

	// 3. The secret: the keychain's, while the app still holds it.
	report(StepSecret, false, "Checking the client secret.")
	secret := ""
	if existing != nil && existing.ClientID == app.AppID {
		if s, err := m.keychain.Get(existing.SecretRef); err == nil && app.holdsSecret(s, time.Now()) {
			secret = s
		}
	}
	var newSecret *passwordCredential
	if secret == "" {
		newSecret, err = g.addPassword(ctx, app.ID, "tenantsync "+time.Now().UTC().Format("2006-01-02"))
		if err != nil {
			return res, &SetupError{StepSecret, err, ""}
		}
		secret = newSecret.SecretText
		res.Created = append(res.Created, "client secret (until "+newSecret.EndDateTime.Format("2006-01-02")+")")
		report(StepSecret, true, "Added a client secret, valid until %s, and saved it in the keychain.", newSecret.EndDateTime.Format("2 Jan 2006"))
	} else {
		report(StepSecret, true, "The client secret in the keychain is still valid.")
	}

	// 4. The service principal in the partner tenant.
	report(StepServicePrincipal, false, "Looking for the enterprise application.")
	sp, err := g.servicePrincipal(ctx, app.AppID)
	if err != nil {
		return res, &SetupError{StepServicePrincipal, err, ""}
	}
	if sp == nil {
		if sp, err = g.createServicePrincipal(ctx, app.AppID); err != nil {
			return res, &SetupError{StepServicePrincipal, err, ""}
		}
		res.Created = append(res.Created, "enterprise application")
		report(StepServicePrincipal, true, "Created the enterprise application.")
	} else {
		report(StepServicePrincipal, true, "The enterprise application exists.")
	}

	// 5. Admin consent in the partner tenant.
	report(StepAdminConsent, false, "Granting admin consent in the partner tenant.")
	granted, err := g.grantAdminConsent(ctx, sp, graphSP, pcSP)
	if err != nil {
		return res, &SetupError{StepAdminConsent, err, "Granting consent to Microsoft Graph permissions needs a Global Administrator."}
	}
	if len(granted) > 0 {
		res.Created = append(res.Created, "admin consent: "+strings.Join(granted, ", "))
		report(StepAdminConsent, true, "Granted admin consent: %s.", strings.Join(granted, ", "))
	} else {
		report(StepAdminConsent, true, "Admin consent was already granted.")
	}

	// 6. The connection and the service account's sign-in.
	report(StepConnection, false, "Saving the connection.")
	form := Form{Name: opt.Name, Mode: store.ModeGDAP, TenantID: admin.TenantID, ClientID: app.AppID, RedirectPort: opt.RedirectPort, Cloud: cloud.Name}
	if newSecret != nil {
		form.Secret = secret
	}
	var conn store.Connection
	if existing != nil {
		conn, err = m.UpdateCredentials(ctx, existing.ID, form)
	} else {
		form.Secret = secret
		conn, err = m.Create(ctx, form)
	}
	if err != nil {
		return res, &SetupError{StepConnection, err, ""}
	}
	if newSecret != nil {
		if err := m.setSecretEnd(ctx, conn.ID, newSecret.KeyID, newSecret.EndDateTime); err != nil {
			return res, &SetupError{StepConnection, err, ""}
		}
	}
	res.Connection = conn
	report(StepConnection, true, "Saved the connection %s.", conn.Name)

	report(StepServiceSignIn, false, "Waiting for Microsoft to make the app usable everywhere (usually seconds).")
	if err := m.waitForApp(ctx, conn, secret, permissions.Names(permissions.GraphAppID, false)); err != nil {
		return res, &SetupError{StepServiceSignIn, err, "Microsoft has not made the new app usable yet: run setup again in a few minutes; it keeps what was made."}
	}
	report(StepServiceSignIn, false, "Sign in as the GDAP service account in the browser.")
	acc, err := m.SignIn(ctx, conn.ID)
	if err != nil {
		return res, &SetupError{StepServiceSignIn, err, "Sign in with the account that is in your GDAP security groups (not the administrator), then run setup again: it keeps what was made."}
	}
	res.Account = acc
	if res.Connection, err = m.Connection(ctx, conn.ID); err != nil {
		return res, &SetupError{StepServiceSignIn, err, "Run setup again: it keeps what was made."}
	}
	report(StepServiceSignIn, true, "Signed in as %s.", acc.Username)
	return res, nil
}

func orNotFound(err error, what string) error {
	if err != nil {
		return err
	}
	return errors.New(what + " was not found in the tenant")
}

func (m *Manager) httpClient() *http.Client {
	if m.net.HTTP != nil {
		return m.net.HTTP
	}
	return &http.Client{Transport: m.transport()}
}

// setSecretEnd records the end date of the connection's secret.
func (m *Manager) setSecretEnd(ctx context.Context, id, keyID string, end time.Time) error {
	return m.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Connection(id)
		if err != nil {
			return err
		}
		if c.SecretKeyID != keyID {
			c.SecretWarnedLevel = SecretOK
		}
		c.SecretKeyID, c.SecretExpires = keyID, end
		return tx.PutConnection(&c)
	})
}

// --- Graph, as the administrator ----------------------------------------

// adminGraph sends setup's few Graph writes. They are plain JSON requests:
// a dozen calls, once, where the SDK's generated models would only add
// conversions; reads during sync stay on the SDK.
type adminGraph struct {
	base   string
	client *http.Client
	token  func(context.Context) (string, error)
}

// GraphError is Graph's error answer.
type GraphError struct {
	Status  int
	Code    string
	Message string
}

func (e *GraphError) Error() string {
	return fmt.Sprintf("Microsoft Graph answered %d %s: %s", e.Status, e.Code, e.Message)
}

// notReplicated reports whether Graph's answer means "not there yet": an
// object written a moment ago that Entra has not replicated everywhere.
func notReplicated(err error) bool {
	var ge *GraphError
	return errors.As(err, &ge) && (ge.Status == http.StatusNotFound ||
		(ge.Status == http.StatusBadRequest && strings.Contains(ge.Message, "does not reference a valid application object")))
}

// replicationWait bounds how long setup waits for Entra to replicate what it
// just wrote (usually seconds).
const replicationWait = 2 * time.Minute

// eventually runs fn until it succeeds, fails for another reason than
// retry, or replicationWait has passed, backing off from 250 ms to 4 s.
func eventually(ctx context.Context, retry func(error) bool, fn func() error) error {
	deadline := time.Now().Add(replicationWait)
	wait := 250 * time.Millisecond
	for {
		err := fn()
		if err == nil || !retry(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, 4*time.Second)
	}
}

// do sends one request; answers that mean Entra has not replicated an
// object yet are retried (Microsoft's guidance for eventual consistency).
func (g *adminGraph) do(ctx context.Context, method, path string, body, into any) error {
	return eventually(ctx, notReplicated, func() error { return g.doOnce(ctx, method, path, body, into) })
}

func (g *adminGraph) doOnce(ctx context.Context, method, path string, body, into any) error {
	tok, err := g.token(ctx)
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(raw, &e)
		return &GraphError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if into != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, into); err != nil {
			return fmt.Errorf("read Graph's answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

func filterEq(prop, value string) string {
	return "?$filter=" + url.QueryEscape(prop+" eq '"+strings.ReplaceAll(value, "'", "''")+"'")
}

type permissionDef struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

type servicePrincipalObj struct {
	ID                     string          `json:"id"`
	AppID                  string          `json:"appId"`
	AppRoles               []permissionDef `json:"appRoles"`
	OAuth2PermissionScopes []permissionDef `json:"oauth2PermissionScopes"`
}

func (sp *servicePrincipalObj) find(list []permissionDef, name string) string {
	for _, p := range list {
		if strings.EqualFold(p.Value, name) {
			return p.ID
		}
	}
	return ""
}

func (g *adminGraph) servicePrincipal(ctx context.Context, appID string) (*servicePrincipalObj, error) {
	var out struct {
		Value []servicePrincipalObj `json:"value"`
	}
	if err := g.do(ctx, http.MethodGet, "/servicePrincipals"+filterEq("appId", appID), nil, &out); err != nil {
		return nil, err
	}
	if len(out.Value) == 0 {
		return nil, nil
	}
	return &out.Value[0], nil
}

func (g *adminGraph) createServicePrincipal(ctx context.Context, appID string) (*servicePrincipalObj, error) {
	var sp servicePrincipalObj
	err := g.do(ctx, http.MethodPost, "/servicePrincipals", map[string]string{"appId": appID}, &sp)
	return &sp, err
}

type resourceAccessObj struct {
	ResourceAppID  string `json:"resourceAppId"`
	ResourceAccess []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"resourceAccess"`
}

type accessEntry = struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// requiredAccess turns permissions.Required into requiredResourceAccess,
// with the ids the resources publish in this tenant.
func requiredAccess(graphSP, pcSP *servicePrincipalObj) ([]resourceAccessObj, error) {
	byRes := map[string]*resourceAccessObj{}
	var order []string
	for _, p := range permissions.Required {
		sp := graphSP
		if p.ResourceAppID == permissions.PartnerCenterAppID {
			sp = pcSP
		}
		if sp == nil {
			continue // a tenant without Partner Center: no consent into customers
		}
		ra := byRes[p.ResourceAppID]
		if ra == nil {
			ra = &resourceAccessObj{ResourceAppID: p.ResourceAppID}
			byRes[p.ResourceAppID] = ra
			order = append(order, p.ResourceAppID)
		}
		if p.Delegated {
			id := sp.find(sp.OAuth2PermissionScopes, p.Name)
			if id == "" {
				return nil, fmt.Errorf("%s does not publish the delegated permission %s", p.Resource(), p.Name)
			}
			ra.ResourceAccess = append(ra.ResourceAccess, accessEntry{id, "Scope"})
		}
		if p.Application {
			id := sp.find(sp.AppRoles, p.Name)
			if id == "" {
				return nil, fmt.Errorf("%s does not publish the application permission %s", p.Resource(), p.Name)
			}
			ra.ResourceAccess = append(ra.ResourceAccess, accessEntry{id, "Role"})
		}
	}
	out := make([]resourceAccessObj, 0, len(order))
	for _, id := range order {
		out = append(out, *byRes[id])
	}
	return out, nil
}

type passwordCredential struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName"`
	Hint        string    `json:"hint"`
	EndDateTime time.Time `json:"endDateTime"`
	SecretText  string    `json:"secretText"`
}

type applicationObj struct {
	ID             string `json:"id"`
	AppID          string `json:"appId"`
	DisplayName    string `json:"displayName"`
	SignInAudience string `json:"signInAudience"`
	Web            struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"web"`
	PublicClient struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"publicClient"`
	RequiredResourceAccess []resourceAccessObj  `json:"requiredResourceAccess"`
	PasswordCredentials    []passwordCredential `json:"passwordCredentials"`

	repairs []string
}

// holdsSecret reports whether the app still has a live password whose
// hint (its first three characters) matches secret.
func (a *applicationObj) holdsSecret(secret string, now time.Time) bool {
	for _, p := range a.PasswordCredentials {
		if len(secret) >= 3 && p.Hint == secret[:3] && now.Before(p.EndDateTime) {
			return true
		}
	}
	return false
}

// repair returns the PATCH body that makes the app what setup registers,
// or nil when it already is; a.repairs says what changes, for people.
func (a *applicationObj) repair(redirect string, required []resourceAccessObj) map[string]any {
	patch := map[string]any{}
	if a.SignInAudience != "AzureADMultipleOrgs" {
		patch["signInAudience"] = "AzureADMultipleOrgs"
		a.repairs = append(a.repairs, "made multi-tenant")
	}
	if !slices.Contains(a.Web.RedirectURIs, redirect) {
		patch["web"] = map[string]any{"redirectUris": append(slices.Clone(a.Web.RedirectURIs), redirect)}
		a.repairs = append(a.repairs, "added the Web redirect "+redirect)
	}
	if i := slices.IndexFunc(a.PublicClient.RedirectURIs, func(u string) bool { return strings.HasPrefix(u, "http://localhost") }); i >= 0 {
		patch["publicClient"] = map[string]any{"redirectUris": slices.Delete(slices.Clone(a.PublicClient.RedirectURIs), i, i+1)}
		a.repairs = append(a.repairs, "removed the Mobile and desktop redirect "+a.PublicClient.RedirectURIs[i])
	}
	if !sameAccess(a.RequiredResourceAccess, required) {
		patch["requiredResourceAccess"] = required
		a.repairs = append(a.repairs, "set the API permissions tenantsync needs")
	}
	if len(patch) == 0 {
		return nil
	}
	return patch
}

func sameAccess(a, b []resourceAccessObj) bool {
	key := func(list []resourceAccessObj) []string {
		var out []string
		for _, ra := range list {
			for _, e := range ra.ResourceAccess {
				out = append(out, strings.ToLower(ra.ResourceAppID+"/"+e.Type+"/"+e.ID))
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// findApplication looks an app up by client id, else by display name.
func (g *adminGraph) findApplication(ctx context.Context, clientID, name string) (*applicationObj, error) {
	var out struct {
		Value []applicationObj `json:"value"`
	}
	if clientID != "" {
		if err := g.do(ctx, http.MethodGet, "/applications"+filterEq("appId", clientID), nil, &out); err != nil {
			return nil, err
		}
		if len(out.Value) > 0 {
			return &out.Value[0], nil
		}
	}
	if err := g.do(ctx, http.MethodGet, "/applications"+filterEq("displayName", name), nil, &out); err != nil {
		return nil, err
	}
	if len(out.Value) == 0 {
		return nil, nil
	}
	// Several apps of that name: the one made for tenantsync (a Web
	// loopback redirect) first, else the oldest.
	for i := range out.Value {
		for _, u := range out.Value[i].Web.RedirectURIs {
			if strings.HasPrefix(u, "http://localhost") {
				return &out.Value[i], nil
			}
		}
	}
	return &out.Value[0], nil
}

func (g *adminGraph) createApplication(ctx context.Context, name, redirect string, required []resourceAccessObj) (*applicationObj, error) {
	var app applicationObj
	err := g.do(ctx, http.MethodPost, "/applications", map[string]any{
		"displayName": name, "signInAudience": "AzureADMultipleOrgs",
		"web":                    map[string]any{"redirectUris": []string{redirect}},
		"requiredResourceAccess": required,
	}, &app)
	return &app, err
}

func (g *adminGraph) addPassword(ctx context.Context, objectID, name string) (*passwordCredential, error) {
	var p passwordCredential
	if err := g.do(ctx, http.MethodPost, "/applications/"+objectID+"/addPassword", map[string]any{"passwordCredential": map[string]any{"displayName": name}}, &p); err != nil {
		return nil, err
	}
	if p.SecretText == "" {
		return nil, errors.New("add password: Microsoft Graph returned no secret text")
	}
	return &p, nil
}

type roleAssignment struct {
	AppRoleID  string `json:"appRoleId"`
	ResourceID string `json:"resourceId"`
}

type grantObj struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`
	ConsentType string `json:"consentType"`
	ResourceID  string `json:"resourceId"`
	Scope       string `json:"scope"`
}

// grantAdminConsent grants, in the partner tenant, the delegated and
// application permissions tenantsync requires, and returns what it added.
func (g *adminGraph) grantAdminConsent(ctx context.Context, sp, graphSP, pcSP *servicePrincipalObj) ([]string, error) {
	var added []string
	var grants struct {
		Value []grantObj `json:"value"`
	}
	if err := g.do(ctx, http.MethodGet, "/oauth2PermissionGrants"+filterEq("clientId", sp.ID), nil, &grants); err != nil {
		return nil, err
	}
	for _, res := range []*servicePrincipalObj{graphSP, pcSP} {
		if res == nil {
			continue
		}
		want := permissions.Names(res.AppID, true)
		i := slices.IndexFunc(grants.Value, func(gr grantObj) bool { return gr.ResourceID == res.ID && gr.ConsentType == "AllPrincipals" })
		if i < 0 {
			body := map[string]string{"clientId": sp.ID, "consentType": "AllPrincipals", "resourceId": res.ID, "scope": strings.Join(want, " ")}
			if err := g.do(ctx, http.MethodPost, "/oauth2PermissionGrants", body, nil); err != nil {
				return nil, err
			}
			added = append(added, want...)
			continue
		}
		have := strings.Fields(grants.Value[i].Scope)
		var missing []string
		for _, w := range want {
			if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
				missing = append(missing, w)
			}
		}
		if len(missing) > 0 {
			body := map[string]string{"scope": strings.Join(append(have, missing...), " ")}
			if err := g.do(ctx, http.MethodPatch, "/oauth2PermissionGrants/"+grants.Value[i].ID, body, nil); err != nil {
				return nil, err
			}
			added = append(added, missing...)
		}
	}
	var assigned struct {
		Value []roleAssignment `json:"value"`
	}
	if err := g.do(ctx, http.MethodGet, "/servicePrincipals/"+sp.ID+"/appRoleAssignments", nil, &assigned); err != nil {
		return nil, err
	}
	for _, name := range permissions.Names(permissions.GraphAppID, false) {
		roleID := graphSP.find(graphSP.AppRoles, name)
		if slices.ContainsFunc(assigned.Value, func(a roleAssignment) bool {
			return strings.EqualFold(a.AppRoleID, roleID) && a.ResourceID == graphSP.ID
		}) {
			continue
		}
		body := map[string]string{"principalId": sp.ID, "resourceId": graphSP.ID, "appRoleId": roleID}
		if err := g.do(ctx, http.MethodPost, "/servicePrincipals/"+graphSP.ID+"/appRoleAssignedTo", body, nil); err != nil {
			return nil, err
		}
		added = append(added, name+" (application)")
	}
	return added, nil
}

// waitForApp waits until Entra signs the app in with its secret in the
// connection's tenant, holding the application permissions roles (those are
// granted last): then the service account's sign-in will find it too.
func (m *Manager) waitForApp(ctx context.Context, c store.Connection, secret string, roles []string) error {
	probe := c
	probe.Mode, probe.Account = store.ModeApp, ""
	var missing []string
	err := eventually(ctx, func(err error) bool {
		var ae *auth.Error
		return errors.Is(err, errRolesMissing) || (errors.As(err, &ae) && (ae.AADSTS == 700016 || ae.AADSTS == 7000215 || ae.AADSTS == 65001))
	}, func() error {
		// A fresh session each time: MSAL would keep serving a token
		// issued before the roles replicated.
		sess, err := auth.NewSession(auth.Config{Conn: probe, Secret: secret, HTTP: m.net.HTTP, Cloud: m.cloudOf(c)})
		if err != nil {
			return err
		}
		tok, err := sess.Token(ctx, c.TenantID)
		if err != nil {
			return err
		}
		have, _ := tokenPermissions(tok)
		missing = missing[:0]
		for _, r := range roles {
			if !have[r] {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			return errRolesMissing
		}
		return nil
	})
	if errors.Is(err, errRolesMissing) {
		return fmt.Errorf("the app's token still lacks %s", strings.Join(missing, ", "))
	}
	return err
}

var errRolesMissing = errors.New("application permissions not in the token yet")
