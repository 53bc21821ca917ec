package store

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

var (
	benchFirst = []string{"Anna", "Jürgen", "José", "Zoë", "Øyvind", "Li", "Mohammed", "Siobhán", "Dmitri", "Françoise", "Ngozi", "Kenji", "Priya", "Lars", "Émilie", "Wei"}
	benchLast  = []string{"Müller", "García", "Nguyen", "Smith", "O'Brien", "Kowalski", "Johansson", "Dubois", "Rossi", "Novák", "Yılmaz", "Tanaka", "Okafor", "Schröder", "Brown", "Fernández"}
	benchTitle = []string{"Office Manager", "CFO", "Technician", "Sales", "Reception", "Geschäftsführer", "Accountant", ""}
)

// benchDB builds, once per test binary, a database with 100,000 contacts in
// 2,000 organizations and returns its path. Benchmarks open it read-mostly.
func benchDB(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tenantsync-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchPath = filepath.Join(dir, DBFile)
		benchErr = fillBench(benchPath, 2000, 100_000)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

func fillBench(path string, orgs, contacts int) error {
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		return err
	}
	defer s.Close()
	rng := rand.New(rand.NewSource(1))
	ctx := context.Background()
	orgIDs := make([]uint64, orgs)
	err = s.Update(ctx, func(tx *Tx) error {
		for i := range orgIDs {
			o := &Organization{Name: fmt.Sprintf("Customer %04d Ltd", i), Domains: []string{fmt.Sprintf("customer%04d.example", i)}}
			if err := tx.PutOrg(o); err != nil {
				return err
			}
			orgIDs[i] = o.ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	const perTx = 10_000
	for done := 0; done < contacts; done += perTx {
		err := s.Update(ctx, func(tx *Tx) error {
			for i := done; i < done+perTx && i < contacts; i++ {
				org := rng.Intn(orgs)
				first, last := benchFirst[rng.Intn(len(benchFirst))], benchLast[rng.Intn(len(benchLast))]
				c := &Contact{
					OrgID: orgIDs[org], FirstName: first, LastName: last,
					Title:        benchTitle[rng.Intn(len(benchTitle))],
					PrimaryEmail: fmt.Sprintf("%s.%s%d@customer%04d.example", Fold(first), Fold(last), i, org),
					OfficePhone:  fmt.Sprintf("+1 555 %03d %04d", rng.Intn(1000), rng.Intn(10000)),
				}
				if err := tx.PutContact(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkSearch100k measures search-as-you-type over 100,000 contacts: each
// op is one query of a sequence a technician types. It reports the 95th
// percentile latency; the target is p95 <= 20 ms.
func BenchmarkSearch100k(b *testing.B) {
	s, err := Open(benchDB(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Search(ctx, "warm", 0); err != nil { // load the row index
		b.Fatal(err)
	}
	queries := []string{"m", "mu", "mul", "mull", "muller", "garcia", "jose", "customer0042", "555 12", "5551", "office manager", "zoe", "schroder", "x"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rows, err := s.Search(ctx, queries[i%len(queries)], 0)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 && queries[i%len(queries)] != "x" {
			b.Fatalf("no rows for %q", queries[i%len(queries)])
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkOpenFirstPage100k measures a cold start: open the 100,000-contact
// database and produce the first page of the contact list. Target <= 500 ms.
func BenchmarkOpenFirstPage100k(b *testing.B) {
	path := benchDB(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows, err := s.Rows(ctx, RowQuery{Kind: KindContact, Limit: 50})
		if err != nil || len(rows) != 50 {
			b.Fatalf("first page = %d rows, %v", len(rows), err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/open")
}
