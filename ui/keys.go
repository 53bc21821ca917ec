package ui

import (
	"runtime"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Keyboard: Ctrl+1…5 (⌘ on macOS) open the views in navigation order,
// Ctrl+R syncs now, Ctrl+F goes to the global search, and Escape closes the
// dialog on top as its Cancel or Close button would.

// shortcutText names a shortcut of the key with the platform's modifier.
func shortcutText(key string) string {
	if runtime.GOOS == "darwin" {
		return "⌘" + key
	}
	return "Ctrl+" + key
}

// viewKeys are the keys of the views' shortcuts, in navigation order.
var viewKeys = []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5}

func (s *Shell) addShortcuts() {
	c := s.env.w.Canvas()
	add := func(key fyne.KeyName, fn func()) {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { fn() })
	}
	add(fyne.KeyF, func() { c.Focus(s.search) })
	add(fyne.KeyR, s.onSyncShortcut)
	for i, key := range viewKeys[:len(navViews)] {
		name := navViews[i].name
		add(key, func() { s.Show(name) })
	}
	c.SetOnTypedKey(s.onTypedKey)
}

// onSyncShortcut syncs now unless a sync already runs (the button is off
// then, and the shortcut does what the button would).
func (s *Shell) onSyncShortcut() {
	if s.syncBtn != nil && !s.syncBtn.Disabled() {
		s.onSyncAll()
	}
}

// onTypedKey gets the keys no focused widget took.
func (s *Shell) onTypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		s.dismissTop()
	}
}

// dismissTop closes the dialog on top of the window as its Cancel or
// Close button would, so its own "cancelled" handling runs.
func (s *Shell) dismissTop() bool {
	if len(s.dialogs) == 0 {
		return false
	}
	s.dialogs[len(s.dialogs)-1].Hide()
	return true
}

// showDialog shows a dialog that Escape closes.
func (e *env) showDialog(d dialog.Dialog) {
	s := e.shell
	d.SetOnClosed(func() {
		s.dialogs = slices.DeleteFunc(s.dialogs, func(o dialog.Dialog) bool { return o == d })
	})
	s.dialogs = append(s.dialogs, d)
	d.Show()
}

// escEntry is an entry in a dialog: Escape in it closes the dialog instead
// of doing nothing, as a focused entry otherwise takes every key.
type escEntry struct {
	widget.Entry
	env *env
}

func newEscEntry(e *env) *escEntry {
	x := &escEntry{env: e}
	x.ExtendBaseWidget(x)
	return x
}

// TypedKey closes the dialog on Escape.
func (x *escEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && x.env.shell.dismissTop() {
		return
	}
	x.Entry.TypedKey(ev)
}

// navText is a navigation entry's title with its shortcut.
func navText(i int) string {
	return navViews[i].title + "   " + shortcutText(strconv.Itoa(i+1))
}
