// Package connections sets up, signs in, checks and removes the ways
// tenantsync reaches Microsoft 365. A connection's record lives in the store;
// its client secret lives in the OS keychain and its token cache is sealed
// in the store under a key from the keychain.
package connections

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/store"
)

// DefaultRedirectPort is the loopback port tenantsync listens on for sign-in
// unless the technician picks another.
const DefaultRedirectPort = 8400

// Form is what the technician enters to connect.
type Form struct {
	Name         string
	Mode         string // store.ModeGDAP, store.ModeApp, store.ModeSingle
	TenantID     string // partner tenant (GDAP) or the tenant: GUID or domain
	ClientID     string // application (client) id: GUID
	Secret       string // client secret value; empty on edit keeps the stored one
	RedirectPort int
	// Cloud names the Microsoft cloud (auth.CloudGlobal, ...); empty means
	// the manager's network's.
	Cloud auth.CloudName
}

// Form field names, as FieldErrors keys.
const (
	FieldName         = "name"
	FieldMode         = "mode"
	FieldTenantID     = "tenant_id"
	FieldClientID     = "client_id"
	FieldSecret       = "secret"
	FieldRedirectPort = "redirect_port"
)

// FieldErrors maps form fields to what is wrong with them.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+fe[k])
	}
	return "check the connection form: " + strings.Join(parts, "; ")
}

var (
	guidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// CheckGUID says what is wrong with a GUID field, or "".
func CheckGUID(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "required"
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		return CheckGUID(s[1 : len(s)-1])
	case !guidRe.MatchString(s):
		return "must be a GUID such as 00000000-0000-0000-0000-000000000000 (copy it from the app registration's Overview page)"
	}
	return ""
}

// CheckTenant says what is wrong with a tenant id (GUID or domain), or "".
func CheckTenant(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return "required"
	case guidRe.MatchString(s), domainRe.MatchString(s):
		return ""
	case strings.Count(s, "-") == 4:
		return "looks like a GUID but is not one: check for a missing or extra character"
	}
	return "must be the tenant id (a GUID) or one of its domains, such as contoso.onmicrosoft.com"
}

// Check validates the form. editing relaxes the secret: empty keeps the
// stored one.
func (f Form) Check(editing bool) FieldErrors {
	fe := FieldErrors{}
	if strings.TrimSpace(f.Name) == "" {
		fe[FieldName] = "required"
	}
	switch f.Mode {
	case store.ModeGDAP, store.ModeApp, store.ModeSingle, store.ModeDemo:
	default:
		fe[FieldMode] = fmt.Sprintf("unknown mode %q", f.Mode)
	}
	if msg := CheckTenant(f.TenantID); msg != "" {
		fe[FieldTenantID] = msg
	}
	if msg := CheckGUID(f.ClientID); msg != "" {
		fe[FieldClientID] = msg
	}
	switch s := strings.TrimSpace(f.Secret); {
	case s == "" && !editing:
		fe[FieldSecret] = "required: the client secret's Value from Certificates & secrets"
	case s != "" && CheckGUID(s) == "":
		fe[FieldSecret] = "this is the secret's ID, not its Value: copy the Value column (shown only when the secret is created)"
	case len(s) > 1024:
		fe[FieldSecret] = "too long for a client secret"
	}
	if f.RedirectPort < 1024 || f.RedirectPort > 65535 {
		fe[FieldRedirectPort] = "must be a port between 1024 and 65535"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func normalizeTenant(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
}
