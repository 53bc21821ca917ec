package m365sim

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
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
	method      string // "" means GET
	endpoint    string
	class       throttleClass
	cost        int
	perms       []string
	roles       []string // GDAP roles, any of, for delegated partner access
	partnerOnly bool
	permCode    string   // error code when permissions are missing
	alsoPerms   []string // a second permission needed besides one of perms (any of)
	// needsAdmin: a delegated caller must also hold a directory role that
	// the endpoint lists; the simulator models Global Administrator only
	// (see graph_apps.go).
	needsAdmin bool
	fn         func(gr *graphReq) graphResp
}

var (
	// As each endpoint's API reference lists them (least privileged first).
	orgPerms      = []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}
	domainPerms   = []string{"Domain.Read.All", "Directory.Read.All", "Domain.ReadWrite.All", "Directory.ReadWrite.All"}
	skuPerms      = []string{"LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}
	contractPerms = []string{"Directory.Read.All", "Directory.ReadWrite.All"}
	userPerms     = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"}
	groupPerms    = []string{"Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	repPerms      = []string{"Reports.Read.All"}
	repSetPerms   = []string{"ReportSettings.Read.All", "ReportSettings.ReadWrite.All"}
	devPerms      = []string{"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"}
	gdapPerms     = []string{"DelegatedAdminRelationship.Read.All", "DelegatedAdminRelationship.ReadWrite.All"}
	dirRoles      = []string{roleDirectoryReaders, roleGlobalReader, roleUserAdmin, roleGlobalAdmin}
	repRoles      = []string{roleGlobalReader, roleReportsReader, roleGlobalAdmin}
	devRoles      = []string{roleGlobalReader, roleIntuneAdmin, roleGlobalAdmin}
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
	if rt := s.appRoute(gr, segs); rt != nil {
		return rt, segs
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
		return &route{endpoint: "GET /organization", class: classDirectory, cost: 1, perms: orgPerms, roles: dirRoles, fn: s.organization}, segs
	case n == 1 && at(0) == "domains":
		return &route{endpoint: "GET /domains", class: classDirectory, cost: 1, perms: domainPerms, roles: dirRoles, fn: s.domains}, segs
	case n == 1 && at(0) == "subscribedSkus":
		return &route{endpoint: "GET /subscribedSkus", class: classDirectory, cost: 3, perms: skuPerms, roles: dirRoles, fn: s.subscribedSkus}, segs
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
		return &route{endpoint: "GET /contracts", class: classDirectory, cost: 3, perms: contractPerms, partnerOnly: true, fn: s.contracts}, segs
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
	if want := cmp.Or(rt.method, http.MethodGet); gr.method != want {
		_, path, _ := strings.Cut(rt.endpoint, " ")
		return s.gerr(gr, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."), gr.method + " " + path
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
	if rt.needsAdmin && gr.claims.IdTyp == "user" {
		if gr.isGDAP() {
			return deny("Authorization_RequestDenied", insufficient)
		}
		t.mu.Lock()
		idx, u := t.findUserLocked(gr.claims.Oid)
		t.mu.Unlock()
		if u == nil || !t.isGlobalAdmin(idx) {
			return deny("Authorization_RequestDenied", insufficient)
		}
	}
	if rt.alsoPerms != nil && !anyOf(rt.alsoPerms, gr.granted()) {
		return deny("Authorization_RequestDenied", insufficient)
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
	return s.pageOfN(gr, context, len(items), func(i int) any { return items[i] }, def, maxTop)
}

// pageOfN returns a page of a collection of n items, building only the
// items on the page: a large tenant's pages would otherwise cost the whole
// collection each.
func (s *Server) pageOfN(gr *graphReq, context string, n int, item func(i int) any, def, maxTop int) graphResp {
	size, bad := s.pageSize(gr, def, maxTop)
	if bad != nil {
		return *bad
	}
	start, ok := decodeSkip("o", gr.query.Get("$skiptoken"))
	if !ok {
		return s.gerr(gr, 400, "Request_BadRequest", "The specified page token value has expired and can no longer be included in your request.")
	}
	start = min(start, n)
	end := min(start+size, n)
	value := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		value = append(value, item(i))
	}
	body := map[string]any{"@odata.context": s.info.GraphBase + "/$metadata#" + context, "value": value}
	if end < n {
		body["@odata.nextLink"] = s.nextLink(gr, encodeSkip("o", end))
	}
	return s.gjson(200, body)
}

// selectProps filters an object by $select (keeps id always).
func selectProps(obj map[string]any, sel string) map[string]any {
	if sel == "" {
		return obj
	}
	out := make(map[string]any, strings.Count(sel, ",")+2)
	for k, v := range obj {
		if k == "id" || selects(sel, k) {
			out[k] = v
		}
	}
	return out
}

// selects reports whether the comma-separated $select list names prop,
// ignoring case and spaces, without splitting the list.
func selects(sel, prop string) bool {
	for sel != "" {
		p, rest, _ := strings.Cut(sel, ",")
		if strings.EqualFold(strings.TrimSpace(p), prop) {
			return true
		}
		sel = rest
	}
	return false
}
