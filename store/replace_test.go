package store

import (
	"context"
	"testing"
)

// TestReplaceTakesSourceContents replaces a database that holds data (and
// whose search rows are loaded) with another: afterwards it holds the
// source's records, finds them in a search, and new records get ids that
// follow the source's.
func TestReplaceTakesSourceContents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dst, src := openTemp(t), openTemp(t)
	if err := dst.PutOrg(ctx, &Organization{Name: "Old Demo Org"}); err != nil {
		t.Fatal(err)
	}
	if rows, err := dst.Search(ctx, "old demo", 10); err != nil || len(rows) != 1 {
		t.Fatalf("search before = %d rows, %v; want the old org", len(rows), err)
	}
	for _, name := range []string{"Contoso", "Fabrikam", "Northwind"} {
		if err := src.PutOrg(ctx, &Organization{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.Replace(ctx, src); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	orgs, err := dst.Orgs(ctx)
	if err != nil || len(orgs) != 3 {
		t.Fatalf("orgs after Replace = %v, %v; want the source's 3", orgs, err)
	}
	if rows, _ := dst.Search(ctx, "old demo", 10); len(rows) != 0 {
		t.Errorf("search after Replace still finds the replaced org: %v", rows)
	}
	if rows, _ := dst.Search(ctx, "fabrikam", 10); len(rows) != 1 {
		t.Errorf("search after Replace = %d rows for Fabrikam, want 1", len(rows))
	}
	next := &Organization{Name: "Added after"}
	if err := dst.PutOrg(ctx, next); err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs {
		if o.ID == next.ID {
			t.Errorf("a new org got id %d, which %q already has: the sequence was not copied", next.ID, o.Name)
		}
	}
	if info, err := dst.Info(ctx); err != nil || info.SchemaVersion != SchemaVersion {
		t.Errorf("info after Replace = %+v, %v", info, err)
	}
}
