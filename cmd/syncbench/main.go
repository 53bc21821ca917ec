// Command syncbench measures the sync engine against the simulated Microsoft
// cloud in one process: the real engine, MSAL, Graph SDK and store (in a
// temporary directory), the sim adding a round-trip time to every request.
// For each scenario it prints wall time beside the network lower bound that
// the sim's own rules allow, and the same scenario through a naive baseline
// (tenants one after another, requests one after another).
//
//	go run ./cmd/syncbench                 # every scenario
//	go run ./cmd/syncbench -scenarios full,delta -rtt 100ms
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tenantsync/tenantsync/cmd/internal/gctune"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

func main() {
	var (
		names       = flag.String("scenarios", "full,delta,faults,large,many", "comma-separated: full, delta, faults, large, many")
		rtt         = flag.Duration("rtt", 100*time.Millisecond, "simulated round-trip time per request")
		baseline    = flag.Int("baseline-tenants", 0, "tenants the naive baseline syncs (0: all of the scenario's; fewer are extrapolated linearly, and marked so)")
		noBaseline  = flag.Bool("no-baseline", false, "skip the naive baseline")
		tenantsN    = flag.Int("tenants", 64, "engine: tenants synced at once (the engine's default)")
		inFlight    = flag.Int("in-flight", 256, "engine: Graph requests in flight at once")
		cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of each measured run to this prefix + the scenario's name + .pprof")
		scaleFactor = flag.Float64("scale", 1, "multiply tenant counts (0.1 for a quick run)")
		gogc        = flag.Int("gogc", 0, "runtime: GC percent (0: as tenantsync sets it, see cmd/internal/gctune; -1: Go's default)")
		memLimit    = flag.Int64("memlimit-mb", 0, "runtime: soft memory limit in MB (0: as tenantsync sets it; -1: none)")
	)
	flag.Parse()
	gctune.Apply()
	if *gogc < 0 {
		debug.SetGCPercent(100)
	}
	if *memLimit < 0 {
		debug.SetMemoryLimit(math.MaxInt64)
	}
	if *gogc > 0 {
		debug.SetGCPercent(*gogc)
	}
	if *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	cfg := benchConfig{rtt: *rtt, tenants: *tenantsN, inFlight: *inFlight, cpuprofile: *cpuprofile}
	fmt.Printf("syncbench on %d cores (GOMAXPROCS %d), %s %s/%s\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	scale := func(n int) int { return max(1, int(float64(n)**scaleFactor)) }

	var rows []row
	var explain []string
	for _, name := range strings.Split(*names, ",") {
		var rs []row
		var err error
		switch strings.TrimSpace(name) {
		case "full":
			rs, err = cfg.full(scale(300), 200, *baseline, *noBaseline)
		case "delta":
			rs, err = cfg.delta(scale(300), 200)
		case "faults":
			rs, err = cfg.faults(scale(300), 200)
		case "large":
			rs, err = cfg.full1("one large tenant", []int{20000})
		case "many":
			rs, err = cfg.full1("many small tenants", sizes(scale(1000), 50))
		default:
			err = fmt.Errorf("unknown scenario %q", name)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "syncbench: %s: %v\n", name, err)
			os.Exit(1)
		}
		rows = append(rows, rs...)
		for _, r := range rs {
			if r.explain != "" {
				explain = append(explain, r.name+": "+r.explain)
			}
		}
	}
	printTable(rows)
	fmt.Println("\nLower bounds:")
	for _, e := range explain {
		fmt.Println("  " + e)
	}
	printTargets(rows)
}

