package ui

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// A technician with no connection connects one (the simulated cloud plays
// the browser), sees the preflight, saves the sync settings and gets a
// synced documentation base.
func TestConnectSaveSettingsAndSync(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := m365sim.Start(ctx, m365sim.Options{Seed: 7, Tenants: 4, UsersPerTenant: 20, CleanTenants: true, DisableThrottling: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := &harness{t: t, ctx: ctx, app: test.NewTempApp(t), pump: newPump(), notify: make(chan string, 16)}
	h.start(s, demo.NewManager(ctx, s, sim), false)

	first := findButton(h.w.Content(), "Connect to Microsoft 365")
	if first == nil {
		t.Fatal("first run shows no \"Connect to Microsoft 365\"")
	}
	if findButton(h.w.Content(), "Explore with demo data") != nil {
		t.Error("first run offers demo data although the window has no way to start it")
	}
	test.Tap(first)
	v := h.shell.connect
	if v == nil {
		t.Fatal("Connect did not open the connect form")
	}
	if !v.connectBtn.Disabled() {
		t.Error("Connect is enabled on an empty form")
	}
	// Validation as you type: a tenant id with a typo is refused at once.
	test.Type(v.tenant, "not a tenant")
	if v.tenant.Validate() == nil {
		t.Error("the tenant field accepts \"not a tenant\"")
	}
	v.tenant.SetText("")
	info := sim.Info()
	test.Type(v.name, "Partner")
	test.Type(v.tenant, info.PartnerTenantID)
	test.Type(v.client, info.ClientID)
	test.Type(v.secret, info.ClientSecret)
	v.port.SetText(strconv.Itoa(freePort(t)))
	if v.tenant.Validate() != nil || v.client.Validate() != nil {
		t.Errorf("valid ids refused: tenant %v, client %v", v.tenant.Validate(), v.client.Validate())
	}
	if !strings.HasPrefix(v.redirect.Text, "http://localhost:") {
		t.Errorf("redirect URI shown = %q", v.redirect.Text)
	}
	if v.connectBtn.Disabled() {
		t.Fatal("Connect stays disabled on a valid form")
	}
	test.Tap(v.connectBtn)
	h.waitFor("the preflight results", func() bool { return v.continueBtn != nil })
	if len(v.checks) != 4 {
		t.Errorf("preflight shows %d tenants, want 4", len(v.checks))
	}

	test.Tap(v.continueBtn)
	h.settle()
	ss := h.shell.syncSettings
	if ss == nil {
		t.Fatal("Continue did not open the sync settings")
	}
	if len(ss.tenants) != 4 || ss.tenantCount.Text != "4 of 4 selected" {
		t.Errorf("sync settings list %d tenants, %q; want 4 of 4", len(ss.tenants), ss.tenantCount.Text)
	}
	test.Type(ss.search, ss.tenants[0].DisplayName)
	if len(ss.shown) != 1 {
		t.Errorf("tenant search shows %d, want 1", len(ss.shown))
	}
	ss.search.SetText("")
	ss.schedule.SetSelected("Every 4 hours")
	test.Tap(ss.saveBtn)
	h.settle()
	if h.shell.Current() != ViewIntegrations {
		t.Errorf("after Save the window shows %q, want integrations", h.shell.Current())
	}
	c := h.waitSynced()
	if c.Schedule != 4*time.Hour || !c.Settings.AutoInclude || len(c.Settings.Tenants) != 4 {
		t.Errorf("saved schedule %v, settings %+v", c.Schedule, c.Settings)
	}
	rows, _ := s.Rows(ctx, store.RowQuery{Kind: store.KindOrg})
	if len(rows) != 0 {
		t.Errorf("%d organizations before any matching, want 0 (nothing matched)", len(rows))
	}
	select {
	case n := <-h.notify:
		if !strings.Contains(strings.ToLower(n), "sync") {
			t.Errorf("notification %q does not mention the sync", n)
		}
	case <-time.After(10 * time.Second):
		t.Error("no desktop notification after the sync")
	}
}

// The technician matches a tenant through its suggestion, creates an
// organization for another and is warned before creating a duplicate.
func TestMatchingAcceptCreateAndDuplicateWarning(t *testing.T) {
	h := newDemoHarness(t, demo.Options{})
	c := h.waitSynced()
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	row := func(name string) int {
		for i, tn := range v.rows {
			if tn.DisplayName == name {
				return i
			}
		}
		t.Fatalf("%q is not among the unmatched tenants %v", name, v.rows)
		return -1
	}
	before := h.tenants(c.ID)
	contoso := before["Contoso Ltd"]
	if len(contoso.Suggestions) == 0 {
		t.Fatal("Contoso Ltd has no suggestion")
	}
	if !v.accept.Disabled() {
		t.Error("Accept is enabled with nothing selected")
	}
	v.list.Select(row("Contoso Ltd"))
	if v.accept.Disabled() {
		t.Fatal("Accept stays disabled with a suggested tenant selected")
	}
	test.Tap(v.accept)
	h.settle()
	if h.tenants(c.ID)["Contoso Ltd"].MatchState != store.MatchMatched {
		t.Fatal("Accept suggestion left Contoso Ltd unmatched")
	}
	if got := h.tenants(c.ID)["Contoso Ltd"].OrgID; got != contoso.Suggestions[0].OrgID {
		t.Errorf("Contoso Ltd matched to %d, want the suggestion %d", got, contoso.Suggestions[0].OrgID)
	}
	// Matching plans the contacts from the mirror at once.
	contacts, _ := h.store.Rows(h.ctx, store.RowQuery{Kind: store.KindContact, OrgID: contoso.Suggestions[0].OrgID, With: store.RowLinked})
	if len(contacts) == 0 {
		t.Error("accepting the suggestion linked no contact")
	}

	// No look-alike: the organization is created under the name asked
	// for, the tenant's.
	v.list.Select(row("Adventure Works Cycles"))
	test.Tap(v.create)
	h.settle()
	test.Tap(h.overlayButton("Create"))
	h.settle()
	aw := h.tenants(c.ID)["Adventure Works Cycles"]
	if aw.MatchState != store.MatchMatched || h.store.OrgName(aw.OrgID) != "Adventure Works Cycles" {
		t.Errorf("Adventure Works Cycles: state %s, org %q; want matched to a new organization", aw.MatchState, h.store.OrgName(aw.OrgID))
	}

	// A look-alike exists: a warning names it and creates nothing until
	// confirmed.
	v.list.Select(row("A&B Plumbing"))
	test.Tap(v.create)
	h.settle()
	test.Tap(h.overlayButton("Create"))
	h.settle()
	if h.tenants(c.ID)["A&B Plumbing"].MatchState == store.MatchMatched {
		t.Fatal("created an organization without the duplicate warning")
	}
	anyway := h.overlayButton("Create anyway")
	if anyway == nil || !h.overlayText("AandB Plumbing") {
		t.Fatal("no duplicate warning naming the existing organization")
	}
	test.Tap(anyway)
	h.settle()
	if ab := h.tenants(c.ID)["A&B Plumbing"]; ab.MatchState != store.MatchMatched || h.store.OrgName(ab.OrgID) != "A&B Plumbing" {
		t.Errorf("after Create anyway: state %s, org %q", ab.MatchState, h.store.OrgName(ab.OrgID))
	}

	// Bulk: ignore two tenants at once, then revert them.
	v.selAll.SetChecked(false)
	v.list.Select(row("Alpine Ski House"))
	v.list.Select(row("Woodgrove Bank"))
	test.Tap(v.ignore)
	h.settle()
	ts := h.tenants(c.ID)
	if ts["Alpine Ski House"].MatchState != store.MatchIgnored || ts["Woodgrove Bank"].MatchState != store.MatchIgnored {
		t.Fatalf("bulk ignore: %s, %s", ts["Alpine Ski House"].MatchState, ts["Woodgrove Bank"].MatchState)
	}
	// The view learns of the decision from its change event.
	h.waitFor("the ignored tenants to leave the Unmatched list", func() bool {
		for _, tn := range v.rows {
			if tn.DisplayName == "Alpine Ski House" || tn.DisplayName == "Woodgrove Bank" {
				return false
			}
		}
		return true
	})
	v.setFilter(filterIgnored)
	if len(v.rows) != 2 || v.rows[0].MatchState != store.MatchIgnored {
		t.Fatalf("Ignored filter shows %v, want the 2 ignored tenants", v.rows)
	}
	v.selAll.SetChecked(true)
	if v.revert.Disabled() {
		t.Fatalf("Revert disabled with %s", v.count.Text)
	}
	test.Tap(v.revert)
	h.settle()
	if ts := h.tenants(c.ID); ts["Alpine Ski House"].MatchState != store.MatchUnmatched {
		t.Errorf("revert left Alpine Ski House %s", ts["Alpine Ski House"].MatchState)
	}
}

// The contact overlay shows local and Microsoft values side by side and
// marks the locked title that differs; unlocking is saved.
func TestContactOverlayMarksDifference(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 4})
	h.waitSynced()
	var id uint64
	_ = h.store.View(h.ctx, func(tx *store.Tx) error {
		return tx.ForEachContact(func(c *store.Contact) error {
			if c.Link != nil && c.IsLocked(store.FieldTitle) {
				id = c.ID
			}
			return nil
		})
	})
	if id == 0 {
		t.Fatal("the demo has no synced contact with a locked title")
	}
	h.shell.Show(ViewOrganizations)
	h.shell.OpenContact(id)
	h.settle()
	o := h.shell.overlay
	if o == nil || o.user == nil {
		t.Fatal("the overlay found no Microsoft 365 user for a linked contact")
	}
	if !slices.Contains(o.diffs, store.FieldTitle) {
		t.Errorf("differences marked %v, want the title", o.diffs)
	}
	if !h.overlayText("≠ locked: yours is kept") || !h.overlayText(demo.LockedTitle) {
		t.Error("the overlay does not show the locked title and its difference")
	}
	if !h.overlayText("Last sign-in") || !h.overlayText("Last password change") {
		t.Error("the overlay shows no account status")
	}
	// Demo tenants exist only on this computer: no link leads outside
	// (UserAdminLinks is tested on its own in core/auth).
	if h.overlayButton("Manage in Microsoft 365 admin center") != nil || h.overlayButton("Manage in Microsoft Entra admin center") != nil {
		t.Error("demo data offers a link to Microsoft's admin centers")
	}
	if !h.overlayText("Demo data: no admin center to open") {
		t.Error("the overlay does not say why demo data has no admin center link")
	}
	test.Tap(o.locks[store.FieldTitle])
	h.settle()
	c, err := h.store.Contact(h.ctx, id)
	if err != nil || c.IsLocked(store.FieldTitle) {
		t.Errorf("after unlocking, the title is still locked (%v)", err)
	}
	// The overlay redraws from the change the unlock published.
	h.waitFor("the difference to be marked after unlocking", func() bool { return h.overlayText("≠ differs") })
}

