package store

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), DBFile), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesSchema(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) != SchemaVersion {
		t.Errorf("len(migrations) = %d, SchemaVersion = %d: bump SchemaVersion with every migration", len(migrations), SchemaVersion)
	}
	if info.SchemaVersion != SchemaVersion {
		t.Errorf("SchemaVersion = %d, want %d", info.SchemaVersion, SchemaVersion)
	}
}

func TestOpenLockedAnswersWithinTimeout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if want := "tenantsync is already running with this data directory"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), DBFile)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchema, []byte(strconv.Itoa(SchemaVersion+1)))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("Open changed a database it refused")
	}
}

// testdata/schema1.db is a database written by schema 1 (this package
// while SchemaVersion was 1), holding fixtureOrgs and fixtureConnection:
// upgrades are tested on it as on a user's old file. Regenerate it, only
// while SchemaVersion is 1, with
//
//	go test ./store -run TestWriteSchema1Fixture -write-fixture
const schema1Fixture = "testdata/schema1.db"

var writeFixture = flag.Bool("write-fixture", false, "rewrite "+schema1Fixture+" (only while SchemaVersion is 1)")

var (
	fixtureOrgs = []struct {
		name     string
		domain   string
		contacts [][2]string // first and last name; the e-mail is first@domain
	}{
		{"Contoso Ltd", "contoso.example", [][2]string{{"Adele", "Vance"}, {"Alex", "Wilber"}}},
		{"Fabrikam Inc", "fabrikam.example", [][2]string{{"Diego", "Siciliani"}}},
		{"Müller GmbH", "mueller.example", [][2]string{{"Jürgen", "Müller"}, {"Zoë", "Weiß"}}},
	}
	fixtureConnection = Connection{ID: "partner-1", Name: "Partner Center", TenantID: "11111111-2222-3333-4444-555555555555"}
)