// printTargets checks each row against its target in DESIGN.md
// ("Performance targets"). Where a wall-time target fails it says whether
// the network or the CPU is the limit: a wall below the CPU floor is
// impossible on this machine, whatever the engine overlaps.
func printTargets(rows []row) {
	fmt.Printf("\nTargets (DESIGN.md, Performance targets), on %d cores:\n", runtime.GOMAXPROCS(0))
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	defer w.Flush()
	check := func(name, what string, ok bool, why string) {
		verdict := "holds"
		if !ok {
			verdict = "does not hold"
		}
		if why != "" {
			why = " (" + why + ")"
		}
		fmt.Fprintf(w, "  %s:\t%s\t%s%s\n", name, what, verdict, why)
	}
	limit := func(r row, target time.Duration) string {
		floor := r.cpuFloor()
		if floor <= target {
			return fmt.Sprintf("CPU floor %s is under the target: the engine leaves time unused", floor.Round(time.Millisecond))
		}
		return fmt.Sprintf("CPU floor %s = %.1fx the target: the cores, not the network, are the limit", floor.Round(time.Millisecond), float64(floor)/float64(target))
	}
	for _, r := range rows {
		switch r.kind {
		case "full":
			target := r.lower * 3 / 2
			check(r.name, fmt.Sprintf("wall %s <= 1.5 x bound = %s", r.wall.Round(time.Millisecond), target), r.wall <= target, limit(r, target))
			if r.speedup > 0 {
				check(r.name, fmt.Sprintf("%.1fx faster than the naive baseline, >= 10x", r.speedup), r.speedup >= 10, "")
			}
			check(r.name, fmt.Sprintf("peak heap %dMB <= 300MB", r.peakHeap>>20), r.peakHeap <= 300<<20, "")
		case "delta":
			check(r.name, fmt.Sprintf("at most %d request(s) per unchanged tenant, <= 2", r.worst), r.worst <= 2, "")
			target := r.lower * 3 / 2
			check(r.name, fmt.Sprintf("wall %s <= 1.5 x bound = %s", r.wall.Round(time.Millisecond), target), r.wall <= target, limit(r, target))
		case "faults":
			check(r.name, "database equals the fault-free one", r.dbEqual, "")
			check(r.name, fmt.Sprintf("%d retries before their Retry-After, want 0", r.early), r.early == 0, "")
			check(r.name, fmt.Sprintf("wall %s <= bound + 3 x Retry-After = %s", r.wall.Round(time.Millisecond), r.lower), r.wall <= r.lower, limit(r, r.lower))
		}
	}
}

func sizes(n, each int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = each
	}
	return out
}

type benchConfig struct {
	rtt        time.Duration
	tenants    int
	inFlight   int
	cpuprofile string // prefix of per-scenario CPU profiles; "" for none
}

type row struct {
	name     string
	tenants  int
	users    int
	rtt      time.Duration
	wall     time.Duration
	lower    time.Duration
	requests int
	r429     int
	peakHeap uint64
	cpu      time.Duration
	ratio    string  // vs baseline
	speedup  float64 // baseline wall / this wall; 0 without a baseline
	worst    int     // delta: most requests any unchanged tenant took
	dbEqual  bool    // faults: the database equals the fault-free one
	early    int     // faults: retries sent before their Retry-After had passed
	kind     string  // "full", "delta" or "faults" for the rows DESIGN.md sets targets for
	note     string
	explain  string
}

func printTable(rows []row) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\ttenants\tusers\tRTT\twall\tlower bound\twall/bound\tCPU floor\trequests\t429s\tpeak heap\tCPU/user\tvs baseline\t")
	for _, r := range rows {
		ratio := "-"
		if r.lower > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.wall)/float64(r.lower))
		}
		cpu := "-"
		if r.users > 0 {
			cpu = fmt.Sprintf("%.0fµs", float64(r.cpu.Microseconds())/float64(r.users))
		}
		lower := "-"
		if r.lower > 0 {
			lower = r.lower.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%s%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%dMB\t%s\t%s\t\n", r.name, r.note, r.tenants, r.users, r.rtt,
			r.wall.Round(time.Millisecond), lower, ratio, r.cpuFloor().Round(time.Millisecond), r.requests, r.r429, r.peakHeap>>20, cpu, orDash(r.ratio))
	}
	w.Flush()
}

