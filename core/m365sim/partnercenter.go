package m365sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/permissions"
)

// Partner Center's REST API, the part a control-panel vendor uses to
// consent its multi-tenant app into customer tenants
// (learn.microsoft.com/partner-center/developer/control-panel-vendor-apis):
//
//	POST   /v1/customers/{customer-tenant-id}/applicationconsents
//	DELETE /v1/customers/{customer-tenant-id}/applicationconsents/{application-id}
//
// Silent in the documentation, strict here: App+User tokens only, with
// user_impersonation, of an admin agent; enterpriseApplicationId limited to
// Microsoft Graph and its scopes checked against what Graph publishes; 409
// for any existing principal of the app in the customer (also one a customer
// admin consented); the rate limit counted per token appid.
//
// served under partnerCenterPrefix (the real host is
// api.partnercenter.microsoft.com). The caller needs an App+User token for
// the audience https://api.partnercenter.microsoft.com with
// user_impersonation, signed in as an admin agent of the partner; the
// documented rate limit is 50 requests per second per application id.
//
// Where the documentation is silent the simulator is strict:
//   - no GET is documented, so none is served;
//   - consenting an app a customer already holds answers 409 with
//     "Permission entry already exists." (the text partners meet; the page
//     lists no 409): delete the consent first to change it;
//   - the customer must have an active GDAP relationship with the partner;
//   - the app must be a multi-tenant app registered in the partner tenant.
const partnerCenterPrefix = "/partnercenter"

// pcLimiter enforces 50 requests per second per application id.
type pcLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	window map[string]pcWindow
}

type pcWindow struct {
	start time.Time
	n     int
}

const pcRequestsPerSecond = 50

func newPCLimiter(now func() time.Time) *pcLimiter {
	if now == nil {
		now = time.Now
	}
	return &pcLimiter{now: now, window: map[string]pcWindow{}}
}

// admit counts a request of appID and reports whether it may go on.
func (l *pcLimiter) admit(appID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.window[appID]
	if now.Sub(w.start) >= time.Second {
		w = pcWindow{start: now}
	}
	w.n++
	l.window[appID] = w
	return w.n <= pcRequestsPerSecond
}

// consentGrant is one entry of applicationGrants.
type consentGrant struct {
	EnterpriseApplicationID string `json:"enterpriseApplicationId"`
	Scope                   string `json:"scope"` // comma-separated permission names
}

type applicationConsent struct {
	ApplicationID     string         `json:"applicationId"`
	ApplicationGrants []consentGrant `json:"applicationGrants"`
	DisplayName       string         `json:"displayName,omitempty"`
}

// pcError writes Partner Center's error body; its code is a string
// ("Always returned", error-codes reference).
func pcError(w http.ResponseWriter, status, code int, desc string) {
	w.Header().Set("MS-CorrelationId", randomID())
	w.Header().Set("MS-RequestId", randomID())
	writeJSON(w, status, map[string]any{"code": strconv.Itoa(code), "description": desc, "data": []any{}, "source": "PartnerFD"})
}

