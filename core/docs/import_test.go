package docs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// allContacts returns every contact in s with its organization's name.
func allContacts(t *testing.T, s *store.Store) map[string]store.Contact {
	t.Helper()
	out := map[string]store.Contact{}
	err := s.View(context.Background(), func(tx *store.Tx) error {
		orgs, err := tx.Orgs()
		if err != nil {
			return err
		}
		for _, o := range orgs {
			cs, err := tx.OrgContacts(o.ID)
			if err != nil {
				return err
			}
			for _, c := range cs {
				out[o.Name+"/"+c.PrimaryEmail] = c
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const strayQuoteCSV = "Organization,First Name,Last Name,Email\n" +
	"Good Org,A,B,a@b.example.com\n" +
	"Bob \"The Builder\" Org,C,D,c@d.example.com\n"

// A row the CSV reader cannot parse is a bad row like any other: reported as
// file:line, all-or-nothing by default, the good rows with SkipInvalid.
func TestImportCSVUnparsableRow(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	res, err := ImportCSV(ctx, s, strings.NewReader(strayQuoteCSV), Options{File: "q.csv"})
	if !errors.Is(err, ErrInvalidRows) {
		t.Fatalf("ImportCSV(stray quote) = %v, want ErrInvalidRows", err)
	}
	if len(res.Problems) != 1 || !strings.HasPrefix(res.Problems[0].String(), `q.csv:3: bare " in non-quoted-field`) {
		t.Errorf("Problems = %q, want one naming q.csv:3", res.Problems)
	}
	if res.Rows != 2 {
		t.Errorf("Rows = %d, want 2 (the unparsable row is a row read)", res.Rows)
	}
	if o, c := count(t, s); o != 0 || c != 0 {
		t.Errorf("refused import wrote %d organizations, %d contacts", o, c)
	}

	res, err = ImportCSV(ctx, s, strings.NewReader(strayQuoteCSV), Options{File: "q.csv", SkipInvalid: true})
	if err != nil || res.Contacts != 1 || len(res.Problems) != 1 || !res.SkippedProblems {
		t.Fatalf("ImportCSV(stray quote, SkipInvalid) = %+v, %v; want the good row imported", res, err)
	}
	if _, ok := allContacts(t, s)["Good Org/a@b.example.com"]; !ok {
		t.Errorf("good row not stored: %v", allContacts(t, s))
	}
}
