package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// orgsView is the documentation: organizations on the left, the chosen
// organization's contacts (or everyone's) on the right. Both lists read the
// documentation base's in-memory rows, so they stay fast with 100k
// contacts. A sync or a matching decision reloads the contacts of the
// organizations it changed; an edit redraws the rows of the contacts it
// changed.
type orgsView struct {
	env *env

	orgSearch *searchEntry
	orgRows   []*store.Row // index 0 stands for "all organizations"
	orgList   *widget.List
	orgID     uint64

	title  *widget.Label
	detail *widget.Label
	search *searchEntry
	filter *widget.Select
	count  *widget.Label
	clear  *widget.Button // shown while a search or filter narrows the contacts
	// globalText is what the global search put into both search boxes:
	// picking an organization found by it drops it from the contacts.
	globalText string
	rows       []*store.Row
	list       *widget.List
	more       *widget.Button
	showAll    bool // the search shows every match, not the first searchLimit
	overlay    *contactOverlay
	page       *orgPage // the right side: the organization's page around the contacts

	// reloads counts how often the contact list was queried anew (tests).
	reloads   int
	detailGen generation
	rowsGen   generation
}

// Contact filters.
const (
	contactsAll       = "All contacts"
	contactsSynced    = "Synced from Microsoft 365"
	contactsLeavers   = "Leavers"
	contactsAmbiguous = "Ambiguous"
	contactsLocal     = "Local only"
)

func newOrgsView(e *env) *orgsView { return &orgsView{env: e} }

func (v *orgsView) buildUI() fyne.CanvasObject {
	v.orgSearch = newSearchEntry("Filter organizations…", func(string) {
		if v.orgList != nil {
			v.loadOrgs()
		}
	})
	v.orgList = widget.NewList(
		func() int { return len(v.orgRows) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("Organization name")
			name.Truncation = fyne.TextTruncateClip
			return name
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if r := v.orgRows[id]; r == nil {
				l.SetText("All organizations")
				l.TextStyle.Italic = true
			} else {
				l.SetText(r.Name)
				l.TextStyle.Italic = false
			}
			l.Refresh()
		})
	v.orgList.OnSelected = func(id widget.ListItemID) {
		var org uint64
		if r := v.orgRows[id]; r != nil {
			org = r.ID
		}
		if org != v.orgID {
			v.orgID = org
			if org != 0 && v.globalText != "" && v.search.Text == v.globalText {
				// The global search found this organization by its name or
				// domain, which its contacts do not hold: searching them
				// for it would show "0 contacts".
				v.globalText = ""
				v.search.SetText("") // loads
			} else {
				v.loadContacts()
			}
			v.loadHeading()
		}
	}

	v.title = heading("All organizations")
	v.detail = widget.NewLabel("")
	v.detail.Truncation = fyne.TextTruncateEllipsis
	v.detail.Importance = widget.LowImportance
	v.search = newSearchEntry("Search contacts by name, e-mail, phone or title…", func(string) { v.showAll = false; v.loadContacts() })
	v.clear = widget.NewButtonWithIcon("Clear filters", theme.ContentClearIcon(), v.onClearFilters)
	v.clear.Hide()
	v.more = widget.NewButton("Show all", func() { v.showAll = true; v.loadContacts() })
	v.more.Hide()
	v.filter = widget.NewSelect([]string{contactsAll, contactsSynced, contactsLeavers, contactsAmbiguous, contactsLocal}, func(string) { v.loadContacts() })
	v.filter.Selected = contactsAll
	v.count = widget.NewLabel("")
	v.list = widget.NewList(
		func() int { return len(v.rows) },
		newContactRow,
		v.updateContactRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.Unselect(id)
		v.openContact(v.rows[id].ID)
	}
	header := container.NewBorder(nil, nil, nil, container.NewHBox(v.filter, v.count, v.more, v.clear), v.search)
	cols := row(contactColumns, heading("Name"), heading("Title"), heading("E-mail"), heading("Phone"), heading("Organization"), heading("State"))
	// The organization's page wraps the contact list; "All organizations"
	// shows the list alone.
	v.page = newOrgPage(v.env, container.NewBorder(container.NewVBox(header, cols), nil, nil, nil, v.list))
	right := v.page.buildUI(container.NewBorder(nil, nil, v.title, nil, v.detail))
	left := container.NewBorder(container.NewVBox(heading("Organizations"), v.orgSearch), nil, nil, nil, v.orgList)
	v.loadOrgs()
	v.loadContacts()
	v.loadHeading()
	split := container.NewHSplit(left, right)
	split.Offset = 0.2
	return split
}

