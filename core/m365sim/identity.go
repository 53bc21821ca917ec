package m365sim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The Microsoft identity platform, v2.0 endpoints, as MSAL Go v1.10.1 uses
// them with WithInstanceDiscovery(false):
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/oauth2/v2.0/authorize
//	POST /{tenant}/oauth2/v2.0/token
//	GET  /{tenant}/discovery/v2.0/keys
//
// {tenant} is a tenant GUID, a verified domain, "organizations" or "common".

const graphResource = "https://graph.microsoft.com"
const graphAppID = "00000003-0000-0000-c000-000000000000"

// AppFlags are app-registration conditions.
type AppFlags struct {
	SecretExpired bool `json:"secret_expired"` // AADSTS7000222 for the (correct) secret
	SecretRotated bool `json:"secret_rotated"` // the secret clients hold is no longer valid: AADSTS7000215
}

type authCode struct {
	clientID, redirectURI string
	platform              string // "web" or "public": where the redirect URI is registered
	challenge, method     string
	scope                 string
	home                  *tenant
	userIdx               int
	target                *tenant
	expires               time.Time
	used                  bool
}

// tokenClaims is the payload of the simulation's access tokens (HS256,
// verified by its Graph) and, with the id-token fields, its id tokens.
type tokenClaims struct {
	Aud               string   `json:"aud"`
	Iss               string   `json:"iss"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Exp               int64    `json:"exp"`
	AppID             string   `json:"appid,omitempty"`
	AppDisplayName    string   `json:"app_displayname,omitempty"`
	Idp               string   `json:"idp,omitempty"`
	IdTyp             string   `json:"idtyp,omitempty"`
	Name              string   `json:"name,omitempty"`
	Oid               string   `json:"oid,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	Roles             []string `json:"roles,omitempty"`
	Scp               string   `json:"scp,omitempty"`
	Sub               string   `json:"sub,omitempty"`
	Tid               string   `json:"tid"`
	Upn               string   `json:"upn,omitempty"`
	Uti               string   `json:"uti,omitempty"`
	Ver               string   `json:"ver"`
	// Not in Entra tokens: the home tenant, so Graph can tell a partner's
	// delegated GDAP access from a member's.
	HomeTid string `json:"xms_home_tid,omitempty"`
}

type refreshClaims struct {
	Kind   string `json:"k"`
	Client string `json:"c"`
	Home   string `json:"h"`
	User   int    `json:"u"`
	Oid    string `json:"o"`
	Iat    int64  `json:"i"`
	Gen    int64  `json:"g"`
	Scope  string `json:"s"`
	// Public: issued to a public client (a "Mobile and desktop" redirect);
	// redeeming it with a secret is refused as it was at first.
	Public bool `json:"p,omitempty"`
}

var b64 = base64.RawURLEncoding

func (s *Server) sign(payload any) string {
	hdr := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256","kid":"m365sim"}`))
	body, _ := json.Marshal(payload)
	msg := hdr + "." + b64.EncodeToString(body)
	mac := hmac.New(sha256.New, s.hmacKey)
	mac.Write([]byte(msg))
	return msg + "." + b64.EncodeToString(mac.Sum(nil))
}

var errBadToken = errors.New("bad token")

func (s *Server) verify(tok string, into any) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errBadToken
	}
	mac := hmac.New(sha256.New, s.hmacKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return errBadToken
	}
	body, err := b64.DecodeString(parts[1])
	if err != nil {
		return errBadToken
	}
	return json.Unmarshal(body, into)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// aadError writes the token endpoint's error JSON.
