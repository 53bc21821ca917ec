package store

import (
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
	return replaceRows(m, bucketMirrorMailbox, rows, func(r *Mailbox) string { return strings.ToLower(r.UPN) })
}

// replaceRows empties the mirror's bucket name and fills it with rows, each
// under key(row), so a report read again leaves no row it no longer has.
func replaceRows[T any](m *Mirror, name []byte, rows []T, key func(*T) string) error {
	if err := m.clear(name); err != nil {
		return err
	}
	b := m.sub(name)
	for i := range rows {
		if err := putJSON(b, []byte(key(&rows[i])), &rows[i]); err != nil {
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
	return replaceRows(m, bucketMirrorLicense, rows, func(r *License) string { return strings.ToLower(r.SKUID) })
}

// Licenses returns the subscribed SKUs.
func (m *Mirror) Licenses() ([]License, error) { return listJSON[License](m.sub(bucketMirrorLicense)) }

// ReplaceDevices replaces the managed devices.
func (m *Mirror) ReplaceDevices(rows []Device) error {
	return replaceRows(m, bucketMirrorDevices, rows, func(r *Device) string { return r.ID })
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
func (m *Mirror) Synced() time.Time { return m.stateTime(keySynced) }

// SetSynced records when the mirror was committed.
func (m *Mirror) SetSynced(at time.Time) error { return m.setStateTime(keySynced, at) }

// Stamp returns the time saved under a state key (zero when never).
func (m *Mirror) Stamp(key string) time.Time { return m.stateTime([]byte("at:" + key)) }

// SetStamp saves a time under a state key, e.g. when users were last read
// in full or the mailbox report last fetched.
func (m *Mirror) SetStamp(key string, at time.Time) error {
	return m.setStateTime([]byte("at:"+key), at)
}

// stateTime reads a time saved by setStateTime; a tenant never synced, a
// key never set or a value that does not parse all read as zero: never.
func (m *Mirror) stateTime(key []byte) time.Time {
	if b := m.sub(bucketMirrorState); b != nil {
		t, _ := time.Parse(time.RFC3339Nano, string(b.Get(key)))
		return t
	}
	return time.Time{}
}

func (m *Mirror) setStateTime(key []byte, at time.Time) error {
	return m.sub(bucketMirrorState).Put(key, []byte(at.UTC().Format(time.RFC3339Nano)))
}

// listJSON decodes every value of b, in key order; a missing bucket has none.
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