// Organizations and contacts: search as you type and the filters.
func TestOrganizationsSearchAndFilters(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 4})
	h.waitSynced()
	h.shell.Show(ViewOrganizations)
	v := h.shell.orgs
	all := len(v.rows)
	if all == 0 {
		t.Fatal("no contacts listed")
	}
	test.Type(v.search, "robin")
	if len(v.rows) == 0 || len(v.rows) >= all {
		t.Errorf("search \"robin\" lists %d of %d", len(v.rows), all)
	}
	for _, r := range v.rows {
		if !strings.Contains(strings.ToLower(r.Name+r.Email), "robin") {
			t.Errorf("search \"robin\" lists %q", r.Name)
		}
	}
	v.search.SetText("")
	v.filter.SetSelected(contactsLocal)
	if len(v.rows) == 0 {
		t.Error("Local only lists nothing; the demo has local contacts")
	}
	for _, r := range v.rows {
		if r.Flags&store.RowLinked != 0 {
			t.Errorf("Local only lists the synced %q", r.Name)
		}
	}
	v.filter.SetSelected(contactsSynced)
	for _, r := range v.rows {
		if r.Flags&store.RowLinked == 0 {
			t.Errorf("Synced lists the local %q", r.Name)
		}
	}
	// Global search switches to every organization's contacts.
	h.shell.Show(ViewIntegrations)
	test.Type(h.shell.search, "robin")
	h.shell.search.OnSubmitted(h.shell.search.Text)
	if h.shell.Current() != ViewOrganizations || h.shell.orgs == nil || h.shell.orgs.search.Text != "robin" {
		t.Errorf("global search shows %q", h.shell.Current())
	}
}

