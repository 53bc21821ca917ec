package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// How the demo documents each simulated customer, by position: some
// organizations carry the tenant's exact name (matched on the first sync),
// some a variant (a suggestion to accept), two share a name (an ambiguous
// suggestion), and some tenants have no organization at all (create one).
const (
	seedExact = iota
	seedVariant
	seedAmbiguous
	seedNone
)

var seedPlan = []int{seedVariant, seedExact, seedVariant, seedExact, seedVariant, seedNone,
	seedExact, seedAmbiguous, seedNone, seedExact, seedNone, seedExact}

// LockedTitle is the job title the demo pins on one contact, so the contact
// overlay shows a local value that differs from Microsoft's.
const LockedTitle = "Practice Manager (agreed with customer)"

// Seed writes the demo's local documentation: organizations that partly
// match the simulated tenants, contacts whose e-mails equal some users'
// addresses (one with a locked title that differs from Microsoft), and a few
// organizations and contacts that exist only locally.
func Seed(ctx context.Context, s *store.Store, sim *m365sim.Server) error {
	type seedUser struct {
		first, last, mail string
	}
	customers := sim.Customers()
	usersOf := func(tenantID string, n int) ([]seedUser, error) {
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
	lockedDone := false
	err := s.Update(ctx, func(tx *store.Tx) error {
		for i, cu := range customers {
			plan := seedNone
			if i < len(seedPlan) {
				plan = seedPlan[i]
			}
			var names []string
			switch plan {
			case seedExact:
				names = []string{cu.DisplayName}
			case seedVariant:
				names = []string{variantName(cu.DisplayName)}
			case seedAmbiguous:
				names = []string{cu.DisplayName + " (London office)", cu.DisplayName + " (Seattle office)"}
			}
			for _, name := range names {
				org := store.Organization{Name: name, Type: "Customer", Status: "Active", Source: store.SourceImported}
				if plan == seedExact || plan == seedVariant {
					org.Domains = []string{cu.DefaultDomain}
				}
				if err := tx.PutOrg(&org); err != nil {
					return err
				}
				if plan != seedExact && plan != seedVariant {
					continue
				}
				users, err := usersOf(cu.ID, 4)
				if err != nil {
					return err
				}
				if plan == seedExact && len(users) == 4 {
					// Two entries for one person, neither with the address
					// Microsoft knows: sync cannot tell which is the user
					// and flags both as ambiguous.
					u := users[3]
					for _, mail := range []string{"", strings.ToLower(u.first) + "@home.example"} {
						c := store.Contact{OrgID: org.ID, FirstName: u.first, LastName: u.last, PrimaryEmail: mail, Source: store.SourceImported}
						if err := tx.PutContact(&c); err != nil {
							return err
						}
					}
					users = users[:3]
				}
				for j, u := range users {
					c := store.Contact{OrgID: org.ID, FirstName: u.first, LastName: u.last, PrimaryEmail: u.mail,
						Title: "Key contact", Source: store.SourceImported}
					if plan == seedExact && j == 0 && !lockedDone {
						c.Title = LockedTitle
						c.Locked = []string{store.FieldTitle}
						lockedDone = true
					}
					if err := tx.PutContact(&c); err != nil {
						return err
					}
				}
				// Someone the customer works with who has no account in
				// their tenant: a contact that stays local.
				local := store.Contact{OrgID: org.ID, FirstName: "Robin", LastName: fmt.Sprintf("Outsourced %d", i+1),
					Title: "External bookkeeper", PrimaryEmail: fmt.Sprintf("robin%d@bookkeeping.example", i+1),
					OfficePhone: "+44 20 7946 0" + fmt.Sprintf("%03d", i), Source: store.SourceManual}
				if err := tx.PutContact(&local); err != nil {
					return err
				}
			}
		}
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
	})
	if err != nil {
		return fmt.Errorf("demo: seed the documentation: %w", err)
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
