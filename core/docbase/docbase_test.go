package docbase_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// fixture is a documentation base in a temp bbolt file: one organization
// matched to a tenant, a contact linked to that tenant's user and a local
// contact.
type fixture struct {
	ctx           context.Context
	store         *store.Store
	docs          *docbase.Service
	org           uint64
	linked, local uint64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{ctx: context.Background(), store: s, docs: docbase.New(s)}
	err = s.Update(f.ctx, func(tx *store.Tx) error {
		o := store.Organization{Name: "Contoso", Domains: []string{"contoso.example"}}
		if err := tx.PutOrg(&o); err != nil {
			return err
		}
		f.org = o.ID
		if err := tx.PutConnection(&store.Connection{ID: "c1", Name: "Partner"}); err != nil {
			return err
		}
		if err := tx.PutTenant(&store.Tenant{ConnectionID: "c1", TenantID: "t1", DisplayName: "Contoso Ltd", MatchState: store.MatchMatched, OrgID: o.ID}); err != nil {
			return err
		}
		m, err := tx.Mirror("c1", "t1")
		if err != nil {
			return err
		}
		if err := m.PutUser(&store.DirectoryUser{ObjectID: "u1", UPN: "ada@contoso.example", JobTitle: "CFO", SKUs: []string{"sku-e3"}}); err != nil {
			return err
		}
		if err := m.ReplaceLicenses([]store.License{{SKUID: "sku-e3", PartNumber: "ENTERPRISEPACK"}, {SKUID: "sku-other", PartNumber: "FLOW_FREE"}}); err != nil {
			return err
		}
		if err := m.ReplaceDevices([]store.Device{{ID: "d1", Name: "ADA-LAPTOP", UserUPN: "ADA@contoso.example"}, {ID: "d2", Name: "KIOSK", UserUPN: "kiosk@contoso.example"}}); err != nil {
			return err
		}
		linked := store.Contact{OrgID: o.ID, FirstName: "Ada", LastName: "Lovelace", Title: "CFO", PrimaryEmail: "ada@contoso.example",
			Link: &store.MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: "u1"}}
		if err := tx.PutContact(&linked); err != nil {
			return err
		}
		local := store.Contact{OrgID: o.ID, FirstName: "Grace", LastName: "Hopper"}
		if err := tx.PutContact(&local); err != nil {
			return err
		}
		f.linked, f.local = linked.ID, local.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestContactDetailReadsTheLinkedUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, err := f.docs.ContactDetail(f.ctx, f.linked)
	if err != nil {
		t.Fatal(err)
	}
	if d.OrgName != "Contoso" || d.ConnectionName != "Partner" || d.TenantName != "Contoso Ltd" {
		t.Errorf("ContactDetail names org %q, connection %q, tenant %q", d.OrgName, d.ConnectionName, d.TenantName)
	}
	if d.User == nil || d.User.UPN != "ada@contoso.example" {
		t.Fatalf("ContactDetail user = %+v, want ada@contoso.example", d.User)
	}
	if len(d.Licenses) != 1 || d.Licenses[0].SKUID != "sku-e3" {
		t.Errorf("licenses = %+v, want only the user's sku-e3", d.Licenses)
	}
	if len(d.Devices) != 1 || d.Devices[0].Name != "ADA-LAPTOP" {
		t.Errorf("devices = %+v, want only the user's laptop (UPN case-insensitive)", d.Devices)
	}

	local, err := f.docs.ContactDetail(f.ctx, f.local)
	if err != nil || local.User != nil || local.TenantName != "" {
		t.Errorf("ContactDetail(local) = user %v, tenant %q, %v; want no Microsoft side", local.User, local.TenantName, err)
	}
	if _, err := f.docs.ContactDetail(f.ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ContactDetail(missing) error = %v, want ErrNotFound", err)
	}
}

// Editing a synced field locks it, so the next sync keeps the technician's
// value; a local contact has nothing to lock against. Each edit reaches a
// subscriber as the contact's id.
func TestSetFieldLocksSyncedFieldsAndPublishes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sub := f.docs.Subscribe()
	defer sub.Close()

	c, err := f.docs.SetField(f.ctx, f.linked, store.FieldTitle, " Chief Financial Officer ")
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "Chief Financial Officer" || !c.IsLocked(store.FieldTitle) {
		t.Errorf("SetField(linked) = title %q, locked %v; want the trimmed value, locked", c.Title, c.Locked)
	}
	c, err = f.docs.SetField(f.ctx, f.local, store.FieldOtherEmails, "a@x.example, ,b@x.example")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.OtherEmails, []string{"a@x.example", "b@x.example"}) || len(c.Locked) != 0 {
		t.Errorf("SetField(local, other e-mails) = %v, locked %v", c.OtherEmails, c.Locked)
	}
	<-sub.Ready()
	got := sub.Take()
	if !slices.Equal(got.ContactIDs(), []uint64{f.linked, f.local}) || len(got.Orgs) != 0 {
		t.Errorf("subscriber took contacts %v, orgs %v; want both contacts and no organization", got.ContactIDs(), got.Orgs)
	}

	rows, err := f.docs.ContactRows(f.ctx, []uint64{f.linked, 999})
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[f.linked]; r == nil || r.Title != "Chief Financial Officer" || len(rows) != 1 {
		t.Errorf("ContactRows = %v, want the edited row only", rows)
	}
}

