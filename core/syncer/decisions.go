package syncer

import (
	"context"
	"errors"
	"fmt"

	"strings"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// A technician's matching decisions. Each works on many tenants at once (bulk
// actions) and survives every later sync. Matching a tenant that has already
// been synced creates and links its contacts at once from the saved
// directory, without waiting for the next sync.
//
// A decision can never hurt: an ambiguous suggestion is never accepted in
// bulk; a tenant taken away from an organization takes the contacts it
// brought along (those nobody edited leave, the others stay unlinked and
// flagged); each decision writes, in its one transaction, an entry in the
// sync log and in the history of every contact it touched, naming who
// decided; and the last decision can be undone (see Undo).

// Outcome is what a matching decision did.
type Outcome struct {
	Decided []string        // the tenants decided
	Skipped []SkippedTenant // tenants left undecided: their suggestion is ambiguous
	// What happened to contacts.
	Created, Linked, Removed, Unlinked, Restored int
	RunID                                        uint64 // the sync log entry; 0 when nothing was decided
}

// SkippedTenant is a tenant bulk Accept left alone because a person has to
// tell its candidates apart (AcceptCandidate, one tenant at a time).
type SkippedTenant struct {
	TenantID    string
	DisplayName string
	Candidates  []store.Suggestion // the ambiguous suggestions, best first
}

// errSkipAmbiguous tells decide to leave a tenant undecided.
var errSkipAmbiguous = errors.New("ambiguous suggestion")

// Accept matches each tenant to its top suggestion. A tenant whose top
// suggestion is ambiguous is skipped, never guessed: Outcome.Skipped lists
// them for AcceptCandidate.
func (e *Engine) Accept(ctx context.Context, connID string, tenantIDs []string) (Outcome, error) {
	return e.decide(ctx, connID, tenantIDs, "accepted the suggestion for", func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		if len(t.Suggestions) == 0 {
			return store.Decision{}, fmt.Errorf("%s has no suggestion to accept: match it to an organization or create one", t.DisplayName)
		}
		if t.Suggestions[0].Ambiguous {
			return store.Decision{}, errSkipAmbiguous
		}
		return store.Decision{State: store.MatchMatched, OrgID: t.Suggestions[0].OrgID}, nil
	})
}

// AcceptCandidate matches one tenant to one of its suggestions, the way a
// technician settles an ambiguous one after seeing every candidate.
func (e *Engine) AcceptCandidate(ctx context.Context, connID, tenantID string, orgID uint64) (Outcome, error) {
	return e.decide(ctx, connID, []string{tenantID}, "accepted the suggestion for", func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		for _, s := range t.Suggestions {
			if s.OrgID == orgID {
				return store.Decision{State: store.MatchMatched, OrgID: orgID}, nil
			}
		}
		return store.Decision{}, fmt.Errorf("organization %d is not among the suggestions for %s any more: look again", orgID, t.DisplayName)
	})
}

// MatchTo matches the tenants to one organization (also "change match").
func (e *Engine) MatchTo(ctx context.Context, connID string, tenantIDs []string, orgID uint64) (Outcome, error) {
	return e.decide(ctx, connID, tenantIDs, "matched", func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		if _, err := tx.Org(orgID); err != nil {
			return store.Decision{}, err
		}
		return store.Decision{State: store.MatchMatched, OrgID: orgID}, nil
	})
}

// Ignore keeps the tenants out of matching; their users never become
// contacts, and a matched tenant's contacts leave its organization as with
// Revert.
func (e *Engine) Ignore(ctx context.Context, connID string, tenantIDs []string) (Outcome, error) {
	return e.decide(ctx, connID, tenantIDs, "ignored", func(*store.Tx, *store.Tenant) (store.Decision, error) {
		return store.Decision{State: store.MatchIgnored}, nil
	})
}

// Revert undoes a match or an ignore. The tenant is unmatched and stays so
// (no automatic exact-name match) until the technician decides again. The
// contacts synced from it leave the organization (see PreviewLeaving).
func (e *Engine) Revert(ctx context.Context, connID string, tenantIDs []string) (Outcome, error) {
	return e.decide(ctx, connID, tenantIDs, "reverted the match of", func(*store.Tx, *store.Tenant) (store.Decision, error) {
		return store.Decision{State: store.MatchUnmatched}, nil
	})
}

