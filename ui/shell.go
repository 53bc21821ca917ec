// Package ui is tenantsync's desktop window, built with Fyne. Views talk to
// core (connections, syncer) and read the store's rows and records; they
// never reach bbolt or Microsoft Graph themselves.
//
// Every view is a struct holding its widgets, with buildUI returning its
// content and refresh reloading it from the store. Work that may take time
// runs in a goroutine and comes back to widgets only through env.do
// (fyne.Do in the app).
package ui

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// Core is what the window works with.
type Core struct {
	Store   *store.Store
	Manager *connections.Manager
	Engine  *syncer.Engine
	// Demo marks the in-process simulated cloud: the window says so.
	Demo bool
}

// Options wire the window to its surroundings.
type Options struct {
	// StartDemo switches to demo data (first run); nil hides the choice.
	StartDemo func(ctx context.Context) (Core, error)
	// OpenURL opens a web page; nil uses the app's.
	OpenURL func(u *url.URL) error
	// Do runs fn on the UI goroutine; nil is fyne.Do. Tests pass a pump so
	// that every widget change happens on the test's goroutine.
	Do func(fn func())
	// DataDir is shown in Settings.
	DataDir string
	// Version is shown in Settings.
	Version string
}

// View names, as stored in preferences and used by Show.
const (
	ViewIntegrations  = "integrations"
	ViewMatching      = "matching"
	ViewOrganizations = "organizations"
	ViewLogs          = "logs"
	ViewSettings      = "settings"
)

var navViews = []struct {
	name, title string
	icon        func() fyne.Resource // themed icons exist only once the app runs
}{
	{ViewIntegrations, "Integrations", theme.StorageIcon},
	{ViewMatching, "Matching", theme.ContentCopyIcon},
	{ViewOrganizations, "Organizations", theme.AccountIcon},
	{ViewLogs, "Sync logs", theme.ListIcon},
	{ViewSettings, "Settings", theme.SettingsIcon},
}

const (
	prefLastView = "ui.last_view"
	prefWidth    = "ui.window_width"
	prefHeight   = "ui.window_height"
)

// env is what every view shares: the window, the core and the way back to
// the UI goroutine.
type env struct {
	ctx     context.Context
	app     fyne.App
	w       fyne.Window
	core    Core
	opt     Options
	do      func(func())
	openURL func(*url.URL) error
	shell   *Shell
}

// Shell is the main window's content: navigation, the top bar with search
// and "Sync now", and the current view.
type Shell struct {
	env *env

	root    *fyne.Container // first run or the main layout
	main    fyne.CanvasObject
	content *fyne.Container // the current view
	nav     *widget.List
	navAt   int
	current string
	refresh func() // the current view's reload

	search     *widget.Entry
	syncBtn    *widget.Button
	cancelBtn  *widget.Button
	progress   *widget.ProgressBar
	phase      *widget.Label
	statusBox  *fyne.Container
	demoBanner *fyne.Container

	// runs holds the progress of running syncs by connection.
	runs map[string]syncer.Event
	// idleText sums up the connections while nothing syncs.
	idleText string

	unsubscribe   func()
	cancel        context.CancelFunc // ends env.ctx
	refreshQueued atomic.Bool
	wg            sync.WaitGroup

	// the views shown, kept for global search and tests
	orgs         *orgsView
	matching     *matchingView
	integrations *integrationsView
	connect      *connectView
	syncSettings *syncSettingsView
	overlay      *contactOverlay
	logsView     *logsView
}

// NewShell builds the window's content over core. Call buildUI once and set
// it as the window's content; Close ends its event subscription.
func NewShell(ctx context.Context, a fyne.App, w fyne.Window, core Core, opt Options) *Shell {
	// Work the window starts (sign-in, preview) ends with the window.
	ctx, cancel := context.WithCancel(ctx)
	e := &env{ctx: ctx, app: a, w: w, core: core, opt: opt, do: opt.Do, openURL: opt.OpenURL}
	if e.do == nil {
		e.do = fyne.Do
	}
	if e.openURL == nil {
		e.openURL = a.OpenURL
	}
	s := &Shell{env: e, runs: map[string]syncer.Event{}, cancel: cancel}
	e.shell = s
	return s
}

// Window returns the shell's window.
func (s *Shell) Window() fyne.Window { return s.env.w }

// BuildUI returns the window's content: the first-run choice when there is
// no connection, else the last view.
func (s *Shell) BuildUI() fyne.CanvasObject {
	s.root = container.NewStack()
	s.restoreSize()
	if !s.hasConnections() {
		s.root.Objects = []fyne.CanvasObject{newFirstRunView(s.env).buildUI()}
	} else {
		s.showMain(s.env.app.Preferences().StringWithFallback(prefLastView, ViewIntegrations))
	}
	s.subscribe()
	s.env.w.SetOnClosed(s.saveSize)
	s.syncNewDemo()
	return s.root
}

