package match

import (
	"reflect"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// A linked user the settings leave out is a leaver only when it left scope
// by leaving the company: a guest excluded because guests are not synced
// keeps its contact as it is.
func TestScreenUsersLeaversOnlyForLeaving(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{
		{ID: 1, FirstName: "Ann", LastName: "Guest", PrimaryEmail: "ann@fabrikam.com", Link: link("u-guest")},
		{ID: 2, FirstName: "Alex", LastName: "Wilber", PrimaryEmail: "alex@contoso.com", Link: link("u-alex")},
	}
	guest := activeUser("u-guest", "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com", "Ann", "Guest")
	guest.UserType = "Guest"
	alex := activeUser("u-alex", "alex@contoso.com", "Alex", "Wilber")
	alex.AccountEnabled = false
	nora := activeUser("u-nora", "nora@contoso.com", "Nora", "Lind")
	dir := Directory{TenantID: tenantA, Users: []store.DirectoryUser{guest, alex, nora}}
	pl := newContactPlanner(100, dir, store.DefaultSyncSettings(), contacts)

	eligible := pl.screenUsers()

	if len(eligible) != 1 || eligible[0].ObjectID != "u-nora" {
		t.Errorf("screenUsers() = %v, want only u-nora", eligible)
	}
	if len(pl.p.Excluded) != 2 {
		t.Errorf("screenUsers() excluded %v, want u-guest and u-alex", pl.p.Excluded)
	}
	if w := pl.work[0]; w != nil {
		t.Errorf("screenUsers() changed the excluded guest's contact: %+v, want it left alone", w)
	}
	if w := pl.work[1]; w == nil || w.Leaver != ReasonDisabled {
		t.Errorf("screenUsers() update of the disabled user's contact = %+v, want leaver %q", w, ReasonDisabled)
	}
	if !pl.seen["u-guest"] || !pl.seen["u-alex"] || !pl.seen["u-nora"] {
		t.Errorf("screenUsers() seen = %v, want every user read", pl.seen)
	}
}

// An unlinked contact found by e-mail is linked to the user and refreshed
// from it in one update.
func TestRefreshLinks(t *testing.T) {
	t.Parallel()
	contacts := []store.Contact{{ID: 7, FirstName: "Adele", LastName: "Vance", Title: "Sales", PrimaryEmail: "adele@contoso.com"}}
	adele := activeUser("u-adele", "adele@contoso.com", "Adele", "Vance")
	adele.JobTitle = "Sales Manager"
	dir := Directory{ConnectionID: "c1", TenantID: tenantA, Users: []store.DirectoryUser{adele}}
	pl := newContactPlanner(100, dir, store.DefaultSyncSettings(), contacts)

	pl.refresh(0, &adele, UserOutcome{Action: ActionLink, ContactID: 7, Rule: RuleAlias})

	w := pl.work[0]
	if w == nil {
		t.Fatal("refresh(link) planned no update")
	}
	if !w.Linked || w.Rule != RuleAlias || w.ObjectID != "u-adele" {
		t.Errorf("refresh(link) = linked %v, rule %q, object %q; want true, %q, u-adele", w.Linked, w.Rule, w.ObjectID, RuleAlias)
	}
	if want := link("u-adele"); !reflect.DeepEqual(w.Contact.Link, want) {
		t.Errorf("refresh(link) contact link = %+v, want %+v", w.Contact.Link, want)
	}
	if w.Contact.Title != "Sales Manager" || len(w.Changes) != 1 {
		t.Errorf("refresh(link) title %q with %d changes, want %q with 1", w.Contact.Title, len(w.Changes), "Sales Manager")
	}
	if contacts[0].Link != nil {
		t.Error("refresh(link) modified its contacts argument")
	}
}

// When the settings take in disabled users, a new one is created already
// flagged as a leaver.
func TestCreateFlagsLeaver(t *testing.T) {
	t.Parallel()
	s := store.DefaultSyncSettings()
	s.IncludeDisabled = true
	nora := activeUser("u-nora", "nora@contoso.com", "Nora", "Lind")
	nora.AccountEnabled = false
	pl := newContactPlanner(100, Directory{ConnectionID: "c1", TenantID: tenantA}, s, nil)

	pl.create(&nora)

	if len(pl.p.Create) != 1 || !pl.p.Create[0].HasFlag(store.FlagLeaver) {
		t.Errorf("create(disabled user) = %+v, want one contact flagged leaver", pl.p.Create)
	}
}
