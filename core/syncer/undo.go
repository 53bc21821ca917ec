package syncer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/store"
)

// Undo of the last matching decision. The engine remembers, in memory, how
// each tenant and contact was before the last decision; Undo puts them back
// in one transaction, provided nothing changed them since (a sync that
// updated a contact, a later decision). The record ends with the process:
// the sync log and contact history keep what was decided either way.

// ErrNothingToUndo means no decision of this connection waits to be undone.
var ErrNothingToUndo = errors.New("there is no matching decision to undo")

// undoSlot holds the last decision.
type undoSlot struct {
	mu   sync.Mutex
	last *undoRecord
}

func (s *undoSlot) set(u *undoRecord) {
	s.mu.Lock()
	s.last = u
	s.mu.Unlock()
}

// undoRecord is how a decision found what it changed.
type undoRecord struct {
	connID      string
	runID       uint64    // the decision's sync log entry
	at          time.Time // the decision's transaction time: what it wrote carries it
	what        string    // "accepted the suggestion Contoso Ltd"
	tenants     []undoTenant
	created     []uint64         // contacts the decision created
	before      []store.Contact  // contacts it changed, as they were
	removed     []removedContact // contacts it removed
	createdOrgs []uint64         // organizations CreateOrgs made
}

type undoTenant struct {
	before      store.Tenant
	after       uint64 // the organization the decision matched it to
	decision    store.Decision
	hadDecision bool
}

type removedContact struct {
	contact store.Contact
	history []store.Change
}

// LastDecision says what Undo would undo for a connection, as "accepted the
// suggestion Contoso Ltd"; false when there is nothing to undo.
func (e *Engine) LastDecision(connID string) (string, bool) {
	e.undo.mu.Lock()
	defer e.undo.mu.Unlock()
	if u := e.undo.last; u != nil && u.connID == connID {
		return u.what, true
	}
	return "", false
}

