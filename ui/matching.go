package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// matchingView decides which organization each tenant belongs to: accept a
// suggestion, match to any organization, create one, ignore or revert, for
// one tenant or many at once. A decision or a sync redraws the tenants it
// changed.
type matchingView struct {
	env    *env
	connID string

	conns    []store.Connection
	connSel  *widget.Select
	filter   *widget.RadioGroup
	search   *widget.Entry
	all      []store.Tenant
	rows     []store.Tenant // after filter and search
	selected map[string]bool
	list     *widget.List
	selAll   *widget.Check
	count    *widget.Label

	accept, matchTo, create, ignore, revert, undo *widget.Button
	notice                                        *widget.Label // what the last decision did

	gen        generation // the last read of every tenant
	tenantsGen generation // the last read of changed tenants
}

// matchColumns are the widths of tenant, suggestion and match.
var matchColumns = columns{3, 5, 2}

// Matching filters.
const (
	filterUnmatched = "Unmatched"
	filterMatched   = "Matched"
	filterIgnored   = "Ignored"
)

func newMatchingView(e *env, connID string) *matchingView {
	return &matchingView{env: e, connID: connID, selected: map[string]bool{}}
}

func (v *matchingView) buildUI() fyne.CanvasObject {
	v.connSel = widget.NewSelect(nil, func(string) {
		if i := v.connSel.SelectedIndex(); i >= 0 && v.conns[i].ID != v.connID {
			v.connID = v.conns[i].ID
			v.selected = map[string]bool{}
			v.refresh()
		}
	})
	v.filter = widget.NewRadioGroup([]string{filterUnmatched, filterMatched, filterIgnored}, func(string) {
		v.selected = map[string]bool{}
		v.applyFilter()
	})
	v.filter.Horizontal = true
	v.filter.Required = true
	v.filter.Selected = filterUnmatched
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search tenants or domains…")
	v.search.OnChanged = func(string) { v.applyFilter() }

	v.list = widget.NewList(
		func() int { return len(v.rows) },
		func() fyne.CanvasObject {
			label := func(bold, low bool) *widget.Label {
				l := widget.NewLabel("")
				l.Truncation = fyne.TextTruncateClip
				l.TextStyle.Bold = bold
				if low {
					l.Importance = widget.LowImportance
				}
				return l
			}
			tight := layout.NewCustomPaddedVBoxLayout(0)
			cols := row(matchColumns,
				container.New(tight, label(true, false), label(false, true)),
				container.New(tight, label(false, false), label(false, true)),
				label(false, false))
			return container.NewBorder(nil, nil, widget.NewCheck("", nil), nil, cols)
		},
		v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.Unselect(id)
		t := v.rows[id]
		v.selected[t.TenantID] = !v.selected[t.TenantID]
		v.list.RefreshItem(id)
		v.updateActions()
	}
	v.selAll = widget.NewCheck("", func(on bool) {
		for _, t := range v.rows {
			v.selected[t.TenantID] = on
		}
		v.list.Refresh()
		v.updateActions()
	})
	header := container.NewBorder(nil, nil, v.selAll, nil, row(matchColumns,
		heading("Tenant and its domains"), heading("Suggested organization · score, and why"), heading("Matched to")))

	v.accept = widget.NewButtonWithIcon("Accept suggestion", theme.ConfirmIcon(), v.onAccept)
	v.accept.Importance = widget.HighImportance
	v.matchTo = widget.NewButtonWithIcon("Match to…", theme.SearchIcon(), v.onMatchTo)
	v.create = widget.NewButtonWithIcon("Create organization…", theme.ContentAddIcon(), v.onCreate)
	v.ignore = widget.NewButtonWithIcon("Ignore", theme.VisibilityOffIcon(), v.onIgnore)
	v.revert = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), v.onRevert)
	v.undo = widget.NewButtonWithIcon("Undo last decision", theme.ContentUndoIcon(), v.onUndo)
	v.count = widget.NewLabel("")
	v.notice = note("")
	v.notice.Hide()
	actions := container.NewVBox(v.notice, container.NewHBox(v.count, v.accept, v.matchTo, v.create, v.ignore, v.revert, layout.NewSpacer(), v.undo))

	top := container.NewVBox(
		container.NewBorder(nil, nil, heading("Matching"), v.connSel, v.filter),
		note("Each Microsoft 365 tenant belongs to one of your organizations. Exact names match by themselves; the rest need your decision, which every later sync keeps. Tap rows to select several."),
		v.search, header)
	v.refresh()
	return container.NewBorder(top, container.NewVBox(widget.NewSeparator(), actions), nil, nil, v.list)
}

