package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/store"
)

// stepState is where one setup step stands.
type stepState int

const (
	stepPending stepState = iota
	stepRunning
	stepDone
	stepFailed
)

func (s stepState) icon() fyne.Resource {
	switch s {
	case stepRunning:
		return theme.MediaPlayIcon()
	case stepDone:
		return theme.ConfirmIcon()
	case stepFailed:
		return theme.ErrorIcon()
	}
	return theme.RadioButtonIcon()
}

// setupStepRow is one step of one-click setup with its state and message.
type setupStepRow struct {
	state stepState
	icon  *widget.Icon
	title *widget.Label
	msg   *widget.Label
}

func (r *setupStepRow) set(s stepState, msg string) {
	r.state = s
	r.icon.SetResource(s.icon())
	r.msg.SetText(msg)
	r.title.Importance = widget.MediumImportance
	if s == stepFailed {
		r.title.Importance = widget.DangerImportance
	}
	r.title.Refresh()
}

// setupCard is "Set it up for me": tenantsync registers itself in the
// partner tenant with the administrator's sign-in, then the GDAP service
// account signs in. It shares the connect form's name and port.
type setupCard struct {
	view   *connectView
	card   *widget.Card
	btn    *widget.Button
	cancel *widget.Button
	rows   map[connections.SetupStep]*setupStepRow
	steps  *fyne.Container
	failed *widget.Label // the failed step's cause and fix
	stop   context.CancelFunc
	connID string // the connection a failed run saved, for "Try again"
}

const setupLabel = "Set it up for me"

func newSetupCard(v *connectView) *setupCard { return &setupCard{view: v, connID: v.editID} }

func (s *setupCard) buildUI() fyne.CanvasObject {
	s.btn = widget.NewButtonWithIcon(setupLabel, theme.LoginIcon(), s.onSetup)
	s.btn.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.onCancel)
	s.cancel.Hide()
	s.rows = map[connections.SetupStep]*setupStepRow{}
	s.steps = container.New(&formLayout{}) // the messages line up
	for _, st := range connections.SetupSteps {
		r := &setupStepRow{icon: widget.NewIcon(stepPending.icon()), title: widget.NewLabel(connections.StepText(st)), msg: widget.NewLabel("")}
		r.msg.Importance = widget.LowImportance
		r.msg.Truncation = fyne.TextTruncateEllipsis
		s.rows[st] = r
		s.steps.Add(container.NewHBox(r.icon, r.title))
		s.steps.Add(r.msg)
	}
	s.steps.Hide()
	s.failed = note("")
	s.failed.Importance = widget.DangerImportance
	s.failed.Hide()
	what := note("A Global Administrator of your partner tenant signs in, and tenantsync creates its app registration, " +
		"puts a client secret straight into the keychain and grants admin consent. Then your GDAP service account signs in. " +
		"The browser opens for each sign-in; running it again reuses what exists.")
	s.card = widget.NewCard(setupLabel, "", container.NewVBox(what, container.NewHBox(s.btn, s.cancel), s.steps, s.failed))
	return s.card
}

// validate enables the button while the name and port it needs are valid.
func (s *setupCard) validate(f connections.Form) {
	fe := f.Check(true)
	if s.stop != nil || s.view.busy.Visible() {
		s.btn.Disable() // setup or a sign-in is running
		return
	}
	if fe[connections.FieldName] != "" || fe[connections.FieldRedirectPort] != "" {
		s.btn.Disable()
	} else {
		s.btn.Enable()
	}
}

func (s *setupCard) onCancel() {
	if s.stop != nil {
		s.stop()
	}
}

// onSetup runs setup in the background, step by step on screen, then the
// preflight of the new connection.
func (s *setupCard) onSetup() {
	v := s.view
	e := v.env
	f := v.formValues()
	ctx, cancel := context.WithCancel(e.ctx)
	s.stop = cancel
	s.btn.Disable()
	s.cancel.Show()
	s.failed.Hide()
	for _, r := range s.rows {
		r.set(stepPending, "")
	}
	s.steps.Show()
	v.body.Refresh() // the scroll takes the rows in
	v.connectBtn.Disable()
	opt := connections.SetupOptions{Name: strings.TrimSpace(f.Name), RedirectPort: f.RedirectPort, ConnectionID: s.connID, Cloud: f.Cloud,
		Progress: func(p connections.SetupProgress) {
			e.do(func() {
				if r := s.rows[p.Step]; r != nil {
					st := stepRunning
					if p.Done {
						st = stepDone
					}
					r.set(st, p.Message)
				}
			})
		}}
	mgr := e.core.Manager
	e.goOwned(func() {
		defer cancel()
		res, err := mgr.Setup(ctx, opt)
		if err != nil {
			e.do(func() { e.logError(err, "set tenantsync up", "connection", res.Connection.ID); s.onFailed(res, err) })
			return
		}
		e.do(func() {
			s.finish()
			s.connID = res.Connection.ID
			v.editID = res.Connection.ID
			v.setupDone = setupSummary(res)
			v.runPreflight(res.Connection)
		})
	})
}

