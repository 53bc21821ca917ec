package m365sim

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// graphReq is one Graph request, top-level or inside a $batch.
type graphReq struct {
	method  string
	path    string // after /v1.0, e.g. "/users"
	query   url.Values
	header  http.Header
	body    []byte
	claims  *tokenClaims
	t       *tenant
	inBatch bool
}

type graphResp struct {
	status int
	header http.Header
	body   []byte // JSON unless header says otherwise
	reset  bool
}

const odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func (s *Server) gerr(gr *graphReq, status int, code, msg string) graphResp {
	reqID := randomID()
	crid := ""
	if gr != nil && gr.header != nil {
		crid = gr.header.Get("client-request-id")
	}
	if crid == "" {
		crid = reqID
	}
	body, _ := jobj{{"error", jobj{{"code", code}, {"message", msg},
		{"innerError", jobj{{"date", s.now().UTC().Format("2006-01-02T15:04:05")}, {"request-id", reqID}, {"client-request-id", crid}}}}}}.MarshalJSON()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return graphResp{status: status, header: h, body: body}
}

func (s *Server) gjson(status int, v any) graphResp {
	var b []byte
	var err error
	if o, ok := v.(jobj); ok {
		b, err = o.MarshalJSON() // json.Marshal would re-validate the output
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("Content-Type", odataJSON)
	return graphResp{status: status, header: h, body: b}
}

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, meta *reqMeta) {
	body, err := readBody(r)
	gr := &graphReq{method: r.Method, path: strings.TrimPrefix(r.URL.Path, "/v1.0"), query: r.URL.Query(), header: r.Header, body: body}
	var resp graphResp
	switch {
	case err != nil:
		meta.endpoint = r.Method + " (unreadable body)"
		resp = s.gerr(gr, 400, "BadRequest", "Unable to read the request body: "+err.Error())
	default:
		claims, bad := s.authenticate(gr, r.Header.Get("Authorization"))
		if bad != nil {
			meta.endpoint = r.Method + " " + endpointOf(gr.path)
			resp = *bad
			break
		}
		gr.claims, gr.t = claims, s.tenantByID(claims.Tid)
		meta.tenant = claims.Tid
		if gr.path == "/$batch" {
			meta.endpoint = "POST /$batch"
			resp = s.batch(gr)
			break
		}
		var ep string
		resp, ep = s.execGraph(gr)
		meta.endpoint = ep
	}
	if resp.reset {
		// Count now: on HTTP/2 the reset unwinds the handler with a panic.
		s.counters.add(meta.endpoint, meta.tenant, -1, false)
		meta.endpoint = ""
		resetConn(w)
		return
	}
	s.writeGraph(w, gr, resp)
}

func (s *Server) writeGraph(w http.ResponseWriter, gr *graphReq, resp graphResp) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	reqID := randomID()
	h.Set("request-id", reqID)
	crid := gr.header.Get("client-request-id")
	if crid == "" {
		crid = reqID
	}
	h.Set("client-request-id", crid)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5","ScaleUnit":"001","RoleInstance":"AM2PEPF0001SIM"}}`)
	h.Set("Strict-Transport-Security", "max-age=31536000")
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

// resetConn drops the connection without an answer: a TCP reset on
// HTTP/1.1, a stream reset on HTTP/2.
func resetConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
				if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
					tcp.SetLinger(0)
				}
			}
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// Hijack lets resetConn reach the connection through the status recorder.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	return hj.Hijack()
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var rd io.Reader = io.LimitReader(r.Body, 16<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	}
	return io.ReadAll(rd)
}

// authenticate checks the bearer token as Graph does.
func (s *Server) authenticate(gr *graphReq, authz string) (*tokenClaims, *graphResp) {
	fail := func(msg string) (*tokenClaims, *graphResp) {
		r := s.gerr(gr, 401, "InvalidAuthenticationToken", msg)
		r.header.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		return nil, &r
	}
	tok, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return fail("Access token is empty.")
	}
	var c tokenClaims
	if err := s.verify(strings.TrimSpace(tok), &c); err != nil {
		return fail("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format.")
	}
	if c.Aud != graphResource && c.Aud != graphAppID && c.Aud != graphResource+"/" {
		return fail("Access token validation failure. Invalid audience.")
	}
	if s.now().Unix() >= c.Exp {
		return fail("Lifetime validation failed, the token is expired.")
	}
	if s.tenantByID(c.Tid) == nil {
		return fail("Access token validation failure.")
	}
	return &c, nil
}

// route describes one Graph operation.
type route struct {
	endpoint    string
	class       throttleClass
	cost        int
	perms       []string
	roles       []string // GDAP roles, any of, for delegated partner access
	partnerOnly bool
	permCode    string // error code when permissions are missing
	fn          func(gr *graphReq) graphResp
}

