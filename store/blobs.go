package store

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

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
