package store

import (
	"bytes"
	"encoding/json"
	"fmt"
)

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

// DeleteDecision forgets the technician's decision for a tenant, as if none
// was ever made (undo of the first decision).
func (t *Tx) DeleteDecision(connID, tenantID string) error {
	return t.tx.Bucket(bucketDecisions).Delete(keyOf(connID, tenantID))
}
