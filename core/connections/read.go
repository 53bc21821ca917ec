package connections

import (
	"context"

	"github.com/tenantsync/tenantsync/store"
)

// Connections returns every connection, ordered by name.
func (m *Manager) Connections(ctx context.Context) (conns []store.Connection, err error) {
	err = m.store.View(ctx, func(tx *store.Tx) error { conns, err = tx.Connections(); return err })
	return conns, err
}

// Tenants returns a connection's customer tenants ordered by display name.
func (m *Manager) Tenants(ctx context.Context, connID string) (tenants []store.Tenant, err error) {
	err = m.store.View(ctx, func(tx *store.Tx) error { tenants, err = tx.Tenants(connID); return err })
	return tenants, err
}

// Tenant returns one tenant of a connection.
func (m *Manager) Tenant(ctx context.Context, connID, tenantID string) (t store.Tenant, err error) {
	err = m.store.View(ctx, func(tx *store.Tx) error { t, err = tx.Tenant(connID, tenantID); return err })
	return t, err
}

// Licenses returns the subscribed SKUs of each of a connection's tenants as
// the last sync saved them, by tenant id; a tenant never synced has none.
func (m *Manager) Licenses(ctx context.Context, connID string) (map[string][]store.License, error) {
	out := map[string][]store.License{}
	err := m.store.View(ctx, func(tx *store.Tx) error {
		tenants, err := tx.Tenants(connID)
		if err != nil {
			return err
		}
		for _, t := range tenants {
			m, err := tx.Mirror(connID, t.TenantID)
			if err != nil {
				return err
			}
			if out[t.TenantID], err = m.Licenses(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
