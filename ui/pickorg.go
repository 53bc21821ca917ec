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
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// choiceDialog is a dialog whose confirm button stays disabled until the
// technician has chosen something, so that confirming never silently does
// nothing.
type choiceDialog struct {
	dialog  *dialog.CustomDialog
	confirm *widget.Button
}

func newChoiceDialog(title, confirm string, content fyne.CanvasObject, w fyne.Window, onConfirm func()) *choiceDialog {
	c := &choiceDialog{dialog: dialog.NewCustomWithoutButtons(title, content, w)}
	c.confirm = widget.NewButtonWithIcon(confirm, theme.ConfirmIcon(), func() {
		c.dialog.Hide()
		onConfirm()
	})
	c.confirm.Importance = widget.HighImportance
	c.confirm.Disable()
	c.dialog.SetButtons([]fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), c.dialog.Hide), c.confirm})
	return c
}

// choose enables or disables the confirm button.
func (c *choiceDialog) choose(chosen bool) {
	if chosen {
		c.confirm.Enable()
	} else {
		c.confirm.Disable()
	}
}

// submit confirms when a choice is made (Enter).
func (c *choiceDialog) submit() {
	if !c.confirm.Disabled() {
		c.confirm.OnTapped()
	}
}

// orgPicker is the Match to… dialog: a searchable list of organizations in
// which those already matched to a tenant say which. Enter matches to the
// organization picked, or picks the first one found.
type orgPicker struct {
	v       *matchingView
	tenants []store.Tenant
	matched map[uint64][]docbase.MatchedTenant

	search *escEntry
	list   *widget.List
	rows   []*store.Row
	picked *store.Row
	dlg    *choiceDialog
}

// onMatchTo reads which organizations are matched already, then asks for
// the organization to match the selected tenants to.
func (v *matchingView) onMatchTo() {
	sel := v.chosen()
	if len(sel) == 0 {
		return
	}
	load(v.env, nil, "read the matched organizations", v.env.core.Docs.MatchedOrgs, func(m map[uint64][]docbase.MatchedTenant) {
		p := &orgPicker{v: v, tenants: sel, matched: m}
		p.show()
	})
}

func (p *orgPicker) show() {
	v := p.v
	p.search = newEscEntry(v.env)
	p.search.SetPlaceHolder("Search organizations…")
	p.list = widget.NewList(
		func() int { return len(p.rows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("Organization name")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.rows) {
				o.(*widget.Label).SetText(p.rowText(p.rows[id]))
			}
		})
	p.list.OnSelected = func(id widget.ListItemID) {
		p.picked = p.rows[id]
		p.dlg.choose(true)
	}
	p.search.OnChanged = func(string) { p.find() }
	p.search.OnSubmitted = func(string) { p.onEnter() }
	title := fmt.Sprintf("Match %s to…", plural(len(p.tenants), "tenant"))
	if len(p.tenants) == 1 {
		title = "Match " + p.tenants[0].DisplayName + " to…"
	}
	hint := note("Pick the organization, then Match (or press Enter). Organizations marked “matched to” already document a tenant.")
	p.dlg = newChoiceDialog(title, "Match", container.NewBorder(container.NewVBox(hint, p.search), nil, nil, nil, p.list), v.env.w, p.onMatch)
	if s := p.tenants[0].Suggestions; len(s) > 0 {
		p.search.SetText(v.env.core.Docs.OrgName(s[0].OrgID))
	}
	p.find()
	p.dlg.dialog.Resize(fyne.NewSize(560, 480))
	v.env.showDialog(p.dlg.dialog)
	v.env.w.Canvas().Focus(p.search)
}

// rowText names an organization with its first domain and the tenants
// matched to it.
func (p *orgPicker) rowText(r *store.Row) string {
	text := r.Name
	if r.Email != "" {
		text += "  (" + r.Email + ")"
	}
	if ts := p.matched[r.ID]; len(ts) > 0 {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = t.DisplayName
		}
		text += " · matched to " + strings.Join(names, ", ")
	}
	return text
}

func (p *orgPicker) find() {
	rows, err := p.v.env.core.Docs.Rows(p.v.env.ctx, store.RowQuery{Kind: store.KindOrg, Text: p.search.Text, Limit: 500})
	if err != nil {
		p.v.env.showError(err, "search the organizations")
	}
	p.rows, p.picked = rows, nil
	p.list.UnselectAll()
	p.dlg.choose(false)
	p.list.Refresh()
}