// cpuFloor is the least wall time the run's CPU work allows with every
// core busy all the time: the sim serving Graph shares the cores with the
// engine, as it must in one process.
func (r row) cpuFloor() time.Duration {
	return r.cpu / time.Duration(runtime.GOMAXPROCS(0))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// env is one simulated cloud and one tenantsync data directory.
type env struct {
	ctx    context.Context
	cancel context.CancelFunc
	sim    *m365sim.Server
	store  *store.Store
	mgr    *connections.Manager
	conn   store.Connection
	dir    string
	opt    m365sim.Options
	// cpuprofile, when set, profiles each measured run.
	cpuprofile string
}

func (c benchConfig) start(opt m365sim.Options) (*env, error) {
	secrets.MockInit()
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	opt.Dir = dir
	opt.CleanTenants = true
	sim, err := m365sim.Start(ctx, opt)
	if err != nil {
		cancel()
		return nil, err
	}
	s, err := store.Open(filepath.Join(dir, store.DBFile), store.Options{NoSync: os.Getenv("SYNCBENCH_NOSYNC") != ""})
	if err != nil {
		cancel()
		return nil, err
	}
	kc := secrets.NewKeychain("syncbench")
	info := sim.Info()
	mgr := connections.NewManager(s, kc, secrets.NewVault(kc, s), demo.Network(ctx, sim))
	mgr.SetInFlight(c.inFlight)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conn, err := mgr.Create(ctx, connections.Form{Name: "Partner", Mode: store.ModeGDAP, TenantID: info.PartnerTenantID,
		ClientID: info.ClientID, Secret: info.ClientSecret, RedirectPort: port})
	if err != nil {
		cancel()
		return nil, err
	}
	if _, err := mgr.SignIn(ctx, conn.ID); err != nil {
		cancel()
		return nil, err
	}
	// Local documentation that matches every tenant by name, so contacts are
	// created and matched as in a real first sync.
	err = s.Update(ctx, func(tx *store.Tx) error {
		for _, cu := range sim.Customers() {
			if err := tx.PutOrg(&store.Organization{Name: cu.DisplayName}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return &env{ctx: ctx, cancel: cancel, sim: sim, store: s, mgr: mgr, conn: conn, dir: dir, opt: opt, cpuprofile: c.cpuprofile}, nil
}

func (e *env) close() {
	e.store.Close()
	e.cancel()
	e.sim.Close()
	os.RemoveAll(e.dir)
}

// measure runs one sync and fills wall, requests, 429s, peak heap and CPU.
func (e *env) measure(eng *syncer.Engine, r *row) (store.SyncRun, error) {
	e.sim.Control().ResetCounters()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // sample the heap while the sync runs
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}()
	if e.cpuprofile != "" {
		slug := strings.Trim(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, strings.ToLower(strings.TrimSpace(r.name))), "-")
		f, err := os.Create(e.cpuprofile + slug + ".pprof")
		if err != nil {
			return store.SyncRun{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return store.SyncRun{}, err
		}
	}
	var doneAt []time.Duration // with SYNCBENCH_LOG: when each tenant finished
	events, unsubscribe := eng.Subscribe()
	defer unsubscribe()
	collected := make(chan struct{})
	cpu0 := cpuTime()
	start := time.Now()
	go func() {
		defer close(collected)
		for ev := range events {
			if ev.Kind == syncer.TenantDone {
				doneAt = append(doneAt, time.Since(start))
			}
			if ev.Kind == syncer.RunFinished {
				return
			}
		}
	}()
	run, err := eng.Sync(e.ctx, e.conn.ID, store.TriggerManual, false)
	r.wall = time.Since(start)
	if e.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if os.Getenv("SYNCBENCH_LOG") != "" {
		unsubscribe()
		<-collected
		if n := len(doneAt); n > 0 {
			fmt.Fprintf(os.Stderr, "  %s tenants done: 10%% %s, 50%% %s, 90%% %s, 99%% %s, last %s\n", r.name,
				doneAt[n/10].Round(time.Millisecond), doneAt[n/2].Round(time.Millisecond), doneAt[n*9/10].Round(time.Millisecond),
				doneAt[n*99/100].Round(time.Millisecond), doneAt[n-1].Round(time.Millisecond))
		}
		for _, l := range run.Log {
			if l.TenantID == "" {
				fmt.Fprintf(os.Stderr, "  %s %s +%s %s\n", r.name, l.Level, l.At.Sub(run.Start).Round(time.Millisecond), l.Message)
			}
		}
	}
	r.cpu = cpuTime() - cpu0
	close(stop)
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.peakHeap = max(peak, ms.HeapAlloc)
	byEndpoint := map[string]int{}
	for _, ct := range e.sim.Control().Counters() {
		r.requests += ct.Requests
		r.r429 += ct.Throttled
		byEndpoint[ct.Endpoint] += ct.Requests
	}
	if os.Getenv("SYNCBENCH_LOG") != "" {
		for _, ep := range slices.Sorted(maps.Keys(byEndpoint)) {
			fmt.Fprintf(os.Stderr, "  %s requests: %6d %s\n", r.name, byEndpoint[ep], ep)
		}
	}
	if err == nil && run.Status == store.StatusError {
		err = fmt.Errorf("sync ended in error: %v", run.Log)
	}
	return run, err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c benchConfig) engine(e *env) *syncer.Engine {
	return syncer.New(e.store, e.mgr, syncer.Options{Tenants: c.tenants})
}

// fullBound is the network lower bound of a first sync: the run lists the
// customers and relationships (one round trip: they can go in parallel),
// then each tenant needs a token and its longest chain of dependent pages;
// tenants are independent, so the bound is the slowest tenant's chain, or
// the total requests divided by the throughput the sim's budgets allow,
// whichever is larger.
//
// A tenant's chain: its users with sign-in activity come at most
// SignInActivityPage a page, one page after another. A tenant larger than
// one users page can be listed by UPN prefix ($filter startswith, split as
// finely as needed) in parallel, after a delta link as of now
// ($deltaToken=latest): its chain is that link and one page.
func fullBound(opt m365sim.Options, sizesOf []int, requests int, rtt time.Duration) (time.Duration, string) {
	lim := opt.Limits()
	longest, largest := 0, 0
	for _, n := range sizesOf {
		pages := max(1, (n+lim.SignInActivityPage-1)/lim.SignInActivityPage)
		if n > lim.MaxPageSize {
			pages = 2
		}
		longest, largest = max(longest, pages), max(largest, n)
	}
	chain := 1 + 1 + longest // customers, token, pages
	chainBound := time.Duration(chain) * rtt
	throughput := float64(lim.GlobalRequests) / lim.GlobalWindow.Seconds() // requests per second per app
	tputBound := time.Duration(float64(requests) / throughput * float64(time.Second))
	pagesWhy := fmt.Sprintf("%d user pages of <= %d with sign-in activity", longest, lim.SignInActivityPage)
	if largest > lim.MaxPageSize {
		pagesWhy = fmt.Sprintf("1 delta link ($deltaToken=latest) + 1 page: listings by UPN prefix run in parallel (unsplit, %d sign-in pages of <= %d would follow one another = %s)",
			(largest+lim.SignInActivityPage-1)/lim.SignInActivityPage, lim.SignInActivityPage,
			time.Duration(2+(largest+lim.SignInActivityPage-1)/lim.SignInActivityPage)*rtt)
	}
	why := fmt.Sprintf("max(chain %d RTT = 1 customers + 1 token + %s = %s, %d requests / %.0f req/s global budget = %s)",
		chain, pagesWhy, chainBound, requests, throughput, tputBound.Round(time.Millisecond))
	return max(chainBound, tputBound), why
}

func (c benchConfig) full(tenants, users, baselineTenants int, noBaseline bool) ([]row, error) {
	opt := m365sim.Options{Seed: 1, Tenants: tenants, TenantSizes: sizes(tenants, users), Latency: c.rtt}
	e, err := c.start(opt)
	if err != nil {
		return nil, err
	}
	defer e.close()
	r := row{name: "full sync", kind: "full", tenants: tenants, users: tenants * users, rtt: c.rtt}
	if _, err := e.measure(c.engine(e), &r); err != nil {
		return nil, err
	}
	r.lower, r.explain = fullBound(opt, sizes(tenants, users), r.requests, c.rtt)
	rows := []row{r}
	if noBaseline {
		return rows, nil
	}
	b, err := c.baseline(tenants, users, baselineTenants)
	if err != nil {
		return nil, err
	}
	rows[0].speedup = float64(b.wall) / float64(r.wall)
	rows[0].ratio = fmt.Sprintf("%.1fx faster", rows[0].speedup)
	return append(rows, b), nil
}

// baseline syncs with one tenant at a time and one request at a time.
func (c benchConfig) baseline(tenants, users, only int) (row, error) {
	n := tenants
	if only > 0 && only < tenants {
		n = only
	}
	opt := m365sim.Options{Seed: 1, Tenants: n, TenantSizes: sizes(n, users), Latency: c.rtt}
	e, err := c.start(opt)
	if err != nil {
		return row{}, err
	}
	defer e.close()
	e.mgr.SetInFlight(1)
	eng := syncer.New(e.store, e.mgr, syncer.Options{Tenants: 1, Sequential: true})
	r := row{name: "  naive baseline", tenants: tenants, users: tenants * users, rtt: c.rtt}
	if _, err := e.measure(eng, &r); err != nil {
		return row{}, err
	}
	if n < tenants {
		f := float64(tenants) / float64(n)
		r.wall = time.Duration(float64(r.wall) * f)
		r.requests = int(float64(r.requests) * f)
		r.cpu = time.Duration(float64(r.cpu) * f)
		r.note = fmt.Sprintf(" (%d tenants run, scaled)", n)
	}
	return r, nil
}

func (c benchConfig) full1(name string, sz []int) ([]row, error) {
	total := 0
	for _, n := range sz {
		total += n
	}
	opt := m365sim.Options{Seed: 2, Tenants: len(sz), TenantSizes: sz, Latency: c.rtt}
	e, err := c.start(opt)
	if err != nil {
		return nil, err
	}
	defer e.close()
	r := row{name: name, tenants: len(sz), users: total, rtt: c.rtt}
	if _, err := e.measure(c.engine(e), &r); err != nil {
		return nil, err
	}
	r.lower, r.explain = fullBound(opt, sz, r.requests, c.rtt)
	return []row{r}, nil
}

// delta: a full sync, then 1% of users change, then the measured sync.
func (c benchConfig) delta(tenants, users int) ([]row, error) {
	opt := m365sim.Options{Seed: 1, Tenants: tenants, TenantSizes: sizes(tenants, users), Latency: c.rtt}
	e, err := c.start(opt)
	if err != nil {
		return nil, err
	}
	defer e.close()
	eng := c.engine(e)
	if _, err := eng.Sync(e.ctx, e.conn.ID, store.TriggerManual, false); err != nil {
		return nil, err
	}
	// 1% of all users, picked at random across tenants.
	ctl := e.sim.Control()
	cs := e.sim.Customers()
	want := tenants * users / 100
	rng := rand.New(rand.NewSource(3))
	touched := map[string]bool{}
	for i := 0; i < want; i++ {
		cu := cs[rng.Intn(len(cs))]
		us, err := ctl.Users(cu.ID)
		if err != nil {
			return nil, err
		}
		u := us[rng.Intn(len(us))]
		if _, err := ctl.UpdateUser(cu.ID, u.ID, m365sim.UserPatch{JobTitle: ptr(fmt.Sprintf("Title %d", i))}); err != nil {
			return nil, err
		}
		touched[cu.ID] = true
	}
	r := row{name: "delta sync, 1% changed", kind: "delta", tenants: tenants, users: tenants * users, rtt: c.rtt}
	run, err := e.measure(eng, &r)
	if err != nil {
		return nil, err
	}
	worst := 0
	for _, t := range run.Tenants {
		if !touched[t.TenantID] {
			worst = max(worst, t.Counts.Requests)
		}
	}
	// Bound: customers + relationships (parallel), then one $batch per tenant.
	r.lower = 2 * c.rtt
	r.explain = fmt.Sprintf("2 RTT = 1 customers + 1 $batch (users delta, organization, licenses, devices) per tenant; tokens cached; %d changes in %d tenants; at most %d requests per unchanged tenant",
		want, len(touched), worst)
	r.note, r.worst = fmt.Sprintf(" (%d/unchanged tenant)", worst), worst
	return []row{r}, nil
}

func ptr[T any](v T) *T { return &v }

// faults: the full scenario with 10% 429 (Retry-After 1-2 s) and 2% 503; the
// resulting database must equal the fault-free one.
func (c benchConfig) faults(tenants, users int) ([]row, error) {
	clean := m365sim.Options{Seed: 1, Tenants: tenants, TenantSizes: sizes(tenants, users)}
	e0, err := c.start(clean)
	if err != nil {
		return nil, err
	}
	if _, err := c.engine(e0).Sync(e0.ctx, e0.conn.ID, store.TriggerManual, false); err != nil {
		return nil, err
	}
	want, err := dump(e0)
	e0.close()
	if err != nil {
		return nil, err
	}
	opt := clean
	opt.Latency = c.rtt
	opt.Rate429, opt.Rate503 = 0.10, 0.02
	opt.RetryAfterMin, opt.RetryAfterMax = time.Second, 2*time.Second
	e, err := c.start(opt)
	if err != nil {
		return nil, err
	}
	defer e.close()
	r := row{name: "full sync, 10% 429 + 2% 503", kind: "faults", tenants: tenants, users: tenants * users, rtt: c.rtt}
	if _, err := e.measure(c.engine(e), &r); err != nil {
		return nil, err
	}
	got, err := dump(e)
	if err != nil {
		return nil, err
	}
	r.dbEqual, r.early = got == want, e.sim.Control().EarlyRetries()
	if !r.dbEqual {
		return nil, fmt.Errorf("the database after faults differs from the fault-free one")
	}
	bound, why := fullBound(opt, sizes(tenants, users), r.requests, c.rtt)
	r.lower = bound + 3*opt.RetryAfterMax
	r.explain = why + fmt.Sprintf(" + 3 x the largest Retry-After (%s); database equals the fault-free one", opt.RetryAfterMax)
	r.note = " (db equal)"
	return []row{r}, nil
}

// dump renders what a sync leaves, for comparing two databases.
func dump(e *env) (string, error) {
	var lines []string
	err := e.store.View(e.ctx, func(tx *store.Tx) error {
		tns, err := tx.Tenants(e.conn.ID)
		if err != nil {
			return err
		}
		for _, tn := range tns {
			m, err := tx.Mirror(e.conn.ID, tn.TenantID)
			if err != nil {
				return err
			}
			if err := m.ForEachUser(func(u *store.DirectoryUser) error {
				lines = append(lines, fmt.Sprintf("u %s %s %s %v %v %s", tn.TenantID, u.ObjectID, u.UPN, u.AccountEnabled, u.SKUs, u.LastSignIn.Format(time.RFC3339)))
				return nil
			}); err != nil {
				return err
			}
			lic, _ := m.Licenses()
			mbs, _ := m.Mailboxes()
			devs, _ := m.Devices()
			lines = append(lines, fmt.Sprintf("t %s %s %s %d %d %d", tn.TenantID, tn.DisplayName, tn.MatchState, len(lic), len(mbs), len(devs)))
		}
		return tx.ForEachContact(func(c *store.Contact) error {
			oid := ""
			if c.Link != nil {
				oid = c.Link.ObjectID
			}
			lines = append(lines, fmt.Sprintf("c %s %s %s %s %v", oid, c.Name(), c.PrimaryEmail, c.Title, c.Flags))
			return nil
		})
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n"), err
}
