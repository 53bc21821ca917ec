package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/store"
)

// settingsView holds what is set once: each connection's sync settings,
// where the data lives, and what the window follows.
type settingsView struct {
	env   *env
	conns *fyne.Container
	gen   generation
	theme *widget.RadioGroup
}

func newSettingsView(e *env) *settingsView { return &settingsView{env: e} }

func (v *settingsView) buildUI() fyne.CanvasObject {
	v.conns = container.NewVBox()
	v.refresh()
	dataDir := v.env.opt.DataDir
	if dataDir == "" {
		dataDir = "(not set)"
	}
	where := v.env.core.Docs.DatabasePath()
	if v.env.core.Demo {
		where += "\nDemo mode: this demo database is recreated on every start and never mixes with your documentation."
	}
	version := v.env.opt.Version
	if version == "" {
		version = "development build"
	}
	data := widget.NewCard("Data", "Everything synced stays readable offline", container.NewVBox(
		container.New(&formLayout{},
			widget.NewLabel("Data folder"), widget.NewLabel(dataDir),
			widget.NewLabel("Database"), widget.NewLabel(where),
			widget.NewLabel("Secrets"), widget.NewLabel("client secrets in the OS keychain; the sign-in cache encrypted in the database"),
		),
		widget.NewButtonWithIcon("Copy data folder path", theme.ContentCopyIcon(), func() { v.env.app.Clipboard().SetContent(dataDir) }),
	))
	look := widget.NewCard("Appearance", "", container.NewVBox(v.themeChoice(),
		note("The window remembers its size and the last view."),
		note("Keyboard: "+shortcutText("1")+"…"+shortcutText("5")+" open the views, "+shortcutText("R")+" syncs now, "+shortcutText("F")+" searches, Escape closes a dialog.")))
	about := widget.NewCard("About", "", note("tenantsync "+version+"\nHeadless sync for the OS scheduler: tenantsync sync. Export contacts, licenses and mailboxes: tenantsync export."))
	syncCard := widget.NewCard("Sync settings", "What each connection syncs, and how often", v.conns)
	return container.NewVScroll(container.NewVBox(heading("Settings"), syncCard, data, look, about))
}

// Theme choices as the Appearance card names them.
var themeNames = []struct{ choice, title string }{
	{themeSystem, "Follow the system"}, {themeLight, "Light"}, {themeDark, "Dark"},
}

// themeChoice picks the theme: the system's, light or dark, applied at once
// and kept for the next start.
func (v *settingsView) themeChoice() fyne.CanvasObject {
	titles := make([]string, len(themeNames))
	current := v.env.app.Preferences().StringWithFallback(prefTheme, themeSystem)
	selected := themeNames[0].title
	for i, n := range themeNames {
		titles[i] = n.title
		if n.choice == current {
			selected = n.title
		}
	}
	v.theme = widget.NewRadioGroup(titles, nil)
	v.theme.Horizontal = true
	v.theme.Required = true
	v.theme.SetSelected(selected)
	v.theme.OnChanged = func(title string) {
		for _, n := range themeNames {
			if n.title == title {
				v.env.app.Preferences().SetString(prefTheme, n.choice)
				v.env.applyTheme()
			}
		}
	}
	return container.NewBorder(nil, nil, widget.NewLabel("Theme"), nil, v.theme)
}

// refresh reads the connections and lists them with their schedule.
func (v *settingsView) refresh() {
	load(v.env, &v.gen, "list the connections", v.env.core.Manager.Connections, v.showConnections)
}

// connectionChanged lists the connections again: one's schedule or status
// changed.
func (v *settingsView) connectionChanged(string) { v.refresh() }

func (v *settingsView) showConnections(conns []store.Connection) {
	v.conns.Objects = nil
	for _, c := range conns {
		id := c.ID
		v.conns.Add(container.NewBorder(nil, nil, nil,
			widget.NewButtonWithIcon("Sync settings…", theme.SettingsIcon(), func() { v.env.shell.showSyncSettings(id) }),
			widget.NewLabel(c.Name+" · "+scheduleText(c.Schedule)+" · "+statusLine(c))))
	}
	if len(conns) == 0 {
		v.conns.Add(widget.NewLabel("No connection yet: add one under Integrations."))
	}
	v.conns.Refresh()
}
