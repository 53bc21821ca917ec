package m365sim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/permissions"
)

// Control changes the simulated tenants between syncs and reads counters.
// Every method has an HTTP twin under /_sim/ (see serveControl).
type Control struct {
	s    *Server
	once sync.Once
	mux  *http.ServeMux
}

// ErrNotFound is returned for unknown tenants and users.
var ErrNotFound = errors.New("m365sim: not found")

// UserSpec describes a user to add. Empty names are generated.
type UserSpec struct {
	GivenName      string   `json:"givenName"`
	Surname        string   `json:"surname"`
	DisplayName    string   `json:"displayName"`
	UPN            string   `json:"userPrincipalName"` // default given.surname@default domain
	Mail           string   `json:"mail"`              // default UPN
	JobTitle       string   `json:"jobTitle"`
	Department     string   `json:"department"`
	MobilePhone    string   `json:"mobilePhone"`
	BusinessPhone  string   `json:"businessPhone"`
	Disabled       bool     `json:"disabled"`
	Guest          bool     `json:"guest"`
	Licenses       []string `json:"licenses"` // part numbers or skuIds
	OtherMails     []string `json:"otherMails"`
	ProxyAddresses []string `json:"proxyAddresses"` // default SMTP:mail
}

// UserPatch changes the properties that are set.
type UserPatch struct {
	DisplayName    *string   `json:"displayName,omitempty"`
	GivenName      *string   `json:"givenName,omitempty"`
	Surname        *string   `json:"surname,omitempty"`
	UPN            *string   `json:"userPrincipalName,omitempty"`
	Mail           *string   `json:"mail,omitempty"`
	JobTitle       *string   `json:"jobTitle,omitempty"`
	Department     *string   `json:"department,omitempty"`
	OfficeLocation *string   `json:"officeLocation,omitempty"`
	MobilePhone    *string   `json:"mobilePhone,omitempty"`
	BusinessPhones *[]string `json:"businessPhones,omitempty"`
	ProxyAddresses *[]string `json:"proxyAddresses,omitempty"`
	OtherMails     *[]string `json:"otherMails,omitempty"`
	AccountEnabled *bool     `json:"accountEnabled,omitempty"`
}

func (c *Control) tenant(id string) (*tenant, error) {
	if t := c.s.tenantByID(id); t != nil {
		return t, nil
	}
	if t, _, ok := c.s.resolveTenant(id); ok && t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("tenant %q: %w", id, ErrNotFound)
}

// Users lists a tenant's current users.
func (c *Control) Users(tenantID string) ([]User, error) {
	t, err := c.tenant(tenantID)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.userCountLocked()
	out := make([]User, 0, n)
	for i := 0; i < n; i++ {
		if u := t.userLocked(i); u != nil {
			out = append(out, *u)
		}
	}
	return out, nil
}

// User returns one user by object id or UPN.
func (c *Control) User(tenantID, user string) (User, error) {
	var out User
	err := c.withUser(tenantID, user, func(_ *tenant, _ int, u *User) error {
		out = *u
		return nil
	})
	return out, err
}

// withUser calls fn with a tenant's live user, found by object id or UPN,
// under the tenant's lock.
func (c *Control) withUser(tenantID, user string, fn func(t *tenant, idx int, u *User) error) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	idx, u := t.findUserLocked(user)
	if u == nil {
		return fmt.Errorf("user %q: %w", user, ErrNotFound)
	}
	return fn(t, idx, u)
}

