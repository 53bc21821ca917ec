package ui

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/store"
)

func TestBoundSearch(t *testing.T) {
	long := strings.Repeat("é", maxSearchLen+50)
	tests := []struct{ in, want string }{
		{"anna", "anna"},
		{"anna ", "anna "},
		{"  anna", "anna"},
		{"line one\r\nline two\tthree", "line one line two three"},
		{"a\x00b\x1bc", "a b c"},
		{long, long[:maxSearchLen*len("é")]},
	}
	for _, tt := range tests {
		if got := boundSearch(tt.in); got != tt.want {
			t.Errorf("boundSearch(%.40q) = %.40q, want %.40q", tt.in, got, tt.want)
		}
	}
}

// syncLog is what a technician copies out of the sync log: many lines,
// about 100 KB.
func syncLog() string {
	var b strings.Builder
	for i := 0; b.Len() < 100_000; i++ {
		b.WriteString("2026-11-28 10:41:07\tinfo\tContoso Ltd: 212 users read, 3 created, 1 updated, 0 flagged; 14 requests, 0 retries\r\n")
	}
	return b.String()
}

// A pasted sync log becomes one bounded line, and Backspace then edits a
// short text.
func TestSearchBoxBoundsPaste(t *testing.T) {
	test.NewTempApp(t)
	var got []string
	e := newSearchEntry("Search", func(text string) { got = append(got, text) })
	w := test.NewTempWindow(t, e)
	w.Canvas().Focus(e)
	cb := fixedClipboard(syncLog())
	e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
	if n := utf8.RuneCountInString(e.Text); n != maxSearchLen || strings.ContainsAny(e.Text, "\r\n\t") {
		t.Fatalf("after pasting 100 KB the box holds %d characters (%.60q), want %d on one line", n, e.Text, maxSearchLen)
	}
	if len(got) != 1 || got[0] != e.Text {
		t.Errorf("onChanged ran %d times, want once with the box's text", len(got))
	}
	if !e.clear.Visible() {
		t.Error("no clear button while the box holds text")
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if n := utf8.RuneCountInString(e.Text); n != maxSearchLen-1 {
		t.Errorf("Backspace left %d characters, want %d", n, maxSearchLen-1)
	}
	test.Type(e, "xyz") // typed past the bound: dropped
	if n := utf8.RuneCountInString(e.Text); n != maxSearchLen {
		t.Errorf("typing past the bound left %d characters, want %d", n, maxSearchLen)
	}
	test.Tap(e.clear)
	if e.Text != "" || e.clear.Visible() {
		t.Errorf("clear left %q, clear button shown %v", e.Text, e.clear.Visible())
	}
}

// The global search finds an organization by its name from another view,
// as the technician types; picking it shows its contacts, not a search of
// them for its name ("0 contacts"), and the filters can be cleared.
func TestGlobalSearchFindsOrganizationFromAnotherView(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 4})
	h.waitSynced()
	// An organization with contacts, whose name none of them holds.
	var org store.Organization
	var contacts int
	_ = h.store.View(h.ctx, func(tx *store.Tx) error {
		n := map[uint64]int{}
		_ = tx.ForEachContact(func(c *store.Contact) error { n[c.OrgID]++; return nil })
		orgs, err := tx.Orgs()
		for _, o := range orgs {
			if n[o.ID] > contacts {
				org, contacts = o, n[o.ID]
			}
		}
		return err
	})
	if contacts == 0 {
		t.Fatal("the demo has no organization with contacts")
	}
	h.shell.Show(ViewIntegrations)
	test.Type(h.shell.search, org.Name) // no Enter: as you type
	v := func() *orgsView { return h.shell.orgs }
	h.waitFor("the Organizations view to list "+org.Name, func() bool {
		if h.shell.Current() != ViewOrganizations || v() == nil {
			return false
		}
		for _, r := range v().orgRows {
			if r != nil && r.ID == org.ID {
				return true
			}
		}
		return false
	})
	at := -1
	for i, r := range v().orgRows {
		if r != nil && r.ID == org.ID {
			at = i
		}
	}
	if !v().orgSearch.clear.Visible() || !v().clear.Visible() {
		t.Error("the search's filters show no clear button")
	}
	v().orgList.Select(at)
	if v().search.Text != "" {
		t.Errorf("picking %s kept the contact search %q", org.Name, v().search.Text)
	}
	if len(v().rows) != contacts {
		t.Errorf("picking %s lists %d contacts (%s), want %d", org.Name, len(v().rows), v().count.Text, contacts)
	}
	// A search typed in the contacts box stays and says so, with a clear.
	test.Type(v().search, "zzzz-nobody")
	if len(v().rows) != 0 || !strings.Contains(v().count.Text, `matching "zzzz-nobody"`) || !v().clear.Visible() {
		t.Errorf("a search matching nobody shows %d rows, %q, clear shown %v", len(v().rows), v().count.Text, v().clear.Visible())
	}
	test.Tap(v().clear)
	if len(v().rows) != contacts || v().clear.Visible() {
		t.Errorf("after Clear filters %d contacts listed, want %d (clear shown %v)", len(v().rows), contacts, v().clear.Visible())
	}
	// Emptying the global search shows every organization again.
	test.Tap(h.shell.search.clear)
	h.waitFor("every organization to be listed", func() bool { return v().orgSearch.Text == "" && len(v().orgRows) > 2 })
}

