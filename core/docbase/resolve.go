package docbase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// UserChoice is one Microsoft 365 user an ambiguous contact could be, with
// what tells users apart: username, e-mail aliases and licenses.
type UserChoice struct {
	ConnectionID string
	TenantID     string
	TenantName   string
	User         store.DirectoryUser
	Aliases      []string // the user's e-mail addresses besides the username
	Licenses     []string // the names of the SKUs assigned to the user
	Rule         match.Rule
	Via          string // the address or name that matched the contact
}

// ErrAlreadyLinked refuses to resolve a contact that already follows a user.
var ErrAlreadyLinked = errors.New("the contact is already synced from a Microsoft 365 user")

// ErrNotACandidate refuses a user the contact does not match, or one another
// contact already follows.
var ErrNotACandidate = errors.New("the user is not one this contact could be")

// UserChoices lists the users of the tenants matched to the contact's
// organization that the contact matches by e-mail, username or name and that
// no other contact follows, strongest match first.
func (s *Service) UserChoices(ctx context.Context, contactID uint64) ([]UserChoice, error) {
	var out []UserChoice
	err := s.store.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Contact(contactID)
		if err != nil {
			return err
		}
		if c.Link != nil {
			return ErrAlreadyLinked
		}
		out, err = userChoices(tx, &c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find the users contact %d could be: %w", contactID, err)
	}
	return out, nil
}

func userChoices(tx *store.Tx, c *store.Contact) ([]UserChoice, error) {
	matched, err := matchedTenants(tx)
	if err != nil {
		return nil, err
	}
	var out []UserChoice
	for _, t := range matched[c.OrgID] {
		m, err := tx.Mirror(t.ConnectionID, t.TenantID)
		if err != nil {
			return nil, err
		}
		var users []store.DirectoryUser
		if err := m.ForEachUser(func(u *store.DirectoryUser) error {
			users = append(users, *u)
			return nil
		}); err != nil {
			return nil, err
		}
		linked := func(oid string) bool {
			id, ok := tx.ContactByObjectID(t.TenantID, oid)
			return ok && id != c.ID
		}
		cands := match.CandidateUsers(*c, users, linked)
		if len(cands) == 0 {
			continue
		}
		licenses, err := m.Licenses()
		if err != nil {
			return nil, err
		}
		for _, cand := range cands {
			out = append(out, UserChoice{
				ConnectionID: t.ConnectionID, TenantID: t.TenantID, TenantName: t.DisplayName,
				User: cand.User, Aliases: aliasesOf(&cand.User), Licenses: licenseNames(licenses, cand.User.SKUs),
				Rule: cand.Rule, Via: cand.Via,
			})
		}
	}
	return out, nil
}

// aliasesOf is the user's e-mail addresses other than the username.
func aliasesOf(u *store.DirectoryUser) []string {
	f := match.UserFields(u)
	all := append([]string{f.PrimaryEmail}, f.OtherEmails...)
	return slices.DeleteFunc(all, func(e string) bool { return e == "" || strings.EqualFold(e, u.UPN) })
}

func licenseNames(licenses []store.License, skus []string) []string {
	var out []string
	for _, l := range licenses {
		if !slices.Contains(skus, l.SKUID) {
			continue
		}
		name := l.FriendlyName
		if name == "" {
			name = l.PartNumber
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Resolve tells tenantsync which user an ambiguous contact is: the contact
// is linked to the user, refreshed from it (locked fields kept), no longer
// flagged ambiguous, and the choice is in its history. From then on sync
// follows the user by its object id. Other contacts flagged because of the
// same user keep their flag until the next full sync finds them unclaimed.
func (s *Service) Resolve(ctx context.Context, contactID uint64, choice UserChoice) (store.Contact, error) {
	var c store.Contact
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.Contact(contactID); err != nil {
			return err
		}
		if c.Link != nil {
			return ErrAlreadyLinked
		}
		choices, err := userChoices(tx, &c)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(choices, func(u UserChoice) bool {
			return u.ConnectionID == choice.ConnectionID && strings.EqualFold(u.TenantID, choice.TenantID) &&
				strings.EqualFold(u.User.ObjectID, choice.User.ObjectID)
		})
		if i < 0 {
			return ErrNotACandidate
		}
		picked := choices[i]
		c.Link = &store.MSLink{ConnectionID: picked.ConnectionID, TenantID: picked.TenantID, ObjectID: picked.User.ObjectID}
		var merged match.Merge
		c, merged = match.MergeUser(c, &picked.User)
		c, _ = match.SetFlag(c, store.FlagAmbiguous, false)
		if err := tx.PutContact(&c); err != nil {
			return err
		}
		reason := fmt.Sprintf("is %s (matched by %s %s; %d users could be this contact)", picked.User.UPN, picked.Rule, picked.Via, len(choices))
		return tx.AddHistory(store.Change{ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeResolved,
			Fields: merged.Changes, Reason: reason, By: s.by()})
	})
	if err != nil {
		return store.Contact{}, fmt.Errorf("resolve contact %d: %w", contactID, err)
	}
	s.Publish(Change{ContactIDs: []uint64{contactID}})
	return c, nil
}
