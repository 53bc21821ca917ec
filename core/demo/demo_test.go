package demo_test

import (
	"context"
	"testing"

	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

func TestDemoSyncShowsEveryKindOfMatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := demo.Start(ctx, t.TempDir(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	eng := syncer.New(d.Store, d.Manager, syncer.Options{})
	run, err := eng.Sync(ctx, d.ConnectionID, store.TriggerManual, false)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if len(run.Tenants) != 12 {
		t.Errorf("synced %d tenants, want 12", len(run.Tenants))
	}
	var matched, suggested, ambiguous, bare int
	var locked *store.Contact
	err = d.Store.View(ctx, func(tx *store.Tx) error {
		tenants, err := tx.Tenants(d.ConnectionID)
		if err != nil {
			return err
		}
		for _, tn := range tenants {
			switch {
			case tn.MatchState == store.MatchMatched:
				matched++
				contacts, err := tx.OrgContacts(tn.OrgID)
				if err != nil {
					return err
				}
				for _, c := range contacts {
					if c.IsLocked(store.FieldTitle) && c.Link != nil {
						m, err := tx.Mirror(d.ConnectionID, tn.TenantID)
						if err != nil {
							return err
						}
						u, ok, err := m.User(c.Link.ObjectID)
						if err != nil || !ok {
							t.Errorf("locked contact's user %s: ok %v err %v", c.Link.ObjectID, ok, err)
							continue
						}
						if match.UserFields(&u).Title == c.Title {
							t.Errorf("locked title %q equals Microsoft's: the overlay would show no difference", c.Title)
						}
						locked = &c
					}
				}
			case len(tn.Suggestions) > 0 && tn.Suggestions[0].Ambiguous:
				ambiguous++
			case len(tn.Suggestions) > 0:
				suggested++
			default:
				bare++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("matched %d, suggested %d, ambiguous %d, no suggestion %d", matched, suggested, ambiguous, bare)
	if matched == 0 || suggested == 0 || ambiguous == 0 || bare == 0 {
		t.Errorf("matched %d, suggested %d, ambiguous %d, without suggestion %d: want some of each", matched, suggested, ambiguous, bare)
	}
	if locked == nil {
		t.Error("no linked contact with a locked title")
	} else if locked.Title != demo.LockedTitle {
		t.Errorf("locked title = %q, want %q (sync overwrote a locked field)", locked.Title, demo.LockedTitle)
	}
	for _, flag := range []store.RowFlags{store.RowLeaver, store.RowAmbiguous} {
		if rows, _ := d.Store.Rows(ctx, store.RowQuery{Kind: store.KindContact, With: flag}); len(rows) == 0 {
			t.Errorf("no contact flagged %v after the second sync", flag)
		}
	}
	local, err := d.Store.Rows(ctx, store.RowQuery{Kind: store.KindContact, LocalOnly: true})
	if err != nil || len(local) == 0 {
		t.Errorf("local-only contacts: %d, %v; want some", len(local), err)
	}
}

func TestDemoRestartsClean(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		d, err := demo.Start(ctx, dir, demo.Options{Tenants: 3})
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		var n int
		err = d.Store.View(ctx, func(tx *store.Tx) error {
			cs, err := tx.Connections()
			n = len(cs)
			return err
		})
		d.Close()
		if err != nil || n != 1 {
			t.Fatalf("start %d: %d connections (%v), want exactly the demo one", i, n, err)
		}
	}
}

func TestKeychainAndSealer(t *testing.T) {
	t.Parallel()
	kc := demo.NewKeychain()
	if _, err := kc.Get("x"); err == nil {
		t.Error("Get of a missing item: no error")
	}
	kc.Set("x", "s")
	if got, _ := kc.Get("x"); got != "s" {
		t.Errorf("Get = %q, want s", got)
	}
	kc.Delete("x")
	if _, err := kc.Get("x"); err == nil {
		t.Error("Get after Delete: no error")
	}
	sl := demo.NewSealer()
	ctx := context.Background()
	sl.Seal(ctx, "b", []byte("data"))
	if got, err := sl.Open(ctx, "b"); err != nil || string(got) != "data" {
		t.Errorf("Open = %q, %v", got, err)
	}
}
