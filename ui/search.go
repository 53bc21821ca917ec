package ui

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxSearchLen bounds what a search box holds, in characters. A search
// longer than any name, e-mail or phone finds nothing anyway; a box holding
// a pasted sync log of 100 KB is shaped anew on every key (a Backspace
// froze the window for a minute and a half) and is too wide to draw.
const maxSearchLen = 200

// searchDelay is how long the global search waits after a keystroke before
// it searches: typing a name runs one search, not one per letter.
const searchDelay = 150 * time.Millisecond

// boundSearch makes text fit a search box: one line (line breaks, tabs and
// other control characters become spaces, runs of spaces one space) of at
// most maxSearchLen characters. Leading spaces go, a trailing one stays so
// that typing "anna " then "m" is not undone under the cursor.
func boundSearch(text string) string {
	if len(text) <= maxSearchLen && !strings.HasPrefix(text, " ") && !strings.ContainsFunc(text, needsFolding) {
		return text // what typing gives: nothing to do
	}
	var b strings.Builder
	b.Grow(min(len(text), maxSearchLen*utf8.UTFMax))
	n, space := 0, true // true: drop leading spaces
	for _, r := range text {
		if n == maxSearchLen {
			break
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			if space {
				continue
			}
			r, space = ' ', true
		} else {
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// needsFolding reports a rune that boundSearch changes.
func needsFolding(r rune) bool {
	return r != ' ' && (unicode.IsSpace(r) || unicode.IsControl(r)) || r == utf8.RuneError
}

// searchEntry is a one-line search box that holds at most maxSearchLen
// characters, however much is pasted into it, and shows a clear button
// while it holds text.
type searchEntry struct {
	widget.Entry
	clear *widget.Button
	// onChanged runs with the bounded text after every change.
	onChanged func(text string)
	setting   bool // SetText of the bounded text is under way
}

// newSearchEntry returns a search box calling onChanged (which may be nil)
// with its text after every change.
func newSearchEntry(placeHolder string, onChanged func(string)) *searchEntry {
	e := &searchEntry{onChanged: onChanged}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder(placeHolder)
	e.clear = widget.NewButtonWithIcon("", theme.ContentClearIcon(), func() { e.SetText("") })
	e.clear.Importance = widget.LowImportance
	e.clear.Hide()
	e.ActionItem = e.clear
	e.Entry.OnChanged = e.changed
	return e
}

func (e *searchEntry) changed(text string) {
	if e.setting {
		return
	}
	if bounded := boundSearch(text); bounded != text {
		// Typed past the bound, or text that came in other than by paste.
		e.setting = true
		e.Entry.SetText(bounded)
		e.setting = false
		text = bounded
	}
	if text == "" {
		e.clear.Hide()
	} else {
		e.clear.Show()
	}
	if e.onChanged != nil {
		e.onChanged(text)
	}
}

// TypedShortcut pastes the clipboard bounded: the entry never holds, shapes
// or draws more than maxSearchLen characters of it.
func (e *searchEntry) TypedShortcut(s fyne.Shortcut) {
	if p, ok := s.(*fyne.ShortcutPaste); ok && p.Clipboard != nil {
		room := maxSearchLen - utf8.RuneCountInString(e.Text) + utf8.RuneCountInString(e.SelectedText())
		text := boundSearch(p.Clipboard.Content())
		if r := []rune(text); len(r) > max(room, 0) {
			text = string(r[:max(room, 0)])
		}
		e.Entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: fixedClipboard(text)})
		return
	}
	e.Entry.TypedShortcut(s)
}

// TypedRune drops characters typed past the bound.
func (e *searchEntry) TypedRune(r rune) {
	if utf8.RuneCountInString(e.Text) >= maxSearchLen && e.SelectedText() == "" {
		return
	}
	e.Entry.TypedRune(r)
}

// fixedClipboard is a clipboard holding one text, to paste it through the
// entry's own paste (selection, cursor, undo).
type fixedClipboard string

func (c fixedClipboard) Content() string   { return string(c) }
func (c fixedClipboard) SetContent(string) {}
