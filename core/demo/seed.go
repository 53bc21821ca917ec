package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// How the demo documents each simulated customer, by position: some
// organizations carry the tenant's exact name (matched on the first sync),
// some a variant (a suggestion to accept), two share a name (an ambiguous
// suggestion), and some tenants have no organization at all (create one).
type seedKind int

const (
	seedExact seedKind = iota
	seedVariant
	seedAmbiguous
	seedNone
)

var seedPlan = []seedKind{seedVariant, seedExact, seedVariant, seedExact, seedVariant, seedNone,
	seedExact, seedAmbiguous, seedNone, seedExact, seedNone, seedExact}

// seedKindOf is how the demo documents the i-th customer.
func seedKindOf(i int) seedKind {
	if i < len(seedPlan) {
		return seedPlan[i]
	}
	return seedNone
}

// documented says the customer's organizations carry its domain and
// contacts, so a sync matches its users to them.
func (k seedKind) documented() bool { return k == seedExact || k == seedVariant }

// LockedTitle is the job title the demo pins on one contact, so the contact
// overlay shows a local value that differs from Microsoft's.
const LockedTitle = "Practice Manager (agreed with customer)"

// Seed writes the demo's local documentation: organizations that partly
// match the simulated tenants, contacts whose e-mails equal some users'
// addresses (one with a locked title that differs from Microsoft), and a few
// organizations and contacts that exist only locally.
func Seed(ctx context.Context, s *store.Store, sim *m365sim.Server) error {
	customers := sim.Customers()
	err := s.Update(ctx, func(tx *store.Tx) error {
		sd := seeder{tx: tx, sim: sim}
		for i, cu := range customers {
			if err := sd.customer(i, cu); err != nil {
				return err
			}
		}
		return seedLocalOrgs(tx)
	})
	if err != nil {
		return fmt.Errorf("demo: seed the documentation: %w", err)
	}
	return nil
}

// seeder writes the documentation of the simulated customers in one
// transaction.
type seeder struct {
	tx     *store.Tx
	sim    *m365sim.Server
	locked bool // the one contact with a locked title is written
}