func (t *tenant) resolveSkus(list []string) ([]string, error) {
	out := []string{}
	for _, x := range list {
		found := false
		for _, sk := range t.skus {
			if strings.EqualFold(sk.PartNumber, x) || strings.EqualFold(sk.ID, x) {
				out = append(out, sk.ID)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("licence %q is not subscribed in %s: %w", x, t.name, ErrNotFound)
		}
	}
	return out, nil
}

func (t *tenant) adjustConsumedLocked(old, new []string) {
	t.materialize()
	for _, id := range old {
		t.consumed[id]--
	}
	for _, id := range new {
		t.consumed[id]++
	}
}

// AddUser creates a user; it shows up in lists and as an addition in delta.
func (c *Control) AddUser(tenantID string, spec UserSpec) (User, error) {
	t, err := c.tenant(tenantID)
	if err != nil {
		return User{}, err
	}
	lic, err := t.resolveSkus(spec.Licenses)
	if err != nil {
		return User{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	idx := t.userCountLocked()
	if spec.GivenName == "" && spec.DisplayName == "" {
		spec.GivenName, spec.Surname = "Alex", fmt.Sprintf("Newhire%d", idx)
	}
	display := spec.DisplayName
	if display == "" {
		display = strings.TrimSpace(spec.GivenName + " " + spec.Surname)
	}
	upn := spec.UPN
	if upn == "" {
		upn = mailLocal(spec.GivenName, spec.Surname) + "@" + t.defaultDomain()
		if spec.Guest {
			upn = strings.ReplaceAll(mailLocal(spec.GivenName, spec.Surname)+"@example.org", "@", "_") + "#EXT#@" + t.initialDomain()
		}
	}
	if _, dup := t.findUserLocked(upn); dup != nil {
		return User{}, fmt.Errorf("userPrincipalName %s already exists in %s", upn, t.name)
	}
	mail := spec.Mail
	if mail == "" && !spec.Guest {
		mail = upn
	}
	u := &User{Index: idx, ID: guid(uint64(c.s.opt.Seed), saltUserID, uint64(t.idx+1), uint64(idx), 0xadd),
		UPN: upn, Mail: mail, DisplayName: display, GivenName: spec.GivenName, Surname: spec.Surname,
		JobTitle: spec.JobTitle, Department: spec.Department, MobilePhone: spec.MobilePhone,
		BusinessPhones: []string{}, ProxyAddresses: spec.ProxyAddresses, OtherMails: nonNil(spec.OtherMails),
		AccountEnabled: !spec.Disabled, UserType: "Member", Created: c.s.now().UTC().Truncate(1e9), Licenses: lic,
		UsageLocation: cultures[t.culture].country, Kind: "member", SignIn: &SignInActivity{}}
	if spec.BusinessPhone != "" {
		u.BusinessPhones = []string{spec.BusinessPhone}
	}
	if spec.Guest {
		u.UserType, u.Kind = "Guest", "guest"
	}
	if u.ProxyAddresses == nil {
		u.ProxyAddresses = []string{}
		if mail != "" && !spec.Guest {
			u.ProxyAddresses = []string{"SMTP:" + mail}
		}
	}
	pw := u.Created
	u.LastPwdChange = &pw
	t.adjustConsumedLocked(nil, lic)
	t.added++
	t.mutateLocked(idx, u, ^uint64(0))
	return *u, nil
}

// UpdateUser applies a patch and logs the changed properties for delta.
func (c *Control) UpdateUser(tenantID, user string, p UserPatch) (User, error) {
	var out User
	err := c.withUser(tenantID, user, func(t *tenant, idx int, u *User) error {
		var fields uint64
		setS := func(dst *string, v *string, prop string) {
			if v != nil && *dst != *v {
				*dst = *v
				fields |= propBit(prop)
			}
		}
		setL := func(dst *[]string, v *[]string, prop string) {
			if v != nil && !slices.Equal(*dst, *v) {
				*dst = append([]string{}, (*v)...)
				fields |= propBit(prop)
			}
		}
		setS(&u.DisplayName, p.DisplayName, "displayName")
		setS(&u.GivenName, p.GivenName, "givenName")
		setS(&u.Surname, p.Surname, "surname")
		setS(&u.UPN, p.UPN, "userPrincipalName")
		setS(&u.Mail, p.Mail, "mail")
		setS(&u.JobTitle, p.JobTitle, "jobTitle")
		setS(&u.Department, p.Department, "department")
		setS(&u.OfficeLocation, p.OfficeLocation, "officeLocation")
		setS(&u.MobilePhone, p.MobilePhone, "mobilePhone")
		setL(&u.BusinessPhones, p.BusinessPhones, "businessPhones")
		setL(&u.ProxyAddresses, p.ProxyAddresses, "proxyAddresses")
		setL(&u.OtherMails, p.OtherMails, "otherMails")
		if p.AccountEnabled != nil && u.AccountEnabled != *p.AccountEnabled {
			u.AccountEnabled = *p.AccountEnabled
			fields |= propBit("accountEnabled")
		}
		if fields != 0 {
			t.mutateLocked(idx, u, fields)
		}
		out = *u
		return nil
	})
	return out, err
}

// RenameUser sets given name, surname and the display name built from them.
func (c *Control) RenameUser(tenantID, user, givenName, surname string) (User, error) {
	display := strings.TrimSpace(givenName + " " + surname)
	return c.UpdateUser(tenantID, user, UserPatch{GivenName: &givenName, Surname: &surname, DisplayName: &display})
}

// DisableUser blocks sign-in (accountEnabled false), as for a leaver.
func (c *Control) DisableUser(tenantID, user string) (User, error) {
	f := false
	return c.UpdateUser(tenantID, user, UserPatch{AccountEnabled: &f})
}

// EnableUser allows sign-in again.
func (c *Control) EnableUser(tenantID, user string) (User, error) {
	tr := true
	return c.UpdateUser(tenantID, user, UserPatch{AccountEnabled: &tr})
}

// DeleteUser deletes a user: soft (restorable for 30 days; delta reports
// @removed reason "changed") or permanently (reason "deleted").
func (c *Control) DeleteUser(tenantID, user string, permanent bool) error {
	return c.withUser(tenantID, user, func(t *tenant, idx int, u *User) error {
		if t.deleted == nil {
			t.deleted = map[int]deletion{}
		}
		t.adjustConsumedLocked(u.Licenses, nil)
		t.deleted[idx] = deletion{at: c.s.now(), permanent: permanent}
		t.logDeleteLocked(idx)
		return nil
	})
}

// SetLicenses replaces a user's licences (part numbers or skuIds).
func (c *Control) SetLicenses(tenantID, user string, skus []string) (User, error) {
	var out User
	err := c.withUser(tenantID, user, func(t *tenant, idx int, u *User) error {
		ids, err := t.resolveSkus(skus)
		if err != nil {
			return err
		}
		if !slices.Equal(u.Licenses, ids) {
			t.adjustConsumedLocked(u.Licenses, ids)
			u.Licenses = ids
			t.mutateLocked(idx, u, propBit("assignedLicenses")|propBit("assignedPlans")|propBit("licenseAssignmentStates"))
		}
		out = *u
		return nil
	})
	return out, err
}

// Flags returns a tenant's flags.
func (c *Control) Flags(tenantID string) (TenantFlags, error) {
	t, err := c.tenant(tenantID)
	if err != nil {
		return TenantFlags{}, err
	}
	return t.flagsNow(), nil
}

// SetFlags replaces a tenant's flags. NotConsented and NoGrants change
// the tenant's directory: the service principal of every app registered in
// the partner tenant is removed, or added with its customer admin's consent,
// or keeps its principal without grants.
func (c *Control) SetFlags(tenantID string, f TenantFlags) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	t.mu.Lock()
	old := t.flags
	t.flags = f
	t.mu.Unlock()
	if t != c.s.partner && (old.NotConsented != f.NotConsented || old.NoGrants != f.NoGrants) {
		c.s.dir.mu.Lock()
		c.s.backdatedLocked(func() {
			for _, app := range c.s.registeredAppsLocked() {
				c.s.applyConsentFlagsLocked(t, app, f)
			}
		})
		c.s.dir.mu.Unlock()
	}
	return nil
}

// AppFlags returns the ready state's app registration conditions.
func (c *Control) AppFlags() AppFlags {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.app
}

// SetAppFlags expires the ready state's client secret (its endDateTime
// moves into the past) or rotates it (clients hold a secret the app no
// longer has); the zero value restores it.
func (c *Control) SetAppFlags(f AppFlags) {
	s := c.s
	s.mu.Lock()
	s.app = f
	s.mu.Unlock()
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	if s.readyApp == nil || len(s.readyApp.passwords) == 0 {
		return
	}
	p := s.readyApp.passwords[0]
	now := s.now().UTC()
	switch {
	case f.SecretExpired:
		p.start, p.end = now.AddDate(-2, 0, 0), now.Add(-time.Minute)
	case !now.Before(p.end):
		p.start, p.end = now, now.AddDate(2, 0, 0)
	}
	p.secret = s.secret
	if f.SecretRotated {
		p.secret = newSecretText()
	}
}

// SetPermissions changes the Microsoft Graph permissions every registered
// app requires and holds, as an administrator editing API permissions and
// granting consent again would: in the partner tenant and in every
// customer holding the app. Tokens issued before keep what they carry, as
// with Entra until they expire.
func (c *Control) SetPermissions(perms []string) {
	s := c.s
	s.mu.Lock()
	s.opt.Permissions = slices.Clone(perms)
	s.mu.Unlock()
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	s.dir.backdate = true
	defer func() { s.dir.backdate = false }()
	for _, app := range s.registeredAppsLocked() {
		app.required = requiredFor(perms)
		for _, t := range append([]*tenant{s.partner}, s.tenants...) {
			if s.clientSPLocked(t, app.appID) == nil {
				continue
			}
			s.removeClientLocked(t, app.appID)
			if t == s.partner {
				s.adminConsentLocked(t, app)
			} else {
				s.applyConsentFlagsLocked(t, app, t.flagsNow())
			}
		}
	}
}

// Permissions returns the Graph permissions registered apps hold.
func (c *Control) Permissions() []string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return slices.Clone(c.s.opt.Permissions)
}

// RevokeRefreshTokens invalidates a user's refresh tokens (as a password
// reset or "revoke sessions" does): the next redemption fails with
// AADSTS50173. An empty user means the partner's service account.
func (c *Control) RevokeRefreshTokens(userID string) {
	if userID == "" {
		userID = c.s.partner.user(1).ID
	}
	c.s.mu.Lock()
	c.s.rtGen[userID]++
	c.s.mu.Unlock()
}

// ExpireDeltaTokens makes every delta and skip token of the tenant invalid
// (the next use answers 410 Gone, or Options.DeltaExpiredStatus).
func (c *Control) ExpireDeltaTokens(tenantID string) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.deltaGen++
	t.mu.Unlock()
	return nil
}

