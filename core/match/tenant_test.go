package match

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// testOrgs is a small documentation base with the look-alikes technicians
// actually have.
var testOrgs = []store.Organization{
	{ID: 1, Name: "Contoso Limited"},
	{ID: 2, Name: "A and B Plumbing, Inc."},
	{ID: 3, Name: "Mueller GmbH"},
	{ID: 4, Name: "FBK Holdings"},
	{ID: 5, Name: "Contoso Pharmaceuticals"},
	{ID: 6, Name: "Northwind  traders"},
	{ID: 7, Name: "Tailspin Toys"},
	{ID: 8, Name: "Tailspin Toys"},
	{ID: 9, Name: "Wingtip Toys"},
	{ID: 10, Name: "Litware Services"},
	{ID: 11, Name: "Proseware Services"},
	{ID: 12, Name: "Adatum"},
	{ID: 13, Name: "Adatum Corporation"},
	{ID: 14, Name: "Blue Yonder Airlines"},
	{ID: 15, Name: "Alpine Ski House", Domains: []string{"alpineskihouse.com"}},
	{ID: 16, Name: "Coho Winery"},
	{ID: 17, Name: "Fourth Coffee"},
	{ID: 18, Name: "Fourth Coffee Roasters"},
	{ID: 19, Name: "Phone Company"},
}

var testContactDomains = map[uint64]map[string]int{
	1:  {"contoso.com": 12},
	4:  {"fabrikam.com": 12, "gmail.com": 40},
	14: {"blueyonder.example": 3},
	16: {"cohowinery.com": 2},
	17: {"fourthcoffee.com": 1},
	18: {"fourthcoffee.com": 1},
}

