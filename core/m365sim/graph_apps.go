package m365sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Graph's application, service principal and permission grant endpoints,
// what setting up a multi-tenant app takes (api-reference/v1.0 pages of
// microsoft-graph-docs-contrib; least privilege first in each list):
//
//	GET   /applications?$filter=appId eq '…' | displayName eq '…'
//	POST  /applications                                  201
//	GET   /applications/{id}   PATCH /applications/{id}  204
//	POST  /applications/{id}/addPassword                 200, secretText only here
//	POST  /applications/{id}/removePassword              204
//	GET   /servicePrincipals?$filter=appId eq '…'
//	POST  /servicePrincipals                             201
//	GET   /servicePrincipals/{id}/appRoleAssignedTo   POST 201
//	GET   /servicePrincipals/{id}/appRoleAssignments
//	GET   /oauth2PermissionGrants?$filter=clientId eq '…'
//	POST  /oauth2PermissionGrants                        201
//	PATCH /oauth2PermissionGrants/{id}                   204
//
// Delegated writes also need a directory role of the signed-in user. The
// documented lists differ per endpoint (Application Administrator, Cloud
// Application Administrator, Privileged Role Administrator, ...); the
// simulator models Global Administrator only, the one role that passes
// every one of them, and refuses everyone else.
//
// Duplicates are refused, where the documentation is silent, with the
// answers partners meet: a second service principal for an app 409
// Request_MultipleObjectsWithSameKeyValue, a second identical app role
// assignment 400 "Permission being assigned already exists on the object",
// a second grant for the same client, resource and principal 409.

// Permission lists as the API reference documents them (least privileged
// first). Application.ReadWrite.OwnedBy is documented for several of them
// but only for apps the caller owns; the simulator models no owners, so it
// refuses OwnedBy (stricter).
var (
	appReadPerms    = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	appCreatePerms  = []string{"AppRegistration.Create", "Application.ReadWrite.All"}
	appWritePerms   = []string{"Application.ReadWrite.All"}
	spCreatePerms   = []string{"Application.ReadWrite.All", "Directory.ReadWrite.All"}
	assignReadPerms = []string{"Application.Read.All", "Directory.Read.All", "AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All"}
	assignPerms     = []string{"AppRoleAssignment.ReadWrite.All"}
	assignAlsoPerms = []string{"Application.Read.All", "Directory.Read.All"} // "AppRoleAssignment.ReadWrite.All and Application.Read.All" (or Directory.Read.All)
	grantReadPerms  = []string{"Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"}
	grantPerms      = []string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"}
)