// syncNewDemo syncs demo data as soon as the window opens: every view fills
// in seconds, and the progress shows what a sync looks like.
func (s *Shell) syncNewDemo() {
	if !s.env.core.Demo {
		return
	}
	conns, _ := s.env.connections()
	for _, c := range conns {
		if !s.env.core.Engine.Running(c.ID) {
			s.env.core.Engine.SyncNow(c.ID)
		}
	}
}

// Close cancels the work the window started, ends its event subscription
// and waits for its goroutine.
func (s *Shell) Close() {
	s.cancel()
	s.stopEvents()
}

func (s *Shell) stopEvents() {
	if s.unsubscribe != nil {
		s.unsubscribe()
		s.unsubscribe = nil
	}
	s.wg.Wait()
}

func (s *Shell) hasConnections() bool {
	conns, _ := s.env.connections()
	return len(conns) > 0
}

func (s *Shell) restoreSize() {
	p := s.env.app.Preferences()
	wd, ht := p.FloatWithFallback(prefWidth, 1200), p.FloatWithFallback(prefHeight, 760)
	s.env.w.Resize(fyne.NewSize(float32(max(wd, 800)), float32(max(ht, 560))))
}

func (s *Shell) saveSize() {
	size := s.env.w.Canvas().Size()
	if size.Width > 0 && size.Height > 0 {
		p := s.env.app.Preferences()
		p.SetFloat(prefWidth, float64(size.Width))
		p.SetFloat(prefHeight, float64(size.Height))
	}
}

// useCore switches the window to another core (demo mode from first run).
func (s *Shell) useCore(c Core) {
	s.stopEvents()
	s.env.core = c
	s.runs = map[string]syncer.Event{}
	s.subscribe()
	s.showMain(ViewIntegrations)
	s.syncNewDemo()
}

// showMain builds the main layout and shows view.
func (s *Shell) showMain(view string) {
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search organizations and contacts… (Ctrl+F)")
	s.search.OnSubmitted = s.onSearch
	s.search.OnChanged = func(text string) {
		if s.current == ViewOrganizations && s.orgs != nil {
			s.orgs.searchAll(text)
		}
	}
	s.syncBtn = widget.NewButtonWithIcon("Sync now", theme.ViewRefreshIcon(), s.onSyncAll)
	s.syncBtn.Importance = widget.HighImportance
	s.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.onCancelAll)
	s.cancelBtn.Hide()
	s.progress = widget.NewProgressBar()
	s.progress.Hide()
	s.phase = widget.NewLabel("")
	s.phase.Truncation = fyne.TextTruncateEllipsis

	top := container.NewBorder(nil, nil, nil,
		container.NewHBox(container.NewGridWrap(fyne.NewSize(220, s.progress.MinSize().Height), s.progress), s.cancelBtn, s.syncBtn),
		container.NewGridWithColumns(2, s.search, s.phase))

	s.navAt = -1
	s.nav = widget.NewList(
		func() int { return len(navViews) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.HomeIcon()), widget.NewLabel("Organizations"))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Icon).SetResource(navViews[id].icon())
			row.Objects[1].(*widget.Label).SetText(navViews[id].title)
		})
	s.nav.OnSelected = func(id widget.ListItemID) {
		s.navAt = id
		if navViews[id].name != s.current {
			s.Show(navViews[id].name)
		}
	}
	s.statusBox = container.NewVBox()
	appName := widget.NewLabelWithStyle("tenantsync", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	left := container.NewBorder(appName, container.NewVBox(widget.NewSeparator(), widget.NewLabelWithStyle("Connections", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.statusBox), nil, nil, s.nav)

	s.content = container.NewStack()
	var body fyne.CanvasObject = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), nil, nil, nil, s.content)
	if s.env.core.Demo {
		banner := widget.NewLabel("Demo mode: simulated Microsoft 365 tenants on this computer. Nothing reaches Microsoft, and the demo resets on every start.")
		banner.Truncation = fyne.TextTruncateEllipsis
		banner.Importance = widget.WarningImportance
		body = container.NewBorder(banner, nil, nil, nil, body)
	}
	// Ctrl+F (Cmd+F) goes to the global search from anywhere.
	s.env.w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { s.env.w.Canvas().Focus(s.search) })
	title := "tenantsync"
	if s.env.core.Demo {
		title += " (demo data)"
	}
	s.env.w.SetTitle(title)
	split := container.NewHSplit(container.NewPadded(left), body)
	split.Offset = 0.17
	s.main = split
	s.root.Objects = []fyne.CanvasObject{split}
	s.root.Refresh()
	s.Show(view)
	s.updateStatus()
}