func TestMatchTenant(t *testing.T) {
	t.Parallel()
	ix := NewOrgIndex(testOrgs, testContactDomains)
	matched := &store.Decision{State: store.MatchMatched, OrgID: 12}
	ignored := &store.Decision{State: store.MatchIgnored}
	reverted := &store.Decision{State: store.MatchUnmatched}
	gone := &store.Decision{State: store.MatchMatched, OrgID: 999}
	tests := []struct {
		name     string
		tenant   store.Tenant
		decision *store.Decision
		state    string
		org      uint64
		by       Basis
		top      uint64 // first suggestion; 0 for none
		amb      bool   // first suggestion ambiguous
		reason   string // substring of the first suggestion's reason (or the match reason)
	}{
		{name: "exact, other case and spacing", tenant: store.Tenant{DisplayName: "  NORTHWIND Traders "},
			state: store.MatchMatched, org: 6, by: ByExactName, reason: "same name"},
		{name: "Ltd vs Limited", tenant: store.Tenant{DisplayName: "Contoso Ltd"},
			state: store.MatchUnmatched, top: 1, reason: "same name once 'Ltd' and 'Limited' are ignored"},
		{name: "Ltd vs Limited with domain evidence", tenant: store.Tenant{DisplayName: "Contoso Ltd", DefaultDomain: "contoso.onmicrosoft.com", Domains: []string{"contoso.com"}},
			state: store.MatchUnmatched, top: 1,
			reason: "same name once 'Ltd' and 'Limited' are ignored; domain contoso.com is also used by 12 of its contacts' e-mail addresses"},
		{name: "& vs and, Inc.", tenant: store.Tenant{DisplayName: "A&B Plumbing"},
			state: store.MatchUnmatched, top: 2, reason: "same name once '&' is read as 'and', and 'Inc.' is ignored"},
		{name: "ü vs ue", tenant: store.Tenant{DisplayName: "Müller GmbH"},
			state: store.MatchUnmatched, top: 3, reason: "'ü' is read as 'ue'"},
		{name: "two organizations with the same name", tenant: store.Tenant{DisplayName: "Tailspin Toys"},
			state: store.MatchUnmatched, top: 7, amb: true, reason: "2 organizations are named"},
		{name: "domain evidence alone", tenant: store.Tenant{DisplayName: "Fabrikam", Domains: []string{"fabrikam.com", "fabrikam.onmicrosoft.com"}},
			state: store.MatchUnmatched, top: 4, reason: "domain fabrikam.com is used by 12 of its contacts' e-mail addresses"},
		{name: "domain evidence lifts a weak name", tenant: store.Tenant{DisplayName: "Blue Yonder", Domains: []string{"blueyonder.example"}},
			state: store.MatchUnmatched, top: 14, reason: "similar name, both contain 'Blue' and 'Yonder'; domain blueyonder.example is also used by 3"},
		{name: "owned domain", tenant: store.Tenant{DisplayName: "ASH Tenant", DefaultDomain: "alpineskihouse.com"},
			state: store.MatchUnmatched, top: 15, reason: "domain alpineskihouse.com is one of its domains"},
		{name: "decision overrides an exact match", tenant: store.Tenant{DisplayName: "Northwind Traders"}, decision: matched,
			state: store.MatchMatched, org: 12, by: ByDecision, reason: "matched by the technician"},
		{name: "an empty decision is no decision", tenant: store.Tenant{DisplayName: "Northwind Traders"}, decision: &store.Decision{},
			state: store.MatchMatched, org: 6, by: ByExactName, reason: "same name"},
		{name: "ignored", tenant: store.Tenant{DisplayName: "Northwind Traders"}, decision: ignored,
			state: store.MatchIgnored, by: ByDecision, reason: "ignored"},
		{name: "reverted keeps an exact name unmatched", tenant: store.Tenant{DisplayName: "Northwind Traders"}, decision: reverted,
			state: store.MatchUnmatched, top: 6, reason: "same name"},
		{name: "decision for a deleted organization", tenant: store.Tenant{DisplayName: "Coho Winery"}, decision: gone,
			state: store.MatchUnmatched, top: 16, reason: "same name"},
		{name: "a domain two organizations share: the name decides", tenant: store.Tenant{DisplayName: "Fourth Coffee Co", Domains: []string{"fourthcoffee.com"}},
			state: store.MatchUnmatched, top: 17, reason: "same name once 'Co' is ignored"},
		{name: "leading The", tenant: store.Tenant{DisplayName: "The Phone Co."},
			state: store.MatchUnmatched, top: 19, reason: "same name once 'The', 'Co.' and 'Company' are ignored"},
		{name: "nothing alike", tenant: store.Tenant{DisplayName: "Trey Research", Domains: []string{"gmail.com"}},
			state: store.MatchUnmatched},
		{name: "public and initial domains are no evidence", tenant: store.Tenant{DisplayName: "Somebody", Domains: []string{"gmail.com", "fbk.onmicrosoft.com"}},
			state: store.MatchUnmatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.MatchTenant(tt.tenant, tt.decision)
			if got.State != tt.state || got.OrgID != tt.org || got.By != tt.by {
				t.Fatalf("MatchTenant(%q) = %s org %d by %q (%s), want %s org %d by %q",
					tt.tenant.DisplayName, got.State, got.OrgID, got.By, got.Reason, tt.state, tt.org, tt.by)
			}
			if tt.state != store.MatchUnmatched {
				if len(got.Suggestions) != 0 {
					t.Errorf("MatchTenant(%q) suggestions = %v, want none once matched or ignored", tt.tenant.DisplayName, got.Suggestions)
				}
				if !strings.Contains(got.Reason, tt.reason) {
					t.Errorf("MatchTenant(%q) reason = %q, want it to contain %q", tt.tenant.DisplayName, got.Reason, tt.reason)
				}
				return
			}
			if tt.top == 0 {
				if len(got.Suggestions) != 0 {
					t.Errorf("MatchTenant(%q) suggestions = %+v, want none", tt.tenant.DisplayName, got.Suggestions)
				}
				return
			}
			if len(got.Suggestions) == 0 {
				t.Fatalf("MatchTenant(%q) suggestions = none, want org %d first", tt.tenant.DisplayName, tt.top)
			}
			s := got.Suggestions[0]
			if s.OrgID != tt.top || s.Ambiguous != tt.amb {
				t.Errorf("MatchTenant(%q) first suggestion = org %d ambiguous %v (%+v), want org %d ambiguous %v",
					tt.tenant.DisplayName, s.OrgID, s.Ambiguous, got.Suggestions, tt.top, tt.amb)
			}
			if !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("MatchTenant(%q) reason = %q, want it to contain %q", tt.tenant.DisplayName, s.Reason, tt.reason)
			}
			for _, s := range got.Suggestions {
				if s.Score < SuggestFloor || s.Score > 1 {
					t.Errorf("MatchTenant(%q) suggestion %d score = %v, want %v..1", tt.tenant.DisplayName, s.OrgID, s.Score, SuggestFloor)
				}
			}
		})
	}
}

func TestSuggestionsAreNeverAutoMatched(t *testing.T) {
	t.Parallel()
	ix := NewOrgIndex(testOrgs, testContactDomains)
	for _, name := range []string{"Contoso Ltd", "A&B Plumbing", "Müller GmbH", "Fabrikam"} {
		got := ix.MatchTenant(store.Tenant{DisplayName: name, Domains: []string{"fabrikam.com"}}, nil)
		if got.State != store.MatchUnmatched || got.OrgID != 0 {
			t.Errorf("MatchTenant(%q) = %s org %d, want unmatched with suggestions", name, got.State, got.OrgID)
		}
	}
}

