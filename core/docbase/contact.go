package docbase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// ContactDetail is one contact as its overlay shows it: the local record
// and, once linked, what Microsoft 365 holds for its user.
type ContactDetail struct {
	Contact store.Contact
	OrgName string
	History []store.Change // what sync changed, oldest first

	// Set for a linked contact; User is nil when the mirror no longer holds
	// the user (the connection was disconnected, or the user deleted).
	ConnectionName string
	TenantName     string
	User           *store.DirectoryUser
	Mailbox        *store.Mailbox
	Licenses       []store.License // the SKUs assigned to the user
	Devices        []store.Device  // the user's Intune managed devices
	// Connection is the one the contact is linked through (its mode and
	// cloud make the admin-center links); zero when it was removed.
	Connection store.Connection
	// Unknown says why values above are missing, where the sync knows.
	Unknown Unknown
}

// ContactDetail reads a contact and, when it is linked, its user's account,
// mailbox, licenses and devices from the tenant's mirror.
func (s *Service) ContactDetail(ctx context.Context, id uint64) (ContactDetail, error) {
	var d ContactDetail
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if d.Contact, err = tx.Contact(id); err != nil {
			return err
		}
		if d.OrgName, err = orgName(tx, d.Contact.OrgID); err != nil {
			return err
		}
		if d.History, err = tx.History(id); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if d.Contact.Link == nil {
			return nil
		}
		return readLinkedUser(tx, &d)
	})
	if err != nil {
		return ContactDetail{}, fmt.Errorf("read contact %d: %w", id, err)
	}
	return d, nil
}

// orgName is an organization's name; a contact whose organization is gone
// shows none.
func orgName(tx *store.Tx, id uint64) (string, error) {
	o, err := tx.Org(id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return o.Name, err
}

// readLinkedUser fills in what the mirror of a linked contact's tenant
// holds for its user.
func readLinkedUser(tx *store.Tx, d *ContactDetail) error {
	link := d.Contact.Link
	switch conn, err := tx.Connection(link.ConnectionID); {
	case err == nil:
		d.ConnectionName = conn.Name
		d.Connection = conn
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	switch t, err := tx.Tenant(link.ConnectionID, link.TenantID); {
	case err == nil:
		d.TenantName = t.DisplayName
		if d.Connection.ID != "" {
			d.Unknown = WhyUnknown(d.Connection.Settings, t)
		}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	m, err := tx.Mirror(link.ConnectionID, link.TenantID)
	if err != nil {
		return err
	}
	u, ok, err := m.User(link.ObjectID)
	if err != nil || !ok {
		return err
	}
	d.User = &u
	if mb, ok := m.Mailbox(u.UPN); ok {
		d.Mailbox = &mb
	}
	licenses, err := m.Licenses()
	if err != nil {
		return fmt.Errorf("licenses of tenant %s: %w", link.TenantID, err)
	}
	for _, l := range licenses {
		if slices.Contains(u.SKUs, l.SKUID) {
			d.Licenses = append(d.Licenses, l)
		}
	}
	devices, err := m.Devices()
	if err != nil {
		return fmt.Errorf("devices of tenant %s: %w", link.TenantID, err)
	}
	for _, dev := range devices {
		if strings.EqualFold(dev.UserUPN, u.UPN) {
			d.Devices = append(d.Devices, dev)
		}
	}
	return nil
}

// Fields are the contact fields a technician edits and locks, in the order
// an overlay shows them.
var Fields = []string{
	store.FieldFirstName, store.FieldLastName, store.FieldTitle, store.FieldPrimaryEmail,
	store.FieldOtherEmails, store.FieldOfficePhone, store.FieldMobile,
}

// ErrUnknownField is a field name that is not one of Fields.
var ErrUnknownField = errors.New("not a contact field")

// SetFieldLock pins a field (sync never overwrites it) or releases it, and
// tells subscribers the contact changed.
func (s *Service) SetFieldLock(ctx context.Context, contactID uint64, field string, locked bool) (store.Contact, error) {
	if !slices.Contains(Fields, field) {
		return store.Contact{}, fmt.Errorf("lock %q: %w", field, ErrUnknownField)
	}
	return s.updateContact(ctx, contactID, func(c *store.Contact) {
		setLock(c, field, locked)
	})
}

// SetField sets one field of a contact to the technician's value, as
// UpdateContact does: validated, locked on a linked contact, in history.
// Other e-mails are separated by commas.
func (s *Service) SetField(ctx context.Context, contactID uint64, field, value string) (store.Contact, error) {
	if !slices.Contains(Fields, field) {
		return store.Contact{}, fmt.Errorf("edit %q: %w", field, ErrUnknownField)
	}
	return s.editContact(ctx, contactID, func(c *store.Contact) []string {
		setField(c, field, strings.TrimSpace(value))
		return CheckContact(c)
	})
}

// updateContact changes one contact in a transaction and publishes the
// change once it is committed.
func (s *Service) updateContact(ctx context.Context, id uint64, change func(c *store.Contact)) (store.Contact, error) {
	var c store.Contact
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.Contact(id); err != nil {
			return err
		}
		change(&c)
		return tx.PutContact(&c)
	})
	if err != nil {
		return store.Contact{}, fmt.Errorf("save contact %d: %w", id, err)
	}
	s.Publish(Change{ContactIDs: []uint64{id}})
	return c, nil
}

func setLock(c *store.Contact, field string, locked bool) {
	c.Locked = slices.DeleteFunc(c.Locked, func(f string) bool { return f == field })
	if locked {
		c.Locked = append(c.Locked, field)
	}
}

func setField(c *store.Contact, field, value string) {
	switch field {
	case store.FieldFirstName:
		c.FirstName = value
	case store.FieldLastName:
		c.LastName = value
	case store.FieldTitle:
		c.Title = value
	case store.FieldPrimaryEmail:
		c.PrimaryEmail = value
	case store.FieldOtherEmails:
		c.OtherEmails = nil
		for _, e := range strings.Split(value, ",") {
			if e = strings.TrimSpace(e); e != "" {
				c.OtherEmails = append(c.OtherEmails, e)
			}
		}
	case store.FieldOfficePhone:
		c.OfficePhone = value
	case store.FieldMobile:
		c.Mobile = value
	}
}
