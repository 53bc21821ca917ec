package docbase

import (
	"sort"
	"sync"
)

// Change is what one write changed in the documentation base, by id.
type Change struct {
	// ConnectionID and TenantID name a tenant whose record, mirror or match
	// changed (a sync commit, a matching decision).
	ConnectionID string
	TenantID     string
	// OrgIDs are organizations whose details or contacts changed as a
	// whole: a sync commit or a decision planned their contacts anew.
	OrgIDs []uint64
	// ContactIDs are contacts changed one by one (an edit, a lock).
	ContactIDs []uint64
}

// TenantRef names one tenant of a connection.
type TenantRef struct{ ConnectionID, TenantID string }

// Changes is everything that changed since a subscriber last took its
// changes: a sync that commits tenant after tenant reaches a busy view as
// one set, not as a queue to work through.
type Changes struct {
	Tenants  map[TenantRef]bool
	Orgs     map[uint64]bool
	Contacts map[uint64]bool
}

func (c *Changes) add(ch Change) {
	if ch.ConnectionID != "" && ch.TenantID != "" {
		if c.Tenants == nil {
			c.Tenants = map[TenantRef]bool{}
		}
		c.Tenants[TenantRef{ch.ConnectionID, ch.TenantID}] = true
	}
	for _, id := range ch.OrgIDs {
		if id == 0 {
			continue
		}
		if c.Orgs == nil {
			c.Orgs = map[uint64]bool{}
		}
		c.Orgs[id] = true
	}
	for _, id := range ch.ContactIDs {
		if c.Contacts == nil {
			c.Contacts = map[uint64]bool{}
		}
		c.Contacts[id] = true
	}
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Tenants)+len(c.Orgs)+len(c.Contacts) == 0 }

// TenantsOf returns the changed tenants of one connection, sorted.
func (c Changes) TenantsOf(connID string) []string {
	var out []string
	for t := range c.Tenants {
		if t.ConnectionID == connID {
			out = append(out, t.TenantID)
		}
	}
	sort.Strings(out)
	return out
}

// ContactIDs returns the contacts changed one by one, sorted.
func (c Changes) ContactIDs() []uint64 {
	out := make([]uint64, 0, len(c.Contacts))
	for id := range c.Contacts {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Subscription hears of changes until Close. Ready receives when changes
// wait to be taken; Take returns them all at once.
//
// Sync progress (core/syncer) may skip an event because the next one
// supersedes it. A change may not be skipped (a view would keep a stale row)
// and need not be seen twice, so changes are merged per subscriber rather
// than queued: publishing never blocks and loses nothing, however far a
// subscriber falls behind, as syncthing collapses repeated pull requests
// into one.
type Subscription struct {
	hub   *hub
	ready chan struct{} // 1-buffered; closed by Close

	mu      sync.Mutex
	pending Changes
}

// Ready receives when changes are waiting; it is closed when the
// subscription ends.
func (sub *Subscription) Ready() <-chan struct{} { return sub.ready }

// Take returns the changes since the last Take and forgets them.
func (sub *Subscription) Take() Changes {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	c := sub.pending
	sub.pending = Changes{}
	return c
}

// Close ends the subscription and closes Ready. Closing twice is harmless.
func (sub *Subscription) Close() {
	h := sub.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; ok {
		delete(h.subs, sub)
		close(sub.ready)
	}
}

// hub is the set of subscriptions a Service publishes to.
type hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscribe starts hearing of changes; Close the subscription when done.
func (s *Service) Subscribe() *Subscription {
	sub := &Subscription{hub: &s.changes, ready: make(chan struct{}, 1)}
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	if s.changes.subs == nil {
		s.changes.subs = map[*Subscription]struct{}{}
	}
	s.changes.subs[sub] = struct{}{}
	return sub
}

// Publish tells every subscriber what a committed write changed. The
// Service publishes its own writes; the sync engine publishes its commits
// and matching decisions here. It never blocks.
func (s *Service) Publish(ch Change) {
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	for sub := range s.changes.subs {
		sub.mu.Lock()
		sub.pending.add(ch)
		sub.mu.Unlock()
		select {
		case sub.ready <- struct{}{}:
		default: // already signalled: the subscriber takes this change too
		}
	}
}
