package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/permissions"
	"github.com/tenantsync/tenantsync/store"
)

// connectView is the connect form (or the edit-credentials form of an
// existing connection), the app-registration steps, then sign-in and the
// preflight per tenant.
type connectView struct {
	env    *env
	editID string // "" for a new connection

	name, tenant, client, secret, port *widget.Entry
	mode                               *widget.Select
	cloud                              *widget.Select // nil on a simulated cloud
	stepsBox                           *fyne.Container
	form                               *widget.Form
	redirect                           *widget.Label
	connectBtn                         *widget.Button
	cancelBtn                          *widget.Button
	status                             *widget.Label
	busy                               *widget.ProgressBarInfinite
	cancel                             context.CancelFunc
	body                               *fyne.Container

	// one-click setup (GDAP), and the manual path's heading below it
	setup         *setupCard
	setupUI       fyne.CanvasObject
	manualHeading *widget.Label
	setupDone     string // what setup created, shown over the preflight

	// after preflight
	checks      []connections.Check
	continueBtn *widget.Button
	consent     *consentAction // nil when every customer holds consent
}

var modeChoices = []struct{ mode, label string }{
	{store.ModeGDAP, "GDAP partner (many customer tenants)"},
	{store.ModeSingle, "Single tenant (delegated sign-in)"},
	{store.ModeApp, "Application permissions per tenant"},
}

func newConnectView(e *env, editID string) *connectView { return &connectView{env: e, editID: editID} }

func (v *connectView) buildUI() fyne.CanvasObject {
	v.name = widget.NewEntry()
	v.name.SetPlaceHolder("e.g. Our partner tenant")
	v.tenant = widget.NewEntry()
	v.tenant.SetPlaceHolder("GUID or domain, e.g. contoso.onmicrosoft.com")
	v.client = widget.NewEntry()
	v.client.SetPlaceHolder("00000000-0000-0000-0000-000000000000")
	v.secret = widget.NewPasswordEntry()
	v.secret.SetPlaceHolder("the secret's Value")
	v.port = widget.NewEntry()
	v.port.SetText(strconv.Itoa(connections.DefaultRedirectPort))
	labels := make([]string, len(modeChoices))
	for i, m := range modeChoices {
		labels[i] = m.label
	}
	v.mode = widget.NewSelect(labels, func(string) { v.onChanged() })
	v.mode.SetSelectedIndex(0)

	v.name.Validator = func(s string) error { return fieldErr(strings.TrimSpace(s) == "", "required") }
	v.tenant.Validator = func(s string) error { return msgErr(connections.CheckTenant(s)) }
	v.client.Validator = func(s string) error { return msgErr(connections.CheckGUID(s)) }
	v.secret.Validator = func(s string) error {
		f := v.formValues()
		f.Secret = s
		return msgErr(f.Check(v.editID != "")[connections.FieldSecret])
	}
	v.port.Validator = func(s string) error {
		f := v.formValues()
		return msgErr(f.Check(true)[connections.FieldRedirectPort])
	}
	for _, en := range []*widget.Entry{v.name, v.tenant, v.client, v.secret, v.port} {
		en.OnChanged = func(string) { v.onChanged() }
	}
	secretHint := "Certificates & secrets → the Value (not the ID)"
	if v.editID != "" {
		secretHint = "leave empty to keep the stored secret"
	}
	// Name, type and port serve both paths: one-click setup and the
	// registration done by hand.
	common := widget.NewForm(
		&widget.FormItem{Text: "Name", Widget: v.name, HintText: "how this connection is listed"},
		&widget.FormItem{Text: "Connection type", Widget: v.mode},
	)
	if v.isMicrosoftCloud() {
		clouds := make([]string, len(auth.Clouds))
		for i, cl := range auth.Clouds {
			clouds[i] = cl.Label
		}
		v.cloud = widget.NewSelect(clouds, func(string) { v.onCloudChanged() })
		v.selectCloud(v.env.core.Manager.Network().Cloud.Name)
		common.Append("Microsoft cloud", v.cloud)
	}
	common.AppendItem(&widget.FormItem{Text: "Redirect port", Widget: v.port, HintText: "sign-in returns to localhost on this port"})
	v.form = widget.NewForm(
		&widget.FormItem{Text: "Tenant ID", Widget: v.tenant, HintText: "your partner tenant, or the customer's"},
		&widget.FormItem{Text: "Application (client) ID", Widget: v.client, HintText: "app registration → Overview"},
		&widget.FormItem{Text: "Client secret", Widget: v.secret, HintText: secretHint},
	)

	title := "Connect to Microsoft 365"
	connectLabel := "Connect and sign in"
	if v.editID != "" {
		title = "Edit credentials"
		connectLabel = "Save and sign in again"
		v.loadExisting()
	}
	v.connectBtn = widget.NewButtonWithIcon(connectLabel, theme.LoginIcon(), v.onConnect)
	v.connectBtn.Importance = widget.HighImportance
	v.cancelBtn = widget.NewButtonWithIcon("Cancel sign-in", theme.CancelIcon(), v.onCancel)
	v.cancelBtn.Hide()
	back := widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { v.onCancel(); v.env.shell.Show(ViewIntegrations) })
	v.status = note("")
	v.busy = widget.NewProgressBarInfinite()
	v.busy.Stop()
	v.busy.Hide()
	v.redirect = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})

	v.setup = newSetupCard(v)
	v.setupUI = v.setup.buildUI()
	v.manualHeading = heading("")

	// Full width, so that ids and secrets show whole: the steps, then
	// the form to enter what they made (editing: the form first).
	form := container.NewVBox(v.form, container.NewHBox(v.connectBtn, v.cancelBtn), v.busy, v.status)
	v.stepsBox = container.NewStack(v.steps())
	manual := container.NewVBox(v.stepsBox, heading("Then enter what you registered"), form)
	if v.editID != "" {
		manual = container.NewVBox(form, heading("How the app registration should look"), v.stepsBox)
	}
	page := container.NewVBox(common, v.setupUI, v.manualHeading, manual)
	v.body = container.NewStack(container.NewVScroll(page))
	v.onChanged()
	return container.NewBorder(container.NewBorder(nil, nil, back, nil, heading(title)), nil, nil, nil, v.body)
}