// Counters returns request counters per endpoint and tenant.
func (c *Control) Counters() []Counter { return c.s.counters.snapshot() }

// ResetCounters zeroes the counters.
func (c *Control) ResetCounters() { c.s.counters.reset() }

// Totals sums the counters per tenant id (Graph and identity requests).
func (c *Control) Totals() map[string]Counter {
	out := map[string]Counter{}
	for _, ct := range c.Counters() {
		t := out[ct.Tenant]
		t.Tenant = ct.Tenant
		t.Requests += ct.Requests
		t.BatchItems += ct.BatchItems
		t.Throttled += ct.Throttled
		t.Errors5xx += ct.Errors5xx
		t.Errors4xx += ct.Errors4xx
		t.Resets += ct.Resets
		t.OK += ct.OK
		out[ct.Tenant] = t
	}
	return out
}

// Limits returns the throttling budgets in force.
func (c *Control) Limits() Limits { return c.s.opt.Limits() }

// --- HTTP twin ----------------------------------------------------------

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.info.ControlToken)) != 1 {
		writeJSON(w, 401, map[string]string{"error": "control token required"})
		return
	}
	s.ctl.once.Do(func() { s.ctl.mux = s.ctl.routes() })
	s.ctl.mux.ServeHTTP(w, r)
}