// Show switches to a main view by name.
func (s *Shell) Show(view string) {
	e := s.env
	var obj fyne.CanvasObject
	s.orgs = nil
	switch view {
	case ViewMatching:
		v := newMatchingView(e, "")
		s.matching = v
		obj, s.refresh = v.buildUI(), v.refresh
	case ViewOrganizations:
		v := newOrgsView(e)
		s.orgs = v
		obj, s.refresh = v.buildUI(), v.refresh
	case ViewLogs:
		v := newLogsView(e, "")
		s.logsView = v
		obj, s.refresh = v.buildUI(), v.refresh
	case ViewSettings:
		v := newSettingsView(e)
		obj, s.refresh = v.buildUI(), v.refresh
	default:
		view = ViewIntegrations
		v := newIntegrationsView(e)
		s.integrations = v
		obj, s.refresh = v.buildUI(), v.refresh
	}
	s.setContent(view, obj)
}

// setContent shows obj as the current view.
func (s *Shell) setContent(view string, obj fyne.CanvasObject) {
	if s.content == nil {
		s.showMain(view)
	}
	if len(s.root.Objects) == 0 || s.root.Objects[0] != s.main {
		s.root.Objects = []fyne.CanvasObject{s.main}
		s.root.Refresh()
	}
	s.current = view
	s.content.Objects = []fyne.CanvasObject{obj}
	s.content.Refresh()
	for i, nv := range navViews {
		if nv.name == view && s.nav != nil && s.navAt != i {
			s.navAt = i
			s.nav.Select(i)
		}
	}
	if isNavView(view) {
		s.env.app.Preferences().SetString(prefLastView, view)
	}
}

// showFlow shows a view that is a step of a flow (connect, sync settings),
// under the navigation entry it belongs to.
func (s *Shell) showFlow(under string, obj fyne.CanvasObject, refresh func()) {
	if s.content == nil {
		s.showMain(under)
	}
	s.refresh = refresh
	s.setContent(under, obj)
	s.current = under + "/flow"
	// Tapping the entry the flow sits under leaves the flow.
	s.nav.UnselectAll()
	s.navAt = -1
}

func isNavView(v string) bool {
	for _, nv := range navViews {
		if nv.name == v {
			return true
		}
	}
	return false
}

// ShowFirstRun shows the first-run choice (the smoke test captures it);
// Show returns to the main layout.
func (s *Shell) ShowFirstRun() {
	s.root.Objects = []fyne.CanvasObject{newFirstRunView(s.env).buildUI()}
	s.root.Refresh()
}

// Current returns the name of the view shown.
func (s *Shell) Current() string { return s.current }

func (s *Shell) onSearch(text string) {
	if s.current != ViewOrganizations {
		s.Show(ViewOrganizations)
	}
	if s.orgs != nil {
		s.orgs.searchAll(text)
	}
}

func (s *Shell) onSyncAll() {
	conns, err := s.env.connections()
	if err != nil {
		s.env.showError(err, "list the connections")
		return
	}
	if len(conns) == 0 {
		s.env.showInfo("Nothing to sync", "Add a connection to Microsoft 365 first (Integrations → Add connection).")
		return
	}
	for _, c := range conns {
		if !c.Paused {
			s.env.core.Engine.SyncNow(c.ID)
		}
	}
}

func (s *Shell) onCancelAll() {
	for id := range s.runs {
		s.env.core.Engine.Cancel(id)
	}
}

// subscribe starts the bridge from engine events to widgets.
func (s *Shell) subscribe() {
	if s.env.core.Engine == nil {
		return
	}
	events, cancel := s.env.core.Engine.Subscribe()
	s.unsubscribe = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for ev := range events {
			ev := ev
			switch ev.Kind {
			case syncer.RunStarted, syncer.TenantProgress:
				s.env.do(func() { s.onProgress(ev) })
			case syncer.TenantDone:
				s.env.do(func() { s.onProgress(ev) })
				s.queueRefresh()
			case syncer.RunFinished:
				s.env.do(func() { s.onFinished(ev) })
				s.queueRefresh()
			case syncer.StatusChanged, syncer.DataChanged:
				s.queueRefresh()
			}
		}
	}()
}

// queueRefresh reloads the current view soon, at most a few times a second
// however many events arrive.
func (s *Shell) queueRefresh() {
	if !s.refreshQueued.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(250*time.Millisecond, func() {
		s.env.do(func() {
			s.refreshQueued.Store(false)
			s.updateStatus()
			if s.refresh != nil {
				s.refresh()
			}
		})
	})
}

// RefreshNow reloads the current view and the connection status at once.
func (s *Shell) RefreshNow() {
	s.updateStatus()
	if s.refresh != nil {
		s.refresh()
	}
}

