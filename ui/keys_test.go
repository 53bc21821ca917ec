package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/syncer"
)

func (h *harness) shortcut(key fyne.KeyName) {
	h.w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
	h.settle()
}

// Escape closes the dialog on top, from the window and from a text field
// in the dialog, as Cancel would: nothing is decided.
func TestEscapeClosesTheDialog(t *testing.T) {
	h := newDemoHarness(t, demo.Options{})
	c := h.waitSynced()
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	v.list.Select(matchingRow(t, v, ambiguousTenant))

	test.Tap(v.matchTo)
	h.settle()
	if h.w.Canvas().Overlays().Top() == nil {
		t.Fatal("Match to… opened no dialog")
	}
	h.w.Canvas().Unfocus()
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	if h.w.Canvas().Overlays().Top() != nil {
		t.Error("Escape left the dialog open")
	}

	test.Tap(v.create)
	h.settle()
	var entry *escEntry
	for _, o := range h.w.Canvas().Overlays().List() {
		walk(o, func(obj fyne.CanvasObject) {
			if e, ok := obj.(*escEntry); ok {
				entry = e
			}
		})
	}
	if entry == nil {
		t.Fatal("no name form")
	}
	h.w.Canvas().Focus(entry)
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	if h.w.Canvas().Overlays().Top() != nil {
		t.Error("Escape in the name field left the dialog open")
	}
	if got := h.tenants(c.ID)[ambiguousTenant].MatchState; got != "unmatched" {
		t.Errorf("closing with Escape decided the tenant: %s", got)
	}
	if len(h.shell.dialogs) != 0 {
		t.Errorf("%d dialogs still counted open", len(h.shell.dialogs))
	}
}

// Ctrl+1…5 open the views in navigation order, and the navigation names
// them.
func TestShortcutsOpenViews(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	h.waitSynced()
	for i, key := range viewKeys {
		h.shortcut(key)
		if got := h.shell.Current(); got != navViews[i].name {
			t.Errorf("%s opened %q, want %q", shortcutText(string(key)), got, navViews[i].name)
		}
		if !strings.Contains(navText(i), shortcutText(string(key))) {
			t.Errorf("navigation entry %q does not name its shortcut", navText(i))
		}
	}
}

// When a sync ends the top bar says so, with the time and what it did, and
// keeps saying it (in absolute time) until the next sync starts.
func TestTopBarSaysTheSyncFinished(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	h.waitSynced()
	h.waitFor("the top bar to say the sync finished", func() bool {
		return strings.Contains(h.shell.phase.Text, "sync finished") && strings.Contains(h.shell.phase.Text, "of 2 tenants synced")
	})
	h.shell.updateStatus()
	h.settle()
	if !strings.Contains(h.shell.phase.Text, "sync finished") {
		t.Errorf("a status read replaced the finished line with %q", h.shell.phase.Text)
	}
}

// Every Sync now follows the engine's runs: the card's is off while its
// connection syncs and on again after, as the top bar's is.
func TestSyncNowOffWhileSyncing(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	c := h.waitSynced()
	h.waitFor("the first sync's end to reach the window", func() bool { return !h.shell.syncing(c.ID) })
	h.shell.Show(ViewIntegrations)
	h.settle()
	card := h.shell.integrations.buttons[c.ID][actSync]
	if card.Disabled() || h.shell.syncBtn.Disabled() {
		t.Fatal("Sync now is off with nothing running")
	}
	h.shell.onProgress(syncer.Event{Kind: syncer.RunStarted, ConnectionID: c.ID, RunID: 99})
	if !card.Disabled() || !h.shell.syncBtn.Disabled() {
		t.Errorf("while syncing: card's Sync now off %v, top bar's off %v; want both off", card.Disabled(), h.shell.syncBtn.Disabled())
	}
	h.shell.onFinished(syncer.Event{Kind: syncer.RunFinished, ConnectionID: c.ID, RunID: 99})
	if card.Disabled() || h.shell.syncBtn.Disabled() {
		t.Error("Sync now stays off after the run ended")
	}
}

// The theme chosen in Settings is kept and applied at once: Light draws
// light whatever the system says, with a focus ring stronger than Fyne's.
func TestThemeChoiceIsKeptAndApplied(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	h.waitSynced()
	h.shell.Show(ViewSettings)
	h.settle()
	v, ok := h.shell.view.(*settingsView)
	if !ok || v.theme == nil {
		t.Fatal("Settings shows no theme choice")
	}
	v.theme.SetSelected("Light")
	if got := h.app.Preferences().String(prefTheme); got != themeLight {
		t.Errorf("preference %q = %q, want %q", prefTheme, got, themeLight)
	}
	th := h.app.Settings().Theme()
	light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight)
	if got := th.Color(theme.ColorNameBackground, theme.VariantDark); got != light {
		t.Errorf("with Light chosen, a dark system draws background %v, want the light %v", got, light)
	}
	if th.Color(theme.ColorNameFocus, theme.VariantLight) == theme.DefaultTheme().Color(theme.ColorNameFocus, theme.VariantLight) {
		t.Error("the focus colour is Fyne's faint default")
	}
	v.theme.SetSelected("Follow the system")
	dark := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark)
	if got := h.app.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark); got != dark {
		t.Errorf("following the system, a dark system draws background %v, want %v", got, dark)
	}
}