// appRoute routes the directory-object endpoints; nil when path is not one.
func (s *Server) appRoute(gr *graphReq, segs []string) *route {
	n := len(segs)
	at := func(i int) string {
		if i < n {
			return segs[i]
		}
		return ""
	}
	r := func(method, ep string, perms []string, fn func(gr *graphReq, segs []string) graphResp) *route {
		return &route{method: method, endpoint: method + " " + ep, class: classNone, cost: 1, perms: perms,
			needsAdmin: method != http.MethodGet, fn: func(gr *graphReq) graphResp { return fn(gr, segs) }}
	}
	m := gr.method
	switch {
	case at(0) == "applications" && n == 1 && m == http.MethodPost:
		return r(m, "/applications", appCreatePerms, s.createApplication)
	case at(0) == "applications" && n == 1:
		return r(http.MethodGet, "/applications", appReadPerms, s.listApplications)
	case at(0) == "applications" && n == 2 && m == http.MethodPatch:
		return r(m, "/applications/{id}", appWritePerms, s.patchApplication)
	case at(0) == "applications" && n == 2:
		return r(http.MethodGet, "/applications/{id}", appReadPerms, s.getApplication)
	case at(0) == "applications" && n == 3 && (at(2) == "addPassword" || at(2) == "microsoft.graph.addPassword"):
		return r(http.MethodPost, "/applications/{id}/addPassword", appWritePerms, s.addPassword)
	case at(0) == "applications" && n == 3 && (at(2) == "removePassword" || at(2) == "microsoft.graph.removePassword"):
		return r(http.MethodPost, "/applications/{id}/removePassword", appWritePerms, s.removePassword)
	case at(0) == "servicePrincipals" && n == 1 && m == http.MethodPost:
		return r(m, "/servicePrincipals", spCreatePerms, s.createServicePrincipal)
	case at(0) == "servicePrincipals" && n == 1:
		return r(http.MethodGet, "/servicePrincipals", appReadPerms, s.listServicePrincipals)
	case at(0) == "servicePrincipals" && n == 3 && at(2) == "appRoleAssignedTo" && m == http.MethodPost:
		rt := r(m, "/servicePrincipals/{id}/appRoleAssignedTo", assignPerms, s.assignAppRole)
		rt.alsoPerms = assignAlsoPerms
		return rt
	case at(0) == "servicePrincipals" && n == 3 && (at(2) == "appRoleAssignedTo" || at(2) == "appRoleAssignments"):
		rt := r(http.MethodGet, "/servicePrincipals/{id}/"+at(2), assignReadPerms, s.listAssignments)
		rt.needsAdmin = true // delegated reads need a directory role (rbac-*-apis-read)
		return rt
	case at(0) == "oauth2PermissionGrants" && n == 1 && m == http.MethodPost:
		return r(m, "/oauth2PermissionGrants", grantPerms, s.createGrant)
	case at(0) == "oauth2PermissionGrants" && n == 1:
		rt := r(http.MethodGet, "/oauth2PermissionGrants", grantReadPerms, s.listGrants)
		rt.needsAdmin = true // delegated reads need a directory role (rbac-*-apis-read)
		return rt
	case at(0) == "oauth2PermissionGrants" && n == 2 && m == http.MethodPatch:
		return r(m, "/oauth2PermissionGrants/{id}", grantPerms, s.patchGrant)
	}
	return nil
}

// eqFilter reads "PROP eq 'value'". Values compare case-sensitively for
// displayName (stricter; Graph's directory compares case-insensitively in
// practice but does not document it), case-insensitively for ids.
var eqFilter = regexp.MustCompile(`^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$`)

// filterEq reads "$filter=PROP eq 'value'" for the allowed properties; no
// filter gives "", "".
func (s *Server) filterEq(gr *graphReq, allowed ...string) (string, string, *graphResp) {
	f := gr.query.Get("$filter")
	if f == "" {
		return "", "", nil
	}
	m := eqFilter.FindStringSubmatch(f)
	if m == nil || !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, m[1]) }) {
		r := s.gerr(gr, 400, "Request_UnsupportedQuery", fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource.", strings.Fields(f + " x")[0]))
		return "", "", &r
	}
	return strings.ToLower(m[1]), strings.ReplaceAll(m[2], "''", "'"), nil
}

