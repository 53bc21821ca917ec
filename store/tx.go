package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tx is one transaction over the store. Get it from Store.View or Store.Update;
// it is valid only inside the callback.
type Tx struct {
	tx   *bolt.Tx
	rows []rowChange // applied to the in-memory row index after commit
	now  time.Time
	// unreadable, when set, hears of records that cannot be decoded, and
	// Orgs and OrgContacts go on without them (see ViewSalvaging).
	unreadable func(what string, err error)
	// deadSyncs: connections and runs read as syncing or queued were left
	// so by a dead process (a read-only open: nothing writes the file), and
	// read as interrupted, as the next writing open will mark them.
	deadSyncs bool
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) error {
	return s.view(ctx, func(btx *bolt.Tx) error { return fn(&Tx{tx: btx, now: time.Now().UTC(), deadSyncs: s.readOnly}) })
}

// ViewSalvaging is View for getting data out of a damaged database (an
// export is the technician's way out): Orgs and OrgContacts skip records
// that cannot be read, and tell unreadable about each one.
func (s *Store) ViewSalvaging(ctx context.Context, unreadable func(what string, err error), fn func(tx *Tx) error) error {
	return s.view(ctx, func(btx *bolt.Tx) error {
		return fn(&Tx{tx: btx, now: time.Now().UTC(), unreadable: unreadable, deadSyncs: s.readOnly})
	})
}

// Update runs fn in a read-write transaction: everything fn writes is
// committed together or, when fn returns an error, not at all.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	var t *Tx
	err := s.update(ctx, func(btx *bolt.Tx) error {
		t = &Tx{tx: btx, now: time.Now().UTC()}
		return fn(t)
	})
	if err == nil && len(t.rows) > 0 {
		s.applyRows(t.rows)
	}
	return err
}

// Batch is Update for many goroutines committing at once: their
// transactions are coalesced into fewer disk syncs. Each fn is still
// all-or-nothing, but it may run more than once, so it must compute its
// writes from the transaction only.
func (s *Store) Batch(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var last *Tx
	c := batchCall{
		fn: func(btx *bolt.Tx) error {
			last = &Tx{tx: btx, now: time.Now().UTC()}
			return fn(last)
		},
		done: make(chan error, 1),
	}
	s.batchMu.Lock()
	b := s.batch
	lead := b == nil
	if lead {
		b = &pendingBatch{full: make(chan struct{})}
		s.batch = b
	}
	b.calls = append(b.calls, c)
	if len(b.calls) >= s.db.MaxBatchSize {
		s.batch = nil
		close(b.full)
	}
	s.batchMu.Unlock()
	if lead {
		s.commitBatch(b)
	}
	err := <-c.done
	if errors.Is(err, errRunAlone) {
		err = s.update(ctx, c.fn)
	}
	if err == nil && last != nil && len(last.rows) > 0 {
		s.applyRows(last.rows)
	}
	return err
}

// pendingBatch collects Batch calls until it is full or its first caller,
// the leader, has waited bbolt's MaxBatchDelay. The leader commits it in
// its own goroutine, through transact, so that a damaged page's panic is
// recovered there: bbolt's DB.Batch commits in a goroutine of its own,
// where such a panic would end the process.
type pendingBatch struct {
	calls []batchCall
	full  chan struct{} // closed when calls reaches MaxBatchSize
}

type batchCall struct {
	fn   func(tx *bolt.Tx) error
	done chan error // the batch's outcome, or errRunAlone
}

// errRunAlone tells a Batch caller that its fn failed inside the batch and
// is to be run again alone, where its error or panic is its own.
var errRunAlone = errors.New("run the batched transaction alone")

func (s *Store) commitBatch(b *pendingBatch) {
	timer := time.NewTimer(s.db.MaxBatchDelay)
	select {
	case <-timer.C:
	case <-b.full:
	}
	timer.Stop()
	s.batchMu.Lock()
	if s.batch == b {
		s.batch = nil
	}
	calls := b.calls
	s.batchMu.Unlock()
	for len(calls) > 0 {
		failed := -1
		err := s.transact(true, func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := c.runIn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.done <- err
			}
			return
		}
		// The whole transaction rolled back: try the others again.
		calls[failed].done <- errRunAlone
		calls = slices.Delete(calls, failed, failed+1)
	}
}

// runIn runs the call's fn inside a batch's transaction. A panic fails
// the transaction like an error does.
func (c batchCall) runIn(tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errRunAlone
		}
	}()
	return c.fn(tx)
}