var (
	dirPerms    = []string{"Directory.Read.All", "Directory.ReadWrite.All", "User.Read.All", "User.ReadWrite.All", "Organization.Read.All"}
	userPerms   = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"}
	groupPerms  = []string{"Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	repPerms    = []string{"Reports.Read.All"}
	repSetPerms = []string{"ReportSettings.Read.All", "ReportSettings.ReadWrite.All"}
	devPerms    = []string{"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"}
	gdapPerms   = []string{"DelegatedAdminRelationship.Read.All", "DelegatedAdminRelationship.ReadWrite.All"}
	dirRoles    = []string{roleDirectoryReaders, roleGlobalReader, roleUserAdmin, roleGlobalAdmin}
	repRoles    = []string{roleGlobalReader, roleReportsReader, roleGlobalAdmin}
	devRoles    = []string{roleGlobalReader, roleIntuneAdmin, roleGlobalAdmin}
)

var reportSeg = regexp.MustCompile(`^getMailboxUsageDetail\(period='([^']*)'\)$`)

func (s *Server) route(gr *graphReq) (*route, []string) {
	segs := strings.Split(strings.Trim(gr.path, "/"), "/")
	if len(segs) > 0 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1]
	}
	n := len(segs)
	at := func(i int) string {
		if i < n {
			return segs[i]
		}
		return ""
	}
	switch {
	case n == 1 && at(0) == "users":
		return &route{endpoint: "GET /users", class: classDirectory, cost: 2, perms: userPerms, roles: dirRoles, fn: s.listUsers}, segs
	case n == 2 && at(0) == "users" && (at(1) == "delta" || at(1) == "delta()" || at(1) == "microsoft.graph.delta" || at(1) == "microsoft.graph.delta()"):
		return &route{endpoint: "GET /users/delta", class: classDirectory, cost: 1, perms: userPerms, roles: dirRoles, fn: s.usersDelta}, segs
	case n == 2 && at(0) == "users":
		return &route{endpoint: "GET /users/{id}", class: classDirectory, cost: 1, perms: userPerms, roles: dirRoles, fn: s.getUser}, segs
	case n == 1 && at(0) == "me":
		return &route{endpoint: "GET /me", class: classDirectory, cost: 1, perms: append(userPerms, "User.Read"), roles: nil, fn: s.getMe}, segs
	case n == 1 && at(0) == "organization", n == 2 && at(0) == "organization":
		return &route{endpoint: "GET /organization", class: classDirectory, cost: 1, perms: dirPerms, roles: dirRoles, fn: s.organization}, segs
	case n == 1 && at(0) == "domains":
		return &route{endpoint: "GET /domains", class: classDirectory, cost: 1, perms: append(dirPerms, "Domain.Read.All"), roles: dirRoles, fn: s.domains}, segs
	case n == 1 && at(0) == "subscribedSkus":
		return &route{endpoint: "GET /subscribedSkus", class: classDirectory, cost: 3, perms: append(dirPerms, "LicenseAssignment.Read.All"), roles: dirRoles, fn: s.subscribedSkus}, segs
	case n == 1 && at(0) == "groups":
		return &route{endpoint: "GET /groups", class: classDirectory, cost: 1, perms: groupPerms, roles: dirRoles, fn: s.listGroups}, segs
	case n == 3 && at(0) == "groups" && at(2) == "members":
		return &route{endpoint: "GET /groups/{id}/members", class: classDirectory, cost: 3, perms: groupPerms, roles: dirRoles, fn: s.groupMembers}, segs
	case n == 2 && at(0) == "deviceManagement" && at(1) == "managedDevices":
		return &route{endpoint: "GET /deviceManagement/managedDevices", class: classIntune, cost: 1, perms: devPerms, roles: devRoles, permCode: "Forbidden", fn: s.managedDevices}, segs
	case n == 2 && at(0) == "reports" && strings.HasPrefix(at(1), "getMailboxUsageDetail"):
		return &route{endpoint: "GET /reports/getMailboxUsageDetail", class: classReports, cost: 1, perms: repPerms, roles: repRoles, permCode: "S2SUnauthorized", fn: s.mailboxReport}, segs
	case n == 2 && at(0) == "admin" && at(1) == "reportSettings":
		return &route{endpoint: "GET /admin/reportSettings", class: classNone, cost: 1, perms: repSetPerms, roles: repRoles, fn: s.reportSettings}, segs
	case n == 2 && at(0) == "tenantRelationships" && at(1) == "delegatedAdminCustomers":
		return &route{endpoint: "GET /tenantRelationships/delegatedAdminCustomers", class: classNone, cost: 1, perms: gdapPerms, partnerOnly: true, fn: s.gdapCustomers}, segs
	case n == 2 && at(0) == "tenantRelationships" && at(1) == "delegatedAdminRelationships":
		return &route{endpoint: "GET /tenantRelationships/delegatedAdminRelationships", class: classNone, cost: 1, perms: gdapPerms, partnerOnly: true, fn: s.gdapRelationships}, segs
	case n == 1 && at(0) == "contracts":
		return &route{endpoint: "GET /contracts", class: classDirectory, cost: 3, perms: dirPerms, partnerOnly: true, fn: s.contracts}, segs
	}
	return nil, segs
}

// endpointOf names a path for the counters when routing failed.
func endpointOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 1 && segs[0] == "users" && !strings.HasPrefix(segs[1], "delta") {
		segs[1] = "{id}"
	}
	return "/" + strings.Join(segs, "/")
}

