package m365sim

import (
	"context"
	"crypto/tls"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"
)

func startInternal(t *testing.T, opt Options) *Server {
	t.Helper()
	opt.Dir = t.TempDir()
	s, err := Start(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDataIsDeterministic(t *testing.T) {
	t.Parallel()
	a := startInternal(t, Options{Seed: 42, Tenants: 20, UsersPerTenant: 30})
	b := startInternal(t, Options{Seed: 42, Tenants: 20, UsersPerTenant: 30})
	c := startInternal(t, Options{Seed: 43, Tenants: 20, UsersPerTenant: 30})
	ca, cb, cc := a.Customers(), b.Customers(), c.Customers()
	for i := range ca {
		if ca[i].ID != cb[i].ID || ca[i].DisplayName != cb[i].DisplayName || ca[i].Users != cb[i].Users || ca[i].Flags != cb[i].Flags {
			t.Fatalf("tenant %d differs between runs with the same seed: %+v vs %+v", i, ca[i], cb[i])
		}
		ua, _ := a.Control().Users(ca[i].ID)
		ub, _ := b.Control().Users(cb[i].ID)
		for j := range ua {
			if ua[j].UPN != ub[j].UPN || ua[j].DisplayName != ub[j].DisplayName || ua[j].ID != ub[j].ID {
				t.Fatalf("user %d of tenant %d differs: %s vs %s", j, i, ua[j].UPN, ub[j].UPN)
			}
		}
	}
	if ca[0].ID == cc[0].ID {
		t.Error("different seeds gave the same tenant id")
	}
}

func TestDataLooksReal(t *testing.T) {
	t.Parallel()
	s := startInternal(t, Options{Seed: 1, Tenants: 60, UsersPerTenant: 120})
	names := map[string]bool{}
	var diacritics, nonLatin, guests, shared, leavers, noSurname, dupNames, multiDomain, aliases, otherMails int
	for _, c := range s.Customers() {
		key := strings.ToLower(c.DisplayName)
		if names[key] {
			t.Errorf("duplicate company name %q", c.DisplayName)
		}
		names[key] = true
		if len(c.Domains) > 2 {
			multiDomain++
		}
		if !strings.HasSuffix(c.InitialDomain, ".onmicrosoft.com") {
			t.Errorf("%s: initial domain %q", c.DisplayName, c.InitialDomain)
		}
		users, err := s.Control().Users(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != c.Users {
			t.Errorf("%s: %d users, TenantInfo says %d", c.DisplayName, len(users), c.Users)
		}
		upns := map[string]bool{}
		seenName := map[string]bool{}
		for _, u := range users {
			l := strings.ToLower(u.UPN)
			if upns[l] {
				t.Errorf("%s: duplicate UPN %s", c.DisplayName, u.UPN)
			}
			upns[l] = true
			for _, r := range u.UPN {
				if r > unicode.MaxASCII {
					t.Errorf("UPN %q is not ASCII", u.UPN)
					break
				}
			}
			if strings.ContainsAny(u.DisplayName, "üöäøåéñłçØ") {
				diacritics++
			}
			for _, r := range u.DisplayName {
				if unicode.In(r, unicode.Han, unicode.Cyrillic, unicode.Greek, unicode.Hiragana) {
					nonLatin++
					break
				}
			}
			switch u.Kind {
			case "guest":
				guests++
				if !strings.Contains(u.UPN, "#EXT#@") || u.UserType != "Guest" {
					t.Errorf("guest %s", u.UPN)
				}
			case "shared":
				shared++
				if u.AccountEnabled || len(u.Licenses) != 0 {
					t.Errorf("shared mailbox %s enabled or licensed", u.UPN)
				}
			case "leaver":
				leavers++
			}
			if u.Surname == "" && u.Kind == "member" {
				noSurname++
			}
			if u.Kind == "member" && u.Surname != "" {
				if seenName[u.DisplayName] {
					dupNames++
				}
				seenName[u.DisplayName] = true
			}
			for _, p := range u.ProxyAddresses {
				if strings.HasPrefix(p, "smtp:") {
					aliases++
					break
				}
			}
			if len(u.OtherMails) > 0 {
				otherMails++
			}
		}
	}
	for what, n := range map[string]int{"diacritics": diacritics, "non-Latin": nonLatin, "guests": guests, "shared": shared,
		"leavers": leavers, "no surname": noSurname, "duplicate names": dupNames, "multi-domain tenants": multiDomain,
		"smtp aliases": aliases, "otherMails": otherMails} {
		if n == 0 {
			t.Errorf("no %s in 60 tenants", what)
		}
	}
}

// A million users cost nothing until asked for: starting allocates far less
// than one record per user (a generated user is about 1 KB).
// Not parallel: it measures the process's allocations.
func TestLargeSimulationIsLazy(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := startInternal(t, Options{Seed: 3, Tenants: 1000, UsersPerTenant: 1000})
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 100<<20 {
		t.Errorf("starting 1000 x 1000 allocated %d MB, want < 100 MB: users are built up front", grew>>20)
	}
	cs := s.Customers()
	total := 0
	for _, c := range cs {
		total += c.Users
	}
	if total < 800_000 || total > 1_200_000 {
		t.Errorf("total users = %d, want about 1,000,000", total)
	}
	big := startInternal(t, Options{Seed: 3, TenantSizes: []int{20000, 5}})
	users, err := big.Control().Users(big.Customers()[0].ID)
	if err != nil || len(users) != 20000 {
		t.Fatalf("20,000-user tenant: %d users, %v", len(users), err)
	}
}

func TestThrottlerBudgets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opt := Options{Now: func() time.Time { return now }}
	th := newThrottler(&opt)
	small := &tenant{id: "small", size: 10}
	large := &tenant{id: "large", size: 900}
	admitted := 0
	for th.admit(classDirectory, 2, small, "GET /users", "app").ok {
		admitted++
	}
	if admitted != 1750 {
		t.Errorf("small tenant admitted %d requests of 2 RU, want 3,500/2", admitted)
	}
	v := th.admit(classDirectory, 2, small, "GET /users", "app")
	if v.ok || !strings.HasPrefix(v.scope, "Tenant_Application/") || retryAfterSeconds(v.retryAfter) != 1 {
		t.Errorf("throttled verdict = %+v", v)
	}
	if th.admit(classDirectory, 1, small, "GET /organization", "app").ok {
		t.Error("another directory endpoint had its own budget; the budget is per app+tenant")
	}
	if !th.admit(classDirectory, 2, large, "GET /users", "app").ok {
		t.Error("another tenant was throttled by the first one's budget")
	}
	now = now.Add(10 * time.Second)
	if !th.admit(classDirectory, 2, small, "GET /users", "app").ok {
		t.Error("budget did not refill after 10 s")
	}
	reports := 0
	for th.admit(classReports, 1, large, "GET /reports/getMailboxUsageDetail", "app").ok {
		reports++
	}
	if reports != 14 {
		t.Errorf("reports admitted %d per 10 min, want 14", reports)
	}
	l := opt.Limits()
	if l.TenantRU(49) != 3500 || l.TenantRU(50) != 5000 || l.TenantRU(500) != 5000 || l.TenantRU(501) != 8000 {
		t.Errorf("TenantRU sizes wrong: %+v", l)
	}
}

func TestResetOverHTTP1(t *testing.T) {
	t.Parallel()
	s := startInternal(t, Options{Seed: 4, Tenants: 1, CleanTenants: true, RateReset: 1})
	tr := s.Transport()
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/1.1 only
	c := s.Customers()[0]
	tok := s.sign(tokenClaims{Aud: graphResource, Tid: c.ID, IdTyp: "app", Roles: DefaultPermissions, Exp: time.Now().Add(time.Hour).Unix(), AppID: s.info.ClientID})
	req, _ := http.NewRequest(http.MethodGet, s.info.GraphBase+"/organization", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %s, want a reset connection", resp.Status)
	}
	if tot := s.Control().Totals()[c.ID]; tot.Resets == 0 {
		t.Errorf("resets not counted: %+v", tot)
	}
}

// A request that comes back before its Retry-After is counted; one that
// waits is not.
func TestEarlyRetriesCounted(t *testing.T) {
	t.Parallel()
	s := startInternal(t, Options{Seed: 3, Tenants: 1, UsersPerTenant: 5, Rate429: 1, RetryAfterMin: time.Second, RetryAfterMax: time.Second})
	id := s.tenants[0].id
	if f, _ := s.fault(id, "GET", "/users?"); f != "429" {
		t.Fatalf("fault = %q, want 429 at rate 1", f)
	}
	s.fault(id, "GET", "/users?") // at once: early
	if got := s.Control().EarlyRetries(); got != 1 {
		t.Errorf("EarlyRetries() = %d after an immediate retry, want 1", got)
	}
	s.mu.Lock()
	for k := range s.notBefore {
		s.notBefore[k] = time.Now().Add(-time.Millisecond) // as if Retry-After had passed
	}
	s.mu.Unlock()
	s.fault(id, "GET", "/users?")
	if got := s.Control().EarlyRetries(); got != 1 {
		t.Errorf("EarlyRetries() = %d after a retry that waited, want still 1", got)
	}
}
