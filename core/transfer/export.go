package transfer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
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

// formulaStart holds the characters that make a spreadsheet read a cell as
// a formula when they come first (OWASP, CSV Injection).
const formulaStart = "=+-@\t\r"

// neutralizeFormula makes a cell that a spreadsheet would run as a formula
// plain text by putting a single quote before it, as OWASP recommends. A
// cell whose value already starts with quotes before such a character gets
// one more, so that unneutralizeFormula gives every value back exactly.
func neutralizeFormula(cell string) string {
	if rest := strings.TrimLeft(cell, "'"); rest != "" && strings.IndexByte(formulaStart, rest[0]) >= 0 {
		return "'" + cell
	}
	return cell
}

// unneutralizeFormula undoes neutralizeFormula on import: one single quote
// goes when what follows the quotes would be a formula. Such a quote is the
// text marker of a spreadsheet or of an exporter that follows OWASP, never
// part of a name or a number, so files from other tools lose it too.
func unneutralizeFormula(cell string) string {
	if strings.HasPrefix(cell, "'") && neutralizeFormula(cell[1:]) == cell {
		return cell[1:]
	}
	return cell
}

// csvWriter writes records with every cell neutralized.
type csvWriter struct{ *csv.Writer }

func (w csvWriter) Write(rec []string) error {
	for i := range rec {
		rec[i] = neutralizeFormula(rec[i])
	}
	return w.Writer.Write(rec)
}

// ExportCSV writes organizations or contacts as CSV with a header row that
// ImportCSV reads back. Cells that a spreadsheet would take for a formula
// are written with a leading single quote (see neutralizeFormula).
//
// Records the database cannot read are left out and reported to skipped
// (nil: ignored), so one damaged record does not block the way out.
func ExportCSV(ctx context.Context, s *store.Store, w io.Writer, kind string, skipped func(what string, err error)) error {
	cw := csvWriter{csv.NewWriter(w)}
	err := s.ViewSalvaging(ctx, orIgnore(skipped), func(tx *store.Tx) error {
		orgs, err := tx.Orgs()
		if err != nil {
			return err
		}
		switch kind {
		case KindOrganizations:
			if err := cw.Write(slices.Clone(orgHeader)); err != nil {
				return err
			}
			for _, o := range orgs {
				if err := cw.Write([]string{o.Name, o.ShortName, o.Type, o.Status, strings.Join(o.Domains, "; "), o.Notes}); err != nil {
					return err
				}
			}
		case KindContacts:
			if err := cw.Write(slices.Clone(contactHeader)); err != nil {
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
// Unreadable records are skipped and reported as with ExportCSV.
func ExportJSON(ctx context.Context, s *store.Store, w io.Writer, skipped func(what string, err error)) error {
	doc := Document{Organizations: []OrgJSON{}, Contacts: []ContactJSON{}}
	err := s.ViewSalvaging(ctx, orIgnore(skipped), func(tx *store.Tx) error {
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

func orIgnore(f func(string, error)) func(string, error) {
	if f == nil {
		return func(string, error) {}
	}
	return f
}