// Now is the transaction's timestamp, used for Created/Updated fields.
func (t *Tx) Now() time.Time { return t.now }

func idKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

func keyOf(parts ...string) []byte {
	return []byte(strings.Join(parts, "\x00"))
}

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	return json.Unmarshal(data, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// errBadIndex is an index entry too short to hold the id it points to.
var errBadIndex = errors.New("corrupt index entry")

// Org returns the organization with id.
func (t *Tx) Org(id uint64) (Organization, error) {
	var o Organization
	if err := getJSON(t.tx.Bucket(bucketOrgs), idKey(id), &o); err != nil {
		return o, fmt.Errorf("organization %d: %w", id, err)
	}
	return o, nil
}

// Orgs returns every organization, ordered by name.
func (t *Tx) Orgs() ([]Organization, error) {
	var out []Organization
	b := t.tx.Bucket(bucketOrgs)
	c := t.tx.Bucket(bucketOrgName).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		var o Organization
		if len(k) < 9 {
			if t.unreadable != nil {
				t.unreadable(fmt.Sprintf("organization index entry %x", k), errBadIndex)
				continue
			}
			return nil, fmt.Errorf("organization index %x: %w", k, errBadIndex)
		}
		if err := getJSON(b, k[len(k)-8:], &o); err != nil {
			if t.unreadable != nil {
				t.unreadable(fmt.Sprintf("organization %d", binary.BigEndian.Uint64(k[len(k)-8:])), err)
				continue
			}
			return nil, fmt.Errorf("organization index %x: %w", k, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// OrgsByName returns the organizations whose folded name equals Fold(name).
func (t *Tx) OrgsByName(name string) ([]Organization, error) {
	prefix := append([]byte(Fold(name)), 0)
	var out []Organization
	c := t.tx.Bucket(bucketOrgName).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		o, err := t.Org(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// PutOrg creates (ID 0) or replaces an organization and keeps its indexes.
func (t *Tx) PutOrg(o *Organization) error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return fmt.Errorf("organization needs a name")
	}
	b := t.tx.Bucket(bucketOrgs)
	names := t.tx.Bucket(bucketOrgName)
	if o.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		o.ID = id
		if o.Created.IsZero() {
			o.Created = t.now
		}
	} else {
		var old Organization
		if err := getJSON(b, idKey(o.ID), &old); err == nil {
			if err := names.Delete(orgNameKey(&old)); err != nil {
				return err
			}
			if o.Created.IsZero() {
				o.Created = old.Created
			}
		}
	}
	if o.Source == "" {
		o.Source = SourceManual
	}
	for i, d := range o.Domains {
		o.Domains[i] = strings.ToLower(strings.TrimSpace(d))
	}
	o.Updated = t.now
	if err := putJSON(b, idKey(o.ID), o); err != nil {
		return err
	}
	if err := names.Put(orgNameKey(o), nil); err != nil {
		return err
	}
	return t.putRow(orgRow(o))
}

// DeleteOrg removes an organization that has no contacts (undoing its
// creation).
func (t *Tx) DeleteOrg(id uint64) error {
	o, err := t.Org(id)
	if err != nil {
		return err
	}
	if k, _ := t.tx.Bucket(bucketContactOrg).Cursor().Seek(idKey(id)); k != nil && bytes.HasPrefix(k, idKey(id)) {
		return fmt.Errorf("organization %q still has contacts", o.Name)
	}
	if err := t.tx.Bucket(bucketOrgName).Delete(orgNameKey(&o)); err != nil {
		return err
	}
	if err := t.deleteRow(KindOrg, id); err != nil {
		return err
	}
	return t.tx.Bucket(bucketOrgs).Delete(idKey(id))
}

func orgNameKey(o *Organization) []byte {
	return append(append([]byte(Fold(o.Name)), 0), idKey(o.ID)...)
}

// Contact returns the contact with id.
func (t *Tx) Contact(id uint64) (Contact, error) {
	var c Contact
	if err := getJSON(t.tx.Bucket(bucketContacts), idKey(id), &c); err != nil {
		return c, fmt.Errorf("contact %d: %w", id, err)
	}
	return c, nil
}

// OrgContacts returns the organization's contacts ordered by name.
func (t *Tx) OrgContacts(orgID uint64) ([]Contact, error) {
	return t.orgContacts(orgID, func(uint64) bool { return true })
}

// OrgContactsFor returns, in OrgContacts' order, the contacts of an
// organization that matching some users of an Entra ID tenant can touch:
// those linked to the users objectIDs, and every contact not linked to a
// user of the tenant. A delta sync plans its few changed users against
// these instead of decoding every contact.
func (t *Tx) OrgContactsFor(orgID uint64, tenantID string, objectIDs []string) ([]Contact, error) {
	linked := map[uint64]bool{}
	prefix := keyOf(tenantID, "")
	c := t.tx.Bucket(bucketContactOID).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(v) == 8 {
			linked[binary.BigEndian.Uint64(v)] = true
		}
	}
	for _, oid := range objectIDs {
		if id, ok := t.ContactByObjectID(tenantID, oid); ok {
			delete(linked, id)
		}
	}
	return t.orgContacts(orgID, func(id uint64) bool { return !linked[id] })
}

func (t *Tx) orgContacts(orgID uint64, want func(id uint64) bool) ([]Contact, error) {
	var out []Contact
	prefix := idKey(orgID)
	c := t.tx.Bucket(bucketContactOrg).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := binary.BigEndian.Uint64(k[len(k)-8:])
		if !want(id) {
			continue
		}
		ct, err := t.Contact(id)
		if err != nil {
			if t.unreadable != nil {
				t.unreadable(fmt.Sprintf("contact %d", id), err)
				continue
			}
			return nil, err
		}
		out = append(out, ct)
	}
	return out, nil
}

// ContactsByEmail returns the ids of contacts with e-mail as primary or other
// address (case-insensitive).
func (t *Tx) ContactsByEmail(email string) []uint64 {
	prefix := append([]byte(strings.ToLower(strings.TrimSpace(email))), 0)
	var out []uint64
	c := t.tx.Bucket(bucketContactEmail).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		out = append(out, binary.BigEndian.Uint64(k[len(prefix):]))
	}
	return out
}

