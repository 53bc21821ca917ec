package auth

import (
	"slices"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

func TestUserAdminLinks(t *testing.T) {
	const (
		partner  = "11111111-1111-1111-1111-111111111111"
		customer = "22222222-2222-2222-2222-222222222222"
		user     = "33333333-3333-3333-3333-333333333333"
	)
	entraUser := "/" + customer + "/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/" + user
	tests := []struct {
		name   string
		conn   store.Connection
		tenant string
		want   []string
	}{
		{"GDAP customer opens through the partner's client session", store.Connection{Mode: store.ModeGDAP, Cloud: CloudGlobal, TenantID: partner}, customer, []string{
			"https://admin.microsoft.com/Partner/BeginClientSession.aspx?CSDEST=o365admincenter&CTID=" + customer,
			"https://entra.microsoft.com" + entraUser,
		}},
		{"app per customer is a partner too", store.Connection{Mode: store.ModeApp, Cloud: CloudGlobal, TenantID: partner}, customer, []string{
			"https://admin.microsoft.com/Partner/BeginClientSession.aspx?CSDEST=o365admincenter&CTID=" + customer,
			"https://entra.microsoft.com" + entraUser,
		}},
		{"single tenant opens the user's own page", store.Connection{Mode: store.ModeSingle, Cloud: CloudGlobal, TenantID: customer}, customer, []string{
			"https://admin.microsoft.com/#/users/:/UserDetails/" + user,
			"https://entra.microsoft.com" + entraUser,
		}},
		{"no cloud recorded is the global cloud", store.Connection{Mode: store.ModeGDAP, TenantID: partner}, customer, []string{
			"https://admin.microsoft.com/Partner/BeginClientSession.aspx?CSDEST=o365admincenter&CTID=" + customer,
			"https://entra.microsoft.com" + entraUser,
		}},
		{"GCC High partner: no documented client session, Entra of the cloud", store.Connection{Mode: store.ModeGDAP, Cloud: CloudUSGov, TenantID: partner}, customer, []string{
			"https://entra.microsoft.us" + entraUser,
		}},
		{"GCC High single tenant", store.Connection{Mode: store.ModeSingle, Cloud: CloudUSGov, TenantID: customer}, customer, []string{
			"https://portal.office365.us/#/users/:/UserDetails/" + user,
			"https://entra.microsoft.us" + entraUser,
		}},
		{"China", store.Connection{Mode: store.ModeSingle, Cloud: CloudChina, TenantID: customer}, customer, []string{
			"https://portal.partner.microsoftonline.cn/#/users/:/UserDetails/" + user,
			"https://entra.microsoftonline.cn" + entraUser,
		}},
		{"demo leads nowhere outside", store.Connection{Mode: store.ModeDemo, Cloud: CloudGlobal, TenantID: partner}, customer, nil},
		{"no tenant, no link", store.Connection{Mode: store.ModeGDAP, Cloud: CloudGlobal, TenantID: partner}, "", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range UserAdminLinks(tt.conn, tt.tenant, user) {
			if l.Title == "" {
				t.Errorf("%s: a link without a title: %s", tt.name, l.URL)
			}
			got = append(got, l.URL)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: UserAdminLinks = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOrgAdminLinks(t *testing.T) {
	const (
		partner  = "11111111-1111-1111-1111-111111111111"
		customer = "22222222-2222-2222-2222-222222222222"
	)
	session := "https://admin.microsoft.com/Partner/BeginClientSession.aspx?CSDEST=o365admincenter&CTID=" + customer
	tests := []struct {
		name   string
		conn   store.Connection
		tenant string
		want   []string
	}{
		{"GDAP customer opens through the partner's client session", store.Connection{Mode: store.ModeGDAP, Cloud: CloudGlobal, TenantID: partner}, customer, []string{
			session, "https://entra.microsoft.com/" + customer + "/#home", "https://intune.microsoft.com/" + customer + "/#home",
		}},
		{"no cloud recorded is the global cloud", store.Connection{Mode: store.ModeGDAP, TenantID: partner}, customer, []string{
			session, "https://entra.microsoft.com/" + customer + "/#home", "https://intune.microsoft.com/" + customer + "/#home",
		}},
		{"single tenant opens its own admin center", store.Connection{Mode: store.ModeSingle, Cloud: CloudGlobal, TenantID: customer}, customer, []string{
			"https://admin.microsoft.com/", "https://entra.microsoft.com/" + customer + "/#home", "https://intune.microsoft.com/" + customer + "/#home",
		}},
		{"GCC High partner: no documented client session", store.Connection{Mode: store.ModeGDAP, Cloud: CloudUSGov, TenantID: partner}, customer, []string{
			"https://entra.microsoft.us/" + customer + "/#home", "https://intune.microsoft.us/" + customer + "/#home",
		}},
		{"DoD single tenant", store.Connection{Mode: store.ModeSingle, Cloud: CloudUSGovDoD, TenantID: customer}, customer, []string{
			"https://portal.apps.mil/", "https://entra.microsoft.us/" + customer + "/#home", "https://intune.microsoft.us/" + customer + "/#home",
		}},
		{"21Vianet partner: no client session", store.Connection{Mode: store.ModeGDAP, Cloud: CloudChina, TenantID: partner}, customer, []string{
			"https://entra.microsoftonline.cn/" + customer + "/#home", "https://intune.microsoftonline.cn/" + customer + "/#home",
		}},
		{"demo has none", store.Connection{Mode: store.ModeDemo, Cloud: CloudGlobal}, customer, nil},
		{"no tenant has none", store.Connection{Mode: store.ModeGDAP, Cloud: CloudGlobal, TenantID: partner}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range OrgAdminLinks(tc.conn, tc.tenant) {
				got = append(got, l.URL)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("OrgAdminLinks(%s) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
