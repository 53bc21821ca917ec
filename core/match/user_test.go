package match

import (
	"reflect"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

const tenantA = "7f3c2a10-5b1e-4c1d-9a0e-2f6f1b2c3d4e"

func link(oid string) *store.MSLink {
	return &store.MSLink{ConnectionID: "c1", TenantID: tenantA, ObjectID: oid}
}

// testContacts is the contact list of Contoso's organization.
var testContacts = []store.Contact{
	{ID: 1, FirstName: "John", LastName: "Smith", PrimaryEmail: "john.smith@contoso.com"},
	{ID: 2, FirstName: "Megan", LastName: "Bowen", PrimaryEmail: "megan@contoso.com", Link: link("0a1b-megan")},
	{ID: 3, FirstName: "Alex", LastName: "W.", PrimaryEmail: "AlexW@contoso.onmicrosoft.com"},
	{ID: 4, FirstName: "D.", LastName: "Siciliani", PrimaryEmail: "diego@oldcontoso.com", OtherEmails: []string{"dsiciliani@contoso.com"}},
	{ID: 5, FirstName: "Lee", LastName: "Gu", PrimaryEmail: "lee.gu@contoso.com", Link: link("0a1b-lee-old")},
	{ID: 6, FirstName: "Isaiah", LastName: "Langer", PrimaryEmail: "isaiah@fabrikam.com"},
	{ID: 7, FirstName: "Isaiah", LastName: "Langer"},
	{ID: 8, FirstName: "Jürgen", LastName: "Müller", PrimaryEmail: "j.mueller@privat.example"},
	{ID: 9, FirstName: "Grady", LastName: "Archie", PrimaryEmail: "grady@gmail.com"},
	{ID: 10, FirstName: "Nestor", LastName: "Wilke", PrimaryEmail: "nestor@contoso.com", OtherEmails: []string{"nwilke@contoso.com"}},
	{ID: 11, FirstName: "Nestor", LastName: "W", PrimaryEmail: "nwilke@contoso.com"},
	{ID: 12, FirstName: "Pradeep", LastName: "Gupta", PrimaryEmail: "pradeep@contoso.com", Link: &store.MSLink{ConnectionID: "c1", TenantID: "other-tenant", ObjectID: "0a1b-pradeep"}},
}

func TestMatchUser(t *testing.T) {
	t.Parallel()
	ix := NewContactIndex(tenantA, testContacts)
	tests := []struct {
		name    string
		user    store.DirectoryUser
		action  Action
		contact uint64
		rule    Rule
		cands   []uint64
	}{
		{name: "renamed user already linked by object id",
			user:   store.DirectoryUser{ObjectID: "0A1B-MEGAN", UPN: "megan.bowen-lee@contoso.com", Mail: "megan.bowen-lee@contoso.com", GivenName: "Megan", Surname: "Bowen-Lee"},
			action: ActionUpdate, contact: 2, rule: RuleObjectID},
		{name: "mail equals the primary e-mail, other case",
			user:   store.DirectoryUser{ObjectID: "u-john", UPN: "jsmith@contoso.com", Mail: "John.Smith@Contoso.com", GivenName: "Johnny", Surname: "Smith"},
			action: ActionLink, contact: 1, rule: RuleAlias},
		{name: "alias-only match via an smtp: secondary address",
			user: store.DirectoryUser{ObjectID: "u-diego", UPN: "diego.siciliani@contoso.com", Mail: "diego.siciliani@contoso.com", GivenName: "Diego", Surname: "Siciliani",
				ProxyAddresses: []string{"SMTP:diego.siciliani@contoso.com", "smtp:DSiciliani@contoso.com", "x500:/o=ExchangeLabs/cn=diego", "sip:dsiciliani@contoso.com"}},
			action: ActionLink, contact: 4, rule: RuleAlias},
		{name: "x500 and sip addresses are not aliases",
			user:   store.DirectoryUser{ObjectID: "u-x500", UPN: "someone@contoso.com", ProxyAddresses: []string{"x500:nwilke@contoso.com", "SIP:nwilke@contoso.com"}},
			action: ActionCreate},
		{name: "other mails are aliases",
			user:   store.DirectoryUser{ObjectID: "u-jm", UPN: "jm@contoso.com", OtherMails: []string{"J.Mueller@privat.example"}},
			action: ActionLink, contact: 8, rule: RuleAlias},
		{name: "only match is the onmicrosoft.com UPN",
			user:   store.DirectoryUser{ObjectID: "u-alex", UPN: "alexw@contoso.onmicrosoft.com", GivenName: "Alex", Surname: "Wilber"},
			action: ActionLink, contact: 3, rule: RuleUPN},
		{name: "first and last name, diacritics and ü/ue",
			user:   store.DirectoryUser{ObjectID: "u-juergen", UPN: "juergen@contoso.com", Mail: "juergen@contoso.com", GivenName: "JUERGEN", Surname: "Mueller"},
			action: ActionLink, contact: 8, rule: RuleName},
		{name: "name split from the display name",
			user:   store.DirectoryUser{ObjectID: "u-grady", UPN: "grady.archie@contoso.com", DisplayName: "Archie, Grady"},
			action: ActionLink, contact: 9, rule: RuleName},
		{name: "contact linked to another object id is not re-matched",
			user:   store.DirectoryUser{ObjectID: "0a1b-lee-new", UPN: "lee.gu@contoso.com", Mail: "lee.gu@contoso.com", GivenName: "Lee", Surname: "Gu"},
			action: ActionCreate},
		{name: "contact linked in another tenant is not re-matched",
			user:   store.DirectoryUser{ObjectID: "0a1b-pradeep", UPN: "pradeep@contoso.com", Mail: "pradeep@contoso.com", GivenName: "Pradeep", Surname: "Gupta"},
			action: ActionCreate},
		{name: "two contacts with the user's name",
			user:   store.DirectoryUser{ObjectID: "u-isaiah", UPN: "isaiah.langer@contoso.com", GivenName: "Isaiah", Surname: "Langer"},
			action: ActionAmbiguous, rule: RuleName, cands: []uint64{6, 7}},
		{name: "one alias is two contacts' e-mail",
			user:   store.DirectoryUser{ObjectID: "u-nestor", UPN: "nestor@contoso.com", Mail: "nwilke@contoso.com", GivenName: "Nestor", Surname: "Wilke"},
			action: ActionAmbiguous, rule: RuleAlias, cands: []uint64{10, 11}},
		{name: "a one-word name never matches by name",
			user:   store.DirectoryUser{ObjectID: "u-scanner", UPN: "scanner@contoso.com", DisplayName: "Isaiah"},
			action: ActionCreate},
		{name: "nothing matches",
			user:   store.DirectoryUser{ObjectID: "u-new", UPN: "adele.vance@contoso.com", Mail: "adele.vance@contoso.com", GivenName: "Adele", Surname: "Vance"},
			action: ActionCreate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.MatchUser(&tt.user)
			if got.Action != tt.action || got.ContactID != tt.contact || got.Rule != tt.rule || !reflect.DeepEqual(got.Candidates, tt.cands) {
				t.Errorf("MatchUser(%s) = %s contact %d by %q candidates %v (%s), want %s contact %d by %q candidates %v",
					tt.user.UPN, got.Action, got.ContactID, got.Rule, got.Candidates, got.Reason, tt.action, tt.contact, tt.rule, tt.cands)
			}
			if got.Reason == "" {
				t.Errorf("MatchUser(%s) reason is empty", tt.user.UPN)
			}
		})
	}
}

