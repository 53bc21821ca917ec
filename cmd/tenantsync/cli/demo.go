package cli

import (
	"context"
	"errors"
	"fmt"

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
	d, err := demo.Start(ctx, dir, demo.Options{Tenants: *tenants})
	if errors.Is(err, demo.ErrInUse) {
		return fail(env, "%v: close it and run the demo again", err)
	}
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
	if err := d.Close(); err != nil {
		return fail(env, "demo: close the demo database: %v", err)
	}
	fmt.Fprintf(env.Stdout, "The demo database is %s; open the app and choose \"Explore with demo data\" to review it.\n", demo.Dir(dir))
	return ExitOK
}
