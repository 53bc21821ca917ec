// Package syncer is the sync engine: it plans a connection's tenants, reads
// them concurrently, matches tenants to organizations and users to
// contacts, commits each tenant in one transaction, keeps a log of every run,
// and runs connections on a schedule.
//
// One goroutine (Run) owns the schedule. Triggers from the UI, the timer or
// a newly saved connection collapse: a connection already queued or syncing
// is not queued twice. State reaches the UI and the CLI as events.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// DefaultSchedule is how often a connection syncs unless set otherwise.
const DefaultSchedule = time.Hour

// Options tune the engine.
type Options struct {
	// Tenants is how many tenants sync at once per run; default 64. The
	// connections manager's in-flight cap bounds their requests together.
	Tenants int
	// Sequential reads a tenant's data types one after another instead of
	// in parallel (with Tenants = 1: the naive baseline of the benchmark).
	Sequential bool
	Logger     *slog.Logger
	// Notify shows a desktop notification when a run ends; nil for none.
	Notify func(title, body string)
	// Changes hears which tenants and organizations each commit and
	// matching decision changed, so a window redraws those rows; nil for
	// nobody.
	Changes ChangeListener
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Technician names who makes matching decisions in contact history
	// and sync logs; default the signed-in operating-system user.
	Technician string
}

// Engine syncs connections. Build it with New; start the schedule with Run.
type Engine struct {
	store  *store.Store
	mgr    *connections.Manager
	opt    Options
	events hub

	mu      sync.Mutex
	running map[string]*runHandle    // connection -> its run
	pending map[string]store.Trigger // connection -> trigger, queued behind a running run
	wake    chan struct{}            // 1-buffered: the schedule loop re-plans
	runWG   sync.WaitGroup

	undo undoSlot // the last matching decision, until undone or replaced
}

// New returns an engine over a store and the connections manager.
func New(s *store.Store, mgr *connections.Manager, opt Options) *Engine {
	if opt.Tenants <= 0 {
		opt.Tenants = 64
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Technician == "" {
		opt.Technician = technicianName()
	}
	return &Engine{store: s, mgr: mgr, opt: opt, running: map[string]*runHandle{}, pending: map[string]store.Trigger{}, wake: make(chan struct{}, 1)}
}

func (e *Engine) now() time.Time { return e.opt.Now().UTC() }

// Subscribe returns a channel of events and a function that ends the
// subscription.
func (e *Engine) Subscribe() (<-chan Event, func()) { return e.events.subscribe(256) }

// ErrBusy means the connection is already syncing.
var ErrBusy = errors.New("a sync of this connection is already running")

// Sync runs one sync of a connection now and waits for it: for the CLI and
// tests. dryRun computes what would change and writes nothing.
func (e *Engine) Sync(ctx context.Context, connID string, trigger store.Trigger, dryRun bool) (store.SyncRun, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !dryRun {
		e.mu.Lock()
		if _, busy := e.running[connID]; busy {
			e.mu.Unlock()
			return store.SyncRun{}, ErrBusy
		}
		h := &runHandle{cancel: cancel}
		e.running[connID] = h
		e.mu.Unlock()
		defer e.release(connID, h)
		return e.syncConnection(ctx, connID, trigger, dryRun, h)
	}
	return e.syncConnection(ctx, connID, trigger, dryRun, nil)
}

// runHandle is one running sync of a connection.
type runHandle struct{ cancel context.CancelFunc }

// release marks h's connection as no longer running, unless a newer run
// took its place, and lets the schedule start what queued behind it. The
// run releases itself before it announces its end, so a subscriber that
// sees RunFinished also sees Running false; releasing twice is harmless.
func (e *Engine) release(connID string, h *runHandle) {
	e.mu.Lock()
	mine := e.running[connID] == h
	if mine {
		delete(e.running, connID)
	}
	e.mu.Unlock()
	if mine {
		e.poke()
	}
}

// SyncNow queues a sync of a connection. A connection already syncing syncs
// once more after it (not once per click). It saves the queued status, so
// a window calls it off its UI goroutine.
func (e *Engine) SyncNow(ctx context.Context, connID string) {
	e.mu.Lock()
	e.pending[connID] = store.TriggerManual
	e.mu.Unlock()
	e.setStatus(ctx, connID, store.StatusQueued, "")
	e.poke()
}

// Cancel stops a connection's running sync and drops a queued one.
func (e *Engine) Cancel(connID string) {
	e.mu.Lock()
	delete(e.pending, connID)
	h := e.running[connID]
	e.mu.Unlock()
	if h != nil {
		h.cancel()
	}
}

// Running reports whether a connection is syncing.
func (e *Engine) Running(connID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.running[connID]
	return ok
}

// SetPaused pauses or resumes a connection's schedule. Pausing cancels a
// running sync.
func (e *Engine) SetPaused(ctx context.Context, connID string, paused bool) error {
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Connection(connID)
		if err != nil {
			return err
		}
		c.Paused = paused
		if paused {
			c.Status = store.StatusPaused
		} else {
			c.Status = statusAfterResume(c)
		}
		c.NextSync = nextSync(c, e.now())
		return tx.PutConnection(&c)
	})
	if err != nil {
		return err
	}
	if paused {
		e.Cancel(connID)
	}
	e.publishStatus(ctx, connID)
	e.poke()
	return nil
}

