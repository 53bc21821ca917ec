package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/store"
)

// syncSettingsView says what a connection syncs: which tenants, whose
// users become contacts, which data types, and how often.
type syncSettingsView struct {
	env    *env
	connID string
	conn   store.Connection

	tenants     []store.Tenant
	shown       []int // indexes into tenants after the search
	selected    map[string]bool
	tenantList  *widget.List
	tenantCount *widget.Label
	search      *widget.Entry
	autoInclude *widget.Check

	subs     []subscription
	subOn    map[string]bool
	subList  *widget.List
	options  map[string]*widget.Check
	types    map[string]*widget.Check
	schedule *widget.Select
	saveBtn  *widget.Button
	body     *fyne.Container // the form, once read
}

// subscription is one SKU across the connection's tenants.
type subscription struct {
	SKUID    string
	Name     string
	Assigned int // consumed units across tenants
	Tenants  int
	Free     bool // a free or trial SKU: everyone has it, it says nothing about who works there
}

// freeSKU reports whether a SKU is a free, viral or trial one (Power
// Automate Free, Power BI (free), Teams Exploratory…), never recommended.
func freeSKU(partNumber, name string) bool {
	s := strings.ToLower(partNumber + " " + name)
	for _, w := range []string{"free", "trial", "exploratory", "viral", "power_bi_standard"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func newSyncSettingsView(e *env, connID string) *syncSettingsView {
	return &syncSettingsView{env: e, connID: connID, selected: map[string]bool{}, subOn: map[string]bool{}}
}

// syncSettingsData is what the form shows: the connection, its tenants and
// their subscriptions as the last sync saved them.
type syncSettingsData struct {
	conn     store.Connection
	tenants  []store.Tenant
	licenses map[string][]store.License // by tenant id
}

// subscriptionsOf sums each SKU over the tenants, recommended first: the
// paid subscriptions most users hold.
func subscriptionsOf(licenses map[string][]store.License) []subscription {
	bySKU := map[string]*subscription{}
	for _, lics := range licenses {
		for _, l := range lics {
			s := bySKU[l.SKUID]
			if s == nil {
				name := l.FriendlyName
				if name == "" {
					name = l.PartNumber
				}
				s = &subscription{SKUID: l.SKUID, Name: name, Free: freeSKU(l.PartNumber, l.FriendlyName)}
				bySKU[l.SKUID] = s
			}
			s.Assigned += l.Consumed
			s.Tenants++
		}
	}
	subs := make([]subscription, 0, len(bySKU))
	for _, s := range bySKU {
		subs = append(subs, *s)
	}
	sort.Slice(subs, func(i, j int) bool {
		if subs[i].Free != subs[j].Free {
			return !subs[i].Free
		}
		if subs[i].Assigned != subs[j].Assigned {
			return subs[i].Assigned > subs[j].Assigned
		}
		return subs[i].Name < subs[j].Name
	})
	return subs
}

// buildUI reads the connection's settings, tenants and subscriptions, then
// shows the form.
func (v *syncSettingsView) buildUI() fyne.CanvasObject {
	v.body = container.NewStack(note("Reading the sync settings…"))
	mgr, connID := v.env.core.Manager, v.connID
	var d syncSettingsData
	v.env.run(func(ctx context.Context) (err error) {
		if d.conn, err = mgr.Connection(ctx, connID); err != nil {
			return err
		}
		if d.tenants, err = mgr.Tenants(ctx, connID); err != nil {
			return err
		}
		d.licenses, err = mgr.Licenses(ctx, connID)
		return err
	}, func(err error) {
		if err != nil {
			v.env.showError(err, "open the sync settings", "connection", connID)
			v.body.Objects = []fyne.CanvasObject{note("The sync settings could not be opened.")}
		} else {
			v.conn, v.tenants, v.subs = d.conn, d.tenants, subscriptionsOf(d.licenses)
			v.body.Objects = []fyne.CanvasObject{v.buildForm()}
		}
		v.body.Refresh()
	})
	return v.body
}

// buildForm is the form over what buildUI read: three cards side by side
// (tenants, who becomes a contact, data and schedule) and a save button.
func (v *syncSettingsView) buildForm() fyne.CanvasObject {
	set := v.conn.Settings
	v.selectFrom(set)
	grid := row(columns{1.1, 1.2, 0.8}, v.tenantsCard(set), v.subscriptionsCard(set), v.dataCard(set))
	v.saveBtn = widget.NewButtonWithIcon("Save and sync", theme.DocumentSaveIcon(), v.onSave)
	v.saveBtn.Importance = widget.HighImportance
	back := widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { v.env.shell.Show(ViewIntegrations) })
	header := container.NewBorder(nil, nil, back, nil, heading("Sync settings: "+v.conn.Name))
	return container.NewBorder(header, container.NewHBox(v.saveBtn, widget.NewLabel("Saving queues a sync right away.")), nil, nil, grid)
}

// selectFrom checks the tenants and subscriptions the saved settings
// name; with none named and new tenants included automatically, every
// known tenant is checked.
func (v *syncSettingsView) selectFrom(set store.SyncSettings) {
	for _, id := range set.Tenants {
		v.selected[strings.ToLower(id)] = true
	}
	if len(set.Tenants) == 0 && set.AutoInclude {
		for _, t := range v.tenants {
			v.selected[t.TenantID] = true
		}
	}
	for _, id := range set.SKUs {
		v.subOn[id] = true
	}
}

// tenantsCard lists the tenants to check, with a search, select all/none
// and whether new tenants are included automatically.
func (v *syncSettingsView) tenantsCard(set store.SyncSettings) *widget.Card {
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search tenants…")
	v.search.OnChanged = func(string) { v.filterTenants() }
	v.tenantCount = widget.NewLabel("")
	v.tenantList = widget.NewList(
		func() int { return len(v.shown) },
		func() fyne.CanvasObject { return newCheckedRow("Tenant", "domain") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			t := v.tenants[v.shown[id]]
			setCheckedRow(o, t.DisplayName, t.DefaultDomain, v.selected[t.TenantID], func(on bool) { v.selected[t.TenantID] = on; v.updateCount() })
		})
	all := widget.NewButton("Select all", func() { v.selectShown(true) })
	none := widget.NewButton("Select none", func() { v.selectShown(false) })
	v.autoInclude = widget.NewCheck("Include new tenants automatically", nil)
	v.autoInclude.SetChecked(set.AutoInclude)
	v.filterTenants()
	top := container.NewVBox(v.search, container.NewBorder(nil, nil, container.NewHBox(all, none), nil, v.tenantCount), v.autoInclude)
	if len(v.tenants) == 0 {
		top.Add(note("No tenants known yet: the first sync lists them. Keep \"Include new tenants automatically\" on to sync all of them."))
	}
	return widget.NewCard("Tenants", "Which customer tenants to sync", container.NewBorder(top, nil, nil, nil, v.tenantList))
}

// subscriptionsCard says whose users become contacts: the subscriptions
// to check, the three most assigned paid ones starred, and the kinds of
// users to take in besides.
func (v *syncSettingsView) subscriptionsCard(set store.SyncSettings) *widget.Card {
	v.subList = widget.NewList(
		func() int { return len(v.subs) },
		func() fyne.CanvasObject { return newCheckedRow("Subscription", "assigned") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			s := v.subs[id]
			name := s.Name
			if id < 3 && s.Assigned > 0 && !s.Free {
				name = "★ " + name
			}
			setCheckedRow(o, name, plural(s.Assigned, "user")+" · "+plural(s.Tenants, "tenant"), v.subOn[s.SKUID], func(on bool) { v.subOn[s.SKUID] = on })
		})
	v.options = map[string]*widget.Check{
		"unlicensed": checked("Unlicensed", set.IncludeUnlicensed),
		"guests":     checked("Guests", set.IncludeGuests),
		"disabled":   checked("Disabled", set.IncludeDisabled),
		"shared":     checked("Shared/room", set.IncludeShared),
	}
	also := container.NewVBox(widget.NewLabel("Also include users who are:"),
		container.NewGridWithColumns(2, v.options["unlicensed"], v.options["guests"], v.options["disabled"], v.options["shared"]))
	return widget.NewCard("Who becomes a contact", "Subscriptions, most assigned first",
		container.NewBorder(v.subscriptionHelp(), also, nil, nil, v.subList))
}

// subscriptionHelp explains the subscription list, or its absence before
// the first sync, in lines that truncate rather than wrap.
func (v *syncSettingsView) subscriptionHelp() *fyne.Container {
	lines := []string{"Their users become contacts; none checked: all licensed users.", "★ recommended: held by the most users."}
	if len(v.subs) == 0 {
		lines = []string{"Subscriptions are listed after the first sync;", "until then every licensed user becomes a contact."}
	}
	box := container.NewVBox()
	for _, line := range lines {
		l := widget.NewLabel(line)
		l.Truncation = fyne.TextTruncateEllipsis
		box.Add(l)
	}
	return box
}

// dataCard picks the data types to read and how often to sync.
func (v *syncSettingsView) dataCard(set store.SyncSettings) *widget.Card {
	v.types = map[string]*widget.Check{
		"contacts":  checked("Contacts (users)", set.Contacts),
		"licenses":  checked("Licenses", set.Licenses),
		"mailboxes": checked("Mailbox usage", set.Mailboxes),
		"signins":   checked("Entra ID sign-in status", set.SignIns),
		"devices":   checked("Intune devices", set.Devices),
	}
	v.schedule = scheduleSelect(v.conn.Schedule)
	return widget.NewCard("Data and schedule", "",
		container.NewVBox(v.types["contacts"], v.types["licenses"], v.types["mailboxes"], v.types["signins"], v.types["devices"],
			widget.NewSeparator(), widget.NewLabel("Sync automatically:"), v.schedule))
}

// scheduleSelect offers the schedules with every selected; a schedule not
// among them shows as every hour.
func scheduleSelect(every time.Duration) *widget.Select {
	labels := make([]string, len(schedules))
	for i, s := range schedules {
		labels[i] = s.label
	}
	sel := widget.NewSelect(labels, nil)
	sel.SetSelected(scheduleText(every))
	if sel.SelectedIndex() < 0 {
		sel.SetSelectedIndex(2)
	}
	return sel
}

func (v *syncSettingsView) filterTenants() {
	needle := store.Fold(v.search.Text)
	v.shown = v.shown[:0]
	for i, t := range v.tenants {
		if needle == "" || strings.Contains(store.Fold(t.DisplayName+" "+strings.Join(t.Domains, " ")), needle) {
			v.shown = append(v.shown, i)
		}
	}
	v.tenantList.Refresh()
	v.updateCount()
}

func (v *syncSettingsView) selectShown(on bool) {
	for _, i := range v.shown {
		v.selected[v.tenants[i].TenantID] = on
	}
	v.tenantList.Refresh()
	v.updateCount()
}

func (v *syncSettingsView) updateCount() {
	n := 0
	for _, t := range v.tenants {
		if v.selected[t.TenantID] {
			n++
		}
	}
	v.tenantCount.SetText(fmt.Sprintf("%d of %d selected", n, len(v.tenants)))
}

// settings is what the form says.
func (v *syncSettingsView) settings() store.SyncSettings {
	s := store.SyncSettings{
		AutoInclude:       v.autoInclude.Checked,
		IncludeUnlicensed: v.options["unlicensed"].Checked,
		IncludeGuests:     v.options["guests"].Checked,
		IncludeDisabled:   v.options["disabled"].Checked,
		IncludeShared:     v.options["shared"].Checked,
		Contacts:          v.types["contacts"].Checked,
		Licenses:          v.types["licenses"].Checked,
		Mailboxes:         v.types["mailboxes"].Checked,
		SignIns:           v.types["signins"].Checked,
		Devices:           v.types["devices"].Checked,
	}
	for _, t := range v.tenants {
		if v.selected[t.TenantID] {
			s.Tenants = append(s.Tenants, t.TenantID)
		}
	}
	for _, sub := range v.subs {
		if v.subOn[sub.SKUID] {
			s.SKUs = append(s.SKUs, sub.SKUID)
		}
	}
	return s
}

func (v *syncSettingsView) onSave() {
	s := v.settings()
	if len(v.tenants) > 0 && len(s.Tenants) == 0 && !s.AutoInclude {
		v.env.showInfo("No tenant selected", "Select at least one tenant, or turn on \"Include new tenants automatically\".")
		return
	}
	every := schedules[max(v.schedule.SelectedIndex(), 0)].every
	eng, connID := v.env.core.Engine, v.connID
	v.saveBtn.Disable()
	v.env.run(func(ctx context.Context) error {
		return eng.SaveSettings(ctx, connID, s, every)
	}, func(err error) {
		v.saveBtn.Enable()
		if err != nil {
			v.env.showError(err, "save the sync settings", "connection", connID)
			return
		}
		v.env.shell.Show(ViewIntegrations)
		v.env.shell.updateStatus()
	})
}

// newCheckedRow is a list row template: a check box, a name and a quieter
// detail beside it.
func newCheckedRow(name, detail string) fyne.CanvasObject {
	n, d := widget.NewLabel(name), widget.NewLabel(detail)
	n.Truncation, d.Truncation = fyne.TextTruncateClip, fyne.TextTruncateClip
	d.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, widget.NewCheck("", nil), nil, row(columns{3, 2}, n, d))
}

// setCheckedRow fills a newCheckedRow row; onChanged runs only when the
// technician changes the check box, not while the row is filled.
func setCheckedRow(o fyne.CanvasObject, name, detail string, checked bool, onChanged func(bool)) {
	r := o.(*fyne.Container)
	cols := r.Objects[0].(*fyne.Container)
	cols.Objects[0].(*widget.Label).SetText(name)
	cols.Objects[1].(*widget.Label).SetText(detail)
	check := r.Objects[1].(*widget.Check)
	check.OnChanged = nil
	check.SetChecked(checked)
	check.OnChanged = onChanged
}

// checked is a check box, ticked or not.
func checked(label string, on bool) *widget.Check {
	c := widget.NewCheck(label, nil)
	c.SetChecked(on)
	return c
}
