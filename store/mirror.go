package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Connection returns the connection with id.
func (t *Tx) Connection(id string) (Connection, error) {
	var c Connection
	if err := getJSON(t.tx.Bucket(bucketConnections), []byte(id), &c); err != nil {
		return c, fmt.Errorf("connection %s: %w", id, err)
	}
	if t.deadSyncs {
		c.interrupt(t.now)
	}
	return c, nil
}

// Connections returns every connection ordered by name.
func (t *Tx) Connections() ([]Connection, error) {
	var out []Connection
	err := t.tx.Bucket(bucketConnections).ForEach(func(_, v []byte) error {
		var c Connection
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		if t.deadSyncs {
			c.interrupt(t.now)
		}
		out = append(out, c)
		return nil
	})
	sortBy(out, func(c Connection) string { return strings.ToLower(c.Name) })
	return out, err
}

// PutConnection creates or replaces a connection. It never holds a secret:
// SecretRef names the keychain item.
func (t *Tx) PutConnection(c *Connection) error {
	if c.ID == "" {
		return fmt.Errorf("connection needs an id")
	}
	if c.Created.IsZero() {
		c.Created = t.now
	}
	c.Updated = t.now
	return putJSON(t.tx.Bucket(bucketConnections), []byte(c.ID), c)
}

