package store

import (
	"bytes"
	"encoding/json"
	"fmt"
)

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
	t.asFound(&r)
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
		t.asFound(&r)
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