// DuplicateError lists organizations that look like the ones about to be
// created; CreateOrgs with force creates them anyway.
type DuplicateError struct {
	Likely map[string][]store.Suggestion // the new organization's name -> look-alike organizations
}

func (e *DuplicateError) Error() string {
	var parts []string
	for name, sugg := range e.Likely {
		parts = append(parts, fmt.Sprintf("%s looks like an existing organization (%s)", name, sugg[0].Reason))
	}
	return strings.Join(parts, "; ")
}

// CreateOrgs creates an organization per tenant, named after the tenant and
// holding its verified domains, and matches the tenant to it. Unless force
// is set, it refuses with a *DuplicateError when a tenant looks like an
// organization that exists.
func (e *Engine) CreateOrgs(ctx context.Context, connID string, tenantIDs []string, force bool) (Outcome, error) {
	return e.createOrgs(ctx, connID, tenantIDs, nil, force)
}

// CreateOrgNamed creates one organization for a tenant under the name the
// technician chose (the tenant's display name is often not what the
// documentation calls the customer) and matches the tenant to it, with
// CreateOrgs' duplicate check for that name.
func (e *Engine) CreateOrgNamed(ctx context.Context, connID, tenantID, name string, force bool) (Outcome, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return Outcome{}, ErrEmptyOrgName
	}
	return e.createOrgs(ctx, connID, []string{tenantID}, map[string]string{tenantID: name}, force)
}

// ErrEmptyOrgName refuses an organization without a name.
var ErrEmptyOrgName = errors.New("an organization needs a name")