// Pause and resume from the Integrations view.
func TestPauseAndResume(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	c := h.waitSynced()
	h.shell.Show(ViewIntegrations)
	h.settle()
	pause := h.shell.integrations.buttons[c.ID][actPause]
	if pause.Text != "Pause" {
		t.Fatalf("button reads %q, want Pause", pause.Text)
	}
	test.Tap(pause)
	h.settle()
	if c := h.connection(); !c.Paused || c.Status != store.StatusPaused {
		t.Fatalf("after Pause: paused %v, status %s", c.Paused, c.Status)
	}
	resume := h.shell.integrations.buttons[c.ID][actPause]
	if resume.Text != "Resume" || !h.shell.integrations.buttons[c.ID][actSync].Disabled() {
		t.Errorf("paused card: %q, Sync now disabled %v; want Resume and Sync now disabled", resume.Text, h.shell.integrations.buttons[c.ID][actSync].Disabled())
	}
	test.Tap(resume)
	h.settle()
	if c := h.connection(); c.Paused || c.Status == store.StatusPaused {
		t.Errorf("after Resume: paused %v, status %s", c.Paused, c.Status)
	}
}

// Cancel in the top bar stops a running sync; the log says it was
// cancelled and the progress goes away.
func TestCancelRunningSync(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 12, Latency: 150 * time.Millisecond})
	h.waitFor("the sync to show progress", func() bool {
		_, total, running := h.shell.Progress()
		return running && total > 1 && h.shell.cancelBtn.Visible()
	})
	test.Tap(h.shell.cancelBtn)
	h.waitFor("the run to end", func() bool {
		_, _, running := h.shell.Progress()
		return !running && !h.core.Engine.Running(h.connection().ID)
	})
	var runs []store.SyncRun
	_ = h.store.View(h.ctx, func(tx *store.Tx) error {
		var err error
		runs, err = tx.Runs(h.connection().ID, 5)
		return err
	})
	if len(runs) == 0 {
		t.Fatal("no run logged")
	}
	if runs[0].Status != "cancelled" {
		t.Errorf("run status %q, want cancelled", runs[0].Status)
	}
	if len(runs[0].Tenants) >= 12 {
		t.Errorf("the cancelled run synced all %d tenants", len(runs[0].Tenants))
	}
}