// finish leaves the running state.
func (s *setupCard) finish() {
	s.stop = nil
	s.cancel.Hide()
	s.btn.Enable()
	s.view.onChanged()
}

// onFailed marks the failed step and says why and what to do; setup can
// run again and keeps what it made.
func (s *setupCard) onFailed(res connections.SetupResult, err error) {
	s.finish()
	if res.Connection.ID != "" {
		s.connID = res.Connection.ID
	}
	s.btn.SetText("Try again")
	var se *connections.SetupError
	step := connections.SetupStep("")
	if errors.As(err, &se) {
		step = se.Step
	} else {
		// Not a step's failure (cancelled, the store): mark what was running.
		for _, st := range connections.SetupSteps {
			if s.rows[st].state == stepRunning {
				step = st
			}
		}
	}
	if r := s.rows[step]; r != nil {
		msg := "failed"
		if errors.Is(err, context.Canceled) {
			msg = "cancelled"
		}
		r.set(stepFailed, msg)
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	s.failed.SetText(setupErrorText(err))
	s.failed.Show()
	s.view.body.Refresh()
}

// setupSummary says what setup created and changed.
func setupSummary(res connections.SetupResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Set up by %s.", res.Admin)
	if len(res.Created) > 0 {
		b.WriteString(" Created: " + strings.Join(shortItems(res.Created), "; ") + ".")
	}
	if len(res.Updated) > 0 {
		b.WriteString(" Corrected: " + strings.Join(shortItems(res.Updated), "; ") + ".")
	}
	if len(res.Created)+len(res.Updated) == 0 {
		b.WriteString(" Everything already existed; nothing was created.")
	}
	return b.String()
}

// shortItems shortens "what: a, b, c, …" (the admin consent's list of
// fourteen permissions) to "what (14)", so the summary stays a few lines.
func shortItems(items []string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it
		if what, list, ok := strings.Cut(it, ": "); ok && strings.Count(list, ", ") >= 3 {
			out[i] = fmt.Sprintf("%s (%d)", what, strings.Count(list, ", ")+1)
		}
	}
	return out
}

// needsConsentCode reports whether a finding means tenantsync's app is
// not consented in the tenant.
func needsConsentCode(code string) bool {
	return code == auth.CodeAppNotPermitted || code == auth.CodeConsentMissing
}

// consentNeeded lists the tenants whose findings say the app lacks consent.
func consentNeeded(tenants []store.Tenant) []store.Tenant {
	var out []store.Tenant
	for _, t := range tenants {
		if slices.ContainsFunc(t.Findings, func(f store.Finding) bool { return needsConsentCode(f.Code) }) {
			out = append(out, t)
		}
	}
	return out
}

// checksNeedingConsent lists the tenants whose preflight says the app
// lacks consent.
func checksNeedingConsent(checks []connections.Check) []store.Tenant {
	var out []store.Tenant
	for _, ch := range checks {
		if slices.ContainsFunc(ch.Findings, func(f store.Finding) bool { return needsConsentCode(f.Code) }) {
			out = append(out, store.Tenant{TenantID: ch.TenantID, DisplayName: ch.DisplayName})
		}
	}
	return out
}

// setupErrorText is a failed setup step's plain cause and fix.
func setupErrorText(err error) string {
	var se *connections.SetupError
	if !errors.As(err, &se) {
		_, text := explain(err, "set it up")
		return text
	}
	// A sign-in error carries its own fix; the step's fix is for the rest.
	var ae *auth.Error
	_, text := explain(se.Err, "set it up")
	if se.Fix != "" && !errors.As(se.Err, &ae) {
		text = firstUpper(se.Err.Error()) + ".\n\nWhat to do: " + se.Fix
	}
	return connections.StepText(se.Step) + ": " + text
}
