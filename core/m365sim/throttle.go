package m365sim

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// Limits are the throttling budgets the simulation enforces, as Microsoft
// documents them in "Microsoft Graph service-specific throttling limits"
// (learn.microsoft.com/graph/throttling-limits):
//
//   - Global: 130,000 requests per 10 s per app across all tenants.
//   - Identity and access (users, groups, organization, domains,
//     subscribedSkus, contracts, delta): token bucket of resource units per
//     app+tenant pair per 10 s: S (<50 users) 3,500, M (50-500) 5,000,
//     L (>500) 8,000; per app across tenants 150,000 per 20 s. Base cost 1;
//     GET users 2, subscribedSkus 3, contracts 3, groups/{id}/members 3;
//     $select -1, $expand +1, $top < 20 -1; never below 1.
//   - Reports (CSV): 14 requests per 10 min per report API per app per
//     tenant (40 per tenant for all apps, which a single app never reaches
//     first).
//   - Intune devices: 2,000 requests per 20 s per app per tenant.
//
// Budgets are scaled by Options.ThrottleScale.
type Limits struct {
	GlobalRequests     int           // per GlobalWindow per app
	GlobalWindow       time.Duration // 10 s
	SmallTenantRU      int           // per DirectoryWindow, tenants < 50 users
	MediumTenantRU     int           // 50..500 users
	LargeTenantRU      int           // > 500 users
	DirectoryWindow    time.Duration // 10 s
	AppRU              int           // per AppWindow across tenants
	AppWindow          time.Duration // 20 s
	ReportRequests     int           // per ReportWindow per report per app+tenant
	ReportWindow       time.Duration // 10 min
	IntuneRequests     int           // per IntuneWindow per app+tenant
	IntuneWindow       time.Duration // 20 s
	MaxPageSize        int           // users: 999
	MaxBatch           int           // 20
	SignInActivityPage int           // pages with signInActivity hold at most 120 users
}

// Limits returns the budgets this configuration enforces. Disabled
// throttling still reports the documented numbers.
func (o Options) Limits() Limits {
	sc := o.ThrottleScale
	if sc <= 0 {
		sc = 1
	}
	n := func(v float64) int { return max(1, int(math.Round(v*sc))) }
	return Limits{
		GlobalRequests: n(130000), GlobalWindow: 10 * time.Second,
		SmallTenantRU: n(3500), MediumTenantRU: n(5000), LargeTenantRU: n(8000), DirectoryWindow: 10 * time.Second,
		AppRU: n(150000), AppWindow: 20 * time.Second,
		ReportRequests: n(14), ReportWindow: 10 * time.Minute,
		IntuneRequests: n(2000), IntuneWindow: 20 * time.Second,
		MaxPageSize: 999, MaxBatch: 20, SignInActivityPage: 120,
	}
}

// TenantRU returns the resource-unit budget per 10 s for a tenant of n users.
func (l Limits) TenantRU(users int) int {
	switch {
	case users < 50:
		return l.SmallTenantRU
	case users <= 500:
		return l.MediumTenantRU
	}
	return l.LargeTenantRU
}

// bucket is a token bucket refilled continuously: capacity per window.
type bucket struct {
	tokens, capacity, perSec float64
	last                     time.Time
}

func newBucket(capacity int, window time.Duration, now time.Time) *bucket {
	c := float64(capacity)
	return &bucket{tokens: c, capacity: c, perSec: c / window.Seconds(), last: now}
}

func (b *bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+dt*b.perSec)
		b.last = now
	}
}

// wait is how long until cost fits; 0 when it fits now.
func (b *bucket) wait(cost float64) time.Duration {
	if b.tokens >= cost {
		return 0
	}
	return time.Duration((cost - b.tokens) / b.perSec * float64(time.Second))
}

type throttleClass int

const (
	classNone throttleClass = iota
	classDirectory
	classReports
	classIntune
)

type throttler struct {
	opt    *Options
	lim    Limits
	mu     sync.Mutex
	global *bucket
	app    *bucket
	pairs  map[string]*bucket
}

func newThrottler(o *Options) *throttler {
	now := o.Now()
	l := o.Limits()
	return &throttler{opt: o, lim: l, global: newBucket(l.GlobalRequests, l.GlobalWindow, now),
		app: newBucket(l.AppRU, l.AppWindow, now), pairs: map[string]*bucket{}}
}

// throttleVerdict says whether a request may run; when not, how long to
// wait and which scope ran out.
type throttleVerdict struct {
	ok         bool
	retryAfter time.Duration
	scope      string
	info       string
	ru         int
	percent    float64
}

