package match

import (
	"reflect"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

var megan = store.DirectoryUser{
	ObjectID:       "0a1b-megan",
	UPN:            "meganb@contoso.onmicrosoft.com",
	Mail:           "Megan.Bowen@contoso.com",
	ProxyAddresses: []string{"SMTP:Megan.Bowen@contoso.com", "smtp:meganb@contoso.onmicrosoft.com", "smtp:megan@contoso.com", "X500:/o=ExchangeLabs/cn=Recipients/cn=megan"},
	OtherMails:     []string{"megan.bowen@gmail.com", "MEGAN@contoso.com"},
	DisplayName:    "Megan Bowen",
	GivenName:      "Megan",
	Surname:        "Bowen",
	JobTitle:       "Marketing Manager",
	BusinessPhones: []string{"+1 425 555 0109", "+1 425 555 0110"},
	MobilePhone:    "+1 425 555 0199",
}

func TestUserFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user store.DirectoryUser
		want Fields
	}{
		{"full user", megan, Fields{
			FirstName: "Megan", LastName: "Bowen", Title: "Marketing Manager", PrimaryEmail: "Megan.Bowen@contoso.com",
			OtherEmails: []string{"meganb@contoso.onmicrosoft.com", "megan@contoso.com", "megan.bowen@gmail.com"},
			OfficePhone: "+1 425 555 0109", Mobile: "+1 425 555 0199",
		}},
		{"no mail, no given name", store.DirectoryUser{UPN: "ops@contoso.onmicrosoft.com", DisplayName: "Operations Desk", BusinessPhones: []string{""}},
			Fields{FirstName: "Operations", LastName: "Desk", PrimaryEmail: "ops@contoso.onmicrosoft.com"}},
		{"surname only", store.DirectoryUser{UPN: "x@contoso.com", DisplayName: "Dr. X", Surname: "Xavier"},
			Fields{LastName: "Xavier", PrimaryEmail: "x@contoso.com"}},
	}
	for _, tt := range tests {
		if got := UserFields(&tt.user); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: UserFields() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestNewContact(t *testing.T) {
	t.Parallel()
	l := store.MSLink{ConnectionID: "c1", TenantID: tenantA, ObjectID: megan.ObjectID}
	got := NewContact(42, l, &megan)
	if got.OrgID != 42 || got.Source != store.SourceTenant || got.Link == nil || *got.Link != l {
		t.Errorf("NewContact() = org %d source %q link %+v, want org 42 source %q link %+v", got.OrgID, got.Source, got.Link, store.SourceTenant, l)
	}
	if got.FirstName != "Megan" || got.PrimaryEmail != "Megan.Bowen@contoso.com" || got.OfficePhone != "+1 425 555 0109" {
		t.Errorf("NewContact() = %+v, want Megan's fields", got)
	}
}

func TestMergeUser(t *testing.T) {
	t.Parallel()
	local := store.Contact{
		ID: 2, FirstName: "Meg", LastName: "Bowen", Title: "Marketing", PrimaryEmail: "Megan.Bowen@contoso.com",
		OtherEmails: []string{"megan.bowen@gmail.com", "megan@contoso.com", "meganb@contoso.onmicrosoft.com"},
		OfficePhone: "+1 425 555 0100", Mobile: "+1 425 555 0000", Notes: "prefers Teams",
	}
	blank := megan
	blank.JobTitle, blank.MobilePhone, blank.BusinessPhones, blank.GivenName, blank.Surname = "", "", nil, "", ""
	blank.DisplayName, blank.ProxyAddresses, blank.OtherMails = "", nil, nil
	locked := local
	locked.Locked = []string{store.FieldTitle, store.FieldMobile}
	tests := []struct {
		name    string
		contact store.Contact
		user    store.DirectoryUser
		want    store.Contact
		changes []store.FieldChange
		kept    []store.FieldChange
	}{
		{
			name: "updates what changed; reordered e-mails are no change", contact: local, user: megan,
			want: func() store.Contact {
				c := local
				c.FirstName, c.Title, c.OfficePhone, c.Mobile = "Megan", "Marketing Manager", "+1 425 555 0109", "+1 425 555 0199"
				return c
			}(),
			changes: []store.FieldChange{
				{Field: store.FieldFirstName, Old: "Meg", New: "Megan"},
				{Field: store.FieldTitle, Old: "Marketing", New: "Marketing Manager"},
				{Field: store.FieldOfficePhone, Old: "+1 425 555 0100", New: "+1 425 555 0109"},
				{Field: store.FieldMobile, Old: "+1 425 555 0000", New: "+1 425 555 0199"},
			},
		},
		{name: "blank never overwrites", contact: local, user: blank, want: local},
		{
			name: "locked fields kept and reported", contact: locked, user: megan,
			want: func() store.Contact {
				c := locked
				c.FirstName, c.OfficePhone = "Megan", "+1 425 555 0109"
				return c
			}(),
			changes: []store.FieldChange{
				{Field: store.FieldFirstName, Old: "Meg", New: "Megan"},
				{Field: store.FieldOfficePhone, Old: "+1 425 555 0100", New: "+1 425 555 0109"},
			},
			kept: []store.FieldChange{
				{Field: store.FieldTitle, Old: "Marketing", New: "Marketing Manager"},
				{Field: store.FieldMobile, Old: "+1 425 555 0000", New: "+1 425 555 0199"},
			},
		},
		{
			name: "other e-mails replaced", contact: store.Contact{PrimaryEmail: "Megan.Bowen@contoso.com", OtherEmails: []string{"old@contoso.com"}},
			user: store.DirectoryUser{Mail: "Megan.Bowen@contoso.com", ProxyAddresses: []string{"smtp:megan@contoso.com"}},
			want: store.Contact{PrimaryEmail: "Megan.Bowen@contoso.com", OtherEmails: []string{"megan@contoso.com"}},
			changes: []store.FieldChange{
				{Field: store.FieldOtherEmails, Old: "old@contoso.com", New: "megan@contoso.com"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.contact
			got, m := MergeUser(tt.contact, &tt.user)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeUser() contact = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(m.Changes, tt.changes) {
				t.Errorf("MergeUser() changes = %+v, want %+v", m.Changes, tt.changes)
			}
			if !reflect.DeepEqual(m.Locked, tt.kept) {
				t.Errorf("MergeUser() locked differences = %+v, want %+v", m.Locked, tt.kept)
			}
			if !reflect.DeepEqual(tt.contact, before) {
				t.Errorf("MergeUser() modified its argument: %+v, was %+v", tt.contact, before)
			}
		})
	}
}

func TestSetFlag(t *testing.T) {
	t.Parallel()
	c := store.Contact{Flags: []string{store.FlagAmbiguous}}
	c2, changed := SetFlag(c, store.FlagLeaver, true)
	if !changed || !c2.HasFlag(store.FlagLeaver) || !c2.HasFlag(store.FlagAmbiguous) {
		t.Errorf("SetFlag(leaver, on) = %v, %v, want both flags, changed", c2.Flags, changed)
	}
	if _, changed := SetFlag(c2, store.FlagLeaver, true); changed {
		t.Errorf("SetFlag(leaver, on) twice changed = true, want false")
	}
	c3, changed := SetFlag(c2, store.FlagLeaver, false)
	if !changed || c3.HasFlag(store.FlagLeaver) || !reflect.DeepEqual(c.Flags, []string{store.FlagAmbiguous}) {
		t.Errorf("SetFlag(leaver, off) = %v, %v (original %v), want [ambiguous], changed, original untouched", c3.Flags, changed, c.Flags)
	}
}
