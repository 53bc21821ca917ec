// Package ui is tenantsync's desktop window, built with Fyne. Views talk to
// core: connections, the sync engine and the documentation base (docbase);
// they never reach the store, bbolt or Microsoft Graph themselves, and take
// the store's types at most.
//
// Every view is a struct holding its widgets, with buildUI returning its
// content and refresh reloading it. Reads and writes of the database, and
// everything that talks to Microsoft, run off the UI goroutine (env.run,
// load) and come back to widgets only through env.do (fyne.Do in the app);
// only the documentation base's in-memory row queries (lists, search as you
// type) answer on it. A view redraws what changed from events: the engine's
// progress and connection status, and docbase's changes by tenant,
// organization and contact id.
package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// Core is what the window works with.
type Core struct {
	// Docs is the documentation base: organizations, contacts, locks,
	// search rows and contact overlays, and what changed in them.
	Docs *docbase.Service
	// Manager lists, creates, signs in and removes connections.
	Manager *connections.Manager
	// Engine syncs; its events carry progress and connection status.
	Engine *syncer.Engine
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
	// Logger records every error the window shows, with its cause; nil
	// discards.
	Logger *slog.Logger
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

// The window's first size and the smallest it is restored to.
const (
	defaultWidth, defaultHeight = 1000, 600
	minWidth, minHeight         = 800, 520
)

const (
	prefLastView = "ui.last_view"
	prefWidth    = "ui.window_width"
	prefHeight   = "ui.window_height"
)

// A view that follows changes while it is shown implements these; the shell
// calls them on the UI goroutine.
type (
	// connectionFollower redraws a connection whose status, schedule or
	// last run changed.
	connectionFollower interface{ connectionChanged(connID string) }
	// changeFollower redraws the tenants, organizations and contacts that
	// changed.
	changeFollower interface {
		documentationChanged(c docbase.Changes)
	}
	// syncStateFollower turns its Sync now buttons off while their
	// connection syncs, as the top bar's is.
	syncStateFollower interface{ syncStateChanged() }
)

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
	view    any    // the current view, when it follows changes

	search    *searchEntry
	syncBtn   *widget.Button
	cancelBtn *widget.Button
	progress  *widget.ProgressBar
	phase     *widget.Label
	statusBox *fyne.Container

	// searchTimer runs the global search once typing pauses; searchGen
	// tells it whether a later keystroke superseded it.
	searchTimer *time.Timer
	searchGen   uint64

	// runs holds the progress of running syncs by connection.
	runs map[string]syncer.Event
	// finished says when the last sync ended and what it did, until
	// another starts.
	finished string
	// minuteTimer redraws the relative times ("5 minutes ago") as each
	// minute turns, only while the main layout shows them.
	minuteTimer *time.Timer
	// idleText sums up the connections while nothing syncs.
	idleText string
	// dialogs are the dialogs open over the window, the top one last.
	dialogs []dialog.Dialog
	// connNames are the connections' names by id, as last read.
	connNames map[string]string

	statusGen generation // the connection status read last started

	unsubscribe []func()
	cancel      context.CancelFunc // ends env.ctx
	wg          sync.WaitGroup     // the event bridges

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
	e := &env{ctx: ctx, app: a, w: w, core: core, opt: opt, log: opt.Logger, do: opt.Do, openURL: opt.OpenURL}
	if e.do == nil {
		e.do = fyne.Do
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
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

// BuildUI returns the window's content: once the connections are read, the
// first-run choice when there is none, else the last view.
func (s *Shell) BuildUI() fyne.CanvasObject {
	s.root = container.NewStack()
	s.env.applyTheme()
	s.restoreSize()
	s.subscribe()
	s.env.w.SetOnClosed(s.saveSize)
	s.preloadRows()
	mgr := s.env.core.Manager
	var conns []store.Connection
	s.env.run(func(ctx context.Context) (err error) {
		conns, err = mgr.Connections(ctx)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			// The views say what they cannot read; the first run would
			// offer to connect what may well be there.
			s.env.showError(err, "list the connections")
			s.showMain(s.env.app.Preferences().StringWithFallback(prefLastView, ViewIntegrations))
		case len(conns) == 0:
			s.ShowFirstRun()
		default:
			s.showMain(s.env.app.Preferences().StringWithFallback(prefLastView, ViewIntegrations))
			s.syncNewDemo(conns)
		}
	})
	return s.root
}

// preloadRows reads the documentation base's row index off the UI
// goroutine, so that the first list or search the technician opens does not
// wait for the database.
func (s *Shell) preloadRows() {
	if docs := s.env.core.Docs; docs != nil {
		s.env.run(docs.Preload, func(err error) { s.env.showError(err, "read the organizations and contacts") })
	}
}

// syncNewDemo syncs demo data as soon as the window opens: every view fills
// in seconds, and the progress shows what a sync looks like.
func (s *Shell) syncNewDemo(conns []store.Connection) {
	e := s.env
	if !e.core.Demo {
		return
	}
	for _, c := range conns {
		if !e.core.Engine.Running(c.ID) {
			id := c.ID
			e.run(func(ctx context.Context) error { e.core.Engine.SyncNow(ctx, id); return nil }, nil)
		}
	}
}

// Close cancels the work the window started, ends its event subscriptions
// and waits for its goroutines.
func (s *Shell) Close() {
	s.stopSearchTimer()
	s.stopMinuteTimer()
	s.cancel()
	s.stopEvents()
	s.env.waitWork()
}

func (s *Shell) stopEvents() {
	for _, stop := range s.unsubscribe {
		stop()
	}
	s.unsubscribe = nil
	s.wg.Wait()
}

func (s *Shell) restoreSize() {
	p := s.env.app.Preferences()
	// Fyne tells no screen size before the window shows, so the first
	// size fits the smallest screens technicians use (1024×640 less the
	// task bar); a window the technician enlarged keeps its size.
	wd, ht := p.FloatWithFallback(prefWidth, defaultWidth), p.FloatWithFallback(prefHeight, defaultHeight)
	s.env.w.Resize(fyne.NewSize(float32(max(wd, minWidth)), float32(max(ht, minHeight))))
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
	s.preloadRows()
	s.showMain(ViewIntegrations)
	load(s.env, nil, "list the connections", c.Manager.Connections, s.syncNewDemo)
}

// showMain builds the main layout and shows view.
func (s *Shell) showMain(view string) {
	s.stopSearchTimer()
	s.search = newSearchEntry("Search organizations and contacts… (Ctrl+F)", s.onSearchChanged)
	s.search.OnSubmitted = s.onSearch
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
			row.Objects[1].(*widget.Label).SetText(navText(id))
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
	s.addShortcuts()
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
	s.armMinuteTimer()
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
		obj, s.refresh, s.view = v.buildUI(), v.refresh, v
	case ViewOrganizations:
		v := newOrgsView(e)
		s.orgs = v
		obj, s.refresh, s.view = v.buildUI(), v.refresh, v
	case ViewLogs:
		v := newLogsView(e, "")
		s.logsView = v
		obj, s.refresh, s.view = v.buildUI(), v.refresh, v
	case ViewSettings:
		v := newSettingsView(e)
		obj, s.refresh, s.view = v.buildUI(), v.refresh, v
	default:
		view = ViewIntegrations
		v := newIntegrationsView(e)
		s.integrations = v
		obj, s.refresh, s.view = v.buildUI(), v.refresh, v
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
	s.refresh, s.view = refresh, nil
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

// onSearchChanged searches once typing pauses for searchDelay, from any
// view: a name typed at speed, or a paste, runs one search, not one per
// key.
func (s *Shell) onSearchChanged(text string) {
	s.stopSearchTimer()
	s.searchGen++
	gen := s.searchGen
	s.searchTimer = time.AfterFunc(searchDelay, func() {
		s.env.do(func() {
			if gen == s.searchGen {
				s.searchNow(text)
			}
		})
	})
}

// onSearch (Enter) searches at once.
func (s *Shell) onSearch(text string) {
	s.stopSearchTimer()
	s.searchGen++
	s.searchNow(text)
}

func (s *Shell) stopSearchTimer() {
	if s.searchTimer != nil {
		s.searchTimer.Stop()
		s.searchTimer = nil
	}
}

// searchNow shows the organizations and contacts matching text in the
// Organizations view, switching to it from any other; an emptied search
// box clears the search there and leaves other views alone.
func (s *Shell) searchNow(text string) {
	if s.current != ViewOrganizations {
		if text == "" {
			return
		}
		s.Show(ViewOrganizations)
	}
	if s.orgs != nil {
		s.orgs.searchAll(text)
	}
}

// onSyncAll queues a sync of every connection that is not paused.
func (s *Shell) onSyncAll() {
	e := s.env
	var conns []store.Connection
	e.run(func(ctx context.Context) error {
		var err error
		if conns, err = e.core.Manager.Connections(ctx); err != nil {
			return err
		}
		for _, c := range conns {
			if !c.Paused {
				e.core.Engine.SyncNow(ctx, c.ID)
			}
		}
		return nil
	}, func(err error) {
		switch {
		case err != nil:
			e.showError(err, "start the sync")
		case len(conns) == 0:
			e.showInfo("Nothing to sync", "Add a connection to Microsoft 365 first (Integrations → Add connection).")
		case allPaused(conns):
			e.showInfo("Every connection is paused", "Nothing was synced: "+pausedNames(conns)+" paused. Resume a connection in Integrations to sync it.")
		}
	})
}

func allPaused(conns []store.Connection) bool {
	for _, c := range conns {
		if !c.Paused {
			return false
		}
	}
	return true
}

func pausedNames(conns []store.Connection) string {
	names := make([]string, len(conns))
	for i, c := range conns {
		names[i] = c.Name
	}
	if len(names) == 1 {
		return names[0] + " is"
	}
	return strings.Join(names, ", ") + " are"
}

// syncing reports whether the engine runs a sync of the connection, as its
// events told the window.
func (s *Shell) syncing(connID string) bool {
	_, ok := s.runs[connID]
	return ok
}

func (s *Shell) onCancelAll() {
	for id := range s.runs {
		s.env.core.Engine.Cancel(id)
	}
}

// subscribe starts the bridges from core's events to widgets: the
// engine's progress and connection status, and what changed in the
// documentation base.
func (s *Shell) subscribe() {
	if eng := s.env.core.Engine; eng != nil {
		events, stop := eng.Subscribe()
		s.unsubscribe = append(s.unsubscribe, stop)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for ev := range events {
				s.onEngineEvent(ev)
			}
		}()
	}
	if docs := s.env.core.Docs; docs != nil {
		changes := docs.Subscribe()
		s.unsubscribe = append(s.unsubscribe, changes.Close)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for range changes.Ready() {
				if c := changes.Take(); !c.Empty() {
					s.env.do(func() { s.onDocumentationChanged(c) })
				}
			}
		}()
	}
}

