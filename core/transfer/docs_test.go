package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t *testing.T, s *store.Store) (orgs, contacts int) {
	t.Helper()
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.Organizations, info.Contacts
}

// contactsCSV makes n contact rows; row bad (1-based, 0 for none) has a broken e-mail.
func contactsCSV(n, bad int) string {
	var b strings.Builder
	b.WriteString("Organization,First Name,Last Name,Title,Email,Phone\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("user%d@customer%d.example", i, i%20)
		if i == bad {
			email = "user-at-nowhere"
		}
		fmt.Fprintf(&b, "Customer %d Ltd,First%d,Müller%d,Technician,%s,+1 555 %04d\n", i%20, i, i, email, i)
	}
	return b.String()
}

func TestImportCSVAllOrNothing(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	res, err := ImportCSV(ctx, s, strings.NewReader(contactsCSV(1000, 500)), Options{File: "contacts.csv"})
	if !errors.Is(err, ErrInvalidRows) {
		t.Fatalf("ImportCSV = %v, want ErrInvalidRows", err)
	}
	if len(res.Problems) != 1 || res.Problems[0].String() != `contacts.csv:501: "user-at-nowhere" is not an e-mail address` {
		t.Errorf("Problems = %v, want line 501 named", res.Problems)
	}
	if o, c := count(t, s); o != 0 || c != 0 {
		t.Fatalf("after a refused import: %d organizations, %d contacts; want none", o, c)
	}

	res, err = ImportCSV(ctx, s, strings.NewReader(contactsCSV(1000, 500)), Options{File: "contacts.csv", SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Contacts != 999 || res.Organizations != 20 || !res.SkippedProblems {
		t.Errorf("with SkipInvalid: %+v, want 999 contacts in 20 organizations", res)
	}
	if _, c := count(t, s); c != 999 {
		t.Errorf("store holds %d contacts, want 999", c)
	}

	// Importing the same file again adds nothing.
	res, err = ImportCSV(ctx, s, strings.NewReader(contactsCSV(1000, 500)), Options{File: "contacts.csv", SkipInvalid: true})
	if err != nil || res.Contacts != 0 || res.AlreadyPresent != 999 {
		t.Errorf("second import = %+v, %v; want 999 already present", res, err)
	}
}

func TestImportCSVHeaderDetection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv     string
		orgs, contact int
		check         func(t *testing.T, s *store.Store)
	}{
		{
			name: "IT Glue contacts export",
			csv: "organization,first_name,last_name,title,contact_emails,contact_phones,notes\n" +
				"\"A&B Plumbing, Inc.\",Siobhán,O'Brien,Owner,\"Work: siobhan@abplumbing.example, Home: sob@mail.example\",+1 555 0100,VIP\n",
			orgs: 1, contact: 1,
			check: func(t *testing.T, s *store.Store) {
				rows, _ := s.Search(context.Background(), "siobhan", 0)
				if len(rows) != 1 {
					t.Fatalf("Search(siobhan) = %d rows", len(rows))
				}
				c, _ := s.Contact(context.Background(), rows[0].ID)
				if c.PrimaryEmail != "siobhan@abplumbing.example" || len(c.OtherEmails) != 1 || c.OfficePhone != "+1 555 0100" {
					t.Errorf("contact = %+v", c)
				}
			},
		},
		{
			name: "full name column",
			csv:  "Company,Full Name,E-mail\nContoso,\"Smith, John\",john@contoso.example\nContoso,Jane Doe,\n",
			orgs: 1, contact: 2,
			check: func(t *testing.T, s *store.Store) {
				rows, _ := s.Search(context.Background(), "john smith", 0)
				if len(rows) != 1 {
					t.Errorf("\"Smith, John\" not stored as John Smith")
				}
			},
		},
		{
			name: "organizations",
			csv:  "\ufeffOrganization Name,Organization Type,Domains\nFabrikam,Customer,fabrikam.example; https://www.fabrikam-shop.example/\n",
			orgs: 1,
			check: func(t *testing.T, s *store.Store) {
				orgs, _ := s.Orgs(context.Background())
				if len(orgs) != 1 || strings.Join(orgs[0].Domains, ",") != "fabrikam.example,fabrikam-shop.example" || orgs[0].Type != "Customer" {
					t.Errorf("orgs = %+v", orgs)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if _, err := ImportCSV(context.Background(), s, strings.NewReader(tt.csv), Options{File: "in.csv"}); err != nil {
				t.Fatal(err)
			}
			if o, c := count(t, s); o != tt.orgs || c != tt.contact {
				t.Errorf("got %d organizations, %d contacts; want %d, %d", o, c, tt.orgs, tt.contact)
			}
			tt.check(t, s)
		})
	}
}

func TestImportCSVRejectsUnknownFile(t *testing.T) {
	t.Parallel()
	_, err := ImportCSV(context.Background(), openStore(t), strings.NewReader("foo,bar\n1,2\n"), Options{File: "x.csv"})
	if err == nil || !strings.Contains(err.Error(), "cannot tell what this file holds") {
		t.Errorf("ImportCSV(unknown) = %v", err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	res, err := ImportCSV(context.Background(), s, strings.NewReader(contactsCSV(50, 0)), Options{File: "c.csv", DryRun: true})
	if err != nil || res.Contacts != 50 {
		t.Fatalf("dry run = %+v, %v", res, err)
	}
	if o, c := count(t, s); o != 0 || c != 0 {
		t.Errorf("dry run wrote %d organizations, %d contacts", o, c)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := openStore(t)
	if _, err := ImportCSV(ctx, src, strings.NewReader(contactsCSV(100, 0)), Options{File: "c.csv"}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			var orgsOut, contactsOut bytes.Buffer
			dst := openStore(t)
			var err error
			if format == "json" {
				if err := ExportJSON(ctx, src, &contactsOut, nil); err != nil {
					t.Fatal(err)
				}
				_, err = ImportJSON(ctx, dst, &contactsOut, Options{File: "all.json"})
			} else {
				if err := ExportCSV(ctx, src, &orgsOut, KindOrganizations, nil); err != nil {
					t.Fatal(err)
				}
				if err := ExportCSV(ctx, src, &contactsOut, KindContacts, nil); err != nil {
					t.Fatal(err)
				}
				if _, err := ImportCSV(ctx, dst, &orgsOut, Options{File: "orgs.csv"}); err != nil {
					t.Fatal(err)
				}
				_, err = ImportCSV(ctx, dst, &contactsOut, Options{File: "contacts.csv"})
			}
			if err != nil {
				t.Fatal(err)
			}
			so, sc := count(t, src)
			do, dc := count(t, dst)
			if so != do || sc != dc {
				t.Errorf("round trip: %d/%d organizations, %d/%d contacts", do, so, dc, sc)
			}
			rows, _ := dst.Search(ctx, "müller42", 0)
			if len(rows) != 1 || rows[0].Email != "user42@customer2.example" {
				t.Errorf("contact 42 after round trip = %v", rows)
			}
		})
	}
}