// contactColumns are the widths of name, title, e-mail and the rest.
var contactColumns = columns{2, 1.7, 2.7, 1.7, 2, 1}

func newContactRow() fyne.CanvasObject {
	cols := row(contactColumns)
	for i := 0; i < len(contactColumns); i++ {
		l := widget.NewLabel("")
		// Clip, not ellipsis: Fyne shapes the text anew for an ellipsis on
		// every update, which costs a keystroke tens of milliseconds.
		l.Truncation = fyne.TextTruncateClip
		cols.Add(l)
	}
	cols.Objects[0].(*widget.Label).TextStyle.Bold = true
	return cols
}

func (v *orgsView) updateContactRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.rows) {
		return
	}
	r := v.rows[id]
	cols := o.(*fyne.Container)
	cols.Objects[0].(*widget.Label).SetText(r.Name)
	cols.Objects[1].(*widget.Label).SetText(r.Title)
	cols.Objects[2].(*widget.Label).SetText(r.Email)
	cols.Objects[3].(*widget.Label).SetText(r.Phone)
	cols.Objects[4].(*widget.Label).SetText(v.env.core.Docs.OrgName(r.OrgID))
	state := cols.Objects[5].(*widget.Label)
	state.SetText(rowState(r.Flags))
	switch {
	case r.Flags&(store.RowLeaver|store.RowAmbiguous) != 0:
		state.Importance = widget.WarningImportance
	case r.Flags&store.RowLinked != 0:
		state.Importance = widget.SuccessImportance
	default:
		state.Importance = widget.LowImportance
	}
	state.Refresh()
}

func rowState(f store.RowFlags) string {
	var out []string
	switch {
	case f&store.RowLinked != 0:
		out = append(out, "synced")
	default:
		out = append(out, "local")
	}
	if f&store.RowLeaver != 0 {
		out = append(out, "leaver")
	}
	if f&store.RowAmbiguous != 0 {
		out = append(out, "ambiguous")
	}
	return strings.Join(out, ", ")
}

func (v *orgsView) refresh() {
	v.loadOrgs()
	v.loadContacts()
	v.loadHeading()
}

// documentationChanged reloads the contacts when the organization shown
// (or any, while all are shown) changed as a whole, and otherwise redraws
// only the rows of the contacts that changed.
func (v *orgsView) documentationChanged(c docbase.Changes) {
	v.page.documentationChanged(c)
	for id := range c.Orgs {
		if !v.listsOrg(id) {
			v.loadOrgs() // a new organization
			break
		}
	}
	if len(c.Orgs) > 0 && (v.orgID == 0 || c.Orgs[v.orgID]) {
		v.loadContacts()
		if v.orgID != 0 {
			v.loadHeading()
		}
		return
	}
	if len(c.Contacts) > 0 {
		v.redrawContacts(c.Contacts)
	}
}

func (v *orgsView) listsOrg(id uint64) bool {
	for _, r := range v.orgRows {
		if r != nil && r.ID == id {
			return true
		}
	}
	return false
}