func (v *matchingView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.rows) {
		return
	}
	t := v.rows[id]
	r := o.(*fyne.Container)
	cols := r.Objects[0].(*fyne.Container)
	check := r.Objects[1].(*widget.Check)
	check.OnChanged = nil
	check.SetChecked(v.selected[t.TenantID])
	tid := t.TenantID
	check.OnChanged = func(on bool) { v.selected[tid] = on; v.updateActions() }

	tenant := cols.Objects[0].(*fyne.Container)
	tenant.Objects[0].(*widget.Label).SetText(t.DisplayName)
	tenant.Objects[1].(*widget.Label).SetText(domainsText(t.Domains))

	sugg := cols.Objects[1].(*fyne.Container)
	top, why := sugg.Objects[0].(*widget.Label), sugg.Objects[1].(*widget.Label)
	top.Importance = widget.MediumImportance
	switch {
	case len(t.Suggestions) == 0:
		top.SetText("no suggestion")
		top.Importance = widget.LowImportance
		why.SetText("create an organization, or match to one yourself")
	default:
		s := t.Suggestions[0]
		text := fmt.Sprintf("%s · %.0f%%", v.env.core.Docs.OrgName(s.OrgID), s.Score*100)
		if s.Ambiguous {
			text = "⚠ ambiguous: " + text
			top.Importance = widget.WarningImportance
			if len(t.Suggestions) > 1 {
				text += fmt.Sprintf(" or %s · %.0f%%", v.env.core.Docs.OrgName(t.Suggestions[1].OrgID), t.Suggestions[1].Score*100)
			}
		}
		top.SetText(text)
		why.SetText(s.Reason)
	}
	top.Refresh()

	state := cols.Objects[2].(*widget.Label)
	switch t.MatchState {
	case store.MatchMatched:
		state.SetText("✓ " + v.env.core.Docs.OrgName(t.OrgID))
		state.Importance = widget.SuccessImportance
	case store.MatchIgnored:
		state.SetText("ignored")
		state.Importance = widget.LowImportance
	default:
		state.SetText("—")
		state.Importance = widget.MediumImportance
	}
	state.Refresh()
}

// domainsText lists a tenant's own domains first; the onmicrosoft.com one
// only when it has no other.
func domainsText(domains []string) string {
	var own []string
	for _, d := range domains {
		if !strings.HasSuffix(d, ".onmicrosoft.com") {
			own = append(own, d)
		}
	}
	if len(own) == 0 {
		own = domains
	}
	return strings.Join(own, ", ")
}

// connectionTenants is what the matching view reads: the connections, the
// one it shows and that one's tenants.
type connectionTenants struct {
	conns   []store.Connection
	connID  string
	tenants []store.Tenant
}

// refresh reads the connections and the tenants of the one shown.
func (v *matchingView) refresh() {
	mgr, want := v.env.core.Manager, v.connID
	v.tenantsGen.next() // this read brings the changed tenants too
	load(v.env, &v.gen, "list the tenants", func(ctx context.Context) (connectionTenants, error) {
		conns, err := mgr.Connections(ctx)
		if err != nil {
			return connectionTenants{}, err
		}
		d := connectionTenants{conns: conns, connID: chosenConnection(conns, want)}
		if d.connID != "" {
			d.tenants, err = mgr.Tenants(ctx, d.connID)
		}
		return d, err
	}, v.showTenants, "connection", want)
}

func (v *matchingView) showTenants(d connectionTenants) {
	v.connID = d.connID
	showConnections(v.connSel, &v.conns, d.conns, d.connID)
	if len(v.conns) < 2 {
		v.connSel.Hide()
	} else {
		v.connSel.Show()
	}
	v.all = d.tenants
	v.sortTenants()
	v.applyFilter()
}

func (v *matchingView) sortTenants() {
	sort.SliceStable(v.all, func(i, j int) bool { return store.Fold(v.all[i].DisplayName) < store.Fold(v.all[j].DisplayName) })
}