// onEngineEvent hands an engine event to the UI goroutine (it runs on the
// bridge's).
func (s *Shell) onEngineEvent(ev syncer.Event) {
	switch ev.Kind {
	case syncer.RunStarted, syncer.TenantProgress, syncer.TenantDone:
		s.env.do(func() { s.onProgress(ev) })
	case syncer.RunFinished:
		s.env.do(func() {
			s.onFinished(ev)
			s.onConnectionChanged(ev.ConnectionID)
		})
	case syncer.StatusChanged:
		s.env.do(func() { s.onConnectionChanged(ev.ConnectionID) })
	}
}

// onConnectionChanged redraws a connection's status in the navigation and
// in the view shown.
func (s *Shell) onConnectionChanged(connID string) {
	s.updateStatus()
	if f, ok := s.view.(connectionFollower); ok {
		f.connectionChanged(connID)
	}
}

// onDocumentationChanged lets the view shown and the open contact overlay
// redraw what changed.
func (s *Shell) onDocumentationChanged(c docbase.Changes) {
	if f, ok := s.view.(changeFollower); ok {
		f.documentationChanged(c)
	}
	if s.overlay != nil {
		s.overlay.documentationChanged(c)
	}
}

// RefreshNow reloads the current view and the connection status at once:
// after the technician added, edited or removed a connection.
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
	if ev.Run != nil && !ev.Run.DryRun {
		s.finished = finishedText(s.connNames[ev.ConnectionID], ev.Run)
	}
	s.showProgress()
}

