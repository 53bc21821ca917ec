package demo

import (
	"reflect"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

func TestOrgNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind seedKind
		want []string
	}{
		{seedExact, []string{"Contoso Ltd"}},
		{seedVariant, []string{"Contoso Limited"}},
		{seedAmbiguous, []string{"Contoso Ltd (London office)", "Contoso Ltd (Seattle office)"}},
		{seedNone, nil},
	}
	for _, tt := range tests {
		if got := orgNames(tt.kind, "Contoso Ltd"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("orgNames(%d, %q) = %q, want %q", tt.kind, "Contoso Ltd", got, tt.want)
		}
	}
	if got := seedKindOf(len(seedPlan)); got != seedNone {
		t.Errorf("seedKindOf(past the plan) = %d, want seedNone", got)
	}
}

// Under an exact name the fourth user is written twice without the address
// Microsoft knows (so sync flags both as ambiguous), before the key
// contacts; the locked title goes on the first key contact.
func TestOrgContacts(t *testing.T) {
	t.Parallel()
	users := []seedUser{
		{"Adele", "Vance", "adele@contoso.com"},
		{"Lee", "Gu", "lee@contoso.com"},
		{"Alex", "Wilber", "alex@contoso.com"},
		{"Megan", "Bowen", "megan@contoso.com"},
	}
	type row struct {
		first, mail, title string
		locked             bool
	}
	rows := func(cs []store.Contact) []row {
		var out []row
		for _, c := range cs {
			if c.OrgID != 7 || c.Source != store.SourceImported {
				t.Errorf("orgContacts() contact %s in org %d from %q, want org 7, imported", c.FirstName, c.OrgID, c.Source)
			}
			out = append(out, row{c.FirstName, c.PrimaryEmail, c.Title, c.IsLocked(store.FieldTitle)})
		}
		return out
	}

	got := rows(orgContacts(7, seedExact, users, true))
	want := []row{
		{"Megan", "", "", false},
		{"Megan", "megan@home.example", "", false},
		{"Adele", "adele@contoso.com", LockedTitle, true},
		{"Lee", "lee@contoso.com", "Key contact", false},
		{"Alex", "alex@contoso.com", "Key contact", false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orgContacts(exact, 4 users, lock) = %+v, want %+v", got, want)
	}

	got = rows(orgContacts(7, seedVariant, users[:2], false))
	want = []row{
		{"Adele", "adele@contoso.com", "Key contact", false},
		{"Lee", "lee@contoso.com", "Key contact", false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orgContacts(variant, 2 users) = %+v, want %+v", got, want)
	}
}
