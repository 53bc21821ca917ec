package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/store"
)

// overlayEntry finds the first entry in the window's dialogs.
func (h *harness) overlayEntry() *widget.Entry {
	for _, o := range h.w.Canvas().Overlays().List() {
		var found *widget.Entry
		walk(o, func(obj fyne.CanvasObject) {
			if found != nil {
				return
			}
			switch e := obj.(type) {
			case *widget.Entry:
				found = e
			case *escEntry:
				found = &e.Entry
			}
		})
		if found != nil {
			return found
		}
	}
	return nil
}

// Match to… cannot be confirmed with nothing picked; organizations already
// matched to a tenant say so; Enter picks the first organization found and
// a second Enter matches to it.
func TestMatchToNeedsAPickAndEnterMatches(t *testing.T) {
	h := newDemoHarness(t, demo.Options{})
	c := h.waitSynced()
	var matchedOrg string
	for _, tn := range h.tenants(c.ID) {
		if tn.MatchState == store.MatchMatched {
			matchedOrg = h.store.OrgName(tn.OrgID)
			break
		}
	}
	if matchedOrg == "" {
		t.Fatal("the demo has no matched tenant to mark")
	}
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	v.list.Select(matchingRow(t, v, ambiguousTenant))
	test.Tap(v.matchTo)
	h.settle()

	match := h.overlayButton("Match")
	search := h.overlayEntry()
	if match == nil || search == nil {
		t.Fatal("no Match to… dialog with a search box and a Match button")
	}
	if !match.Disabled() {
		t.Error("Match is enabled before an organization is picked")
	}
	search.SetText(matchedOrg)
	h.settle()
	if !h.overlayText(matchedOrg) || !h.overlayText("· matched to ") {
		t.Errorf("the picker does not mark %q as matched to a tenant", matchedOrg)
	}

	search.SetText("")
	h.settle()
	search.OnSubmitted(search.Text)
	h.settle()
	if match.Disabled() {
		t.Fatal("Enter picked nothing")
	}
	if h.tenants(c.ID)[ambiguousTenant].MatchState != store.MatchUnmatched {
		t.Fatal("the first Enter matched already; it should only pick")
	}
	search.OnSubmitted(search.Text)
	h.settle()
	h.waitFor("the tenant to be matched", func() bool {
		return h.tenants(c.ID)[ambiguousTenant].MatchState == store.MatchMatched
	})
}

// Create organization… for one tenant asks for the name, the tenant's to
// start with; an emptied name cannot be created; Enter creates it under the
// name typed.
func TestCreateOrganizationAsksForTheName(t *testing.T) {
	h := newDemoHarness(t, demo.Options{})
	c := h.waitSynced()
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	v.list.Select(matchingRow(t, v, ambiguousTenant))
	test.Tap(v.create)
	h.settle()

	name := h.overlayEntry()
	create := h.overlayButton("Create")
	if name == nil || create == nil {
		t.Fatal("no name form")
	}
	if name.Text != ambiguousTenant {
		t.Errorf("the name starts as %q, want the tenant's %q", name.Text, ambiguousTenant)
	}
	test.Type(name, "") // let the validator run
	name.SetText("  ")
	h.settle()
	if !create.Disabled() {
		t.Error("Create is enabled for a blank name")
	}
	name.SetText("Wide World Importers (Group)")
	h.settle()
	name.OnSubmitted(name.Text)
	h.settle()
	// The name is new, but the tenant's domains look like the London and
	// Seattle offices: the duplicate warning comes first.
	if anyway := h.overlayButton("Create anyway"); anyway != nil {
		test.Tap(anyway)
		h.settle()
	}
	h.waitFor("the tenant to be matched to a new organization", func() bool {
		tn := h.tenants(c.ID)[ambiguousTenant]
		return tn.MatchState == store.MatchMatched && h.store.OrgName(tn.OrgID) == "Wide World Importers (Group)"
	})
}