func TestMatchUsersTwoJohnSmiths(t *testing.T) {
	t.Parallel()
	ix := NewContactIndex(tenantA, testContacts)
	users := []store.DirectoryUser{
		{ObjectID: "u-js1", UPN: "john.smith2@contoso.com", Mail: "john.smith2@contoso.com", GivenName: "John", Surname: "Smith"},
		{ObjectID: "u-js2", UPN: "jsmith@contoso.com", Mail: "jsmith@contoso.com", GivenName: "John", Surname: "Smith"},
		{ObjectID: "u-adele", UPN: "adele@contoso.com", GivenName: "Adele", Surname: "Vance"},
	}
	got := ix.MatchUsers(users)
	want := []struct {
		action Action
		rivals []string
	}{
		{ActionAmbiguous, []string{"u-js2"}},
		{ActionAmbiguous, []string{"u-js1"}},
		{ActionCreate, nil},
	}
	for i, w := range want {
		if got[i].Action != w.action || !reflect.DeepEqual(got[i].Rivals, w.rivals) || got[i].ContactID != 0 {
			t.Errorf("MatchUsers()[%d] (%s) = %s contact %d rivals %v (%s), want %s rivals %v, no contact",
				i, users[i].UPN, got[i].Action, got[i].ContactID, got[i].Rivals, got[i].Reason, w.action, w.rivals)
		}
	}
	if !reflect.DeepEqual(got[0].Candidates, []uint64{1}) {
		t.Errorf("MatchUsers()[0].Candidates = %v, want [1]", got[0].Candidates)
	}
}