func (s *Shell) onProgress(ev syncer.Event) {
	if ev.Kind == syncer.RunStarted {
		if old, ok := s.runs[ev.ConnectionID]; ok && old.RunID == ev.RunID && ev.TenantsTotal == 0 {
			return
		}
	}
	s.runs[ev.ConnectionID] = ev
	s.showProgress()
}

func (s *Shell) onFinished(ev syncer.Event) {
	delete(s.runs, ev.ConnectionID)
	s.showProgress()
}

// showProgress draws the running syncs: tenants done of total, and what the
// last reported tenant is doing.
func (s *Shell) showProgress() {
	if s.progress == nil {
		return
	}
	if len(s.runs) == 0 {
		s.progress.Hide()
		s.cancelBtn.Hide()
		s.syncBtn.Enable()
		s.phase.SetText(s.idleText)
		return
	}
	var done, total int
	var last syncer.Event
	for _, ev := range s.runs {
		done += ev.TenantsDone
		total += ev.TenantsTotal
		last = ev
	}
	s.progress.Show()
	s.cancelBtn.Show()
	s.syncBtn.Disable()
	if total > 0 {
		s.progress.Max = float64(total)
		s.progress.SetValue(float64(done))
		s.progress.TextFormatter = func() string { return plural(done, "tenant") + " of " + itoa(total) }
		s.progress.Refresh()
	} else {
		s.progress.Max = 1
		s.progress.SetValue(0)
	}
	switch {
	case total == 0:
		s.phase.SetText("Listing tenants…")
	case last.TenantName != "" && last.Phase != "":
		s.phase.SetText("Syncing " + last.TenantName + ": " + phaseText(last.Phase))
	default:
		s.phase.SetText("Syncing…")
	}
}

// Progress returns the sync progress shown: tenants done, total, and
// whether a sync is shown as running.
func (s *Shell) Progress() (done, total float64, running bool) {
	if s.progress == nil {
		return 0, 0, false
	}
	return s.progress.Value, s.progress.Max, s.progress.Visible()
}

// updateStatus redraws the status of every connection in the navigation.
func (s *Shell) updateStatus() {
	if s.statusBox == nil {
		return
	}
	conns, err := s.env.connections()
	if err != nil {
		return
	}
	s.statusBox.Objects = nil
	s.idleText = idleSummary(conns)
	if len(s.runs) == 0 && s.phase != nil {
		s.phase.SetText(s.idleText)
	}
	for _, c := range conns {
		l := widget.NewLabel(statusDot(c.Status) + " " + c.Name + "\n" + statusLine(c))
		l.Truncation = fyne.TextTruncateEllipsis
		l.Importance = statusImportance(c.Status)
		s.statusBox.Add(l)
	}
	if len(conns) == 0 {
		s.statusBox.Add(widget.NewLabel("None yet"))
	}
	s.statusBox.Refresh()
}

// idleSummary is the top bar's line while nothing syncs.
func idleSummary(conns []store.Connection) string {
	switch len(conns) {
	case 0:
		return ""
	case 1:
		c := conns[0]
		return c.Name + ": " + statusLine(c)
	}
	problems, last := 0, conns[0].LastSync
	for _, c := range conns {
		if c.Status == store.StatusWarning || c.Status == store.StatusError {
			problems++
		}
		if c.LastSync.After(last) {
			last = c.LastSync
		}
	}
	text := plural(len(conns), "connection") + " · last sync " + ago(last)
	if problems > 0 {
		text += " · " + itoa(problems) + " need attention"
	}
	return text
}

// pickConnection reloads the connections into *list and sel, keeping
// *connID on the same connection, or the first one when it is gone. *list is
// set before sel changes, since sel's callback reads it. It reports false
// (after showing the error) when the connections cannot be read.
func (e *env) pickConnection(sel *widget.Select, list *[]store.Connection, connID *string) bool {
	conns, err := e.connections()
	if err != nil {
		e.showError(err, "list the connections")
		return false
	}
	*list = conns
	names := make([]string, len(conns))
	at := -1
	for i, c := range conns {
		names[i] = c.Name
		if c.ID == *connID {
			at = i
		}
	}
	if at < 0 && len(conns) > 0 {
		at, *connID = 0, conns[0].ID
	}
	sel.Options = names
	if at >= 0 && sel.SelectedIndex() != at {
		sel.SetSelectedIndex(at)
	}
	return true
}

func (e *env) connections() ([]store.Connection, error) {
	var conns []store.Connection
	err := e.core.Store.View(e.ctx, func(tx *store.Tx) error {
		var err error
		conns, err = tx.Connections()
		return err
	})
	return conns, err
}
