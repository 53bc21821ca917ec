package match

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

var (
	benchSurnames = strings.Fields(`Smith Johnson Williams Brown Jones Miller Davis Garcia Wilson Anderson Taylor Thomas
		Moore Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green
		Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris
		Murphy Cook Rogers Morgan Cooper Peterson Bailey Reed Kelly Howard Müller Schmidt Schneider Fischer Weber Meyer
		Wagner Becker Schulz Hoffmann Dubois Lefèvre Rossi Bianchi Jensen Nielsen Hansen Virtanen Novak Kowalski`)
	benchFirst = strings.Fields(`James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
		Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret
		Jürgen Anna Lukas Sophie Léa Hugo Giulia Marco Freja Mikkel Aino Jakub Zofia Priya Wei Yuki Omar Fatima`)
	benchIndustry = strings.Fields(`Plumbing Dental Law Consulting Services Group Partners Logistics Engineering
		Architects Accounting Bakery Motors Clinic Realty Insurance Foods Media Design Construction Electric Health
		Solutions Systems Trading Capital Labs Studio Pharmacy Veterinary Holdings Transport Marine Textiles Roofing`)
	benchSuffix = []string{"", "", "", "Inc.", "LLC", "Ltd", "Limited", "GmbH", "Pty Ltd", "B.V.", "S.A.", "AG", "Corp", "& Co. KG", "A/S", "Oy"}
	syllables   = strings.Fields(`ka lo mi ra ten sor vin bel tra quo fen dor ax ix lu ne po zar wel mar gan tik bro sta ven cor pel`)
)