// redrawContacts reads the rows of the changed contacts that the list shows
// and redraws just those.
func (v *orgsView) redrawContacts(changed map[uint64]bool) {
	var ids []uint64
	for _, r := range v.rows {
		if changed[r.ID] {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	docs := v.env.core.Docs
	load(v.env, &v.rowsGen, "show the changed contacts", func(ctx context.Context) (map[uint64]*store.Row, error) {
		return docs.ContactRows(ctx, ids)
	}, func(fresh map[uint64]*store.Row) {
		for i, r := range v.rows {
			if f, ok := fresh[r.ID]; ok {
				v.rows[i] = f
				v.list.RefreshItem(i)
			}
		}
	})
}

func (v *orgsView) loadOrgs() {
	rows, err := v.env.core.Docs.Rows(v.env.ctx, store.RowQuery{Kind: store.KindOrg, Text: v.orgSearch.Text})
	if err != nil {
		v.env.showError(err, "list the organizations")
		return
	}
	v.orgRows = append([]*store.Row{nil}, rows...)
	v.orgList.Refresh()
}

// contactQuery is what the search box and filter ask for.
func (v *orgsView) contactQuery() store.RowQuery {
	q := store.RowQuery{Kind: store.KindContact, OrgID: v.orgID, Text: v.search.Text}
	switch v.filter.Selected {
	case contactsSynced:
		q.With = store.RowLinked
	case contactsLeavers:
		q.With = store.RowLeaver
	case contactsAmbiguous:
		q.With = store.RowAmbiguous
	case contactsLocal:
		q.LocalOnly = true
	}
	return q
}

// loadContacts runs the query on every keystroke: the store's rows answer
// in milliseconds, and the list draws only the rows on screen.
func (v *orgsView) loadContacts() {
	if v.list == nil {
		return
	}
	q := v.contactQuery()
	if q.Text != "" && !v.showAll {
		// A short search matches most contacts; stopping at the first
		// screenfuls keeps each keystroke fast. "Show all" lifts it.
		q.Limit = searchLimit + 1
	}
	rows, err := v.env.core.Docs.Rows(v.env.ctx, q)
	if err != nil {
		v.env.showError(err, "search the contacts")
		return
	}
	v.reloads++
	// A reload supersedes redraws of single rows still being read.
	v.rowsGen.next()
	more := q.Limit > 0 && len(rows) > searchLimit
	if more {
		rows = rows[:searchLimit]
	}
	v.rows = rows
	if more {
		v.more.Show()
	} else {
		v.more.Hide()
	}
	v.count.SetText(contactCount(len(rows), more, q))
	if q.Text != "" || v.filter.Selected != contactsAll {
		v.clear.Show()
	} else {
		v.clear.Hide()
	}
	v.list.Refresh()
}

// contactCount says how many contacts the list shows and, when a search or
// filter narrows them, by what: "0 contacts" alone would read as an empty
// organization.
func contactCount(n int, more bool, q store.RowQuery) string {
	text := fmt.Sprintf("%d contacts", n)
	if more {
		text = fmt.Sprintf("first %d contacts", n)
	}
	if q.Text != "" {
		// Short: the label sits beside the search box, which shows it all.
		quoted := q.Text
		if r := []rune(quoted); len(r) > 24 {
			quoted = string(r[:23]) + "…"
		}
		text += fmt.Sprintf(" matching %q", quoted)
	}
	return text
}

// onClearFilters shows every contact of the organization chosen again.
func (v *orgsView) onClearFilters() {
	v.globalText = ""
	v.filter.Selected = contactsAll
	v.filter.Refresh()
	setSearch(v.search, "", v.loadContacts)
}

// searchLimit is how many contacts a search shows before "Show all".
const searchLimit = 2000

// loadHeading names the organization shown and reads its summary: its
// domains and the tenants matched to it.
func (v *orgsView) loadHeading() {
	id := v.orgID
	v.page.show(id)
	if id == 0 {
		v.detailGen.next() // a summary still being read is no longer wanted
		v.title.SetText("All organizations")
		v.detail.SetText("")
		return
	}
	v.title.SetText(v.env.core.Docs.OrgName(id))
	docs := v.env.core.Docs
	load(v.env, &v.detailGen, "read the organization", func(ctx context.Context) (string, error) {
		sum, err := docs.OrgSummary(ctx, id)
		return sum.Text(), err
	}, v.detail.SetText, "org", id)
}

// searchAll shows the organizations matching text on the left and every
// organization's contacts matching it on the right (the global search).
func (v *orgsView) searchAll(text string) {
	v.orgID = 0
	v.orgList.UnselectAll()
	v.loadHeading()
	v.globalText = text
	setSearch(v.orgSearch, text, v.loadOrgs)
	setSearch(v.search, text, v.loadContacts)
}

// setSearch puts text into a search box, whose change loads what it
// searches, or loads it when the text is already there.
func setSearch(e *searchEntry, text string, load func()) {
	if e.Text == text {
		load()
		return
	}
	e.SetText(text)
}

// showOrg shows one organization's contacts.
func (v *orgsView) showOrg(id uint64) {
	for i, r := range v.orgRows {
		if r != nil && r.ID == id {
			v.orgList.Select(i)
			v.orgList.ScrollTo(i)
			return
		}
	}
	v.orgID = id
	v.loadContacts()
	v.loadHeading()
}

func (v *orgsView) openContact(id uint64) {
	v.overlay = newContactOverlay(v.env, id)
	v.overlay.show()
	v.env.shell.overlay = v.overlay
}
