package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// cancelAfterChecks is a context that reports itself cancelled from its
// n-th Err call on: an import sees it cancelled part way through its
// transaction, as when Ctrl-C arrives after some rows were written.
type cancelAfterChecks struct {
	context.Context
	left atomic.Int64
}

func cancelAfter(n int64) *cancelAfterChecks {
	c := &cancelAfterChecks{Context: context.Background()}
	c.left.Store(n)
	return c
}

func (c *cancelAfterChecks) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestImportCancelledMidwayWritesNothing(t *testing.T) {
	t.Parallel()
	orgsCSV := "Name\n"
	for i := range 50 {
		orgsCSV += fmt.Sprintf("Org %d\n", i)
	}
	contactsJSON := `{"contacts":[` +
		`{"organization":"A","first_name":"A","email":"a@a.example.com"},` +
		`{"organization":"B","first_name":"B","email":"b@b.example.com"},` +
		`{"organization":"C","first_name":"C","email":"c@c.example.com"},` +
		`{"organization":"D","first_name":"D","email":"d@d.example.com"}]}`
	tests := []struct {
		name string
		run  func(context.Context, *store.Store) (Result, error)
	}{
		{"csv contacts", func(ctx context.Context, s *store.Store) (Result, error) {
			return ImportCSV(ctx, s, strings.NewReader(contactsCSV(50, 0)), Options{File: "c.csv"})
		}},
		{"csv organizations", func(ctx context.Context, s *store.Store) (Result, error) {
			return ImportCSV(ctx, s, strings.NewReader(orgsCSV), Options{File: "o.csv"})
		}},
		{"json", func(ctx context.Context, s *store.Store) (Result, error) {
			return ImportJSON(ctx, s, strings.NewReader(contactsJSON), Options{File: "c.json"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Three checks pass: the store's own check before the
			// transaction and the first rows; then the import is cancelled.
			s := openStore(t)
			_, err := tt.run(cancelAfter(3), s)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("import cancelled midway: err = %v, want context.Canceled", err)
			}
			if orgs, contacts := count(t, s); orgs != 0 || contacts != 0 {
				t.Errorf("import cancelled midway wrote %d organization(s) and %d contact(s), want none", orgs, contacts)
			}
		})
	}
}