// loadExisting reads the connection being edited and fills the form.
func (v *connectView) loadExisting() {
	mgr, id := v.env.core.Manager, v.editID
	load(v.env, nil, "open the connection", func(ctx context.Context) (store.Connection, error) {
		return mgr.Connection(ctx, id)
	}, v.fill, "connection", id)
}

// fill puts an existing connection's values into the form.
func (v *connectView) fill(c store.Connection) {
	v.name.SetText(c.Name)
	v.tenant.SetText(c.TenantID)
	v.client.SetText(c.ClientID)
	v.port.SetText(strconv.Itoa(c.RedirectPort))
	for i, m := range modeChoices {
		if m.mode == c.Mode {
			v.mode.SetSelectedIndex(i)
		}
	}
	v.selectCloud(c.Cloud)
	if c.Mode == store.ModeDemo {
		v.mode.Options = append(v.mode.Options, "Demo (simulated)")
		v.mode.SetSelected("Demo (simulated)")
	}
}

// steps is the app registration the technician does in Entra, with copy
// buttons for what must be typed exactly.
func (v *connectView) steps() fyne.CanvasObject {
	copyBtn := func(text func() string) *widget.Button {
		return widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { v.env.app.Clipboard().SetContent(text()) })
	}
	steps := connections.RegistrationSteps(v.portNumber(), v.chosenCloud())
	box := container.NewVBox(
		note("1. "+steps[0]),
		note("2. Under Authentication > Add a platform choose Web (not \"Mobile and desktop applications\": Microsoft would then refuse the client secret) and add this redirect URI exactly:"),
		container.NewBorder(nil, nil, nil, copyBtn(v.redirectURI), v.redirect),
		note("3. "+steps[2]),
	)
	for _, p := range permissions.Required {
		name := p.Name
		label := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		what := widget.NewLabel(connections.PermissionKinds(p) + " · " + p.Resource() + " · " + connections.PermissionUse(p))
		what.Importance = widget.LowImportance
		what.Truncation = fyne.TextTruncateEllipsis
		box.Add(container.NewBorder(nil, nil, label, copyBtn(func() string { return name }), what))
	}
	box.Add(container.NewHBox(widget.NewButtonWithIcon("Copy all permission names", theme.ContentCopyIcon(), func() {
		var names []string
		for _, p := range permissions.Required {
			names = append(names, p.Name)
		}
		v.env.app.Clipboard().SetContent(strings.Join(names, "\n"))
	})))
	for i, st := range steps[3:] {
		box.Add(note(fmt.Sprintf("%d. %s", i+4, st)))
	}
	return box
}

func (v *connectView) portNumber() int {
	p, err := strconv.Atoi(strings.TrimSpace(v.port.Text))
	if err != nil {
		return connections.DefaultRedirectPort
	}
	return p
}

func (v *connectView) redirectURI() string { return auth.RedirectURI(v.portNumber()) }

func (v *connectView) formValues() connections.Form {
	port, _ := strconv.Atoi(strings.TrimSpace(v.port.Text))
	mode := store.ModeGDAP
	if i := v.mode.SelectedIndex(); i >= 0 && i < len(modeChoices) {
		mode = modeChoices[i].mode
	} else if i >= len(modeChoices) {
		mode = store.ModeDemo
	}
	return connections.Form{Name: v.name.Text, Mode: mode, TenantID: v.tenant.Text, ClientID: v.client.Text, Secret: v.secret.Text, RedirectPort: port, Cloud: v.cloudName()}
}