// documentationChanged reads the changed tenants of the connection shown
// and redraws the list with them.
func (v *matchingView) documentationChanged(c docbase.Changes) {
	changed := c.TenantsOf(v.connID)
	if len(changed) == 0 {
		return
	}
	mgr, connID := v.env.core.Manager, v.connID
	load(v.env, &v.tenantsGen, "show the changed tenants", func(ctx context.Context) ([]store.Tenant, error) {
		out := make([]store.Tenant, 0, len(changed))
		for _, id := range changed {
			t, err := mgr.Tenant(ctx, connID, id)
			if errors.Is(err, store.ErrNotFound) {
				continue // removed with its connection
			}
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}, func(tenants []store.Tenant) {
		if connID != v.connID {
			return
		}
		v.replaceTenants(tenants)
	}, "connection", connID)
}

// replaceTenants puts fresh records of tenants in place of the old ones.
func (v *matchingView) replaceTenants(tenants []store.Tenant) {
	at := make(map[string]int, len(v.all))
	for i, t := range v.all {
		at[t.TenantID] = i
	}
	for _, t := range tenants {
		if i, ok := at[t.TenantID]; ok {
			v.all[i] = t
		} else {
			v.all = append(v.all, t)
		}
	}
	v.sortTenants()
	v.applyFilter()
}

func (v *matchingView) applyFilter() {
	want := store.MatchUnmatched
	switch filterName(v.filter.Selected) {
	case filterMatched:
		want = store.MatchMatched
	case filterIgnored:
		want = store.MatchIgnored
	}
	needle := store.Fold(v.search.Text)
	v.rows = v.rows[:0]
	counts := map[string]int{}
	for _, t := range v.all {
		state := t.MatchState
		if state == "" {
			state = store.MatchUnmatched
		}
		counts[state]++
		if state != want {
			continue
		}
		if needle != "" && !strings.Contains(store.Fold(t.DisplayName+" "+strings.Join(t.Domains, " ")), needle) {
			continue
		}
		v.rows = append(v.rows, t)
	}
	v.filter.Options = []string{
		fmt.Sprintf("%s (%d)", filterUnmatched, counts[store.MatchUnmatched]),
		fmt.Sprintf("%s (%d)", filterMatched, counts[store.MatchMatched]),
		fmt.Sprintf("%s (%d)", filterIgnored, counts[store.MatchIgnored]),
	}
	for _, o := range v.filter.Options {
		if strings.HasPrefix(o, filterName(v.filter.Selected)+" (") {
			v.filter.Selected = o
		}
	}
	v.filter.Refresh()
	v.list.Refresh()
	v.updateActions()
}

func filterName(option string) string {
	if i := strings.Index(option, " ("); i >= 0 {
		return option[:i]
	}
	return option
}

// setFilter shows the tenants of one filter: filterUnmatched, filterMatched or
// filterIgnored.
func (v *matchingView) setFilter(name string) {
	for _, o := range v.filter.Options {
		if filterName(o) == name {
			v.filter.SetSelected(o)
		}
	}
}

// chosen returns the selected tenants shown.
func (v *matchingView) chosen() []store.Tenant {
	var out []store.Tenant
	for _, t := range v.rows {
		if v.selected[t.TenantID] {
			out = append(out, t)
		}
	}
	return out
}

func ids(ts []store.Tenant) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.TenantID
	}
	return out
}

func (v *matchingView) updateActions() {
	sel := v.chosen()
	v.count.SetText(fmt.Sprintf("%d selected", len(sel)))
	withSuggestion := len(sel) > 0
	for _, t := range sel {
		if len(t.Suggestions) == 0 {
			withSuggestion = false
		}
	}
	state := filterName(v.filter.Selected)
	enable := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	enable(v.accept, withSuggestion && state == filterUnmatched)
	enable(v.matchTo, len(sel) > 0)
	v.matchTo.SetText("Match to…")
	if state == filterMatched {
		v.matchTo.SetText("Change match…")
	}
	enable(v.create, len(sel) > 0 && state != filterMatched)
	enable(v.ignore, len(sel) > 0 && state != filterIgnored)
	enable(v.revert, len(sel) > 0 && state != filterUnmatched)
	_, canUndo := v.env.core.Engine.LastDecision(v.connID)
	enable(v.undo, canUndo)
}

