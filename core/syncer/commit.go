package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// maxLoggedChanges bounds the contact changes one tenant writes into a run's
// log; every change is also in the contact's own history.
const maxLoggedChanges = 200

// errDryRun rolls a dry run's transaction back after it computed everything.
var errDryRun = errors.New("dry run")

// commit writes one tenant's snapshot, matching outcome and contact changes
// in one transaction: the tenant is either entirely the old snapshot or
// entirely the new one.
func (rs *runState) commit(ctx context.Context, t *store.Tenant, rd *tenantRead, res *store.TenantResult) error {
	commit := rs.e.store.Batch
	if rs.dryRun {
		commit = rs.e.store.Update // its error rolls back; Batch would retry it
	}
	orig, origRes := *t, *res
	var wasOrgID uint64 // the organization the tenant was matched to before
	err := commit(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		// bbolt runs this again alone when a batch it shared failed: start
		// from the same state each time, or counts would add up twice.
		*t = orig
		*res = store.TenantResult{TenantID: origRes.TenantID, DisplayName: origRes.DisplayName, Status: origRes.Status,
			Findings: origRes.Findings, Counts: origRes.Counts}
		m, err := tx.Mirror(rs.conn.ID, t.TenantID)
		if err != nil {
			return err
		}
		touched := 0 // contacts linked to the tenant's users that the plan wrote
		changed, err := applyMirror(tx, m, rd, rs.e.now())
		if err != nil {
			return err
		}
		prev, _ := tx.Tenant(rs.conn.ID, t.TenantID)
		wasMatched := prev.MatchState == store.MatchMatched
		wasOrgID = prev.OrgID
		if err := rs.e.matchTenant(tx, rs.orgs, t); err != nil {
			return err
		}
		t.Findings = res.Findings
		res.MatchState = t.MatchState
		t.LastSync = rs.e.now()
		// A delta that changed no user of a tenant matched as before leaves
		// its contacts as they are: no need to plan them.
		unchanged := !rd.full && len(rd.changes) == 0 && len(rd.removed) == 0 && wasMatched && prev.OrgID == t.OrgID
		if t.MatchState == store.MatchMatched && rs.conn.Settings.Contacts && !unchanged {
			// A tenant matched before whose users came as a delta needs only
			// the changed users planned; otherwise plan the whole directory.
			all := rd.full || !wasMatched || prev.OrgID != t.OrgID
			dir := match.Directory{ConnectionID: rs.conn.ID, TenantID: t.TenantID, Deleted: rd.removed, Complete: all}
			switch {
			case rd.full:
				// The mirror now holds exactly what was read: plan from it in
				// the mirror's order without decoding it back.
				dir.Users = mirrorOrder(changed)
			case all:
				if err := m.ForEachUser(func(u *store.DirectoryUser) error { dir.Users = append(dir.Users, *u); return nil }); err != nil {
					return err
				}
			default:
				dir.Users = changed
			}
			dir.Shared = sharedMailboxes(m, rd, dir.Users)
			if touched, err = rs.e.applyPlan(tx, rs.conn, t, dir, res, rs.run.ID, ""); err != nil {
				return err
			}
		}
		if t.MatchState == store.MatchMatched && rs.conn.Settings.Contacts && !rd.full && wasMatched && prev.OrgID == t.OrgID {
			// A delta plans only the changed users; every other linked
			// contact is unchanged, and the log should say so.
			res.Counts.Unchanged = max(0, tx.LinkedContacts(t.TenantID)-touched)
		}
		t.LastCounts = res.Counts
		if err := tx.PutTenant(t); err != nil {
			return err
		}
		if rs.dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	if err == nil {
		rs.e.tenantChanged(rs.conn.ID, t.TenantID, wasOrgID, t.OrgID)
	}
	return err
}

// applyMirror writes what was read into the tenant's mirror and returns the
// users that changed (all of them on a full read).
func applyMirror(tx *store.Tx, m *store.Mirror, rd *tenantRead, now time.Time) ([]store.DirectoryUser, error) {
	var changed []store.DirectoryUser
	switch {
	case rd.full:
		if err := m.ClearUsers(); err != nil {
			return nil, err
		}
		for i := range rd.users {
			if err := m.PutUser(&rd.users[i]); err != nil {
				return nil, err
			}
		}
		changed = rd.users
		if err := m.SetStamp(stampFullRead, now); err != nil {
			return nil, err
		}
	default:
		for _, ch := range rd.changes {
			// A changed user may carry only its changed properties, and the
			// users delta never carries sign-in activity: merge into the saved
			// user.
			old, ok, err := m.User(ch.User.ObjectID)
			if err != nil {
				return nil, err
			}
			u := ch.User
			if ok {
				u = ch.Apply(old)
			}
			if err := m.PutUser(&u); err != nil {
				return nil, err
			}
			changed = append(changed, u)
		}
		for _, id := range rd.removed {
			if err := m.DeleteUser(id); err != nil {
				return nil, err
			}
		}
	}
	if rd.deltaLink != "" {
		if err := m.SetDeltaLink(rd.deltaLink); err != nil {
			return nil, err
		}
	}
	if rd.licOK {
		if err := m.ReplaceLicenses(rd.licenses); err != nil {
			return nil, err
		}
	}
	if rd.mbOK {
		if err := m.ReplaceMailboxes(rd.mailboxes); err != nil {
			return nil, err
		}
		if err := m.SetStamp(stampMailboxes, now); err != nil {
			return nil, err
		}
	}
	if rd.devOK {
		if err := m.ReplaceDevices(rd.devices); err != nil {
			return nil, err
		}
	}
	return changed, m.SetSynced(now)
}

// mirrorOrder returns users as the mirror lists them: by lower-case object
// id, the last of duplicates winning, as PutUser over the same key would.
func mirrorOrder(users []store.DirectoryUser) []store.DirectoryUser {
	type keyed struct {
		key string
		i   int
	}
	ks := make([]keyed, len(users))
	for i := range users {
		ks[i] = keyed{strings.ToLower(users[i].ObjectID), i}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]store.DirectoryUser, 0, len(users))
	for j, k := range ks {
		if j+1 < len(ks) && ks[j+1].key == k.key {
			continue
		}
		out = append(out, users[k.i])
	}
	return out
}

