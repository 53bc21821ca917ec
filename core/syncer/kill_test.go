package syncer_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/core/testkit"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// The child side of TestKillDuringSync: the same engine code path that
// `tenantsync sync` runs, in a process the parent kills with SIGKILL.
const childEnv = "TENANTSYNC_TEST_SYNC_CHILD"

// fileSizeEnv makes the sync child limit the size of the files it writes
// (RLIMIT_FSIZE, Linux: see fulldisk_test.go): the database cannot grow
// past it, as on a full disk. Go ignores SIGXFSZ, so the write fails with
// EFBIG.
const fileSizeEnv = "TENANTSYNC_TEST_FSIZE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	secrets.MockInit()
	kc := secrets.NewKeychain("tenantsync-test")
	for _, kv := range strings.Split(os.Getenv("TENANTSYNC_TEST_KEYS"), "\n") {
		if item, val, ok := strings.Cut(kv, "="); ok {
			kc.Set(item, val)
		}
	}
	s, err := store.Open(os.Getenv("TENANTSYNC_TEST_DB"), store.Options{})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer s.Close()
	ca, _ := os.ReadFile(os.Getenv("TENANTSYNC_TEST_CA"))
	net := childNetwork(ca)
	mgr := connections.NewManager(s, kc, secrets.NewVault(kc, s), net)
	eng := syncer.New(s, mgr, syncer.Options{Tenants: 4})
	events, stop := eng.Subscribe()
	defer stop()
	go func() {
		for ev := range events {
			if ev.Kind == syncer.TenantDone {
				fmt.Println("tenant done", ev.TenantsDone)
			}
		}
	}()
	if lim := os.Getenv(fileSizeEnv); lim != "" {
		if err := limitFileSize(lim); err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	fmt.Println("started")
	if _, err := eng.Sync(context.Background(), os.Getenv("TENANTSYNC_TEST_CONN"), store.TriggerManual, false); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("finished")
	return 0
}

// childFixture is a database for sync children (syncChild): an app-mode
// connection to sim and an organization per customer, closed so a child
// can open it.
func childFixture(t *testing.T, opt m365sim.Options) (*m365sim.Server, string, store.Connection) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim := testkit.Sim(t, opt)
	info := sim.Info()
	dbPath := filepath.Join(t.TempDir(), store.DBFile)
	s, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mgr := testkit.Manager(t, ctx, s, sim, connections.Network{})
	conn, err := mgr.Create(ctx, connections.Form{Name: "Apps", Mode: store.ModeApp, TenantID: info.PartnerTenantID,
		ClientID: info.ClientID, Secret: info.ClientSecret, RedirectPort: 8400})
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range sim.Customers() {
		if err := s.PutOrg(ctx, &store.Organization{Name: cu.DisplayName}); err != nil {
			t.Fatal(err)
		}
	}
	return sim, dbPath, conn
}

// syncChild is this test binary run as a sync child (runChild) of conn in
// the database at dbPath.
func syncChild(sim *m365sim.Server, dbPath string, conn store.Connection, env ...string) *exec.Cmd {
	info := sim.Info()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "TENANTSYNC_TEST_DB="+dbPath, "TENANTSYNC_TEST_CONN="+conn.ID,
		"TENANTSYNC_TEST_CA="+info.CAPEMPath, "TENANTSYNC_TEST_KEYS="+conn.SecretRef+"="+info.ClientSecret)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// TestKillDuringSync kills a syncing process 20 times at random moments and
