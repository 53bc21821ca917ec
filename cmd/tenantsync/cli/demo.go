package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// runDemo starts the simulated Microsoft cloud in this process, seeds a
// demo documentation base that partly matches it (in DATA-DIR/demo, apart
// from real data) and syncs it, printing what a first sync does.
func runDemo(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "demo", "")
	tenants := f.Int("tenants", 12, "customer tenants of the simulated partner")
	if code, ok := f.parse(args); !ok {
		return code
	}
	dir, err := DataDir(f.dataDir, env.Getenv)
	if err != nil {
		return fail(env, "%v", err)
	}
	demoDir := demo.Dir(dir)
	target := filepath.Join(demoDir, store.DBFile)
	// Take the demo database's lock before anything else and keep it until
	// the new demo database is in place: an import on DIR/demo, the app
	// exploring the demo or a second demo holds it, and then this demo
	// must not touch the file.
	held, err := store.Open(target, store.Options{})
	switch {
	case errors.Is(err, store.ErrLocked):
		return fail(env, "demo: the demo database %s is already in use by another tenantsync (a demo, the app exploring the demo, or a command run with --data-dir %s): close it and run the demo again", target, demoDir)
	case err != nil:
		// A file no one can open is a file no one is writing: the new demo
		// replaces it, as it replaces any earlier demo.
		fmt.Fprintf(env.Stderr, "tenantsync: demo: replacing the previous demo database: %v\n", err)
		held = nil
	default:
		removeDemoBuilds(env, demoDir)
	}
	lockedAt := time.Now()
	release := func() {
		if held != nil {
			held.Close()
			held = nil
		}
	}
	defer release()
	// demo.Start recreates its database from nothing; it builds in a
	// directory no other process knows, and the result replaces target
	// only once it is complete.
	build, err := os.MkdirTemp(demoDir, demoBuildPrefix+"*")
	if err != nil {
		return fail(env, "demo: %v", err)
	}
	defer os.RemoveAll(build)
	d, err := demo.Start(ctx, build, demo.Options{Tenants: *tenants})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer d.Close()
	eng := syncer.New(d.Store, d.Manager, syncer.Options{})
	events, stop := eng.Subscribe()
	done := make(chan struct{})
	go func() { defer close(done); printProgress(env.Stderr, events) }()
	run, err := eng.Sync(ctx, d.ConnectionID, store.TriggerManual, false)
	stop()
	<-done
	if err != nil {
		return fail(env, "demo sync: %v", err)
	}
	conn, err := d.Manager.Connection(ctx, d.ConnectionID)
	if err != nil {
		return fail(env, "%v", err)
	}
	printSummary(env.Stdout, conn, run)
	var matched, suggested, unmatched int
	_ = d.Store.View(ctx, func(tx *store.Tx) error {
		tns, err := tx.Tenants(d.ConnectionID)
		for _, t := range tns {
			switch {
			case t.MatchState == store.MatchMatched:
				matched++
			case len(t.Suggestions) > 0:
				suggested++
			default:
				unmatched++
			}
		}
		return err
	})
	fmt.Fprintf(env.Stdout, "Tenants: %d matched to organizations, %d with suggestions to review, %d without a match.\n", matched, suggested, unmatched)
	built := d.Store.Path()
	if err := d.Close(); err != nil {
		return fail(env, "demo: close the demo database: %v", err)
	}
	if err := os.Rename(built, target); err != nil {
		// Windows refuses to rename over a file that is open, ours
		// included: let go of ours and try again. It also refuses while
		// another process has the file open, so nothing is lost there.
		release()
		if err := os.Rename(built, target); err != nil {
			return fail(env, "demo: put the demo database in place: %v", err)
		}
	}
	// A process that opened the old file just as this demo locked it may
	// still be waiting for the lock (store.Open waits a second). Keep the
	// lock until it has given up, so it fails with "already running"
	// instead of writing into a file that is no longer at target.
	if held != nil {
		time.Sleep(time.Until(lockedAt.Add(demoLockHold)))
		release()
	}
	fmt.Fprintf(env.Stdout, "The demo database is %s; open the app and choose \"Explore with demo data\" to review it.\n", demo.Dir(dir))
	return ExitOK
}

// demoBuildPrefix names the directories, inside the demo directory, where
// demos build a new demo database.
const demoBuildPrefix = ".demo-build-"

// demoLockHold is how long a demo keeps the old demo database locked at the
// least: longer than store.Open's default one-second wait for a lock.
const demoLockHold = 2 * time.Second

// removeDemoBuilds removes what demos killed while building left behind.
// Called with the demo database's lock held, so no demo is building now.
func removeDemoBuilds(env *Env, demoDir string) {
	entries, err := os.ReadDir(demoDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tenantsync: demo: %v\n", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), demoBuildPrefix) {
			if err := os.RemoveAll(filepath.Join(demoDir, e.Name())); err != nil {
				fmt.Fprintf(env.Stderr, "tenantsync: demo: remove an interrupted demo: %v\n", err)
			}
		}
	}
}
