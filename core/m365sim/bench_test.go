package m365sim

import (
	"net/url"
	"testing"
)

// BenchmarkUsersPage measures the cost of serving one $top=999 page.
func BenchmarkUsersPage(b *testing.B) {
	s, err := Start(b.Context(), Options{Seed: 1, TenantSizes: []int{999}, DisableThrottling: true, Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t := s.tenants[0]
	q, _ := url.ParseQuery("$top=999&$select=id,displayName,givenName,surname,userPrincipalName,mail,proxyAddresses,otherMails,jobTitle,department,officeLocation,businessPhones,mobilePhone,accountEnabled,userType,assignedLicenses,usageLocation,onPremisesSyncEnabled,createdDateTime,lastPasswordChangeDateTime")
	gr := &graphReq{method: "GET", path: "/users", query: q, claims: &tokenClaims{IdTyp: "app", Roles: DefaultPermissions, Tid: t.id}, t: t}
	b.ReportAllocs()
	for b.Loop() {
		r := s.listUsers(gr)
		if r.status != 200 {
			b.Fatal(r.status)
		}
	}
}

// BenchmarkStart1000x1000 measures starting a simulation of a million
// users (lazily generated).
func BenchmarkStart1000x1000(b *testing.B) {
	for b.Loop() {
		s, err := Start(b.Context(), Options{Seed: 3, Tenants: 1000, UsersPerTenant: 1000, Dir: b.TempDir(), Logf: func(string, ...any) {}})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
