package docbase_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

func TestUpdateContactLocksEditedSyncedFieldsAndRecordsHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sub := f.docs.Subscribe()
	defer sub.Close()
	c, err := f.store.Contact(f.ctx, f.linked)
	if err != nil {
		t.Fatal(err)
	}
	in := docbase.FieldsOfContact(c)
	in.Title = "Chief Financial Officer"
	in.Notes = "prefers phone"
	got, err := f.docs.UpdateContact(f.ctx, f.linked, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Chief Financial Officer" || !got.IsLocked(store.FieldTitle) || got.IsLocked(store.FieldFirstName) {
		t.Errorf("UpdateContact = title %q locked %v, want the new title locked alone", got.Title, got.Locked)
	}
	d, err := f.docs.ContactDetail(f.ctx, f.linked)
	if err != nil {
		t.Fatal(err)
	}
	last := d.History[len(d.History)-1]
	if last.Kind != store.ChangeEdited || last.By == "" || len(last.Fields) != 2 ||
		last.Fields[0] != (store.FieldChange{Field: store.FieldTitle, Old: "CFO", New: "Chief Financial Officer"}) {
		t.Errorf("history ends with %+v, want an edit of title and notes with who", last)
	}
	if ch := sub.Take(); !ch.Contacts[f.linked] {
		t.Errorf("published %+v, want contact %d", ch, f.linked)
	}
	// Saving again without a change writes no history.
	if _, err := f.docs.UpdateContact(f.ctx, f.linked, in); err != nil {
		t.Fatal(err)
	}
	if d2, _ := f.docs.ContactDetail(f.ctx, f.linked); len(d2.History) != len(d.History) {
		t.Errorf("an unchanged save added history: %d entries, want %d", len(d2.History), len(d.History))
	}
}

func TestUpdateContactOfALocalContactLocksNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got, err := f.docs.UpdateContact(f.ctx, f.local, docbase.ContactFields{FirstName: "Grace", LastName: "Hopper", Title: "Admiral"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Admiral" || len(got.Locked) != 0 {
		t.Errorf("UpdateContact(local) = %q locked %v, want the title and no locks", got.Title, got.Locked)
	}
}

func TestEditValidatesAsImportDoes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name string
		err  func() error
	}{
		{"contact with a bad e-mail", func() error {
			_, err := f.docs.UpdateContact(f.ctx, f.local, docbase.ContactFields{FirstName: "Grace", PrimaryEmail: "not an address"})
			return err
		}},
		{"contact without name or e-mail", func() error {
			_, err := f.docs.AddContact(f.ctx, f.org, docbase.ContactFields{Title: "Someone"})
			return err
		}},
		{"organization without a name", func() error {
			_, err := f.docs.AddOrg(f.ctx, docbase.OrgFields{Domains: "x.example"})
			return err
		}},
		{"organization with a bad domain", func() error {
			_, err := f.docs.UpdateOrg(f.ctx, f.org, docbase.OrgFields{Name: "Contoso", Domains: "contoso.example, not a domain"})
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.err(); !errors.Is(err, docbase.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
		}
	}
	c, _ := f.store.Contact(f.ctx, f.local)
	o, _ := f.store.Org(f.ctx, f.org)
	if c.PrimaryEmail != "" || !slices.Equal(o.Domains, []string{"contoso.example"}) {
		t.Errorf("a refused edit was saved: contact e-mail %q, domains %v", c.PrimaryEmail, o.Domains)
	}
}

func TestAddAndUpdateOrgAndContact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o, err := f.docs.AddOrg(f.ctx, docbase.OrgFields{Name: " Fabrikam ", Domains: "https://www.Fabrikam.example/, fabrikam.test"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "Fabrikam" || !slices.Equal(o.Domains, []string{"fabrikam.example", "fabrikam.test"}) || o.Source != store.SourceManual {
		t.Errorf("AddOrg = %+v, want trimmed name, clean domains, manual", o)
	}
	o, err = f.docs.UpdateOrg(f.ctx, o.ID, docbase.OrgFields{Name: "Fabrikam Inc", ShortName: "FAB", Domains: "fabrikam.example"})
	if err != nil || o.Name != "Fabrikam Inc" || o.ShortName != "FAB" {
		t.Fatalf("UpdateOrg = %+v, %v", o, err)
	}
	c, err := f.docs.AddContact(f.ctx, o.ID, docbase.ContactFields{FirstName: "Kim", PrimaryEmail: "kim@fabrikam.example", OtherEmails: "KIM@fabrikam.example, k@fabrikam.test"})
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgID != o.ID || !slices.Equal(c.OtherEmails, []string{"k@fabrikam.test"}) {
		t.Errorf("AddContact = %+v, want in %d with the duplicate e-mail dropped", c, o.ID)
	}
	h, err := f.store.History(f.ctx, c.ID)
	if err != nil || len(h) != 1 || h[0].Kind != store.ChangeCreated || h[0].By == "" {
		t.Errorf("history of an added contact = %+v, %v; want one created entry with who", h, err)
	}
	if _, err := f.docs.AddContact(f.ctx, 9999, docbase.ContactFields{FirstName: "Nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddContact(no such organization) = %v, want ErrNotFound", err)
	}
}