// Sync logs list the runs and copy one as text; Disconnect says what
// remains on Microsoft's side.
func TestSyncLogsAndDisconnect(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 3})
	c := h.waitSynced()
	h.shell.showLogs(c.ID)
	h.settle()
	logs := h.shell.logsView
	if logs == nil || len(logs.runs) == 0 {
		t.Fatal("no run in the sync logs")
	}
	test.Tap(logs.copyBtn)
	if got := h.app.Clipboard().Content(); !strings.Contains(got, "tenantsync sync log") || !strings.Contains(got, logs.runs[0].Tenants[0].DisplayName) {
		t.Errorf("clipboard = %.200q", got)
	}

	h.shell.Show(ViewIntegrations)
	h.settle()
	test.Tap(h.shell.integrations.buttons[c.ID][actDisconnect])
	if !h.overlayText("What stays on Microsoft's side") {
		t.Fatal("the confirmation does not say what stays on Microsoft's side")
	}
	test.Tap(h.overlayButton("Disconnect"))
	h.settle()
	var n int
	_ = h.store.View(h.ctx, func(tx *store.Tx) error {
		cs, err := tx.Connections()
		n = len(cs)
		return err
	})
	if n != 0 {
		t.Errorf("%d connections after Disconnect", n)
	}
	if !h.overlayText("app registration") {
		t.Error("no note of what to do on Microsoft's side after disconnecting")
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&auth.Error{Code: auth.CodeBadSecret, Message: "The client secret is wrong.", Fix: "Copy the secret's Value."}, "What to do: Copy the secret's Value."},
		{store.ErrLocked, "Another tenantsync window"},
		{errors.New("read tenants: boom"), "What to do: try again"},
	} {
		_, msg := explain(tc.err, "sync")
		if !strings.Contains(msg, tc.want) {
			t.Errorf("explain(%v) = %q, want it to contain %q", tc.err, msg, tc.want)
		}
		if strings.Contains(msg, "goroutine") || strings.Contains(msg, ".go:") {
			t.Errorf("explain(%v) shows a stack: %q", tc.err, msg)
		}
	}
}

