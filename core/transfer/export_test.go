package transfer

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// Cells a spreadsheet would run as a formula leave export with a leading
// single quote (OWASP, CSV Injection); import takes the quote off again, so
// a round trip keeps the value.
func TestExportCSVNeutralizesFormulas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := openStore(t)
	hostile := store.Contact{
		FirstName: "=cmd|' /C calc'!A0", LastName: "@SUM(1+1)", Title: "-2+3",
		OfficePhone: "+1 555 0100", Mobile: "'=already quoted", Notes: "\t=1+1",
		PrimaryEmail: "eve@evil.example", Source: store.SourceImported,
	}
	err := src.Update(ctx, func(tx *store.Tx) error {
		o := store.Organization{Name: "=HYPERLINK(\"http://evil.example\")", Notes: "\r=2", Source: store.SourceImported}
		if err := tx.PutOrg(&o); err != nil {
			return err
		}
		c := hostile
		c.OrgID = o.ID
		return tx.PutContact(&c)
	})
	if err != nil {
		t.Fatal(err)
	}

	var orgsOut, contactsOut bytes.Buffer
	if err := ExportCSV(ctx, src, &orgsOut, KindOrganizations, nil); err != nil {
		t.Fatal(err)
	}
	if err := ExportCSV(ctx, src, &contactsOut, KindContacts, nil); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{orgsOut.String(), contactsOut.String()} {
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("exported cell %q starts with a formula character", cell)
				}
			}
		}
	}
	if !strings.Contains(contactsOut.String(), `'=cmd|' /C calc'!A0`) || !strings.Contains(contactsOut.String(), `''=already quoted`) {
		t.Errorf("contacts export:\n%s", contactsOut.String())
	}

	dst := openStore(t)
	if _, err := ImportCSV(ctx, dst, &orgsOut, Options{File: "orgs.csv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportCSV(ctx, dst, &contactsOut, Options{File: "contacts.csv"}); err != nil {
		t.Fatal(err)
	}
	got, ok := allContacts(t, dst)[`=HYPERLINK("http://evil.example")/eve@evil.example`]
	if !ok {
		t.Fatalf("contact not found after round trip: %v", allContacts(t, dst))
	}
	if got.FirstName != hostile.FirstName || got.LastName != hostile.LastName || got.Title != hostile.Title ||
		got.OfficePhone != hostile.OfficePhone || got.Mobile != hostile.Mobile || got.Notes != "=1+1" {
		t.Errorf("after round trip: %q %q %q %q %q %q; want the exported values back (notes trimmed as import trims cells)",
			got.FirstName, got.LastName, got.Title, got.OfficePhone, got.Mobile, got.Notes)
	}
}

func TestNeutralizeFormula(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{"+1 555", "'+1 555"},
		{"-5", "'-5"},
		{"@x", "'@x"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"'plain", "'plain"},
		{"'=x", "''=x"},
		{"''@x", "'''@x"},
		{" =x", " =x"},
	}
	for _, tt := range tests {
		if got := neutralizeFormula(tt.in); got != tt.want {
			t.Errorf("neutralizeFormula(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := unneutralizeFormula(tt.want); back != tt.in {
			t.Errorf("unneutralizeFormula(%q) = %q, want %q", tt.want, back, tt.in)
		}
	}
}