// ContactByObjectID returns the id of the contact linked to an Entra ID user.
func (t *Tx) ContactByObjectID(tenantID, objectID string) (uint64, bool) {
	v := t.tx.Bucket(bucketContactOID).Get(keyOf(tenantID, strings.ToLower(objectID)))
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// LinkedContacts counts the contacts linked to users of an Entra ID tenant,
// from the index alone.
func (t *Tx) LinkedContacts(tenantID string) int {
	prefix := keyOf(tenantID, "")
	n := 0
	c := t.tx.Bucket(bucketContactOID).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// PutContact creates (ID 0) or replaces a contact and keeps its indexes.
func (t *Tx) PutContact(c *Contact) error {
	if c.OrgID == 0 {
		return fmt.Errorf("contact %q has no organization", c.Name())
	}
	if t.tx.Bucket(bucketOrgs).Get(idKey(c.OrgID)) == nil {
		return fmt.Errorf("contact %q: organization %d: %w", c.Name(), c.OrgID, ErrNotFound)
	}
	b := t.tx.Bucket(bucketContacts)
	if c.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = id
		if c.Created.IsZero() {
			c.Created = t.now
		}
	} else {
		var old Contact
		if err := getJSON(b, idKey(c.ID), &old); err == nil {
			if err := t.unindexContact(&old); err != nil {
				return err
			}
			if c.Created.IsZero() {
				c.Created = old.Created
			}
		}
	}
	if c.Source == "" {
		c.Source = SourceManual
	}
	c.PrimaryEmail = strings.TrimSpace(c.PrimaryEmail)
	c.Updated = t.now
	if err := putJSON(b, idKey(c.ID), c); err != nil {
		return err
	}
	return t.indexContact(c)
}

// DeleteContact removes a contact, its indexes and its history.
func (t *Tx) DeleteContact(id uint64) error {
	c, err := t.Contact(id)
	if err != nil {
		return err
	}
	if err := t.unindexContact(&c); err != nil {
		return err
	}
	hc := t.tx.Bucket(bucketHistory).Cursor()
	prefix := idKey(id)
	for k, _ := hc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = hc.Seek(prefix) {
		if err := hc.Delete(); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bucketContacts).Delete(idKey(id))
}

func contactOrgKey(c *Contact) []byte {
	k := append(idKey(c.OrgID), Fold(c.Name())...)
	return append(append(k, 0), idKey(c.ID)...)
}

func emailKey(email string, id uint64) []byte {
	return append(append([]byte(strings.ToLower(strings.TrimSpace(email))), 0), idKey(id)...)
}

func (t *Tx) indexContact(c *Contact) error {
	if err := t.tx.Bucket(bucketContactOrg).Put(contactOrgKey(c), nil); err != nil {
		return err
	}
	emails := t.tx.Bucket(bucketContactEmail)
	for _, e := range c.Emails() {
		if strings.TrimSpace(e) == "" {
			continue
		}
		if err := emails.Put(emailKey(e, c.ID), nil); err != nil {
			return err
		}
	}
	if c.Link != nil {
		if err := t.tx.Bucket(bucketContactOID).Put(keyOf(c.Link.TenantID, strings.ToLower(c.Link.ObjectID)), idKey(c.ID)); err != nil {
			return err
		}
	}
	return t.putRow(contactRow(c))
}

func (t *Tx) unindexContact(c *Contact) error {
	if err := t.tx.Bucket(bucketContactOrg).Delete(contactOrgKey(c)); err != nil {
		return err
	}
	emails := t.tx.Bucket(bucketContactEmail)
	for _, e := range c.Emails() {
		if err := emails.Delete(emailKey(e, c.ID)); err != nil {
			return err
		}
	}
	if c.Link != nil {
		oids := t.tx.Bucket(bucketContactOID)
		k := keyOf(c.Link.TenantID, strings.ToLower(c.Link.ObjectID))
		if v := oids.Get(k); len(v) == 8 && binary.BigEndian.Uint64(v) == c.ID {
			if err := oids.Delete(k); err != nil {
				return err
			}
		}
	}
	return t.deleteRow(kindContact, c.ID)
}

// AddHistory records a change made to a contact.
func (t *Tx) AddHistory(ch Change) error {
	if ch.At.IsZero() {
		ch.At = t.now
	}
	b := t.tx.Bucket(bucketHistory)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := make([]byte, 0, 24)
	k = append(k, idKey(ch.ContactID)...)
	k = append(k, idKey(uint64(ch.At.UnixNano()))...)
	k = append(k, idKey(seq)...)
	return putJSON(b, k, ch)
}

// History returns a contact's changes, oldest first.
func (t *Tx) History(contactID uint64) ([]Change, error) {
	var out []Change
	prefix := idKey(contactID)
	c := t.tx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var ch Change
		if err := json.Unmarshal(v, &ch); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// MoveHistory gives contact from's history to contact to, keeping each
// change's time, for merging two contacts.
func (t *Tx) MoveHistory(from, to uint64) error {
	changes, err := t.History(from)
	if err != nil {
		return err
	}
	hc := t.tx.Bucket(bucketHistory).Cursor()
	prefix := idKey(from)
	for k, _ := hc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = hc.Seek(prefix) {
		if err := hc.Delete(); err != nil {
			return err
		}
	}
	for _, ch := range changes {
		ch.ContactID = to
		if err := t.AddHistory(ch); err != nil {
			return err
		}
	}
	return nil
}

// ForEachContact calls fn for every contact in id order.
func (t *Tx) ForEachContact(fn func(c *Contact) error) error {
	return t.tx.Bucket(bucketContacts).ForEach(func(_, v []byte) error {
		var c Contact
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		return fn(&c)
	})
}

// Convenience wrappers for single-record work.

// Org returns one organization.
func (s *Store) Org(ctx context.Context, id uint64) (o Organization, err error) {
	err = s.View(ctx, func(tx *Tx) error { o, err = tx.Org(id); return err })
	return o, err
}

// Orgs returns every organization ordered by name.
func (s *Store) Orgs(ctx context.Context) (out []Organization, err error) {
	err = s.View(ctx, func(tx *Tx) error { out, err = tx.Orgs(); return err })
	return out, err
}

// PutOrg creates or replaces one organization.
func (s *Store) PutOrg(ctx context.Context, o *Organization) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutOrg(o) })
}

// Contact returns one contact.
func (s *Store) Contact(ctx context.Context, id uint64) (c Contact, err error) {
	err = s.View(ctx, func(tx *Tx) error { c, err = tx.Contact(id); return err })
	return c, err
}

// PutContact creates or replaces one contact.
func (s *Store) PutContact(ctx context.Context, c *Contact) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutContact(c) })
}

// History returns a contact's change history.
func (s *Store) History(ctx context.Context, contactID uint64) (out []Change, err error) {
	err = s.View(ctx, func(tx *Tx) error { out, err = tx.History(contactID); return err })
	return out, err
}

func sortBy[T any](xs []T, key func(T) string) {
	sort.SliceStable(xs, func(i, j int) bool { return key(xs[i]) < key(xs[j]) })
}
