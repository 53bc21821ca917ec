package ui

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/demo"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/store"
)

// A new partner clicks "Set it up for me": the administrator's and the
// service account's sign-ins (the simulator plays the browser) register
// tenantsync, the preflight finds no customer holding the new app, and one
// click consents it in all of them through Partner Center.
func TestSetUpForMeThenConsent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := m365sim.Start(ctx, m365sim.Options{Seed: 11, Tenants: 3, UsersPerTenant: 5, CleanTenants: true,
		DisableThrottling: true, FreshPartner: true, Unconsented: 1})
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

	h.shell.showConnect("")
	v := h.shell.connect
	if !v.setupUI.Visible() {
		t.Fatal("a new GDAP connection offers no \"Set it up for me\"")
	}
	if v.cloud != nil {
		t.Error("the simulated cloud offers a choice of Microsoft clouds")
	}
	test.Type(v.name, "Partner")
	v.port.SetText(strconv.Itoa(freePort(t)))
	if v.setup.btn.Disabled() {
		t.Fatal("\"Set it up for me\" is disabled with a name and a port")
	}
	if !v.connectBtn.Disabled() {
		t.Error("the manual Connect is enabled without tenant, app id and secret")
	}
	test.Tap(v.setup.btn)
	want := consentLabel(3)
	h.waitFor("setup, preflight and the consent action", func() bool {
		if !v.setup.failed.Hidden {
			t.Fatalf("setup failed: %s", v.setup.failed.Text)
		}
		return v.consent != nil && v.consent.btn.Text == want
	})
	for _, st := range connections.SetupSteps {
		if r := v.setup.rows[st]; r.state != stepDone {
			t.Errorf("step %s is %d after setup, want done", st, r.state)
		}
	}
	c := h.connection()
	if c.Mode != store.ModeGDAP || c.ClientID == "" {
		t.Fatalf("setup saved %+v", c)
	}
	if v.setupDone == "" {
		t.Error("the preflight does not say what setup created")
	}

	// Integrations offers the same from the tenants' stored findings.
	iv := newIntegrationsView(h.shell.env)
	iv.buildUI()
	h.settle()
	if ca := iv.consents[c.ID]; ca == nil || ca.btn.Text != want {
		t.Errorf("the Integrations card offers %v, want %q", ca, want)
	}

	a := v.consent
	test.Tap(a.btn)
	confirm := h.overlayButton("Consent")
	if confirm == nil {
		t.Fatal("consent asks for no confirmation")
	}
	test.Tap(confirm)
	h.waitFor("consent and the check after it", func() bool { return a.finished })
	if len(a.results) != 3 {
		t.Errorf("consent shows %d results, want 3", len(a.results))
	}
	for _, r := range a.results {
		if r.Outcome == connections.ConsentFailed {
			t.Errorf("consent in %s failed: %v (fix: %s)", r.DisplayName, r.Err, r.Fix)
		}
	}
	test.Tap(a.closeBtn)
	if h.overlayButton("Close") != nil {
		t.Error("Close leaves the consent dialog open")
	}
	if v.consent != nil {
		t.Errorf("after consent the preflight still offers %q", v.consent.btn.Text)
	}
	h.shell.Show(ViewIntegrations)
	h.settle()
	if ca := h.shell.integrations.consents[c.ID]; ca != nil {
		t.Errorf("after consent the Integrations card still offers %q", ca.btn.Text)
	}
	if h.shell.integrations.buttons[c.ID][actRenewSecret] == nil {
		t.Error("the Integrations card offers no \"Renew secret\"")
	}
	if got := secretText(h.connection(), time.Now()); !strings.HasPrefix(got, "expires ") {
		t.Errorf("the secret setup made shows %q, want its end date", got)
	}
	need, err := h.core.Manager.NeedsConsent(ctx, c.ID)
	if err != nil || len(need) != 0 {
		t.Errorf("NeedsConsent after consent = %d tenants, %v; want none", len(need), err)
	}

	// Renew secret: the administrator signs in again, a new secret replaces
	// the old in the keychain, the old one waits for the next good sync.
	test.Tap(h.shell.integrations.buttons[c.ID][actRenewSecret])
	h.waitFor("the renewal", func() bool { return h.overlayButton("Close") != nil })
	if !h.overlayText("The new secret is in the keychain") {
		t.Error("the renewal does not say it succeeded")

	}
	if got := h.connection(); got.RetiringSecretKeyID == "" || got.SecretKeyID == c.SecretKeyID {
		t.Errorf("after renewal key %q (was %q), retiring %q", got.SecretKeyID, c.SecretKeyID, got.RetiringSecretKeyID)
	}
}

func TestSecretText(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		expires time.Time
		text    string
		imp     widget.Importance
	}{
		{time.Time{}, "unknown", widget.MediumImportance},
		{now.AddDate(0, 0, 104), "expires 12 Mar 2027 (in 104 days)", widget.MediumImportance},
		{now.AddDate(0, 0, 20), "expires 18 Dec 2026 (in 20 days)", widget.WarningImportance},
		{now.AddDate(0, 0, 3), "expires 1 Dec 2026 (in 3 days)", widget.DangerImportance},
		{now.Add(-time.Hour), "expired on 28 Nov 2026: syncs fail until it is renewed", widget.DangerImportance},
	} {
		c := store.Connection{Name: "P", Mode: store.ModeGDAP, SecretExpires: tc.expires}
		if got := secretText(c, now); got != tc.text {
			t.Errorf("secretText(%v) = %q, want %q", tc.expires, got, tc.text)
		}
		if got := secretImportance(c, now); got != tc.imp {
			t.Errorf("secretImportance(%v) = %v, want %v", tc.expires, got, tc.imp)
		}
	}
}

// On Microsoft's clouds the form offers the four clouds, and the steps
// name the chosen cloud's Entra admin center; the simulator has no choice.
func TestConnectCloudChoice(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(t.TempDir(), store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := &harness{t: t, ctx: ctx, app: test.NewTempApp(t), pump: newPump(), notify: make(chan string, 16)}
	h.start(s, connections.NewManager(s, demo.NewKeychain(), demo.NewSealer(), connections.Network{Cloud: auth.Global}), false)
	h.shell.showConnect("")
	v := h.shell.connect
	if v.cloud == nil || len(v.cloud.Options) != len(auth.Clouds) || v.cloud.Selected != auth.Global.Label {
		t.Fatalf("cloud choice %+v, want the %d clouds with Global chosen", v.cloud, len(auth.Clouds))
	}
	v.cloud.SetSelected(auth.USGov.Label)
	if got := v.formValues().Cloud; got != auth.CloudUSGov {
		t.Errorf("form cloud = %q, want %q", got, auth.CloudUSGov)
	}
	if !labelContains(v.stepsBox, auth.USGov.EntraPortal) {
		t.Errorf("the steps do not name %s", auth.USGov.EntraPortal)
	}
}

func labelContains(o fyne.CanvasObject, text string) bool {
	found := false
	walk(o, func(obj fyne.CanvasObject) {
		if l, ok := obj.(*widget.Label); ok && strings.Contains(l.Text, text) {
			found = true
		}
	})
	return found
}
