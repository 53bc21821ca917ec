package docbase_test

import (
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/store"
)

func TestWhyUnknown(t *testing.T) {
	all := store.DefaultSyncSettings()
	noP1 := store.Finding{Severity: store.SeverityWarning, Code: graph.CodeNoP1, DataType: graph.DataSignIns}
	tests := []struct {
		name   string
		set    store.SyncSettings
		tenant store.Tenant
		want   docbase.Unknown
	}{
		{"everything synced and read", all, store.Tenant{}, docbase.Unknown{}},
		{"no Entra ID P1", all, store.Tenant{Findings: []store.Finding{noP1}},
			docbase.Unknown{SignIns: "no sign-in data: this tenant has no Entra ID P1"}},
		{"concealed report names", all, store.Tenant{ConcealedNames: true, Findings: []store.Finding{{Code: graph.CodeConcealedNames, DataType: graph.DataMailboxes}}},
			docbase.Unknown{Mailbox: "no mailbox data: this tenant's usage reports conceal user names"}},
		{"permission missing for devices", all, store.Tenant{Findings: []store.Finding{{Code: graph.CodePermissionMissing, DataType: graph.DataDevices}}},
			docbase.Unknown{Devices: "no device data: Microsoft refused it (a permission is missing"}},
		{"a failed license read", all, store.Tenant{Findings: []store.Finding{{Code: graph.CodeUnavailable, DataType: graph.DataLicenses}}},
			docbase.Unknown{Licenses: "no license names: the last sync could not read it"}},
		{"findings of other data types say nothing here", all, store.Tenant{Findings: []store.Finding{{Code: graph.CodeGDAPExpiring}}}, docbase.Unknown{}},
		{"data types the settings leave out, over findings", store.SyncSettings{Contacts: true}, store.Tenant{Findings: []store.Finding{noP1}}, docbase.Unknown{
			SignIns: "not synced: sign-in activity is off", Mailbox: "not synced: mailboxes are off", Devices: "not synced: Intune devices are off"}},
	}
	for _, tt := range tests {
		got := docbase.WhyUnknown(tt.set, tt.tenant)
		for _, f := range []struct{ field, got, want string }{
			{"SignIns", got.SignIns, tt.want.SignIns}, {"Mailbox", got.Mailbox, tt.want.Mailbox},
			{"Licenses", got.Licenses, tt.want.Licenses}, {"Devices", got.Devices, tt.want.Devices},
		} {
			if (f.want == "") != (f.got == "") || !strings.HasPrefix(f.got, f.want) {
				t.Errorf("%s: WhyUnknown().%s = %q, want it to start with %q", tt.name, f.field, f.got, f.want)
			}
		}
	}
}

// A linked contact's detail carries why its tenant's values are unknown,
// and the connection that makes its admin-center links.
func TestContactDetailSaysWhyUnknown(t *testing.T) {
	f := newFixture(t)
	err := f.store.Update(f.ctx, func(tx *store.Tx) error {
		tn, err := tx.Tenant("c1", "t1")
		if err != nil {
			return err
		}
		tn.Findings = []store.Finding{{Severity: store.SeverityWarning, Code: graph.CodeNoP1, DataType: graph.DataSignIns}}
		if err := tx.PutTenant(&tn); err != nil {
			return err
		}
		c, err := tx.Connection("c1")
		if err != nil {
			return err
		}
		c.Mode, c.Settings = store.ModeGDAP, store.DefaultSyncSettings()
		return tx.PutConnection(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.docs.ContactDetail(f.ctx, f.linked)
	if err != nil {
		t.Fatal(err)
	}
	if want := "no sign-in data: this tenant has no Entra ID P1"; d.Unknown.SignIns != want {
		t.Errorf("Unknown.SignIns = %q, want %q", d.Unknown.SignIns, want)
	}
	if d.Connection.ID != "c1" || d.Connection.Mode != store.ModeGDAP {
		t.Errorf("Connection = %q %q, want c1 gdap", d.Connection.ID, d.Connection.Mode)
	}
}