func benchWord(r *rand.Rand) string {
	n := 2 + r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

func benchOrgName(r *rand.Rand) (string, string) {
	var base string
	switch r.IntN(10) {
	case 0, 1:
		base = benchSurnames[r.IntN(len(benchSurnames))] + " " + benchIndustry[r.IntN(len(benchIndustry))]
	case 2:
		base = benchSurnames[r.IntN(len(benchSurnames))] + " & " + benchSurnames[r.IntN(len(benchSurnames))]
	case 3, 4, 5:
		base = benchWord(r)
	default:
		base = benchWord(r) + " " + benchIndustry[r.IntN(len(benchIndustry))]
	}
	domain := strings.ToLower(strings.Fields(base)[0]) + fmt.Sprint(r.IntN(100)) + ".com"
	if s := benchSuffix[r.IntN(len(benchSuffix))]; s != "" {
		return base + " " + s, domain
	}
	return base, domain
}

// benchTenants builds 5,000 organizations and 1,000 tenants: a third with an
// organization's exact name, a third with a variant of it, the rest with a
// domain only some organization's contacts use, or nothing in common.
func benchTenants() ([]store.Organization, map[uint64]map[string]int, []store.Tenant) {
	r := rand.New(rand.NewPCG(1, 2))
	orgs := make([]store.Organization, 5000)
	domains := make([]string, len(orgs))
	cd := make(map[uint64]map[string]int)
	for i := range orgs {
		name, d := benchOrgName(r)
		orgs[i] = store.Organization{ID: uint64(i + 1), Name: name}
		domains[i] = d
		switch r.IntN(3) {
		case 0:
			orgs[i].Domains = []string{d}
		case 1:
			cd[orgs[i].ID] = map[string]int{d: 1 + r.IntN(30), "gmail.com": r.IntN(5)}
		}
	}
	tenants := make([]store.Tenant, 1000)
	for i := range tenants {
		k := r.IntN(len(orgs))
		t := store.Tenant{TenantID: fmt.Sprint(i), Domains: []string{fmt.Sprintf("t%d.onmicrosoft.com", i)}}
		switch i % 6 {
		case 0, 1:
			t.DisplayName = strings.ToUpper(orgs[k].Name)
		case 2, 3:
			t.DisplayName = strings.ReplaceAll(strings.Fields(orgs[k].Name)[0]+" Ltd", "&", "and")
			t.Domains = append(t.Domains, domains[k])
		case 4:
			t.DisplayName = benchWord(r)
			t.Domains = append(t.Domains, domains[k])
		default:
			t.DisplayName, _ = benchOrgName(r)
		}
		tenants[i] = t
	}
	return orgs, cd, tenants
}

func BenchmarkNewOrgIndex(b *testing.B) {
	orgs, cd, _ := benchTenants()
	b.ReportAllocs()
	for b.Loop() {
		NewOrgIndex(orgs, cd)
	}
}

// BenchmarkMatchTenants matches 1,000 tenants against 5,000 organizations,
// building the index included; one op is the whole batch.
func BenchmarkMatchTenants(b *testing.B) {
	orgs, cd, tenants := benchTenants()
	b.ReportAllocs()
	var matched, suggested, ambiguous int
	for b.Loop() {
		matched, suggested, ambiguous = 0, 0, 0
		ix := NewOrgIndex(orgs, cd)
		for _, t := range tenants {
			m := ix.MatchTenant(t, nil)
			switch {
			case m.State == store.MatchMatched:
				matched++
			case len(m.Suggestions) > 0 && m.Suggestions[0].Ambiguous:
				ambiguous++
			case len(m.Suggestions) > 0:
				suggested++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(tenants)), "µs/tenant")
	b.Logf("1000 tenants: %d matched, %d suggested, %d ambiguous", matched, suggested, ambiguous)
}

// benchUsers builds one organization with 20,000 contacts and a tenant with
// 20,000 users: half already linked, a fifth matching by alias, a tenth by
// UPN or name, the rest new.
func benchUsers() ([]store.Contact, []store.DirectoryUser) {
	r := rand.New(rand.NewPCG(3, 4))
	contacts := make([]store.Contact, 20000)
	users := make([]store.DirectoryUser, 20000)
	for i := range contacts {
		first, last := benchFirst[r.IntN(len(benchFirst))], benchSurnames[r.IntN(len(benchSurnames))]
		mail := fmt.Sprintf("%s.%s%d@contoso.com", strings.ToLower(first), strings.ToLower(last), i)
		oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		contacts[i] = store.Contact{ID: uint64(i + 1), OrgID: 1, FirstName: first, LastName: last, PrimaryEmail: mail}
		u := store.DirectoryUser{ObjectID: oid, UPN: mail, GivenName: first, Surname: last, AccountEnabled: true, UserType: "Member"}
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			contacts[i].Link = &store.MSLink{ConnectionID: "c", TenantID: tenantA, ObjectID: oid}
			u.UPN = "renamed." + mail
		case 5, 6:
			contacts[i].PrimaryEmail = "old." + mail
			contacts[i].OtherEmails = []string{mail}
			u.Mail = mail
			u.ProxyAddresses = []string{"SMTP:" + mail, "smtp:" + strings.Replace(mail, "@contoso.com", "@contoso.onmicrosoft.com", 1)}
		case 7:
			u.UPN = strings.Replace(mail, "@contoso.com", "@contoso.onmicrosoft.com", 1)
			contacts[i].PrimaryEmail = u.UPN
		case 8:
			u.UPN = "x" + mail // by name, often ambiguous: the names repeat
		default:
			u.UPN = "new." + mail
			u.GivenName, u.Surname = benchWord(r), benchWord(r)
		}
		users[i] = u
	}
	r.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	return contacts, users
}

// BenchmarkMatchUsers matches 20,000 users against 20,000 contacts, building
// the index included; one op is the whole tenant.
func BenchmarkMatchUsers(b *testing.B) {
	contacts, users := benchUsers()
	b.ReportAllocs()
	counts := map[Action]int{}
	for b.Loop() {
		clear(counts)
		ix := NewContactIndex(tenantA, contacts)
		for _, o := range ix.MatchUsers(users) {
			counts[o.Action]++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(users)), "ns/user")
	b.Logf("20000 users: %v", counts)
}

// BenchmarkPlanContacts is the same tenant through PlanContacts: eligibility,
// matching, merge and flags.
func BenchmarkPlanContacts(b *testing.B) {
	contacts, users := benchUsers()
	for i := range users {
		users[i].SKUs = []string{skuE3}
	}
	dir := Directory{ConnectionID: "c", TenantID: tenantA, Users: users, Complete: true}
	s := store.DefaultSyncSettings()
	b.ReportAllocs()
	for b.Loop() {
		PlanContacts(1, dir, s, contacts)
	}
}