// isMicrosoftCloud reports whether the window reaches one of Microsoft's
// clouds, not the simulator: only then is there a cloud to choose.
func (v *connectView) isMicrosoftCloud() bool {
	_, ok := auth.CloudByName(v.env.core.Manager.Network().Cloud.Name)
	return ok
}

// cloudName is the chosen cloud, "" for the network's own.
func (v *connectView) cloudName() auth.CloudName {
	if v.cloud == nil {
		return ""
	}
	if i := v.cloud.SelectedIndex(); i >= 0 && i < len(auth.Clouds) {
		return auth.Clouds[i].Name
	}
	return ""
}

// chosenCloud is the cloud the steps describe.
func (v *connectView) chosenCloud() auth.Cloud {
	if cl, ok := auth.CloudByName(v.cloudName()); ok {
		return cl
	}
	return v.env.core.Manager.Network().Cloud
}

func (v *connectView) selectCloud(name auth.CloudName) {
	if v.cloud == nil {
		return
	}
	for i, cl := range auth.Clouds {
		if cl.Name == name {
			v.cloud.SetSelectedIndex(i)
			return
		}
	}
	v.cloud.SetSelectedIndex(0)
}

// onCloudChanged rewrites the steps for the chosen cloud's portals.
func (v *connectView) onCloudChanged() {
	if v.stepsBox == nil {
		return
	}
	v.stepsBox.Objects = []fyne.CanvasObject{v.steps()}
	v.stepsBox.Refresh()
}

// onChanged validates as the technician types: the button works only with
// a valid form.
func (v *connectView) onChanged() {
	if v.connectBtn == nil {
		return
	}
	v.redirect.SetText(v.redirectURI())
	f := v.formValues()
	if f.Mode == store.ModeGDAP {
		v.setupUI.Show()
		v.manualHeading.SetText("Or register tenantsync yourself")
	} else {
		v.setupUI.Hide()
		v.manualHeading.SetText("Register tenantsync in Microsoft Entra")
	}
	v.setup.validate(f)
	if v.setup.stop != nil {
		v.connectBtn.Disable() // setup is running
		return
	}
	if fe := f.Check(v.editID != ""); fe != nil {
		v.connectBtn.Disable()
	} else {
		v.connectBtn.Enable()
	}
}

func (v *connectView) onCancel() {
	if v.cancel != nil {
		v.cancel()
	}
}

func (v *connectView) setBusy(text string) {
	v.status.SetText(text)
	if text == "" {
		v.busy.Stop()
		v.busy.Hide()
		v.cancelBtn.Hide()
		v.onChanged()
		return
	}
	v.busy.Show()
	v.busy.Start()
	v.cancelBtn.Show()
	v.connectBtn.Disable()
	v.setup.btn.Disable()
}

// onConnect saves the connection, signs in (the browser, or the simulator's
// stand-in), then runs the preflight and shows its results.
func (v *connectView) onConnect() {
	f := v.formValues()
	ctx, cancel := context.WithCancel(v.env.ctx)
	v.cancel = cancel
	mgr := v.env.core.Manager
	v.setBusy("Saving the connection…")
	editID := v.editID
	v.env.goOwned(func() {
		defer cancel()
		var c store.Connection
		var err error
		if editID == "" {
			c, err = mgr.Create(ctx, f)
		} else {
			c, err = mgr.UpdateCredentials(ctx, editID, f)
		}
		if err != nil {
			v.env.do(func() { v.setBusy(""); v.env.showError(err, "save the connection", "connection", editID) })
			return
		}
		id := c.ID
		v.env.do(func() { v.editID = id }) // a retry edits what was saved
		if auth.Delegated(c.Mode) {
			v.env.do(func() { v.setBusy("Sign in in the browser window that opened (as your GDAP service account)…") })
			if _, err := mgr.SignIn(ctx, c.ID); err != nil {
				v.env.do(func() { v.setBusy(""); v.env.showError(err, "sign in", "connection", c.ID) })
				return
			}
		}
		v.env.do(func() { v.setBusy("Checking what each tenant lets tenantsync read…") })
		v.preflight(ctx, c)
	})
}

// runPreflight checks a connection that is signed in (setup did it) and
// shows the results.
func (v *connectView) runPreflight(c store.Connection) {
	ctx, cancel := context.WithCancel(v.env.ctx)
	v.cancel = cancel
	v.setBusy("Checking what each tenant lets tenantsync read…")
	v.env.goOwned(func() {
		defer cancel()
		v.preflight(ctx, c)
	})
}

