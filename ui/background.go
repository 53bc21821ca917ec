package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
)

// env is what every view shares: the window, the core, the way back to the
// UI goroutine and the work that runs off it.
type env struct {
	ctx     context.Context // ends when the window closes
	app     fyne.App
	w       fyne.Window
	core    Core
	opt     Options
	log     *slog.Logger
	do      func(func())
	openURL func(*url.URL) error
	shell   *Shell

	// work is every goroutine the window owns; the shell waits for them on
	// Close, after which closed refuses new ones. busy counts the runs
	// whose result is not yet handed to do.
	mu     sync.Mutex
	closed bool
	work   sync.WaitGroup
	busy   atomic.Int64
}

// run does work off the UI goroutine, where reads and writes of the
// database and Microsoft's answers may take their time, then hands its
// error to then on the UI goroutine. The window owns the goroutine: work
// gets env.ctx, which Close cancels before it waits for the goroutine.
func (e *env) run(work func(ctx context.Context) error, then func(err error)) {
	e.busy.Add(1)
	started := e.goOwned(func() {
		defer e.busy.Add(-1)
		err := work(e.ctx)
		if then != nil {
			e.do(func() { then(err) })
		}
	})
	if !started {
		e.busy.Add(-1)
	}
}

// goOwned runs fn on a goroutine the window owns: Close waits for it, so fn
// must end when env.ctx ends. For flows that wait on the technician (a
// sign-in in the browser); run is the way for a read or a write. Once the
// window is closing it starts nothing and reports false.
func (e *env) goOwned(fn func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.work.Add(1)
	go func() {
		defer e.work.Done()
		fn()
	}()
	return true
}

// waitWork refuses new goroutines and waits for those the window owns.
func (e *env) waitWork() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.work.Wait()
}

// generation tells a view's latest read from the reads it superseded: a
// slow read must not overwrite what a later one showed. Use it on the UI
// goroutine only.
type generation struct{ n uint64 }

func (g *generation) next() uint64 { g.n++; return g.n }

func (g *generation) current(n uint64) bool { return g.n == n }

// load reads off the UI goroutine and shows the result on it. A failed read
// is shown to the technician as "Could not <what>" and logged with attrs.
// With a generation, a read that a newer one of the same generation
// superseded is dropped.
func load[T any](e *env, gen *generation, what string, read func(ctx context.Context) (T, error), show func(T), attrs ...any) {
	var n uint64
	if gen != nil {
		n = gen.next()
	}
	var got T
	e.run(func(ctx context.Context) (err error) {
		got, err = read(ctx)
		return err
	}, func(err error) {
		if gen != nil && !gen.current(n) {
			return
		}
		if err != nil {
			e.showError(err, what, attrs...)
			return
		}
		show(got)
	})
}

// logError records an error the technician is shown, once, with its
// cause and what it concerns (connection, tenant, contact...). A cancelled
// context is the technician's own doing and not an error.
func (e *env) logError(err error, what string, attrs ...any) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	e.log.Error("could not "+what, append(attrs, "err", err)...)
}