// decide runs a matching decision off the UI goroutine, says what it did
// and reports a failure; the tenants it changed redraw when their change
// arrives.
func (v *matchingView) decide(what string, decision func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error)) {
	v.decideFor(what, ids(v.chosen()), decision)
}

func (v *matchingView) decideFor(what string, tenantIDs []string, decision func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error)) {
	eng, connID := v.env.core.Engine, v.connID
	var out syncer.Outcome
	v.env.run(func(ctx context.Context) (err error) {
		out, err = decision(ctx, eng, connID, tenantIDs)
		return err
	}, func(err error) {
		if err != nil {
			v.env.showError(err, what, "connection", connID, "tenants", tenantIDs)
		} else {
			v.say(outcomeText(out))
		}
		v.clearSelection()
	})
}

// say shows what the last decision did above the actions.
func (v *matchingView) say(text string) {
	v.notice.SetText(text)
	if text == "" {
		v.notice.Hide()
	} else {
		v.notice.Show()
	}
}

// outcomeText says what a decision did, in one line.
func outcomeText(out syncer.Outcome) string {
	var parts []string
	if n := len(out.Decided); n > 0 {
		parts = append(parts, "Decided "+plural(n, "tenant"))
	}
	for _, c := range []struct {
		n    int
		what string
	}{{out.Created, "created"}, {out.Linked, "linked or updated"}, {out.Removed, "removed"}, {out.Unlinked, "kept unlinked and flagged"}, {out.Restored, "restored"}} {
		if c.n > 0 {
			parts = append(parts, plural(c.n, "contact")+" "+c.what)
		}
	}
	if n := len(out.Skipped); n > 0 {
		names := make([]string, n)
		for i, sk := range out.Skipped {
			names[i] = sk.DisplayName
		}
		parts = append(parts, fmt.Sprintf("skipped %s with an ambiguous suggestion (%s): select each alone to choose its organization",
			plural(n, "tenant"), strings.Join(names, ", ")))
	}
	if len(parts) == 0 {
		return ""
	}
	text := strings.Join(parts, "; ") + "."
	if out.RunID != 0 {
		text += " It is in the sync log; Undo last decision puts it back."
	}
	return text
}

func (v *matchingView) clearSelection() {
	v.selected = map[string]bool{}
	v.list.Refresh()
	v.updateActions()
}

// onAccept accepts the selected tenants' suggestions. Ambiguous ones are
// never accepted in bulk: the engine skips them and the notice says so. A
// single ambiguous tenant is accepted after a dialog that names every
// candidate.
func (v *matchingView) onAccept() {
	if sel := v.chosen(); len(sel) == 1 && len(sel[0].Suggestions) > 0 && sel[0].Suggestions[0].Ambiguous {
		v.chooseCandidate(sel[0])
		return
	}
	v.decide("accept the suggestions", func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error) {
		return eng.Accept(ctx, connID, tenantIDs)
	})
}

// chooseCandidate asks which of an ambiguous suggestion's organizations a
// tenant belongs to, naming them all, and accepts only the one picked.
func (v *matchingView) chooseCandidate(t store.Tenant) {
	var cands []store.Suggestion
	for _, s := range t.Suggestions {
		if s.Ambiguous {
			cands = append(cands, s)
		}
	}
	options := make([]string, len(cands))
	names := make([]string, len(cands))
	for i, s := range cands {
		names[i] = fmt.Sprintf("%s (%.0f%%)", v.env.core.Docs.OrgName(s.OrgID), s.Score*100)
		options[i] = fmt.Sprintf("%s · %.0f%% — %s", v.env.core.Docs.OrgName(s.OrgID), s.Score*100, s.Reason)
	}
	var d *choiceDialog
	pick := widget.NewRadioGroup(options, func(string) { d.choose(true) })
	msg := note(fmt.Sprintf("The suggestion for %s is ambiguous: %s look alike. Choose the organization this tenant belongs to; every later sync keeps your choice.",
		t.DisplayName, strings.Join(names, " and ")))
	d = newChoiceDialog("Which organization is "+t.DisplayName+"?", "Accept", container.NewVBox(msg, pick), v.env.w, func() {
		i := slices.Index(options, pick.Selected)
		if i < 0 {
			return
		}
		org := cands[i].OrgID
		v.decideFor("accept the suggestion", []string{t.TenantID}, func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error) {
			return eng.AcceptCandidate(ctx, connID, tenantIDs[0], org)
		})
	})
	d.dialog.Resize(fyne.NewSize(560, 320))
	v.env.showDialog(d.dialog)
}