func statusAfterResume(c store.Connection) store.Status {
	if c.LastRunID == 0 {
		return store.StatusNeverSynced
	}
	if c.StatusDetail != "" {
		return store.StatusWarning
	}
	return store.StatusOK
}

// SetSchedule changes how often a connection syncs (0: manual only).
func (e *Engine) SetSchedule(ctx context.Context, connID string, every time.Duration) error {
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Connection(connID)
		if err != nil {
			return err
		}
		c.Schedule = every
		c.NextSync = nextSync(c, e.now())
		return tx.PutConnection(&c)
	})
	if err == nil {
		e.publishStatus(ctx, connID)
		e.poke()
	}
	return err
}

func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run owns the schedule until ctx ends: it starts queued and due syncs, one
// run per connection at a time, and waits for running syncs before it
// returns.
func (e *Engine) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	defer e.runWG.Wait()
	for {
		next, err := e.startDue(ctx)
		if err != nil {
			e.opt.Logger.Error("could not read the connections to schedule; trying again in a minute", "err", err)
			next = e.now().Add(time.Minute)
		}
		if next.IsZero() {
			// Nothing scheduled: a trigger (SyncNow, a new schedule)
			// pokes the loop; look again in an hour all the same.
			next = e.now().Add(time.Hour)
		}
		timer.Reset(max(next.Sub(e.now()), 0))
		select {
		case <-ctx.Done():
			e.mu.Lock()
			for _, h := range e.running {
				h.cancel()
			}
			e.mu.Unlock()
			return ctx.Err()
		case <-e.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// startDue starts every queued or due connection that is not running and
// returns when the next scheduled sync is due (zero: none is).
func (e *Engine) startDue(ctx context.Context) (time.Time, error) {
	var conns []store.Connection
	if err := e.store.View(ctx, func(tx *store.Tx) error {
		var err error
		conns, err = tx.Connections()
		return err
	}); err != nil {
		return time.Time{}, err
	}
	now := e.now()
	var next time.Time
	for _, c := range conns {
		e.mu.Lock()
		_, busy := e.running[c.ID]
		trigger, queued := e.pending[c.ID]
		e.mu.Unlock()
		if busy || c.Paused && !queued {
			continue
		}
		due := c.Schedule > 0 && !c.NextSync.IsZero() && !c.NextSync.After(now)
		if !queued && !due {
			if c.Schedule > 0 && !c.NextSync.IsZero() && (next.IsZero() || c.NextSync.Before(next)) {
				next = c.NextSync
			}
			continue
		}
		if !queued {
			trigger = store.TriggerSchedule
		}
		e.start(ctx, c.ID, trigger)
	}
	return next, nil
}

// failureBackoff is how soon a connection whose run failed is tried again;
// it doubles with every failure in a row, up to the schedule.
const failureBackoff = time.Minute

// nextSync is when connection c syncs next, the one place that decides it:
// never without a schedule or while paused; now when it never synced;
// after a failed run, with the back-off (1, 2, 4 … minutes, at most the
// schedule) from the failed run's end; otherwise a schedule after the
// last good sync. A time in the past means due now: a computer that slept
// through several hours syncs once when it wakes.
func nextSync(c store.Connection, now time.Time) time.Time {
	switch {
	case c.Schedule <= 0 || c.Paused:
		return time.Time{}
	case c.Failures > 0 && !c.LastAttempt.IsZero():
		wait := c.Schedule
		if c.Failures <= 20 {
			wait = min(failureBackoff<<(c.Failures-1), c.Schedule)
		}
		return c.LastAttempt.Add(wait)
	case c.LastSync.IsZero():
		return now
	}
	return c.LastSync.Add(c.Schedule)
}

func (e *Engine) start(ctx context.Context, connID string, trigger store.Trigger) {
	runCtx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	delete(e.pending, connID)
	h := &runHandle{cancel: cancel}
	e.running[connID] = h
	e.mu.Unlock()
	e.runWG.Add(1)
	go func() {
		defer e.runWG.Done()
		defer func() {
			cancel()
			e.release(connID, h)
		}()
		if _, err := e.syncConnection(runCtx, connID, trigger, false, h); err != nil {
			e.opt.Logger.Warn("scheduled sync failed", "connection", connID, "trigger", trigger, "err", err)
		}
	}()
}

func (e *Engine) setStatus(ctx context.Context, connID string, status store.Status, detail string) {
	err := e.store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		c, err := tx.Connection(connID)
		if err != nil {
			return err
		}
		if c.Paused && status == store.StatusQueued {
			return nil
		}
		c.Status, c.StatusDetail = status, detail
		return tx.PutConnection(&c)
	})
	if err != nil {
		// The event still tells the views; the saved status catches up
		// when the run ends.
		e.opt.Logger.Error("could not save a connection's status", "connection", connID, "status", status, "err", err)
	}
	e.events.publish(Event{Kind: StatusChanged, ConnectionID: connID, Status: status})
}