// finishedText says when a sync ended and what it did, in absolute time
// so that it never goes stale.
func finishedText(conn string, r *store.SyncRun) string {
	synced := 0
	for _, t := range r.Tenants {
		if t.Status == store.StatusOK || t.Status == store.StatusWarning {
			synced++
		}
	}
	text := "Sync finished " + r.End.Local().Format("15:04")
	switch r.Status {
	case store.StatusCancelled:
		text = "Sync cancelled " + r.End.Local().Format("15:04")
	case store.StatusError:
		text = "Sync failed " + r.End.Local().Format("15:04")
	}
	if conn != "" {
		text = conn + ": " + strings.ToLower(text[:1]) + text[1:]
	}
	text += fmt.Sprintf(" · %d of %s synced", synced, plural(len(r.Tenants), "tenant"))
	t := r.Totals
	if t.Created+t.Updated+t.Flagged > 0 {
		text += fmt.Sprintf(" · %d created, %d updated, %d flagged", t.Created, t.Updated, t.Flagged)
	} else {
		text += " · no contact changed"
	}
	if r.Status == store.StatusWarning || r.Status == store.StatusError {
		text += " · see Sync logs"
	}
	return text
}

// idleLine is the top bar's text while nothing syncs: how the last sync
// ended, else the connections' summary.
func (s *Shell) idleLine() string {
	if s.finished != "" {
		return s.finished
	}
	return s.idleText
}