// TestWriteSchema1Fixture writes testdata/schema1.db when asked to.
func TestWriteSchema1Fixture(t *testing.T) {
	t.Parallel()
	if !*writeFixture {
		t.Skip("rewrites " + schema1Fixture + " only with -write-fixture")
	}
	if SchemaVersion != 1 {
		t.Fatalf("SchemaVersion is %d: the fixture must stay as schema 1 wrote it", SchemaVersion)
	}
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx *Tx) error {
		conn := fixtureConnection
		if err := tx.PutConnection(&conn); err != nil {
			return err
		}
		for _, fo := range fixtureOrgs {
			o := Organization{Name: fo.name, Domains: []string{fo.domain}}
			if err := tx.PutOrg(&o); err != nil {
				return err
			}
			for _, n := range fo.contacts {
				c := Contact{OrgID: o.ID, FirstName: n[0], LastName: n[1], PrimaryEmail: strings.ToLower(n[0]) + "@" + fo.domain}
				if err := tx.PutContact(&c); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(schema1Fixture, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureSummary is what the fixture holds, one line a record.
func fixtureSummary() []string {
	out := []string{"connection " + fixtureConnection.ID + " " + fixtureConnection.Name}
	for _, fo := range fixtureOrgs {
		out = append(out, "org "+fo.name)
		for _, n := range fo.contacts {
			out = append(out, "contact "+fo.name+": "+n[0]+" "+n[1]+" <"+strings.ToLower(n[0])+"@"+fo.domain+">")
		}
	}
	return out
}

// summarize lists a store's records as fixtureSummary does.
func summarize(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.View(context.Background(), func(tx *Tx) error {
		conns, err := tx.Connections()
		if err != nil {
			return err
		}
		for _, c := range conns {
			out = append(out, "connection "+c.ID+" "+c.Name)
		}
		orgs, err := tx.Orgs()
		if err != nil {
			return err
		}
		for _, o := range orgs {
			out = append(out, "org "+o.Name)
			cs, err := tx.OrgContacts(o.ID)
			if err != nil {
				return err
			}
			for _, c := range cs {
				out = append(out, "contact "+o.Name+": "+c.FirstName+" "+c.LastName+" <"+c.PrimaryEmail+">")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("summarize %s: %v", s.Path(), err)
	}
	return out
}

// copyFixture puts the schema 1 fixture in a new data directory.
func copyFixture(t *testing.T) (path string, data []byte) {
	t.Helper()
	data, err := os.ReadFile(schema1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), DBFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// schemaOf reads a file's schema version through a read-only open with
// the package's migrations.
func schemaOf(t *testing.T, path string) (int, []string) {
	t.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of %s: %v", path, err)
	}
	defer s.Close()
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.SchemaVersion, summarize(t, s)
}

// withSchema2 is the package's migrations and a hypothetical schema 2.
func withSchema2(step func(*bolt.Tx) error) []func(*bolt.Tx) error {
	return append(slices.Clip(migrations), step)
}

// TestUpgradeBacksUpFirst: opening the schema 1 fixture with a schema 2
// build writes a backup of the file as it was into the backups folder,
// then migrates; the backup opens at schema 1, the file at schema 2, both
// with the fixture's records.
func TestUpgradeBacksUpFirst(t *testing.T) {
	t.Parallel()
	path, _ := copyFixture(t)
	v2 := []byte("v2")
	opt := Options{migrations: withSchema2(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(v2)
		return err
	})}
	s, err := Open(path, opt)
	if err != nil {
		t.Fatalf("Open with a schema 2 migration: %v", err)
	}
	want := fixtureSummary()
	if got := summarize(t, s); !slices.Equal(got, want) {
		t.Errorf("upgraded records = %q, want %q", got, want)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if v, _ := readVersion(tx); v != 2 {
			t.Errorf("schema after upgrade = %d, want 2", v)
		}
		if tx.Bucket(v2) == nil {
			t.Error("the schema 2 migration did not run")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	backups, err := Backups(path)
	if err != nil || len(backups) != 1 {
		t.Fatalf("Backups = %v, %v; want one", backups, err)
	}
	if dir := filepath.Dir(backups[0].Path); dir != BackupDir(path) || !strings.HasSuffix(backups[0].Path, "-before-schema-2.db") {
		t.Errorf("backup %s: want tenantsync-TIME-before-schema-2.db in %s", backups[0].Path, BackupDir(path))
	}
	version, got := schemaOf(t, backups[0].Path)
	if version != 1 || !slices.Equal(got, want) {
		t.Errorf("backup: schema %d with %q; want schema 1 with %q", version, got, want)
	}

	// At schema 2 there is nothing more to back up.
	s, err = Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if again, _ := Backups(path); len(again) != 1 {
		t.Errorf("reopening at schema 2 left %d backups, want 1", len(again))
	}
}

// TestFailedUpgradeChangesNothing: a migration that fails after writing
// leaves the file as it was, bytes and all (bbolt rolls the transaction
// back), and the backup taken before it.
func TestFailedUpgradeChangesNothing(t *testing.T) {
	t.Parallel()
	path, before := copyFixture(t)
	_, err := Open(path, Options{migrations: withSchema2(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketContacts); err != nil {
			return err
		}
		return errors.New("no room for the new index")
	})})
	if err == nil || !strings.Contains(err.Error(), "migrate schema 1 to 2: no room for the new index") {
		t.Fatalf("Open with a failing migration = %v, want its error", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a failed migration changed the file")
	}
	want := fixtureSummary()
	if version, got := schemaOf(t, path); version != 1 || !slices.Equal(got, want) {
		t.Errorf("after the failed upgrade: schema %d with %q; want schema 1 with %q", version, got, want)
	}
	backups, err := Backups(path)
	if err != nil || len(backups) != 1 {
		t.Fatalf("Backups = %v, %v; want the one taken before the migration", backups, err)
	}
	if version, got := schemaOf(t, backups[0].Path); version != 1 || !slices.Equal(got, want) {
		t.Errorf("backup: schema %d with %q; want schema 1 with %q", version, got, want)
	}
}

func TestContactIndexes(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	org := &Organization{Name: "Müller GmbH", Domains: []string{"Mueller.DE"}}
	if err := s.PutOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	c := &Contact{OrgID: org.ID, FirstName: "Jürgen", LastName: "Müller", PrimaryEmail: "J.Mueller@mueller.de",
		OtherEmails: []string{"jm@mueller.de"}, OfficePhone: "+49 30 1234-567",
		Link: &MSLink{ConnectionID: "c1", TenantID: "t1", ObjectID: "ABC"}}
	if err := s.PutContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	err := s.View(ctx, func(tx *Tx) error {
		if got := tx.ContactsByEmail("j.mueller@MUELLER.de"); len(got) != 1 || got[0] != c.ID {
			t.Errorf("ContactsByEmail(primary) = %v, want [%d]", got, c.ID)
		}
		if got := tx.ContactsByEmail("jm@mueller.de"); len(got) != 1 {
			t.Errorf("ContactsByEmail(other) = %v, want one", got)
		}
		if id, ok := tx.ContactByObjectID("t1", "abc"); !ok || id != c.ID {
			t.Errorf("ContactByObjectID = %d, %v, want %d", id, ok, c.ID)
		}
		if got, _ := tx.OrgContacts(org.ID); len(got) != 1 {
			t.Errorf("OrgContacts = %d contacts, want 1", len(got))
		}
		if got, _ := tx.OrgsByName("  MÜLLER   gmbh "); len(got) != 1 {
			t.Errorf("OrgsByName = %v, want Müller GmbH", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Changing the e-mail and unlinking must drop the old index entries.
	c.PrimaryEmail, c.OtherEmails, c.Link = "juergen@mueller.de", nil, nil
	if err := s.PutContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx *Tx) error {
		if got := tx.ContactsByEmail("j.mueller@mueller.de"); len(got) != 0 {
			t.Errorf("old e-mail still indexed: %v", got)
		}
		if _, ok := tx.ContactByObjectID("t1", "abc"); ok {
			t.Error("old link still indexed")
		}
		if got := tx.ContactsByEmail("juergen@mueller.de"); len(got) != 1 {
			t.Errorf("new e-mail not indexed: %v", got)
		}
		return nil
	})
}

func TestSearchFoldsCaseAndDiacritics(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	org := &Organization{Name: "Ørsted Heating A/S"}
	if err := s.PutOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Contact{
		{OrgID: org.ID, FirstName: "Jürgen", LastName: "Müller", PrimaryEmail: "jm@orsted.example", Title: "Café Manager", Mobile: "+45 20 30 40 50"},
		{OrgID: org.ID, FirstName: "Anna", LastName: "Schmidt", PrimaryEmail: "anna@orsted.example"},
	} {
		if err := s.PutContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"muller", []string{"Jürgen Müller"}},
		{"MÜLLER", []string{"Jürgen Müller"}},
		{"cafe", []string{"Jürgen Müller"}},
		{"20304050", []string{"Jürgen Müller"}},
		{"orsted", []string{"Ørsted Heating A/S", "Anna Schmidt", "Jürgen Müller"}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		rows, err := s.Search(ctx, tt.q, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Name)
		}
		if !equal(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}

	// The in-memory index follows later writes.
	if err := s.PutContact(ctx, &Contact{OrgID: org.ID, FirstName: "Zoë", LastName: "Müller"}); err != nil {
		t.Fatal(err)
	}
	rows, _ := s.Search(ctx, "muller", 0)
	if len(rows) != 2 {
		t.Errorf("after insert Search(muller) = %d rows, want 2", len(rows))
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.DeleteContact(rows[0].ID) }); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.Search(ctx, "muller", 0); len(rows) != 1 {
		t.Errorf("after delete Search(muller) = %d rows, want 1", len(rows))
	}
	if got := s.OrgName(org.ID); got != org.Name {
		t.Errorf("OrgName = %q, want %q", got, org.Name)
	}
}

func TestRowFilters(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	org := &Organization{Name: "Contoso"}
	other := &Organization{Name: "Fabrikam"}
	for _, o := range []*Organization{org, other} {
		if err := s.PutOrg(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	link := &MSLink{ConnectionID: "c", TenantID: "t", ObjectID: "o1"}
	cs := []*Contact{
		{OrgID: org.ID, FirstName: "Linked", Link: link, Source: SourceTenant},
		{OrgID: org.ID, FirstName: "Leaver", Link: &MSLink{ConnectionID: "c", TenantID: "t", ObjectID: "o2"}, Flags: []string{FlagLeaver}},
		{OrgID: org.ID, FirstName: "Local"},
		{OrgID: other.ID, FirstName: "Elsewhere"},
	}
	for _, c := range cs {
		if err := s.PutContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    RowQuery
		want []string
	}{
		{"org contacts", RowQuery{Kind: KindContact, OrgID: org.ID}, []string{"Leaver", "Linked", "Local"}},
		{"leavers", RowQuery{With: RowLeaver}, []string{"Leaver"}},
		{"synced", RowQuery{With: RowLinked}, []string{"Leaver", "Linked"}},
		{"local only", RowQuery{LocalOnly: true}, []string{"Elsewhere", "Local"}},
		{"orgs", RowQuery{Kind: KindOrg}, []string{"Contoso", "Fabrikam"}},
		{"limit", RowQuery{Kind: KindContact, Limit: 2}, []string{"Elsewhere", "Leaver"}},
	}
	for _, tt := range tests {
		rows, err := s.Rows(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Name)
		}
		if !equal(got, tt.want) {
			t.Errorf("%s: Rows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRowsSurviveReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), DBFile)
	ctx := context.Background()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	org := &Organization{Name: "Contoso"}
	if err := s.PutOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := s.PutContact(ctx, &Contact{OrgID: org.ID, FirstName: "Ana", LastName: "Ñúñez", OfficePhone: "555-0100", Flags: []string{FlagAmbiguous}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Search(ctx, "nunez", 0)
	if err != nil || len(rows) != 1 {
		t.Fatalf("Search after reopen = %v, %v", rows, err)
	}
	r := rows[0]
	if r.Name != "Ana Ñúñez" || r.Phone != "555-0100" || r.OrgID != org.ID || r.Flags&RowAmbiguous == 0 {
		t.Errorf("row after reopen = %+v", *r)
	}
}

func TestTenantsDecisionsAndMirror(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutConnection(&Connection{ID: "c1", Name: "Partner"}); err != nil {
			return err
		}
		for _, tn := range []Tenant{{ConnectionID: "c1", TenantID: "t2", DisplayName: "Zeta"}, {ConnectionID: "c1", TenantID: "t1", DisplayName: "Alpha"}, {ConnectionID: "c2", TenantID: "t3", DisplayName: "Other"}} {
			if err := tx.PutTenant(&tn); err != nil {
				return err
			}
		}
		if err := tx.PutDecision("c1", "t1", Decision{State: MatchIgnored}); err != nil {
			return err
		}
		m, err := tx.Mirror("c1", "t1")
		if err != nil {
			return err
		}
		if err := m.PutUser(&DirectoryUser{ObjectID: "U1", UPN: "a@alpha.example"}); err != nil {
			return err
		}
		if err := m.ReplaceLicenses([]License{{SKUID: "sku", PartNumber: "SPE_E3"}}); err != nil {
			return err
		}
		return m.SetDeltaLink("https://graph.example/delta?token=1")
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx *Tx) error {
		tns, err := tx.Tenants("c1")
		if err != nil || len(tns) != 2 || tns[0].DisplayName != "Alpha" {
			t.Errorf("Tenants(c1) = %v, %v; want Alpha, Zeta", tns, err)
		}
		d, ok, err := tx.Decision("c1", "t1")
		if err != nil || !ok || d.State != MatchIgnored {
			t.Errorf("Decision = %v %v %v", d, ok, err)
		}
		m, _ := tx.Mirror("c1", "t1")
		if u, ok, _ := m.User("u1"); !ok || u.UPN != "a@alpha.example" {
			t.Errorf("User(u1) = %v, %v", u, ok)
		}
		if m.DeltaLink() == "" {
			t.Error("delta link lost")
		}
		empty, _ := tx.Mirror("c1", "never")
		if empty.UserCount() != 0 || empty.DeltaLink() != "" {
			t.Error("unsynced tenant has a mirror")
		}
		return nil
	})
	if err := s.Update(ctx, func(tx *Tx) error { return tx.DeleteConnection("c1") }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx *Tx) error {
		if tns, _ := tx.Tenants("c1"); len(tns) != 0 {
			t.Errorf("tenants left after DeleteConnection: %v", tns)
		}
		if tns, _ := tx.Tenants("c2"); len(tns) != 1 {
			t.Errorf("other connection's tenants = %v, want one", tns)
		}
		m, _ := tx.Mirror("c1", "t1")
		if m.UserCount() != 0 {
			t.Error("mirror left after DeleteConnection")
		}
		return nil
	})
}

func TestRunsNewestFirst(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		for i, conn := range []string{"a", "b", "a", "a"} {
			if err := tx.PutRun(&SyncRun{ConnectionID: conn, Trigger: Trigger(strconv.Itoa(i))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx *Tx) error {
		runs, _ := tx.Runs("a", 2)
		if len(runs) != 2 || runs[0].Trigger != "3" || runs[1].Trigger != "2" {
			t.Errorf("Runs(a, 2) = %+v, want triggers 3, 2", runs)
		}
		all, _ := tx.Runs("", 0)
		if len(all) != 4 || all[0].Trigger != "3" {
			t.Errorf("Runs(all) = %d runs", len(all))
		}
		if runs, _ := tx.Runs("b", 0); len(runs) != 1 {
			t.Errorf("Runs(b) = %d, want 1", len(runs))
		}
		return nil
	})
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Müller", "muller"},
		{"  A   and\tB ", "a and b"},
		{"Straße", "strasse"},
		{"Øyvind Ærø", "oyvind aero"},
		{"plain ascii", "plain ascii"},
		{"Дмитрий", "дмитрии"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// OrgContactsFor leaves out only the contacts linked to other users of the
// same tenant.
func TestOrgContactsForADelta(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	org := &Organization{Name: "Contoso"}
	if err := s.PutOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	contacts := []*Contact{
		{OrgID: org.ID, FirstName: "Adele", LastName: "Vance", Link: &MSLink{TenantID: "t1", ObjectID: "U1"}},
		{OrgID: org.ID, FirstName: "Ben", LastName: "Walters", Link: &MSLink{TenantID: "t1", ObjectID: "u2"}},
		{OrgID: org.ID, FirstName: "Cora", LastName: "Ng"},
		{OrgID: org.ID, FirstName: "Dan", LastName: "Ito", Link: &MSLink{TenantID: "t2", ObjectID: "u2"}},
	}
	for _, c := range contacts {
		if err := s.PutContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := s.View(ctx, func(tx *Tx) error {
		cs, err := tx.OrgContactsFor(org.ID, "t1", []string{"u1"})
		for _, c := range cs {
			got = append(got, c.FirstName)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Adele", "Cora", "Dan"}; !slices.Equal(got, want) {
		t.Errorf("OrgContactsFor(t1, [u1]) = %v, want %v", got, want)
	}
}

// TestOpenZeroLengthFile: a first run killed before its first write (or on
// a full disk) leaves an empty tenantsync.db; the next open must make it a
// database, not fail for ever.
func TestOpenZeroLengthFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), DBFile)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open(empty file) = %v, want a new database", err)
	}
	defer s.Close()
	if _, err := s.Info(context.Background()); err != nil {
		t.Errorf("Info on the new database: %v", err)
	}
}

// TestOpenMarksDeadSyncsInterrupted: a process killed mid-sync leaves its
// connection and run "syncing"; the next open calls them interrupted and
// makes the connection due again.
func TestOpenMarksDeadSyncsInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		connStatus Status // what the dead process saved for the connection
		readOnly   bool   // status and logs open read-only
	}{
		{"syncing, writing open", StatusSyncing, false},
		{"syncing, read-only open", StatusSyncing, true},
		// Killed between saving the run and the connection's status.
		{"run saved, connection not yet", StatusOK, false},
		{"run saved, connection not yet, read-only open", StatusOK, true},
	} {
		path := filepath.Join(t.TempDir(), DBFile)
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var runID uint64
		err = s.Update(ctx, func(tx *Tx) error {
			c := Connection{ID: "c1", Name: "Partner", Status: tc.connStatus}
			if err := tx.PutConnection(&c); err != nil {
				return err
			}
			r := SyncRun{ConnectionID: "c1", Status: StatusSyncing, Start: time.Now()}
			err := tx.PutRun(&r)
			runID = r.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Close() // as kill -9 would leave it: nothing finished the run
		before, _ := os.ReadFile(path)
		s, err = Open(path, Options{ReadOnly: tc.readOnly})
		if err != nil {
			t.Fatal(err)
		}
		err = s.View(ctx, func(tx *Tx) error {
			c, err := tx.Connection("c1")
			if err != nil {
				return err
			}
			if tc.connStatus == StatusSyncing && (c.Status != StatusInterrupted || c.NextSync.IsZero() || c.NextSync.After(time.Now())) {
				t.Errorf("%s: connection after reopen: status %q next %v; want interrupted and due now", tc.name, c.Status, c.NextSync)
			}
			r, err := tx.Run(runID)
			if err != nil {
				return err
			}
			runs, err := tx.Runs("c1", 1)
			if err != nil {
				return err
			}
			if r.Status != StatusInterrupted || len(runs) != 1 || runs[0].Status != StatusInterrupted {
				t.Errorf("%s: run after reopen: %q (in the list: %v), want interrupted", tc.name, r.Status, runs)
			}
			return nil
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := os.ReadFile(path); tc.readOnly && !bytes.Equal(before, after) {
			t.Errorf("%s: the read-only open changed the file", tc.name)
		}
	}
}

// TestOpenNamesDamage: a truncated file and another program's file are named as a damaged database (ErrDamaged), never a
// panic, and the file is left as it was.
func TestOpenNamesDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		err := s.Update(ctx, func(tx *Tx) error {
			o := Organization{Name: fmt.Sprintf("Org %03d with a long enough name to fill pages", i), Notes: strings.Repeat("note ", 40)}
			return tx.PutOrg(&o)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	try := func(name string, data []byte) (opened bool) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var s *Store
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: Open panicked: %v", name, r)
				}
			}()
			s, err = Open(path, Options{})
		}()
		if err == nil {
			// What opened reads without a panic: a bad record is an error.
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: reading the opened file panicked: %v", name, r)
					}
				}()
				s.Info(ctx)
				s.View(ctx, func(tx *Tx) error { _, err := tx.Orgs(); return err })
			}()
			s.Close()
			return true
		}
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: Open = %v, want ErrDamaged", name, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
			t.Errorf("%s: Open changed the damaged file", name)
		}
		return false
	}
	if try("truncated.db", orig[:len(orig)/pageSize/2*pageSize]) {
		t.Error("a database truncated to half its pages opened")
	}
	if try("foreign.db", []byte(strings.Repeat("not a database at all ", 500))) {
		t.Error("a text file opened as a database")
	}
	// Random bit flips: TestDamagedFilesNeverPanic.
}

// TestBackupsRollAndRestore: backups are consistent copies that open, the
// newest KeepBackups stay, and Restore puts one back while keeping the file
// it replaces.
func TestBackupsRollAndRestore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < KeepBackups+2; i++ {
		err := s.Update(ctx, func(tx *Tx) error {
			o := Organization{Name: fmt.Sprintf("Org %d", i)}
			return tx.PutOrg(&o)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Backup(ctx, "test"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := Backups(path)
	if err != nil || len(list) != KeepBackups {
		t.Fatalf("Backups = %d, %v; want the newest %d", len(list), err, KeepBackups)
	}
	// Restore refuses while the database is open here.
	if _, err := Restore(path, list[len(list)-1].Path); !errors.Is(err, ErrLocked) {
		t.Errorf("Restore while open = %v, want ErrLocked", err)
	}
	s.Close()
	oldest := list[len(list)-1] // holds 3 organizations (the first two backups were pruned)
	before, err := os.ReadFile(oldest.Path)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := Restore(path, oldest.Path)
	if err != nil {
		t.Fatal(err)
	}
	if after, err := os.ReadFile(oldest.Path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("Restore changed the backup it restored (%v)", err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("the replaced database was not kept: %v", err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info, err := s.Info(ctx)
	if err != nil || info.Organizations != 3 {
		t.Errorf("after restoring the oldest kept backup: %d organizations, %v; want 3", info.Organizations, err)
	}
}

// TestViewSalvagingSkipsUnreadableRecords: one damaged record fails a
// plain read, while a salvaging read (what export uses) skips it, says
// which, and returns the rest.
func TestViewSalvagingSkipsUnreadableRecords(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	var orgID, badID uint64
	err := s.Update(ctx, func(tx *Tx) error {
		o := Organization{Name: "Contoso"}
		if err := tx.PutOrg(&o); err != nil {
			return err
		}
		orgID = o.ID
		for _, n := range []string{"Ann", "Bob", "Cy"} {
			c := Contact{OrgID: o.ID, FirstName: n, LastName: "Lee", PrimaryEmail: strings.ToLower(n) + "@contoso.example.com"}
			if err := tx.PutContact(&c); err != nil {
				return err
			}
			badID = c.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Damage the last contact's record as a disk error would.
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketContacts).Put(idKey(badID), []byte("{\x00garbage")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx *Tx) error { _, err := tx.OrgContacts(orgID); return err }); err == nil {
		t.Error("a plain read of a damaged record succeeded")
	}
	var skipped []string
	var got []Contact
	err = s.ViewSalvaging(ctx, func(what string, err error) { skipped = append(skipped, what) }, func(tx *Tx) error {
		var err error
		got, err = tx.OrgContacts(orgID)
		return err
	})
	if err != nil || len(got) != 2 || len(skipped) != 1 || skipped[0] != fmt.Sprintf("contact %d", badID) {
		t.Errorf("salvaging read = %d contacts, skipped %v, %v; want 2 and the damaged one named", len(got), skipped, err)
	}
}

// TestReadOnlyOpenChangesNothing: a read-only open neither creates nor
// writes: the file's bytes stay as they were, even a run left "syncing".
func TestReadOnlyOpenChangesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("read-only open of no file = %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a read-only open created the database")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = s.Update(ctx, func(tx *Tx) error {
		c := Connection{ID: "c1", Name: "P", Status: StatusSyncing}
		return tx.PutConnection(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(path)
	// The normal open would mark the connection interrupted (a write).
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Info(ctx); err != nil {
		t.Errorf("Info read-only: %v", err)
	}
	if err := ro.Update(ctx, func(tx *Tx) error { return nil }); err == nil {
		t.Error("a write transaction on a read-only store succeeded")
	}
	ro.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a read-only open changed the file")
	}
}
