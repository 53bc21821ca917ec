package syncer

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// State keys in a tenant's mirror.
const (
	stampFullRead  = "users-full"
	stampMailboxes = "mailboxes"
)

// Refresh intervals of data a delta cannot bring.
const (
	// fullReadEvery re-reads all users, for sign-in activity, which the
	// users delta does not carry.
	fullReadEvery = 24 * time.Hour
	// mailboxesEvery: the usage report is refreshed by Microsoft once a day.
	mailboxesEvery = 12 * time.Hour
)

// runState is one run of one connection.
type runState struct {
	e       *Engine
	conn    store.Connection
	sess    *auth.Session
	run     *store.SyncRun
	dryRun  bool
	orgs    *match.OrgIndex
	stats   *graph.Stats
	mu      sync.Mutex
	done    int
	total   int
	started time.Time
	handle  *runHandle              // released before RunFinished; nil for a dry run
	stop    context.CancelCauseFunc // stops the tenants' work; see stopLocal
}

// syncConnection runs one sync of a connection and returns its log.
// h, when set, is the run's entry among the running ones.
func (e *Engine) syncConnection(ctx context.Context, connID string, trigger store.Trigger, dryRun bool, h *runHandle) (store.SyncRun, error) {
	conn, err := e.mgr.Connection(ctx, connID)
	if err != nil {
		return store.SyncRun{}, err
	}
	run := &store.SyncRun{ConnectionID: conn.ID, Trigger: trigger, DryRun: dryRun, Start: e.now(), Status: store.StatusSyncing}
	if !dryRun {
		// The run and the connection's status in one transaction: a
		// process killed here leaves both syncing or neither.
		err := e.store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutRun(run); err != nil {
				return err
			}
			c, err := tx.Connection(conn.ID)
			if err != nil {
				return err
			}
			c.Status, c.StatusDetail = store.StatusSyncing, ""
			return tx.PutConnection(&c)
		})
		if err != nil {
			return store.SyncRun{}, err
		}
		e.events.publish(Event{Kind: StatusChanged, ConnectionID: conn.ID, Status: store.StatusSyncing})
	}
	rs := &runState{e: e, conn: conn, run: run, dryRun: dryRun, stats: &graph.Stats{}, started: time.Now(), handle: h}
	e.events.publish(Event{Kind: RunStarted, ConnectionID: conn.ID, RunID: run.ID})
	err = rs.execute(ctx)
	return rs.finish(ctx, err)
}

func (rs *runState) logf(level store.Level, tenantID, format string, args ...any) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.run.Log = append(rs.run.Log, store.LogEntry{At: rs.e.now(), Level: level, TenantID: tenantID, Message: fmt.Sprintf(format, args...)})
}