// armMinuteTimer redraws the connections' status as the next minute turns
// and again each minute after, so "1 minute ago" never stays on screen for
// six; it is the only timer the idle window runs.
func (s *Shell) armMinuteTimer() {
	s.stopMinuteTimer()
	now := time.Now()
	next := now.Truncate(time.Minute).Add(time.Minute + time.Second)
	s.minuteTimer = time.AfterFunc(next.Sub(now), func() {
		s.env.do(func() {
			if s.minuteTimer == nil {
				return // the window closed
			}
			s.updateStatus()
			if f, ok := s.view.(minuteFollower); ok {
				f.minuteTurned()
			}
			s.armMinuteTimer()
		})
	})
}

// minuteFollower redraws the relative times it shows.
type minuteFollower interface{ minuteTurned() }

func (s *Shell) stopMinuteTimer() {
	if s.minuteTimer != nil {
		s.minuteTimer.Stop()
		s.minuteTimer = nil
	}
}

// showProgress draws the running syncs: tenants done of total, and what the
// last reported tenant is doing.
func (s *Shell) showProgress() {
	if s.progress == nil {
		return
	}
	if f, ok := s.view.(syncStateFollower); ok {
		f.syncStateChanged()
	}
	if len(s.runs) == 0 {
		s.progress.Hide()
		s.cancelBtn.Hide()
		s.syncBtn.Enable()
		s.phase.SetText(s.idleLine())
		return
	}
	s.finished = ""
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

// updateStatus reads the connections and redraws the status of each in the
// navigation.
func (s *Shell) updateStatus() {
	if s.statusBox == nil {
		return
	}
	load(s.env, &s.statusGen, "read the connections' status", s.env.core.Manager.Connections, s.showStatus)
}

// showStatus draws the status of every connection in the navigation.
func (s *Shell) showStatus(conns []store.Connection) {
	if s.statusBox == nil {
		return
	}
	s.statusBox.Objects = nil
	s.idleText = idleSummary(conns)
	s.connNames = map[string]string{}
	for _, c := range conns {
		s.connNames[c.ID] = c.Name
	}
	if len(s.runs) == 0 && s.phase != nil {
		s.phase.SetText(s.idleLine())
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

// chosenConnection is the connection a view shows: connID while it exists,
// else the first one ("" when there is none).
func chosenConnection(conns []store.Connection, connID string) string {
	for _, c := range conns {
		if c.ID == connID {
			return connID
		}
	}
	if len(conns) > 0 {
		return conns[0].ID
	}
	return ""
}

// showConnections fills sel with the connections' names and selects connID.
// *list is set before sel changes, since sel's callback reads it.
func showConnections(sel *widget.Select, list *[]store.Connection, conns []store.Connection, connID string) {
	*list = conns
	names := make([]string, len(conns))
	at := -1
	for i, c := range conns {
		names[i] = c.Name
		if c.ID == connID {
			at = i
		}
	}
	sel.Options = names
	if at >= 0 && sel.SelectedIndex() != at {
		sel.SetSelectedIndex(at)
	}
}
