package m365sim

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/permissions"
)

// The directory objects behind every sign-in, as Entra keeps them. Nothing
// is implicit: a client can sign in only through an application object
// (registered in the partner tenant, or one of Microsoft's first-party
// clients), only where that application has a service principal, and a
// token carries only what was granted in the tenant it is for:
//
//	application (partner tenant)      appId, signInAudience, web.redirectUris,
//	                                  publicClient.redirectUris, isFallbackPublicClient,
//	                                  requiredResourceAccess, passwordCredentials
//	servicePrincipal (each tenant)    appId -> the application (or a Microsoft resource)
//	appRoleAssignment (each tenant)   client SP -> resource SP, appRoleId   => token "roles"
//	oauth2PermissionGrant (each)      client SP -> resource SP, scope       => token "scp"
//
// Microsoft Graph's service principal exists in every tenant; Partner
// Center's only in the partner's (Microsoft provisions it for CSP partners),
// so asking for a Partner Center token elsewhere answers AADSTS650052.

// permDef is one permission a Microsoft resource publishes.
type permDef struct {
	name    string
	roleID  string // appRoles id ("" when there is no application permission)
	scopeID string // oauth2PermissionScopes id ("" when there is no delegated one)
	// userConsent: a user may consent to the delegated permission for
	// themselves; every other one needs an administrator.
	userConsent bool
}