// decodeBody reads a JSON body, refusing properties the simulator does not
// know: Graph's reference does not say what it does with them, so the
// stricter answer (400) keeps a misspelt property from passing unnoticed.
// (encoding/json matches names case-insensitively; Graph's are exact.)
func (s *Server) decodeBody(gr *graphReq, into any) *graphResp {
	dec := json.NewDecoder(bytes.NewReader(gr.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		r := s.gerr(gr, 400, "BadRequest", "Unable to read JSON request payload: "+err.Error())
		return &r
	}
	return nil
}

// --- applications -------------------------------------------------------

type appBody struct {
	// "Adding passwordCredential when creating applications is not
	// supported" and "Using PATCH to set passwordCredential is not
	// supported": use addPassword.
	PasswordCredentials    json.RawMessage  `json:"passwordCredentials"`
	DisplayName            *string          `json:"displayName"`
	SignInAudience         *string          `json:"signInAudience"`
	IsFallbackPublicClient *bool            `json:"isFallbackPublicClient"`
	Web                    *redirectsBody   `json:"web"`
	PublicClient           *redirectsBody   `json:"publicClient"`
	RequiredResourceAccess []resourceAccess `json:"requiredResourceAccess"`
}

type redirectsBody struct {
	RedirectURIs []string `json:"redirectUris"`
}

func (s *Server) applyAppBody(gr *graphReq, a *application, b appBody) *graphResp {
	bad := func(msg string) *graphResp {
		r := s.gerr(gr, 400, "Request_BadRequest", msg)
		return &r
	}
	if b.PasswordCredentials != nil {
		return bad("Adding or changing passwordCredentials is not supported here: use the addPassword action.")
	}
	if b.DisplayName != nil {
		if strings.TrimSpace(*b.DisplayName) == "" {
			return bad("Property displayName cannot be empty.")
		}
		a.displayName = *b.DisplayName
	}
	if b.SignInAudience != nil {
		switch *b.SignInAudience {
		case audienceMyOrg, audienceMultipleOr, "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount":
			a.audience = *b.SignInAudience
		default:
			return bad("Invalid value specified for property 'signInAudience' of resource 'Application'.")
		}
	}
	if b.IsFallbackPublicClient != nil {
		a.fallbackPublic = *b.IsFallbackPublicClient
	}
	for _, list := range []*redirectsBody{b.Web, b.PublicClient} {
		if list == nil {
			continue
		}
		for _, u := range list.RedirectURIs {
			if !validRedirect(u) {
				return bad(fmt.Sprintf("Invalid value specified for property 'redirectUris' of resource 'Application': %q. Redirect URIs must be https, or http for localhost only.", u))
			}
		}
	}
	if b.Web != nil {
		a.web = slices.Clone(b.Web.RedirectURIs)
	}
	if b.PublicClient != nil {
		a.public = slices.Clone(b.PublicClient.RedirectURIs)
	}
	if b.RequiredResourceAccess != nil {
		for _, ra := range b.RequiredResourceAccess {
			res := resourceFor(ra.ResourceAppID)
			for _, e := range ra.Access {
				if res == nil || (e.Type != "Scope" && e.Type != "Role") || res.permByID(e.ID, e.Type == "Role") == nil {
					return bad(fmt.Sprintf("Invalid value specified for property 'resourceAccess' of resource 'RequiredResourceAccess': %s %s of %s is not a permission that resource publishes.", e.Type, e.ID, ra.ResourceAppID))
				}
			}
		}
		a.required = slices.Clone(b.RequiredResourceAccess)
	}
	return nil
}

// validRedirect: https anywhere, http only for localhost (127.0.0.1 only
// through the manifest, which the API is), never a fragment. Strict where
// the documentation leaves room: custom schemes (allowed for "Mobile and
// desktop" in Entra) are refused too, since tenantsync never uses them.
func validRedirect(raw string) bool {
	i := strings.Index(raw, "://")
	if i < 0 || strings.Contains(raw, "#") {
		return false
	}
	scheme := strings.ToLower(raw[:i])
	if scheme == "https" {
		return len(raw) > i+3
	}
	host := strings.ToLower(raw[i+3:])
	host, _, _ = strings.Cut(host, "/")
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	return scheme == "http" && (host == "localhost" || host == "127.0.0.1")
}

func (s *Server) createApplication(gr *graphReq, _ []string) graphResp {
	var b appBody
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	if b.DisplayName == nil {
		return s.gerr(gr, 400, "Request_BadRequest", "A value is required for property 'displayName' of resource 'Application'.")
	}
	if gr.t != s.partner {
		// Only the partner's registrations are modelled: refused elsewhere
		// (stricter than Entra, which lets any tenant register apps).
		return s.gerr(gr, 403, "Authorization_RequestDenied", insufficient)
	}
	a := &application{}
	if bad := s.applyAppBody(gr, a, b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	s.createApplicationLocked(gr.t, a)
	body := s.appJSONLocked(a)
	s.dir.mu.Unlock()
	return s.gjson(201, body)
}

func (s *Server) findApp(gr *graphReq, id string) (*application, *graphResp) {
	s.dir.mu.Lock()
	a := s.dir.appsByObj[strings.ToLower(id)]
	visible := a != nil && s.replicatedLocked(a.created)
	s.dir.mu.Unlock()
	if !visible || a.home != gr.t {
		r := s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
		return nil, &r
	}
	return a, nil
}

func (s *Server) getApplication(gr *graphReq, segs []string) graphResp {
	a, bad := s.findApp(gr, segs[1])
	if bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	return s.gjson(200, selectProps(s.appJSONLocked(a), gr.query.Get("$select")))
}

func (s *Server) patchApplication(gr *graphReq, segs []string) graphResp {
	a, bad := s.findApp(gr, segs[1])
	if bad != nil {
		return *bad
	}
	var b appBody
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	c := *a
	if bad := s.applyAppBody(gr, &c, b); bad != nil {
		return *bad
	}
	*a = c
	return graphResp{status: 204, header: http.Header{}}
}

func (s *Server) listApplications(gr *graphReq, _ []string) graphResp {
	prop, val, bad := s.filterEq(gr, "appId", "displayName")
	if bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	var items []any
	for _, a := range s.registeredAppsLocked() {
		if a.home != gr.t || !s.replicatedLocked(a.created) {
			continue
		}
		if (prop == "appid" && !strings.EqualFold(a.appID, val)) || (prop == "displayname" && a.displayName != val) {
			continue
		}
		items = append(items, selectProps(s.appJSONLocked(a), gr.query.Get("$select")))
	}
	s.dir.mu.Unlock()
	return s.pageOf(gr, "applications", items, 100, 999)
}

func (s *Server) appJSONLocked(a *application) map[string]any {
	pw := []any{}
	for _, p := range a.passwords {
		pw = append(pw, passwordJSON(p, false))
	}
	return map[string]any{
		"id": a.objectID, "appId": a.appID, "displayName": a.displayName, "signInAudience": a.audience,
		"createdDateTime": a.created.Format(time.RFC3339), "isFallbackPublicClient": a.fallbackPublic,
		"web":                    map[string]any{"redirectUris": nonNil(a.web), "implicitGrantSettings": map[string]any{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
		"publicClient":           map[string]any{"redirectUris": nonNil(a.public)},
		"spa":                    map[string]any{"redirectUris": []string{}},
		"requiredResourceAccess": nonNilRA(a.required),
		"passwordCredentials":    pw,
	}
}

func nonNilRA(v []resourceAccess) []resourceAccess {
	if v == nil {
		return []resourceAccess{}
	}
	return v
}

func passwordJSON(p *passwordCredential, withSecret bool) map[string]any {
	m := map[string]any{"customKeyIdentifier": nil, "displayName": p.displayName, "hint": p.hint, "keyId": p.keyID,
		"startDateTime": p.start.Format(time.RFC3339), "endDateTime": p.end.Format(time.RFC3339), "secretText": nil}
	if withSecret {
		m["secretText"] = p.secret
	}
	return m
}

func (s *Server) addPassword(gr *graphReq, segs []string) graphResp {
	a, bad := s.findApp(gr, segs[1])
	if bad != nil {
		return *bad
	}
	var b struct {
		PasswordCredential struct {
			DisplayName   string     `json:"displayName"`
			StartDateTime *time.Time `json:"startDateTime"`
			EndDateTime   *time.Time `json:"endDateTime"`
		} `json:"passwordCredential"`
	}
	if len(gr.body) > 0 {
		if bad := s.decodeBody(gr, &b); bad != nil {
			return *bad
		}
	}
	var end time.Time
	if e := b.PasswordCredential.EndDateTime; e != nil {
		if !e.After(s.now()) {
			return s.gerr(gr, 400, "Request_BadRequest", "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential': it must be in the future.")
		}
		end = *e
	}
	s.dir.mu.Lock()
	p := s.addPasswordLocked(a, b.PasswordCredential.DisplayName, "", end)
	if st := b.PasswordCredential.StartDateTime; st != nil {
		// "startDateTime … Optional. The default value is 'now'."
		p.start = st.UTC()
		if !p.end.After(p.start) {
			s.dir.mu.Unlock()
			return s.gerr(gr, 400, "Request_BadRequest", "Invalid value specified for property 'startDateTime' of resource 'PasswordCredential': it must be before endDateTime.")
		}
	}
	body := passwordJSON(p, true)
	s.dir.mu.Unlock()
	body["@odata.context"] = s.info.GraphBase + "/$metadata#microsoft.graph.passwordCredential"
	return s.gjson(200, body)
}

func (s *Server) removePassword(gr *graphReq, segs []string) graphResp {
	a, bad := s.findApp(gr, segs[1])
	if bad != nil {
		return *bad
	}
	var b struct {
		KeyID string `json:"keyId"`
	}
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	i := slices.IndexFunc(a.passwords, func(p *passwordCredential) bool { return strings.EqualFold(p.keyID, b.KeyID) })
	if i < 0 {
		return s.gerr(gr, 400, "Request_BadRequest", fmt.Sprintf("No password credential with keyId '%s' exists on the application.", b.KeyID))
	}
	a.passwords = slices.Delete(a.passwords, i, i+1)
	return graphResp{status: 204, header: http.Header{}}
}

// --- service principals -------------------------------------------------

func (s *Server) spJSONLocked(sp *servicePrincipal) map[string]any {
	m := map[string]any{"id": sp.objectID, "appId": sp.appID, "displayName": sp.displayName, "accountEnabled": true,
		"servicePrincipalType": "Application", "appRoles": []any{}, "oauth2PermissionScopes": []any{}}
	if sp.app != nil && sp.app.home != nil {
		m["appOwnerOrganizationId"] = sp.app.home.id
	}
	if sp.res != nil {
		roles, scopes := []any{}, []any{}
		for _, p := range sp.res.perms {
			if p.roleID != "" {
				roles = append(roles, map[string]any{"id": p.roleID, "value": p.name, "displayName": p.name, "isEnabled": true, "allowedMemberTypes": []string{"Application"}, "description": p.name})
			}
			if p.scopeID != "" {
				typ := "Admin"
				if p.userConsent {
					typ = "User"
				}
				scopes = append(scopes, map[string]any{"id": p.scopeID, "value": p.name, "type": typ, "isEnabled": true, "adminConsentDisplayName": p.name, "adminConsentDescription": p.name})
			}
		}
		m["appRoles"], m["oauth2PermissionScopes"] = roles, scopes
	}
	return m
}

func (s *Server) listServicePrincipals(gr *graphReq, _ []string) graphResp {
	prop, val, bad := s.filterEq(gr, "appId", "displayName", "id")
	if bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	// Microsoft's resources are always listed: materialise them.
	s.resourceSPLocked(gr.t, graphAPI)
	s.resourceSPLocked(gr.t, partnerCenterAPI)
	var sps []*servicePrincipal
	for _, sp := range s.dir.spIn[gr.t.id] {
		if !s.replicatedLocked(sp.created) {
			continue
		}
		switch {
		case prop == "appid" && !strings.EqualFold(sp.appID, val),
			prop == "displayname" && sp.displayName != val,
			prop == "id" && !strings.EqualFold(sp.objectID, val):
			continue
		}
		sps = append(sps, sp)
	}
	slices.SortFunc(sps, func(a, b *servicePrincipal) int { return strings.Compare(a.objectID, b.objectID) })
	items := make([]any, 0, len(sps))
	for _, sp := range sps {
		items = append(items, selectProps(s.spJSONLocked(sp), gr.query.Get("$select")))
	}
	s.dir.mu.Unlock()
	return s.pageOf(gr, "servicePrincipals", items, 100, 999)
}

func (s *Server) createServicePrincipal(gr *graphReq, _ []string) graphResp {
	var b struct {
		AppID string `json:"appId"`
	}
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	if res := resourceFor(b.AppID); res != nil {
		// A Microsoft API's principal (the consent page creates them too).
		if s.resourceSPLocked(gr.t, res) != nil {
			return s.gerr(gr, 409, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be created, updated, or restored because the service principal name "+res.appID+" is already in use.")
		}
		sp := &servicePrincipal{objectID: randomID(), appID: res.appID, displayName: res.displayName, tenant: gr.t, res: res, created: s.stampLocked()}
		s.addSPLocked(sp)
		return s.gjson(201, s.spJSONLocked(sp))
	}
	a := s.lookupClientLocked(b.AppID)
	if a == nil || (a.audience == audienceMyOrg && a.home != gr.t) {
		return s.gerr(gr, 400, "Request_BadRequest", fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", b.AppID))
	}
	if s.clientSPLocked(gr.t, a.appID) != nil {
		return s.gerr(gr, 409, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be created, updated, or restored because the service principal name "+a.appID+" is already in use.")
	}
	sp := s.createServicePrincipalLocked(gr.t, a)
	return s.gjson(201, s.spJSONLocked(sp))
}

func (s *Server) spInTenantLocked(gr *graphReq, id string) (*servicePrincipal, *graphResp) {
	sp := s.dir.sps[strings.ToLower(id)]
	if sp == nil || sp.tenant != gr.t || !s.replicatedLocked(sp.created) {
		r := s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
		return nil, &r
	}
	return sp, nil
}

func (s *Server) assignmentJSONLocked(a *appRoleAssignment) map[string]any {
	p, r := s.dir.sps[a.principalID], s.dir.sps[a.resourceID]
	m := map[string]any{"id": a.id, "appRoleId": a.appRoleID, "principalId": a.principalID, "resourceId": a.resourceID,
		"principalType": "ServicePrincipal", "createdDateTime": a.created.Format(time.RFC3339), "deletedDateTime": nil}
	if p != nil {
		m["principalDisplayName"] = p.displayName
	}
	if r != nil {
		m["resourceDisplayName"] = r.displayName
	}
	return m
}

func (s *Server) assignAppRole(gr *graphReq, segs []string) graphResp {
	var b struct {
		PrincipalID string `json:"principalId"`
		ResourceID  string `json:"resourceId"`
		AppRoleID   string `json:"appRoleId"`
	}
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	res, bad := s.spInTenantLocked(gr, segs[1])
	if bad != nil {
		return *bad
	}
	client, bad := s.spInTenantLocked(gr, b.PrincipalID)
	if bad != nil {
		return *bad
	}
	if !strings.EqualFold(b.ResourceID, res.objectID) {
		return s.gerr(gr, 400, "Request_BadRequest", "The resourceId in the body must be the service principal in the URL.")
	}
	if res.res == nil || res.res.permByID(b.AppRoleID, true) == nil {
		return s.gerr(gr, 400, "Request_BadRequest", fmt.Sprintf("Permission being assigned was not found on application '%s'.", res.appID))
	}
	a, created := s.assignRoleLocked(client, res, strings.ToLower(b.AppRoleID))
	if !created {
		return s.gerr(gr, 400, "Request_BadRequest", "Permission being assigned already exists on the object")
	}
	return s.gjson(201, s.assignmentJSONLocked(a))
}

func (s *Server) listAssignments(gr *graphReq, segs []string) graphResp {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	sp, bad := s.spInTenantLocked(gr, segs[1])
	if bad != nil {
		return *bad
	}
	var items []any
	for _, a := range s.dir.assignments {
		if !s.replicatedLocked(a.created) {
			continue
		}
		if (segs[2] == "appRoleAssignedTo" && a.resourceID == sp.objectID) || (segs[2] == "appRoleAssignments" && a.principalID == sp.objectID) {
			items = append(items, s.assignmentJSONLocked(a))
		}
	}
	return s.pageOf(gr, "appRoleAssignments", items, 100, 999)
}

// --- delegated permission grants ----------------------------------------

func grantJSON(g *permissionGrant) map[string]any {
	var principal any
	if g.principalID != "" {
		principal = g.principalID
	}
	return map[string]any{"id": g.id, "clientId": g.clientID, "consentType": g.consentType, "principalId": principal, "resourceId": g.resourceID, "scope": g.scope}
}

func (s *Server) listGrants(gr *graphReq, _ []string) graphResp {
	prop, val, bad := s.filterEq(gr, "clientId", "resourceId", "consentType")
	if bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	var items []any
	for _, g := range s.dir.grants {
		c := s.dir.sps[g.clientID]
		if c == nil || c.tenant != gr.t || !s.replicatedLocked(g.created) {
			continue
		}
		switch {
		case prop == "clientid" && !strings.EqualFold(g.clientID, val),
			prop == "resourceid" && !strings.EqualFold(g.resourceID, val),
			prop == "consenttype" && g.consentType != val:
			continue
		}
		items = append(items, grantJSON(g))
	}
	return s.pageOf(gr, "oauth2PermissionGrants", items, 100, 999)
}

func (s *Server) createGrant(gr *graphReq, _ []string) graphResp {
	var b struct {
		ClientID    string `json:"clientId"`
		ConsentType string `json:"consentType"`
		PrincipalID string `json:"principalId"`
		ResourceID  string `json:"resourceId"`
		Scope       string `json:"scope"`
	}
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	client, bad := s.spInTenantLocked(gr, b.ClientID)
	if bad != nil {
		return *bad
	}
	res, bad := s.spInTenantLocked(gr, b.ResourceID)
	if bad != nil {
		return *bad
	}
	switch {
	case b.ConsentType == consentAll && b.PrincipalID == "":
	case b.ConsentType == consentPrincipal && b.PrincipalID != "":
	default:
		return s.gerr(gr, 400, "Request_BadRequest", "consentType must be AllPrincipals (without principalId) or Principal (with principalId).")
	}
	if res.res == nil {
		return s.gerr(gr, 400, "Request_BadRequest", "The resource service principal publishes no delegated permissions.")
	}
	for _, sc := range strings.Fields(b.Scope) {
		if p := res.res.perm(sc); p == nil || p.scopeID == "" {
			return s.gerr(gr, 400, "Request_BadRequest", fmt.Sprintf("Invalid value specified for property 'scope' of resource 'OAuth2PermissionGrant': %s is not a delegated permission of %s.", sc, res.displayName))
		}
	}
	for _, g := range s.dir.grants {
		if g.clientID == client.objectID && g.resourceID == res.objectID && g.consentType == b.ConsentType && g.principalID == b.PrincipalID {
			return s.gerr(gr, 409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")
		}
	}
	g := &permissionGrant{id: randomID(), clientID: client.objectID, consentType: b.ConsentType, principalID: b.PrincipalID,
		resourceID: res.objectID, scope: strings.Join(strings.Fields(b.Scope), " "), created: s.stampLocked()}
	s.dir.grants = append(s.dir.grants, g)
	return s.gjson(201, grantJSON(g))
}

func (s *Server) patchGrant(gr *graphReq, segs []string) graphResp {
	var b struct {
		Scope string `json:"scope"`
	}
	if bad := s.decodeBody(gr, &b); bad != nil {
		return *bad
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	for _, g := range s.dir.grants {
		if !strings.EqualFold(g.id, segs[1]) {
			continue
		}
		c, res := s.dir.sps[g.clientID], s.dir.sps[g.resourceID]
		if c == nil || c.tenant != gr.t {
			break
		}
		for _, sc := range strings.Fields(b.Scope) {
			if p := res.res.perm(sc); p == nil || p.scopeID == "" {
				return s.gerr(gr, 400, "Request_BadRequest", fmt.Sprintf("Invalid value specified for property 'scope' of resource 'OAuth2PermissionGrant': %s is not a delegated permission of %s.", sc, res.displayName))
			}
		}
		g.scope = strings.Join(strings.Fields(b.Scope), " ")
		return graphResp{status: 204, header: http.Header{}}
	}
	return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1]))
}
