package syncer_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/core/testkit"
	"github.com/tenantsync/tenantsync/store"
)

// fixture is a data directory wired to a running simulated cloud, with a
// signed-in GDAP connection.
type fixture struct {
	t      *testing.T
	sim    *m365sim.Server
	store  *store.Store
	mgr    *connections.Manager
	engine *syncer.Engine
	conn   store.Connection
	ctx    context.Context
}

// newFixture wires a data directory to a simulated cloud with opt; wrap,
// when given, wraps the transport every request takes.
func newFixture(t *testing.T, opt m365sim.Options, wrap ...func(http.RoundTripper) http.RoundTripper) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sim := testkit.Sim(t, opt)
	s := testkit.Store(t)
	n := demo.Network(ctx, sim)
	for _, w := range wrap {
		n.Transport = w(n.Transport)
		n.HTTP = &http.Client{Transport: n.Transport}
	}
	mgr := testkit.Manager(t, ctx, s, sim, n)
	conn := testkit.GDAP(t, ctx, mgr, sim)
	return &fixture{t: t, sim: sim, store: s, mgr: mgr, engine: syncer.New(s, mgr, syncer.Options{}), conn: conn, ctx: ctx}
}

func (f *fixture) sync() store.SyncRun {
	f.t.Helper()
	run, err := f.engine.Sync(f.ctx, f.conn.ID, store.TriggerManual, false)
	if err != nil {
		f.t.Fatalf("Sync: %v", err)
	}
	return run
}