func TestAmbiguousTopTwo(t *testing.T) {
	t.Parallel()
	orgs := []store.Organization{{ID: 1, Name: "Contoso Ltd"}, {ID: 2, Name: "Contoso GmbH"}, {ID: 3, Name: "Contoso Pharmaceuticals"}}
	ix := NewOrgIndex(orgs, nil)
	got := ix.MatchTenant(store.Tenant{DisplayName: "Contoso"}, nil)
	var amb []uint64
	for _, s := range got.Suggestions {
		if s.Ambiguous {
			amb = append(amb, s.OrgID)
		}
	}
	if want := []uint64{1, 2}; !reflect.DeepEqual(amb, want) {
		t.Errorf("MatchTenant(Contoso) ambiguous = %v, want %v (suggestions %+v)", amb, want, got.Suggestions)
	}
}

func TestLikelyDuplicates(t *testing.T) {
	t.Parallel()
	ix := NewOrgIndex(testOrgs, testContactDomains)
	tests := []struct {
		name    string
		domains []string
		want    []uint64
	}{
		{"Contoso Ltd.", nil, []uint64{1}},
		{"Fabrikam", []string{"Fabrikam.com"}, []uint64{4}},
		{"Tailspin Toys", nil, []uint64{7, 8}},
		{"Trey Research", []string{"treyresearch.net", "gmail.com"}, nil},
		{"Contoso Pharma", nil, []uint64{5}},
	}
	for _, tt := range tests {
		var got []uint64
		for _, s := range ix.LikelyDuplicates(tt.name, tt.domains) {
			got = append(got, s.OrgID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("LikelyDuplicates(%q, %v) = %v, want %v", tt.name, tt.domains, got, tt.want)
		}
	}
}

func TestParseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // tokens joined by spaces
	}{
		{"Contoso Ltd", "contoso"},
		{"Contoso Limited", "contoso"},
		{"A&B Plumbing", "a and b plumbing"},
		{"A and B Plumbing, Inc.", "a and b plumbing"},
		{"Müller GmbH", "muller"},
		{"Mueller GmbH", "muller"},
		{"Fabrikam, L.L.C.", "fabrikam"},
		{"Nordic Paper A/S", "nordic paper"},
		{"Alpha Pty Ltd", "alpha"},
		{"Beta S.A.", "beta"},
		{"Gamma B.V.", "gamma"},
		{"Straße & Söhne GmbH & Co. KG", "strasse and sohne"},
		{"The Phone Company", "phone"},
		{"The Company", "the company"},
		{"AG", "ag"},
		{"O'Brien's Bakery", "obriens bakery"},
		{"contoso.com", "contoso com"},
		{"Blåbær Oy", "blabar"},
	}
	for _, tt := range tests {
		if got := strings.Join(parseName(tt.in).tokens, " "); got != tt.want {
			t.Errorf("parseName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIgnoredDomain(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"contoso.onmicrosoft.com": true, "contoso.mail.onmicrosoft.com": true, "gmail.com": true,
		"outlook.com": true, "hotmail.co.uk": true, "yahoo.fr": true, "contoso.com": false,
		"outlookconsulting.com": false, "live.contoso.com": false, "": true,
	}
	for d, want := range tests {
		if got := ignoredDomain(d); got != want {
			t.Errorf("ignoredDomain(%q) = %v, want %v", d, got, want)
		}
	}
}

func TestContactDomains(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{
		{OrgID: 4, PrimaryEmail: "ann@Fabrikam.com", OtherEmails: []string{"ann.lee@fabrikam.com", "ann@gmail.com"}},
		{OrgID: 4, PrimaryEmail: "bob@fabrikam.com"},
		{OrgID: 4, PrimaryEmail: "bob@fabrikam.onmicrosoft.com"},
		{OrgID: 5, PrimaryEmail: "eve@contoso.com"},
		// A tenant's own contacts are no evidence for it.
		{OrgID: 5, PrimaryEmail: "sam@contoso.com", Source: store.SourceTenant},
		{OrgID: 5, PrimaryEmail: "kim@contoso.com", Link: &store.MSLink{TenantID: "t1", ObjectID: "u1"}},
	}
	got := ContactDomains(contacts)
	want := map[uint64]map[string]int{4: {"fabrikam.com": 2}, 5: {"contoso.com": 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ContactDomains = %v, want %v", got, want)
	}
}

func TestContactRowDomains(t *testing.T) {
	t.Parallel()
	rows := []*store.Row{
		{Kind: store.KindContact, OrgID: 4, Email: "ann@Fabrikam.com"},
		{Kind: store.KindContact, OrgID: 4, Email: "bob@fabrikam.com"},
		{Kind: store.KindContact, OrgID: 4, Email: "joe@gmail.com"},
		{Kind: store.KindContact, OrgID: 5, Email: "sam@contoso.com", Flags: store.RowFromTenant},
		{Kind: store.KindContact, OrgID: 5, Email: "kim@contoso.com", Flags: store.RowLinked},
		{Kind: store.KindOrg, ID: 5, Email: "contoso.com"},
	}
	got := ContactRowDomains(rows)
	want := map[uint64]map[string]int{4: {"fabrikam.com": 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ContactRowDomains = %v, want %v", got, want)
	}
}
