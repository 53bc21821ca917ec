package ui

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// newDocsHarness opens the window over a documentation base of orgs
// organizations and contacts contacts, with no connection: nothing syncs,
// so every change the view sees is one the test made.
func newDocsHarness(t *testing.T, orgs, contacts int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fillContacts(t, s, orgs, contacts)
	h := &harness{t: t, ctx: ctx, app: test.NewTempApp(t), pump: newPump(), notify: make(chan string, 16)}
	h.start(s, connections.NewManager(s, nil, nil, connections.Network{}), false)
	return h
}

// A contact changed through core (as another window, an import or the
// overlay's editor would) redraws its row in the Organizations view from
// the change event alone: the list is not queried again.
func TestContactChangeRedrawsItsRowOnly(t *testing.T) {
	h := newDocsHarness(t, 3, 30)
	h.shell.Show(ViewOrganizations)
	h.settle()
	v := h.shell.orgs
	if len(v.rows) != 30 {
		t.Fatalf("the view lists %d contacts, want 30", len(v.rows))
	}
	test.LaidOutObjects(v.list) // draw the rows on screen
	changed, other := v.rows[0], v.rows[1]
	reloads := v.reloads

	const title = "Head of Everything"
	if _, err := h.core.Docs.SetField(h.ctx, changed.ID, store.FieldTitle, title); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the changed row to show the new title", func() bool {
		return listShows(v, title)
	})
	if v.reloads != reloads {
		t.Errorf("the contact list was queried %d more time(s); want the row redrawn from the event alone", v.reloads-reloads)
	}
	if v.rows[0].ID != changed.ID || v.rows[0].Title != title {
		t.Errorf("row 0 = %d %q, want contact %d with the title %q", v.rows[0].ID, v.rows[0].Title, changed.ID, title)
	}
	if v.rows[1] != other {
		t.Error("a row that did not change was replaced")
	}
}

// A sync's commit says which organization changed (per tenant, not per
// contact): the view queries that organization's contacts again, and a
// change to another organization leaves the list alone.
func TestOrganizationChangeReloadsItsContacts(t *testing.T) {
	h := newDocsHarness(t, 3, 30)
	h.shell.Show(ViewOrganizations)
	h.settle()
	v := h.shell.orgs
	shown, other := v.orgRows[1].ID, v.orgRows[2].ID
	v.showOrg(shown)
	h.settle()
	reloads := v.reloads

	h.core.Docs.Publish(docbase.Change{ConnectionID: "c1", TenantID: "t1", OrgIDs: []uint64{other}})
	h.core.Docs.Publish(docbase.Change{ConnectionID: "c1", TenantID: "t2", OrgIDs: []uint64{shown}})
	h.waitFor("the organization's contacts to be queried again", func() bool { return v.reloads > reloads })
	h.settle()
	if got := v.reloads - reloads; got != 1 {
		t.Errorf("%d reloads after changes to the organization shown and another, want 1", got)
	}
}

// listShows reports whether a row the list draws shows text.
func listShows(v *orgsView, text string) bool {
	found := false
	walk(v.list, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Text == text {
			found = true
		}
	})
	return found
}