// execGraph runs one authenticated request through faults, throttling,
// authorisation and the handler.
func (s *Server) execGraph(gr *graphReq) (graphResp, string) {
	rt, segs := s.route(gr)
	if rt == nil {
		last := ""
		if len(segs) > 0 {
			last = segs[len(segs)-1]
		}
		return s.gerr(gr, 400, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", last)), gr.method + " " + endpointOf(gr.path)
	}
	if gr.method != http.MethodGet {
		return s.gerr(gr, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."), gr.method + strings.TrimPrefix(rt.endpoint, "GET")
	}
	// Random faults first: they model the service, not the caller.
	rawURL := gr.path + "?" + gr.query.Encode()
	switch f, ra := s.fault(gr.t.id, gr.method, rawURL); f {
	case "429":
		r := s.gerr(gr, 429, "TooManyRequests", "Too many requests, please retry later.")
		r.header.Set("Retry-After", strconv.Itoa(retryAfterSeconds(ra)))
		r.header.Set("x-ms-throttle-information", "CPULimitExceeded")
		return r, rt.endpoint
	case "503":
		r := s.gerr(gr, 503, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.")
		r.header.Set("Retry-After", strconv.Itoa(retryAfterSeconds(ra)))
		return r, rt.endpoint
	case "reset":
		if gr.inBatch {
			return s.gerr(gr, 503, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later."), rt.endpoint
		}
		return graphResp{reset: true}, rt.endpoint
	}
	cost := rt.cost
	if rt.class == classDirectory {
		if gr.query.Has("$select") {
			cost--
		}
		if gr.query.Has("$expand") {
			cost++
		}
		if top, err := strconv.Atoi(gr.query.Get("$top")); err == nil && top < 20 {
			cost--
		}
		cost = max(cost, 1)
	}
	v := s.thr.admit(rt.class, cost, gr.t, rt.endpoint, gr.claims.AppID)
	if !v.ok {
		r := s.gerr(gr, 429, "TooManyRequests", "Too many requests, please retry later.")
		r.header.Set("Retry-After", strconv.Itoa(retryAfterSeconds(v.retryAfter)))
		r.header.Set("x-ms-throttle-scope", v.scope)
		r.header.Set("x-ms-throttle-information", v.info)
		return r, rt.endpoint
	}
	if denied := s.authorizeGraph(gr, rt); denied != nil {
		return *denied, rt.endpoint
	}
	resp := rt.fn(gr)
	if rt.class == classDirectory {
		resp.header.Set("x-ms-resource-unit", strconv.Itoa(cost))
		if v.percent >= 0.8 {
			resp.header.Set("x-ms-throttle-limit-percentage", fmt.Sprintf("%.1f", v.percent))
		}
	}
	return resp, rt.endpoint
}

func anyOf(need, have []string) bool {
	for _, n := range need {
		for _, h := range have {
			if strings.EqualFold(n, h) {
				return true
			}
		}
	}
	return false
}

func (t *tenant) flagsNow() TenantFlags {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.flags
}

// gdapRoles are the roles the partner holds in a customer tenant.
func (t *tenant) gdapRoles() []string {
	if t.flagsNow().GDAPMissingRoles {
		return []string{roleDirectoryReaders}
	}
	return []string{roleDirectoryReaders, roleGlobalReader, roleUserAdmin, roleReportsReader, roleIntuneAdmin}
}

// isGDAP says whether the request is a partner's delegated access to a customer.
func (gr *graphReq) isGDAP() bool {
	return gr.claims.IdTyp == "user" && gr.claims.HomeTid != "" && gr.claims.HomeTid != gr.t.id
}

func (gr *graphReq) granted() []string {
	if gr.claims.IdTyp == "app" {
		return gr.claims.Roles
	}
	return strings.Fields(gr.claims.Scp)
}

const insufficient = "Insufficient privileges to complete the operation."

func (s *Server) authorizeGraph(gr *graphReq, rt *route) *graphResp {
	t := gr.t
	flags := t.flagsNow()
	deny := func(code, msg string) *graphResp {
		r := s.gerr(gr, 403, code, msg)
		return &r
	}
	if rt.partnerOnly && t != s.partner {
		return deny("Authorization_RequestDenied", insufficient)
	}
	if gr.claims.IdTyp == "app" && t != s.partner && flags.NotConsented {
		return deny("Authorization_RequestDenied", insufficient)
	}
	if gr.isGDAP() {
		if flags.GDAPExpired {
			return deny("Authorization_RequestDenied", insufficient)
		}
		if rt.roles != nil && !anyOf(rt.roles, t.gdapRoles()) {
			switch rt.permCode {
			case "S2SUnauthorized":
				return deny("UnknownError", "")
			case "Forbidden":
				return deny("Forbidden", "User is not authorized to perform this operation. - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000")
			}
			return deny("Authorization_RequestDenied", insufficient)
		}
	}
	if !anyOf(rt.perms, gr.granted()) {
		switch rt.permCode {
		case "S2SUnauthorized":
			return deny("S2SUnauthorized", "Invalid permission.")
		case "Forbidden":
			return deny("Forbidden", "Application is not authorized to perform this operation. Application must have one of the following scopes: "+strings.Join(rt.perms, ", ")+" - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000")
		}
		return deny("Authorization_RequestDenied", insufficient)
	}
	return nil
}

// --- paging -------------------------------------------------------------

func (s *Server) nextLink(gr *graphReq, skip string) string {
	q := url.Values{}
	for k, v := range gr.query {
		if k != "$skiptoken" {
			q[k] = v
		}
	}
	q.Set("$skiptoken", skip)
	return s.info.GraphBase + gr.path + "?" + encodeODataQuery(q)
}

// encodeODataQuery keeps "$" unescaped as Graph does in its links.
func encodeODataQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%24", "$")
}

func encodeSkip(prefix string, n int) string {
	return b64.EncodeToString([]byte(fmt.Sprintf("%s:%d", prefix, n)))
}

func decodeSkip(prefix, tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	raw, err := b64.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	p, num, ok := strings.Cut(string(raw), ":")
	if !ok || p != prefix {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n >= 0
}

// pageSize reads $top within [1, max], defaulting to def.
func (s *Server) pageSize(gr *graphReq, def, maxTop int) (int, *graphResp) {
	raw := gr.query.Get("$top")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxTop {
		r := s.gerr(gr, 400, "Request_UnsupportedQuery", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, maxTop))
		return 0, &r
	}
	return n, nil
}

// pageOf returns a page of an in-memory collection.
func (s *Server) pageOf(gr *graphReq, context string, items []any, def, maxTop int) graphResp {
	size, bad := s.pageSize(gr, def, maxTop)
	if bad != nil {
		return *bad
	}
	start, ok := decodeSkip("o", gr.query.Get("$skiptoken"))
	if !ok {
		return s.gerr(gr, 400, "Request_BadRequest", "The specified page token value has expired and can no longer be included in your request.")
	}
	start = min(start, len(items))
	end := min(start+size, len(items))
	body := map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#" + context, "value": items[start:end]}
	if end < len(items) {
		body["@odata.nextLink"] = s.nextLink(gr, encodeSkip("o", end))
	}
	return s.gjson(200, body)
}

// selectProps filters an object by $select (keeps id always).
func selectProps(obj map[string]any, sel string) map[string]any {
	if sel == "" {
		return obj
	}
	out := map[string]any{}
	for _, p := range strings.Split(sel, ",") {
		p = strings.TrimSpace(p)
		for k, v := range obj {
			if strings.EqualFold(k, p) {
				out[k] = v
			}
		}
	}
	if id, ok := obj["id"]; ok {
		out["id"] = id
	}
	return out
}

// --- users ----------------------------------------------------------------

func jsonTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userProp renders one property of a user the way Graph does.
func userProp(u *User, p string) any {
	switch p {
	case "id":
		return u.ID
	case "userPrincipalName":
		return u.UPN
	case "mail":
		return nullable(u.Mail)
	case "displayName":
		return u.DisplayName
	case "givenName":
		return nullable(u.GivenName)
	case "surname":
		return nullable(u.Surname)
	case "jobTitle":
		return nullable(u.JobTitle)
	case "department":
		return nullable(u.Department)
	case "officeLocation":
		return nullable(u.OfficeLocation)
	case "companyName":
		return nullable(u.CompanyName)
	case "businessPhones":
		return nonNil(u.BusinessPhones)
	case "mobilePhone":
		return nullable(u.MobilePhone)
	case "proxyAddresses":
		return nonNil(u.ProxyAddresses)
	case "otherMails":
		return nonNil(u.OtherMails)
	case "imAddresses":
		if u.UserType == "Member" && u.Mail != "" {
			return []string{strings.ToLower(u.UPN)}
		}
		return []string{}
	case "accountEnabled":
		return u.AccountEnabled
	case "userType":
		return u.UserType
	case "createdDateTime":
		return jsonTime(&u.Created)
	case "lastPasswordChangeDateTime":
		return jsonTime(u.LastPwdChange)
	case "signInActivity":
		si := u.SignIn
		if si == nil {
			si = &SignInActivity{}
		}
		return jobj{
			{"lastSignInDateTime", jsonTime(si.LastSignIn)}, {"lastSignInRequestId", reqIDFor(si.LastSignIn, u.ID, 1)},
			{"lastNonInteractiveSignInDateTime", jsonTime(si.LastNonInteractive)}, {"lastNonInteractiveSignInRequestId", reqIDFor(si.LastNonInteractive, u.ID, 2)},
			{"lastSuccessfulSignInDateTime", jsonTime(si.LastSuccessfulSignIn)}, {"lastSuccessfulSignInRequestId", reqIDFor(si.LastSuccessfulSignIn, u.ID, 3)},
		}
	case "assignedLicenses":
		out := []any{}
		for _, id := range u.Licenses {
			out = append(out, jobj{{"disabledPlans", []string{}}, {"skuId", id}})
		}
		return out
	case "usageLocation":
		return nullable(u.UsageLocation)
	case "onPremisesSyncEnabled":
		if u.OnPremSync {
			return true
		}
		return nil
	case "preferredLanguage":
		return nullable(u.PreferredLang)
	case "mailNickname":
		local, _, _ := strings.Cut(u.UPN, "@")
		return local
	case "creationType":
		if u.UserType == "Guest" {
			return "Invitation"
		}
		return nil
	case "externalUserState":
		if u.UserType == "Guest" {
			return "Accepted"
		}
		return nil
	case "showInAddressList", "isResourceAccount":
		return nil
	case "assignedPlans", "provisionedPlans", "identities", "licenseAssignmentStates":
		return []any{}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func reqIDFor(t *time.Time, uid string, k uint64) any {
	if t == nil {
		return nil
	}
	return guid(hstr(uid), uint64(t.Unix()), k)
}

func userJSON(u *User, props []string) jobj {
	m := make(jobj, 0, len(props)+1)
	for _, p := range props {
		m = append(m, kv{p, userProp(u, p)})
	}
	return m
}

// parseUserSelect validates $select against the user type.
func (s *Server) parseUserSelect(gr *graphReq, sel string) ([]string, *graphResp) {
	if sel == "" {
		return defaultUserProps, nil
	}
	var out []string
	for _, p := range strings.Split(sel, ",") {
		p = strings.TrimSpace(p)
		i := slices.IndexFunc(userProps, func(q string) bool { return strings.EqualFold(q, p) })
		if i < 0 {
			r := s.gerr(gr, 400, "Request_BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.DirectoryServices.User'.", p))
			return nil, &r
		}
		if !slices.Contains(out, userProps[i]) {
			out = append(out, userProps[i])
		}
	}
	if !slices.Contains(out, "id") {
		out = append(out, "id") // Graph always returns id
	}
	return out, nil
}

var (
	reEqBool   = regexp.MustCompile(`(?i)^(accountEnabled)\s+eq\s+(true|false)$`)
	reLicCount = regexp.MustCompile(`(?i)^assignedLicenses/\$count\s+(eq|ne)\s+0$`)
	reEqString = regexp.MustCompile(`(?i)^(userType|userPrincipalName|mail|id|displayName|department|usageLocation)\s+eq\s+'((?:[^']|'')*)'$`)
	reStarts   = regexp.MustCompile(`(?i)^startswith\((displayName|userPrincipalName|mail|givenName|surname),\s*'((?:[^']|'')*)'\)$`)
	reAnd      = regexp.MustCompile(`(?i)\s+and\s+`)
)

// parseUserFilter supports the $filter subset tenantsync uses; anything
// else is refused as Graph refuses unsupported queries.
func (s *Server) parseUserFilter(gr *graphReq, f string) (func(*User) bool, *graphResp) {
	if strings.TrimSpace(f) == "" {
		return func(*User) bool { return true }, nil
	}
	var preds []func(*User) bool
	for _, clause := range reAnd.Split(strings.TrimSpace(f), -1) {
		clause = strings.TrimSpace(clause)
		if m := reEqBool.FindStringSubmatch(clause); m != nil {
			want := strings.EqualFold(m[2], "true")
			preds = append(preds, func(u *User) bool { return u.AccountEnabled == want })
			continue
		}
		if m := reLicCount.FindStringSubmatch(clause); m != nil {
			licensed := strings.EqualFold(m[1], "ne")
			preds = append(preds, func(u *User) bool { return (len(u.Licenses) > 0) == licensed })
			continue
		}
		if m := reEqString.FindStringSubmatch(clause); m != nil {
			prop, val := m[1], strings.ReplaceAll(m[2], "''", "'")
			preds = append(preds, func(u *User) bool {
				v, _ := userProp(u, canonicalProp(prop)).(string)
				return strings.EqualFold(v, val)
			})
			continue
		}
		if m := reStarts.FindStringSubmatch(clause); m != nil {
			prop, val := m[1], strings.ToLower(strings.ReplaceAll(m[2], "''", "'"))
			preds = append(preds, func(u *User) bool {
				v, _ := userProp(u, canonicalProp(prop)).(string)
				return strings.HasPrefix(strings.ToLower(v), val)
			})
			continue
		}
		r := s.gerr(gr, 400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '"+clause+"' of resource 'User'.")
		return nil, &r
	}
	return func(u *User) bool {
		for _, p := range preds {
			if !p(u) {
				return false
			}
		}
		return true
	}, nil
}

func canonicalProp(p string) string {
	for _, q := range userProps {
		if strings.EqualFold(q, p) {
			return q
		}
	}
	return p
}

// checkSignInActivity enforces what signInActivity needs: AuditLog.Read.All,
// a reporting role for GDAP, and Entra ID P1 in the tenant.
func (s *Server) checkSignInActivity(gr *graphReq) *graphResp {
	if !anyOf([]string{"AuditLog.Read.All"}, gr.granted()) {
		r := s.gerr(gr, 403, "Authentication_MSGraphPermissionMissing", "Calling principal does not have required MSGraph permissions AuditLog.Read.All")
		return &r
	}
	if gr.isGDAP() && !anyOf(repRoles, gr.t.gdapRoles()) {
		r := s.gerr(gr, 403, "Authorization_RequestDenied", insufficient)
		return &r
	}
	if gr.t.flagsNow().NoEntraP1 {
		r := s.gerr(gr, 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license")
		return &r
	}
	return nil
}

func (s *Server) refuseAdvanced(gr *graphReq, allowed ...string) *graphResp {
	for k := range gr.query {
		if !strings.HasPrefix(k, "$") || slices.Contains(allowed, k) {
			continue
		}
		r := s.gerr(gr, 400, "Request_UnsupportedQuery", fmt.Sprintf("The query parameter '%s' is not supported by this simulation of the request; Graph needs ConsistencyLevel: eventual for it.", k))
		return &r
	}
	return nil
}

func (s *Server) listUsers(gr *graphReq) graphResp {
	// Advanced queries ($count, assignedLicenses/$count) need
	// ConsistencyLevel: eventual, as in Graph.
	eventual := strings.EqualFold(gr.header.Get("ConsistencyLevel"), "eventual")
	allowed := []string{"$select", "$top", "$filter", "$skiptoken"}
	if gr.query.Has("$count") {
		if !eventual {
			return s.gerr(gr, 400, "Request_BadRequest", "$count is not currently supported.")
		}
		allowed = append(allowed, "$count")
	}
	if bad := s.refuseAdvanced(gr, allowed...); bad != nil {
		return *bad
	}
	if strings.Contains(gr.query.Get("$filter"), "/$count") && !(eventual && gr.query.Get("$count") == "true") {
		return s.gerr(gr, 400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'assignedLicenses' of resource 'User'. This query needs ConsistencyLevel: eventual and $count=true.")
	}
	props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
	if bad != nil {
		return *bad
	}
	size, bad := s.pageSize(gr, 100, 999)
	if bad != nil {
		return *bad
	}
	if slices.Contains(props, "signInActivity") || strings.Contains(strings.ToLower(gr.query.Get("$filter")), "signinactivity") {
		if bad := s.checkSignInActivity(gr); bad != nil {
			return *bad
		}
		size = min(size, 120) // documented page cap with signInActivity
	}
	pred, bad := s.parseUserFilter(gr, gr.query.Get("$filter"))
	if bad != nil {
		return *bad
	}
	start, ok := decodeSkip("u", gr.query.Get("$skiptoken"))
	if !ok {
		return s.gerr(gr, 400, "Request_BadRequest", "The specified page token value has expired and can no longer be included in your request.")
	}
	t := gr.t
	t.mu.Lock()
	n := t.userCountLocked()
	value := make([]any, 0, min(size, n))
	i := start
	for ; i < n && len(value) < size; i++ {
		u := t.userLocked(i)
		if u == nil || !pred(u) {
			continue
		}
		value = append(value, userJSON(u, props))
	}
	// Graph omits the link when nothing follows. Without a filter that is
	// decided from the indices alone; with one, by looking ahead a little.
	more := false
	for j := i; j < n && !more; j++ {
		if _, gone := t.deleted[j]; gone {
			continue
		}
		if gr.query.Get("$filter") == "" || j-i > 200 {
			more = true
		} else if u := t.userLocked(j); u != nil && pred(u) {
			more = true
		}
	}
	count := -1
	if gr.query.Get("$count") == "true" {
		count = 0
		for j := 0; j < n; j++ {
			if u := t.userLocked(j); u != nil && pred(u) {
				count++
			}
		}
	}
	t.mu.Unlock()
	body := jobj{{"@odata.context", s.info.GraphBase + "/$metadata#users(" + strings.Join(props, ",") + ")"}}
	if count >= 0 {
		body = append(body, kv{"@odata.count", count})
	}
	if more {
		body = append(body, kv{"@odata.nextLink", s.nextLink(gr, encodeSkip("u", i))})
	}
	body = append(body, kv{"value", value})
	return s.gjson(200, body)
}

func (s *Server) getUser(gr *graphReq) graphResp {
	props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
	if bad != nil {
		return *bad
	}
	if slices.Contains(props, "signInActivity") {
		if bad := s.checkSignInActivity(gr); bad != nil {
			return *bad
		}
	}
	key := strings.Trim(strings.Split(strings.Trim(gr.path, "/"), "/")[1], "'")
	key, _ = url.PathUnescape(key)
	t := gr.t
	t.mu.Lock()
	_, u := t.findUserLocked(key)
	t.mu.Unlock()
	if u == nil {
		return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
	}
	body := append(jobj{{"@odata.context", s.info.GraphBase + "/$metadata#users/$entity"}}, userJSON(u, props)...)
	return s.gjson(200, body)
}

func (s *Server) getMe(gr *graphReq) graphResp {
	if gr.claims.IdTyp == "app" {
		return s.gerr(gr, 400, "BadRequest", "/me request is only valid with delegated authentication flow.")
	}
	home := s.tenantByID(gr.claims.HomeTid)
	if home == nil {
		home = gr.t
	}
	home.mu.Lock()
	_, u := home.findUserLocked(gr.claims.Oid)
	home.mu.Unlock()
	if u == nil {
		return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", gr.claims.Oid))
	}
	props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
	if bad != nil {
		return *bad
	}
	body := append(jobj{{"@odata.context", s.info.GraphBase + "/$metadata#users/$entity"}}, userJSON(u, props)...)
	return s.gjson(200, body)
}

// --- organization, domains, licences ---------------------------------------

func (s *Server) organization(gr *graphReq) graphResp {
	t := gr.t
	c := cultures[t.culture]
	var verified []any
	for _, d := range t.domains {
		if !d.Verified {
			continue
		}
		caps := "Email, OfficeCommunicationsOnline"
		if d.IsInitial {
			caps = "Email, OfficeCommunicationsOnline, MoeraDomain"
		}
		verified = append(verified, map[string]any{"capabilities": caps, "isDefault": d.IsDefault, "isInitial": d.IsInitial, "name": d.Name, "type": "Managed"})
	}
	var plans []any
	for _, sk := range t.skus {
		for _, p := range sk.ServicePlan {
			plans = append(plans, map[string]any{"assignedDateTime": jsonTime(&t.created), "capabilityStatus": "Enabled", "service": strings.ToLower(strings.SplitN(p, "_", 2)[0]), "servicePlanId": guid(hstr(p))})
		}
	}
	org := map[string]any{
		"id": t.id, "displayName": t.name, "deletedDateTime": nil, "businessPhones": []string{t.phone},
		"city": t.city, "country": nil, "countryLetterCode": c.country, "createdDateTime": jsonTime(&t.created),
		"defaultUsageLocation": nil, "marketingNotificationEmails": []string{}, "onPremisesLastSyncDateTime": nil,
		"onPremisesSyncEnabled": nil, "partnerTenantType": nil, "postalCode": t.postal, "preferredLanguage": "en",
		"securityComplianceNotificationMails": []string{}, "securityComplianceNotificationPhones": []string{},
		"state": nil, "street": t.street, "technicalNotificationMails": []string{"admin@" + t.defaultDomain()},
		"tenantType": "AAD", "directorySizeQuota": map[string]any{"used": t.size + 30, "total": 300000},
		"assignedPlans": plans, "privacyProfile": nil, "provisionedPlans": []any{}, "verifiedDomains": verified,
	}
	if t.idx%5 == 1 {
		org["onPremisesSyncEnabled"] = true
		org["onPremisesLastSyncDateTime"] = jsonTime(ptime(s.epoch.Add(-25 * time.Minute)))
	}
	if t == s.partner {
		org["partnerTenantType"] = "resellerPartnerDelegatedAdmin"
	}
	segs := strings.Split(strings.Trim(gr.path, "/"), "/")
	if len(segs) == 2 {
		if !strings.EqualFold(segs[1], t.id) {
			return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1]))
		}
		org = selectProps(org, gr.query.Get("$select"))
		org["@odata.context"] = s.info.GraphBase + "/$metadata#organization/$entity"
		return s.gjson(200, org)
	}
	return s.gjson(200, map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#organization", "value": []any{selectProps(org, gr.query.Get("$select"))}})
}

func (s *Server) domains(gr *graphReq) graphResp {
	var out []any
	for _, d := range gr.t.domains {
		svc := []string{}
		if d.Verified {
			svc = []string{"Email", "OfficeCommunicationsOnline"}
		}
		out = append(out, selectProps(map[string]any{
			"id": d.Name, "authenticationType": "Managed", "availabilityStatus": nil, "isAdminManaged": true,
			"isDefault": d.IsDefault, "isInitial": d.IsInitial, "isRoot": !strings.HasPrefix(d.Name, "mail."), "isVerified": d.Verified,
			"supportedServices": svc, "passwordNotificationWindowInDays": nil, "passwordValidityPeriodInDays": nil,
			"state": nil, "manufacturer": nil, "model": nil,
		}, gr.query.Get("$select")))
	}
	return s.pageOf(gr, "domains", out, 100, 999)
}

func (s *Server) subscribedSkus(gr *graphReq) graphResp {
	t := gr.t
	t.mu.Lock()
	t.materialize()
	var out []any
	for _, sk := range t.skus {
		plans := []any{}
		for _, p := range sk.ServicePlan {
			plans = append(plans, map[string]any{"servicePlanId": guid(hstr(p)), "servicePlanName": p, "provisioningStatus": "Success", "appliesTo": "User"})
		}
		status := "Enabled"
		switch {
		case sk.lockedOut > 0 && sk.enabled == 0:
			status = "LockedOut"
		case sk.suspended > 0 && sk.enabled == 0:
			status = "Suspended"
		case sk.warning > 0 && sk.enabled == 0:
			status = "Warning"
		}
		out = append(out, selectProps(map[string]any{
			"accountId": t.id, "accountName": slug(t.name, 20), "appliesTo": "User", "capabilityStatus": status,
			"consumedUnits": t.consumed[sk.ID], "id": t.id + "_" + sk.ID, "skuId": sk.ID, "skuPartNumber": sk.PartNumber,
			"subscriptionIds": []string{sk.subscriptionID}, "servicePlans": plans,
			"prepaidUnits": map[string]any{"enabled": sk.enabled, "suspended": sk.suspended, "warning": sk.warning, "lockedOut": sk.lockedOut},
		}, gr.query.Get("$select")))
	}
	t.mu.Unlock()
	return s.gjson(200, map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#subscribedSkus", "value": out})
}

// --- groups ---------------------------------------------------------------

func (s *Server) listGroups(gr *graphReq) graphResp {
	var out []any
	for _, g := range gr.t.groups() {
		out = append(out, selectProps(map[string]any{
			"id": g.id, "displayName": g.name, "mail": g.mail, "mailEnabled": true, "securityEnabled": g.dept == "",
			"groupTypes": []string{"Unified"}, "mailNickname": strings.SplitN(g.mail, "@", 2)[0], "visibility": "Private",
			"createdDateTime": jsonTime(&gr.t.created), "description": nil,
		}, gr.query.Get("$select")))
	}
	return s.pageOf(gr, "groups", out, 100, 999)
}

func (s *Server) groupMembers(gr *graphReq) graphResp {
	gid := strings.Split(strings.Trim(gr.path, "/"), "/")[1]
	var g *group
	for _, x := range gr.t.groups() {
		if strings.EqualFold(x.id, gid) {
			x := x
			g = &x
		}
	}
	if g == nil {
		return s.gerr(gr, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", gid))
	}
	props, bad := s.parseUserSelect(gr, gr.query.Get("$select"))
	if bad != nil {
		return *bad
	}
	t := gr.t
	t.mu.Lock()
	var out []any
	n := t.userCountLocked()
	for i := 0; i < n; i++ {
		u := t.userLocked(i)
		if u == nil || u.UserType != "Member" || u.Kind == "shared" {
			continue
		}
		if (g.dept == "" && u.AccountEnabled) || (g.dept != "" && u.Department == g.dept) {
			out = append(out, append(jobj{{"@odata.type", "#microsoft.graph.user"}}, userJSON(u, props)...))
		}
	}
	t.mu.Unlock()
	return s.pageOf(gr, "directoryObjects", out, 100, 999)
}

// --- Intune -----------------------------------------------------------------

func (s *Server) managedDevices(gr *graphReq) graphResp {
	t := gr.t
	n := t.deviceCount()
	var out []any
	t.mu.Lock()
	for i := 0; i < n; i++ {
		d := t.device(i, t.userLocked)
		enrollment := "windowsAzureADJoin"
		if d.OS != "Windows" {
			enrollment = "userEnrollment"
		}
		out = append(out, selectProps(map[string]any{
			"id": d.ID, "userId": nullable(d.UserID), "deviceName": d.Name, "managedDeviceOwnerType": d.OwnerType,
			"enrolledDateTime": jsonTime(&d.Enrolled), "lastSyncDateTime": jsonTime(&d.LastSync), "operatingSystem": d.OS,
			"complianceState": d.Compliance, "jailBroken": "Unknown", "managementAgent": "mdm", "osVersion": d.OSVersion,
			"easActivated": false, "azureADRegistered": true, "deviceEnrollmentType": enrollment,
			"azureADDeviceId": guid(hstr(d.ID), 7), "deviceRegistrationState": "registered", "isSupervised": false,
			"isEncrypted": d.Encrypted, "userPrincipalName": nullable(d.UserPrincipalName), "model": d.Model,
			"manufacturer": d.Manufacturer, "serialNumber": d.Serial, "userDisplayName": nullable(d.UserDisplayName), "emailAddress": nullable(d.UserPrincipalName),
			"managedDeviceName": d.Name + "_" + d.Enrolled.Format("1/2/2006_3:04 PM"), "totalStorageSpaceInBytes": 255551504384,
			"freeStorageSpaceInBytes": 95551504384, "physicalMemoryInBytes": 0, "wiFiMacAddress": "", "imei": "", "meid": "",
			"phoneNumber": nil, "notes": nil, "partnerReportedThreatState": "unknown",
		}, gr.query.Get("$select")))
	}
	t.mu.Unlock()
	return s.pageOf(gr, "deviceManagement/managedDevices", out, 1000, 1000)
}

// --- partner ---------------------------------------------------------------

func (s *Server) gdapCustomers(gr *graphReq) graphResp {
	var out []any
	for _, t := range s.tenants {
		out = append(out, map[string]any{"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "id": t.id, "tenantId": t.id, "displayName": t.name})
	}
	return s.pageOf(gr, "tenantRelationships/delegatedAdminCustomers", out, 100, 300)
}

var reRelFilter = regexp.MustCompile(`(?i)^(customer/tenantId|status)\s+eq\s+'([^']*)'$`)

func (s *Server) gdapRelationships(gr *graphReq) graphResp {
	var field, want string
	if f := strings.TrimSpace(gr.query.Get("$filter")); f != "" {
		m := reRelFilter.FindStringSubmatch(f)
		if m == nil {
			return s.gerr(gr, 400, "BadRequest", "The $filter query is not supported: "+f)
		}
		field, want = strings.ToLower(m[1]), m[2]
	}
	var out []any
	for _, t := range s.tenants {
		flags := t.flagsNow()
		status, end := "active", t.relEnd
		if flags.GDAPExpired {
			status, end = "expired", s.epoch.AddDate(0, 0, -3)
		}
		var roles []any
		for _, r := range t.gdapRoles() {
			roles = append(roles, map[string]any{"roleDefinitionId": r})
		}
		if field == "customer/tenantid" && !strings.EqualFold(want, t.id) || field == "status" && !strings.EqualFold(want, status) {
			continue
		}
		created := t.relEnd.AddDate(-2, 0, 0)
		out = append(out, map[string]any{
			"@odata.type": "#microsoft.graph.delegatedAdminRelationship", "id": t.relID,
			"displayName": "tenantsync-" + slug(t.name, 20), "duration": "P730D", "status": status,
			"autoExtendDuration": "P180D", "createdDateTime": jsonTime(&created), "activatedDateTime": jsonTime(&created),
			"lastModifiedDateTime": jsonTime(&created), "endDateTime": jsonTime(&end),
			"customer":      map[string]any{"tenantId": t.id, "displayName": t.name},
			"accessDetails": map[string]any{"unifiedRoles": roles},
		})
	}
	return s.pageOf(gr, "tenantRelationships/delegatedAdminRelationships", out, 100, 300)
}

func (s *Server) contracts(gr *graphReq) graphResp {
	var out []any
	for _, t := range s.tenants {
		out = append(out, selectProps(map[string]any{"id": guid(hstr(t.id), 9), "contractType": "ResellerPartner",
			"customerId": t.id, "defaultDomainName": t.defaultDomain(), "displayName": t.name}, gr.query.Get("$select")))
	}
	return s.pageOf(gr, "contracts", out, 100, 999)
}
