package transfer

import (
	"context"
	"encoding/json"
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
	t.Parallel()
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

func TestImportJSONRefusesNonDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"null", "null", "j.json: not a tenantsync JSON document: null"},
		{"null with space", " null\n", "j.json: not a tenantsync JSON document: null"},
		{"trailing garbage", `{"organizations":[{"name":"A"}]} garbage`, "j.json:1: not a tenantsync JSON document: more data after the document"},
		{"second document", "{\"organizations\":[{\"name\":\"A\"}]}\n{\"organizations\":[{\"name\":\"B\"}]}\n", "j.json:2: not a tenantsync JSON document: more data after the document"},
		{"trailing bracket", `{"organizations":[]}]`, "j.json:1: not a tenantsync JSON document: more data after the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			_, err := ImportJSON(context.Background(), s, strings.NewReader(tt.in), Options{File: "j.json"})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ImportJSON(%q) = %v, want %q", tt.in, err, tt.want)
			}
			if o, c := count(t, s); o != 0 || c != 0 {
				t.Errorf("refused import wrote %d organizations, %d contacts", o, c)
			}
		})
	}
	// Trailing white space is not garbage.
	if _, err := ImportJSON(context.Background(), openStore(t), strings.NewReader("{\"organizations\":[{\"name\":\"A\"}]}\n\n  \t\n"), Options{File: "j.json"}); err != nil {
		t.Errorf("ImportJSON(trailing white space) = %v", err)
	}
}

func TestImportCSVRefusesDuplicateHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, csv, want string }{
		{"contacts", "Organization,First Name,Email,Last Name,E-mail\nA,B,b@a.example,C,c@a.example\n",
			`d.csv: the header names the same column twice: "Email" (column 3) and "E-mail" (column 5); rename or remove one`},
		{"organizations", "Name,Domains,name\nA,a.example,B\n",
			`d.csv: the header names the same column twice: "Name" (column 1) and "name" (column 3); rename or remove one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			_, err := ImportCSV(context.Background(), s, strings.NewReader(tt.csv), Options{File: "d.csv"})
			if err == nil || err.Error() != tt.want {
				t.Errorf("ImportCSV = %v, want %q", err, tt.want)
			}
			if o, c := count(t, s); o != 0 || c != 0 {
				t.Errorf("refused import wrote %d organizations, %d contacts", o, c)
			}
		})
	}
	// Unrecognized columns may repeat: they are not imported anyway. Different
	// columns for the same field (IT Glue's description and quick notes) are
	// not duplicates.
	if _, err := ImportCSV(context.Background(), openStore(t), strings.NewReader("Name,Custom,Custom,Description,Quick Notes\nA,1,2,d,q\n"), Options{File: "ok.csv"}); err != nil {
		t.Errorf("ImportCSV(repeated unknown column) = %v", err)
	}
}

// Control characters, ANSI escape sequences and bidi controls leave names,
// titles and the other one-line fields, from CSV and JSON alike; notes keep
// their tabs and line breaks.
func TestImportStripsControlCharacters(t *testing.T) {
	t.Parallel()
	const (
		org   = "Evil\x00 \x1b[31mCorp\x1b[0m\u202e"
		first = "Ma\u202Ello\u2066ry"
		last  = "O\x07'Brien\u200f\x1b]0;pwned\x07"
		title = "CEO\r\x1b[2J\u200e\u2069"
		notes = "line one\n\tline two\x1b[1m\x00"
	)
	csvIn := "Organization,First Name,Last Name,Title,Email,Notes\n" +
		`"` + org + `","` + first + `","` + last + `","` + title + `",m@evil.example,"` + notes + `"` + "\n"
	jsonIn, _ := json.Marshal(Document{
		Organizations: []OrgJSON{{Name: org, Notes: notes}},
		Contacts:      []ContactJSON{{Organization: org, FirstName: first, LastName: last, Title: title, Email: "m@evil.example", Notes: notes}},
	})
	for kind, in := range map[string]string{"csv": csvIn, "json": string(jsonIn)} {
		t.Run(kind, func(t *testing.T) {
			s := openStore(t)
			var err error
			if kind == "csv" {
				_, err = ImportCSV(context.Background(), s, strings.NewReader(in), Options{File: "c.csv"})
			} else {
				_, err = ImportJSON(context.Background(), s, strings.NewReader(in), Options{File: "c.json"})
			}
			if err != nil {
				t.Fatal(err)
			}
			c, ok := allContacts(t, s)["Evil Corp/m@evil.example"]
			if !ok {
				t.Fatalf("no contact in an organization named %q: %v", "Evil Corp", allContacts(t, s))
			}
			if c.FirstName != "Mallory" || c.LastName != "O'Brien" || c.Title != "CEO" || c.Notes != "line one\n\tline two" {
				t.Errorf("stored %q %q %q %q; want Mallory O'Brien, CEO, notes with their line break and tab", c.FirstName, c.LastName, c.Title, c.Notes)
			}
		})
	}
}

// JSON organizations are checked as CSV ones are: a bad domain is a bad record.
func TestImportJSONValidatesDomains(t *testing.T) {
	t.Parallel()
	in := `{"organizations":[{"name":"A","domains":["a.example","not a domain"]},{"name":"B","domains":["https://www.B.example/"]}]}`
	s := openStore(t)
	res, err := ImportJSON(context.Background(), s, strings.NewReader(in), Options{File: "o.json"})
	if !errors.Is(err, ErrInvalidRows) || len(res.Problems) != 1 || res.Problems[0].String() != `o.json:1: organizations[0]: "not a domain" is not a domain` {
		t.Fatalf("ImportJSON = %v, %q; want organizations[0] refused for its domain", err, res.Problems)
	}
	if _, err := ImportJSON(context.Background(), s, strings.NewReader(in), Options{File: "o.json", SkipInvalid: true}); err != nil {
		t.Fatal(err)
	}
	orgs, _ := s.Orgs(context.Background())
	if len(orgs) != 1 || orgs[0].Name != "B" || strings.Join(orgs[0].Domains, ",") != "b.example" {
		t.Errorf("orgs = %+v, want B with b.example", orgs)
	}
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	long := "\x1b]0;" + strings.Repeat("x", maxControlString) + "\x07"
	tests := []struct {
		in        string
		multiline bool
		want      string
	}{
		{"plain Müller", false, "plain Müller"},
		{"a\x1b[1;31mb\x1b[0m", false, "ab"},
		{"a\u009b31mb", false, "ab"},
		{"a\x1b]8;;http://x.example\x1b\\link\x1b]8;;\x1b\\", false, "alink"},
		{"a\x1b]unterminated", false, "aunterminated"},
		{"a" + long + "b", false, "a0;" + strings.Repeat("x", maxControlString) + "b"},
		{"a\x1b(Bb\x1bc", false, "ab"},
		{"a\x1b", false, "a"},
		{"x\u061cy\u200ez\u2067", false, "xyz"},
		{"one\r\n\ttwo\x00", true, "one\n\ttwo"},
		{"one\n\ttwo", false, "onetwo"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in, tt.multiline); got != tt.want {
			t.Errorf("cleanText(%q, %v) = %q, want %q", tt.in, tt.multiline, got, tt.want)
		}
	}
}
