package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// matchedDemoTenant is a demo tenant matched to an organization, with what
// its mirror holds.
func matchedDemoTenant(t *testing.T, h *harness) (store.Tenant, []store.License, []store.Device) {
	t.Helper()
	var (
		tenant   store.Tenant
		licenses []store.License
		devices  []store.Device
	)
	err := h.store.View(h.ctx, func(tx *store.Tx) error {
		conns, err := tx.Connections()
		if err != nil {
			return err
		}
		for _, c := range conns {
			ts, err := tx.Tenants(c.ID)
			if err != nil {
				return err
			}
			for _, tn := range ts {
				if tn.MatchState != store.MatchMatched || len(devices) > 0 {
					continue
				}
				m, err := tx.Mirror(c.ID, tn.TenantID)
				if err != nil {
					return err
				}
				// Prefer a tenant with devices: the demo's small ones have no Intune.
				l, err := m.Licenses()
				if err != nil {
					return err
				}
				d, err := m.Devices()
				if err != nil {
					return err
				}
				if len(l) > 0 {
					tenant, licenses, devices = tn, l, d
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tenant.TenantID == "" {
		t.Fatal("the demo has no matched tenant with licenses")
	}
	return tenant, licenses, devices
}

func TestOrgPageShowsTheMatchedTenant(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 8})
	h.waitSynced()
	tenant, licenses, devices := matchedDemoTenant(t, h)
	if len(devices) == 0 {
		t.Fatal("no matched demo tenant has devices")
	}
	h.shell.Show(ViewOrganizations)
	h.settle()
	v := h.shell.orgs
	pick := slices.IndexFunc(v.orgRows, func(r *store.Row) bool { return r != nil && r.ID == tenant.OrgID })
	if pick < 0 {
		t.Fatal("the matched organization is not in the list")
	}
	v.orgList.Select(pick)
	h.waitFor("the organization's page", func() bool { return v.page.shown != 0 && v.page.orgID == tenant.OrgID })
	p := v.page
	if p.body.Objects[0] != p.tabs {
		t.Fatal("picking an organization does not show its page")
	}

	// Licenses with spare seats as the mirror holds them.
	if len(p.licenses.rows) != len(licenses) {
		t.Errorf("the page lists %d licenses, the mirror holds %d", len(p.licenses.rows), len(licenses))
	}
	for _, l := range licenses {
		name := l.FriendlyName
		if name == "" {
			name = l.PartNumber
		}
		want := []string{name, tenant.DisplayName, itoa(l.Enabled), itoa(l.Consumed), itoa(l.Enabled - l.Consumed)}
		if !slices.ContainsFunc(p.licenses.rows, func(r []string) bool { return slices.Equal(r, want) }) {
			t.Errorf("no license row %q in %q", want, p.licenses.rows)
		}
	}
	// Devices, each with its compliance and encryption.
	if len(p.devices.rows) != len(devices) {
		t.Errorf("the page lists %d devices, the mirror holds %d", len(p.devices.rows), len(devices))
	}
	for _, d := range devices {
		if !slices.ContainsFunc(p.devices.rows, func(r []string) bool { return r[0] == d.Name && r[3] == orDash(d.ComplianceState) }) {
			t.Errorf("device %s (%s) is not on the page", d.Name, d.ComplianceState)
		}
	}
	if !strings.HasPrefix(p.devicesTab.Text, "Devices ("+itoa(len(devices))+")") {
		t.Errorf("devices tab = %q", p.devicesTab.Text)
	}
	if len(devices) == 0 && (!p.devices.notes.Visible() || p.devices.notes.Text == "") {
		t.Error("the devices tab is empty without saying why")
	}
	// GDAP status and end date.
	want := "GDAP relationship: "
	if r := tenant.Relationship; r != nil {
		want += r.Status
	}
	if !hasLabel(p.m365, want) || !hasLabel(p.m365, "Last sync: ") {
		t.Errorf("the Microsoft 365 tab does not show %q and the last sync", want)
	}
	if tenant.Relationship != nil && !tenant.Relationship.End.IsZero() && !hasLabel(p.m365, "ends "+tenant.Relationship.End.Local().Format("2 Jan 2006")) {
		t.Error("the Microsoft 365 tab does not show when the GDAP relationship ends")
	}
	// Demo tenants exist only on this computer: no link leads outside.
	if findButton(p.links, "Microsoft 365 admin center") != nil || findButton(p.links, "Entra admin center") != nil || findButton(p.links, "Intune admin center") != nil {
		t.Error("demo data offers a link to Microsoft's admin centers")
	}
	if !hasLabel(p.links, "Demo data: no admin center to open") {
		t.Error("the page does not say why demo data has no admin center link")
	}

	// "All organizations" keeps the contact list alone.
	v.orgList.Select(0)
	h.settle()
	if p.body.Objects[0] != p.contacts || p.links.Visible() {
		t.Error("All organizations does not show the contact list alone")
	}
}

func hasLabel(o fyne.CanvasObject, text string) bool {
	found := false
	walk(o, func(obj fyne.CanvasObject) {
		if l, ok := obj.(*widget.Label); ok && strings.Contains(l.Text, text) {
			found = true
		}
	})
	return found
}

// TestOrgPageFollowsItsTenant changes a matched tenant's subscriptions as a
// sync would and checks the open page shows the new spare seats.
func TestOrgPageFollowsItsTenant(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 4})
	c := h.waitSynced()
	tenant, _, _ := matchedDemoTenant(t, h)
	h.shell.ShowOrganization(tenant.OrgID)
	v := h.shell.orgs
	h.waitFor("the organization's page", func() bool { return v.page.shown != 0 && v.page.orgID == tenant.OrgID })
	err := h.store.Update(h.ctx, func(tx *store.Tx) error {
		m, err := tx.Mirror(c.ID, tenant.TenantID)
		if err != nil {
			return err
		}
		return m.ReplaceLicenses([]store.License{{SKUID: "new-sku", PartNumber: "NEW_SKU", Enabled: 12, Consumed: 5}})
	})
	if err != nil {
		t.Fatal(err)
	}
	h.core.Docs.Publish(docbase.Change{ConnectionID: c.ID, TenantID: tenant.TenantID})
	want := []string{"NEW_SKU", tenant.DisplayName, "12", "5", "7"}
	h.waitFor("the page to show the tenant's new subscription", func() bool {
		return len(v.page.licenses.rows) == 1 && slices.Equal(v.page.licenses.rows[0], want)
	})
}
