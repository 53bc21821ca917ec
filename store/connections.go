package store

import (
	"bytes"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Connection returns the connection with id.
func (t *Tx) Connection(id string) (Connection, error) {
	var c Connection
	if err := getJSON(t.tx.Bucket(bucketConnections), []byte(id), &c); err != nil {
		return c, fmt.Errorf("connection %s: %w", id, err)
	}
	t.asFound(&c)
	return c, nil
}

// Connections returns every connection ordered by name.
func (t *Tx) Connections() ([]Connection, error) {
	out, err := listJSON[Connection](t.tx.Bucket(bucketConnections))
	for i := range out {
		t.asFound(&out[i])
	}
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