// Preview runs a dry run and says what a sync would do, changing nothing.
func TestPreviewChangesNothing(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 3})
	c := h.waitSynced()
	before, _ := h.store.Rows(h.ctx, store.RowQuery{Kind: store.KindContact})
	h.shell.Show(ViewIntegrations)
	h.settle()
	test.Tap(h.shell.integrations.buttons[c.ID][actPreview])
	h.waitFor("the preview", func() bool { return h.overlayText("Nothing was changed") })
	after, _ := h.store.Rows(h.ctx, store.RowQuery{Kind: store.KindContact})
	if len(after) != len(before) {
		t.Errorf("preview changed the contacts: %d -> %d", len(before), len(after))
	}
}

// The window reopens on the last view.
func TestRemembersLastView(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	h.waitSynced()
	h.shell.Show(ViewLogs)
	again := NewShell(h.ctx, h.app, h.w, h.core, Options{Do: h.pump.do})
	h.w.SetContent(again.BuildUI())
	defer again.Close()
	h.settleShell(again)
	if again.Current() != ViewLogs {
		t.Errorf("reopened on %q, want %q", again.Current(), ViewLogs)
	}
}

// Match to…: search an organization in the dialog and match the tenant.
func TestMatchToSearchedOrganization(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 12})
	c := h.waitSynced()
	h.shell.showMatching(c.ID)
	h.settle()
	v := h.shell.matching
	at := -1
	for i, tn := range v.rows {
		if tn.DisplayName == "Woodgrove Bank" {
			at = i
		}
	}
	if at < 0 {
		t.Fatal("Woodgrove Bank is not unmatched")
	}
	v.list.Select(at)
	test.Tap(v.matchTo)
	h.settle() // the picker reads which organizations are matched first
	var search *widget.Entry
	var list *widget.List
	for _, o := range h.w.Canvas().Overlays().List() {
		walk(o, func(obj fyne.CanvasObject) {
			switch x := obj.(type) {
			case *widget.Entry:
				search = x
			case *escEntry:
				search = &x.Entry
			case *widget.List:
				list = x
			}
		})
	}
	if search == nil || list == nil {
		t.Fatal("Match to… shows no searchable list")
	}
	search.SetText("")
	test.Type(search, "litware")
	if n := list.Length(); n != 1 {
		t.Fatalf("searching \"litware\" lists %d organizations, want 1", n)
	}
	list.Select(0)
	test.Tap(h.overlayButton("Match"))
	h.settle()
	wg := h.tenants(c.ID)["Woodgrove Bank"]
	if wg.MatchState != store.MatchMatched || h.store.OrgName(wg.OrgID) != "Litware Inc." {
		t.Errorf("Woodgrove Bank: %s to %q, want matched to Litware Inc.", wg.MatchState, h.store.OrgName(wg.OrgID))
	}
}

