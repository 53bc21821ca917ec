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
	pl := newContactPlanner(orgID, dir, s, contacts)
	pl.followUsers(pl.screenUsers())
	pl.flagDeleted()
	pl.settleAmbiguous()
	return pl.plan()
}

// contactPlanner holds PlanContacts' work in progress: the pending update
// of each contact that changes, keyed by its index in contacts, so that the
// steps (screening, matching, leavers, ambiguity) build on each other's
// changes.
type contactPlanner struct {
	orgID    uint64
	dir      Directory
	settings store.SyncSettings
	contacts []store.Contact
	ix       *ContactIndex
	byID     map[uint64]int         // contact id -> index
	work     map[int]*ContactUpdate // contact index -> pending update
	p        ContactPlan            // Create, Ambiguous, Excluded and Overlay as they are found
	seen     map[string]bool        // lower-case object ids of the users read
	flagged  map[int]bool           // contacts that are candidates of an ambiguous user now
	followed []int                  // linked contacts refreshed from their user, in match order
}

func newContactPlanner(orgID uint64, dir Directory, s store.SyncSettings, contacts []store.Contact) *contactPlanner {
	pl := &contactPlanner{
		orgID: orgID, dir: dir, settings: s, contacts: contacts,
		ix:      NewContactIndex(dir.TenantID, contacts),
		byID:    make(map[uint64]int, len(contacts)),
		work:    make(map[int]*ContactUpdate),
		p:       ContactPlan{Overlay: make(map[uint64][]store.FieldChange)},
		seen:    make(map[string]bool, len(dir.Users)),
		flagged: make(map[int]bool),
	}
	for i := range contacts {
		pl.byID[contacts[i].ID] = i
	}
	return pl
}

// current is contact i with the changes planned for it so far.
func (pl *contactPlanner) current(i int) store.Contact {
	if w := pl.work[i]; w != nil {
		return w.Contact
	}
	return pl.contacts[i]
}

// update returns contact i's pending update, starting one that follows the
// user oid if there is none yet.
func (pl *contactPlanner) update(i int, oid string) *ContactUpdate {
	u := pl.work[i]
	if u == nil {
		u = &ContactUpdate{Contact: pl.contacts[i], ObjectID: oid}
		pl.work[i] = u
	}
	return u
}

// setLeaver raises contact i's leaver flag for reason, or clears it when
// reason is empty; a contact already in that state is left alone.
func (pl *contactPlanner) setLeaver(i int, oid, reason string) {
	next, changed := SetFlag(pl.current(i), store.FlagLeaver, reason != "")
	if !changed {
		return
	}
	u := pl.update(i, oid)
	u.Contact = next
	if reason != "" {
		u.Leaver = reason
	} else {
		u.Returned = true
	}
}

// isShared says whether u has a shared or room mailbox.
func (d *Directory) isShared(u *store.DirectoryUser) bool {
	return d.Shared[u.ObjectID] || d.Shared[strings.ToLower(u.ObjectID)]
}

// screenUsers returns the users the sync settings take in and records the
// others as excluded. A linked user who left scope by leaving the company
// is a leaver; one left out by a settings change (guests, shared
// mailboxes) is not.
func (pl *contactPlanner) screenUsers() []store.DirectoryUser {
	users := pl.dir.Users
	eligible := make([]store.DirectoryUser, 0, len(users))
	for k := range users {
		u := &users[k]
		oid := strings.ToLower(u.ObjectID)
		pl.seen[oid] = true
		shared := pl.dir.isShared(u)
		if ok, why := Eligible(u, pl.settings, shared); !ok {
			pl.p.Excluded = append(pl.p.Excluded, Exclusion{ObjectID: u.ObjectID, UPN: u.UPN, Reason: why})
			if l := pl.ix.byObject[oid]; len(l) == 1 {
				if r := LeaverReason(u, pl.settings, shared); r != "" {
					pl.setLeaver(l[0], u.ObjectID, r)
				}
			}
			continue
		}
		eligible = append(eligible, *u)
	}
	return eligible
}