// preflight runs in a goroutine the view owns and shows its results.
func (v *connectView) preflight(ctx context.Context, c store.Connection) {
	checks, err := v.env.core.Manager.Preflight(ctx, c.ID, func(done, total int) {
		v.env.do(func() { v.status.SetText(fmt.Sprintf("Checking tenants: %d of %d…", done, total)) })
	})
	v.env.do(func() {
		v.setBusy("")
		if err != nil {
			v.env.showError(err, "check the tenants", "connection", c.ID)
			return
		}
		v.showPreflight(c, checks)
		v.env.shell.updateStatus()
	})
}

// showPreflight replaces the form with what each tenant allows, and the
// way on to the sync settings.
func (v *connectView) showPreflight(c store.Connection, checks []connections.Check) {
	v.checks = checks
	ok := 0
	for _, ch := range checks {
		if ch.OK() {
			ok++
		}
	}
	summary := note(fmt.Sprintf("Signed in. %d of %d tenants allow every data type; the others sync what they allow. The fix for each problem is below.", ok, len(checks)))
	top := container.NewVBox(heading("Preflight: " + c.Name))
	if v.setupDone != "" {
		done := note(v.setupDone)
		done.Importance = widget.SuccessImportance
		top.Add(done)
	}
	top.Add(summary)
	header := container.NewHBox()
	for _, dt := range connections.DataTypes {
		header.Add(widget.NewLabel(dt))
	}
	list := widget.NewList(
		func() int { return len(checks) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("Tenant name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			works := widget.NewLabel("")
			finding := widget.NewLabel("")
			finding.Truncation = fyne.TextTruncateEllipsis
			name.Truncation = fyne.TextTruncateEllipsis
			// Fixed columns: an HBox sized for the template's name would
			// let a longer name run into the data types.
			return container.NewVBox(row(columns{1, 3}, name, works), finding)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			ch := checks[id]
			box := o.(*fyne.Container)
			row := box.Objects[0].(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(ch.DisplayName)
			row.Objects[1].(*widget.Label).SetText(worksText(ch))
			f := box.Objects[1].(*widget.Label)
			if len(ch.Findings) == 0 {
				f.SetText("✓ everything readable")
				f.Importance = widget.SuccessImportance
			} else {
				showFindings(f, ch.Findings, "more")
			}
			f.Refresh()
		})
	list.OnSelected = func(id widget.ListItemID) {
		list.Unselect(id)
		ch := checks[id]
		var b strings.Builder
		fmt.Fprintf(&b, "Readable: %s\n", worksText(ch))
		for _, f := range ch.Findings {
			fmt.Fprintf(&b, "\n%s: %s", strings.ToUpper(string(f.Severity)), f.Message)
			if f.Fix != "" {
				fmt.Fprintf(&b, "\nFix: %s\n", f.Fix)
			}
		}
		v.env.showInfo(ch.DisplayName, b.String())
	}
	v.continueBtn = widget.NewButtonWithIcon("Continue to sync settings", theme.NavigateNextIcon(), func() { v.env.shell.showSyncSettings(c.ID) })
	v.continueBtn.Importance = widget.HighImportance
	again := widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), func() {
		v.env.shell.showConnect(c.ID)
	})
	actions := container.NewHBox(v.continueBtn, again)
	v.consent = nil
	if c.Mode == store.ModeGDAP {
		v.consent = newConsentAction(v.env, c.ID, checksNeedingConsent(checks), func(checks []connections.Check) { v.showPreflight(c, checks) })
	}
	if v.consent != nil {
		top.Add(note(fmt.Sprintf("tenantsync is not yet consented in %s, so nothing can be read there. "+
			"Consent it through Partner Center with one click:", plural(len(v.consent.tenants), "customer tenant"))))
		top.Add(container.NewHBox(v.consent.btn))
	}
	v.body.Objects = []fyne.CanvasObject{container.NewBorder(top, actions, nil, nil, list)}
	v.body.Refresh()
}

func worksText(ch connections.Check) string {
	var parts []string
	for _, dt := range connections.DataTypes {
		mark := "✓"
		if !ch.Works[dt] {
			mark = "✗"
		}
		parts = append(parts, mark+" "+dataTypeTitle(dt))
	}
	return strings.Join(parts, "  ")
}

func dataTypeTitle(dt string) string {
	switch dt {
	case graph.DataDirectory:
		return "directory"
	case graph.DataContacts:
		return "users"
	case graph.DataLicenses:
		return "licenses"
	case graph.DataMailboxes:
		return "mailboxes"
	case graph.DataSignIns:
		return "sign-ins"
	case graph.DataDevices:
		return "devices"
	}
	return dt
}

func msgErr(msg string) error {
	if msg == "" {
		return nil
	}
	return errors.New(msg)
}

func fieldErr(bad bool, msg string) error {
	if bad {
		return errors.New(msg)
	}
	return nil
}
