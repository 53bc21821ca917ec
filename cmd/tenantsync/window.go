package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/tenantsync/tenantsync/assets"
	"github.com/tenantsync/tenantsync/cmd/tenantsync/cli"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
	"github.com/tenantsync/tenantsync/ui"
)

// Environment variables the window reads.
const (
	// SmokeDirEnv runs the window smoke test (make smoke): demo data, one
	// sync, a PNG of every main view in this folder, then exit; non-zero
	// when a view is blank or something failed.
	SmokeDirEnv = "TENANTSYNC_SMOKE_DIR"
	// DemoEnv=1 opens the window on demo data straight away.
	DemoEnv = "TENANTSYNC_DEMO"
)

// openWindow runs the desktop app until its window is closed: the real
// database and keychain, or demo data on request.
func openWindow(ctx context.Context, dataDir string, logger *slog.Logger) error {
	smokeDir := os.Getenv(SmokeDirEnv)
	a := app.NewWithID("io.tenantsync.app")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("tenantsync")

	engines := &engineGroup{ctx: ctx, logger: logger, notify: func(title, body string) {
		fyne.Do(func() { a.SendNotification(fyne.NewNotification(title, body)) })
	}}
	defer engines.stop()

	demoOpt := demo.Options{}
	if smokeDir != "" {
		// Slow enough that the smoke test catches the sync in progress.
		demoOpt.Latency = 300 * time.Millisecond
	}
	openDemo := func(ctx context.Context) (*demo.Demo, ui.Core, error) {
		d, err := demo.Start(ctx, dataDir, demoOpt)
		if err != nil {
			return nil, ui.Core{}, err
		}
		engines.onStop(func() { d.Close() })
		logger.Info("demo started", "db", d.Store.Path())
		return d, engines.start(d.Store, d.Manager, true), nil
	}
	startDemo := func(ctx context.Context) (ui.Core, error) {
		_, core, err := openDemo(ctx)
		return core, err
	}

	var core ui.Core
	var smokeStore *store.Store // the demo's, which the smoke test reads
	if smokeDir != "" || os.Getenv(DemoEnv) == "1" {
		d, demoCore, err := openDemo(ctx)
		if err != nil {
			return err
		}
		core, smokeStore = demoCore, d.Store
	} else {
		net, err := cli.NetworkFromEnv(os.Getenv)
		if err != nil {
			return err
		}
		s, err := store.Open(filepath.Join(dataDir, store.DBFile), store.Options{})
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("tenantsync is already open with the data folder %s: switch to that window (or wait for the scheduled sync to finish)", dataDir)
		}
		if err != nil {
			return err
		}
		engines.onStop(func() { s.Close() })
		kc := secrets.NewKeychain("")
		vault := secrets.NewVault(kc, s)
		mgr := connections.NewManager(s, kc, vault, net)
		core = engines.start(s, mgr, false)
	}

	var smokeEvents <-chan syncer.Event
	if smokeDir != "" {
		// Subscribed before the window starts the demo's first sync.
		var unsubscribe func()
		smokeEvents, unsubscribe = core.Engine.Subscribe()
		defer unsubscribe()
	}
	shell := ui.NewShell(ctx, a, w, core, ui.Options{StartDemo: startDemo, DataDir: dataDir, Version: cli.Version, Logger: logger})
	w.SetContent(shell.BuildUI())
	w.SetMaster()
	logger.Info("window opened", "data_dir", dataDir, "demo", core.Demo)

	var smokeErr error
	if smokeDir != "" {
		go func() {
			smokeErr = runSmoke(ctx, shell, core, smokeStore, smokeEvents, smokeDir, logger)
			fyne.Do(a.Quit)
		}()
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	shell.Close()
	return smokeErr
}

// engineGroup owns the sync engines the window starts (the real one, the
// demo's) and stops them, then closes their stores, when the window closes.
type engineGroup struct {
	ctx    context.Context
	logger *slog.Logger
	notify func(title, body string)

	mu      sync.Mutex
	cancels []context.CancelFunc
	closers []func()
	wg      sync.WaitGroup
}

// start builds the core over a store: the documentation base, and an engine
// that tells it what each sync changed, running until the group stops.
func (g *engineGroup) start(s *store.Store, mgr *connections.Manager, isDemo bool) ui.Core {
	docs := docbase.New(s)
	eng := syncer.New(s, mgr, syncer.Options{Logger: g.logger, Notify: g.notify, Changes: docs})
	ctx, cancel := context.WithCancel(g.ctx)
	g.mu.Lock()
	g.cancels = append(g.cancels, cancel)
	g.mu.Unlock()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		_ = eng.Run(ctx)
	}()
	return ui.Core{Docs: docs, Manager: mgr, Engine: eng, Demo: isDemo}
}

func (g *engineGroup) onStop(fn func()) {
	g.mu.Lock()
	g.closers = append(g.closers, fn)
	g.mu.Unlock()
}

func (g *engineGroup) stop() {
	g.mu.Lock()
	for _, c := range g.cancels {
		c()
	}
	g.mu.Unlock()
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}