func TestSetFieldLockPinsAndReleases(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, err := f.docs.SetFieldLock(f.ctx, f.linked, store.FieldMobile, true)
	if err != nil || !c.IsLocked(store.FieldMobile) {
		t.Fatalf("lock: locked %v, %v", c.Locked, err)
	}
	if c, err = f.docs.SetFieldLock(f.ctx, f.linked, store.FieldMobile, true); err != nil || len(c.Locked) != 1 {
		t.Errorf("locking twice: locked %v, %v; want it once", c.Locked, err)
	}
	if c, err = f.docs.SetFieldLock(f.ctx, f.linked, store.FieldMobile, false); err != nil || c.IsLocked(store.FieldMobile) {
		t.Errorf("release: locked %v, %v", c.Locked, err)
	}
	if _, err := f.docs.SetFieldLock(f.ctx, f.linked, "shoe_size", true); !errors.Is(err, docbase.ErrUnknownField) {
		t.Errorf("locking an unknown field: %v, want ErrUnknownField", err)
	}
}

func TestOrgSummaryNamesMatchedTenants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sum, err := f.docs.OrgSummary(f.ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	if want := "contoso.example · Microsoft 365: Contoso Ltd (Partner)"; sum.Text() != want {
		t.Errorf("OrgSummary.Text() = %q, want %q", sum.Text(), want)
	}
	if got := (docbase.OrgSummary{}).Text(); got != "not matched to a Microsoft 365 tenant" {
		t.Errorf("an unmatched organization reads %q", got)
	}
}

// However many changes are published before a subscriber looks, it takes
// them as one set; publishing never blocks, and a closed subscription hears
// nothing more.
func TestChangesMergeUntilTaken(t *testing.T) {
	t.Parallel()
	docs := docbase.New(nil) // publishing touches no store
	a, b := docs.Subscribe(), docs.Subscribe()
	defer b.Close()
	for i := range 1000 {
		docs.Publish(docbase.Change{ConnectionID: "c1", TenantID: "t1", OrgIDs: []uint64{uint64(i % 3), 7}})
	}
	docs.Publish(docbase.Change{ContactIDs: []uint64{42}})
	<-a.Ready()
	got := a.Take()
	if len(got.Tenants) != 1 || len(got.Orgs) != 3 || !got.Orgs[7] || !got.Contacts[42] || got.Orgs[0] {
		t.Errorf("merged changes = %+v; want one tenant, organizations 1, 2 and 7 (0 is none), contact 42", got)
	}
	if tenants := got.TenantsOf("c1"); !slices.Equal(tenants, []string{"t1"}) {
		t.Errorf("TenantsOf(c1) = %v", tenants)
	}
	if again := a.Take(); !again.Empty() {
		t.Errorf("a second Take = %+v, want nothing", again)
	}
	if got := b.Take(); len(got.Orgs) != 3 {
		t.Errorf("the other subscriber took %+v, want the same changes", got)
	}

	a.Close()
	a.Close()
	docs.Publish(docbase.Change{ContactIDs: []uint64{1}})
	for range a.Ready() {
	}
	if got := a.Take(); !got.Empty() {
		t.Errorf("a closed subscription took %+v", got)
	}
}