// onEnter matches to the organization picked; with none picked it picks
// the first found, so a second Enter matches.
func (p *orgPicker) onEnter() {
	if p.picked == nil && len(p.rows) > 0 {
		p.list.Select(0)
		return
	}
	p.dlg.submit()
}

func (p *orgPicker) onMatch() {
	org := p.picked.ID
	p.v.confirmLeaving("Change match", "match the tenants", org, func(ctx context.Context, eng *syncer.Engine, connID string, tenantIDs []string) (syncer.Outcome, error) {
		return eng.MatchTo(ctx, connID, tenantIDs, org)
	})
}

// onCreate creates organizations from the selected tenants: one tenant
// under a name the technician may change first, several under their
// tenants' names after a confirmation listing them.
func (v *matchingView) onCreate() {
	sel := v.chosen()
	switch len(sel) {
	case 0:
		return
	case 1:
		v.askOrgName(sel[0])
		return
	}
	names := make([]string, len(sel))
	for i, t := range sel {
		names[i] = "• " + t.DisplayName
	}
	tenantIDs := ids(sel)
	msg := note(fmt.Sprintf("Create %d organizations, each named after its tenant and holding its verified domains, and match each tenant to its new organization? You can rename them later in Organizations.\n\n%s",
		len(sel), strings.Join(names, "\n")))
	d := dialog.NewCustomConfirm("Create organizations", "Create", "Cancel", container.NewVScroll(msg), func(ok bool) {
		if ok {
			v.createOrgs(tenantIDs, func(ctx context.Context, eng *syncer.Engine, force bool) (syncer.Outcome, error) {
				return eng.CreateOrgs(ctx, v.connID, tenantIDs, force)
			}, false)
		}
	}, v.env.w)
	d.Resize(fyne.NewSize(560, 360))
	v.env.showDialog(d)
}

// askOrgName asks for the new organization's name, the tenant's display
// name to start with; Enter creates it.
func (v *matchingView) askOrgName(t store.Tenant) {
	name := newEscEntry(v.env)
	name.SetText(t.DisplayName)
	name.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return syncer.ErrEmptyOrgName
		}
		return nil
	}
	domains := widget.NewLabel(orDash(domainsText(t.Domains)))
	domains.Wrapping = fyne.TextWrapWord
	tenantID := t.TenantID
	d := dialog.NewForm("Create an organization from "+t.DisplayName, "Create", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Name", name),
		{Text: "Domains", Widget: domains, HintText: "the tenant's verified domains"},
	}, func(ok bool) {
		if !ok {
			return
		}
		chosen := name.Text
		v.createOrgs([]string{tenantID}, func(ctx context.Context, eng *syncer.Engine, force bool) (syncer.Outcome, error) {
			return eng.CreateOrgNamed(ctx, v.connID, tenantID, chosen, force)
		}, false)
	}, v.env.w)
	name.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(520, 260))
	v.env.showDialog(d)
	v.env.w.Canvas().Focus(name)
}

// createOrgs runs create; when a new organization looks like one that
// exists it names them and runs create again with force only when the
// technician confirms.
func (v *matchingView) createOrgs(tenantIDs []string, create func(ctx context.Context, eng *syncer.Engine, force bool) (syncer.Outcome, error), force bool) {
	eng, connID := v.env.core.Engine, v.connID
	var out syncer.Outcome
	v.env.run(func(ctx context.Context) (err error) {
		out, err = create(ctx, eng, force)
		return err
	}, func(err error) {
		var dup *syncer.DuplicateError
		if errors.As(err, &dup) {
			v.confirmDuplicates(dup, func() { v.createOrgs(tenantIDs, create, true) })
			return
		}
		if err != nil {
			v.env.showError(err, "create the organizations", "connection", connID, "tenants", tenantIDs)
		} else {
			v.say(outcomeText(out))
		}
		v.clearSelection()
	})
}

// confirmDuplicates names the organizations the new ones look like and
// runs anyway only when the technician confirms.
func (v *matchingView) confirmDuplicates(dup *syncer.DuplicateError, anyway func()) {
	var b strings.Builder
	b.WriteString("These new organizations look like organizations you already have:\n")
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
	b.WriteString("\n\nMatch the tenants to the existing organization instead (Accept suggestion or Match to…), or create new ones anyway.")
	d := dialog.NewCustomConfirm("Possible duplicate", "Create anyway", "Cancel", container.NewVScroll(note(b.String())), func(ok bool) {
		if ok {
			anyway()
		}
	}, v.env.w)
	d.Resize(fyne.NewSize(560, 320))
	v.env.showDialog(d)
}