// followUsers matches the eligible users to contacts and plans what each
// outcome does: a new contact, flagged candidates, or a refreshed contact.
func (pl *contactPlanner) followUsers(eligible []store.DirectoryUser) {
	for k, o := range pl.ix.MatchUsers(eligible) {
		u := &eligible[k]
		switch o.Action {
		case ActionCreate:
			pl.create(u)
		case ActionAmbiguous:
			pl.p.Ambiguous = append(pl.p.Ambiguous, o)
			for _, id := range o.Candidates {
				pl.flagged[pl.byID[id]] = true
			}
		case ActionUpdate, ActionLink:
			pl.refresh(pl.byID[o.ContactID], u, o)
		}
	}
}

func (pl *contactPlanner) link(u *store.DirectoryUser) store.MSLink {
	return store.MSLink{ConnectionID: pl.dir.ConnectionID, TenantID: pl.dir.TenantID, ObjectID: u.ObjectID}
}

// create plans a new contact for u, already a leaver if u is one.
func (pl *contactPlanner) create(u *store.DirectoryUser) {
	c := NewContact(pl.orgID, pl.link(u), u)
	if r := LeaverReason(u, pl.settings, pl.dir.isShared(u)); r != "" {
		c, _ = SetFlag(c, store.FlagLeaver, true)
	}
	pl.p.Create = append(pl.p.Create, c)
}

// refresh brings contact i up to date with u, linking it first when the
// outcome o says so; fields the technician locked go to the overlay.
func (pl *contactPlanner) refresh(i int, u *store.DirectoryUser, o UserOutcome) {
	pl.followed = append(pl.followed, i)
	c := pl.current(i)
	linking := o.Action == ActionLink
	if linking {
		l := pl.link(u)
		c.Link = &l
	}
	next, m := MergeUser(c, u)
	if len(m.Locked) > 0 {
		pl.p.Overlay[c.ID] = m.Locked
	}
	if linking || m.Changed() {
		w := pl.update(i, u.ObjectID)
		w.Contact = next
		w.Changes = append(w.Changes, m.Changes...)
		if linking {
			w.Linked, w.Rule = true, o.Rule
		}
	}
	pl.setLeaver(i, u.ObjectID, LeaverReason(u, pl.settings, pl.dir.isShared(u)))
}

// flagDeleted makes leavers of the users a delta reported deleted and, on a
// full read, of every linked user that is gone.
func (pl *contactPlanner) flagDeleted() {
	for _, oid := range pl.dir.Deleted {
		if l := pl.ix.byObject[strings.ToLower(oid)]; len(l) == 1 {
			pl.setLeaver(l[0], oid, ReasonDeleted)
		}
	}
	if !pl.dir.Complete {
		return
	}
	for oid, l := range pl.ix.byObject {
		if !pl.seen[oid] && len(l) == 1 {
			pl.setLeaver(l[0], pl.contacts[l[0]].Link.ObjectID, ReasonDeleted)
		}
	}
}

// settleAmbiguous raises the ambiguous flag on the candidates of an
// ambiguous user and clears it where the ambiguity is gone.
func (pl *contactPlanner) settleAmbiguous() {
	followed := make(map[int]bool, len(pl.followed))
	for _, i := range pl.followed {
		followed[i] = true
	}
	for i := range pl.contacts {
		on := pl.flagged[i]
		if !on && !pl.dir.Complete && !followed[i] {
			// A delta knows only the users that changed: an ambiguous
			// user it did not bring may still hold this flag. The next
			// full read decides.
			continue
		}
		if next, changed := SetFlag(pl.current(i), store.FlagAmbiguous, on); changed {
			w := pl.update(i, "")
			w.Contact = next
			if on {
				w.Ambiguous = 1
			} else {
				w.Ambiguous = -1
			}
		}
	}
}

// plan is the finished plan: the updates in contact order, and how many
// followed contacts needed none.
func (pl *contactPlanner) plan() ContactPlan {
	p := pl.p
	p.Update = make([]ContactUpdate, 0, len(pl.work))
	for i := range pl.contacts {
		if w := pl.work[i]; w != nil {
			p.Update = append(p.Update, *w)
		}
	}
	for _, i := range pl.followed {
		if pl.work[i] == nil {
			p.Unchanged++
		}
	}
	return p
}
