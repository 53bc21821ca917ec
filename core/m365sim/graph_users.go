// Graph users: list, get, me, and the property rendering shared with delta.

package m365sim

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

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

// upnPrefixFilter returns the lower-case prefix of a $filter that is
// exactly startswith(userPrincipalName,'...').
func upnPrefixFilter(f string) (string, bool) {
	m := reStarts.FindStringSubmatch(strings.TrimSpace(f))
	if m == nil || !strings.EqualFold(m[1], "userPrincipalName") {
		return "", false
	}
	return strings.ToLower(strings.ReplaceAll(m[2], "''", "'")), true
}

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
	// A filter on the principal name's start is tested on the name alone
	// first, as a directory index would.
	upnStart, byUPN := upnPrefixFilter(gr.query.Get("$filter"))
	t := gr.t
	skip := func(i int) bool { return byUPN && !strings.HasPrefix(strings.ToLower(t.upnLocked(i)), upnStart) }
	t.mu.Lock()
	n := t.userCountLocked()
	value := make([]any, 0, min(size, n))
	i := start
	for ; i < n && len(value) < size; i++ {
		if skip(i) {
			continue
		}
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
		} else if skip(j) {
			continue
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
