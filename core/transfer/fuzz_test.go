package transfer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// fuzzStore opens one throwaway store for a fuzz target. Imports are dry
// runs: they validate and write in a transaction that is rolled back, so
// every input meets the same empty store (a growing store makes each
// iteration slower) while the write path still runs.
func fuzzStore(f *testing.F) *store.Store {
	s, err := store.Open(filepath.Join(f.TempDir(), store.DBFile), store.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}

// checkImport holds for every import: an error is an ordinary error, and
// problems name the file and a line.
func checkImport(t *testing.T, file string, res Result, err error) {
	if err != nil && err.Error() == "" {
		t.Fatalf("error %#v has no message", err)
	}
	if errors.Is(err, ErrInvalidRows) && len(res.Problems) == 0 {
		t.Fatalf("ErrInvalidRows without problems")
	}
	for _, p := range res.Problems {
		if p.File != file || p.Line < 1 || p.Reason == "" {
			t.Fatalf("problem %q does not name the file and a line", p)
		}
	}
}

func FuzzImportCSV(f *testing.F) {
	seeds := []string{
		strayQuoteCSV,
		umlautCSV,
		"Organization,First Name,Last Name,Email\nGood Org,J\xf6rg,M\xfcller,j@good.example\n",
		string(utf16Bytes(umlautCSV, binary.LittleEndian, true)),
		string(utf16Bytes(umlautCSV, binary.BigEndian, true)),
		"\ufeffOrganization Name,Organization Type,Domains\nFabrikam,Customer,fabrikam.example; https://www.fabrikam-shop.example/\n",
		"Organization,First Name,Email,Last Name,E-mail\nA,B,b@a.example,C,c@a.example\n",
		"Organization,First Name,Title,Email,Notes\n\"Evil\x00 \x1b[31mCorp\",\"Ma\u202Ello\",\"CEO\x1b]0;x\x07\",m@evil.example,\"a\nb\"\n",
		"Organization,First Name,Last Name,Email\n'=cmd|' /C calc'!A0,'+1,''@x,a@b.example\n",
		"Company,Full Name,E-mail\nContoso,\"Smith, John\",john@contoso.example\nContoso,Jane Doe,\n",
		"Organization,Email\n\"unterminated,a@b.example\n",
		"foo,bar\n1,2\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false, false)
	}
	f.Add([]byte(seeds[2]), true, true)
	s := fuzzStore(f)
	f.Fuzz(func(t *testing.T, data []byte, skipInvalid, windows1252 bool) {
		opt := Options{File: "fuzz.csv", SkipInvalid: skipInvalid, DryRun: true}
		if windows1252 {
			opt.Encoding = EncodingWindows1252
		}
		res, err := ImportCSV(context.Background(), s, bytes.NewReader(data), opt)
		checkImport(t, opt.File, res, err)
	})
}

func FuzzImportJSON(f *testing.F) {
	seeds := []string{
		`{"organizations":[{"name":"A","domains":["a.example"]}],"contacts":[{"organization":"A","first_name":"B","email":"b@a.example"}]}`,
		"null",
		`{"organizations":[{"name":"A"}]} garbage`,
		"{\"organizations\":[]}\n{\"organizations\":[]}",
		`{"organizations":[{"name":"M\u00fcller \u001b[31mGmbH\u202e","domains":["not a domain"]}]}`,
		"{\"organizations\":[{\"name\":\"M\xfcller GmbH\"}]}",
		string(utf16Bytes(`{"organizations":[{"name":"Zoë"}]}`, binary.LittleEndian, true)),
		`{"contacts":[{"organization":"","email":"x"}]}`,
		`{"unknown":1}`,
		`[]`,
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false, false)
	}
	f.Add([]byte(seeds[5]), true, true)
	s := fuzzStore(f)
	f.Fuzz(func(t *testing.T, data []byte, skipInvalid, windows1252 bool) {
		opt := Options{File: "fuzz.json", SkipInvalid: skipInvalid, DryRun: true}
		if windows1252 {
			opt.Encoding = EncodingWindows1252
		}
		res, err := ImportJSON(context.Background(), s, bytes.NewReader(data), opt)
		checkImport(t, opt.File, res, err)
	})
}
