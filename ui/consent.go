package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/store"
)

// consentAction is "Consent tenantsync in N customer tenants" for one GDAP
// connection: a confirmation, Partner Center consent customer by customer
// with a progress bar and a row per result, then the preflight again so
// the tenants' findings say what holds now.
type consentAction struct {
	env     *env
	connID  string
	tenants []store.Tenant
	btn     *widget.Button
	// onDone runs on the UI goroutine after the re-check, with its
	// results (nil when it could not run).
	onDone func(checks []connections.Check)

	// while it runs
	stop     context.CancelFunc
	status   *widget.Label
	bar      *widget.ProgressBar
	results  []connections.ConsentResult
	list     *widget.List
	closeBtn *widget.Button
	dlg      dialog.Dialog
	finished bool
}

// newConsentAction returns the action for the tenants that need consent,
// or nil when none do.
func newConsentAction(e *env, connID string, tenants []store.Tenant, onDone func([]connections.Check)) *consentAction {
	if len(tenants) == 0 {
		return nil
	}
	a := &consentAction{env: e, connID: connID, tenants: tenants, onDone: onDone}
	a.btn = widget.NewButtonWithIcon(consentLabel(len(tenants)), theme.ConfirmIcon(), a.onConsent)
	a.btn.Importance = widget.WarningImportance
	return a
}

func consentLabel(n int) string { return "Consent tenantsync in " + plural(n, "customer tenant") }

// onConsent says what consent does and asks before doing it.
func (a *consentAction) onConsent() {
	names := make([]string, 0, 8)
	for i, t := range a.tenants {
		if i == 6 {
			names = append(names, fmt.Sprintf("and %d more", len(a.tenants)-i))
			break
		}
		names = append(names, t.DisplayName)
	}
	msg := note(fmt.Sprintf("tenantsync is not consented in %s: %s.\n\n"+
		"Your GDAP service account asks Partner Center to consent tenantsync in each of them, as an admin agent may for a "+
		"control-panel vendor. Each customer gets tenantsync's enterprise application with the Microsoft Graph permissions "+
		"it reads; nothing else changes there. You can remove it later in the customer's Entra admin center "+
		"(Enterprise applications).", plural(len(a.tenants), "customer tenant"), strings.Join(names, ", ")))
	d := dialog.NewCustomConfirm("Consent tenantsync in customer tenants", "Consent", "Not now", container.NewVScroll(msg), func(ok bool) {
		if ok {
			a.run()
		}
	}, a.env.w)
	d.Resize(fyne.NewSize(560, 340))
	a.env.showDialog(d)
}

// run consents in the background and shows each customer's outcome.
func (a *consentAction) run() {
	e := a.env
	ctx, cancel := context.WithCancel(e.ctx)
	a.stop = cancel
	a.finished = false
	a.results = nil
	a.btn.Disable()
	a.status = note(fmt.Sprintf("Consenting in %s through Partner Center…", plural(len(a.tenants), "customer tenant")))
	a.bar = widget.NewProgressBar()
	a.bar.Max = float64(len(a.tenants))
	a.list = widget.NewList(
		func() int { return len(a.results) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("Tenant name — consented")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			r := a.results[id]
			l := o.(*widget.Label)
			l.SetText(consentResultText(r))
			l.Importance = widget.SuccessImportance
			if r.Outcome == connections.ConsentFailed {
				l.Importance = widget.DangerImportance
			}
			l.Refresh()
		})
	a.list.OnSelected = func(id widget.ListItemID) {
		a.list.Unselect(id)
		r := a.results[id]
		e.showInfo(r.DisplayName, consentResultDetail(r))
	}
	a.closeBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if !a.finished {
			a.stop()
			return
		}
		a.dlg.Hide()
	})
	content := container.NewBorder(container.NewVBox(a.status, a.bar), container.NewHBox(a.closeBtn), nil, nil, a.list)
	a.dlg = dialog.NewCustomWithoutButtons("Consent tenantsync", content, e.w)
	a.dlg.Resize(fyne.NewSize(640, 420))
	a.dlg.Show() // not for Escape: closing it mid-run must stop the consent (closeBtn)

	mgr := e.core.Manager
	connID, tenants := a.connID, a.tenants
	e.goOwned(func() {
		defer cancel()
		results, err := mgr.Consent(ctx, connID, tenants, func(done, total int, r connections.ConsentResult) {
			e.do(func() {
				a.results = append(a.results, r)
				a.bar.SetValue(float64(done))
				a.list.Refresh()
			})
		})
		if err != nil {
			e.do(func() { a.end(nil, err) })
			return
		}
		e.do(func() { a.status.SetText(consentSummary(results) + " Checking the tenants again…") })
		checks, err := mgr.Preflight(ctx, connID, nil)
		e.do(func() {
			a.status.SetText(consentSummary(results))
			a.end(checks, err)
		})
	})
}

// end leaves the running state and hands the re-check to the view.
func (a *consentAction) end(checks []connections.Check, err error) {
	a.finished = true
	a.stop = nil
	a.closeBtn.SetText("Close")
	a.closeBtn.SetIcon(theme.ConfirmIcon())
	a.btn.Enable()
	if err != nil {
		a.env.logError(err, "consent tenantsync into the customers", "connection", a.connID)
		_, msg := explain(err, "consent")
		if errors.Is(err, context.Canceled) {
			msg = "Cancelled. The customers done so far keep their consent."
		}
		a.status.SetText(msg)
	}
	if a.onDone != nil && checks != nil {
		a.onDone(checks)
	}
}

func consentSummary(results []connections.ConsentResult) string {
	ok, failed := 0, 0
	for _, r := range results {
		if r.Outcome == connections.ConsentFailed {
			failed++
		} else {
			ok++
		}
	}
	if failed == 0 {
		return fmt.Sprintf("tenantsync is consented in %s.", plural(ok, "customer tenant"))
	}
	return fmt.Sprintf("Consented in %d of %d customer tenants; %d failed: select one to see what to do.", ok, ok+failed, failed)
}

func consentResultText(r connections.ConsentResult) string {
	if r.Outcome != connections.ConsentFailed {
		return "✓ " + r.DisplayName + " — " + string(r.Outcome)
	}
	text := "✖ " + r.DisplayName + " — " + consentErrText(r)
	if r.Fix != "" {
		text += " — Fix: " + r.Fix
	}
	return text
}

func consentResultDetail(r connections.ConsentResult) string {
	if r.Outcome != connections.ConsentFailed {
		return firstUpper(string(r.Outcome)) + "."
	}
	text := consentErrText(r)
	if r.Fix != "" {
		text += "\n\nWhat to do: " + r.Fix
	}
	return text
}

func consentErrText(r connections.ConsentResult) string {
	if r.Err == nil {
		return "failed"
	}
	return firstUpper(r.Err.Error())
}