// markInterrupted turns what a dead process left "syncing" (or queued)
// into "interrupted": the connections (due again at once) and their
// unfinished runs. The store is opened by one process at a time, so nothing
// found syncing at open is still running. Every connection's last runs are
// looked at, whatever its status: a process killed between saving its run
// and its connection's status leaves a run syncing under a connection that
// is not.
func (t *Tx) markInterrupted() error {
	conns, err := t.Connections()
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.interrupt(t.now) {
			if err := t.PutConnection(&c); err != nil {
				return err
			}
		}
		runs, err := t.Runs(c.ID, 3)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if r.interrupt(t.now) {
				if err := t.PutRun(&r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// interrupt makes a connection that a dead process left syncing or queued
// interrupted and due at once; it reports whether it changed c.
func (c *Connection) interrupt(now time.Time) bool {
	if c.Status != StatusSyncing && c.Status != StatusQueued {
		return false
	}
	c.Status = StatusInterrupted
	c.StatusDetail = "the last sync stopped before it finished (tenantsync was closed or crashed); it runs again"
	c.NextSync = now
	return true
}

// interrupt makes a run that a dead process left syncing interrupted; it
// reports whether it changed r.
func (r *SyncRun) interrupt(now time.Time) bool {
	if r.Status != StatusSyncing {
		return false
	}
	r.Status = StatusInterrupted
	r.Log = append(r.Log, LogEntry{At: now, Level: LevelWarning, Message: "interrupted: tenantsync stopped before this run finished; tenants committed before that are kept"})
	return true
}

// DeleteConnection removes a connection with its tenants, decisions, mirrors
// and sync logs. Organizations and contacts stay; their links are kept so a
// reconnect finds them again.
func (t *Tx) DeleteConnection(id string) error {
	prefix := append([]byte(id), 0)
	for _, name := range [][]byte{bucketTenants, bucketDecisions} {
		if err := deletePrefix(t.tx.Bucket(name), prefix); err != nil {
			return err
		}
	}
	mirror := t.tx.Bucket(bucketMirror)
	var nested [][]byte
	c := mirror.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		nested = append(nested, append([]byte(nil), k...))
	}
	for _, k := range nested {
		if err := mirror.DeleteBucket(k); err != nil {
			return err
		}
	}
	runConn := t.tx.Bucket(bucketRunConn)
	runs := t.tx.Bucket(bucketRuns)
	rc := runConn.Cursor()
	for k, _ := rc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = rc.Seek(prefix) {
		if err := runs.Delete(k[len(prefix):]); err != nil {
			return err
		}
		if err := rc.Delete(); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bucketConnections).Delete([]byte(id))
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// Tenant returns one tenant of a connection.
func (t *Tx) Tenant(connID, tenantID string) (Tenant, error) {
	var tn Tenant
	if err := getJSON(t.tx.Bucket(bucketTenants), keyOf(connID, tenantID), &tn); err != nil {
		return tn, fmt.Errorf("tenant %s: %w", tenantID, err)
	}
	return tn, nil
}

// Tenants returns a connection's tenants ordered by display name.
func (t *Tx) Tenants(connID string) ([]Tenant, error) {
	var out []Tenant
	prefix := append([]byte(connID), 0)
	c := t.tx.Bucket(bucketTenants).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var tn Tenant
		if err := json.Unmarshal(v, &tn); err != nil {
			return nil, fmt.Errorf("tenant %s: %w", k[len(prefix):], err)
		}
		out = append(out, tn)
	}
	sortBy(out, func(tn Tenant) string { return Fold(tn.DisplayName) })
	return out, nil
}

// PutTenant creates or replaces a tenant record.
func (t *Tx) PutTenant(tn *Tenant) error {
	if tn.ConnectionID == "" || tn.TenantID == "" {
		return fmt.Errorf("tenant needs a connection and a tenant id")
	}
	if tn.MatchState == "" {
		tn.MatchState = MatchUnmatched
	}
	return putJSON(t.tx.Bucket(bucketTenants), keyOf(tn.ConnectionID, tn.TenantID), tn)
}

// Decision returns the technician's decision for a tenant, if any.
func (t *Tx) Decision(connID, tenantID string) (Decision, bool, error) {
	var d Decision
	err := getJSON(t.tx.Bucket(bucketDecisions), keyOf(connID, tenantID), &d)
	if err == ErrNotFound {
		return d, false, nil
	}
	return d, err == nil, err
}

// PutDecision records the technician's decision for a tenant.
func (t *Tx) PutDecision(connID, tenantID string, d Decision) error {
	if d.At.IsZero() {
		d.At = t.now
	}
	return putJSON(t.tx.Bucket(bucketDecisions), keyOf(connID, tenantID), d)
}

// Mirror is the Microsoft data of one tenant inside a transaction.
type Mirror struct {
	b *bolt.Bucket
}

// Mirror opens (creating in a write transaction) the mirror of one tenant. In a
// read transaction a tenant never synced yields an empty mirror.
func (t *Tx) Mirror(connID, tenantID string) (*Mirror, error) {
	root := t.tx.Bucket(bucketMirror)
	key := keyOf(connID, tenantID)
	if b := root.Bucket(key); b != nil {
		return &Mirror{b: b}, nil
	}
	if !t.tx.Writable() {
		return &Mirror{}, nil
	}
	b, err := root.CreateBucket(key)
	if err != nil {
		return nil, err
	}
	for _, name := range [][]byte{bucketMirrorUsers, bucketMirrorMailbox, bucketMirrorLicense, bucketMirrorDevices, bucketMirrorState} {
		if _, err := b.CreateBucket(name); err != nil {
			return nil, err
		}
	}
	return &Mirror{b: b}, nil
}

func (m *Mirror) sub(name []byte) *bolt.Bucket {
	if m.b == nil {
		return nil
	}
	return m.b.Bucket(name)
}

// User returns one directory user.
func (m *Mirror) User(objectID string) (DirectoryUser, bool, error) {
	var u DirectoryUser
	b := m.sub(bucketMirrorUsers)
	if b == nil {
		return u, false, nil
	}
	err := getJSON(b, []byte(strings.ToLower(objectID)), &u)
	if err == ErrNotFound {
		return u, false, nil
	}
	return u, err == nil, err
}

// ForEachUser calls fn for every directory user.
func (m *Mirror) ForEachUser(fn func(u *DirectoryUser) error) error {
	b := m.sub(bucketMirrorUsers)
	if b == nil {
		return nil
	}
	return b.ForEach(func(_, v []byte) error {
		var u DirectoryUser
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		return fn(&u)
	})
}

// UserCount is the number of directory users.
func (m *Mirror) UserCount() int {
	if b := m.sub(bucketMirrorUsers); b != nil {
		return b.Stats().KeyN
	}
	return 0
}

// PutUser stores one directory user.
func (m *Mirror) PutUser(u *DirectoryUser) error {
	return putJSON(m.sub(bucketMirrorUsers), []byte(strings.ToLower(u.ObjectID)), u)
}

// DeleteUser removes one directory user.
func (m *Mirror) DeleteUser(objectID string) error {
	return m.sub(bucketMirrorUsers).Delete([]byte(strings.ToLower(objectID)))
}

// ClearUsers removes every directory user, before a full read replaces them.
func (m *Mirror) ClearUsers() error { return m.clear(bucketMirrorUsers) }

func (m *Mirror) clear(name []byte) error {
	if err := m.b.DeleteBucket(name); err != nil {
		return err
	}
	_, err := m.b.CreateBucket(name)
	return err
}

// ReplaceMailboxes replaces the mailbox usage rows.
func (m *Mirror) ReplaceMailboxes(rows []Mailbox) error {
	if err := m.clear(bucketMirrorMailbox); err != nil {
		return err
	}
	b := m.sub(bucketMirrorMailbox)
	for i := range rows {
		if err := putJSON(b, []byte(strings.ToLower(rows[i].UPN)), &rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// Mailbox returns the mailbox usage of a user principal name.
func (m *Mirror) Mailbox(upn string) (Mailbox, bool) {
	var mb Mailbox
	b := m.sub(bucketMirrorMailbox)
	if b == nil {
		return mb, false
	}
	return mb, getJSON(b, []byte(strings.ToLower(upn)), &mb) == nil
}

// Mailboxes returns every mailbox row.
func (m *Mirror) Mailboxes() ([]Mailbox, error) { return listJSON[Mailbox](m.sub(bucketMirrorMailbox)) }

// ReplaceLicenses replaces the subscribed SKUs.
func (m *Mirror) ReplaceLicenses(rows []License) error {
	if err := m.clear(bucketMirrorLicense); err != nil {
		return err
	}
	b := m.sub(bucketMirrorLicense)
	for i := range rows {
		if err := putJSON(b, []byte(strings.ToLower(rows[i].SKUID)), &rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// Licenses returns the subscribed SKUs.
func (m *Mirror) Licenses() ([]License, error) { return listJSON[License](m.sub(bucketMirrorLicense)) }

// ReplaceDevices replaces the managed devices.
func (m *Mirror) ReplaceDevices(rows []Device) error {
	if err := m.clear(bucketMirrorDevices); err != nil {
		return err
	}
	b := m.sub(bucketMirrorDevices)
	for i := range rows {
		if err := putJSON(b, []byte(rows[i].ID), &rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// Devices returns the managed devices.
func (m *Mirror) Devices() ([]Device, error) { return listJSON[Device](m.sub(bucketMirrorDevices)) }

// DeltaLink is the saved users delta link; empty means a full read is due.
func (m *Mirror) DeltaLink() string {
	if b := m.sub(bucketMirrorState); b != nil {
		return string(b.Get(keyDelta))
	}
	return ""
}

// SetDeltaLink saves the users delta link (empty forgets it).
func (m *Mirror) SetDeltaLink(link string) error {
	b := m.sub(bucketMirrorState)
	if link == "" {
		return b.Delete(keyDelta)
	}
	return b.Put(keyDelta, []byte(link))
}

// Synced is when the mirror was last committed by a sync.
func (m *Mirror) Synced() time.Time {
	if b := m.sub(bucketMirrorState); b != nil {
		t, _ := time.Parse(time.RFC3339Nano, string(b.Get(keySynced)))
		return t
	}
	return time.Time{}
}

// Stamp returns the time saved under a state key (zero when never).
func (m *Mirror) Stamp(key string) time.Time {
	if b := m.sub(bucketMirrorState); b != nil {
		t, _ := time.Parse(time.RFC3339Nano, string(b.Get([]byte("at:"+key))))
		return t
	}
	return time.Time{}
}

// SetStamp saves a time under a state key, e.g. when users were last read
// in full or the mailbox report last fetched.
func (m *Mirror) SetStamp(key string, at time.Time) error {
	return m.sub(bucketMirrorState).Put([]byte("at:"+key), []byte(at.UTC().Format(time.RFC3339Nano)))
}

// SetSynced records when the mirror was committed.
func (m *Mirror) SetSynced(at time.Time) error {
	return m.sub(bucketMirrorState).Put(keySynced, []byte(at.UTC().Format(time.RFC3339Nano)))
}

func listJSON[T any](b *bolt.Bucket) ([]T, error) {
	if b == nil {
		return nil, nil
	}
	var out []T
	err := b.ForEach(func(_, v []byte) error {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// PutRun creates (ID 0) or replaces a sync run log.
func (t *Tx) PutRun(r *SyncRun) error {
	b := t.tx.Bucket(bucketRuns)
	if r.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = id
		if err := t.tx.Bucket(bucketRunConn).Put(append(append([]byte(r.ConnectionID), 0), idKey(id)...), nil); err != nil {
			return err
		}
	}
	return putJSON(b, idKey(r.ID), r)
}

// Run returns one sync run.
func (t *Tx) Run(id uint64) (SyncRun, error) {
	var r SyncRun
	if err := getJSON(t.tx.Bucket(bucketRuns), idKey(id), &r); err != nil {
		return r, fmt.Errorf("sync run %d: %w", id, err)
	}
	if t.deadSyncs {
		r.interrupt(t.now)
	}
	return r, nil
}

// Runs returns up to limit runs, newest first; connID "" means every connection.
func (t *Tx) Runs(connID string, limit int) ([]SyncRun, error) {
	var out []SyncRun
	add := func(v []byte) error {
		var r SyncRun
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if t.deadSyncs {
			r.interrupt(t.now)
		}
		out = append(out, r)
		return nil
	}
	runs := t.tx.Bucket(bucketRuns)
	if connID == "" {
		c := runs.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			if err := add(v); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	prefix := append([]byte(connID), 0)
	c := t.tx.Bucket(bucketRunConn).Cursor()
	k, _ := c.Seek(append([]byte(connID), 1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
		if v := runs.Get(k[len(prefix):]); v != nil {
			if err := add(v); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// PutBlob stores opaque bytes (ciphertext) under name.
func (s *Store) PutBlob(ctx context.Context, name string, data []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketBlobs).Put([]byte(name), data) })
}

// Blob returns the bytes stored under name, or ErrNotFound.
func (s *Store) Blob(ctx context.Context, name string) ([]byte, error) {
	var out []byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBlobs).Get([]byte(name))
		if v == nil {
			return ErrNotFound
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// DeleteBlob removes a blob; a missing blob is not an error.
func (s *Store) DeleteBlob(ctx context.Context, name string) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketBlobs).Delete([]byte(name)) })
}