func (rs *runState) execute(ctx context.Context) error {
	sess, err := rs.e.mgr.Session(rs.conn)
	if err != nil {
		return err
	}
	rs.sess = sess
	rs.checkSecret(ctx)
	began := time.Now()
	// The matching index needs only the documentation base: build it while
	// the customers are listed.
	var orgsErr error
	orgsDone := make(chan struct{})
	go func() {
		defer close(orgsDone)
		rs.orgs, orgsErr = rs.e.orgIndex(ctx)
	}()
	discovered, err := rs.e.mgr.Discover(ctx, rs.conn, sess, rs.stats)
	<-orgsDone
	if err != nil {
		return err
	}
	if orgsErr != nil {
		return orgsErr
	}
	rs.logf(store.LevelInfo, "", "listed %d customer tenant(s) in %s", len(discovered), time.Since(began).Round(time.Millisecond))
	tenants, err := rs.plan(ctx, discovered)
	if err != nil {
		return err
	}
	rs.total = len(tenants)
	rs.logf(store.LevelInfo, "", "%d tenant(s) to sync", len(tenants))
	rs.e.events.publish(Event{Kind: RunStarted, ConnectionID: rs.conn.ID, RunID: rs.run.ID, TenantsTotal: rs.total})

	results := make([]store.TenantResult, len(tenants))
	// A tenant holds one of Options.Tenants places while it works. When one
	// of its requests waits out Retry-After it gives the place to the next
	// tenant (its other requests go on), so a throttled tenant does not
	// idle the machine; it holds a place again before retrying. At most
	// twice as many tenants are under way at once, which bounds the memory
	// their reads hold.
	// A local I/O error (a full disk, a read-only folder) would fail every
	// tenant after it the same way: the first one stops the run, which then
	// fails with that error.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	rs.mu.Lock()
	rs.stop = stop
	rs.mu.Unlock()
	active := make(chan struct{}, rs.e.opt.Tenants)
	underWay := make(chan struct{}, 2*rs.e.opt.Tenants)
	var wg sync.WaitGroup
feed:
	for i := range tenants {
		select {
		case underWay <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
		select {
		case active <- struct{}{}:
		case <-ctx.Done():
			<-underWay
			break feed
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-underWay }()
			sl := &slot{sem: active, held: true}
			tctx := ctx
			if !rs.e.opt.Sequential {
				tctx = graph.WithRetryWait(ctx, sl.wait)
			}
			results[i] = rs.syncTenantSafely(tctx, tenants[i])
			sl.release()
			rs.mu.Lock()
			rs.done++
			done := rs.done
			rs.mu.Unlock()
			res := results[i]
			rs.e.events.publish(Event{Kind: TenantDone, ConnectionID: rs.conn.ID, RunID: rs.run.ID, TenantID: res.TenantID,
				TenantName: res.DisplayName, Phase: PhaseDone, TenantsDone: done, TenantsTotal: rs.total, Result: &res})
		}()
	}
	wg.Wait()
	if ctx.Err() == nil {
		rs.consentAndRetry(ctx, tenants, results)
	}
	for _, r := range results {
		if r.TenantID != "" {
			rs.run.Tenants = append(rs.run.Tenants, r)
		}
	}
	var local *localStop
	if errors.As(context.Cause(ctx), &local) {
		rs.logf(store.LevelError, "", "stopped the sync after %d of %d tenant(s): %v", rs.done, rs.total, local.err)
		return local.err
	}
	return ctx.Err()
}

// localStop is why a run stopped early: a local I/O error.
type localStop struct{ err error }

func (l *localStop) Error() string { return l.err.Error() }

// stopLocal stops the run for a local I/O error (the first one is kept).
func (rs *runState) stopLocal(err error) {
	rs.mu.Lock()
	stop := rs.stop
	rs.mu.Unlock()
	if stop != nil {
		stop(&localStop{err: err})
	}
}

// secretCheckEvery is how often a run reads the client secret's end date.
const secretCheckEvery = 24 * time.Hour

// checkSecret reads the client secret's end date once a day and warns in
// the sync log 30 and 7 days before it ends, with a notification the first
// time each threshold is crossed.
func (rs *runState) checkSecret(ctx context.Context) {
	if rs.dryRun || rs.conn.Mode == store.ModeDemo {
		return
	}
	now := rs.e.now()
	if now.Sub(rs.conn.SecretChecked) >= secretCheckEvery {
		c, err := rs.e.mgr.RefreshSecretExpiry(ctx, rs.conn, rs.sess)
		if err != nil {
			rs.logf(store.LevelWarning, "", "could not read the client secret's end date: %v", err)
			return
		}
		rs.conn = c
		err = rs.e.store.Update(ctx, func(tx *store.Tx) error {
			cur, err := tx.Connection(c.ID)
			if err != nil {
				return err
			}
			cur.SecretChecked = now
			return tx.PutConnection(&cur)
		})
		if err != nil {
			rs.logf(store.LevelWarning, "", "could not save when the client secret was checked: %v", err)
		}
	}
	level, text := connections.SecretWarning(rs.conn, now)
	if level == connections.SecretOK {
		return
	}
	rs.logf(store.LevelWarning, "", "%s", text)
	if level <= rs.conn.SecretWarnedLevel {
		return
	}
	if rs.e.opt.Notify != nil {
		rs.e.opt.Notify("tenantsync: client secret expiring", text)
	}
	err := rs.e.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Connection(rs.conn.ID)
		if err != nil {
			return err
		}
		cur.SecretWarnedLevel = level
		return tx.PutConnection(&cur)
	})
	if err != nil {
		rs.logf(store.LevelWarning, "", "could not save the secret warning: %v", err)
	}
}

