package syncer_test

import (
	"testing"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// A technician's edit of a synced field survives the next sync, even when
// Microsoft's value changes meanwhile; the overlay shows Microsoft's value
// beside it.
func TestSyncKeepsAnEditedSyncedField(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 5, Tenants: 2, UsersPerTenant: 12, CleanTenants: true, DisableThrottling: true})
	cu := f.sim.Customers()[0]
	o := &store.Organization{Name: cu.DisplayName}
	if err := f.store.PutOrg(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	f.sync()
	snap := f.orgSnapshot(o.ID)
	if len(snap.linked) == 0 {
		t.Fatalf("first sync linked no contact to %s", cu.DisplayName)
	}
	var c store.Contact
	for _, c = range snap.linked {
		break
	}
	docs := docbase.New(f.store)
	in := docbase.FieldsOfContact(c)
	in.Title = "Edited by the technician"
	if _, err := docs.UpdateContact(f.ctx, c.ID, in); err != nil {
		t.Fatal(err)
	}
	msTitle := "Changed in Entra ID"
	if _, err := f.sim.Control().UpdateUser(cu.ID, c.Link.ObjectID, m365sim.UserPatch{JobTitle: &msTitle}); err != nil {
		t.Fatal(err)
	}
	if run := f.sync(); run.Status != store.StatusOK && run.Status != store.StatusWarning {
		t.Fatalf("second sync status %s: %+v", run.Status, run.Log)
	}
	d, err := docs.ContactDetail(f.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Contact.Title != in.Title || !d.Contact.IsLocked(store.FieldTitle) {
		t.Errorf("after sync: title %q locked %v, want the technician's %q locked", d.Contact.Title, d.Contact.Locked, in.Title)
	}
	if d.User == nil || d.User.JobTitle != msTitle {
		t.Errorf("after sync the mirror's job title = %v, want Microsoft's %q to show beside the edit", d.User, msTitle)
	}
	edited := false
	for _, h := range d.History {
		edited = edited || (h.Kind == store.ChangeEdited && h.By != "")
	}
	if !edited {
		t.Errorf("history %+v has no edit with who", d.History)
	}
}