// Undo puts the tenants and contacts the connection's last matching
// decision changed back as they were, logged like a decision. It refuses,
// changing nothing, when a sync, an edit or another decision changed them
// since.
func (e *Engine) Undo(ctx context.Context, connID string) (Outcome, error) {
	e.undo.mu.Lock()
	u := e.undo.last
	e.undo.mu.Unlock()
	if u == nil || u.connID != connID {
		return Outcome{}, ErrNothingToUndo
	}
	by := e.opt.Technician
	var out Outcome
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		out = Outcome{}
		if err := u.check(tx); err != nil {
			return err
		}
		run := &store.SyncRun{ConnectionID: connID, Trigger: store.TriggerDecision, Start: e.now(), Status: store.StatusOK}
		if err := tx.PutRun(run); err != nil {
			return err
		}
		why := fmt.Sprintf("%s undid: %s", by, u.what)
		res := map[string]*store.TenantResult{}
		resOf := func(tenantID string) *store.TenantResult {
			if r := res[tenantID]; r != nil {
				return r
			}
			r := &store.TenantResult{TenantID: tenantID, Status: store.StatusOK}
			res[tenantID] = r
			return r
		}
		for _, id := range u.created {
			c, err := tx.Contact(id)
			if err != nil {
				return err
			}
			if err := tx.DeleteContact(id); err != nil {
				return err
			}
			out.Removed++
			r := resOf(linkTenant(&c))
			r.Counts.Updated++
			r.Changes = appendLogged(r.Changes, store.Change{At: tx.Now(), ContactID: id, Contact: c.Name(), Kind: store.ChangeRemoved, Reason: why, RunID: run.ID, By: by})
		}
		restore := func(c store.Contact) error {
			if err := tx.PutContact(&c); err != nil {
				return err
			}
			ch := store.Change{ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeRestored, Reason: why, RunID: run.ID, By: by}
			if err := tx.AddHistory(ch); err != nil {
				return err
			}
			out.Restored++
			r := resOf(linkTenant(&c))
			r.Counts.Updated++
			r.Changes = appendLogged(r.Changes, ch)
			return nil
		}
		for _, c := range u.before {
			if err := restore(c); err != nil {
				return err
			}
		}
		for _, rc := range u.removed {
			for _, h := range rc.history {
				if err := tx.AddHistory(h); err != nil {
					return err
				}
			}
			if err := restore(rc.contact); err != nil {
				return err
			}
		}
		for _, ut := range u.tenants {
			t, err := tx.Tenant(connID, ut.before.TenantID)
			if err != nil {
				return err
			}
			t.MatchState, t.OrgID, t.Suggestions, t.MatchReason = ut.before.MatchState, ut.before.OrgID, ut.before.Suggestions, ut.before.MatchReason
			if err := tx.PutTenant(&t); err != nil {
				return err
			}
			if ut.hadDecision {
				err = tx.PutDecision(connID, t.TenantID, ut.decision)
			} else {
				err = tx.DeleteDecision(connID, t.TenantID)
			}
			if err != nil {
				return err
			}
			out.Decided = append(out.Decided, t.TenantID)
			r := resOf(t.TenantID)
			r.DisplayName, r.MatchState = t.DisplayName, t.MatchState
			run.Log = append(run.Log, store.LogEntry{At: e.now(), Level: store.LevelInfo, TenantID: t.TenantID,
				Message: fmt.Sprintf("%s undid the last decision for %s (%s): %s again", by, t.DisplayName, u.what, stateWords(tx, &t))})
		}
		for _, id := range u.createdOrgs {
			if err := tx.DeleteOrg(id); err != nil && !errors.Is(err, store.ErrNotFound) {
				run.Log = append(run.Log, store.LogEntry{At: e.now(), Level: store.LevelWarning, Message: fmt.Sprintf("the organization made by the decision stays: %v", err)})
			}
		}
		for _, ut := range u.tenants {
			if r := res[ut.before.TenantID]; r != nil {
				run.Tenants = append(run.Tenants, *r)
				run.Totals.Add(r.Counts)
			}
		}
		run.End = e.now()
		out.RunID = run.ID
		return tx.PutRun(run)
	})
	if err != nil {
		return Outcome{}, err
	}
	e.undo.mu.Lock()
	if e.undo.last == u {
		e.undo.last = nil
	}
	e.undo.mu.Unlock()
	e.events.publish(Event{Kind: DataChanged, ConnectionID: connID})
	for _, ut := range u.tenants {
		e.tenantChanged(connID, ut.before.TenantID, ut.before.OrgID, ut.after)
	}
	return out, nil
}

// check refuses an undo when something changed what the decision wrote.
func (u *undoRecord) check(tx *store.Tx) error {
	for _, ut := range u.tenants {
		d, has, err := tx.Decision(u.connID, ut.before.TenantID)
		if err != nil {
			return err
		}
		if !has || !d.At.Equal(u.at) {
			return fmt.Errorf("cannot undo: %s was decided again since", ut.before.DisplayName)
		}
	}
	changed := func(id uint64) error {
		c, err := tx.Contact(id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("cannot undo: contact %d was removed since", id)
		}
		if err != nil {
			return err
		}
		if !c.Updated.Equal(u.at) {
			return fmt.Errorf("cannot undo: %s changed since the decision (a sync or an edit); change the match instead", c.Name())
		}
		return nil
	}
	for _, id := range u.created {
		if err := changed(id); err != nil {
			return err
		}
	}
	for _, c := range u.before {
		if err := changed(c.ID); err != nil {
			return err
		}
	}
	return nil
}

func linkTenant(c *store.Contact) string {
	if c.Link != nil {
		return c.Link.TenantID
	}
	return ""
}

// stateWords says a tenant's match state for the log.
func stateWords(tx *store.Tx, t *store.Tenant) string {
	switch t.MatchState {
	case store.MatchMatched:
		if o, err := tx.Org(t.OrgID); err == nil {
			return "matched to " + o.Name
		}
		return "matched"
	case store.MatchIgnored:
		return "ignored"
	}
	return "unmatched"
}
