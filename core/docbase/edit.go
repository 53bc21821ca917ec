package docbase

import (
	"context"
	"fmt"
	"os/user"
	"slices"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Technician is who sits at this computer, for history: the OS user's
// full name, else their login.
func Technician() string {
	if u, err := user.Current(); err == nil {
		if u.Name != "" {
			return u.Name
		}
		if u.Username != "" {
			return u.Username
		}
	}
	return "the technician"
}

// OrgFields are an organization's fields as a form holds them; Domains is
// a comma-separated list.
type OrgFields struct {
	Name, ShortName, Type, Status, Domains, Notes string
}

// FieldsOfOrg is what a form shows for an organization.
func FieldsOfOrg(o store.Organization) OrgFields {
	return OrgFields{Name: o.Name, ShortName: o.ShortName, Type: o.Type, Status: o.Status,
		Domains: strings.Join(o.Domains, ", "), Notes: o.Notes}
}

func (f OrgFields) apply(o *store.Organization) []string {
	o.Name, o.ShortName, o.Type, o.Status = strings.TrimSpace(f.Name), strings.TrimSpace(f.ShortName), strings.TrimSpace(f.Type), strings.TrimSpace(f.Status)
	o.Notes = strings.TrimSpace(f.Notes)
	o.Domains = SplitList(f.Domains)
	return CheckOrg(o)
}

// AddOrg creates an organization the technician typed in.
func (s *Service) AddOrg(ctx context.Context, f OrgFields) (store.Organization, error) {
	o := store.Organization{Source: store.SourceManual}
	if bad := f.apply(&o); len(bad) > 0 {
		return store.Organization{}, fmt.Errorf("add organization: %w", &Invalid{bad})
	}
	if err := s.store.Update(ctx, func(tx *store.Tx) error { return tx.PutOrg(&o) }); err != nil {
		return store.Organization{}, fmt.Errorf("add organization %q: %w", o.Name, err)
	}
	s.Publish(Change{OrgIDs: []uint64{o.ID}})
	return o, nil
}

// UpdateOrg saves the technician's edit of an organization.
func (s *Service) UpdateOrg(ctx context.Context, id uint64, f OrgFields) (store.Organization, error) {
	var o store.Organization
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if o, err = tx.Org(id); err != nil {
			return err
		}
		if bad := f.apply(&o); len(bad) > 0 {
			return &Invalid{bad}
		}
		return tx.PutOrg(&o)
	})
	if err != nil {
		return store.Organization{}, fmt.Errorf("save organization %d: %w", id, err)
	}
	s.Publish(Change{OrgIDs: []uint64{id}})
	return o, nil
}

// ContactFields are a contact's fields as a form holds them; OtherEmails
// is a comma-separated list.
type ContactFields struct {
	FirstName, LastName, Title, PrimaryEmail, OtherEmails, OfficePhone, Mobile, Notes string
}

// FieldsOfContact is what a form shows for a contact.
func FieldsOfContact(c store.Contact) ContactFields {
	return ContactFields{FirstName: c.FirstName, LastName: c.LastName, Title: c.Title, PrimaryEmail: c.PrimaryEmail,
		OtherEmails: strings.Join(c.OtherEmails, ", "), OfficePhone: c.OfficePhone, Mobile: c.Mobile, Notes: c.Notes}
}

func (f ContactFields) apply(c *store.Contact) []string {
	c.FirstName, c.LastName, c.Title = strings.TrimSpace(f.FirstName), strings.TrimSpace(f.LastName), strings.TrimSpace(f.Title)
	c.PrimaryEmail, c.OtherEmails = strings.TrimSpace(f.PrimaryEmail), SplitList(f.OtherEmails)
	c.OfficePhone, c.Mobile, c.Notes = strings.TrimSpace(f.OfficePhone), strings.TrimSpace(f.Mobile), strings.TrimSpace(f.Notes)
	return CheckContact(c)
}

// fieldNotes is the history name of a contact's notes, which sync never
// writes and so never locks.
const fieldNotes = "notes"

// contactValues are a contact's fields by history name.
func contactValues(c *store.Contact) map[string]string {
	return map[string]string{
		store.FieldFirstName: c.FirstName, store.FieldLastName: c.LastName, store.FieldTitle: c.Title,
		store.FieldPrimaryEmail: c.PrimaryEmail, store.FieldOtherEmails: strings.Join(c.OtherEmails, ", "),
		store.FieldOfficePhone: c.OfficePhone, store.FieldMobile: c.Mobile, fieldNotes: c.Notes,
	}
}

// changedFields lists the fields that differ between two versions of a
// contact, in the order an overlay shows them.
func changedFields(old, new *store.Contact) []store.FieldChange {
	a, b := contactValues(old), contactValues(new)
	var out []store.FieldChange
	for _, f := range append(slices.Clone(Fields), fieldNotes) {
		if a[f] != b[f] {
			out = append(out, store.FieldChange{Field: f, Old: a[f], New: b[f]})
		}
	}
	return out
}

// AddContact creates a contact the technician typed in, in an organization.
func (s *Service) AddContact(ctx context.Context, orgID uint64, f ContactFields) (store.Contact, error) {
	c := store.Contact{OrgID: orgID, Source: store.SourceManual}
	if bad := f.apply(&c); len(bad) > 0 {
		return store.Contact{}, fmt.Errorf("add contact: %w", &Invalid{bad})
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutContact(&c); err != nil {
			return err
		}
		return tx.AddHistory(store.Change{ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeCreated,
			Reason: "added by hand", By: s.by()})
	})
	if err != nil {
		return store.Contact{}, fmt.Errorf("add contact %q: %w", c.Name(), err)
	}
	s.Publish(Change{OrgIDs: []uint64{orgID}, ContactIDs: []uint64{c.ID}})
	return c, nil
}

// UpdateContact saves the technician's edit of a contact and records the
// changed fields in its history. A changed field of a contact linked to
// Microsoft 365 is locked, so the next sync keeps the technician's value
// and the overlay shows Microsoft's beside it. Saving without a change
// writes nothing.
func (s *Service) UpdateContact(ctx context.Context, id uint64, f ContactFields) (store.Contact, error) {
	return s.editContact(ctx, id, func(c *store.Contact) []string { return f.apply(c) })
}

// editContact applies a technician's edit to one contact in a transaction,
// locks the changed synced fields of a linked contact, records the edit in
// history and publishes it once committed.
func (s *Service) editContact(ctx context.Context, id uint64, edit func(c *store.Contact) []string) (store.Contact, error) {
	var c store.Contact
	changed := false
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		old, err := tx.Contact(id)
		if err != nil {
			return err
		}
		c = old
		c.OtherEmails = slices.Clone(old.OtherEmails)
		c.Locked = slices.Clone(old.Locked)
		if bad := edit(&c); len(bad) > 0 {
			return &Invalid{bad}
		}
		fields := changedFields(&old, &c)
		if len(fields) == 0 {
			return nil
		}
		changed = true
		if c.Link != nil {
			for _, fc := range fields {
				if slices.Contains(Fields, fc.Field) {
					setLock(&c, fc.Field, true)
				}
			}
		}
		if err := tx.PutContact(&c); err != nil {
			return err
		}
		return tx.AddHistory(store.Change{ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeEdited, Fields: fields, By: s.by()})
	})
	if err != nil {
		return store.Contact{}, fmt.Errorf("save contact %d: %w", id, err)
	}
	if changed {
		s.Publish(Change{ContactIDs: []uint64{id}})
	}
	return c, nil
}
