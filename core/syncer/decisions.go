package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// A technician's matching decisions. Each works on many tenants at once (bulk
// actions) and survives every later sync. Matching a tenant that has already
// been synced creates and links its contacts at once from the saved
// directory, without waiting for the next sync.

// Accept matches each tenant to its top suggestion.
func (e *Engine) Accept(ctx context.Context, connID string, tenantIDs []string) error {
	return e.decide(ctx, connID, tenantIDs, func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		if len(t.Suggestions) == 0 {
			return store.Decision{}, fmt.Errorf("%s has no suggestion to accept: match it to an organization or create one", t.DisplayName)
		}
		return store.Decision{State: store.MatchMatched, OrgID: t.Suggestions[0].OrgID}, nil
	})
}

// MatchTo matches the tenants to one organization (also "change match").
func (e *Engine) MatchTo(ctx context.Context, connID string, tenantIDs []string, orgID uint64) error {
	return e.decide(ctx, connID, tenantIDs, func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		if _, err := tx.Org(orgID); err != nil {
			return store.Decision{}, err
		}
		return store.Decision{State: store.MatchMatched, OrgID: orgID}, nil
	})
}

// Ignore keeps the tenants out of matching; their users never become contacts.
func (e *Engine) Ignore(ctx context.Context, connID string, tenantIDs []string) error {
	return e.decide(ctx, connID, tenantIDs, func(*store.Tx, *store.Tenant) (store.Decision, error) {
		return store.Decision{State: store.MatchIgnored}, nil
	})
}

// Revert undoes a match or an ignore. The tenant is unmatched and stays so
// (no automatic exact-name match) until the technician decides again;
// contacts already created stay.
func (e *Engine) Revert(ctx context.Context, connID string, tenantIDs []string) error {
	return e.decide(ctx, connID, tenantIDs, func(*store.Tx, *store.Tenant) (store.Decision, error) {
		return store.Decision{State: store.MatchUnmatched}, nil
	})
}

// DuplicateError lists organizations that look like the ones about to be
// created; CreateOrgs with force creates them anyway.
type DuplicateError struct {
	Likely map[string][]store.Suggestion // tenant display name -> look-alike organizations
}

func (e *DuplicateError) Error() string {
	var parts []string
	for name, sugg := range e.Likely {
		parts = append(parts, fmt.Sprintf("%s looks like an existing organization (%s)", name, sugg[0].Reason))
	}
	return strings.Join(parts, "; ")
}

// CreateOrgs creates an organization from each tenant (named after it, with
// its verified domains) and matches the tenant to it. Unless force, it
// refuses with a *DuplicateError when a likely duplicate exists.
func (e *Engine) CreateOrgs(ctx context.Context, connID string, tenantIDs []string, force bool) error {
	var idx *match.OrgIndex
	if !force {
		var err error
		if idx, err = e.orgIndex(ctx); err != nil {
			return err
		}
		dup := &DuplicateError{Likely: map[string][]store.Suggestion{}}
		err = e.store.View(ctx, func(tx *store.Tx) error {
			for _, id := range tenantIDs {
				t, err := tx.Tenant(connID, id)
				if err != nil {
					return err
				}
				if likely := idx.LikelyDuplicates(t.DisplayName, t.Domains); len(likely) > 0 {
					dup.Likely[t.DisplayName] = likely
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(dup.Likely) > 0 {
			return dup
		}
	}
	return e.decide(ctx, connID, tenantIDs, func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		o := store.Organization{Name: t.DisplayName, Source: store.SourceTenant}
		for _, d := range t.Domains {
			if !strings.HasSuffix(d, ".onmicrosoft.com") {
				o.Domains = append(o.Domains, d)
			}
		}
		if err := tx.PutOrg(&o); err != nil {
			return store.Decision{}, err
		}
		return store.Decision{State: store.MatchMatched, OrgID: o.ID}, nil
	})
}

// decide records a decision per tenant in one transaction, applies it to the
// tenant record and, for a match, plans its contacts from the mirror.
func (e *Engine) decide(ctx context.Context, connID string, tenantIDs []string, fn func(tx *store.Tx, t *store.Tenant) (store.Decision, error)) error {
	if len(tenantIDs) == 0 {
		return errors.New("no tenant selected")
	}
	conn, err := e.mgr.Connection(ctx, connID)
	if err != nil {
		return err
	}
	// The organizations each tenant was and is matched to: their contacts
	// change with the decision.
	orgsOf := map[string][2]uint64{}
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		for _, id := range tenantIDs {
			t, err := tx.Tenant(connID, id)
			if err != nil {
				return err
			}
			wasOrgID := t.OrgID
			d, err := fn(tx, &t)
			if err != nil {
				return err
			}
			if err := tx.PutDecision(connID, id, d); err != nil {
				return err
			}
			t.MatchState, t.OrgID = d.State, d.OrgID
			switch d.State {
			case store.MatchMatched:
				t.Suggestions, t.MatchReason = nil, "matched by you"
			case store.MatchIgnored:
				t.MatchReason = "ignored by you"
			default:
				t.MatchReason = "match undone by you"
			}
			if d.State == store.MatchMatched && conn.Settings.Contacts {
				if err := e.planFromMirror(tx, conn, &t); err != nil {
					return err
				}
			}
			if err := tx.PutTenant(&t); err != nil {
				return err
			}
			orgsOf[id] = [2]uint64{wasOrgID, t.OrgID}
		}
		return nil
	})
	if err == nil {
		e.events.publish(Event{Kind: DataChanged, ConnectionID: connID})
		for _, id := range tenantIDs {
			e.tenantChanged(connID, id, orgsOf[id][0], orgsOf[id][1])
		}
	}
	return err
}

// planFromMirror creates and links a newly matched tenant's contacts from
// the users saved by the last sync.
func (e *Engine) planFromMirror(tx *store.Tx, conn store.Connection, t *store.Tenant) error {
	m, err := tx.Mirror(conn.ID, t.TenantID)
	if err != nil {
		return err
	}
	if m.UserCount() == 0 {
		return nil // never synced: the next sync brings the contacts
	}
	dir := match.Directory{ConnectionID: conn.ID, TenantID: t.TenantID, Complete: true}
	if err := m.ForEachUser(func(u *store.DirectoryUser) error { dir.Users = append(dir.Users, *u); return nil }); err != nil {
		return err
	}
	dir.Shared = sharedMailboxes(m, &tenantRead{}, dir.Users)
	var res store.TenantResult
	if _, err := e.applyPlan(tx, conn, t, dir, &res, 0); err != nil {
		return err
	}
	t.LastCounts.Created += res.Counts.Created
	return nil
}