// A user of a tenant without Entra ID P1 has no known last sign-in: the
// overlay says why instead of "never".
func TestOverlaySaysWhySignInIsUnknown(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 4})
	h.waitSynced()
	var id uint64
	_ = h.store.View(h.ctx, func(tx *store.Tx) error {
		noP1 := map[string]bool{}
		conns, _ := tx.Connections()
		for _, c := range conns {
			ts, _ := tx.Tenants(c.ID)
			for _, tn := range ts {
				for _, f := range tn.Findings {
					if f.Code == graph.CodeNoP1 {
						noP1[tn.TenantID] = true
					}
				}
			}
		}
		return tx.ForEachContact(func(c *store.Contact) error {
			if c.Link != nil && noP1[c.Link.TenantID] {
				id = c.ID
			}
			return nil
		})
	})
	if id == 0 {
		t.Skip("no demo tenant without Entra ID P1 holds a synced contact")
	}
	h.shell.Show(ViewOrganizations)
	h.shell.OpenContact(id)
	h.settle()
	// Both sign-in rows say why, neither says "never".
	n := 0
	for _, o := range h.w.Canvas().Overlays().List() {
		walk(o, func(obj fyne.CanvasObject) {
			if l, ok := obj.(*widget.Label); ok && l.Text == "no sign-in data: this tenant has no Entra ID P1" {
				n++
			}
		})
	}
	if n != 2 {
		t.Errorf("%d sign-in rows say why they are unknown, want 2 (last sign-in, last successful)", n)
	}
}

// BenchmarkSearchPaste100KB measures what a paste of a 100 KB sync log into
// the global search costs the UI goroutine: the bounded paste, the search
// it runs (from another view: the switch to Organizations and the query
// over 100,000 contacts) and one Backspace with its search. Target: well
// under 100 ms (it froze the window for 90 s).
func BenchmarkSearchPaste100KB(b *testing.B) {
	s := benchStore(b)
	a := test.NewTempApp(b)
	w := test.NewTempWindow(b, nil)
	p := newPump() // background reads come back between iterations
	core := Core{Docs: docbase.New(s), Manager: connections.NewManager(s, nil, nil, connections.Network{})}
	shell := NewShell(context.Background(), a, w, core, Options{Do: p.do})
	defer shell.Close()
	shell.root = container.NewStack()
	shell.showMain(ViewSettings)
	w.SetContent(shell.root)
	w.Resize(fyne.NewSize(1280, 800))
	paste := &fyne.ShortcutPaste{Clipboard: fixedClipboard(syncLog())}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		shell.Show(ViewSettings)
		shell.search.SetText("")
		shell.stopSearchTimer()
		for shell.env.busy.Load() != 0 || !p.empty() {
			p.drain()
			select {
			case <-p.wake:
			case <-time.After(time.Millisecond):
			}
		}
		w.Canvas().Focus(shell.search)
		b.StartTimer()
		shell.search.TypedShortcut(paste)
		shell.onSearch(shell.search.Text) // what the debounce runs
		shell.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
		shell.onSearch(shell.search.Text)
		test.LaidOutObjects(shell.orgs.list)
	}
	b.StopTimer()
	if utf8.RuneCountInString(shell.search.Text) != maxSearchLen-1 || shell.Current() != ViewOrganizations {
		b.Fatalf("after the paste the box holds %d characters on view %s", utf8.RuneCountInString(shell.search.Text), shell.Current())
	}
}