// admit charges one request of cost resource units against every budget
// that applies, or charges nothing and says which budget is exhausted.
func (th *throttler) admit(class throttleClass, cost int, t *tenant, key, appID string) throttleVerdict {
	v := throttleVerdict{ok: true, ru: cost}
	if th.opt.DisableThrottling {
		return v
	}
	now := th.opt.Now()
	th.mu.Lock()
	defer th.mu.Unlock()
	type charge struct {
		b          *bucket
		cost       float64
		scope, inf string
	}
	charges := []charge{{th.global, 1, fmt.Sprintf("Application/ReadWrite/%s/%s", appID, t.id), "RequestLimitExceeded"}}
	// Directory resource units and Intune requests share one bucket per
	// app+tenant; report limits apply to each report API separately.
	pair := func(name string, capacity int, window time.Duration) *bucket {
		k := name + "/" + t.id
		if class == classReports {
			k += "/" + key
		}
		b := th.pairs[k]
		if b == nil {
			b = newBucket(capacity, window, now)
			th.pairs[k] = b
		}
		return b
	}
	switch class {
	case classDirectory:
		size := t.size
		charges = append(charges,
			charge{th.app, float64(cost), fmt.Sprintf("Application/Read/%s/%s", appID, t.id), "ResourceUnitLimitExceeded"},
			charge{pair("dir", th.lim.TenantRU(size), th.lim.DirectoryWindow), float64(cost), fmt.Sprintf("Tenant_Application/Read/%s/%s", appID, t.id), "ResourceUnitLimitExceeded"})
	case classReports:
		charges = append(charges, charge{pair("rep", th.lim.ReportRequests, th.lim.ReportWindow), 1, fmt.Sprintf("Tenant_Application/Read/%s/%s", appID, t.id), "RequestLimitExceeded"})
	case classIntune:
		charges = append(charges, charge{pair("intune", th.lim.IntuneRequests, th.lim.IntuneWindow), 1, fmt.Sprintf("Tenant_Application/Read/%s/%s", appID, t.id), "RequestLimitExceeded"})
	}
	for _, c := range charges {
		c.b.refill(now)
		if w := c.b.wait(c.cost); w > 0 {
			v.ok = false
			if w > v.retryAfter {
				v.retryAfter, v.scope, v.info = w, c.scope, c.inf
			}
		}
	}
	if !v.ok {
		return v
	}
	for _, c := range charges {
		c.b.tokens -= c.cost
		if used := 1 - c.b.tokens/c.b.capacity; used > v.percent {
			v.percent = used
		}
	}
	return v
}

// retryAfterSeconds renders a wait as Graph does: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// Counter counts requests to one endpoint of one tenant.
type Counter struct {
	Endpoint   string `json:"endpoint"` // "GET /users", "POST /{tenant}/oauth2/v2.0/token", ...
	Tenant     string `json:"tenant"`   // tenant id ("" when unknown)
	Requests   int    `json:"requests"` // HTTP requests (a $batch counts once, under "POST /$batch")
	BatchItems int    `json:"batch_items"`
	Throttled  int    `json:"throttled"`  // 429 answers (HTTP or batch item)
	Errors5xx  int    `json:"errors_5xx"` // 5xx answers
	Resets     int    `json:"resets"`     // connections reset on purpose
	Errors4xx  int    `json:"errors_4xx"` // other 4xx answers
	OK         int    `json:"ok"`         // 2xx and 3xx answers
}

type counters struct {
	mu sync.Mutex
	m  map[[2]string]*Counter
}

func newCounters() *counters { return &counters{m: map[[2]string]*Counter{}} }

func (c *counters) add(endpoint, tenant string, status int, batchItem bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{endpoint, tenant}
	ct := c.m[k]
	if ct == nil {
		ct = &Counter{Endpoint: endpoint, Tenant: tenant}
		c.m[k] = ct
	}
	if batchItem {
		ct.BatchItems++
	} else {
		ct.Requests++
	}
	switch {
	case status < 0:
		ct.Resets++
	case status == 429:
		ct.Throttled++
	case status >= 500:
		ct.Errors5xx++
	case status >= 400:
		ct.Errors4xx++
	default:
		ct.OK++
	}
}

func (c *counters) snapshot() []Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Counter, 0, len(c.m))
	for _, ct := range c.m {
		out = append(out, *ct)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return out[i].Endpoint < out[j].Endpoint
	})
	return out
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = map[[2]string]*Counter{}
}

// fault decides a random fault for one attempt at a URL: "", "429", "503"
// or "reset", and the Retry-After to send.
func (s *Server) fault(tenantID, method, url string) (string, time.Duration) {
	o := &s.opt
	if o.Rate429 <= 0 && o.Rate503 <= 0 && o.RateReset <= 0 {
		return "", 0
	}
	key := tenantID + " " + method + " " + url
	now := time.Now() // Retry-After is wall time, whatever Options.Now says
	s.mu.Lock()
	defer s.mu.Unlock()
	attempt := s.faultTries[key]
	s.faultTries[key] = attempt + 1
	if nb, ok := s.notBefore[key]; ok {
		if now.Before(nb) {
			s.earlyRetries++
		}
		delete(s.notBefore, key)
	}
	h := mix(uint64(o.Seed), hstr(key), uint64(attempt))
	x := float64(h>>11) / (1 << 53)
	span := o.RetryAfterMax - o.RetryAfterMin
	ra := o.RetryAfterMin
	if span > 0 {
		ra += time.Duration(splitmix(h) % uint64(span+1))
	}
	fault := ""
	switch {
	case x < o.Rate429:
		fault = "429"
	case x < o.Rate429+o.Rate503:
		fault = "503"
	case x < o.Rate429+o.Rate503+o.RateReset:
		return "reset", 0
	default:
		return "", 0
	}
	s.notBefore[key] = now.Add(time.Duration(retryAfterSeconds(ra)) * time.Second)
	return fault, ra
}

// EarlyRetries counts the requests that came back after a random 429 or
// 503 before the Retry-After they were given had passed: a client that
// honours Retry-After makes none. A request is known by tenant, method and
// URL, so two identical requests in flight at once (two clients of one
// tenant) could be taken for a retry.
func (c *Control) EarlyRetries() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.earlyRetries
}

// DirectoryWait is the least time a client needs to spend ru resource units
// in one tenant of the given size without a 429: the bucket starts full,
// then refills at budget/10 s. Benchmarks add it to latency-bound time to
// get the network lower bound of a sync.
func (l Limits) DirectoryWait(ru, users int) time.Duration {
	budget := l.TenantRU(users)
	if ru <= budget {
		return 0
	}
	return time.Duration(float64(ru-budget) / float64(budget) * float64(l.DirectoryWindow))
}
