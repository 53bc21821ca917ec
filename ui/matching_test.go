package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/store"
)

// The demo's Wide World Importers has two organizations that look alike
// (its London and Seattle offices): an ambiguous suggestion.
const ambiguousTenant = "Wide World Importers"

// matchingRow returns the row of a tenant in the matching view's list.
func matchingRow(t *testing.T, v *matchingView, name string) int {
	t.Helper()
	for i, tn := range v.rows {
		if tn.DisplayName == name {
			return i
		}
	}
	t.Fatalf("%q is not among the tenants shown %v", name, v.rows)
	return -1
}

// overlayRadio finds the radio group in the window's dialogs.
func (h *harness) overlayRadio() *widget.RadioGroup {
	for _, o := range h.w.Canvas().Overlays().List() {
		var found *widget.RadioGroup
		walk(o, func(obj fyne.CanvasObject) {
			if r, ok := obj.(*widget.RadioGroup); ok && found == nil {
				found = r
			}
		})
		if found != nil {
			return found
		}
	}
	return nil
}

// orgContacts reads an organization's contacts.
func (h *harness) orgContacts(orgID uint64) []store.Contact {
	h.t.Helper()
	var out []store.Contact
	if err := h.store.View(h.ctx, func(tx *store.Tx) (err error) { out, err = tx.OrgContacts(orgID); return err }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// Bulk Accept skips the ambiguous suggestion and says so; accepted alone,
// it asks first, naming both candidates.
func TestBulkAcceptSkipsAmbiguous(t *testing.T) {
	h := newDemoHarness(t, demo.Options{})
	c := h.waitSynced()
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	wwi := h.tenants(c.ID)[ambiguousTenant]
	if len(wwi.Suggestions) < 2 || !wwi.Suggestions[0].Ambiguous {
		t.Fatalf("%s suggestions %+v, want an ambiguous one", ambiguousTenant, wwi.Suggestions)
	}

	v.list.Select(matchingRow(t, v, "Contoso Ltd"))
	v.list.Select(matchingRow(t, v, ambiguousTenant))
	test.Tap(v.accept)
	h.settle()
	ts := h.tenants(c.ID)
	if ts["Contoso Ltd"].MatchState != store.MatchMatched {
		t.Errorf("bulk Accept left the clear suggestion for Contoso Ltd %s", ts["Contoso Ltd"].MatchState)
	}
	if ts[ambiguousTenant].MatchState != store.MatchUnmatched {
		t.Fatalf("bulk Accept matched the ambiguous %s to %q", ambiguousTenant, h.store.OrgName(ts[ambiguousTenant].OrgID))
	}
	if !strings.Contains(v.notice.Text, "skipped 1 tenant") || !strings.Contains(v.notice.Text, ambiguousTenant) {
		t.Errorf("notice %q does not say the ambiguous tenant was skipped", v.notice.Text)
	}

	// Alone: a dialog names both candidates, and nothing is matched until
	// one is picked.
	h.waitFor("the accepted tenant to leave the list", func() bool {
		for _, tn := range v.rows {
			if tn.DisplayName == "Contoso Ltd" {
				return false
			}
		}
		return true
	})
	v.list.Select(matchingRow(t, v, ambiguousTenant))
	test.Tap(v.accept)
	h.settle()
	first, second := h.store.OrgName(wwi.Suggestions[0].OrgID), h.store.OrgName(wwi.Suggestions[1].OrgID)
	if !h.overlayText(first) || !h.overlayText(second) {
		t.Fatalf("the confirmation does not name both %q and %q", first, second)
	}
	if h.tenants(c.ID)[ambiguousTenant].MatchState != store.MatchUnmatched {
		t.Fatal("matched before the technician chose")
	}
	radio := h.overlayRadio()
	if radio == nil || len(radio.Options) < 2 {
		t.Fatal("no choice between the candidates")
	}
	radio.SetSelected(radio.Options[1])
	test.Tap(h.overlayButton("Accept"))
	h.settle()
	if got := h.tenants(c.ID)[ambiguousTenant]; got.MatchState != store.MatchMatched || got.OrgID != wwi.Suggestions[1].OrgID {
		t.Errorf("%s: %s to %q, want matched to the chosen %q", ambiguousTenant, got.MatchState, h.store.OrgName(got.OrgID), second)
	}
}

// Revert shows what happens to the tenant's contacts, then removes those
// sync created and nobody edited and keeps the edited one unlinked and
// flagged, with history and a sync log entry; the tenant's own contacts are
// no evidence for the next suggestion, which stays ambiguous; Undo puts
// everything back.
func TestRevertMovesContactsOutAndUndo(t *testing.T) {
	h := newDemoHarness(t, demo.Options{})
	c := h.waitSynced()
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	wwi := h.tenants(c.ID)[ambiguousTenant]
	org := wwi.Suggestions[0].OrgID
	if _, err := h.core.Engine.AcceptCandidate(h.ctx, c.ID, wwi.TenantID, org); err != nil {
		t.Fatal(err)
	}
	synced := h.orgContacts(org)
	if len(synced) < 2 {
		t.Fatalf("matching created %d contacts in %q, want several", len(synced), h.store.OrgName(org))
	}
	for _, ct := range synced {
		if ct.Source != store.SourceTenant || ct.Link == nil {
			t.Fatalf("contact %s in an organization without documentation: source %s, link %v", ct.Name(), ct.Source, ct.Link)
		}
	}
	// Matching that creates contacts leaves a sync log entry saying so.
	if runs, err := h.core.Engine.Runs(h.ctx, c.ID, 1); err != nil || len(runs) == 0 ||
		runs[0].Trigger != store.TriggerDecision || runs[0].Totals.Created != len(synced) {
		t.Fatalf("sync log after the match: %+v, %v; want a decision that created %d contacts", runs, err, len(synced))
	}
	edited := synced[0]
	if _, err := h.core.Docs.SetField(h.ctx, edited.ID, store.FieldTitle, "Buyer (told us by phone)"); err != nil {
		t.Fatal(err)
	}

	v.setFilter(filterMatched)
	h.waitFor("the matched tenant to show under Matched", func() bool {
		for _, tn := range v.rows {
			if tn.DisplayName == ambiguousTenant {
				return true
			}
		}
		return false
	})
	v.list.Select(matchingRow(t, v, ambiguousTenant))
	test.Tap(v.revert)
	h.settle()
	if h.tenants(c.ID)[ambiguousTenant].MatchState != store.MatchMatched {
		t.Fatal("reverted before showing what happens to the contacts")
	}
	if !h.overlayText("will be removed") || !h.overlayText(edited.Name()+" (has locked fields)") {
		t.Fatal("the revert confirmation does not say which contacts leave and which stay")
	}
	test.Tap(h.overlayButton("Revert"))
	h.settle()

	if got := h.tenants(c.ID)[ambiguousTenant]; got.MatchState != store.MatchUnmatched {
		t.Fatalf("after Revert %s is %s", ambiguousTenant, got.MatchState)
	}
	left := h.orgContacts(org)
	if len(left) != 1 || left[0].ID != edited.ID {
		t.Fatalf("after Revert %q holds %d contacts, want only the edited %s", h.store.OrgName(org), len(left), edited.Name())
	}
	if kept := left[0]; kept.Link != nil || !kept.HasFlag(store.FlagUnlinked) {
		t.Errorf("the edited contact stays linked %v, flags %v; want unlinked and flagged", kept.Link, kept.Flags)
	}
	hist, err := h.store.History(h.ctx, edited.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Kind != store.ChangeUnlinked || last.By == "" || last.At.IsZero() {
		t.Errorf("last history entry %+v, want unlinked, with who and when", last)
	}
	runs, err := h.core.Engine.Runs(h.ctx, c.ID, 1)
	if err != nil || len(runs) == 0 || runs[0].Trigger != store.TriggerDecision || len(runs[0].Log) == 0 ||
		!strings.Contains(runs[0].Log[0].Message, "removed") {
		t.Fatalf("sync log after the revert: %+v, %v; want the decision and what it did to contacts", runs, err)
	}
	// The contact that stayed came from the tenant itself: no evidence.
	if s := h.tenants(c.ID)[ambiguousTenant].Suggestions; len(s) < 2 || !s[0].Ambiguous {
		t.Errorf("after the revert %s's suggestions are %+v, want still ambiguous", ambiguousTenant, s)
	}

	// Undo the revert: the contacts are back, linked, and the tenant matched.
	if v.undo.Disabled() {
		t.Fatal("Undo last decision is disabled after a decision")
	}
	test.Tap(v.undo)
	h.settle()
	if got := h.tenants(c.ID)[ambiguousTenant]; got.MatchState != store.MatchMatched || got.OrgID != org {
		t.Fatalf("after Undo %s is %s to %q", ambiguousTenant, got.MatchState, h.store.OrgName(got.OrgID))
	}
	back := h.orgContacts(org)
	if len(back) != len(synced) {
		t.Errorf("after Undo %q holds %d contacts, want the %d from before", h.store.OrgName(org), len(back), len(synced))
	}
	for _, ct := range back {
		if ct.Link == nil || ct.HasFlag(store.FlagUnlinked) {
			t.Errorf("after Undo %s: link %v, flags %v", ct.Name(), ct.Link, ct.Flags)
		}
	}
	if !strings.Contains(v.notice.Text, "Undone") {
		t.Errorf("notice %q does not say the decision was undone", v.notice.Text)
	}
	if !v.undo.Disabled() {
		t.Error("Undo stays enabled with nothing left to undo")
	}
}