// customer writes the organizations the demo keeps for the i-th customer
// and, where they are documented, their contacts.
func (sd *seeder) customer(i int, cu m365sim.TenantInfo) error {
	kind := seedKindOf(i)
	for _, name := range orgNames(kind, cu.DisplayName) {
		org := store.Organization{Name: name, Type: "Customer", Status: "Active", Source: store.SourceImported}
		if kind.documented() {
			org.Domains = []string{cu.DefaultDomain}
		}
		if err := sd.tx.PutOrg(&org); err != nil {
			return err
		}
		if !kind.documented() {
			continue
		}
		users, err := keyUsers(sd.sim, cu.ID, 4)
		if err != nil {
			return err
		}
		lock := kind == seedExact && !sd.locked
		contacts := orgContacts(org.ID, kind, users, lock)
		if slices.ContainsFunc(contacts, func(c store.Contact) bool { return len(c.Locked) > 0 }) {
			sd.locked = true
		}
		contacts = append(contacts, outsourcedContact(org.ID, i))
		for j := range contacts {
			if err := sd.tx.PutContact(&contacts[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// orgNames are the names of the organizations the demo keeps for a
// customer named display.
func orgNames(kind seedKind, display string) []string {
	switch kind {
	case seedExact:
		return []string{display}
	case seedVariant:
		return []string{variantName(display)}
	case seedAmbiguous:
		return []string{display + " (London office)", display + " (Seattle office)"}
	}
	return nil
}

// seedUser is a licensed, enabled member of a simulated tenant, as a
// customer's documentation would name them.
type seedUser struct {
	first, last, mail string
}

// keyUsers returns up to n members of a tenant that a customer's
// documentation would list: enabled, licensed, with a mail and a full name.
func keyUsers(sim *m365sim.Server, tenantID string, n int) ([]seedUser, error) {
	users, err := sim.Control().Users(tenantID)
	if err != nil {
		return nil, err
	}
	var out []seedUser
	for _, u := range users {
		if u.Kind != "member" || !u.AccountEnabled || len(u.Licenses) == 0 || u.Mail == "" || u.GivenName == "" || u.Surname == "" {
			continue
		}
		out = append(out, seedUser{u.GivenName, u.Surname, u.Mail})
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// orgContacts are the contacts an organization's documentation holds for
// its users, in the order they are written. Under an exact name, a fourth
// user is written twice without the address Microsoft knows; with lock,
// the first contact has a locked title that differs from Microsoft's.
func orgContacts(orgID uint64, kind seedKind, users []seedUser, lock bool) []store.Contact {
	var out []store.Contact
	if kind == seedExact && len(users) == 4 {
		// Two entries for one person, neither with the address
		// Microsoft knows: sync cannot tell which is the user and flags
		// both as ambiguous.
		u := users[3]
		for _, mail := range []string{"", strings.ToLower(u.first) + "@home.example"} {
			out = append(out, store.Contact{OrgID: orgID, FirstName: u.first, LastName: u.last, PrimaryEmail: mail, Source: store.SourceImported})
		}
		users = users[:3]
	}
	for j, u := range users {
		c := store.Contact{OrgID: orgID, FirstName: u.first, LastName: u.last, PrimaryEmail: u.mail,
			Title: "Key contact", Source: store.SourceImported}
		if lock && j == 0 {
			c.Title = LockedTitle
			c.Locked = []string{store.FieldTitle}
		}
		out = append(out, c)
	}
	return out
}

// outsourcedContact is someone the i-th customer works with who has no
// account in its tenant: a contact that stays local.
func outsourcedContact(orgID uint64, i int) store.Contact {
	return store.Contact{OrgID: orgID, FirstName: "Robin", LastName: fmt.Sprintf("Outsourced %d", i+1),
		Title: "External bookkeeper", PrimaryEmail: fmt.Sprintf("robin%d@bookkeeping.example", i+1),
		OfficePhone: "+44 20 7946 0" + fmt.Sprintf("%03d", i), Source: store.SourceManual}
}

// seedLocalOrgs writes organizations that exist only locally, with two
// contacts each.
func seedLocalOrgs(tx *store.Tx) error {
	for _, name := range []string{"Blue Yonder Airlines", "Proseware, Inc.", "Litware Inc.", "Graphic Design Institute"} {
		org := store.Organization{Name: name, Type: "Customer", Status: "Active", Source: store.SourceManual}
		if err := tx.PutOrg(&org); err != nil {
			return err
		}
		slug := strings.ToLower(strings.NewReplacer(" ", "", ",", "", ".", "").Replace(name))
		for k, person := range [][2]string{{"Alex", "Johnson"}, {"Sam", "Taylor"}} {
			c := store.Contact{OrgID: org.ID, FirstName: person[0], LastName: person[1], Title: []string{"Owner", "Office Manager"}[k],
				PrimaryEmail: strings.ToLower(person[0]) + "@" + slug + ".example", Mobile: fmt.Sprintf("+1 555 01%02d", k+10), Source: store.SourceManual}
			if err := tx.PutContact(&c); err != nil {
				return err
			}
		}
	}
	return nil
}

// variantName is how a technician might have typed a customer's name.
func variantName(name string) string {
	switch {
	case strings.HasSuffix(name, " Ltd"):
		return strings.TrimSuffix(name, " Ltd") + " Limited"
	case strings.Contains(name, "&"):
		return strings.ReplaceAll(name, "&", "and")
	case strings.HasSuffix(name, ", Inc."):
		return strings.TrimSuffix(name, ", Inc.") + " Inc"
	case strings.HasSuffix(name, " GmbH"):
		return strings.TrimSuffix(name, " GmbH")
	}
	return name + " Group"
}
