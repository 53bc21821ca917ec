package ui

import (
	"context"
	"errors"
	"fmt"
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

	accept, matchTo, create, ignore, revert *widget.Button

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
	v.create = widget.NewButtonWithIcon("Create organization", theme.ContentAddIcon(), func() { v.onCreate(false) })
	v.ignore = widget.NewButtonWithIcon("Ignore", theme.VisibilityOffIcon(), v.onIgnore)
	v.revert = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), v.onRevert)
	v.count = widget.NewLabel("")
	actions := container.NewHBox(v.count, v.accept, v.matchTo, v.create, v.ignore, v.revert)

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
}

// decide runs a matching decision off the UI goroutine and reports a
// failure; the tenants it changed redraw when their change arrives.
func (v *matchingView) decide(what string, decision func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) error) {
	eng, connID, tenantIDs := v.env.core.Engine, v.connID, ids(v.chosen())
	v.env.run(func(ctx context.Context) error {
		return decision(ctx, eng, connID, tenantIDs)
	}, func(err error) {
		if err != nil {
			v.env.showError(err, what, "connection", connID, "tenants", tenantIDs)
		}
		v.clearSelection()
	})
}

func (v *matchingView) clearSelection() {
	v.selected = map[string]bool{}
	v.list.Refresh()
	v.updateActions()
}

func (v *matchingView) onAccept() {
	v.decide("accept the suggestions", func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) error {
		return eng.Accept(ctx, connID, tenantIDs)
	})
}

func (v *matchingView) onIgnore() {
	v.decide("ignore the tenants", func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) error {
		return eng.Ignore(ctx, connID, tenantIDs)
	})
}

func (v *matchingView) onRevert() {
	v.decide("revert the decisions", func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) error {
		return eng.Revert(ctx, connID, tenantIDs)
	})
}

// onCreate creates an organization per selected tenant; when one looks like
// an existing organization it says which and asks first.
func (v *matchingView) onCreate(force bool) {
	eng, connID, tenantIDs := v.env.core.Engine, v.connID, ids(v.chosen())
	v.env.run(func(ctx context.Context) error {
		return eng.CreateOrgs(ctx, connID, tenantIDs, force)
	}, func(err error) {
		var dup *syncer.DuplicateError
		if errors.As(err, &dup) {
			v.confirmDuplicates(dup)
			return
		}
		if err != nil {
			v.env.showError(err, "create the organizations", "connection", connID, "tenants", tenantIDs)
		}
		v.clearSelection()
	})
}

// confirmDuplicates names the organizations the tenants look like and
// creates new ones only when the technician confirms.
func (v *matchingView) confirmDuplicates(dup *syncer.DuplicateError) {
	var b strings.Builder
	b.WriteString("These tenants look like organizations you already have:\n")
	names := make([]string, 0, len(dup.Likely))
	for name := range dup.Likely {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "\n• %s looks like", name)
		for i, s := range dup.Likely[name] {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s (%.0f%%, %s)", v.env.core.Docs.OrgName(s.OrgID), s.Score*100, s.Reason)
		}
	}
	b.WriteString("\n\nMatch them to the existing organization instead (Accept suggestion or Match to…), or create new ones anyway.")
	d := dialog.NewCustomConfirm("Possible duplicate", "Create anyway", "Cancel", container.NewVScroll(note(b.String())), func(ok bool) {
		if ok {
			v.onCreate(true)
		}
	}, v.env.w)
	d.Resize(fyne.NewSize(560, 320))
	d.Show()
}

// onMatchTo asks for an organization (searchable) and matches the selected
// tenants to it.
func (v *matchingView) onMatchTo() {
	sel := v.chosen()
	if len(sel) == 0 {
		return
	}
	var rows []*store.Row
	var picked *store.Row
	search := widget.NewEntry()
	search.SetPlaceHolder("Search organizations…")
	list := widget.NewList(
		func() int { return len(rows) },
		func() fyne.CanvasObject { return widget.NewLabel("Organization name") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			r := rows[id]
			text := r.Name
			if r.Email != "" {
				text += "  (" + r.Email + ")"
			}
			o.(*widget.Label).SetText(text)
		})
	find := func(text string) {
		var err error
		if rows, err = v.env.core.Docs.Rows(v.env.ctx, store.RowQuery{Kind: store.KindOrg, Text: text, Limit: 500}); err != nil {
			v.env.showError(err, "search the organizations")
		}
		list.UnselectAll()
		picked = nil
		list.Refresh()
	}
	search.OnChanged = find
	if s := sel[0].Suggestions; len(s) > 0 {
		search.SetText(v.env.core.Docs.OrgName(s[0].OrgID))
	}
	find(search.Text)
	list.OnSelected = func(id widget.ListItemID) { picked = rows[id] }
	title := fmt.Sprintf("Match %s to…", plural(len(sel), "tenant"))
	if len(sel) == 1 {
		title = "Match " + sel[0].DisplayName + " to…"
	}
	d := dialog.NewCustomConfirm(title, "Match", "Cancel", container.NewBorder(search, nil, nil, nil, list), func(ok bool) {
		if !ok || picked == nil {
			return
		}
		org := picked.ID
		v.decide("match the tenants", func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) error {
			return eng.MatchTo(ctx, connID, tenantIDs, org)
		})
	}, v.env.w)
	d.Resize(fyne.NewSize(520, 480))
	d.Show()
	v.env.w.Canvas().Focus(search)
}