func (e *Engine) publishStatus(ctx context.Context, connID string) {
	if c, err := e.mgr.Connection(ctx, connID); err == nil {
		e.events.publish(Event{Kind: StatusChanged, ConnectionID: connID, Status: c.Status})
	}
}

// finish writes the run's log and the connection's status, and announces it.
func (rs *runState) finish(ctx context.Context, runErr error) (store.SyncRun, error) {
	e := rs.e
	run := rs.run
	run.End = e.now()
	for _, t := range run.Tenants {
		run.Totals.Add(t.Counts)
	}
	run.Totals.Requests = int(rs.stats.Requests.Load())
	run.Totals.Retries = int(rs.stats.Throttled.Load() + rs.stats.Failed.Load())
	status, detail := store.StatusOK, ""
	errorsN, warnings := 0, 0
	for _, t := range run.Tenants {
		switch t.Status {
		case store.StatusError:
			errorsN++
		case store.StatusWarning:
			warnings++
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		status, detail = store.StatusCancelled, "the sync was cancelled; tenants already saved are kept"
		rs.logf(store.LevelWarning, "", "%s", detail)
	case runErr != nil:
		f := graph.Finding(runErr, "")
		status, detail = store.StatusError, f.Message
		rs.logf(store.LevelError, "", "%s %s", f.Message, f.Fix)
	case errorsN > 0 || warnings > 0:
		status = store.StatusWarning
		detail = fmt.Sprintf("%d tenant(s) with errors, %d with warnings", errorsN, warnings)
	}
	run.Status = status
	if runErr == nil && !rs.dryRun && rs.conn.RetiringSecretKeyID != "" && status != store.StatusCancelled {
		switch removed, err := e.mgr.RetireSecret(context.WithoutCancel(ctx), rs.conn.ID); {
		case err != nil:
			rs.logf(store.LevelWarning, "", "the old client secret is still on the app registration: %v", err)
		case removed:
			rs.logf(store.LevelInfo, "", "removed the old client secret: the new one works")
		}
	}
	if runErr == nil && !rs.dryRun && status != store.StatusCancelled && rs.conn.Mode != store.ModeDemo {
		// A good run is the moment for the daily backup (the demo's data
		// is rebuilt on every start: nothing to keep).
		switch taken, err := e.store.BackupDaily(context.WithoutCancel(ctx)); {
		case err != nil:
			rs.logf(store.LevelWarning, "", "the daily backup failed: %v", err)
		case taken:
			rs.logf(store.LevelInfo, "", "took the daily backup of the database")
		}
	}
	rs.logf(store.LevelInfo, "", "finished in %s: %d created, %d updated, %d unchanged, %d flagged, %d requests",
		run.End.Sub(run.Start).Round(time.Millisecond), run.Totals.Created, run.Totals.Updated, run.Totals.Unchanged, run.Totals.Flagged, run.Totals.Requests)
	if rs.sess != nil {
		if err := rs.sess.Flush(context.WithoutCancel(ctx)); err != nil {
			rs.logf(store.LevelWarning, "", "could not save the sign-in: %v", err)
		}
	}
	if !rs.dryRun {
		connStatus := status
		if status == store.StatusCancelled {
			connStatus = store.StatusWarning
		}
		err := e.store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			if err := tx.PutRun(run); err != nil {
				return err
			}
			c, err := tx.Connection(run.ConnectionID)
			if err != nil {
				return err
			}
			c.LastRunID, c.LastRunCounts = run.ID, run.Totals
			c.Status, c.StatusDetail = connStatus, detail
			c.LastAttempt = run.End
			if runErr == nil || status == store.StatusCancelled {
				c.LastSync, c.Failures = run.End, 0
			} else {
				c.Failures++
			}
			if c.Paused {
				c.Status = store.StatusPaused
			}
			c.NextSync = nextSync(c, run.End)
			return tx.PutConnection(&c)
		})
		if err != nil {
			return *run, err
		}
		e.events.publish(Event{Kind: StatusChanged, ConnectionID: run.ConnectionID, Status: connStatus})
	}
	if rs.handle != nil {
		e.release(run.ConnectionID, rs.handle)
	}
	r := *run
	e.events.publish(Event{Kind: RunFinished, ConnectionID: run.ConnectionID, RunID: run.ID, Run: &r, TenantsDone: rs.done, TenantsTotal: rs.total})
	if e.opt.Notify != nil && !rs.dryRun {
		e.opt.Notify("tenantsync: sync "+string(status), fmt.Sprintf("%s: %d tenants, %d created, %d updated, %d flagged", rs.conn.Name, len(run.Tenants), run.Totals.Created, run.Totals.Updated, run.Totals.Flagged))
	}
	return *run, runErr
}

// orgIndex builds the tenant matching index from the documentation base.
func (e *Engine) orgIndex(ctx context.Context) (*match.OrgIndex, error) {
	orgs, err := e.store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := e.store.Rows(ctx, store.RowQuery{Kind: store.KindContact})
	if err != nil {
		return nil, err
	}
	return match.NewOrgIndex(orgs, match.ContactRowDomains(rows)), nil
}

// SaveSettings stores what a connection syncs and how often, and queues a
// sync so the technician sees the result without asking.
func (e *Engine) SaveSettings(ctx context.Context, connID string, s store.SyncSettings, every time.Duration) error {
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Connection(connID)
		if err != nil {
			return err
		}
		c.Settings, c.Schedule = s, every
		c.NextSync = nextSync(c, e.now())
		return tx.PutConnection(&c)
	})
	if err != nil {
		return err
	}
	e.SyncNow(ctx, connID)
	return nil
}
