package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Replace makes s hold exactly what src holds, in one write transaction of
// s: a reader sees the old contents or the new, a killed process leaves the
// old, and s stays open and locked throughout (no file is deleted or renamed
// under another process). The demo builds a new demo database aside and
// puts it in place this way.
func (s *Store) Replace(ctx context.Context, src *Store) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := src.transact(false, func(from *bolt.Tx) error {
		return s.transact(true, func(to *bolt.Tx) error {
			var names [][]byte
			if err := to.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, append([]byte(nil), name...))
				return nil
			}); err != nil {
				return err
			}
			for _, name := range names {
				if err := to.DeleteBucket(name); err != nil {
					return err
				}
			}
			return from.ForEach(func(name []byte, b *bolt.Bucket) error {
				nb, err := to.CreateBucket(name)
				if err != nil {
					return err
				}
				return copyBucket(nb, b)
			})
		})
	})
	if err != nil {
		return fmt.Errorf("replace %s: %w", s.path, err)
	}
	s.rowsMu.Lock()
	s.rows = nil // the search rows are those of the old contents
	s.rowsMu.Unlock()
	return nil
}

// copyBucket copies every key, nested bucket and sequence of from into to.
func copyBucket(to, from *bolt.Bucket) error {
	if err := to.SetSequence(from.Sequence()); err != nil {
		return err
	}
	return from.ForEach(func(k, v []byte) error {
		if v != nil {
			return to.Put(k, v)
		}
		nb, err := to.CreateBucket(k)
		if err != nil {
			return err
		}
		return copyBucket(nb, from.Bucket(k))
	})
}
