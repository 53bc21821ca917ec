package match

import (
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Directory is one tenant's users as a sync read them.
type Directory struct {
	ConnectionID string
	TenantID     string
	Users        []store.DirectoryUser
	// Shared holds the object ids of shared and room mailboxes (from the
	// mailbox report's recipient type).
	Shared map[string]bool
	// Deleted holds the object ids a delta read reported as removed.
	Deleted []string
	// Complete says Users is the whole directory (a full read), so a linked
	// contact whose user is missing was deleted.
	Complete bool
}

// ContactPlan is what syncing a tenant's users does to the contacts of its
// organization. Nothing is deleted, ever.
type ContactPlan struct {
	Create    []store.Contact // new contacts, linked, without ID or times
	Update    []ContactUpdate // existing contacts that change, in contact order
	Unchanged int             // linked users whose contact needed no change
	Ambiguous []UserOutcome   // users flagged for review: nothing created or linked
	Excluded  []Exclusion     // users the sync settings leave out
	// Overlay holds, per contact id, the differences left in place because
	// the technician locked the field (Old: local, New: Microsoft).
	Overlay map[uint64][]store.FieldChange
}

// ContactUpdate is one existing contact's change.
type ContactUpdate struct {
	Contact  store.Contact // the contact after the change
	ObjectID string        // the user it follows
	Linked   bool          // newly linked to the user, by Rule
	Rule     Rule
	Changes  []store.FieldChange // fields changed
	Leaver   string              // set when the leaver flag was raised: why
	Returned bool                // the leaver flag was cleared: the user is back
	// Ambiguous is +1 when the contact was flagged as a candidate of an
	// ambiguous user, -1 when that flag was cleared.
	Ambiguous int
}

// Exclusion is a user the sync settings leave out, and why.
type Exclusion struct {
	ObjectID string
	UPN      string
	Reason   string
}

// PlanContacts decides, for the organization orgID matched to the tenant
// in dir, which contacts to create, link, refresh and flag. contacts are the
// organization's contacts; they are not modified.
//
// Leavers: the contact of a user who is deleted, disabled or no longer
// licensed (see LeaverReason) gets store.FlagLeaver; the flag is cleared when
// the user is back. Candidates of an ambiguous user get store.FlagAmbiguous
// until the ambiguity is gone.
func PlanContacts(orgID uint64, dir Directory, s store.SyncSettings, contacts []store.Contact) ContactPlan {
	ix := NewContactIndex(dir.TenantID, contacts)
	p := ContactPlan{Overlay: make(map[uint64][]store.FieldChange)}
	work := make(map[int]*ContactUpdate) // contact index -> pending update
	byID := make(map[uint64]int, len(contacts))
	for i := range contacts {
		byID[contacts[i].ID] = i
	}
	update := func(i int, oid string) *ContactUpdate {
		u := work[i]
		if u == nil {
			u = &ContactUpdate{Contact: contacts[i], ObjectID: oid}
			work[i] = u
		}
		return u
	}
	setLeaver := func(i int, oid, reason string) {
		c := contacts[i]
		if w := work[i]; w != nil {
			c = w.Contact
		}
		next, changed := SetFlag(c, store.FlagLeaver, reason != "")
		if !changed {
			return
		}
		u := update(i, oid)
		u.Contact = next
		if reason != "" {
			u.Leaver = reason
		} else {
			u.Returned = true
		}
	}

	seen := make(map[string]bool, len(dir.Users))
	eligible := make([]store.DirectoryUser, 0, len(dir.Users))
	for k := range dir.Users {
		u := &dir.Users[k]
		oid := strings.ToLower(u.ObjectID)
		seen[oid] = true
		shared := dir.Shared[u.ObjectID] || dir.Shared[oid]
		if ok, why := Eligible(u, s, shared); !ok {
			p.Excluded = append(p.Excluded, Exclusion{ObjectID: u.ObjectID, UPN: u.UPN, Reason: why})
			// A linked user who left scope by leaving the company is a
			// leaver; one left out by a settings change (guests, shared
			// mailboxes) is not.
			if l := ix.byObject[oid]; len(l) == 1 {
				if r := LeaverReason(u, s, shared); r != "" {
					setLeaver(l[0], u.ObjectID, r)
				}
			}
			continue
		}
		eligible = append(eligible, *u)
	}

	flagged := make(map[int]bool) // contacts that are candidates of an ambiguous user now
	var refreshed []int           // linked contacts refreshed from their user
	for k, o := range ix.MatchUsers(eligible) {
		u := &eligible[k]
		shared := dir.Shared[u.ObjectID] || dir.Shared[strings.ToLower(u.ObjectID)]
		switch o.Action {
		case ActionCreate:
			c := NewContact(orgID, store.MSLink{ConnectionID: dir.ConnectionID, TenantID: dir.TenantID, ObjectID: u.ObjectID}, u)
			if r := LeaverReason(u, s, shared); r != "" {
				c, _ = SetFlag(c, store.FlagLeaver, true)
			}
			p.Create = append(p.Create, c)
		case ActionAmbiguous:
			p.Ambiguous = append(p.Ambiguous, o)
			for _, id := range o.Candidates {
				flagged[byID[id]] = true
			}
		case ActionUpdate, ActionLink:
			i := byID[o.ContactID]
			refreshed = append(refreshed, i)
			c := contacts[i]
			if w := work[i]; w != nil {
				c = w.Contact
			}
			if o.Action == ActionLink {
				c.Link = &store.MSLink{ConnectionID: dir.ConnectionID, TenantID: dir.TenantID, ObjectID: u.ObjectID}
			}
			next, m := MergeUser(c, u)
			if len(m.Locked) > 0 {
				p.Overlay[c.ID] = m.Locked
			}
			if o.Action == ActionLink || m.Changed() {
				w := update(i, u.ObjectID)
				w.Contact = next
				w.Changes = append(w.Changes, m.Changes...)
				if o.Action == ActionLink {
					w.Linked, w.Rule = true, o.Rule
				}
			}
			setLeaver(i, u.ObjectID, LeaverReason(u, s, shared))
		}
	}

	// Deleted users: the ones a delta reported, and on a full read every
	// linked user that is gone.
	for _, oid := range dir.Deleted {
		if l := ix.byObject[strings.ToLower(oid)]; len(l) == 1 {
			setLeaver(l[0], oid, ReasonDeleted)
		}
	}
	if dir.Complete {
		for oid, l := range ix.byObject {
			if !seen[oid] && len(l) == 1 {
				setLeaver(l[0], contacts[l[0]].Link.ObjectID, ReasonDeleted)
			}
		}
	}

	matched := make(map[int]bool, len(refreshed))
	for _, i := range refreshed {
		matched[i] = true
	}
	for i := range contacts {
		c := contacts[i]
		if w := work[i]; w != nil {
			c = w.Contact
		}
		on := flagged[i]
		if !on && !dir.Complete && !matched[i] {
			// A delta knows only the users that changed: an ambiguous
			// user it did not bring may still hold this flag. The next
			// full read decides.
			continue
		}
		if next, changed := SetFlag(c, store.FlagAmbiguous, on); changed {
			w := update(i, "")
			w.Contact = next
			if on {
				w.Ambiguous = 1
			} else {
				w.Ambiguous = -1
			}
		}
	}

	p.Update = make([]ContactUpdate, 0, len(work))
	for i := range contacts {
		if w := work[i]; w != nil {
			p.Update = append(p.Update, *w)
		}
	}
	for _, i := range refreshed {
		if work[i] == nil {
			p.Unchanged++
		}
	}
	return p
}