func TestMatchUsersStrongerRuleWins(t *testing.T) {
	t.Parallel()
	ix := NewContactIndex(tenantA, testContacts)
	// The first John Smith owns the contact's address; the second only
	// shares the name, so it is somebody else and gets its own contact.
	users := []store.DirectoryUser{
		{ObjectID: "u-js-name", UPN: "jsmith@contoso.com", GivenName: "John", Surname: "Smith"},
		{ObjectID: "u-js-mail", UPN: "john.smith@contoso.com", Mail: "john.smith@contoso.com", GivenName: "John", Surname: "Smith"},
	}
	got := ix.MatchUsers(users)
	if got[1].Action != ActionLink || got[1].ContactID != 1 || got[1].Rule != RuleAlias {
		t.Errorf("MatchUsers()[1] = %s contact %d by %q, want link contact 1 by alias", got[1].Action, got[1].ContactID, got[1].Rule)
	}
	if got[0].Action != ActionCreate {
		t.Errorf("MatchUsers()[0] = %s contact %d (%s), want create", got[0].Action, got[0].ContactID, got[0].Reason)
	}
}

func TestMatchUsersContestedContactBlocksWeakerRules(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{{ID: 1, FirstName: "Adele", LastName: "Vance", PrimaryEmail: "adele@contoso.com"}}
	ix := NewContactIndex(tenantA, contacts)
	users := []store.DirectoryUser{
		{ObjectID: "u1", UPN: "a1@contoso.com", OtherMails: []string{"adele@contoso.com"}},
		{ObjectID: "u2", UPN: "a2@contoso.com", OtherMails: []string{"ADELE@contoso.com"}},
		{ObjectID: "u3", UPN: "a3@contoso.com", GivenName: "Adele", Surname: "Vance"},
	}
	got := ix.MatchUsers(users)
	for i := range users {
		if got[i].Action != ActionAmbiguous || !reflect.DeepEqual(got[i].Candidates, []uint64{1}) {
			t.Errorf("MatchUsers()[%d] = %s candidates %v (%s), want ambiguous on contact 1", i, got[i].Action, got[i].Candidates, got[i].Reason)
		}
	}
}

func TestMatchUsersTwoContactsLinkedToOneUser(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{
		{ID: 1, FirstName: "Adele", LastName: "Vance", Link: link("u1")},
		{ID: 2, FirstName: "Adele", LastName: "Vance", Link: link("u1")},
	}
	got := NewContactIndex(tenantA, contacts).MatchUser(&store.DirectoryUser{ObjectID: "u1", UPN: "adele@contoso.com"})
	if got.Action != ActionAmbiguous || got.Rule != RuleObjectID || !reflect.DeepEqual(got.Candidates, []uint64{1, 2}) {
		t.Errorf("MatchUser(u1) = %s by %q candidates %v, want ambiguous by object id on [1 2]", got.Action, got.Rule, got.Candidates)
	}
}

func TestLinked(t *testing.T) {
	t.Parallel()
	ix := NewContactIndex(tenantA, testContacts)
	if c, ok := ix.Linked("0a1b-MEGAN"); !ok || c.ID != 2 {
		t.Errorf("Linked(0a1b-MEGAN) = %d, %v, want 2, true", c.ID, ok)
	}
	if c, ok := ix.Linked("0a1b-pradeep"); ok {
		t.Errorf("Linked(0a1b-pradeep) = %d, true, want false: linked in another tenant", c.ID)
	}
}
