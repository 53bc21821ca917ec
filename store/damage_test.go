package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestPanicsInTransactions: a panic raised inside bbolt (here a failed
// assertion, standing in for a damaged page) comes back as ErrDamaged
// naming where it happened; a panic in the caller's own code goes on up
// as it was. After either, bbolt's locks are free: the next transaction,
// a write included, works.
func TestPanicsInTransactions(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	bboltPanic := func(tx *Tx) error { return tx.tx.Commit() } // "managed tx commit not allowed"
	entries := []struct {
		name string
		run  func(fn func(tx *Tx) error) error
	}{
		{"View", func(fn func(*Tx) error) error { return s.View(ctx, fn) }},
		{"ViewSalvaging", func(fn func(*Tx) error) error { return s.ViewSalvaging(ctx, func(string, error) {}, fn) }},
		{"Update", func(fn func(*Tx) error) error { return s.Update(ctx, fn) }},
		{"Batch", func(fn func(*Tx) error) error { return s.Batch(ctx, fn) }},
	}
	for i, e := range entries {
		err := e.run(bboltPanic)
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "go.etcd.io/bbolt") {
			t.Errorf("%s(a panic inside bbolt) = %v, want ErrDamaged naming the bbolt function", e.name, err)
		}
		var got any
		func() {
			defer func() { got = recover() }()
			e.run(func(tx *Tx) error { panic("a bug in the caller") })
		}()
		if got != "a bug in the caller" {
			t.Errorf("%s(a panic in the caller's fn): recovered %v, want the caller's own panic", e.name, got)
		}
		org := Organization{Name: fmt.Sprintf("After %s", e.name)}
		if err := s.PutOrg(ctx, &org); err != nil {
			t.Fatalf("a write after %s's panics: %v", e.name, err)
		}
		if info, err := s.Info(ctx); err != nil || info.Organizations != i+1 {
			t.Errorf("Info after %s's panics = %d organizations, %v; want %d", e.name, info.Organizations, err, i+1)
		}
	}
}

