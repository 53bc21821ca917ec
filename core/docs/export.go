package docs

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Export kinds.
const (
	KindOrganizations = "organizations"
	KindContacts      = "contacts"
)

var (
	orgHeader     = []string{"Organization", "Short Name", "Type", "Status", "Domains", "Notes"}
	contactHeader = []string{"Organization", "First Name", "Last Name", "Title", "Email", "Other Emails", "Office Phone", "Mobile", "Notes", "Source", "Leaver", "Entra Object ID"}
)

// ExportCSV writes organizations or contacts as CSV with a header row that
// ImportCSV reads back.
func ExportCSV(ctx context.Context, s *store.Store, w io.Writer, kind string) error {
	cw := csv.NewWriter(w)
	err := s.View(ctx, func(tx *store.Tx) error {
		orgs, err := tx.Orgs()
		if err != nil {
			return err
		}
		switch kind {
		case KindOrganizations:
			if err := cw.Write(orgHeader); err != nil {
				return err
			}
			for _, o := range orgs {
				if err := cw.Write([]string{o.Name, o.ShortName, o.Type, o.Status, strings.Join(o.Domains, "; "), o.Notes}); err != nil {
					return err
				}
			}
		case KindContacts:
			if err := cw.Write(contactHeader); err != nil {
				return err
			}
			for _, o := range orgs {
				contacts, err := tx.OrgContacts(o.ID)
				if err != nil {
					return err
				}
				for _, c := range contacts {
					leaver, oid := "", ""
					if c.HasFlag(store.FlagLeaver) {
						leaver = "yes"
					}
					if c.Link != nil {
						oid = c.Link.ObjectID
					}
					rec := []string{o.Name, c.FirstName, c.LastName, c.Title, c.PrimaryEmail, strings.Join(c.OtherEmails, "; "),
						c.OfficePhone, c.Mobile, c.Notes, string(c.Source), leaver, oid}
					if err := cw.Write(rec); err != nil {
						return err
					}
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("export %q: unknown kind (want %s or %s)", kind, KindOrganizations, KindContacts)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ExportJSON writes every organization and contact as a Document.
func ExportJSON(ctx context.Context, s *store.Store, w io.Writer) error {
	doc := Document{Organizations: []OrgJSON{}, Contacts: []ContactJSON{}}
	err := s.View(ctx, func(tx *store.Tx) error {
		orgs, err := tx.Orgs()
		if err != nil {
			return err
		}
		for _, o := range orgs {
			doc.Organizations = append(doc.Organizations, OrgJSON{Name: o.Name, ShortName: o.ShortName, Type: o.Type, Status: o.Status, Domains: o.Domains, Notes: o.Notes})
			contacts, err := tx.OrgContacts(o.ID)
			if err != nil {
				return err
			}
			for _, c := range contacts {
				doc.Contacts = append(doc.Contacts, ContactJSON{Organization: o.Name, FirstName: c.FirstName, LastName: c.LastName, Title: c.Title,
					Email: c.PrimaryEmail, OtherEmails: c.OtherEmails, OfficePhone: c.OfficePhone, Mobile: c.Mobile, Notes: c.Notes})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