// checks after each kill that the database opens and that every tenant holds
// one whole snapshot: its mirror equals the cloud as it was at some round,
// and its contacts agree with its mirror.
func TestKillDuringSync(t *testing.T) {
	t.Parallel()
	sim, dbPath, conn := childFixture(t, m365sim.Options{Seed: 31, Tenants: 12, UsersPerTenant: 40, CleanTenants: true, DisableThrottling: true})
	cs := sim.Customers()

	// rounds[k][tenant] is the set of user ids after k rounds of changes.
	ctl := sim.Control()
	rounds := []map[string]string{snapshotUsers(t, ctl, cs)}
	rng := rand.New(rand.NewSource(7))
	kills, finished, committed := 0, 0, 0
	for attempt := 0; attempt < 20; attempt++ {
		// Change every tenant so the next snapshot differs from the last.
		for _, cu := range cs {
			if _, err := ctl.AddUser(cu.ID, m365sim.UserSpec{GivenName: "Round", Surname: fmt.Sprintf("Hire%d", attempt), Licenses: []string{cu.SKUs[0]}}); err != nil {
				t.Fatal(err)
			}
		}
		rounds = append(rounds, snapshotUsers(t, ctl, cs))

		cmd := syncChild(sim, dbPath, conn)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of tenants (0 = as soon as it starts;
		// past the last tenant = let it finish).
		killAfter := rng.Intn(len(cs) + 2)
		sc := bufio.NewScanner(out)
		seen, killed := 0, false
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error:") {
				t.Fatalf("child: %s", line)
			}
			if line == "started" && killAfter == 0 || strings.HasPrefix(line, "tenant done") && func() bool { seen++; return seen >= killAfter }() {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break
			}
		}
		cmd.Wait()
		if killed {
			kills++
		} else {
			finished++
		}
		committed = checkSnapshots(t, dbPath, conn.ID, rounds)
	}
	t.Logf("%d kills, %d completed runs; every tenant held a whole snapshot after each; %d of %d tenants committed at the end", kills, finished, committed, len(cs))
	if committed == 0 {
		t.Error("no tenant was ever committed: the checks proved nothing")
	}
	if kills < 10 {
		t.Errorf("only %d of 20 runs were killed: the test did not exercise kills", kills)
	}
}

// snapshotUsers renders each tenant's user ids as a sorted list.
func snapshotUsers(t *testing.T, ctl *m365sim.Control, cs []m365sim.TenantInfo) map[string]string {
	out := map[string]string{}
	for _, cu := range cs {
		us, err := ctl.Users(cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, 0, len(us))
		for _, u := range us {
			ids = append(ids, strings.ToLower(u.ID))
		}
		sort.Strings(ids)
		out[cu.ID] = strings.Join(ids, ",")
	}
	return out
}

func checkSnapshots(t *testing.T, dbPath, connID string, rounds []map[string]string) (committed int) {
	t.Helper()
	s, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("database does not open after a kill: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx *store.Tx) error {
		tns, err := tx.Tenants(connID)
		if err != nil {
			return err
		}
		for _, tn := range tns {
			m, err := tx.Mirror(connID, tn.TenantID)
			if err != nil {
				return err
			}
			var ids []string
			m.ForEachUser(func(u *store.DirectoryUser) error { ids = append(ids, strings.ToLower(u.ObjectID)); return nil })
			if len(ids) == 0 {
				continue // never committed: the whole old (empty) snapshot
			}
			committed++
			sort.Strings(ids)
			got := strings.Join(ids, ",")
			round := -1
			for k, r := range rounds {
				if r[tn.TenantID] == got {
					round = k
				}
			}
			if round < 0 {
				t.Errorf("tenant %s holds %d users matching no snapshot of the cloud", tn.DisplayName, len(ids))
				continue
			}
			if m.DeltaLink() == "" {
				t.Errorf("tenant %s has users but no delta link: snapshot committed in parts", tn.DisplayName)
			}
			if tn.MatchState == store.MatchMatched {
				linked := 0
				cs, _ := tx.OrgContacts(tn.OrgID)
				for _, c := range cs {
					if c.Link != nil && c.Link.TenantID == tn.TenantID {
						if _, ok, _ := m.User(c.Link.ObjectID); !ok && !c.HasFlag(store.FlagLeaver) {
							t.Errorf("tenant %s: contact %q linked to a user missing from the mirror", tn.DisplayName, c.Name())
						}
						linked++
					}
				}
				if linked == 0 {
					t.Errorf("tenant %s is matched with %d users but has no contacts: contacts not committed with the mirror", tn.DisplayName, len(ids))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return committed
}

// childNetwork trusts the simulated cloud's CA; the connection record says
// where it is.
func childNetwork(caPEM []byte) connections.Network {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}
	return connections.Network{HTTP: &http.Client{Transport: tr}, Transport: tr}
}
