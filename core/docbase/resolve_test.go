package docbase_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// addGraces gives the fixture's tenant two users named Grace Hopper, so the
// local contact Grace Hopper could be either, and flags it ambiguous.
func addGraces(t *testing.T, f *fixture) {
	t.Helper()
	err := f.store.Update(f.ctx, func(tx *store.Tx) error {
		m, err := tx.Mirror("c1", "t1")
		if err != nil {
			return err
		}
		for _, u := range []store.DirectoryUser{
			{ObjectID: "g1", UPN: "grace@contoso.example", GivenName: "Grace", Surname: "Hopper", Mail: "grace@contoso.example",
				ProxyAddresses: []string{"SMTP:grace@contoso.example", "smtp:admiral@contoso.example"}, SKUs: []string{"sku-e3"}},
			{ObjectID: "g2", UPN: "ghopper@contoso.example", GivenName: "Grace", Surname: "Hopper", SKUs: []string{"sku-other"}},
			// Ada's user is linked to Ada: no candidate for anyone else.
			{ObjectID: "u1", UPN: "ada@contoso.example", GivenName: "Grace", Surname: "Hopper", JobTitle: "CFO", SKUs: []string{"sku-e3"}},
		} {
			if err := m.PutUser(&u); err != nil {
				return err
			}
		}
		c, err := tx.Contact(f.local)
		if err != nil {
			return err
		}
		c.Flags = []string{store.FlagAmbiguous}
		return tx.PutContact(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// contactOf is the contact linked to a tenant's user, read through the store.
func contactOf(t *testing.T, f *fixture, tenantID, objectID string) (id uint64, ok bool) {
	t.Helper()
	err := f.store.View(f.ctx, func(tx *store.Tx) error {
		id, ok = tx.ContactByObjectID(tenantID, objectID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, ok
}

func TestResolveLinksTheChosenUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addGraces(t, f)
	choices, err := f.docs.UserChoices(f.ctx, f.local)
	if err != nil {
		t.Fatal(err)
	}
	var upns []string
	for _, c := range choices {
		upns = append(upns, c.User.UPN)
	}
	if !slices.Equal(upns, []string{"grace@contoso.example", "ghopper@contoso.example"}) {
		t.Fatalf("UserChoices = %v, want both Graces and not Ada's linked user", upns)
	}
	if g := choices[0]; g.TenantName != "Contoso Ltd" || !slices.Equal(g.Licenses, []string{"ENTERPRISEPACK"}) ||
		!slices.Contains(g.Aliases, "admiral@contoso.example") || slices.Contains(g.Aliases, "grace@contoso.example") {
		t.Errorf("first choice = %+v, want its tenant, license and aliases without the username", g)
	}
	if _, err := f.docs.Resolve(f.ctx, f.local, docbase.UserChoice{ConnectionID: "c1", TenantID: "t1", User: store.DirectoryUser{ObjectID: "u1"}}); !errors.Is(err, docbase.ErrNotACandidate) {
		t.Errorf("Resolve(Ada's user) error = %v, want ErrNotACandidate", err)
	}
	got, err := f.docs.Resolve(f.ctx, f.local, choices[1])
	if err != nil {
		t.Fatal(err)
	}
	if got.Link == nil || got.Link.ObjectID != "g2" || got.HasFlag(store.FlagAmbiguous) || got.PrimaryEmail != "ghopper@contoso.example" {
		t.Errorf("resolved contact = link %+v flags %v e-mail %q, want g2, not ambiguous, refreshed", got.Link, got.Flags, got.PrimaryEmail)
	}
	if id, ok := contactOf(t, f, "t1", "g2"); !ok || id != f.local {
		t.Errorf("contact of g2 = %d %v, want %d", id, ok, f.local)
	}
	d, err := f.docs.ContactDetail(f.ctx, f.local)
	if err != nil {
		t.Fatal(err)
	}
	if last := d.History[len(d.History)-1]; last.Kind != store.ChangeResolved || last.By == "" {
		t.Errorf("history ends with %+v, want the resolution with who", last)
	}
	if _, err := f.docs.UserChoices(f.ctx, f.local); !errors.Is(err, docbase.ErrAlreadyLinked) {
		t.Errorf("UserChoices(linked) error = %v, want ErrAlreadyLinked", err)
	}
}

func TestMergeMovesEmailsHistoryAndLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A second Ada, typed in by hand with another address and notes.
	dup, err := f.docs.AddContact(f.ctx, f.org, docbase.ContactFields{FirstName: "Ada", LastName: "Lovelace", PrimaryEmail: "ada@old.example", Mobile: "+1 555 0100", Notes: "met at the fair"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.docs.Merge(f.ctx, f.linked, f.linked); !errors.Is(err, docbase.ErrMergeSelf) {
		t.Errorf("Merge(self) error = %v, want ErrMergeSelf", err)
	}
	// Keep the hand-made one: the link to Ada's user moves to it.
	got, err := f.docs.Merge(f.ctx, dup.ID, f.linked)
	if err != nil {
		t.Fatal(err)
	}
	if got.Link == nil || got.Link.ObjectID != "u1" || got.PrimaryEmail != "ada@old.example" ||
		!slices.Contains(got.OtherEmails, "ada@contoso.example") || got.Title != "CFO" || got.Notes != "met at the fair" {
		t.Errorf("kept contact = %+v, want the link, both e-mails, the title filled in and the notes", got)
	}
	if _, err := f.store.Contact(f.ctx, f.linked); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("merged-away contact: %v, want ErrNotFound", err)
	}
	if id, ok := contactOf(t, f, "t1", "u1"); !ok || id != dup.ID {
		t.Errorf("contact of u1 = %d %v, want the kept %d", id, ok, dup.ID)
	}
	d, err := f.docs.ContactDetail(f.ctx, dup.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, h := range d.History {
		kinds = append(kinds, h.Kind)
	}
	if !slices.Contains(kinds, store.ChangeCreated) || kinds[len(kinds)-1] != store.ChangeMerged || d.History[len(d.History)-1].By == "" {
		t.Errorf("history kinds = %v, want its own creation and a merge with who at the end", kinds)
	}
	if rows, _ := f.docs.Rows(f.ctx, store.RowQuery{Kind: store.KindContact, OrgID: f.org, Text: "ada"}); len(rows) != 1 {
		t.Errorf("Ada rows after the merge = %d, want 1", len(rows))
	}
}

func TestMergeRefusesTwoUsersAndTwoOrganizations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, err := f.docs.AddOrg(f.ctx, docbase.OrgFields{Name: "Fabrikam"})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := f.docs.AddContact(f.ctx, other.ID, docbase.ContactFields{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.docs.Merge(f.ctx, f.local, elsewhere.ID); !errors.Is(err, docbase.ErrMergeOrgs) {
		t.Errorf("Merge(across organizations) error = %v, want ErrMergeOrgs", err)
	}
	err = f.store.Update(f.ctx, func(tx *store.Tx) error {
		c, err := tx.Contact(f.local)
		if err != nil {
			return err
		}
		c.Link = &store.MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: "u9"}
		return tx.PutContact(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.docs.Merge(f.ctx, f.local, f.linked); !errors.Is(err, docbase.ErrMergeTwoUser) {
		t.Errorf("Merge(two linked) error = %v, want ErrMergeTwoUser", err)
	}
	if _, err := f.store.Contact(f.ctx, f.linked); err != nil {
		t.Errorf("a refused merge deleted a contact: %v", err)
	}
}

func TestArchiveHidesAndBringsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	count := func(q store.RowQuery) int {
		t.Helper()
		rows, err := f.docs.Rows(f.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	if _, err := f.docs.SetContactArchived(f.ctx, f.local, true); err != nil {
		t.Fatal(err)
	}
	if n := count(store.RowQuery{Kind: store.KindContact, Text: "grace"}); n != 0 {
		t.Errorf("search finds %d archived contacts, want 0", n)
	}
	if n := count(store.RowQuery{Kind: store.KindContact, Archived: true}); n != 1 {
		t.Errorf("archived contacts = %d, want 1", n)
	}
	if _, err := f.docs.SetOrgArchived(f.ctx, f.org, true); err != nil {
		t.Fatal(err)
	}
	if n := count(store.RowQuery{Kind: store.KindOrg}); n != 0 {
		t.Errorf("organizations listed = %d, want the archived one left out", n)
	}
	if _, err := f.docs.SetContactArchived(f.ctx, f.local, false); err != nil {
		t.Fatal(err)
	}
	if n := count(store.RowQuery{Kind: store.KindContact, Text: "grace"}); n != 1 {
		t.Errorf("search finds %d contacts after bringing Grace back, want 1", n)
	}
	d, err := f.docs.ContactDetail(f.ctx, f.local)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.History); n < 2 || d.History[n-2].Kind != store.ChangeArchived || d.History[n-1].Kind != store.ChangeUnarchived {
		t.Errorf("history = %+v, want archived then unarchived", d.History)
	}
}