func (s *Server) servePartnerCenter(w http.ResponseWriter, r *http.Request, meta *reqMeta) {
	path := strings.TrimPrefix(r.URL.Path, partnerCenterPrefix)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	consents := len(segs) >= 4 && segs[0] == "v1" && segs[1] == "customers" && segs[3] == "applicationconsents"
	switch {
	case consents && len(segs) == 4 && r.Method == http.MethodPost:
		meta.endpoint = "POST /v1/customers/{id}/applicationconsents"
	case consents && len(segs) == 5 && r.Method == http.MethodDelete:
		meta.endpoint = "DELETE /v1/customers/{id}/applicationconsents/{appId}"
	default:
		meta.endpoint = r.Method + " /v1 (not served)"
		pcError(w, http.StatusNotFound, 404, "The requested resource was not found.")
		return
	}
	meta.tenant = segs[2]
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		// The consent API lists Accept: application/json as required.
		pcError(w, http.StatusBadRequest, 400, "The Accept header must be application/json.")
		return
	}
	c, denied := s.partnerCenterCaller(r)
	if denied != nil {
		pcError(w, denied.status, denied.code, denied.desc)
		return
	}
	if !s.pcLimiter.admit(c.AppID) {
		w.Header().Set("Retry-After", "1")
		pcError(w, http.StatusTooManyRequests, 429, "Rate limit exceeded: at most 50 requests per second per application.")
		return
	}
	cust := s.byID[strings.ToLower(segs[2])]
	if cust == nil {
		pcError(w, http.StatusNotFound, 600008, fmt.Sprintf("Customer %s was not found for this partner.", segs[2]))
		return
	}
	if cust.flagsNow().GDAPExpired {
		pcError(w, http.StatusForbidden, 403, "The partner does not have an active delegated admin relationship with this customer.")
		return
	}
	if r.Method == http.MethodDelete {
		s.dir.mu.Lock()
		removed := s.removeClientLocked(cust, segs[4])
		s.dir.mu.Unlock()
		if !removed {
			pcError(w, http.StatusNotFound, 404, fmt.Sprintf("No consent for application %s exists in customer %s.", segs[4], cust.id))
			return
		}
		// Documented: "200 OK" (and, oddly, "201 Created – consent is
		// deleted"); the simulator answers 200.
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := readBody(r)
	var req applicationConsent
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.ApplicationID == "" || len(req.ApplicationGrants) == 0 {
		pcError(w, http.StatusBadRequest, 400, "The request body must hold applicationId and at least one applicationGrants entry {enterpriseApplicationId, scope}.")
		return
	}
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	app := s.lookupClientLocked(req.ApplicationID)
	if app == nil || app.firstParty || app.home != s.partner {
		pcError(w, http.StatusBadRequest, 400, fmt.Sprintf("Application %s was not found in the partner tenant.", req.ApplicationID))
		return
	}
	if app.audience != audienceMultipleOr {
		pcError(w, http.StatusBadRequest, 400, fmt.Sprintf("Application %s is not multi-tenant: set its supported account types to accounts in any organizational directory.", req.ApplicationID))
		return
	}
	if s.clientSPLocked(cust, app.appID) != nil {
		pcError(w, http.StatusConflict, 409, "Permission entry already exists.")
		return
	}
	for _, g := range req.ApplicationGrants {
		if resourceFor(g.EnterpriseApplicationID) != graphAPI {
			pcError(w, http.StatusBadRequest, 400, fmt.Sprintf("enterpriseApplicationId %s cannot be consented in a customer tenant.", g.EnterpriseApplicationID))
			return
		}
	}
	if _, err := s.partnerConsentLocked(cust, app, req.ApplicationGrants); err != nil {
		s.removeClientLocked(cust, app.appID)
		pcError(w, http.StatusBadRequest, 400, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, req)
}

type pcDenial struct {
	status, code int
	desc         string
}

// partnerCenterCaller checks the bearer token: Partner Center's audience,
// App+User, user_impersonation, an admin agent of the partner tenant.
func (s *Server) partnerCenterCaller(r *http.Request) (*tokenClaims, *pcDenial) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var c tokenClaims
	if !ok || s.verify(strings.TrimSpace(tok), &c) != nil {
		return nil, &pcDenial{401, 401, "Authentication failed: the access token is missing or not valid."}
	}
	if resourceFor(c.Aud) != partnerCenterAPI {
		return nil, &pcDenial{401, 401, "Authentication failed: the token's audience must be " + permissions.PartnerCenterResource + "."}
	}
	if s.now().Unix() >= c.Exp {
		return nil, &pcDenial{401, 401, "Authentication failed: the token has expired."}
	}
	if c.IdTyp != "user" {
		return nil, &pcDenial{403, 403, "This operation needs App+User authentication: an application-only token is not accepted."}
	}
	if !strings.Contains(" "+c.Scp+" ", " "+permissions.PartnerCenterScopeName+" ") {
		return nil, &pcDenial{403, 403, "The token lacks the user_impersonation permission of Partner Center."}
	}
	if c.Tid != s.partner.id {
		return nil, &pcDenial{403, 403, "The signed-in user is not a member of a partner organization."}
	}
	idx := -1
	s.partner.mu.Lock()
	if i, u := s.partner.findUserLocked(c.Oid); u != nil {
		idx = i
	}
	s.partner.mu.Unlock()
	if idx < 0 || !s.partner.isAdminAgent(idx) {
		return nil, &pcDenial{403, 403, "The signed-in user does not hold the Admin Agent role in Partner Center."}
	}
	return &c, nil
}