func (s *Server) aadError(w http.ResponseWriter, status int, errCode string, code int, desc string) {
	trace, corr := randomID(), randomID()
	now := s.now().UTC()
	full := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", code, desc, trace, corr, now.Format("2006-01-02 15:04:05Z"))
	body := map[string]any{
		"error": errCode, "error_description": full, "error_codes": []int{code},
		"timestamp": now.Format("2006-01-02 15:04:05Z"), "trace_id": trace, "correlation_id": corr,
		"error_uri": "https://" + s.info.AuthorityHost + "/error?code=" + fmt.Sprint(code),
	}
	if code == 65001 {
		body["suberror"] = "consent_required"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm=""`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request, meta *reqMeta) {
	seg := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(seg) != 2 {
		http.NotFound(w, r)
		return
	}
	t, multi, ok := s.resolveTenant(seg[0])
	rest := "/" + seg[1]
	if t != nil {
		meta.tenant = t.id
	}
	switch rest {
	case "/v2.0/.well-known/openid-configuration":
		meta.endpoint = "GET /{tenant}/v2.0/.well-known/openid-configuration"
	case "/oauth2/v2.0/authorize":
		meta.endpoint = "GET /{tenant}/oauth2/v2.0/authorize"
	case "/oauth2/v2.0/token":
		meta.endpoint = "POST /{tenant}/oauth2/v2.0/token"
	case "/discovery/v2.0/keys":
		meta.endpoint = "GET /{tenant}/discovery/v2.0/keys"
	default:
		http.NotFound(w, r)
		return
	}
	if !ok {
		s.aadError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", seg[0]))
		return
	}
	switch rest {
	case "/v2.0/.well-known/openid-configuration":
		s.openIDConfig(w, t, multi, seg[0])
	case "/discovery/v2.0/keys":
		writeJSON(w, 200, map[string]any{"keys": []any{}})
	case "/oauth2/v2.0/authorize":
		s.authorize(w, r, t)
	case "/oauth2/v2.0/token":
		if r.Method != http.MethodPost {
			s.aadError(w, http.StatusBadRequest, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request.")
			return
		}
		s.token(w, r, t, multi)
	}
}

func (s *Server) openIDConfig(w http.ResponseWriter, t *tenant, multi bool, seg string) {
	base := "https://" + s.info.AuthorityHost
	tid, pathTenant := "{tenantid}", seg
	if !multi {
		tid, pathTenant = t.id, t.id
	}
	writeJSON(w, 200, map[string]any{
		"token_endpoint":                        base + "/" + pathTenant + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + pathTenant + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + tid + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                base + "/" + pathTenant + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + pathTenant + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + pathTenant + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	})
}

const authErrorPage = `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><div id="error"><h1>Sorry, but we’re having trouble signing you in.</h1><p id="code">%s</p></div></body></html>`

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, t *tenant) {
	q := r.URL.Query()
	pageErr := func(code int, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, authErrorPage, html.EscapeString(fmt.Sprintf("AADSTS%d: %s", code, msg)))
	}
	clientID := q.Get("client_id")
	app := s.lookupClient(clientID)
	if app == nil {
		pageErr(700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, s.tenantName(t)))
		return
	}
	redirect := q.Get("redirect_uri")
	platform := app.redirectPlatform(redirect)
	if platform == "" {
		pageErr(50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", redirect, clientID))
		return
	}
	mode := q.Get("response_mode")
	state := q.Get("state")
	reply := func(params url.Values) {
		if state != "" {
			params.Set("state", state)
		}
		if mode == "form_post" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			var b strings.Builder
			fmt.Fprintf(&b, `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="%s">`, html.EscapeString(redirect))
			for _, k := range []string{"code", "client_info", "state", "session_state", "error", "error_description", "error_uri"} {
				if v := params.Get(k); v != "" {
					fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s" />`, k, html.EscapeString(v))
				}
			}
			b.WriteString(`<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">window.setTimeout('document.forms[0].submit()', 0);</script></body></html>`)
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(b.String()))
			return
		}
		sep := "?"
		if mode == "fragment" {
			sep = "#"
		}
		http.Redirect(w, r, redirect+sep+params.Encode(), http.StatusFound)
	}
	fail := func(errCode string, code int, msg string) {
		reply(url.Values{"error": {errCode}, "error_description": {fmt.Sprintf("AADSTS%d: %s", code, msg)}})
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", 700054, "response_type 'id_token' is not enabled for the application.")
		return
	}
	// PKCE: "If excluded, code_challenge is assumed to be plaintext"; a
	// method needs a challenge (v2-oauth2-auth-code-flow).
	switch cm := q.Get("code_challenge_method"); {
	case cm != "" && q.Get("code_challenge") == "":
		fail("invalid_request", 900144, "The request body must contain the following parameter: 'code_challenge'.")
		return
	case cm != "S256" && cm != "plain" && cm != "":
		fail("invalid_request", 5000151, "The code_challenge_method is not valid.")
		return
	}
	// Who signs in: login_hint, else the partner's service account (or a
	// customer's admin when the authority names that customer). Through
	// Microsoft's first-party client the partner's administrator signs in:
	// that is who runs tenantsync's setup.
	home, idx := s.partner, 1
	if app.firstParty {
		idx = 0
	}
	if t != nil && t != s.partner {
		home, idx = t, 0
	}
	if hint := q.Get("login_hint"); hint != "" {
		found := false
		// The hint's domain names the tenant; searching every tenant would
		// build every user of a large simulation.
		cands := []*tenant{s.partner}
		if _, dom, ok := strings.Cut(hint, "@"); ok {
			if t := s.byDomain[strings.ToLower(dom)]; t != nil {
				cands = []*tenant{t}
			}
		}
		for _, cand := range cands {
			cand.mu.Lock()
			i, u := cand.findUserLocked(hint)
			cand.mu.Unlock()
			if u != nil {
				home, idx, found = cand, i, true
				break
			}
		}
		if !found {
			fail("invalid_request", 50034, fmt.Sprintf("The user account %s does not exist in the directory. To sign into this application, the account must be added to the directory.", hint))
			return
		}
	}
	u := home.user(idx)
	if u == nil {
		fail("invalid_request", 50034, "The user account does not exist in the directory.")
		return
	}
	if !u.AccountEnabled {
		fail("access_denied", 50057, "The user account is disabled. The account has been disabled by an administrator.")
		return
	}
	target := home
	if t != nil {
		target = t
	}
	if app.audience == audienceMyOrg && (t == nil || target != app.home) {
		fail("invalid_request", 50194, fmt.Sprintf("Application '%s'(%s) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.", app.appID, app.displayName))
		return
	}
	if _, _, d := s.delegatedGrant(app, home, idx, u, target, q.Get("scope"), true); d != nil {
		// The authorization endpoint answers with OAuth's and Entra's
		// front-channel error values, not the token endpoint's.
		fail(authorizeError(d), d.code, d.msg)
		return
	}
	code := "1.A" + strings.ReplaceAll(randomID()+randomID(), "-", "")
	s.mu.Lock()
	s.codes[code] = &authCode{clientID: app.appID, redirectURI: redirect, platform: platform, challenge: q.Get("code_challenge"),
		method: q.Get("code_challenge_method"), scope: q.Get("scope"), home: home, userIdx: idx, target: target,
		expires: s.now().Add(10 * time.Minute)}
	s.mu.Unlock()
	reply(url.Values{"code": {code}, "client_info": {clientInfo(u.ID, home.id)}, "session_state": {randomID()}})
}