func (f *fixture) tenant(id string) store.Tenant {
	f.t.Helper()
	var tn store.Tenant
	if err := f.store.View(f.ctx, func(tx *store.Tx) error {
		var err error
		tn, err = tx.Tenant(f.conn.ID, id)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return tn
}

// eligible is the default rule, written from DESIGN.md and the sim's ground
// truth (not from core/match): enabled members holding a license, not shared
// mailboxes.
func eligible(u m365sim.User) bool {
	return u.AccountEnabled && u.UserType == "Member" && len(u.Licenses) > 0 && u.Kind != "shared"
}

// snapshot is what the store holds for an organization: linked contacts by
// object id, and local ones.
type snapshot struct {
	linked map[string]store.Contact
	local  []store.Contact
}

func (f *fixture) orgSnapshot(orgID uint64) snapshot {
	f.t.Helper()
	snap := snapshot{linked: map[string]store.Contact{}}
	err := f.store.View(f.ctx, func(tx *store.Tx) error {
		cs, err := tx.OrgContacts(orgID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Link == nil {
				snap.local = append(snap.local, c)
				continue
			}
			if prev, dup := snap.linked[c.Link.ObjectID]; dup {
				f.t.Errorf("duplicate: contacts %d and %d both linked to %s", prev.ID, c.ID, c.Link.ObjectID)
			}
			snap.linked[c.Link.ObjectID] = c
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return snap
}

// checkOrg asserts that an organization holds exactly one linked contact per
// eligible user of the tenant, plus leavers that were linked before.
func (f *fixture) checkOrg(tenantID string, orgID uint64, leavers map[string]bool) snapshot {
	f.t.Helper()
	users, err := f.sim.Control().Users(tenantID)
	if err != nil {
		f.t.Fatal(err)
	}
	snap := f.orgSnapshot(orgID)
	want := map[string]bool{}
	for _, u := range users {
		if eligible(u) {
			want[u.ID] = true
			c, ok := snap.linked[u.ID]
			if !ok {
				f.t.Errorf("tenant %s: eligible user %s (%s) has no contact", tenantID, u.UPN, u.DisplayName)
				continue
			}
			if c.HasFlag(store.FlagLeaver) {
				f.t.Errorf("%s is flagged as a leaver but is active", u.UPN)
			}
		}
	}
	for oid, c := range snap.linked {
		if want[oid] {
			continue
		}
		if !leavers[oid] {
			f.t.Errorf("tenant %s: contact %q linked to %s, who is not an eligible user nor an expected leaver", tenantID, c.Name(), oid)
		} else if !c.HasFlag(store.FlagLeaver) {
			f.t.Errorf("contact %q of a leaver is not flagged", c.Name())
		}
	}
	return snap
}

// TestFullThenDeltaSync is the end-to-end check of issue 5: a full sync of 30
// tenants x 100 users, technician decisions, changes in one tenant, and a
// delta sync that brings exactly those changes.
func TestFullThenDeltaSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 21, Tenants: 30, UsersPerTenant: 100, CleanTenants: true, DisableThrottling: true})
	cs := f.sim.Customers()
	sort.Slice(cs, func(i, j int) bool { return cs[i].DisplayName < cs[j].DisplayName })

	// Local documentation: exact names for the first ten tenants, a variant
	// for the eleventh, and a local contact whose e-mail is a user's alias.
	orgOf := map[string]uint64{}
	for i, cu := range cs[:11] {
		name := cu.DisplayName
		if i == 10 {
			name = strings.ToUpper(name) + " Holdings"
		}
		o := &store.Organization{Name: name}
		if err := f.store.PutOrg(f.ctx, o); err != nil {
			t.Fatal(err)
		}
		orgOf[cu.ID] = o.ID
	}
	users0, _ := f.sim.Control().Users(cs[0].ID)
	var aliasUser m365sim.User
	for _, u := range users0 {
		if eligible(u) && len(u.ProxyAddresses) > 1 {
			aliasUser = u
			break
		}
	}
	secondary := ""
	for _, p := range aliasUser.ProxyAddresses {
		if strings.HasPrefix(p, "smtp:") {
			secondary = strings.TrimPrefix(p, "smtp:")
		}
	}
	if secondary == "" {
		t.Fatalf("sim tenant %s has no user with a secondary alias", cs[0].DisplayName)
	}
	local := &store.Contact{OrgID: orgOf[cs[0].ID], FirstName: "Pre", LastName: "Existing", PrimaryEmail: strings.ToUpper(secondary)}
	localOnly := &store.Contact{OrgID: orgOf[cs[0].ID], FirstName: "Only", LastName: "Local", PrimaryEmail: "only.local@example.net"}
	for _, c := range []*store.Contact{local, localOnly} {
		if err := f.store.PutContact(f.ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	run := f.sync()
	if run.Status != store.StatusOK && run.Status != store.StatusWarning {
		t.Fatalf("first sync status %s: %+v", run.Status, run.Log)
	}
	if len(run.Tenants) != 30 {
		t.Fatalf("first sync synced %d tenants, want 30", len(run.Tenants))
	}
	for _, cu := range cs[:10] {
		tn := f.tenant(cu.ID)
		if tn.MatchState != store.MatchMatched || tn.OrgID != orgOf[cu.ID] {
			t.Errorf("%s: %s to %d, want matched by exact name to %d", cu.DisplayName, tn.MatchState, tn.OrgID, orgOf[cu.ID])
		}
		f.checkOrg(cu.ID, orgOf[cu.ID], nil)
	}
	snap := f.orgSnapshot(orgOf[cs[0].ID])
	if c := snap.linked[aliasUser.ID]; c.ID != local.ID {
		t.Errorf("user %s should have linked the existing contact %d through its alias, got contact %d", aliasUser.UPN, local.ID, c.ID)
	}
	if len(snap.local) != 1 || snap.local[0].ID != localOnly.ID {
		t.Errorf("local-only contacts = %v, want just %q", snap.local, localOnly.Name())
	}

	// Decisions: accept the suggestion for the variant, create an organization
	// for another tenant, ignore a third.
	variant := f.tenant(cs[10].ID)
	if variant.MatchState != store.MatchUnmatched || len(variant.Suggestions) == 0 || variant.Suggestions[0].OrgID != orgOf[cs[10].ID] {
		t.Fatalf("variant tenant %s: %s, suggestions %+v; want a suggestion of org %d", cs[10].DisplayName, variant.MatchState, variant.Suggestions, orgOf[cs[10].ID])
	}
	if _, err := f.engine.Accept(f.ctx, f.conn.ID, []string{cs[10].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.CreateOrgs(f.ctx, f.conn.ID, []string{cs[20].ID}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Ignore(f.ctx, f.conn.ID, []string{cs[21].ID}); err != nil {
		t.Fatal(err)
	}
	created := f.tenant(cs[20].ID)
	orgOf[cs[20].ID] = created.OrgID
	// Matching creates the contacts at once from the saved directory.
	f.checkOrg(cs[10].ID, orgOf[cs[10].ID], nil)
	f.checkOrg(cs[20].ID, created.OrgID, nil)

	// Changes in tenant 0: add, rename, disable, delete, license removed.
	ctl := f.sim.Control()
	t0 := cs[0].ID
	var active []m365sim.User
	for _, u := range users0 {
		if eligible(u) && u.ID != aliasUser.ID {
			active = append(active, u)
		}
	}
	added, err := ctl.AddUser(t0, m365sim.UserSpec{GivenName: "Nadia", Surname: "Ørsted", JobTitle: "Bookkeeper", Licenses: []string{cs[0].SKUs[0]}})
	if err != nil {
		t.Fatal(err)
	}
	renamed := active[0]
	if _, err := ctl.RenameUser(t0, renamed.ID, "Renée", "Lindqvist"); err != nil {
		t.Fatal(err)
	}
	disabled, deleted, unlicensed := active[1], active[2], active[3]
	if _, err := ctl.DisableUser(t0, disabled.ID); err != nil {
		t.Fatal(err)
	}
	if err := ctl.DeleteUser(t0, deleted.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.SetLicenses(t0, unlicensed.ID, nil); err != nil {
		t.Fatal(err)
	}
	before := f.orgSnapshot(orgOf[t0])

	ctl.ResetCounters()
	run = f.sync()
	leavers := map[string]bool{disabled.ID: true, deleted.ID: true, unlicensed.ID: true}
	after := f.checkOrg(t0, orgOf[t0], leavers)
	if _, ok := after.linked[added.ID]; !ok {
		t.Errorf("added user %s has no contact after the delta sync", added.UPN)
	}
	if c := after.linked[renamed.ID]; c.ID != before.linked[renamed.ID].ID || c.FirstName != "Renée" || c.LastName != "Lindqvist" {
		t.Errorf("renamed user: contact %d %q, want contact %d renamed to Renée Lindqvist", c.ID, c.Name(), before.linked[renamed.ID].ID)
	}
	if got, want := len(after.linked), len(before.linked)+1; got != want {
		t.Errorf("linked contacts after delta = %d, want %d (one added, none removed)", got, want)
	}
	for _, cu := range cs[1:10] {
		f.checkOrg(cu.ID, orgOf[cu.ID], nil)
	}
	// Decisions survive the sync.
	if tn := f.tenant(cs[21].ID); tn.MatchState != store.MatchIgnored {
		t.Errorf("ignored tenant is %s after sync", tn.MatchState)
	}
	if tn := f.tenant(cs[10].ID); tn.MatchState != store.MatchMatched || tn.OrgID != orgOf[cs[10].ID] {
		t.Errorf("accepted tenant is %s/%d after sync", tn.MatchState, tn.OrgID)
	}
	if tn := f.tenant(cs[20].ID); tn.OrgID != created.OrgID {
		t.Errorf("tenant matched to a created organization moved to %d", tn.OrgID)
	}

	// Requests: at most 2 for each unchanged tenant, by our count and the sim's.
	simCount := map[string]int{}
	for _, c := range ctl.Counters() {
		if c.Tenant != "" && !strings.Contains(c.Endpoint, "oauth2") {
			simCount[c.Tenant] += c.Requests
		}
	}
	worst := 0
	for _, r := range run.Tenants {
		if r.TenantID == t0 {
			continue
		}
		worst = max(worst, r.Counts.Requests, simCount[r.TenantID])
		if r.Counts.Requests > 2 || simCount[r.TenantID] > 2 {
			t.Errorf("unchanged tenant %s: %d requests (sim saw %d), want <= 2", r.DisplayName, r.Counts.Requests, simCount[r.TenantID])
		}
	}
	t.Logf("delta sync: %d requests in all, at most %d per unchanged tenant", run.Totals.Requests, worst)
	if len(run.Tenants) == 0 || run.Totals.Created < 1 || run.Totals.Leavers < 3 {
		t.Errorf("run totals %+v: want the added contact and three leavers", run.Totals)
	}
	// Every linked contact the delta left alone counts as unchanged.
	for _, r := range run.Tenants {
		if r.TenantID != cs[1].ID && r.TenantID != t0 {
			continue
		}
		linked := len(f.orgSnapshot(orgOf[r.TenantID]).linked)
		if got, want := r.Counts.Unchanged, linked-r.Counts.Created-r.Counts.Updated; got != want || want <= 0 {
			t.Errorf("%s: %d unchanged after the delta, want %d (%d linked, %d created, %d updated)", r.DisplayName, got, want, linked, r.Counts.Created, r.Counts.Updated)
		}
	}
}

// TestFaultsGiveTheSameData syncs the same cloud with and without faults.
func TestFaultsGiveTheSameData(t *testing.T) {
	t.Parallel()
	opt := m365sim.Options{Seed: 22, Tenants: 8, UsersPerTenant: 60, CleanTenants: true, DisableThrottling: true}
	clean := newFixture(t, opt)
	clean.sync()
	faulty := opt
	faulty.Rate429, faulty.Rate503 = 0.10, 0.02
	faulty.RetryAfterMin, faulty.RetryAfterMax = 100*time.Millisecond, 200*time.Millisecond
	bad := newFixture(t, faulty)
	run := bad.sync()
	retries := run.Totals.Retries
	if retries == 0 {
		t.Errorf("the faulty cloud caused no retries: the test proves nothing")
	}
	// sameAsClean checks the data and that no retry came before its
	// Retry-After (the sim counts those).
	sameAsClean := func(after string) {
		t.Helper()
		if a, b := dump(t, clean), dump(t, bad); a != b {
			t.Errorf("data differs with faults after %s:\nclean:\n%s\nfaulty:\n%s", after, a, b)
		}
		if early := bad.sim.Control().EarlyRetries(); early != 0 {
			t.Errorf("after %s: %d retries came before their Retry-After", after, early)
		}
	}
	sameAsClean("the full sync")
	t.Logf("faulty sync: %d requests, %d retried", run.Totals.Requests, retries)

	// The delta syncs that follow travel as $batch: a failed part is sent
	// again on its own, after its Retry-After. Nothing changed in the cloud,
	// so the data must stay equal to the clean full sync's.
	bad.sim.Control().ResetCounters()
	for range 3 {
		bad.sync()
	}
	deltaRetries := 0 // faulted answers, whole requests or $batch parts
	for _, c := range bad.sim.Control().Counters() {
		deltaRetries += c.Throttled + c.Errors5xx
	}
	if deltaRetries == 0 {
		t.Errorf("the faulty delta syncs met no fault: the test proves nothing")
	}
	sameAsClean("the delta syncs")
	t.Logf("faulty delta syncs: %d faulted answers", deltaRetries)
}

// dump renders every tenant mirror in a comparable form.
func dump(t *testing.T, f *fixture) string {
	var b strings.Builder
	err := f.store.View(f.ctx, func(tx *store.Tx) error {
		tns, err := tx.Tenants(f.conn.ID)
		if err != nil {
			return err
		}
		for _, tn := range tns {
			m, err := tx.Mirror(f.conn.ID, tn.TenantID)
			if err != nil {
				return err
			}
			var users []string
			m.ForEachUser(func(u *store.DirectoryUser) error {
				users = append(users, fmt.Sprintf("%s|%s|%v|%v", u.ObjectID, u.UPN, u.AccountEnabled, u.SKUs))
				return nil
			})
			lic, _ := m.Licenses()
			mbs, _ := m.Mailboxes()
			devs, _ := m.Devices()
			fmt.Fprintf(&b, "%s %s users=%d %s lic=%d mb=%d dev=%d\n", tn.TenantID, tn.DisplayName, len(users), strings.Join(users, ","), len(lic), len(mbs), len(devs))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Runs share the connection's MSAL session: when tokens are refreshed, a
// tenant's endpoints are not looked up again.
func TestSecondRunReusesTenantEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t, m365sim.Options{Seed: 23, Tenants: 4, UsersPerTenant: 10, CleanTenants: true, DisableThrottling: true,
		TokenLifetime: time.Minute}) // MSAL refreshes tokens that expire within 5 minutes: every run asks anew
	f.sync()
	ctl := f.sim.Control()
	ctl.ResetCounters()
	f.sync()
	tokens, metadata := 0, 0
	for _, c := range ctl.Counters() {
		switch {
		case strings.Contains(c.Endpoint, "openid-configuration"):
			metadata += c.Requests
		case strings.Contains(c.Endpoint, "oauth2/v2.0/token"):
			tokens += c.Requests
		}
	}
	if tokens < 4 {
		t.Fatalf("second run asked for %d tokens, want one per tenant (4): the test proves nothing", tokens)
	}
	if metadata != 0 {
		t.Errorf("second run fetched tenant metadata %d times, want 0", metadata)
	}
}