// consentAndRetry consents tenantsync, through Partner Center, into the
// GDAP customers whose sign-in failed for want of it, and syncs those again.
func (rs *runState) consentAndRetry(ctx context.Context, tenants []store.Tenant, results []store.TenantResult) {
	if rs.dryRun || rs.conn.Mode != store.ModeGDAP || rs.conn.Settings.NoAutoConsent {
		return
	}
	var need []store.Tenant
	at := map[string]int{}
	for i, r := range results {
		for _, f := range r.Findings {
			if f.Code == auth.CodeAppNotPermitted || f.Code == auth.CodeConsentMissing {
				need = append(need, tenants[i])
				at[tenants[i].TenantID] = i
				break
			}
		}
	}
	if len(need) == 0 {
		return
	}
	consented, err := rs.e.mgr.Consent(ctx, rs.conn.ID, need, nil)
	if err != nil {
		rs.logf(store.LevelWarning, "", "could not consent tenantsync into %d customer tenant(s): %v", len(need), err)
		return
	}
	for _, c := range consented {
		if c.Outcome == connections.ConsentFailed {
			rs.logf(store.LevelWarning, c.TenantID, "consent through Partner Center failed: %v", c.Err)
			continue
		}
		rs.logf(store.LevelInfo, c.TenantID, "%s: tenantsync %s through Partner Center", c.DisplayName, c.Outcome)
		i := at[c.TenantID]
		results[i] = rs.syncTenant(ctx, tenants[i])
	}
}

// slot is a tenant's place among the tenants working at once.
type slot struct {
	sem     chan struct{} // send to take a place, receive to give one back
	mu      sync.Mutex
	held    bool
	retaken chan struct{} // closed when the tenant holds a place again
	blocked func()        // tests: called when a request starts waiting for a place
}

// wait sleeps d for a request about to retry, without holding the place;
// before the request goes on the tenant holds a place again, taken by this
// request or by another of the tenant's that woke first.
func (s *slot) wait(ctx context.Context, d time.Duration) error {
	s.release()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	if s.held {
		s.mu.Unlock()
		return nil
	}
	retaken := s.retaken
	s.mu.Unlock()
	if s.blocked != nil {
		s.blocked()
	}
	select {
	case s.sem <- struct{}{}:
	case <-retaken:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		<-s.sem // another request took it back meanwhile: keep one place
		return nil
	}
	s.held = true
	close(s.retaken)
	return nil
}

func (s *slot) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		<-s.sem
		s.held = false
		s.retaken = make(chan struct{})
	}
}