func (c *Control) routes() *http.ServeMux {
	m := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSON(w, 404, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(w, 400, map[string]string{"error": err.Error()})
		case v == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, 200, v)
		}
	}
	decode := func(r *http.Request, v any) error {
		if err := json.NewDecoder(r.Body).Decode(v); err != nil {
			return fmt.Errorf("decode body: %w", err)
		}
		return nil
	}
	m.HandleFunc("GET /_sim/info", func(w http.ResponseWriter, r *http.Request) { reply(w, c.s.Info(), nil) })
	m.HandleFunc("GET /_sim/limits", func(w http.ResponseWriter, r *http.Request) { reply(w, c.Limits(), nil) })
	m.HandleFunc("GET /_sim/tenants", func(w http.ResponseWriter, r *http.Request) { reply(w, c.s.Customers(), nil) })
	m.HandleFunc("GET /_sim/tenants/{tid}/users", func(w http.ResponseWriter, r *http.Request) {
		u, err := c.Users(r.PathValue("tid"))
		reply(w, u, err)
	})
	m.HandleFunc("POST /_sim/tenants/{tid}/users", func(w http.ResponseWriter, r *http.Request) {
		var spec UserSpec
		if err := decode(r, &spec); err != nil {
			reply(w, nil, err)
			return
		}
		u, err := c.AddUser(r.PathValue("tid"), spec)
		reply(w, u, err)
	})
	m.HandleFunc("GET /_sim/tenants/{tid}/users/{uid}", func(w http.ResponseWriter, r *http.Request) {
		u, err := c.User(r.PathValue("tid"), r.PathValue("uid"))
		reply(w, u, err)
	})
	m.HandleFunc("PATCH /_sim/tenants/{tid}/users/{uid}", func(w http.ResponseWriter, r *http.Request) {
		var p UserPatch
		if err := decode(r, &p); err != nil {
			reply(w, nil, err)
			return
		}
		u, err := c.UpdateUser(r.PathValue("tid"), r.PathValue("uid"), p)
		reply(w, u, err)
	})
	m.HandleFunc("POST /_sim/tenants/{tid}/users/{uid}/rename", func(w http.ResponseWriter, r *http.Request) {
		var p struct{ GivenName, Surname string }
		if err := decode(r, &p); err != nil {
			reply(w, nil, err)
			return
		}
		u, err := c.RenameUser(r.PathValue("tid"), r.PathValue("uid"), p.GivenName, p.Surname)
		reply(w, u, err)
	})
	m.HandleFunc("POST /_sim/tenants/{tid}/users/{uid}/disable", func(w http.ResponseWriter, r *http.Request) {
		u, err := c.DisableUser(r.PathValue("tid"), r.PathValue("uid"))
		reply(w, u, err)
	})
	m.HandleFunc("POST /_sim/tenants/{tid}/users/{uid}/enable", func(w http.ResponseWriter, r *http.Request) {
		u, err := c.EnableUser(r.PathValue("tid"), r.PathValue("uid"))
		reply(w, u, err)
	})
	m.HandleFunc("DELETE /_sim/tenants/{tid}/users/{uid}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, nil, c.DeleteUser(r.PathValue("tid"), r.PathValue("uid"), r.URL.Query().Get("permanent") == "true"))
	})
	m.HandleFunc("PUT /_sim/tenants/{tid}/users/{uid}/licenses", func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Licenses []string `json:"licenses"`
		}
		if err := decode(r, &p); err != nil {
			reply(w, nil, err)
			return
		}
		u, err := c.SetLicenses(r.PathValue("tid"), r.PathValue("uid"), p.Licenses)
		reply(w, u, err)
	})
	m.HandleFunc("GET /_sim/tenants/{tid}/flags", func(w http.ResponseWriter, r *http.Request) {
		f, err := c.Flags(r.PathValue("tid"))
		reply(w, f, err)
	})
	m.HandleFunc("PUT /_sim/tenants/{tid}/flags", func(w http.ResponseWriter, r *http.Request) {
		var f TenantFlags
		if err := decode(r, &f); err != nil {
			reply(w, nil, err)
			return
		}
		reply(w, nil, c.SetFlags(r.PathValue("tid"), f))
	})
	m.HandleFunc("POST /_sim/tenants/{tid}/expire-delta", func(w http.ResponseWriter, r *http.Request) {
		reply(w, nil, c.ExpireDeltaTokens(r.PathValue("tid")))
	})
	m.HandleFunc("GET /_sim/app", func(w http.ResponseWriter, r *http.Request) { reply(w, c.AppFlags(), nil) })
	m.HandleFunc("PUT /_sim/app", func(w http.ResponseWriter, r *http.Request) {
		var f AppFlags
		if err := decode(r, &f); err != nil {
			reply(w, nil, err)
			return
		}
		c.SetAppFlags(f)
		reply(w, nil, nil)
	})
	m.HandleFunc("GET /_sim/permissions", func(w http.ResponseWriter, r *http.Request) { reply(w, c.Permissions(), nil) })
	m.HandleFunc("PUT /_sim/permissions", func(w http.ResponseWriter, r *http.Request) {
		var p []string
		if err := decode(r, &p); err != nil {
			reply(w, nil, err)
			return
		}
		c.SetPermissions(p)
		reply(w, nil, nil)
	})
	m.HandleFunc("POST /_sim/revoke-refresh-tokens", func(w http.ResponseWriter, r *http.Request) {
		c.RevokeRefreshTokens(r.URL.Query().Get("user"))
		reply(w, nil, nil)
	})
	m.HandleFunc("GET /_sim/counters", func(w http.ResponseWriter, r *http.Request) { reply(w, c.Counters(), nil) })
	m.HandleFunc("DELETE /_sim/counters", func(w http.ResponseWriter, r *http.Request) { c.ResetCounters(); reply(w, nil, nil) })
	m.HandleFunc("POST /_sim/counters/reset", func(w http.ResponseWriter, r *http.Request) { c.ResetCounters(); reply(w, nil, nil) })
	return m
}

