package docbase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Errors that refuse a merge.
var (
	ErrMergeSelf    = errors.New("a contact cannot be merged with itself")
	ErrMergeOrgs    = errors.New("the contacts are in different organizations")
	ErrMergeTwoUser = errors.New("both contacts are synced from Microsoft 365 users: they are different people")
)

// Merge folds contact drop into contact keep: keep's fields stay, its empty
// ones take drop's values, drop's e-mail addresses become keep's other
// e-mails, drop's notes are added to keep's, drop's history moves to keep,
// and when only drop follows a Microsoft 365 user keep follows it from now
// on. Drop is deleted. One transaction; keep's history says what came from
// where.
func (s *Service) Merge(ctx context.Context, keepID, dropID uint64) (store.Contact, error) {
	if keepID == dropID {
		return store.Contact{}, fmt.Errorf("merge contacts: %w", ErrMergeSelf)
	}
	var keep store.Contact
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if keep, err = tx.Contact(keepID); err != nil {
			return err
		}
		drop, err := tx.Contact(dropID)
		if err != nil {
			return err
		}
		if keep.OrgID != drop.OrgID {
			return ErrMergeOrgs
		}
		if keep.Link != nil && drop.Link != nil {
			return ErrMergeTwoUser
		}
		old := keep
		old.OtherEmails = slices.Clone(keep.OtherEmails)
		mergeInto(&keep, &drop)
		if bad := CheckContact(&keep); len(bad) > 0 {
			return &Invalid{bad}
		}
		// Drop goes first: its object id and e-mails are keep's now.
		if err := tx.MoveHistory(dropID, keepID); err != nil {
			return err
		}
		if err := tx.DeleteContact(dropID); err != nil {
			return err
		}
		if err := tx.PutContact(&keep); err != nil {
			return err
		}
		return tx.AddHistory(store.Change{ContactID: keepID, Contact: keep.Name(), Kind: store.ChangeMerged,
			Fields: changedFields(&old, &keep), Reason: "merged with " + drop.Name(), By: s.by()})
	})
	if err != nil {
		return store.Contact{}, fmt.Errorf("merge contact %d into %d: %w", dropID, keepID, err)
	}
	s.Publish(Change{OrgIDs: []uint64{keep.OrgID}, ContactIDs: []uint64{keepID, dropID}})
	return keep, nil
}

// mergeInto gives keep what drop has and keep lacks.
func mergeInto(keep, drop *store.Contact) {
	fill := func(dst *string, src string) {
		if strings.TrimSpace(*dst) == "" {
			*dst = src
		}
	}
	fill(&keep.FirstName, drop.FirstName)
	fill(&keep.LastName, drop.LastName)
	fill(&keep.Title, drop.Title)
	fill(&keep.OfficePhone, drop.OfficePhone)
	fill(&keep.Mobile, drop.Mobile)
	if keep.PrimaryEmail == "" {
		keep.PrimaryEmail = drop.PrimaryEmail
	}
	for _, e := range drop.Emails() {
		if e = strings.TrimSpace(e); e != "" && !slices.ContainsFunc(keep.Emails(), func(k string) bool { return strings.EqualFold(k, e) }) {
			keep.OtherEmails = append(keep.OtherEmails, e)
		}
	}
	switch {
	case drop.Notes == "":
	case keep.Notes == "":
		keep.Notes = drop.Notes
	default:
		keep.Notes += "\n\n" + drop.Notes
	}
	for _, f := range drop.Locked {
		setLock(keep, f, true)
	}
	if keep.Link == nil && drop.Link != nil {
		// Keep now is that user's contact: its sync flags come along.
		link := *drop.Link
		keep.Link = &link
		for _, f := range drop.Flags {
			if !keep.HasFlag(f) {
				keep.Flags = append(keep.Flags, f)
			}
		}
	}
	keep.Flags = slices.DeleteFunc(slices.Clone(keep.Flags), func(f string) bool { return f == store.FlagAmbiguous && keep.Link != nil })
	if keep.Archived && !drop.Archived {
		keep.Archived = false
	}
}

// SetContactArchived archives a contact (lists and search leave it out;
// sync still knows it, so it never creates a second contact for its user)
// or brings it back, in its history.
func (s *Service) SetContactArchived(ctx context.Context, id uint64, archived bool) (store.Contact, error) {
	var c store.Contact
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.Contact(id); err != nil {
			return err
		}
		if c.Archived == archived {
			return nil
		}
		c.Archived = archived
		if err := tx.PutContact(&c); err != nil {
			return err
		}
		kind := store.ChangeArchived
		if !archived {
			kind = store.ChangeUnarchived
		}
		return tx.AddHistory(store.Change{ContactID: id, Contact: c.Name(), Kind: kind, By: s.by()})
	})
	if err != nil {
		return store.Contact{}, fmt.Errorf("archive contact %d: %w", id, err)
	}
	s.Publish(Change{OrgIDs: []uint64{c.OrgID}, ContactIDs: []uint64{id}})
	return c, nil
}

// SetOrgArchived archives an organization (lists and search leave it out;
// its contacts and a tenant matched to it stay as they are) or brings it
// back.
func (s *Service) SetOrgArchived(ctx context.Context, id uint64, archived bool) (store.Organization, error) {
	var o store.Organization
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if o, err = tx.Org(id); err != nil {
			return err
		}
		if o.Archived == archived {
			return nil
		}
		o.Archived = archived
		return tx.PutOrg(&o)
	})
	if err != nil {
		return store.Organization{}, fmt.Errorf("archive organization %d: %w", id, err)
	}
	s.Publish(Change{OrgIDs: []uint64{id}})
	return o, nil
}