// graphPermissions are the ids Microsoft Graph publishes (concepts/includes/
// permissions-ids.md of microsoft-graph-docs-contrib; admin consent per
// concepts/permissions-reference.md).
var graphPermissions = []permDef{
	{"User.Read.All", "df021288-bdef-4463-88db-98f22de89214", "a154be20-db9c-4678-8ab7-66f6cc099a59", false},
	{"User.ReadBasic.All", "", "b340eb25-3456-403f-be2f-af7a0d370277", true},
	{"User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca", "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4", false},
	{"Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61", "06da0dbc-49e2-44d2-8312-53f166ab848a", false},
	{"Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "c5366453-9fb0-48a5-a156-24f0c49a4b84", false},
	{"Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6", "4908d5b9-3fb2-4b1e-9336-1888b7937185", false},
	{"Domain.Read.All", "dbb9058a-0e50-45d7-ae91-66909b5d4664", "2f9ee017-59c1-4f1d-9472-bd5529a7b311", false},
	{"Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b", "5f8c59db-677d-491f-a6b8-5f174b11ec1d", false},
	{"Reports.Read.All", "230c1aed-a721-4c5d-9cb4-a90514e508ef", "02e97553-ed7b-43d0-ab3c-f8bace0d040c", false},
	{"ReportSettings.Read.All", "ee353f83-55ef-4b78-82da-555bfa2b4b95", "84fac5f4-33a9-4100-aa38-a20c6d29e5e7", false},
	{"AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da", "e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20", false},
	{"DeviceManagementManagedDevices.Read.All", "2f51be20-0bb4-4fed-bf7b-db946066c75e", "314874da-47d6-4978-88dc-cf0d37f0bb82", false},
	{"DelegatedAdminRelationship.Read.All", "f6e9e124-4586-492f-adc0-c6f96e4823fd", "0c0064ea-477b-4130-82a5-4c2cc4ff68aa", false},
	{"DelegatedAdminRelationship.ReadWrite.All", "cc13eba4-8cd8-44c6-b4d4-f93237adce58", "885f682f-a990-4bad-a642-36736a74b0c7", false},
	{"Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "c79f8feb-a9db-4090-85f9-90d820caa0eb", false},
	{"Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "bdfbf15f-ee85-4955-8675-146e8e5296b5", false},
	{"Application.ReadWrite.OwnedBy", "18a4783c-866b-4cc7-a460-3d5e5662c884", "", false},
	{"AppRoleAssignment.ReadWrite.All", "06b708a9-e830-4db3-a914-8e69da51d44f", "84bccea3-f856-4a8a-967b-dbe0a3d53a64", false},
	{"DelegatedPermissionGrant.ReadWrite.All", "8e8e4742-1d95-4f68-9d56-6ee75648c72a", "41ce6ca6-6826-4807-84f1-1c82854f7ee5", false},
	{"User.Read", "", "e1fe6dd8-ba31-4d61-89e7-88639da4683d", true},
	{"offline_access", "", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", true},
	{"openid", "", "37f7f235-527c-4136-accd-4a02d197296e", true},
	{"profile", "", "14dad69e-099b-42c9-810b-d002981feec1", true},
	{"email", "", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", true},
}

// partnerCenterPermissions: Partner Center publishes one delegated
// permission and no application permissions.
var partnerCenterPermissions = []permDef{
	{permissions.PartnerCenterScopeName, "", "1cebfa2a-fb4d-419e-b5f9-839b4383e05a", false},
}

// resourceApp is a Microsoft API whose service principal tenants hold.
type resourceApp struct {
	appID, displayName, audience string
	perms                        []permDef
}

var (
	graphAPI         = &resourceApp{permissions.GraphAppID, "Microsoft Graph", graphResource, graphPermissions}
	partnerCenterAPI = &resourceApp{permissions.PartnerCenterAppID, "Microsoft Partner Center", permissions.PartnerCenterResource, partnerCenterPermissions}
)

func (r *resourceApp) perm(name string) *permDef {
	for i := range r.perms {
		if strings.EqualFold(r.perms[i].name, name) {
			return &r.perms[i]
		}
	}
	return nil
}

func (r *resourceApp) permByID(id string, role bool) *permDef {
	for i := range r.perms {
		p := &r.perms[i]
		if (role && p.roleID == id && id != "") || (!role && p.scopeID == id && id != "") {
			return p
		}
	}
	return nil
}

// Sign-in audiences (application.signInAudience).
const (
	audienceMyOrg      = "AzureADMyOrg"
	audienceMultipleOr = "AzureADMultipleOrgs"
)

// resourceAccess is one entry of requiredResourceAccess.
type resourceAccess struct {
	ResourceAppID string        `json:"resourceAppId"`
	Access        []accessEntry `json:"resourceAccess"`
}

type accessEntry struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "Scope" (delegated) or "Role" (application)
}

// passwordCredential is one client secret of an application.
type passwordCredential struct {
	keyID, displayName, hint, secret string
	start, end                       time.Time
	created                          time.Time // zero: made before the simulation
}

// application is an app registration in its home tenant.
type application struct {
	objectID, appID, displayName, audience string
	home                                   *tenant // nil for Microsoft's first-party clients
	web, public                            []string
	fallbackPublic                         bool
	required                               []resourceAccess
	passwords                              []*passwordCredential
	created                                time.Time
	// firstParty marks a Microsoft client present in every tenant; an
	// administrator's interactive sign-in consents to what it asks for,
	// as the consent page does.
	firstParty bool
}

// servicePrincipal is an application's (or Microsoft resource's) presence
// in one tenant.
type servicePrincipal struct {
	objectID, appID, displayName string
	tenant                       *tenant
	app                          *application // a registered or first-party client
	res                          *resourceApp // a Microsoft resource
	created                      time.Time
}

type appRoleAssignment struct {
	id, principalID, resourceID, appRoleID string
	created                                time.Time // zero: made before the simulation
}

// Consent types of oauth2PermissionGrant.
const (
	consentAll       = "AllPrincipals"
	consentPrincipal = "Principal"
)

type permissionGrant struct {
	id, clientID, consentType, principalID, resourceID, scope string
	created                                                   time.Time // zero: made before the simulation
}

// directory holds every tenant's applications, service principals and
// grants. One lock: they change rarely (setup, consent) and are read once
// per token.
type directory struct {
	mu          sync.Mutex
	apps        map[string]*application                 // by appId
	appsByObj   map[string]*application                 // by object id
	sps         map[string]*servicePrincipal            // by object id
	spIn        map[string]map[string]*servicePrincipal // tenant id -> appId -> SP
	assignments []*appRoleAssignment
	grants      []*permissionGrant
	backdate    bool // see stampLocked
}

func newDirectory() *directory {
	d := &directory{apps: map[string]*application{}, appsByObj: map[string]*application{},
		sps: map[string]*servicePrincipal{}, spIn: map[string]map[string]*servicePrincipal{}}
	gps := graphPowerShell()
	d.apps[gps.appID] = gps
	return d
}

// graphPowerShell is Microsoft Graph PowerShell's client ("Microsoft Graph
// Command Line Tools"): public, multi-tenant, loopback redirect. Microsoft
// documents its id, not its registration; the loopback redirect and the
// consent on the sign-in page are what Connect-MgGraph relies on.
func graphPowerShell() *application {
	return &application{objectID: "", appID: permissions.GraphPowerShellClientID, displayName: "Microsoft Graph Command Line Tools",
		audience: audienceMultipleOr, public: []string{"http://localhost"}, fallbackPublic: true, firstParty: true}
}

// resourceSPLocked returns a tenant's service principal of a Microsoft
// resource: Graph everywhere, Partner Center only in the partner tenant.
func (s *Server) resourceSPLocked(t *tenant, r *resourceApp) *servicePrincipal {
	if sp := s.dir.spIn[t.id][r.appID]; sp != nil {
		return sp
	}
	if r == partnerCenterAPI && t != s.partner {
		return nil
	}
	sp := &servicePrincipal{objectID: guid(uint64(s.opt.Seed), saltApp, 10, hstr(t.id), hstr(r.appID)), appID: r.appID,
		displayName: r.displayName, tenant: t, res: r, created: t.created}
	s.addSPLocked(sp)
	return sp
}

func (s *Server) addSPLocked(sp *servicePrincipal) {
	if s.dir.spIn[sp.tenant.id] == nil {
		s.dir.spIn[sp.tenant.id] = map[string]*servicePrincipal{}
	}
	s.dir.spIn[sp.tenant.id][sp.appID] = sp
	s.dir.sps[sp.objectID] = sp
}

// Replication. "A successful write to Microsoft Entra does not guarantee
// that an immediate read will reflect that change" (Microsoft's guidance on
// designing for Entra's eventual consistency): an object written through
// Graph or Partner Center is invisible to reads and to sign-in for
// Options.ReplicationDelay after its creation. Objects of the ready state
// and of the admin center (Control.RegisterApp) are old: created zero.

// stampLocked is the creation time of an object made now: a year before
// the epoch while the directory is being backdated (the ready state, the
// admin center), so those objects are replicated from the start.
func (s *Server) stampLocked() time.Time {
	if s.dir.backdate {
		return s.epoch.AddDate(-1, 0, 0)
	}
	return s.now().UTC()
}

// backdatedLocked runs fn with every object it creates backdated.
func (s *Server) backdatedLocked(fn func()) {
	s.dir.backdate = true
	defer func() { s.dir.backdate = false }()
	fn()
}

// replicatedLocked reports whether an object created at c is visible yet.
func (s *Server) replicatedLocked(c time.Time) bool {
	return c.IsZero() || !s.now().Before(c.Add(s.opt.ReplicationDelay))
}

// liveClientSPLocked is clientSPLocked for sign-in: nil while the principal
// has not replicated.
func (s *Server) liveClientSPLocked(t *tenant, appID string) *servicePrincipal {
	sp := s.clientSPLocked(t, appID)
	if sp == nil || !s.replicatedLocked(sp.created) {
		return nil
	}
	return sp
}

// clientSPLocked returns the service principal of a client application in
// a tenant, or nil when the tenant does not hold one.
func (s *Server) clientSPLocked(t *tenant, appID string) *servicePrincipal {
	return s.dir.spIn[t.id][strings.ToLower(appID)]
}

// resourceFor maps a token audience to the resource it names.
func resourceFor(aud string) *resourceApp {
	switch strings.TrimSuffix(strings.ToLower(aud), "/") {
	case graphResource, permissions.GraphAppID:
		return graphAPI
	case permissions.PartnerCenterResource, permissions.PartnerCenterAppID:
		return partnerCenterAPI
	}
	return nil
}

// lookupClientLocked finds the application a client id names: one
// registered in the partner tenant, or a first-party client.
func (s *Server) lookupClientLocked(clientID string) *application {
	a := s.dir.apps[strings.ToLower(strings.Trim(clientID, "{}"))]
	if a == nil || !s.replicatedLocked(a.created) {
		return nil
	}
	return a
}

// redirectPlatform says on which platform of app a redirect URI is
// registered: "web", "public", or "" when it is not registered.
//
// Matching follows Entra's "Redirect URI (reply URL) outline and
// restrictions": the scheme, host and path must match exactly (case-
// insensitively for scheme and host), the query too; http is accepted only
// for localhost, and for http://localhost and http://127.0.0.1 the port is
// ignored. localhost and 127.0.0.1 are different hosts. A URI registered on
// both platforms makes Entra pick one "arbitrarily": the simulator takes the
// public one, the stricter for a confidential client.
func (a *application) redirectPlatform(raw string) string {
	in := func(list []string) bool {
		for _, r := range list {
			if redirectMatches(r, raw) {
				return true
			}
		}
		return false
	}
	switch {
	case in(a.public):
		return "public"
	case in(a.web):
		return "web"
	}
	return ""
}

// Silent in the documentation, strict here: "http://localhost" and
// "http://localhost/" differ (the path must match), and the query too.
func redirectMatches(registered, sent string) bool {
	r, err1 := url.Parse(registered)
	u, err2 := url.Parse(sent)
	if err1 != nil || err2 != nil || u.Fragment != "" || u.User != nil {
		return false
	}
	if !strings.EqualFold(r.Scheme, u.Scheme) || !strings.EqualFold(r.Hostname(), u.Hostname()) || r.Path != u.Path || r.RawQuery != u.RawQuery {
		return false
	}
	host := strings.ToLower(u.Hostname())
	loopback := host == "localhost" || host == "127.0.0.1"
	if strings.EqualFold(u.Scheme, "http") && !loopback {
		return false
	}
	return loopback || r.Port() == u.Port()
}

// checkSecret finds the password credential a presented secret matches:
// none -> AADSTS7000215, an expired one -> AADSTS7000222.
func (s *Server) checkSecretLocked(a *application, secret string, now time.Time) (ok, expired bool) {
	for _, p := range a.passwords {
		if !s.replicatedLocked(p.created) {
			continue // a new secret is refused for a while, as in Entra
		}
		if subtle.ConstantTimeCompare([]byte(secret), []byte(p.secret)) == 1 {
			if now.Before(p.start) || !now.Before(p.end) {
				return false, true
			}
			return true, false
		}
	}
	return false, false
}

// grantedScopesLocked are the delegated permissions user oid holds for
// client on resource in tenant t: admin consent (AllPrincipals) plus the
// user's own consent.
func (s *Server) grantedScopesLocked(t *tenant, client, resource *servicePrincipal, oid string) []string {
	var out []string
	for _, g := range s.dir.grants {
		if g.clientID != client.objectID || g.resourceID != resource.objectID || !s.replicatedLocked(g.created) {
			continue
		}
		if g.consentType == consentAll || (g.consentType == consentPrincipal && g.principalID == oid) {
			for _, sc := range strings.Fields(g.scope) {
				if !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, sc) }) {
					out = append(out, sc)
				}
			}
		}
	}
	return out
}

// grantedRolesLocked are the application permissions client holds on
// resource in its tenant.
func (s *Server) grantedRolesLocked(client, resource *servicePrincipal) []string {
	var out []string
	for _, a := range s.dir.assignments {
		if a.principalID == client.objectID && a.resourceID == resource.objectID && s.replicatedLocked(a.created) {
			if p := resource.res.permByID(a.appRoleID, true); p != nil {
				out = append(out, p.name)
			}
		}
	}
	return out
}

// createApplicationLocked registers an application in tenant home.
func (s *Server) createApplicationLocked(home *tenant, app *application) *application {
	if app.objectID == "" {
		app.objectID = randomID()
	}
	if app.appID == "" {
		app.appID = randomID()
	}
	if app.audience == "" {
		app.audience = audienceMyOrg
	}
	app.home = home
	app.created = s.stampLocked()
	s.dir.apps[app.appID] = app
	s.dir.appsByObj[app.objectID] = app
	return app
}

// addPasswordLocked adds a client secret; Entra generates its text.
func (s *Server) addPasswordLocked(app *application, displayName, secret string, end time.Time) *passwordCredential {
	if secret == "" {
		secret = newSecretText()
	}
	now := s.now().UTC()
	if end.IsZero() {
		end = now.AddDate(2, 0, 0) // Graph's default: two years
	}
	p := &passwordCredential{keyID: randomID(), displayName: displayName, hint: secret[:3], secret: secret, start: now, end: end, created: s.stampLocked()}
	app.passwords = append(app.passwords, p)
	return p
}

const secretChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."

// newSecretText looks like Entra's: 40 characters with "8Q~" inside.
func newSecretText() string {
	b := make([]byte, 40)
	rand.Read(b)
	for i := range b {
		b[i] = secretChars[int(b[i])%len(secretChars)]
	}
	copy(b[3:], "8Q~")
	return string(b)
}

// createServicePrincipalLocked instantiates app in tenant t.
func (s *Server) createServicePrincipalLocked(t *tenant, app *application) *servicePrincipal {
	if sp := s.clientSPLocked(t, app.appID); sp != nil {
		return sp
	}
	sp := &servicePrincipal{objectID: randomID(), appID: app.appID, displayName: app.displayName, tenant: t, app: app, created: s.stampLocked()}
	s.addSPLocked(sp)
	return sp
}

// grantDelegatedLocked records an oauth2PermissionGrant, merging its scopes
// into an existing grant of the same client, resource and principal.
func (s *Server) grantDelegatedLocked(client, resource *servicePrincipal, consentType, principal, scope string) *permissionGrant {
	for _, g := range s.dir.grants {
		if g.clientID == client.objectID && g.resourceID == resource.objectID && g.consentType == consentType && g.principalID == principal {
			for _, sc := range strings.Fields(scope) {
				if !slices.Contains(strings.Fields(g.scope), sc) {
					g.scope = strings.TrimSpace(g.scope + " " + sc)
				}
			}
			return g
		}
	}
	g := &permissionGrant{id: randomID(), clientID: client.objectID, consentType: consentType, principalID: principal,
		resourceID: resource.objectID, scope: strings.Join(strings.Fields(scope), " "), created: s.stampLocked()}
	s.dir.grants = append(s.dir.grants, g)
	return g
}

// assignRoleLocked records an appRoleAssignment unless it exists.
func (s *Server) assignRoleLocked(client, resource *servicePrincipal, roleID string) (*appRoleAssignment, bool) {
	for _, a := range s.dir.assignments {
		if a.principalID == client.objectID && a.resourceID == resource.objectID && a.appRoleID == roleID {
			return a, false
		}
	}
	a := &appRoleAssignment{id: randomID(), principalID: client.objectID, resourceID: resource.objectID, appRoleID: roleID, created: s.stampLocked()}
	s.dir.assignments = append(s.dir.assignments, a)
	return a, true
}

// requiredAccess builds requiredResourceAccess from permission names.
func requiredAccess(graphDelegated, graphApp, pcDelegated []string) []resourceAccess {
	build := func(r *resourceApp, delegated, app []string) *resourceAccess {
		ra := resourceAccess{ResourceAppID: r.appID}
		for _, n := range delegated {
			if p := r.perm(n); p != nil && p.scopeID != "" {
				ra.Access = append(ra.Access, accessEntry{ID: p.scopeID, Type: "Scope"})
			}
		}
		for _, n := range app {
			if p := r.perm(n); p != nil && p.roleID != "" {
				ra.Access = append(ra.Access, accessEntry{ID: p.roleID, Type: "Role"})
			}
		}
		if len(ra.Access) == 0 {
			return nil
		}
		return &ra
	}
	var out []resourceAccess
	if ra := build(graphAPI, graphDelegated, graphApp); ra != nil {
		out = append(out, *ra)
	}
	if ra := build(partnerCenterAPI, pcDelegated, nil); ra != nil {
		out = append(out, *ra)
	}
	return out
}

// adminConsentLocked does what "Grant admin consent" does in tenant t for
// what app requires: its service principal, an AllPrincipals grant per
// resource for the delegated permissions, an assignment per application
// permission. Resources the tenant does not hold are skipped (the portal
// reports them; the token endpoint then answers AADSTS650052).
func (s *Server) adminConsentLocked(t *tenant, app *application) *servicePrincipal {
	sp := s.createServicePrincipalLocked(t, app)
	for _, ra := range app.required {
		res := resourceFor(ra.ResourceAppID)
		if res == nil {
			continue
		}
		rsp := s.resourceSPLocked(t, res)
		if rsp == nil {
			continue
		}
		var scopes []string
		for _, e := range ra.Access {
			switch e.Type {
			case "Scope":
				if p := res.permByID(e.ID, false); p != nil {
					scopes = append(scopes, p.name)
				}
			case "Role":
				s.assignRoleLocked(sp, rsp, e.ID)
			}
		}
		if len(scopes) > 0 {
			s.grantDelegatedLocked(sp, rsp, consentAll, "", strings.Join(scopes, " "))
		}
	}
	return sp
}

// partnerConsentLocked is what Partner Center's applicationconsents does
// in a customer tenant: the app's service principal and, per grant, an
// AllPrincipals delegated grant of the listed scopes on that resource.
func (s *Server) partnerConsentLocked(t *tenant, app *application, grants []consentGrant) (*servicePrincipal, error) {
	sp := s.createServicePrincipalLocked(t, app)
	for _, g := range grants {
		res := resourceFor(g.EnterpriseApplicationID)
		if res == nil {
			return nil, fmt.Errorf("unknown enterpriseApplicationId %q", g.EnterpriseApplicationID)
		}
		rsp := s.resourceSPLocked(t, res)
		if rsp == nil {
			return nil, fmt.Errorf("the customer does not hold %s", res.displayName)
		}
		var names []string
		for _, sc := range strings.Split(g.Scope, ",") {
			if sc = strings.TrimSpace(sc); sc == "" {
				continue
			}
			p := res.perm(sc)
			if p == nil || p.scopeID == "" {
				return nil, fmt.Errorf("%s has no delegated permission %q", res.displayName, sc)
			}
			names = append(names, p.name)
		}
		s.grantDelegatedLocked(sp, rsp, consentAll, "", strings.Join(names, " "))
	}
	return sp, nil
}

// removeClientLocked deletes an app's service principal in t with its
// grants and assignments (what DELETE applicationconsents does).
func (s *Server) removeClientLocked(t *tenant, appID string) bool {
	sp := s.clientSPLocked(t, appID)
	if sp == nil {
		return false
	}
	delete(s.dir.spIn[t.id], sp.appID)
	delete(s.dir.sps, sp.objectID)
	s.dir.grants = slices.DeleteFunc(s.dir.grants, func(g *permissionGrant) bool { return g.clientID == sp.objectID })
	s.dir.assignments = slices.DeleteFunc(s.dir.assignments, func(a *appRoleAssignment) bool { return a.principalID == sp.objectID })
	return true
}
