// Package docbase is the documentation base the technician works in:
// organizations and their contacts, the fields a technician locked, the rows
// that lists and search show, and what a contact's overlay compares with
// Microsoft 365.
//
// Every read and write takes a ctx and may block on the database, so a
// window calls it off its UI goroutine; only Rows and OrgName answer from
// memory (the store's row index) and suit a keystroke. Every write, here or
// in the sync engine (through Publish), tells subscribers which
// connection, tenant, organization and contact ids it changed, so a view
// redraws those rows instead of reloading everything.
package docbase

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Service reads and writes the documentation base. Build it with New.
// Errors are returned, never logged: the caller that handles one logs it.
type Service struct {
	store   *store.Store
	changes hub
	// technician is who the history says made an edit.
	technician string
}

// New returns the documentation base over a store.
func New(s *store.Store) *Service { return &Service{store: s, technician: Technician()} }

func (s *Service) by() string { return s.technician }

// DatabasePath is the file the documentation base lives in.
func (s *Service) DatabasePath() string { return s.store.Path() }

// Rows returns the organization and contact rows q selects, ordered by name.
// It answers from memory once the row index is loaded (the first call reads
// it), fast enough for every keystroke of a search. The rows are shared and
// must not be modified.
func (s *Service) Rows(ctx context.Context, q store.RowQuery) ([]*store.Row, error) {
	return s.store.Rows(ctx, q)
}

// Preload reads the row index into memory (Rows would on its first call),
// so that a window's lists and searches answer from memory from the start.
func (s *Service) Preload(ctx context.Context) error {
	_, err := s.store.Rows(ctx, store.RowQuery{Limit: 1})
	return err
}

// OrgName returns an organization's name from memory, "" when there is none.
func (s *Service) OrgName(id uint64) string { return s.store.OrgName(id) }

// ContactRows returns the current rows of contacts by id, for a list that
// redraws the rows of contacts that changed. A contact that no longer
// exists has no entry.
func (s *Service) ContactRows(ctx context.Context, ids []uint64) (map[uint64]*store.Row, error) {
	orgs := map[uint64]bool{}
	err := s.store.View(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			c, err := tx.Contact(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			orgs[c.OrgID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	want := map[uint64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := make(map[uint64]*store.Row, len(ids))
	for org := range orgs {
		rows, err := s.store.Rows(ctx, store.RowQuery{Kind: store.KindContact, OrgID: org})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if want[r.ID] {
				out[r.ID] = r
			}
		}
	}
	return out, nil
}

// MatchedTenant is a Microsoft 365 tenant matched to an organization.
type MatchedTenant struct {
	ConnectionID   string
	ConnectionName string
	TenantID       string
	DisplayName    string
}

// OrgSummary is what a view says about one organization above its contacts.
type OrgSummary struct {
	Org     store.Organization
	Tenants []MatchedTenant // the tenants of every connection matched to it
}

// Text sums the organization up in one line: its domains and its tenants.
func (o OrgSummary) Text() string {
	var parts []string
	if len(o.Org.Domains) > 0 {
		parts = append(parts, strings.Join(o.Org.Domains, ", "))
	}
	if len(o.Tenants) == 0 {
		return strings.Join(append(parts, "not matched to a Microsoft 365 tenant"), " · ")
	}
	names := make([]string, len(o.Tenants))
	for i, t := range o.Tenants {
		names[i] = t.DisplayName + " (" + t.ConnectionName + ")"
	}
	return strings.Join(append(parts, "Microsoft 365: "+strings.Join(names, ", ")), " · ")
}

// OrgSummary reads an organization and the tenants matched to it.
func (s *Service) OrgSummary(ctx context.Context, id uint64) (OrgSummary, error) {
	var sum OrgSummary
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		sum, err = readOrgSummary(tx, id)
		return err
	})
	if err != nil {
		return OrgSummary{}, fmt.Errorf("read organization %d: %w", id, err)
	}
	return sum, nil
}

func readOrgSummary(tx *store.Tx, id uint64) (OrgSummary, error) {
	var sum OrgSummary
	var err error
	if sum.Org, err = tx.Org(id); err != nil {
		return sum, err
	}
	matched, err := matchedTenants(tx)
	sum.Tenants = matched[id]
	return sum, err
}
