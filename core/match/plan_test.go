package match

import (
	"reflect"
	"sort"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

func activeUser(oid, upn, first, last string) store.DirectoryUser {
	return store.DirectoryUser{ObjectID: oid, UPN: upn, Mail: upn, GivenName: first, Surname: last,
		UserType: "Member", AccountEnabled: true, SKUs: []string{skuE3}}
}

func TestPlanContacts(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{
		{ID: 1, FirstName: "Adele", LastName: "Vance", Title: "Sales", PrimaryEmail: "adele@contoso.com", Link: link("u-adele")},
		{ID: 2, FirstName: "Lee", LastName: "Gu", PrimaryEmail: "lee@contoso.com", Link: link("u-lee"), Flags: []string{store.FlagLeaver}},
		{ID: 3, FirstName: "Alex", LastName: "Wilber", PrimaryEmail: "alex@contoso.com", Link: link("u-alex")},
		{ID: 4, FirstName: "John", LastName: "Smith", PrimaryEmail: "john@contoso.com"},
		{ID: 5, FirstName: "Grady", LastName: "Archie", PrimaryEmail: "grady@contoso.com", Flags: []string{store.FlagAmbiguous}},
		{ID: 6, FirstName: "Ben", LastName: "Walters", PrimaryEmail: "ben@contoso.com", Link: link("u-ben")},
		{ID: 7, FirstName: "Cora", LastName: "Ng", PrimaryEmail: "cora@contoso.com", Link: link("u-cora")},
		{ID: 8, FirstName: "Megan", LastName: "Bowen", PrimaryEmail: "megan@contoso.com", Link: link("u-megan")},
		{ID: 9, FirstName: "Pat", LastName: "Fay", PrimaryEmail: "pat@contoso.com", Link: link("u-pat")},
	}
	alex := activeUser("u-alex", "alex@contoso.com", "Alex", "Wilber")
	alex.AccountEnabled = false
	guest := activeUser("u-guest", "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com", "Ann", "Guest")
	guest.UserType = "Guest"
	pat := activeUser("u-pat", "pat@contoso.com", "Pat", "Fay")
	pat.SKUs = nil
	adele := activeUser("u-adele", "adele@contoso.com", "Adele", "Vance")
	adele.JobTitle = "Sales Manager"
	room := store.DirectoryUser{ObjectID: "u-room", UPN: "room1@contoso.com", DisplayName: "Board Room"}
	dir := Directory{
		ConnectionID: "c1", TenantID: tenantA, Complete: true,
		Users: []store.DirectoryUser{
			adele,
			activeUser("u-lee", "lee@contoso.com", "Lee", "Gu"),
			alex,
			activeUser("u-js1", "john.smith@contoso.com", "John", "Smith"),
			activeUser("u-js2", "jsmith@contoso.com", "John", "Smith"),
			guest,
			activeUser("u-new", "nora@contoso.com", "Nora", "Lind"),
			activeUser("u-megan", "megan@contoso.com", "Megan", "Bowen"),
			pat,
			room,
		},
		Shared:  map[string]bool{"u-room": true},
		Deleted: []string{"u-ben"},
	}
	p := PlanContacts(100, dir, store.DefaultSyncSettings(), contacts)

	type row struct {
		id        uint64
		changes   int
		leaver    string
		returned  bool
		ambiguous int
	}
	var got []row
	for _, u := range p.Update {
		got = append(got, row{u.Contact.ID, len(u.Changes), u.Leaver, u.Returned, u.Ambiguous})
	}
	want := []row{
		{id: 1, changes: 1},               // title refreshed
		{id: 2, returned: true},           // re-enabled and licensed: back
		{id: 3, leaver: ReasonDisabled},   // disabled
		{id: 4, ambiguous: 1},             // two John Smiths claim it
		{id: 5, ambiguous: -1},            // no longer a candidate of anyone
		{id: 6, leaver: ReasonDeleted},    // deleted (delta)
		{id: 7, leaver: ReasonDeleted},    // missing from a full read
		{id: 9, leaver: ReasonUnlicensed}, // lost its license
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PlanContacts() updates = %+v, want %+v", got, want)
	}
	for _, u := range p.Update {
		if u.Contact.ID == 3 && !u.Contact.HasFlag(store.FlagLeaver) {
			t.Errorf("PlanContacts() contact 3 flags = %v, want leaver", u.Contact.Flags)
		}
		if u.Contact.ID == 2 && u.Contact.HasFlag(store.FlagLeaver) {
			t.Errorf("PlanContacts() contact 2 flags = %v, want leaver cleared", u.Contact.Flags)
		}
	}
	if len(p.Create) != 1 || p.Create[0].PrimaryEmail != "nora@contoso.com" || p.Create[0].Source != store.SourceTenant ||
		p.Create[0].Link == nil || p.Create[0].Link.ObjectID != "u-new" || p.Create[0].OrgID != 100 {
		t.Errorf("PlanContacts() creates = %+v, want Nora, linked to u-new, in org 100", p.Create)
	}
	var amb []string
	for _, o := range p.Ambiguous {
		amb = append(amb, o.ObjectID)
	}
	if want := []string{"u-js1", "u-js2"}; !reflect.DeepEqual(amb, want) {
		t.Errorf("PlanContacts() ambiguous = %v, want %v", amb, want)
	}
	var excl []string
	for _, e := range p.Excluded {
		excl = append(excl, e.ObjectID+": "+e.Reason)
	}
	sort.Strings(excl)
	wantExcl := []string{"u-alex: " + ReasonDisabled, "u-guest: " + ReasonGuest, "u-pat: " + ReasonUnlicensed, "u-room: " + ReasonShared}
	if !reflect.DeepEqual(excl, wantExcl) {
		t.Errorf("PlanContacts() excluded = %v, want %v", excl, wantExcl)
	}
	if p.Unchanged != 1 {
		t.Errorf("PlanContacts() unchanged = %d, want 1 (Megan)", p.Unchanged)
	}
	for _, c := range contacts {
		if c.ID == 2 && !c.HasFlag(store.FlagLeaver) {
			t.Errorf("PlanContacts() modified its contacts argument")
		}
	}
}

func TestPlanContactsLeaverSetAndCleared(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{{ID: 1, FirstName: "Alex", LastName: "Wilber", PrimaryEmail: "alex@contoso.com", Link: link("u-alex")}}
	s := store.DefaultSyncSettings()
	alex := activeUser("u-alex", "alex@contoso.com", "Alex", "Wilber")
	steps := []struct {
		name   string
		change func(u *store.DirectoryUser)
		leaver bool
	}{
		{"active", func(u *store.DirectoryUser) {}, false},
		{"disabled", func(u *store.DirectoryUser) { u.AccountEnabled = false }, true},
		{"re-enabled", func(u *store.DirectoryUser) { u.AccountEnabled = true }, false},
		{"license removed", func(u *store.DirectoryUser) { u.SKUs = nil }, true},
		{"re-licensed", func(u *store.DirectoryUser) { u.SKUs = []string{skuE3} }, false},
	}
	for _, st := range steps {
		st.change(&alex)
		p := PlanContacts(100, Directory{TenantID: tenantA, Users: []store.DirectoryUser{alex}, Complete: true}, s, contacts)
		for _, u := range p.Update {
			contacts = []store.Contact{u.Contact}
		}
		if got := contacts[0].HasFlag(store.FlagLeaver); got != st.leaver {
			t.Errorf("after %s: PlanContacts() leaver = %v, want %v", st.name, got, st.leaver)
		}
		if len(p.Create) != 0 {
			t.Errorf("after %s: PlanContacts() created %d contacts, want none", st.name, len(p.Create))
		}
	}
	// Deleted, then restored from the recycle bin with the same object id.
	p := PlanContacts(100, Directory{TenantID: tenantA, Deleted: []string{"u-alex"}}, s, contacts)
	if len(p.Update) != 1 || p.Update[0].Leaver != ReasonDeleted {
		t.Fatalf("PlanContacts(deleted) = %+v, want leaver %q", p.Update, ReasonDeleted)
	}
	contacts = []store.Contact{p.Update[0].Contact}
	p = PlanContacts(100, Directory{TenantID: tenantA, Users: []store.DirectoryUser{alex}}, s, contacts)
	if len(p.Update) != 1 || !p.Update[0].Returned || p.Update[0].Contact.HasFlag(store.FlagLeaver) {
		t.Errorf("PlanContacts(restored) = %+v, want the leaver flag cleared", p.Update)
	}
}

func TestPlanContactsLockedOverlay(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{{ID: 1, FirstName: "Adele", LastName: "Vance", Title: "Sales", PrimaryEmail: "adele@contoso.com",
		Link: link("u-adele"), Locked: []string{store.FieldTitle}}}
	adele := activeUser("u-adele", "adele@contoso.com", "Adele", "Vance")
	adele.JobTitle = "Sales Manager"
	p := PlanContacts(100, Directory{TenantID: tenantA, Users: []store.DirectoryUser{adele}}, store.DefaultSyncSettings(), contacts)
	want := map[uint64][]store.FieldChange{1: {{Field: store.FieldTitle, Old: "Sales", New: "Sales Manager"}}}
	if !reflect.DeepEqual(p.Overlay, want) || len(p.Update) != 0 || p.Unchanged != 1 {
		t.Errorf("PlanContacts() overlay = %v, updates %d, unchanged %d; want %v, 0, 1", p.Overlay, len(p.Update), p.Unchanged, want)
	}
}

// A delta plans only the users that changed: it must not clear the
// ambiguous flag that an unchanged ambiguous user put on its candidates.
// A full read decides afresh.
func TestPlanContactsDeltaKeepsAmbiguousFlags(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{
		{ID: 1, FirstName: "John", LastName: "Smith", PrimaryEmail: "john@contoso.com", Flags: []string{store.FlagAmbiguous}},
		{ID: 2, FirstName: "John", LastName: "Smith", PrimaryEmail: "j.smith@contoso.com", Flags: []string{store.FlagAmbiguous}},
		{ID: 3, FirstName: "Megan", LastName: "Bowen", PrimaryEmail: "megan@contoso.com", Link: link("u-megan")},
	}
	megan := activeUser("u-megan", "megan@contoso.com", "Megan", "Bowen")
	megan.JobTitle = "CEO"
	s := store.DefaultSyncSettings()

	p := PlanContacts(100, Directory{TenantID: tenantA, Users: []store.DirectoryUser{megan}}, s, contacts)
	for _, u := range p.Update {
		if u.Contact.ID != 3 {
			t.Errorf("delta of Megan: PlanContacts() updated contact %d (ambiguous %+d), want only Megan's contact", u.Contact.ID, u.Ambiguous)
		}
	}

	p = PlanContacts(100, Directory{TenantID: tenantA, Users: []store.DirectoryUser{megan}, Complete: true}, s, contacts)
	cleared := 0
	for _, u := range p.Update {
		if u.Ambiguous == -1 && !u.Contact.HasFlag(store.FlagAmbiguous) {
			cleared++
		}
	}
	if cleared != 2 {
		t.Errorf("full read without John Smith users: %d ambiguous flags cleared, want 2", cleared)
	}
}