// Registration describes an app registered in the partner tenant.
type Registration struct {
	AppID       string   `json:"app_id"`
	DisplayName string   `json:"display_name"`
	Web         []string `json:"web_redirect_uris"`
	Public      []string `json:"public_client_redirect_uris"`
	Secrets     int      `json:"secrets"`
	// Tenants holding its service principal (the partner's included).
	ServicePrincipals int `json:"service_principals"`
	Grants            int `json:"grants"`
	RoleAssignments   int `json:"role_assignments"`
}

// Registrations lists the apps registered in the partner tenant, oldest
// first, with how many objects each has: tests check that setup run twice
// creates nothing new.
func (c *Control) Registrations() []Registration {
	s := c.s
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	var out []Registration
	for _, a := range s.registeredAppsLocked() {
		r := Registration{AppID: a.appID, DisplayName: a.displayName, Web: slices.Clone(a.web), Public: slices.Clone(a.public), Secrets: len(a.passwords)}
		for _, sp := range s.dir.sps {
			if sp.appID != a.appID {
				continue
			}
			r.ServicePrincipals++
			for _, g := range s.dir.grants {
				if g.clientID == sp.objectID {
					r.Grants++
				}
			}
			for _, as := range s.dir.assignments {
				if as.principalID == sp.objectID {
					r.RoleAssignments++
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// AppSpec is an app registration made by hand in the Entra admin center.
type AppSpec struct {
	DisplayName string
	Web         []string // "Web" platform redirect URIs
	Public      []string // "Mobile and desktop applications" redirect URIs
	// Graph permissions requested, as delegated and (where Graph has one)
	// application permissions; PartnerCenter adds user_impersonation.
	Graph         []string
	PartnerCenter bool
	SingleTenant  bool
	// NoAdminConsent skips "Grant admin consent" in the partner tenant.
	NoAdminConsent bool
	// ConsentIn lists customers (by index) whose administrator granted
	// consent to the app; the others do not hold it.
	ConsentIn []int
}

// RegisteredApp is what the technician copies from the admin center.
type RegisteredApp struct {
	ClientID, Secret string
}

// RegisterApp does what a technician does by hand in the Entra admin center:
// new registration, redirect URIs, API permissions, a client secret, admin
// consent; the same directory objects Graph's endpoints create.
func (c *Control) RegisterApp(spec AppSpec) RegisteredApp {
	s := c.s
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	s.dir.backdate = true
	defer func() { s.dir.backdate = false }()
	aud := audienceMultipleOr
	if spec.SingleTenant {
		aud = audienceMyOrg
	}
	var pc []string
	if spec.PartnerCenter {
		pc = []string{permissions.PartnerCenterScopeName}
	}
	name := spec.DisplayName
	if name == "" {
		name = "tenantsync"
	}
	app := s.createApplicationLocked(s.partner, &application{displayName: name, audience: aud,
		web: slices.Clone(spec.Web), public: slices.Clone(spec.Public), required: requiredAccess(spec.Graph, spec.Graph, pc)})
	p := s.addPasswordLocked(app, "tenantsync", "", time.Time{})
	if !spec.NoAdminConsent {
		s.adminConsentLocked(s.partner, app)
	}
	for _, i := range spec.ConsentIn {
		if i >= 0 && i < len(s.tenants) {
			s.adminConsentLocked(s.tenants[i], app)
		}
	}
	return RegisteredApp{ClientID: app.appID, Secret: p.secret}
}