func clientInfo(uid, utid string) string {
	b, _ := json.Marshal(map[string]string{"uid": uid, "utid": utid})
	return b64.EncodeToString(b)
}

// relationshipAccess decides whether user u of home may reach target at
// all: their own tenant, or a customer through an active GDAP relationship
// of the partner. It returns nil or the sign-in error.
func (s *Server) relationshipAccess(home *tenant, u *User, target *tenant, app *application) *signInDenial {
	if target == home {
		return nil
	}
	if home != s.partner || target.flagsNow().GDAPExpired {
		return &signInDenial{"invalid_grant", 50020, fmt.Sprintf("User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.", u.UPN, home.id, target.name, app.appID, app.displayName)}
	}
	return nil
}

// signInDenial is a refused sign-in: OAuth error, AADSTS number, text.
type signInDenial struct {
	errCode string
	code    int
	msg     string
}

// authorizeError is the error value the authorization endpoint sends
// (RFC 6749 4.1.2.1 with Entra's consent_required and interaction_required).
func authorizeError(d *signInDenial) string {
	switch d.code {
	case 65001:
		return "consent_required"
	case 90094:
		return "interaction_required"
	case 70011, 700022:
		return "invalid_scope"
	case 700016:
		return "unauthorized_client"
	}
	return "access_denied"
}