// plan merges the discovered tenants with the saved ones and picks those the
// settings include. New tenants are saved (unless dry run) so the technician
// sees them in the settings and matching views.
func (rs *runState) plan(ctx context.Context, discovered []store.Tenant) ([]store.Tenant, error) {
	selected := map[string]bool{}
	for _, id := range rs.conn.Settings.Tenants {
		selected[strings.ToLower(id)] = true
	}
	var out []store.Tenant
	err := rs.e.store.View(ctx, func(tx *store.Tx) error {
		for _, t := range discovered {
			old, err := tx.Tenant(rs.conn.ID, t.TenantID)
			known := err == nil
			if known {
				t.MatchState, t.OrgID, t.Suggestions, t.MatchReason = old.MatchState, old.OrgID, old.Suggestions, old.MatchReason
				t.LastSync, t.LastCounts, t.Findings, t.ConcealedNames = old.LastSync, old.LastCounts, old.Findings, old.ConcealedNames
				if len(t.Domains) == 0 {
					t.Domains, t.DefaultDomain = old.Domains, old.DefaultDomain
				}
			}
			include := selected[t.TenantID] || (rs.conn.Settings.AutoInclude && (len(selected) == 0 || !known))
			if include {
				out = append(out, t)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return store.Fold(out[i].DisplayName) < store.Fold(out[j].DisplayName) })
	return out, err
}

func (rs *runState) progress(t store.Tenant, phase string) {
	rs.mu.Lock()
	done := rs.done
	rs.mu.Unlock()
	rs.e.events.publish(Event{Kind: TenantProgress, ConnectionID: rs.conn.ID, RunID: rs.run.ID, TenantID: t.TenantID,
		TenantName: t.DisplayName, Phase: phase, TenantsDone: done, TenantsTotal: rs.total})
}

// syncTenant reads one tenant, matches it and commits it in one transaction.
// A failure stays with this tenant: the result carries it as findings.
// syncTenantSafely is syncTenant, with a panic (a bug, or data no test
// foresaw) failing this tenant instead of the whole program: its
// transaction rolled back, the stack goes to the program's log.
func (rs *runState) syncTenantSafely(ctx context.Context, t store.Tenant) (res store.TenantResult) {
	defer func() {
		if r := recover(); r != nil {
			rs.e.opt.Logger.Error("panic while syncing a tenant", "tenant", t.TenantID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res = store.TenantResult{TenantID: t.TenantID, DisplayName: t.DisplayName, Status: store.StatusError}
			res.Counts.Errors = 1
			res.Findings = []store.Finding{{Severity: store.SeverityError, Code: "internal", Message: fmt.Sprintf("tenantsync stopped syncing this tenant on an internal error (%v); what it had saved before stays as it was.", r),
				Fix: "Sync again; if it keeps failing, send tenantsync.log (it holds the details) to tenantsync's developers."}}
			rs.logf(store.LevelError, t.TenantID, "%s: internal error: %v", t.DisplayName, r)
		}
	}()
	return rs.syncTenant(ctx, t)
}

func (rs *runState) syncTenant(ctx context.Context, t store.Tenant) (res store.TenantResult) {
	res = store.TenantResult{TenantID: t.TenantID, DisplayName: t.DisplayName, Status: store.StatusOK}
	stats := &graph.Stats{}
	defer func() {
		res.Counts.Requests = int(stats.Requests.Load())
		res.Counts.Retries = int(stats.Throttled.Load() + stats.Failed.Load())
		rs.stats.Requests.Add(stats.Requests.Load())
		rs.stats.Throttled.Add(stats.Throttled.Load())
		rs.stats.Failed.Add(stats.Failed.Load())
	}()
	rs.progress(t, PhaseReading)
	if fs := gdapBlockers(t); len(fs) > 0 {
		res.Findings, res.Status = fs, store.StatusError
		res.Counts.Errors = 1
		rs.commitFindings(ctx, t, res.Findings)
		return res
	}
	cl, err := rs.e.mgr.GraphClient(rs.conn, rs.sess, t.TenantID, stats)
	if err != nil {
		return rs.failed(ctx, t, res, err, "")
	}
	var mirror struct {
		deltaLink           string
		fullAt, mailboxesAt time.Time
		users               int
		noP1                bool
	}
	err = rs.e.store.View(ctx, func(tx *store.Tx) error {
		m, err := tx.Mirror(rs.conn.ID, t.TenantID)
		if err != nil {
			return err
		}
		mirror.deltaLink, mirror.fullAt, mirror.mailboxesAt = m.DeltaLink(), m.Stamp(stampFullRead), m.Stamp(stampMailboxes)
		mirror.users = m.UserCount()
		return nil
	})
	if err != nil {
		return rs.failed(ctx, t, res, fmt.Errorf("read what was saved of the tenant: %w", err), "")
	}
	for _, f := range t.Findings {
		if f.Code == graph.CodeNoP1 {
			mirror.noP1 = true
		}
	}
	rd, err := rs.read(ctx, cl, t, mirror.deltaLink, mirror.fullAt, mirror.mailboxesAt, mirror.users, mirror.noP1)
	if err != nil {
		return rs.failed(ctx, t, res, err, graph.DataContacts)
	}
	res.Findings = rd.findings
	carriedNoP1 := mirror.noP1 && !rd.signInsAsked && rs.conn.Settings.SignIns
	if carriedNoP1 {
		// Not asked this time (a delta, or skipped for want of P1): the
		// tenant still has no P1 as far as anyone knows, and its users'
		// sign-ins stay unknown for that reason, not "never". Kept with
		// the tenant, it does not make this run a warning again.
		for _, f := range t.Findings {
			if f.Code == graph.CodeNoP1 {
				res.Findings = append(res.Findings, f)
				break
			}
		}
	}
	rs.progress(t, PhaseMatching)
	if rd.dirOK {
		t.DisplayName = orDefault(rd.dir.DisplayName, t.DisplayName)
		t.Domains, t.DefaultDomain = rd.dir.Domains, rd.dir.DefaultDomain
		res.DisplayName = t.DisplayName
	}
	if rd.concealed {
		t.ConcealedNames = true
	}
	rs.progress(t, PhaseSaving)
	if err := rs.commit(ctx, &t, rd, &res); err != nil {
		// The transaction rolled back: nothing of this tenant was saved,
		// and the log must not count it (the requests are counted on return).
		res.Counts = store.Counts{}
		return rs.failed(ctx, t, res, err, "")
	}
	for _, f := range res.Findings {
		if carriedNoP1 && f.Code == graph.CodeNoP1 {
			continue
		}
		if f.Severity == store.SeverityError {
			res.Status = store.StatusError
			res.Counts.Errors++
		} else if res.Status == store.StatusOK {
			res.Status = store.StatusWarning
		}
	}
	if res.Counts.Flagged > 0 && res.Status == store.StatusOK {
		res.Status = store.StatusWarning
	}
	return res
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// gdapBlockers returns the findings that make reading a GDAP tenant pointless.
func gdapBlockers(t store.Tenant) []store.Finding {
	var out []store.Finding
	for _, f := range t.Findings {
		if f.Code == graph.CodeGDAPExpired || f.Code == graph.CodeGDAPMissing {
			out = append(out, f)
		}
	}
	r := t.Relationship
	if r != nil && r.Status != "" && r.Status != "active" && len(out) == 0 {
		out = append(out, store.Finding{Severity: store.SeverityError, Code: graph.CodeGDAPExpired,
			Message: fmt.Sprintf("The GDAP relationship is %s.", r.Status),
			Fix:     "In Partner Center request a new GDAP relationship and have the customer approve it; enable auto-extend so it does not lapse again."})
	}
	if r != nil && r.Status == "active" {
		out = nil // it came back: the old findings are stale
	}
	return out
}

func (rs *runState) failed(ctx context.Context, t store.Tenant, res store.TenantResult, err error, dataType string) store.TenantResult {
	if errors.Is(err, context.Canceled) {
		res.Status = store.StatusCancelled
		return res
	}
	f := graph.Finding(err, dataType)
	if f.Code == auth.CodeLocalIO {
		rs.stopLocal(err)
	}
	res.Findings = append(res.Findings, f)
	res.Status = store.StatusError
	res.Counts.Errors++
	rs.logf(store.LevelError, t.TenantID, "%s: %s", t.DisplayName, f.Message)
	rs.commitFindings(ctx, t, res.Findings)
	return res
}

// commitFindings saves a failed tenant's findings; its data stays as it was.
func (rs *runState) commitFindings(ctx context.Context, t store.Tenant, fs []store.Finding) {
	if rs.dryRun {
		return
	}
	err := rs.e.store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		cur, err := tx.Tenant(rs.conn.ID, t.TenantID)
		if err != nil {
			cur = t
		}
		cur.Findings = fs
		cur.Relationship = t.Relationship
		return tx.PutTenant(&cur)
	})
	if err != nil {
		// The run's log keeps the findings; the tenant's page shows the
		// last saved ones until the next sync.
		rs.e.opt.Logger.Error("could not save a failed tenant's findings", "connection", rs.conn.ID, "run", rs.run.ID, "tenant", t.TenantID, "err", err)
	}
}
