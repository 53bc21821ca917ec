package docbase

import (
	"context"
	"fmt"

	"github.com/tenantsync/tenantsync/store"
)

// MatchedOrgs returns, for every organization a tenant is matched to, the
// tenants matched to it (of every connection), so a picker can mark the
// organizations that already document a tenant.
func (s *Service) MatchedOrgs(ctx context.Context) (map[uint64][]MatchedTenant, error) {
	var out map[uint64][]MatchedTenant
	err := s.store.View(ctx, func(tx *store.Tx) (err error) {
		out, err = matchedTenants(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read matched organizations: %w", err)
	}
	return out, nil
}

// matchedTenants lists the tenants matched to each organization.
func matchedTenants(tx *store.Tx) (map[uint64][]MatchedTenant, error) {
	out := map[uint64][]MatchedTenant{}
	conns, err := tx.Connections()
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		tenants, err := tx.Tenants(c.ID)
		if err != nil {
			return nil, err
		}
		for _, t := range tenants {
			if t.MatchState == store.MatchMatched && t.OrgID != 0 {
				out[t.OrgID] = append(out[t.OrgID], MatchedTenant{ConnectionID: c.ID, ConnectionName: c.Name, TenantID: t.TenantID, DisplayName: t.DisplayName})
			}
		}
	}
	return out, nil
}