func consentMissing(app *application) *signInDenial {
	return &signInDenial{"invalid_grant", 65001, fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.appID, app.displayName)}
}

// delegatedGrant decides what a delegated token of app for user u (of
// home) in target may carry: the resource of the requested scopes and the
// permissions granted there. interactive is the authorize endpoint: only
// there may an administrator consent to a first-party client's scopes, as
// the consent page lets them; a third-party app's consent must exist
// already (granted by setup, the admin center or Partner Center).
func (s *Server) delegatedGrant(app *application, home *tenant, idx int, u *User, target *tenant, scope string, interactive bool) (*resourceApp, []string, *signInDenial) {
	if d := s.relationshipAccess(home, u, target, app); d != nil {
		return nil, nil, d
	}
	if app.audience == audienceMyOrg && target != app.home {
		return nil, nil, &signInDenial{"unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", app.appID, target.name)}
	}
	aud, ok := resourceOf(scope)
	if !ok {
		return nil, nil, &signInDenial{"invalid_scope", 700022, "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope " + scope + " is not valid."}
	}
	res := resourceFor(aud)
	if res == nil {
		return nil, nil, &signInDenial{"invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", aud, target.name)}
	}
	var named []string
	dflt := false
	for _, sc := range strings.Fields(scope) {
		if oidcScope(sc) {
			continue
		}
		name := sc
		if i := strings.LastIndex(sc, "/"); i >= 0 {
			name = sc[i+1:]
		}
		if name == ".default" {
			dflt = true
			continue
		}
		named = append(named, name)
	}
	if dflt && len(named) > 0 {
		// "Clients can't combine static (.default) consent and dynamic
		// consent in a single request" (identity platform, scopes-oidc).
		return nil, nil, &signInDenial{"invalid_scope", 70011, fmt.Sprintf("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid. static scope limit exceeded.", scope)}
	}
	admin := home == target && home.isGlobalAdmin(idx)
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	rsp := s.resourceSPLocked(target, res)
	if rsp == nil {
		// The error value of 650052 is not documented; invalid_client is
		// what partners report.
		return nil, nil, &signInDenial{"invalid_client", 650052, fmt.Sprintf("The app is trying to access a service '%s'(%s) that your organization '%s' lacks a service principal for. Contact your IT Admin to review the configuration of your service subscriptions or consent to the application in order to create the required service principal.", res.appID, res.displayName, target.id)}
	}
	client := s.liveClientSPLocked(target, app.appID)
	if client == nil && app.firstParty && interactive && home == target {
		// The consent page creates the first-party client's principal; a
		// user may consent only to what needs no administrator.
		for _, n := range named {
			if p := res.perm(n); p != nil && !p.userConsent && !admin {
				return nil, nil, &signInDenial{"invalid_grant", 90094, "Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin."}
			}
		}
		// Consent given on the sign-in page takes effect for that sign-in:
		// no replication wait.
		s.backdatedLocked(func() { client = s.createServicePrincipalLocked(target, app) })
	}
	if client == nil {
		if home != target {
			return nil, nil, &signInDenial{"invalid_grant", 90099, fmt.Sprintf("The application '%s' (%s) has not been authorized in the tenant '%s'. Applications must be authorized to access the customer tenant before partner delegated administrators can use them.", app.appID, app.displayName, target.id)}
		}
		return nil, nil, consentMissing(app)
	}
	granted := s.grantedScopesLocked(target, client, rsp, u.ID)
	var missing []string
	for _, n := range named {
		if !slices.ContainsFunc(granted, func(g string) bool { return strings.EqualFold(g, n) }) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 && app.firstParty && interactive {
		// The consent page: a user may consent to what needs no admin; an
		// administrator to the rest too. Recorded for this user only.
		for _, n := range missing {
			p := res.perm(n)
			if p == nil || p.scopeID == "" {
				return nil, nil, &signInDenial{"invalid_scope", 70011, fmt.Sprintf("The provided value for scope %s is not valid.", n)}
			}
			if !p.userConsent && !admin {
				return nil, nil, &signInDenial{"invalid_grant", 90094, "Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin."}
			}
		}
		s.backdatedLocked(func() { s.grantDelegatedLocked(client, rsp, consentPrincipal, u.ID, strings.Join(missing, " ")) })
		granted = s.grantedScopesLocked(target, client, rsp, u.ID)
		missing = nil
	}
	if len(missing) > 0 || (dflt && len(granted) == 0) || (!dflt && len(named) == 0 && len(granted) == 0) {
		return nil, nil, consentMissing(app)
	}
	if dflt {
		return res, granted, nil
	}
	return res, named, nil
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, t *tenant, multi bool) {
	if err := r.ParseForm(); err != nil {
		s.aadError(w, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		clientID, secret = id, sec
	}
	if clientID == "" {
		s.aadError(w, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	app := s.lookupClient(clientID)
	if app == nil {
		s.aadError(w, 400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, s.tenantName(t)))
		return
	}
	grant := f.Get("grant_type")
	// Whether the client must, or must not, authenticate depends on how
	// the grant began: a code redeemed for a "Mobile and desktop" redirect
	// (or a refresh token from one) belongs to a public client.
	var (
		ac *authCode
		rc refreshClaims
	)
	public := false
	switch grant {
	case "authorization_code":
		s.mu.Lock()
		ac = s.codes[f.Get("code")]
		s.mu.Unlock()
		public = ac != nil && ac.platform == "public"
	case "refresh_token":
		raw := strings.TrimPrefix(f.Get("refresh_token"), "0.A")
		if err := s.verify(raw, &rc); err != nil || rc.Kind != "rt" {
			s.aadError(w, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
			return
		}
		public = rc.Public
	case "client_credentials":
	case "":
		s.aadError(w, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	default:
		s.aadError(w, 400, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant))
		return
	}
	if app.firstParty {
		public = true
	}
	switch {
	case public && (secret != "" || f.Get("client_assertion") != ""):
		s.aadError(w, 401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
		return
	case !public && secret == "" && f.Get("client_assertion") == "":
		s.aadError(w, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case !public:
		s.dir.mu.Lock()
		ok, expired := s.checkSecretLocked(app, secret, s.now())
		s.dir.mu.Unlock()
		if expired {
			s.aadError(w, 401, "invalid_client", 7000222, fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", app.appID))
			return
		}
		if !ok {
			s.aadError(w, 401, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.appID))
			return
		}
	}
	switch grant {
	case "client_credentials":
		s.clientCredentials(w, f, t, multi, app)
	case "authorization_code":
		s.redeemCode(w, f, t, app, ac)
	case "refresh_token":
		s.redeemRefresh(w, f, t, app, rc)
	}
}

func (s *Server) tenantName(t *tenant) string {
	if t == nil {
		return "organizations"
	}
	return t.name
}

// lookupClient finds an application by its client id.
func (s *Server) lookupClient(clientID string) *application {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	return s.lookupClientLocked(clientID)
}

// resourceOf returns the resource of the scopes (".default" or named
// permissions) and whether they were all for the same resource.
func resourceOf(scope string) (string, bool) {
	res := ""
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		r := graphResource
		if i := strings.LastIndex(sc, "/"); strings.Contains(sc, "://") && i > 8 {
			r = sc[:i]
		} else if strings.Contains(sc, "://") {
			r = sc
		}
		if res != "" && res != r {
			return "", false
		}
		res = r
	}
	if res == "" {
		res = graphResource
	}
	return res, true
}

func (s *Server) clientCredentials(w http.ResponseWriter, f url.Values, t *tenant, multi bool, app *application) {
	scope := f.Get("scope")
	if multi || t == nil {
		s.aadError(w, 400, "unauthorized_client", 700016, "Application with identifier '"+app.appID+"' was not found in the directory 'organizations'. Use a tenant-specific endpoint for the client credentials flow.")
		return
	}
	// MSAL adds openid, profile and offline_access; Entra ignores them here.
	var resScopes []string
	for _, sc := range strings.Fields(scope) {
		if !oidcScope(sc) {
			resScopes = append(resScopes, sc)
		}
	}
	if len(resScopes) != 1 || !strings.HasSuffix(resScopes[0], "/.default") {
		s.aadError(w, 400, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	aud, _ := resourceOf(resScopes[0])
	notFound := func() {
		s.aadError(w, 400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", app.appID, t.name))
	}
	if app.audience == audienceMyOrg && t != app.home {
		notFound()
		return
	}
	res := resourceFor(aud)
	s.dir.mu.Lock()
	client := s.liveClientSPLocked(t, app.appID)
	var rsp *servicePrincipal
	if res != nil {
		rsp = s.resourceSPLocked(t, res)
	}
	var roles []string
	if client != nil && rsp != nil {
		roles = s.grantedRolesLocked(client, rsp)
	}
	s.dir.mu.Unlock()
	if client == nil {
		notFound()
		return
	}
	if rsp == nil {
		s.aadError(w, 400, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", aud, t.name))
		return
	}
	// An app without any granted application permission still gets a
	// token, without a roles claim: Graph then refuses each request.
	now := s.now()
	exp := now.Add(s.opt.TokenLifetime)
	c := tokenClaims{Aud: res.audience, Iss: "https://sts.windows.net/" + t.id + "/", Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(),
		AppID: app.appID, AppDisplayName: app.displayName, IdTyp: "app", Oid: client.objectID, Sub: client.objectID,
		Roles: roles, Tid: t.id, Uti: randomID(), Ver: "1.0"}
	writeJSON(w, 200, map[string]any{
		"token_type": "Bearer", "expires_in": int(s.opt.TokenLifetime.Seconds()), "ext_expires_in": int(s.opt.TokenLifetime.Seconds()),
		"access_token": s.sign(c),
	})
}

func (s *Server) redeemCode(w http.ResponseWriter, f url.Values, t *tenant, app *application, ac *authCode) {
	var used bool
	if ac != nil {
		s.mu.Lock()
		used = ac.used
		ac.used = true
		s.mu.Unlock()
	}
	switch {
	case ac == nil:
		s.aadError(w, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	case used:
		s.aadError(w, 400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
		return
	case s.now().After(ac.expires):
		s.aadError(w, 400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
		return
	case ac.clientID != app.appID:
		s.aadError(w, 400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
		return
	case f.Get("redirect_uri") != ac.redirectURI:
		s.aadError(w, 400, "invalid_grant", 50011, fmt.Sprintf("The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", f.Get("redirect_uri"), ac.redirectURI))
		return
	case t != nil && t != ac.target:
		s.aadError(w, 400, "invalid_grant", 700005, "Provided Authorization Code is intended to use against other tenant, thus rejected.")
		return
	}
	if ac.challenge != "" {
		v := f.Get("code_verifier")
		if v == "" {
			s.aadError(w, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'code_verifier'.")
			return
		}
		sum := sha256.Sum256([]byte(v))
		want := b64.EncodeToString(sum[:])
		if ac.method == "plain" || ac.method == "" {
			want = v
		}
		if want != ac.challenge {
			s.aadError(w, 400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
			return
		}
	}
	u := ac.home.user(ac.userIdx)
	if u == nil {
		s.aadError(w, 400, "invalid_grant", 50034, "The user account does not exist in the directory.")
		return
	}
	// The redemption may add OpenID Connect scopes (MSAL always sends
	// openid, profile and offline_access); resource scopes come from the code.
	scope := ac.scope
	for _, sc := range strings.Fields(f.Get("scope")) {
		if oidcScope(sc) && !strings.Contains(" "+scope+" ", " "+sc+" ") {
			scope += " " + sc
		}
	}
	s.issueUserTokens(w, app, ac.platform == "public", ac.home, ac.userIdx, u, ac.target, strings.TrimSpace(scope))
}

func oidcScope(sc string) bool {
	switch sc {
	case "openid", "profile", "offline_access", "email":
		return true
	}
	return false
}

func (s *Server) redeemRefresh(w http.ResponseWriter, f url.Values, t *tenant, app *application, rc refreshClaims) {
	if rc.Client != app.appID {
		s.aadError(w, 400, "invalid_grant", 70000, "Provided grant is invalid or malformed: the refresh token was issued to another client.")
		return
	}
	home := s.tenantByID(rc.Home)
	if home == nil {
		s.aadError(w, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	s.mu.Lock()
	gen := s.rtGen[rc.Oid]
	s.mu.Unlock()
	issued := time.Unix(rc.Iat, 0).UTC()
	if rc.Gen < gen {
		s.aadError(w, 400, "invalid_grant", 50173, fmt.Sprintf("The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.", issued.Format("2006-01-02T15:04:05.0000000Z"), s.now().UTC().Format("2006-01-02T15:04:05.0000000Z")))
		return
	}
	if s.now().Sub(issued) > s.opt.RefreshTokenLifetime {
		s.aadError(w, 400, "invalid_grant", 700082, fmt.Sprintf("The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.", issued.Format("2006-01-02T15:04:05.0000000Z"), s.opt.RefreshTokenLifetime))
		return
	}
	u := home.user(rc.User)
	if u == nil || u.ID != rc.Oid {
		s.aadError(w, 400, "invalid_grant", 50034, "The user account does not exist in the directory.")
		return
	}
	if !u.AccountEnabled {
		s.aadError(w, 400, "invalid_grant", 50057, "The user account is disabled.")
		return
	}
	target := home
	if t != nil {
		target = t
	}
	scope := f.Get("scope")
	if scope == "" {
		scope = rc.Scope
	}
	s.issueUserTokens(w, app, rc.Public, home, rc.User, u, target, scope)
}

// issueUserTokens answers a delegated grant: the access token carries the
// permissions granted in target for the requested resource.
func (s *Server) issueUserTokens(w http.ResponseWriter, app *application, public bool, home *tenant, idx int, u *User, target *tenant, scope string) {
	res, scp, d := s.delegatedGrant(app, home, idx, u, target, scope, false)
	if d != nil {
		s.aadError(w, 400, d.errCode, d.code, d.msg)
		return
	}
	now := s.now()
	exp := now.Add(s.opt.TokenLifetime)
	at := tokenClaims{Aud: res.audience, Iss: "https://sts.windows.net/" + target.id + "/", Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(),
		AppID: app.appID, AppDisplayName: app.displayName, IdTyp: "user", Name: u.DisplayName, Oid: u.ID, Upn: u.UPN,
		Scp: strings.Join(scp, " "), Sub: hex.EncodeToString(hmacSum(s.hmacKey, u.ID+app.appID))[:43],
		Tid: target.id, Uti: randomID(), Ver: "1.0", HomeTid: home.id}
	if home != target {
		at.Idp = "https://sts.windows.net/" + home.id + "/"
	}
	id := tokenClaims{Aud: app.appID, Iss: "https://" + s.info.AuthorityHost + "/" + target.id + "/v2.0", Iat: now.Unix(),
		Nbf: now.Unix(), Exp: exp.Unix(), Name: u.DisplayName, Oid: u.ID, PreferredUsername: u.UPN, Sub: at.Sub,
		Tid: target.id, Ver: "2.0"}
	if home != target {
		id.Idp = at.Idp
	}
	s.mu.Lock()
	gen := s.rtGen[u.ID]
	s.mu.Unlock()
	rt := "0.A" + s.sign(refreshClaims{Kind: "rt", Client: app.appID, Home: home.id, User: idx, Oid: u.ID, Iat: now.Unix(), Gen: gen, Scope: scope, Public: public})
	body := map[string]any{
		"token_type": "Bearer", "scope": scope, "expires_in": int(s.opt.TokenLifetime.Seconds()),
		"ext_expires_in": int(s.opt.TokenLifetime.Seconds()), "access_token": s.sign(at),
		"refresh_token": rt, "client_info": clientInfo(u.ID, home.id),
	}
	if strings.Contains(" "+scope+" ", " openid ") {
		body["id_token"] = s.sign(id)
	}
	writeJSON(w, 200, body)
}

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
