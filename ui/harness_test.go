package ui

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// pump queues what background goroutines hand to the UI, so the test's
// goroutine runs every widget change, as the app's main goroutine would.
type pump struct {
	mu    sync.Mutex
	queue []func()
	wake  chan struct{}
}

func newPump() *pump { return &pump{wake: make(chan struct{}, 1)} }

func (p *pump) do(fn func()) {
	p.mu.Lock()
	p.queue = append(p.queue, fn)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// empty reports whether no UI work waits.
func (p *pump) empty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue) == 0
}

func (p *pump) drain() {
	for {
		p.mu.Lock()
		q := p.queue
		p.queue = nil
		p.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// harness is a window over a real core: a temp store, the simulated cloud
// and a running engine.
type harness struct {
	t      testing.TB
	ctx    context.Context
	app    fyne.App
	w      fyne.Window
	shell  *Shell
	core   Core
	store  *store.Store // what the test checks the window's work against
	pump   *pump
	notify chan string
	demo   *demo.Demo
	opened []string // URLs the window opened in the browser
}

// newDemoHarness opens the window on demo data; its first sync starts at
// once.
func newDemoHarness(t testing.TB, opt demo.Options) *harness {
	t.Helper()
	ctx := context.Background()
	a := test.NewTempApp(t)
	d, err := demo.Start(ctx, t.TempDir(), opt)
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	h := &harness{t: t, ctx: ctx, app: a, pump: newPump(), notify: make(chan string, 16), demo: d}
	h.start(d.Store, d.Manager, true)
	return h
}

// start builds the engine and the window over a store and manager.
func (h *harness) start(s *store.Store, mgr *connections.Manager, isDemo bool) {
	h.startWith(s, mgr, isDemo, nil)
}

// startWith is start with a way to switch to demo data.
func (h *harness) startWith(s *store.Store, mgr *connections.Manager, isDemo bool, startDemo func(context.Context) (Core, error)) {
	docs := docbase.New(s)
	eng := syncer.New(s, mgr, syncer.Options{Tenants: 4, Changes: docs, Notify: func(title, body string) {
		select {
		case h.notify <- title + ": " + body:
		default:
		}
	}})
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	h.core = Core{Docs: docs, Manager: mgr, Engine: eng, Demo: isDemo}
	h.store = s
	h.w = test.NewTempWindow(h.t, widget.NewLabel(""))
	h.shell = NewShell(h.ctx, h.app, h.w, h.core, Options{Do: h.pump.do, DataDir: h.t.TempDir(), StartDemo: startDemo,
		Logger: testLogger(h.t), OpenURL: func(u *url.URL) error { h.opened = append(h.opened, u.String()); return nil }})
	h.w.SetContent(h.shell.BuildUI())
	h.w.Resize(fyne.NewSize(1280, 800))
	h.settle()
	h.t.Cleanup(func() {
		cancel()
		// The bridge may be handing work to the pump while it stops.
		stopped := make(chan struct{})
		go func() { h.shell.Close(); close(stopped) }()
		for {
			select {
			case <-stopped:
				<-done
				return
			case <-h.pump.wake:
				h.pump.drain()
			}
		}
	})
}

// waitFor runs queued UI work until cond holds, failing after a deadline.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		h.pump.drain()
		if cond() {
			return
		}
		select {
		case <-h.pump.wake:
		case <-tick.C:
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// settle runs queued UI work until the reads and writes the window started
// have come back and been shown. What they set off through events (a
// change, a status) is for waitFor.
func (h *harness) settle() { h.settleShell(h.shell) }

func (h *harness) settleShell(s *Shell) {
	h.t.Helper()
	h.waitFor("the window's reads and writes", func() bool { return s.env.busy.Load() == 0 && h.pump.empty() })
}

// testLogger is a logger that writes to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// connection returns the only connection.
func (h *harness) connection() store.Connection {
	h.t.Helper()
	var conns []store.Connection
	if err := h.store.View(h.ctx, func(tx *store.Tx) error {
		var err error
		conns, err = tx.Connections()
		return err
	}); err != nil || len(conns) != 1 {
		h.t.Fatalf("connections: %d, %v; want 1", len(conns), err)
	}
	return conns[0]
}

// waitSynced waits until the connection has finished a sync and the shell
// shows no sync running.
func (h *harness) waitSynced() store.Connection {
	h.t.Helper()
	var c store.Connection
	h.waitFor("the first sync to finish", func() bool {
		c = h.connection()
		_, _, running := h.shell.Progress()
		return !c.LastSync.IsZero() && c.Status != store.StatusSyncing && c.Status != store.StatusQueued &&
			!h.core.Engine.Running(c.ID) && !running
	})
	return c
}

func (h *harness) tenants(connID string) map[string]store.Tenant {
	h.t.Helper()
	out := map[string]store.Tenant{}
	err := h.store.View(h.ctx, func(tx *store.Tx) error {
		ts, err := tx.Tenants(connID)
		for _, t := range ts {
			out[t.DisplayName] = t
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// overlayButton finds a button by its text in the window's dialogs.
func (h *harness) overlayButton(text string) *widget.Button {
	for _, o := range h.w.Canvas().Overlays().List() {
		if b := findButton(o, text); b != nil {
			return b
		}
	}
	return nil
}

// overlayText reports whether a label in the window's dialogs contains text.
func (h *harness) overlayText(text string) bool {
	for _, o := range h.w.Canvas().Overlays().List() {
		found := false
		walk(o, func(obj fyne.CanvasObject) {
			if l, ok := obj.(*widget.Label); ok && strings.Contains(l.Text, text) {
				found = true
			}
		})
		if found {
			return true
		}
	}
	return false
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	walk(o, func(obj fyne.CanvasObject) {
		if b, ok := obj.(*widget.Button); ok && found == nil && b.Text == text {
			found = b
		}
	})
	return found
}

// walk visits o and everything drawn inside it.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	for _, obj := range test.LaidOutObjects(o) {
		fn(obj)
	}
}
