package match

import (
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Fields are the contact fields Microsoft 365 supplies for a user.
type Fields struct {
	FirstName    string
	LastName     string
	Title        string
	PrimaryEmail string
	OtherEmails  []string
	OfficePhone  string
	Mobile       string
}

// UserFields maps a directory user to contact fields (DESIGN.md, "Data
// model"): given name and surname, else the display name split; job title;
// first business phone; mobile; mail, else the UPN; the smtp aliases and
// other mails, deduplicated, without the primary.
func UserFields(u *store.DirectoryUser) Fields {
	f := Fields{Title: strings.TrimSpace(u.JobTitle), Mobile: strings.TrimSpace(u.MobilePhone)}
	f.FirstName, f.LastName = userName(u)
	for _, p := range u.BusinessPhones {
		if p = strings.TrimSpace(p); p != "" {
			f.OfficePhone = p
			break
		}
	}
	f.PrimaryEmail = strings.TrimSpace(u.Mail)
	if f.PrimaryEmail == "" {
		f.PrimaryEmail = strings.TrimSpace(u.UPN)
	}
	seen := []string{strings.ToLower(f.PrimaryEmail)}
	for _, e := range rawAliases(u) {
		if e != "" && indexOf(seen, strings.ToLower(e)) < 0 {
			seen = append(seen, strings.ToLower(e))
			f.OtherEmails = append(f.OtherEmails, e)
		}
	}
	return f
}

// NewContact is the contact created for a user nothing matched, in the
// organization orgID, linked to the user. The caller sets ID and times.
func NewContact(orgID uint64, link store.MSLink, u *store.DirectoryUser) store.Contact {
	f := UserFields(u)
	return store.Contact{
		OrgID:        orgID,
		FirstName:    f.FirstName,
		LastName:     f.LastName,
		Title:        f.Title,
		PrimaryEmail: f.PrimaryEmail,
		OtherEmails:  f.OtherEmails,
		OfficePhone:  f.OfficePhone,
		Mobile:       f.Mobile,
		Source:       store.SourceTenant,
		Link:         &link,
	}
}

// Merge is what refreshing a contact from its user did.
type Merge struct {
	// Changes are the fields updated, old and new value.
	Changes []store.FieldChange
	// Locked are the differences left in place because the technician locked
	// the field: Old is the contact's value, New is Microsoft's (the overlay).
	Locked []store.FieldChange
}

// Changed reports whether the merge changed the contact.
func (m Merge) Changed() bool { return len(m.Changes) > 0 }

// MergeUser refreshes c from u and returns the updated contact; c itself is
// not modified. A blank Microsoft value never overwrites a local one and a
// locked field is never overwritten. Other e-mails compare as a set, so a
// reordering is no change.
func MergeUser(c store.Contact, u *store.DirectoryUser) (store.Contact, Merge) {
	f := UserFields(u)
	var m Merge
	str := func(field string, local *string, remote string) {
		if remote == "" || *local == remote {
			return
		}
		fc := store.FieldChange{Field: field, Old: *local, New: remote}
		if c.IsLocked(field) {
			m.Locked = append(m.Locked, fc)
			return
		}
		m.Changes = append(m.Changes, fc)
		*local = remote
	}
	str(store.FieldFirstName, &c.FirstName, f.FirstName)
	str(store.FieldLastName, &c.LastName, f.LastName)
	str(store.FieldTitle, &c.Title, f.Title)
	str(store.FieldPrimaryEmail, &c.PrimaryEmail, f.PrimaryEmail)
	if len(f.OtherEmails) > 0 && !sameEmailSet(c.OtherEmails, f.OtherEmails) {
		fc := store.FieldChange{Field: store.FieldOtherEmails, Old: strings.Join(c.OtherEmails, ", "), New: strings.Join(f.OtherEmails, ", ")}
		if c.IsLocked(store.FieldOtherEmails) {
			m.Locked = append(m.Locked, fc)
		} else {
			m.Changes = append(m.Changes, fc)
			c.OtherEmails = append([]string(nil), f.OtherEmails...)
		}
	}
	str(store.FieldOfficePhone, &c.OfficePhone, f.OfficePhone)
	str(store.FieldMobile, &c.Mobile, f.Mobile)
	return c, m
}

func sameEmailSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if strings.EqualFold(x, y) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// SetFlag returns c with flag set (on) or cleared, and whether that changed
// anything. c's Flags slice is not modified in place.
func SetFlag(c store.Contact, flag string, on bool) (store.Contact, bool) {
	if c.HasFlag(flag) == on {
		return c, false
	}
	flags := make([]string, 0, len(c.Flags)+1)
	for _, f := range c.Flags {
		if f != flag {
			flags = append(flags, f)
		}
	}
	if on {
		flags = append(flags, flag)
	}
	if len(flags) == 0 {
		flags = nil
	}
	c.Flags = flags
	return c, true
}