// Edit credentials: the form comes prefilled, an empty secret keeps the
// stored one, and signing in again runs the preflight.
func TestEditCredentialsSignsInAgain(t *testing.T) {
	h := newDemoHarness(t, demo.Options{Tenants: 2})
	c := h.waitSynced()
	h.shell.Show(ViewIntegrations)
	h.settle()
	test.Tap(h.shell.integrations.buttons[c.ID][actCredentials])
	h.settle()
	v := h.shell.connect
	if v.tenant.Text != c.TenantID || v.client.Text != c.ClientID || v.secret.Text != "" {
		t.Fatalf("form: tenant %q client %q secret %q", v.tenant.Text, v.client.Text, v.secret.Text)
	}
	v.name.SetText("Renamed partner")
	if v.connectBtn.Disabled() {
		t.Fatal("Save is disabled on a valid edit with the secret left empty")
	}
	test.Tap(v.connectBtn)
	h.waitFor("the preflight after editing", func() bool { return v.continueBtn != nil })
	if got := h.connection().Name; got != "Renamed partner" {
		t.Errorf("name = %q after editing", got)
	}
}

// First run: "Explore with demo data" switches the window to the demo and
// its first sync fills the views.
func TestFirstRunExploreDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := &harness{t: t, ctx: ctx, app: test.NewTempApp(t), pump: newPump(), notify: make(chan string, 16)}
	var demoCore Core
	var demoStore *store.Store
	var engDone sync.WaitGroup
	t.Cleanup(engDone.Wait)
	h.startWith(s, connections.NewManager(s, nil, nil, connections.Network{}), false, func(ctx context.Context) (Core, error) {
		d, err := demo.Start(ctx, t.TempDir(), demo.Options{Tenants: 3})
		if err != nil {
			return Core{}, err
		}
		t.Cleanup(func() { d.Close() })
		docs := docbase.New(d.Store)
		eng := syncer.New(d.Store, d.Manager, syncer.Options{Changes: docs})
		engDone.Add(1)
		go func() { defer engDone.Done(); _ = eng.Run(ctx) }()
		demoCore, demoStore = Core{Docs: docs, Manager: d.Manager, Engine: eng, Demo: true}, d.Store
		return demoCore, nil
	})
	explore := findButton(h.w.Content(), "Explore with demo data")
	if explore == nil {
		t.Fatal("first run offers no demo")
	}
	test.Tap(explore)
	h.waitFor("the demo to open", func() bool { return h.shell.env.core.Demo })
	h.core, h.store = demoCore, demoStore
	h.waitSynced()
	if h.shell.Current() != ViewIntegrations {
		t.Errorf("the demo opens on %q", h.shell.Current())
	}
	rows, _ := demoStore.Rows(ctx, store.RowQuery{Kind: store.KindContact, With: store.RowLinked})
	if len(rows) == 0 {
		t.Error("the demo's first sync linked no contact")
	}
}

func TestFreeSKU(t *testing.T) {
	for _, tc := range []struct {
		part, name string
		want       bool
	}{
		{"FLOW_FREE", "Microsoft Power Automate Free", true},
		{"POWER_BI_STANDARD", "Power BI (free)", true},
		{"TEAMS_EXPLORATORY", "Microsoft Teams Exploratory", true},
		{"SPB", "Microsoft 365 Business Premium", false},
		{"ENTERPRISEPACK", "Office 365 E3", false},
	} {
		if got := freeSKU(tc.part, tc.name); got != tc.want {
			t.Errorf("freeSKU(%q, %q) = %v, want %v", tc.part, tc.name, got, tc.want)
		}
	}
}
