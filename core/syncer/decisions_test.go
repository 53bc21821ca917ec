package syncer_test

import (
	"errors"
	"testing"

	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// Undo of CreateOrgs removes the organization and the contacts it brought,
// once; a decision whose contacts changed since cannot be undone.
func TestUndoCreateOrgs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 5, Tenants: 2, UsersPerTenant: 12, CleanTenants: true, DisableThrottling: true})
	f.sync()
	tenantID := f.sim.Customers()[0].ID

	out, err := f.engine.CreateOrgs(f.ctx, f.conn.ID, []string{tenantID}, true)
	if err != nil {
		t.Fatal(err)
	}
	orgID := f.tenant(tenantID).OrgID
	if out.Created == 0 || out.RunID == 0 || orgID == 0 {
		t.Fatalf("CreateOrgs = %+v, org %d; want contacts created and logged", out, orgID)
	}
	if what, ok := f.engine.LastDecision(f.conn.ID); !ok || what == "" {
		t.Fatal("no decision to undo after CreateOrgs")
	}
	undone, err := f.engine.Undo(f.ctx, f.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if undone.Removed != out.Created {
		t.Errorf("Undo removed %d contacts, want the %d created", undone.Removed, out.Created)
	}
	if tn := f.tenant(tenantID); tn.MatchState != store.MatchUnmatched || tn.OrgID != 0 {
		t.Errorf("after Undo the tenant is %s to %d, want unmatched", tn.MatchState, tn.OrgID)
	}
	if _, err := f.store.Org(f.ctx, orgID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the organization CreateOrgs made is still there: %v", err)
	}
	if _, err := f.engine.Undo(f.ctx, f.conn.ID); !errors.Is(err, syncer.ErrNothingToUndo) {
		t.Errorf("second Undo = %v, want ErrNothingToUndo", err)
	}

	// An edit after the decision: undo refuses and changes nothing.
	if _, err := f.engine.CreateOrgs(f.ctx, f.conn.ID, []string{tenantID}, true); err != nil {
		t.Fatal(err)
	}
	orgID = f.tenant(tenantID).OrgID
	var c store.Contact
	if err := f.store.Update(f.ctx, func(tx *store.Tx) error {
		cs, err := tx.OrgContacts(orgID)
		if err != nil || len(cs) == 0 {
			return errors.Join(err, errors.New("no contact"))
		}
		c = cs[0]
		c.Notes = "met at the office"
		return tx.PutContact(&c)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Undo(f.ctx, f.conn.ID); err == nil {
		t.Fatal("Undo went ahead over a contact edited since the decision")
	}
	if tn := f.tenant(tenantID); tn.MatchState != store.MatchMatched || tn.OrgID != orgID {
		t.Errorf("a refused Undo changed the tenant: %s to %d", tn.MatchState, tn.OrgID)
	}
	if got, err := f.store.Contact(f.ctx, c.ID); err != nil || got.Notes != c.Notes {
		t.Errorf("a refused Undo changed the edited contact: %+v, %v", got, err)
	}
}

// Changing a match takes the contacts sync created out of the old
// organization and creates them in the new one; Undo puts them back.
func TestChangeMatchMovesContacts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 6, Tenants: 1, UsersPerTenant: 12, CleanTenants: true, DisableThrottling: true})
	f.sync()
	tenantID := f.sim.Customers()[0].ID
	if _, err := f.engine.CreateOrgs(f.ctx, f.conn.ID, []string{tenantID}, true); err != nil {
		t.Fatal(err)
	}
	first := f.tenant(tenantID).OrgID
	contacts := func(orgID uint64) []store.Contact {
		var cs []store.Contact
		if err := f.store.View(f.ctx, func(tx *store.Tx) (err error) { cs, err = tx.OrgContacts(orgID); return err }); err != nil {
			t.Fatal(err)
		}
		return cs
	}
	n := len(contacts(first))
	if n == 0 {
		t.Fatal("CreateOrgs created no contact")
	}
	other := &store.Organization{Name: "Somewhere Else"}
	if err := f.store.PutOrg(f.ctx, other); err != nil {
		t.Fatal(err)
	}
	preview, err := f.engine.PreviewLeaving(f.ctx, f.conn.ID, []string{tenantID})
	if err != nil || len(preview) != 1 || len(preview[0].Remove) != n || len(preview[0].Keep) != 0 {
		t.Fatalf("PreviewLeaving = %+v, %v; want the %d contacts sync created to be removed", preview, err, n)
	}
	out, err := f.engine.MatchTo(f.ctx, f.conn.ID, []string{tenantID}, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out.Removed != n || out.Created != n {
		t.Errorf("MatchTo = %+v, want %d removed and %d created", out, n, n)
	}
	if got := len(contacts(first)); got != 0 {
		t.Errorf("the old organization keeps %d contacts of the tenant", got)
	}
	if got := len(contacts(other.ID)); got != n {
		t.Errorf("the new organization has %d contacts, want %d", got, n)
	}
	if _, err := f.engine.Undo(f.ctx, f.conn.ID); err != nil {
		t.Fatal(err)
	}
	if tn := f.tenant(tenantID); tn.OrgID != first || len(contacts(first)) != n || len(contacts(other.ID)) != 0 {
		t.Errorf("after Undo: tenant to %d (want %d), %d contacts in the first organization, %d in the other",
			tn.OrgID, first, len(contacts(first)), len(contacts(other.ID)))
	}
}

// CreateOrgNamed names the organization as the technician typed it (spaces
// folded), checks that name for duplicates, and refuses an empty one.
func TestCreateOrgNamed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 5, Tenants: 2, UsersPerTenant: 12, CleanTenants: true, DisableThrottling: true})
	f.sync()
	first, second := f.sim.Customers()[0].ID, f.sim.Customers()[1].ID

	if _, err := f.engine.CreateOrgNamed(f.ctx, f.conn.ID, first, "  \t ", false); !errors.Is(err, syncer.ErrEmptyOrgName) {
		t.Fatalf("CreateOrgNamed(blank) = %v, want ErrEmptyOrgName", err)
	}
	if tn := f.tenant(first); tn.MatchState != store.MatchUnmatched {
		t.Fatalf("a refused create left the tenant %s", tn.MatchState)
	}
	out, err := f.engine.CreateOrgNamed(f.ctx, f.conn.ID, first, "  Northwind   Traders (HQ) ", false)
	if err != nil {
		t.Fatal(err)
	}
	tn := f.tenant(first)
	org, err := f.store.Org(f.ctx, tn.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	if tn.MatchState != store.MatchMatched || org.Name != "Northwind Traders (HQ)" || out.Created == 0 {
		t.Errorf("CreateOrgNamed: tenant %s to %q, %d contacts created; want matched to \"Northwind Traders (HQ)\" with its contacts", tn.MatchState, org.Name, out.Created)
	}
	// The chosen name, not the tenant's, is what the duplicate check
	// compares: a second tenant under the same name is a likely duplicate.
	var dup *syncer.DuplicateError
	if _, err := f.engine.CreateOrgNamed(f.ctx, f.conn.ID, second, "Northwind Traders (HQ)", false); !errors.As(err, &dup) {
		t.Fatalf("CreateOrgNamed(existing name) = %v, want a *DuplicateError", err)
	}
	if _, ok := dup.Likely["Northwind Traders (HQ)"]; !ok {
		t.Errorf("DuplicateError names %v, want the chosen name", dup.Likely)
	}
}