// sharedMailboxes finds which of users are shared, room or equipment
// mailboxes, from the mailbox report's recipient type: the report just
// read when there is one, else the mirror's.
func sharedMailboxes(m *store.Mirror, rd *tenantRead, users []store.DirectoryUser) map[string]bool {
	out := map[string]bool{}
	shared := func(recipientType string) bool {
		switch strings.ToLower(recipientType) {
		case "shared", "room", "equipment", "sharedmailbox", "roommailbox", "equipmentmailbox":
			return true
		}
		return false
	}
	if rd.mbOK {
		byUPN := make(map[string]bool, len(rd.mailboxes))
		for _, mb := range rd.mailboxes {
			byUPN[strings.ToLower(mb.UPN)] = shared(mb.RecipientType)
		}
		for _, u := range users {
			if byUPN[strings.ToLower(u.UPN)] {
				out[u.ObjectID] = true
			}
		}
		return out
	}
	for _, u := range users {
		if mb, ok := m.Mailbox(u.UPN); ok && shared(mb.RecipientType) {
			out[u.ObjectID] = true
		}
	}
	return out
}

// matchTenant decides a tenant's organization: the technician's decision,
// then an exact name, else suggestions.
func (e *Engine) matchTenant(tx *store.Tx, idx *match.OrgIndex, t *store.Tenant) error {
	d, has, err := tx.Decision(t.ConnectionID, t.TenantID)
	if err != nil {
		return err
	}
	if has && d.State == store.MatchMatched {
		if _, err := tx.Org(d.OrgID); err == nil {
			t.MatchState, t.OrgID, t.Suggestions, t.MatchReason = store.MatchMatched, d.OrgID, nil, "matched by you"
			return nil
		}
		has = false // the organization was deleted: decide afresh
	}
	var dp *store.Decision
	if has {
		dp = &d
	}
	m := idx.MatchTenant(*t, dp)
	t.MatchState, t.OrgID, t.Suggestions, t.MatchReason = m.State, m.OrgID, m.Suggestions, m.Reason
	if m.State != store.MatchMatched {
		t.OrgID = 0
	}
	return nil
}

// applyPlan plans the contacts of a matched tenant and writes them, with
// their history, counting what changed.
//
// It returns how many of the contacts it wrote are linked to the tenant's
// users. by is who set the change off: empty for a sync, the technician for
// a matching decision.
func (e *Engine) applyPlan(tx *store.Tx, conn store.Connection, t *store.Tenant, dir match.Directory, res *store.TenantResult, runID uint64, by string) (touched int, err error) {
	var contacts []store.Contact
	if dir.Complete {
		contacts, err = tx.OrgContacts(t.OrgID)
	} else {
		// A delta: the contacts of unchanged users cannot change.
		oids := append([]string{}, dir.Deleted...)
		for _, u := range dir.Users {
			oids = append(oids, u.ObjectID)
		}
		contacts, err = tx.OrgContactsFor(t.OrgID, t.TenantID, oids)
	}
	if err != nil {
		return 0, err
	}
	plan := match.PlanContacts(t.OrgID, dir, conn.Settings, contacts)
	logChange := func(ch store.Change) error {
		ch.RunID, ch.By = runID, by
		if err := tx.AddHistory(ch); err != nil {
			return err
		}
		if len(res.Changes) < maxLoggedChanges {
			res.Changes = append(res.Changes, ch)
		}
		return nil
	}
	for i := range plan.Create {
		c := plan.Create[i]
		if err := tx.PutContact(&c); err != nil {
			return 0, err
		}
		res.Counts.Created++
		touched++
		if err := logChange(store.Change{ContactID: c.ID, Contact: c.Name(), Kind: store.ChangeCreated, Reason: "new user in " + t.DisplayName}); err != nil {
			return 0, err
		}
	}
	for _, up := range plan.Update {
		c := up.Contact
		if err := tx.PutContact(&c); err != nil {
			return 0, err
		}
		kind, reason := store.ChangeUpdated, ""
		switch {
		case up.Linked:
			kind, reason = store.ChangeLinked, fmt.Sprintf("linked by %s", up.Rule)
		case up.Leaver != "":
			kind, reason = store.ChangeFlagged, "leaver: "+up.Leaver
			res.Counts.Leavers++
		case up.Returned:
			kind, reason = store.ChangeUpdated, "back: no longer a leaver"
		case up.Ambiguous > 0:
			kind, reason = store.ChangeFlagged, "ambiguous: more than one user matches"
		}
		res.Counts.Updated++
		if c.Link != nil && strings.EqualFold(c.Link.TenantID, t.TenantID) {
			touched++
		}
		if err := logChange(store.Change{ContactID: c.ID, Contact: c.Name(), Kind: kind, Fields: up.Changes, Reason: reason}); err != nil {
			return 0, err
		}
	}
	res.Counts.Unchanged += plan.Unchanged
	res.Counts.Flagged += len(plan.Ambiguous)
	for _, a := range plan.Ambiguous {
		if len(res.Changes) < maxLoggedChanges {
			res.Changes = append(res.Changes, store.Change{Kind: store.ChangeFlagged, Contact: a.ObjectID, Reason: a.Reason, RunID: runID})
		}
	}
	return touched, nil
}
