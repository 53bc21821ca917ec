package docbase_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

const gib = int64(1) << 30

// newPageFixture fills a temp store with one organization matched to a
// tenant whose mirror holds known licenses, mailboxes, devices and users,
// and returns the organization's id.
func newPageFixture(t *testing.T, set store.SyncSettings) (*docbase.Service, uint64) {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	end := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	var org uint64
	err = s.Update(context.Background(), func(tx *store.Tx) error {
		o := store.Organization{Name: "Contoso", Domains: []string{"contoso.example"}}
		if err := tx.PutOrg(&o); err != nil {
			return err
		}
		org = o.ID
		other := store.Organization{Name: "Fabrikam"}
		if err := tx.PutOrg(&other); err != nil {
			return err
		}
		if err := tx.PutConnection(&store.Connection{ID: "c1", Name: "Partner", Mode: store.ModeGDAP, Settings: set}); err != nil {
			return err
		}
		if err := tx.PutTenant(&store.Tenant{ConnectionID: "c1", TenantID: "t1", DisplayName: "Contoso Ltd", MatchState: store.MatchMatched, OrgID: o.ID,
			Relationship: &store.Relationship{ID: "r1", Status: "active", End: end},
			Findings:     []store.Finding{{Severity: store.SeverityWarning, Code: "x", Message: "something", Fix: "do it"}}}); err != nil {
			return err
		}
		// A tenant matched elsewhere must not show on Contoso's page.
		if err := tx.PutTenant(&store.Tenant{ConnectionID: "c1", TenantID: "t2", DisplayName: "Fabrikam Inc", MatchState: store.MatchMatched, OrgID: other.ID}); err != nil {
			return err
		}
		m, err := tx.Mirror("c1", "t1")
		if err != nil {
			return err
		}
		for _, u := range []store.DirectoryUser{
			{ObjectID: "u1", UPN: "ada@contoso.example", AccountEnabled: true, SKUs: []string{"sku-e3"}},
			{ObjectID: "u2", UPN: "bob@contoso.example", SKUs: []string{"sku-e3", "sku-gone"}}, // left, still licensed
			{ObjectID: "u3", UPN: "cy@contoso.example"},                                        // left, no licenses
		} {
			if err := m.PutUser(&u); err != nil {
				return err
			}
		}
		if err := m.ReplaceLicenses([]store.License{
			{SKUID: "sku-e3", PartNumber: "ENTERPRISEPACK", FriendlyName: "Office 365 E3", Enabled: 25, Consumed: 20},
			{SKUID: "sku-bp", PartNumber: "SPB", Enabled: 10, Consumed: 12},
		}); err != nil {
			return err
		}
		if err := m.ReplaceMailboxes([]store.Mailbox{
			{UPN: "ada@contoso.example", StorageUsed: 10 * gib, WarningQuota: 49 * gib, ProhibitSendRecv: 50 * gib},
			{UPN: "bob@contoso.example", StorageUsed: 49 * gib, WarningQuota: 49 * gib, ProhibitSendRecv: 50 * gib}, // at warning
			{UPN: "cy@contoso.example", StorageUsed: 46 * gib, WarningQuota: 0, ProhibitSendRecv: 50 * gib},         // 92%
			{UPN: "dee@contoso.example", StorageUsed: 45 * gib, WarningQuota: 0, ProhibitSendRecv: 50 * gib},        // exactly 90%
		}); err != nil {
			return err
		}
		if err := m.ReplaceDevices([]store.Device{
			{ID: "d2", Name: "KIOSK", ComplianceState: "noncompliant"},
			{ID: "d1", Name: "ADA-LAPTOP", ComplianceState: "compliant", Encrypted: true},
		}); err != nil {
			return err
		}
		for _, c := range []store.Contact{
			{OrgID: o.ID, FirstName: "Ada", Link: &store.MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: "u1"}},
			{OrgID: o.ID, FirstName: "Bob", LastName: "Gone", Flags: []string{store.FlagLeaver}, Link: &store.MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: "u2"}},
			{OrgID: o.ID, FirstName: "Cy", Flags: []string{store.FlagLeaver}, Link: &store.MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: "u3"}},
		} {
			if err := tx.PutContact(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docbase.New(s), org
}

func TestOrgPageReadsTheMatchedTenantsFigures(t *testing.T) {
	t.Parallel()
	docs, org := newPageFixture(t, store.DefaultSyncSettings())
	p, err := docs.OrgPage(t.Context(), org)
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.Org.Name != "Contoso" || len(p.Tenants) != 1 {
		t.Fatalf("OrgPage = %q with %d tenants, want Contoso with 1", p.Summary.Org.Name, len(p.Tenants))
	}
	tp := p.Tenants[0]
	var seats []string
	for _, l := range tp.Licenses {
		seats = append(seats, l.Name()+":"+strconv.Itoa(l.Spare))
	}
	if want := []string{"Office 365 E3:5", "SPB:-2"}; !slices.Equal(seats, want) {
		t.Errorf("spare seats = %v, want %v", seats, want)
	}
	if tp.Mailboxes != 4 {
		t.Errorf("Mailboxes = %d, want 4", tp.Mailboxes)
	}
	var near []string
	for _, mb := range tp.NearQuota {
		near = append(near, mb.UPN)
	}
	if want := []string{"bob@contoso.example", "cy@contoso.example"}; !slices.Equal(near, want) {
		t.Errorf("near quota = %v, want %v (fullest first; exactly 90%% is not near)", near, want)
	}
	var devices []string
	for _, d := range tp.Devices {
		devices = append(devices, d.Name)
	}
	if want := []string{"ADA-LAPTOP", "KIOSK"}; !slices.Equal(devices, want) {
		t.Errorf("devices = %v, want %v", devices, want)
	}
	if len(tp.Leavers) != 1 || tp.Leavers[0].Name != "Bob Gone" || strings.Join(tp.Leavers[0].Licenses, ",") != "Office 365 E3,sku-gone" {
		t.Errorf("leavers = %+v, want Bob Gone holding Office 365 E3 and sku-gone (the leaver without licenses left out)", tp.Leavers)
	}
	if r := tp.Tenant.Relationship; r == nil || r.Status != "active" || r.End.Year() != 2027 {
		t.Errorf("relationship = %+v, want active until 2027", r)
	}
	if len(tp.Tenant.Findings) != 1 || tp.Tenant.Findings[0].Fix != "do it" {
		t.Errorf("findings = %+v, want the tenant's one finding with its fix", tp.Tenant.Findings)
	}
	if tp.Unknown != (docbase.Unknown{}) {
		t.Errorf("Unknown = %+v, want none: every data type is synced", tp.Unknown)
	}
}

func TestOrgPageSaysWhyMailboxesAndDevicesAreUnknown(t *testing.T) {
	t.Parallel()
	set := store.DefaultSyncSettings()
	set.Mailboxes, set.Devices = false, false
	docs, org := newPageFixture(t, set)
	p, err := docs.OrgPage(t.Context(), org)
	if err != nil {
		t.Fatal(err)
	}
	u := p.Tenants[0].Unknown
	if !strings.HasPrefix(u.Mailbox, "not synced") || !strings.HasPrefix(u.Devices, "not synced") {
		t.Errorf("Unknown = %+v, want mailboxes and devices not synced", u)
	}
}

func TestOrgPageOfAnUnmatchedOrganization(t *testing.T) {
	t.Parallel()
	docs, _ := newPageFixture(t, store.DefaultSyncSettings())
	rows, err := docs.Rows(t.Context(), store.RowQuery{Kind: store.KindOrg, Text: "Fabrikam"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("Rows = %v, %v", rows, err)
	}
	p, err := docs.OrgPage(t.Context(), rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tenants) != 1 || p.Tenants[0].TenantID != "t2" || len(p.Tenants[0].Licenses) != 0 {
		t.Errorf("Fabrikam's page = %+v, want its own tenant t2 with an empty mirror", p.Tenants)
	}
}

func TestNearQuota(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mb   store.Mailbox
		want bool
	}{
		{store.Mailbox{}, false},
		{store.Mailbox{StorageUsed: 5, WarningQuota: 5}, true},
		{store.Mailbox{StorageUsed: 4, WarningQuota: 5, ProhibitSendRecv: 10}, false},
		{store.Mailbox{StorageUsed: 9, ProhibitSendRecv: 10}, false},
		{store.Mailbox{StorageUsed: 91, ProhibitSendRecv: 100}, true},
	} {
		if got := docbase.NearQuota(tc.mb); got != tc.want {
			t.Errorf("NearQuota(%+v) = %v, want %v", tc.mb, got, tc.want)
		}
	}
}