func (v *matchingView) onIgnore() {
	v.confirmLeaving("Ignore", "ignore the tenants", 0, func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error) {
		return eng.Ignore(ctx, connID, tenantIDs)
	})
}

func (v *matchingView) onRevert() {
	v.confirmLeaving("Revert", "revert the decisions", 0, func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error) {
		return eng.Revert(ctx, connID, tenantIDs)
	})
}

// confirmLeaving runs a decision that takes matched tenants away from their
// organizations (except stay, where a change of match keeps them), first
// showing what happens to the contacts synced from them; with no contact
// affected it runs at once.
func (v *matchingView) confirmLeaving(button, what string, stay uint64, decision func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error)) {
	eng, connID, tenantIDs := v.env.core.Engine, v.connID, ids(v.chosen())
	var preview []syncer.Leaving
	v.env.run(func(ctx context.Context) (err error) {
		preview, err = eng.PreviewLeaving(ctx, connID, tenantIDs)
		preview = slices.DeleteFunc(preview, func(l syncer.Leaving) bool { return stay != 0 && l.OrgID == stay })
		return err
	}, func(err error) {
		if err != nil {
			v.env.showError(err, what, "connection", connID, "tenants", tenantIDs)
			return
		}
		text := leavingText(preview)
		if text == "" {
			v.decideFor(what, tenantIDs, decision)
			return
		}
		d := dialog.NewCustomConfirm(button+": the contacts synced from these tenants", button, "Cancel", container.NewVScroll(note(text)), func(ok bool) {
			if ok {
				v.decideFor(what, tenantIDs, decision)
			}
		}, v.env.w)
		d.Resize(fyne.NewSize(600, 400))
		v.env.showDialog(d)
	})
}

// leavingText says what leaving does to contacts, per tenant; "" when it
// touches none.
func leavingText(preview []syncer.Leaving) string {
	var b strings.Builder
	for _, l := range preview {
		if l.Empty() {
			continue
		}
		fmt.Fprintf(&b, "%s leaves %s.\n", l.DisplayName, l.OrgName)
		if n := len(l.Remove); n > 0 {
			fmt.Fprintf(&b, "• %s created by sync and never edited will be removed from %s: %s\n", plural(n, "contact"), l.OrgName, contactNames(l.Remove, 8))
		}
		if n := len(l.Keep); n > 0 {
			kept := make([]string, 0, min(n, 8))
			for i, k := range l.Keep {
				if i == 8 {
					kept = append(kept, fmt.Sprintf("and %d more", n-8))
					break
				}
				kept = append(kept, k.Contact.Name()+" ("+k.Why+")")
			}
			fmt.Fprintf(&b, "• %s stay in %s, unlinked from Microsoft 365 and flagged for review: %s\n", plural(n, "contact"), l.OrgName, strings.Join(kept, ", "))
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteString("All of it is written to the sync log and each contact's history, and Undo last decision puts it back.")
	return b.String()
}

func contactNames(cs []store.Contact, limit int) string {
	names := make([]string, 0, min(len(cs), limit+1))
	for i, c := range cs {
		if i == limit {
			names = append(names, fmt.Sprintf("and %d more", len(cs)-limit))
			break
		}
		names = append(names, c.Name())
	}
	return strings.Join(names, ", ")
}

// onUndo puts back what the last decision changed.
func (v *matchingView) onUndo() {
	eng, connID := v.env.core.Engine, v.connID
	what, ok := eng.LastDecision(connID)
	if !ok {
		return
	}
	var out syncer.Outcome
	v.env.run(func(ctx context.Context) (err error) {
		out, err = eng.Undo(ctx, connID)
		return err
	}, func(err error) {
		if err != nil {
			v.env.showError(err, "undo the last decision", "connection", connID)
		} else {
			text := "Undone: " + what + "."
			if t := outcomeText(syncer.Outcome{Created: out.Created, Removed: out.Removed, Restored: out.Restored}); t != "" {
				text += " " + strings.TrimSuffix(t, ".") + "."
			}
			v.say(text)
		}
		v.clearSelection()
	})
}