// createOrgs creates an organization per tenant, named names[tenant] or
// after the tenant.
func (e *Engine) createOrgs(ctx context.Context, connID string, tenantIDs []string, names map[string]string, force bool) (Outcome, error) {
	nameOf := func(t *store.Tenant) string {
		if n := names[t.TenantID]; n != "" {
			return n
		}
		return t.DisplayName
	}
	var idx *match.OrgIndex
	if !force {
		var err error
		if idx, err = e.orgIndex(ctx); err != nil {
			return Outcome{}, err
		}
		dup := &DuplicateError{Likely: map[string][]store.Suggestion{}}
		err = e.store.View(ctx, func(tx *store.Tx) error {
			for _, id := range tenantIDs {
				t, err := tx.Tenant(connID, id)
				if err != nil {
					return err
				}
				if likely := idx.LikelyDuplicates(nameOf(&t), t.Domains); len(likely) > 0 {
					dup.Likely[nameOf(&t)] = likely
				}
			}
			return nil
		})
		if err != nil {
			return Outcome{}, err
		}
		if len(dup.Likely) > 0 {
			return Outcome{}, dup
		}
	}
	return e.decide(ctx, connID, tenantIDs, "created an organization from", func(tx *store.Tx, t *store.Tenant) (store.Decision, error) {
		o := store.Organization{Name: nameOf(t), Source: store.SourceTenant}
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

// Leaving is what taking a tenant away from its organization does to the
// contacts synced from it: Remove were created by sync and nobody edited
// them, so they leave the organization; Keep stay, unlinked and flagged.
type Leaving struct {
	TenantID    string
	DisplayName string
	OrgID       uint64
	OrgName     string
	Remove      []store.Contact
	Keep        []KeptContact
}

// KeptContact is a contact that stays in its organization, and why.
type KeptContact struct {
	Contact store.Contact
	Why     string // "edited", "documented before the match", ...
}

// Empty reports whether no contact is affected.
func (l Leaving) Empty() bool { return len(l.Remove)+len(l.Keep) == 0 }

// PreviewLeaving says, per matched tenant, what Revert (or Ignore, or a
// change of match) would do to the contacts synced from it, without doing
// it. Tenants that are not matched have no entry.
func (e *Engine) PreviewLeaving(ctx context.Context, connID string, tenantIDs []string) ([]Leaving, error) {
	var out []Leaving
	err := e.store.View(ctx, func(tx *store.Tx) error {
		for _, id := range tenantIDs {
			t, err := tx.Tenant(connID, id)
			if err != nil {
				return err
			}
			if t.MatchState != store.MatchMatched || t.OrgID == 0 {
				continue
			}
			l, err := leaving(tx, &t)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// leaving sorts the contacts of t's organization linked to t's users.
func leaving(tx *store.Tx, t *store.Tenant) (Leaving, error) {
	l := Leaving{TenantID: t.TenantID, DisplayName: t.DisplayName, OrgID: t.OrgID}
	if o, err := tx.Org(t.OrgID); err == nil {
		l.OrgName = o.Name
	} else if !errors.Is(err, store.ErrNotFound) {
		return l, err
	}
	contacts, err := tx.OrgContacts(t.OrgID)
	if err != nil {
		return l, err
	}
	for _, c := range contacts {
		if c.Link == nil || c.Link.ConnectionID != t.ConnectionID || !strings.EqualFold(c.Link.TenantID, t.TenantID) {
			continue
		}
		why, err := whyKept(tx, &c)
		if err != nil {
			return l, err
		}
		if why == "" {
			l.Remove = append(l.Remove, c)
		} else {
			l.Keep = append(l.Keep, KeptContact{Contact: c, Why: why})
		}
	}
	return l, nil
}

// whyKept says why a contact linked to a tenant's user stays in its
// organization when the tenant leaves it: "" when sync created it and
// nobody touched it since.
func whyKept(tx *store.Tx, c *store.Contact) (string, error) {
	switch {
	case c.Source != store.SourceTenant:
		return "documented before the match", nil
	case len(c.Locked) > 0:
		return "has locked fields", nil
	case c.Notes != "":
		return "has notes", nil
	}
	hist, err := tx.History(c.ID)
	if err != nil {
		return "", err
	}
	for _, h := range hist {
		switch h.Kind {
		case store.ChangeEdited, store.ChangeMerged, store.ChangeResolved, store.ChangeArchived:
			// The technician worked on it: it is theirs now.
			return h.Kind, nil
		}
	}
	return "", nil
}

// decision is one tenant's decision inside decide.
type decision func(tx *store.Tx, t *store.Tenant) (store.Decision, error)

// decide records a decision per tenant in one transaction with everything
// it does: the tenant's new state, its contacts moved out of the
// organization it leaves and planned into the one it joins, their history,
// and an entry in the sync log. verb completes "<technician> <verb> <tenant>".
func (e *Engine) decide(ctx context.Context, connID string, tenantIDs []string, verb string, fn decision) (Outcome, error) {
	if len(tenantIDs) == 0 {
		return Outcome{}, errors.New("no tenant selected")
	}
	conn, err := e.mgr.Connection(ctx, connID)
	if err != nil {
		return Outcome{}, err
	}
	// A reverted tenant gets fresh suggestions at once, not at the next sync.
	idx, err := e.orgIndex(ctx)
	if err != nil {
		return Outcome{}, err
	}
	by := e.opt.Technician
	var out Outcome
	var u *undoRecord
	// The organizations each tenant was and is matched to: their contacts
	// change with the decision.
	orgsOf := map[string][2]uint64{}
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		out, u = Outcome{}, &undoRecord{connID: connID, at: tx.Now()}
		clear(orgsOf)
		run := &store.SyncRun{ConnectionID: connID, Trigger: store.TriggerDecision, Start: e.now(), Status: store.StatusOK}
		if err := tx.PutRun(run); err != nil {
			return err
		}
		var names []string
		for _, id := range tenantIDs {
			t, err := tx.Tenant(connID, id)
			if err != nil {
				return err
			}
			d, err := fn(tx, &t)
			if errors.Is(err, errSkipAmbiguous) {
				sk := SkippedTenant{TenantID: t.TenantID, DisplayName: t.DisplayName}
				for _, s := range t.Suggestions {
					if s.Ambiguous {
						sk.Candidates = append(sk.Candidates, s)
					}
				}
				out.Skipped = append(out.Skipped, sk)
				run.Log = append(run.Log, store.LogEntry{At: e.now(), Level: store.LevelInfo, TenantID: t.TenantID,
					Message: fmt.Sprintf("%s: suggestion not accepted, it is ambiguous (%s); choose the organization for this tenant alone", t.DisplayName, e.candidateNames(tx, sk.Candidates))})
				continue
			}
			if err != nil {
				return err
			}
			res := store.TenantResult{TenantID: t.TenantID, DisplayName: t.DisplayName, Status: store.StatusOK}
			if err := e.decideTenant(tx, conn, idx, &t, d, by, run.ID, &res, u, &out); err != nil {
				return err
			}
			res.MatchState = t.MatchState
			ut := &u.tenants[len(u.tenants)-1]
			ut.after = t.OrgID
			orgsOf[id] = [2]uint64{ut.before.OrgID, t.OrgID}
			out.Decided = append(out.Decided, id)
			names = append(names, t.DisplayName)
			run.Log = append(run.Log, store.LogEntry{At: e.now(), Level: store.LevelInfo, TenantID: t.TenantID,
				Message: by + " " + verb + " " + t.DisplayName + e.decisionSummary(tx, &t, &res)})
			run.Tenants = append(run.Tenants, res)
		}
		if len(out.Decided) == 0 {
			return errNothingDecided
		}
		run.End = e.now()
		for _, t := range run.Tenants {
			run.Totals.Add(t.Counts)
		}
		out.RunID, u.runID = run.ID, run.ID
		u.what = verb + " " + joinNames(names)
		return tx.PutRun(run)
	})
	if errors.Is(err, errNothingDecided) {
		return out, nil // every tenant was skipped: nothing written
	}
	if err != nil {
		return Outcome{}, err
	}
	e.undo.set(u)
	e.events.publish(Event{Kind: DataChanged, ConnectionID: connID})
	for _, id := range out.Decided {
		e.tenantChanged(connID, id, orgsOf[id][0], orgsOf[id][1])
	}
	return out, nil
}

// errNothingDecided rolls back a decision that decided no tenant (bulk
// Accept of ambiguous suggestions only), leaving no empty log entry.
var errNothingDecided = errors.New("nothing decided")

// decideTenant applies decision d to tenant t inside decide's transaction,
// noting in u how to undo it.
func (e *Engine) decideTenant(tx *store.Tx, conn store.Connection, idx *match.OrgIndex, t *store.Tenant, d store.Decision, by string, runID uint64, res *store.TenantResult, u *undoRecord, out *Outcome) error {
	ut := undoTenant{before: *t}
	var err error
	if ut.decision, ut.hadDecision, err = tx.Decision(conn.ID, t.TenantID); err != nil {
		return err
	}
	u.tenants = append(u.tenants, ut)
	if t.MatchState == store.MatchMatched && t.OrgID != 0 && (d.State != store.MatchMatched || d.OrgID != t.OrgID) {
		if err := e.moveOut(tx, t, by, runID, res, u, out); err != nil {
			return err
		}
	}
	if err := tx.PutDecision(conn.ID, t.TenantID, d); err != nil {
		return err
	}
	if d.State == store.MatchMatched {
		// An organization made by this very transaction (CreateOrgs) goes
		// again with an undo.
		if o, err := tx.Org(d.OrgID); err == nil && o.Created.Equal(tx.Now()) {
			u.createdOrgs = append(u.createdOrgs, o.ID)
		}
	}
	t.MatchState, t.OrgID = d.State, d.OrgID
	switch d.State {
	case store.MatchMatched:
		t.Suggestions, t.MatchReason = nil, "matched by "+by
	case store.MatchIgnored:
		t.MatchReason = "ignored by " + by
	default:
		t.MatchReason = "match undone by " + by
		t.Suggestions = idx.MatchTenant(*t, &d).Suggestions
	}
	if d.State == store.MatchMatched && conn.Settings.Contacts {
		counted := res.Counts // what moveOut counted
		if err := e.planFromMirror(tx, conn, t, by, runID, res, u); err != nil {
			return err
		}
		out.Created += res.Counts.Created - counted.Created
		out.Linked += res.Counts.Updated - counted.Updated
	}
	return tx.PutTenant(t)
}

// moveOut takes the contacts synced from t out of the organization t
// leaves: those sync created and nobody edited are removed, the others stay,
// unlinked and flagged.
func (e *Engine) moveOut(tx *store.Tx, t *store.Tenant, by string, runID uint64, res *store.TenantResult, u *undoRecord, out *Outcome) error {
	l, err := leaving(tx, t)
	if err != nil {
		return err
	}
	why := fmt.Sprintf("%s took %s away from %s", by, t.DisplayName, l.OrgName)
	for _, c := range l.Remove {
		hist, err := tx.History(c.ID)
		if err != nil {
			return err
		}
		u.removed = append(u.removed, removedContact{contact: c, history: hist})
		if err := tx.DeleteContact(c.ID); err != nil {
			return err
		}
		out.Removed++
		res.Counts.Updated++
		res.Changes = appendLogged(res.Changes, store.Change{At: tx.Now(), ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeRemoved,
			Reason: why + ": created by sync and never edited", RunID: runID, By: by})
	}
	for _, k := range l.Keep {
		c := k.Contact
		u.before = append(u.before, c)
		c.Link = nil
		if !c.HasFlag(store.FlagUnlinked) {
			c.Flags = append(c.Flags, store.FlagUnlinked)
		}
		if err := tx.PutContact(&c); err != nil {
			return err
		}
		ch := store.Change{ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeUnlinked,
			Reason: why + ": kept, " + k.Why + "; no longer linked to the Microsoft 365 user", RunID: runID, By: by}
		if err := tx.AddHistory(ch); err != nil {
			return err
		}
		out.Unlinked++
		res.Counts.Flagged++
		res.Changes = appendLogged(res.Changes, ch)
	}
	return nil
}

func appendLogged(changes []store.Change, ch store.Change) []store.Change {
	if len(changes) < maxLoggedChanges {
		changes = append(changes, ch)
	}
	return changes
}

// planFromMirror creates and links a newly matched tenant's contacts from
// the users saved by the last sync, noting in u the contacts it created and
// how the ones it changed were.
func (e *Engine) planFromMirror(tx *store.Tx, conn store.Connection, t *store.Tenant, by string, runID uint64, res *store.TenantResult, u *undoRecord) error {
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
	before, err := tx.OrgContacts(t.OrgID)
	if err != nil {
		return err
	}
	was := make(map[uint64]store.Contact, len(before))
	for _, c := range before {
		was[c.ID] = c
	}
	if _, err := e.applyPlan(tx, conn, t, dir, res, runID, by); err != nil {
		return err
	}
	after, err := tx.OrgContacts(t.OrgID)
	if err != nil {
		return err
	}
	for _, c := range after {
		old, existed := was[c.ID]
		switch {
		case !existed:
			u.created = append(u.created, c.ID)
		case c.Updated.Equal(tx.Now()) && !old.Updated.Equal(tx.Now()):
			u.before = append(u.before, old)
		}
	}
	t.LastCounts.Created += res.Counts.Created
	return nil
}

// decisionSummary completes a log line: where the tenant went and what
// happened to contacts.
func (e *Engine) decisionSummary(tx *store.Tx, t *store.Tenant, res *store.TenantResult) string {
	var b strings.Builder
	if t.MatchState == store.MatchMatched {
		if o, err := tx.Org(t.OrgID); err == nil {
			fmt.Fprintf(&b, " (to %s)", o.Name)
		}
	}
	var parts []string
	removed, unlinked := 0, 0
	for _, ch := range res.Changes {
		switch ch.Kind {
		case store.ChangeRemoved:
			removed++
		case store.ChangeUnlinked:
			unlinked++
		}
	}
	if n := res.Counts.Created; n > 0 {
		parts = append(parts, fmt.Sprintf("%d contacts created", n))
	}
	if n := res.Counts.Updated - removed; n > 0 {
		parts = append(parts, fmt.Sprintf("%d linked or updated", n))
	}
	if removed > 0 {
		parts = append(parts, fmt.Sprintf("%d removed (created by sync, never edited)", removed))
	}
	if unlinked > 0 {
		parts = append(parts, fmt.Sprintf("%d kept unlinked and flagged", unlinked))
	}
	if len(parts) == 0 {
		return ": no contact changed"
	}
	return ": " + strings.Join(parts, ", ")
}

// candidateNames names suggestions with their scores: "A · 57% or B · 55%".
func (e *Engine) candidateNames(tx *store.Tx, ss []store.Suggestion) string {
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		name := fmt.Sprintf("organization %d", s.OrgID)
		if o, err := tx.Org(s.OrgID); err == nil {
			name = o.Name
		}
		parts = append(parts, fmt.Sprintf("%s · %.0f%%", name, s.Score*100))
	}
	return strings.Join(parts, " or ")
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1, 2, 3:
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d other tenants", strings.Join(names[:2], ", "), len(names)-2)
}

// technicianName is who sits at this computer, for history and logs; the
// documentation base names the same person for edits.
func technicianName() string { return docbase.Technician() }
