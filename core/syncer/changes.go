package syncer

import (
	"context"
	"slices"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// ChangeListener hears what the engine changed in the documentation base;
// *docbase.Service is one, and passes it on to its subscribers.
type ChangeListener interface {
	Publish(docbase.Change)
}

// tenantChanged tells the listener that a tenant's record, mirror or match
// changed, and with it the contacts of the organizations it was and is
// matched to: per tenant, not per contact, is what a view needs to redraw
// after a sync's commit.
func (e *Engine) tenantChanged(connID, tenantID string, orgIDs ...uint64) {
	if e.opt.Changes == nil {
		return
	}
	var orgs []uint64
	for _, id := range orgIDs {
		if id != 0 && !slices.Contains(orgs, id) {
			orgs = append(orgs, id)
		}
	}
	e.opt.Changes.Publish(docbase.Change{ConnectionID: connID, TenantID: tenantID, OrgIDs: orgs})
}

// Runs returns a connection's sync logs, the newest first, at most limit.
func (e *Engine) Runs(ctx context.Context, connID string, limit int) (runs []store.SyncRun, err error) {
	err = e.store.View(ctx, func(tx *store.Tx) error { runs, err = tx.Runs(connID, limit); return err })
	return runs, err
}