// TestBatchCoalescesAndIsolatesFailures: concurrent Batch calls all commit,
// and the one that fails gets its own error without taking the others
// down.
func TestBatchCoalescesAndIsolatesFailures(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Batch(ctx, func(tx *Tx) error {
				if i == 7 {
					return errors.New("refused")
				}
				o := Organization{Name: fmt.Sprintf("Batch %02d", i)}
				return tx.PutOrg(&o)
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if want := i == 7; (err != nil) != want || want && err.Error() != "refused" {
			t.Errorf("Batch %d = %v", i, err)
		}
	}
	if rows, err := s.Search(ctx, "batch", 0); err != nil || len(rows) != n-1 {
		t.Errorf("Search(batch) = %d rows, %v; want %d", len(rows), err, n-1)
	}
}

// TestDamagedFilesNeverPanic flips random bits in copies of a populated
// database (and cuts some short at a page boundary), then opens each and
// reads and writes it the way the app does, with Open's walk on for half
// of them and off for the rest, so that damage reaches the later reads.
// Nothing may panic or crash: each step works or returns an error,
// ErrDamaged where bbolt met the damage. The seed fixes where bits flip,
// not what they hit: bbolt lays the same records out differently from
// run to run (it spills nested buckets in map order), so the counts
// logged at the end vary a little between runs.
func TestDamagedFilesNeverPanic(t *testing.T) {
	t.Parallel()
	const flipped, truncated = 25, 5
	ctx := context.Background()
	orig, used, pageSize := populatedFile(t)
	seed := [2]uint64{12, 2026}
	rng := rand.New(rand.NewPCG(seed[0], seed[1]))
	t.Logf("seed %v; %d bytes, %d in use, %d-byte pages", seed, len(orig), used, pageSize)

	// outcome counts, by whether Open walked the file.
	counts := map[string]map[bool]int{}
	// Walked copies whose Info (what `tenantsync status` shows) answered
	// while a later step failed: the walk checks pages, not records.
	infoButFailed := 0
	for i := range flipped + truncated {
		data := append([]byte(nil), orig...)
		var damage string
		if i < flipped {
			var at []string
			for range 1 + rng.IntN(8) {
				// Most bytes are record values, where a flip is a bad
				// record; half the flips go to the start of a page (its
				// header and first elements), where bbolt meets them.
				off, bit := rng.IntN(used), rng.IntN(8)
				if rng.IntN(2) == 0 {
					off = off/pageSize*pageSize + rng.IntN(64)
				}
				data[off] ^= 1 << bit
				at = append(at, fmt.Sprintf("page %d byte %d bit %d", off/pageSize, off%pageSize, bit))
			}
			damage = "flipped " + strings.Join(at, ", ")
		} else {
			pages := 2 + rng.IntN(used/pageSize-2)
			data = data[:pages*pageSize]
			damage = fmt.Sprintf("cut to %d pages", pages)
		}
		walk := i%2 == 0
		path := filepath.Join(t.TempDir(), DBFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		outcome, infoAnswered, detail := exerciseDamaged(t, ctx, path, walk)
		if counts[outcome] == nil {
			counts[outcome] = map[bool]int{}
		}
		counts[outcome][walk]++
		if walk && infoAnswered && outcome != outcomeFine {
			infoButFailed++
		}
		t.Logf("copy %2d (walk %-5v) %s: %s%s", i, walk, damage, outcome, detail)
	}
	for _, o := range []string{outcomeFine, outcomeRefused, outcomeOpenError, outcomeDamagedLater, outcomeErrorLater} {
		t.Logf("%-40s walk on %2d, walk off %2d", o+":", counts[o][true], counts[o][false])
	}
	t.Logf("walk passed and Info answered, yet a later step failed: %d", infoButFailed)
}

const (
	outcomeFine         = "opened, every step worked"
	outcomeRefused      = "refused as damaged at open"
	outcomeOpenError    = "refused at open with another error"
	outcomeDamagedLater = "opened, damage found later"
	outcomeErrorLater   = "opened, a later step failed otherwise"
)

// exerciseDamaged opens a damaged copy and runs what the app runs on it;
// it fails the test on any panic that gets out.
func exerciseDamaged(t *testing.T, ctx context.Context, path string, walk bool) (outcome string, infoAnswered bool, detail string) {
	t.Helper()
	opt := Options{}
	if !walk {
		opt.checkLimit = -1
	}
	noPanic := func(step string, fn func() error) (err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: %s panicked: %v\n%s", filepath.Base(filepath.Dir(path)), step, r, debug.Stack())
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return fn()
	}
	var s *Store
	err := noPanic("Open", func() (err error) { s, err = Open(path, opt); return err })
	switch {
	case errors.Is(err, ErrDamaged):
		return outcomeRefused, false, ""
	case err != nil:
		return outcomeOpenError, false, ": " + err.Error()
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"Info", func() error { _, err := s.Info(ctx); return err }},
		{"Orgs", func() error { _, err := s.Orgs(ctx); return err }},
		{"Search", func() error { _, err := s.Search(ctx, "muller", 0); return err }},
		{"ForEachContact", func() error {
			return s.View(ctx, func(tx *Tx) error { return tx.ForEachContact(func(*Contact) error { return nil }) })
		}},
		{"ViewSalvaging", func() error {
			return s.ViewSalvaging(ctx, func(string, error) {}, func(tx *Tx) error {
				orgs, err := tx.Orgs()
				for _, o := range orgs {
					if _, err := tx.OrgContacts(o.ID); err != nil {
						return err
					}
				}
				return err
			})
		}},
		{"Update", func() error {
			return s.Update(ctx, func(tx *Tx) error {
				o := Organization{Name: "Written after the damage"}
				if err := tx.PutOrg(&o); err != nil {
					return err
				}
				c := Contact{OrgID: o.ID, FirstName: "New", LastName: "Contact", PrimaryEmail: "new@after.example"}
				return tx.PutContact(&c)
			})
		}},
		// After a failed write the store must still answer (bbolt's
		// locks released).
		{"Info again", func() error { _, err := s.Info(ctx); return err }},
	}
	outcome = outcomeFine
	for i, st := range steps {
		err := noPanic(st.name, st.run)
		switch {
		case err == nil:
			infoAnswered = infoAnswered || i == 0
			continue
		case errors.Is(err, ErrDamaged):
			outcome = outcomeDamagedLater
		case outcome == outcomeFine:
			outcome = outcomeErrorLater
		}
		detail += fmt.Sprintf("\n\t%s: %.200s", st.name, err)
	}
	noPanic("Close", s.Close)
	return outcome, infoAnswered, detail
}

// populatedFile builds a database with hundreds of organizations and
// contacts, a connection with a tenant and its mirror, and sync runs,
// and returns its bytes, how many of them hold pages in use and the
// page size.
func populatedFile(t *testing.T) (data []byte, used, pageSize int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	first := []string{"Anna", "Jürgen", "José", "Zoë", "Øyvind", "Li", "Siobhán", "Kenji"}
	last := []string{"Müller", "García", "Nguyen", "Smith", "O'Brien", "Kowalski", "Tanaka", "Okafor"}
	err = s.Update(context.Background(), func(tx *Tx) error {
		if err := tx.PutConnection(&Connection{ID: "c1", Name: "Partner"}); err != nil {
			return err
		}
		if err := tx.PutTenant(&Tenant{ConnectionID: "c1", TenantID: "t1", DisplayName: "Contoso"}); err != nil {
			return err
		}
		m, err := tx.Mirror("c1", "t1")
		if err != nil {
			return err
		}
		for i := range 300 {
			o := Organization{Name: fmt.Sprintf("Customer %03d Ltd", i), Domains: []string{fmt.Sprintf("c%03d.example", i)}, Notes: strings.Repeat("note ", i%20)}
			if err := tx.PutOrg(&o); err != nil {
				return err
			}
			for j := range 3 {
				fn, ln := first[(i+j)%len(first)], last[(i*3+j)%len(last)]
				c := Contact{OrgID: o.ID, FirstName: fn, LastName: ln, PrimaryEmail: fmt.Sprintf("u%d.%d@c%03d.example", i, j, i), OfficePhone: fmt.Sprintf("+1 555 %04d", i*3+j)}
				if j == 0 {
					oid := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
					c.Link = &MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: oid}
					if err := m.PutUser(&DirectoryUser{ObjectID: oid, UPN: c.PrimaryEmail, DisplayName: fn + " " + ln}); err != nil {
						return err
					}
				}
				if err := tx.PutContact(&c); err != nil {
					return err
				}
			}
		}
		for i := range 5 {
			if err := tx.PutRun(&SyncRun{ConnectionID: "c1", Status: StatusOK, Trigger: Trigger(fmt.Sprint(i))}); err != nil {
				return err
			}
		}
		return m.SetDeltaLink("https://graph.example/delta?token=1")
	})
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	if err := s.db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	pageSize = s.db.Info().PageSize
	s.Close()
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, int(size), pageSize
}
