package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// integrationsView lists the connections with their status and actions.
// There are a handful of connections, so each gets a card; a connection
// whose status or tenants changed gets its card redrawn.
type integrationsView struct {
	env   *env
	cards *fyne.Container
	// cardAt is the index in cards of each connection's card.
	cardAt map[string]int
	// buttons by connection id and action, for tests
	buttons map[string]map[string]*widget.Button
	// consent actions by connection id, for tests
	consents map[string]*consentAction
	// paused connections: their Sync now stays off whatever the engine does
	paused map[string]bool

	gen     generation             // the last read of every connection
	cardGen map[string]*generation // the last read of each connection
}

// connectionCard is what a card shows: a connection and its tenants.
type connectionCard struct {
	conn    store.Connection
	tenants []store.Tenant
}

// Integration actions, as keys of integrationsView.buttons.
const (
	actSync        = "sync"
	actSettings    = "settings"
	actPreview     = "preview"
	actMatching    = "matching"
	actCredentials = "credentials"
	actPause       = "pause"
	actLogs        = "logs"
	actDisconnect  = "disconnect"
	actConsent     = "consent"
	actRenewSecret = "renew_secret"
)

func newIntegrationsView(e *env) *integrationsView {
	return &integrationsView{env: e, cardGen: map[string]*generation{}}
}

func (v *integrationsView) buildUI() fyne.CanvasObject {
	v.cardAt = map[string]int{}
	add := widget.NewButtonWithIcon("Add connection", theme.ContentAddIcon(), func() { v.env.shell.showConnect("") })
	header := container.NewVBox(container.NewBorder(nil, nil, heading("Integrations"), add),
		note("Microsoft 365 connections: each one reaches a partner's customer tenants (GDAP) or a single tenant."))
	v.cards = container.NewVBox()
	v.refresh()
	return container.NewBorder(header, nil, nil, nil, container.NewVScroll(v.cards))
}

// refresh reads every connection with its tenants and draws their cards.
func (v *integrationsView) refresh() {
	mgr := v.env.core.Manager
	for _, g := range v.cardGen {
		g.next() // this read brings every card
	}
	load(v.env, &v.gen, "list the connections", func(ctx context.Context) ([]connectionCard, error) {
		conns, err := mgr.Connections(ctx)
		if err != nil {
			return nil, err
		}
		cards := make([]connectionCard, len(conns))
		for i, c := range conns {
			cards[i].conn = c
			if cards[i].tenants, err = mgr.Tenants(ctx, c.ID); err != nil {
				return nil, err
			}
		}
		return cards, nil
	}, v.showCards)
}

func (v *integrationsView) showCards(cards []connectionCard) {
	v.buttons = map[string]map[string]*widget.Button{}
	v.consents = map[string]*consentAction{}
	v.paused = map[string]bool{}
	v.cardAt = map[string]int{}
	v.cards.Objects = nil
	for i, c := range cards {
		v.cardAt[c.conn.ID] = i
		v.cards.Add(v.card(c.conn, c.tenants))
	}
	if len(cards) == 0 {
		v.cards.Add(note("No connection yet. Add one to bring your customers' Microsoft 365 tenants into your documentation."))
	}
	v.cards.Refresh()
}

// syncStateChanged turns each card's Sync now off while its connection
// syncs (or is paused) and on again after, as the top bar's does: the
// engine's events, not the stored status, say when a run starts.
func (v *integrationsView) syncStateChanged() {
	for id, btns := range v.buttons {
		if b := btns[actSync]; b != nil {
			if v.paused[id] || v.env.shell.syncing(id) {
				b.Disable()
			} else {
				b.Enable()
			}
		}
	}
}

// connectionChanged redraws the card of a connection whose status changed.
func (v *integrationsView) connectionChanged(connID string) { v.redrawCard(connID) }

// documentationChanged redraws the cards of connections whose tenants
// changed: their counts of matched tenants and problems.
func (v *integrationsView) documentationChanged(c docbase.Changes) {
	for connID := range v.cardAt {
		if len(c.TenantsOf(connID)) > 0 {
			v.redrawCard(connID)
		}
	}
}

// redrawCard reads one connection and its tenants and redraws its card; a
// connection the view does not show yet, or no longer exists, redraws
// them all.
func (v *integrationsView) redrawCard(connID string) {
	if _, ok := v.cardAt[connID]; !ok {
		v.refresh()
		return
	}
	gen := v.cardGen[connID]
	if gen == nil {
		gen = &generation{}
		v.cardGen[connID] = gen
	}
	mgr := v.env.core.Manager
	var gone bool
	load(v.env, gen, "show the connection", func(ctx context.Context) (connectionCard, error) {
		c, err := mgr.Connection(ctx, connID)
		if errors.Is(err, store.ErrNotFound) {
			gone = true
			return connectionCard{}, nil
		}
		if err != nil {
			return connectionCard{}, err
		}
		tenants, err := mgr.Tenants(ctx, connID)
		return connectionCard{conn: c, tenants: tenants}, err
	}, func(c connectionCard) {
		i, ok := v.cardAt[connID]
		if gone || !ok {
			v.refresh()
			return
		}
		v.cards.Objects[i] = v.card(c.conn, c.tenants)
		v.cards.Refresh()
	}, "connection", connID)
}

func (v *integrationsView) card(c store.Connection, tenants []store.Tenant) fyne.CanvasObject {
	matched, unmatched, problems := 0, 0, 0
	for _, t := range tenants {
		switch t.MatchState {
		case store.MatchMatched:
			matched++
		case store.MatchUnmatched, "":
			unmatched++
		}
		if len(t.Findings) > 0 {
			problems++
		}
	}
	status := widget.NewLabelWithStyle(statusDot(c.Status)+" "+firstUpper(string(c.Status)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	status.Importance = statusImportance(c.Status)
	if c.Paused {
		status.SetText(statusDot(store.StatusPaused) + " Paused")
		status.Importance = widget.WarningImportance
	}
	detail := widget.NewLabel(c.StatusDetail)
	detail.Wrapping = fyne.TextWrapWord
	if c.StatusDetail == "" {
		detail.Hide()
	}
	facts := container.New(&formLayout{},
		widget.NewLabel("Last sync"), widget.NewLabel(when(c.LastSync)),
		widget.NewLabel("Next sync"), widget.NewLabel(nextSyncText(c)),
		widget.NewLabel("Tenants"), widget.NewLabel(fmt.Sprintf("%d · %d matched · %d to review · %d with problems", len(tenants), matched, unmatched, problems)),
		widget.NewLabel("Last run"), widget.NewLabel(countsText(c.LastRunCounts)),
	)
	btns := map[string]*widget.Button{}
	v.buttons[c.ID] = btns
	mk := func(key, label string, icon fyne.Resource, fn func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, fn)
		btns[key] = b
		return b
	}
	if c.Mode != store.ModeDemo {
		secret := widget.NewLabel(secretText(c, time.Now()))
		secret.Importance = secretImportance(c, time.Now())
		secret.Truncation = fyne.TextTruncateEllipsis
		renew := mk(actRenewSecret, "Renew secret", theme.ViewRefreshIcon(), func() { v.onRenewSecret(c) })
		facts.Add(widget.NewLabel("Client secret"))
		facts.Add(container.NewBorder(nil, nil, nil, renew, secret))
	}
	consent := container.NewVBox()
	if c.Mode == store.ModeGDAP {
		if a := newConsentAction(v.env, c.ID, consentNeeded(tenants), func([]connections.Check) { v.env.shell.RefreshNow() }); a != nil {
			v.consents[c.ID] = a
			btns[actConsent] = a.btn
			consent.Add(container.NewBorder(nil, nil, nil, a.btn,
				note(plural(len(a.tenants), "customer tenant")+" cannot be read until tenantsync is consented there.")))
		}
	}
	syncBtn := mk(actSync, "Sync now", theme.ViewRefreshIcon(), func() { v.onSyncNow(c) })
	syncBtn.Importance = widget.HighImportance
	v.paused[c.ID] = c.Paused
	if c.Paused || c.Status == store.StatusSyncing || v.env.shell.syncing(c.ID) {
		syncBtn.Disable()
	}
	pauseLabel, pauseIcon := "Pause", theme.MediaPauseIcon()
	if c.Paused {
		pauseLabel, pauseIcon = "Resume", theme.MediaPlayIcon()
	}
	actions := container.NewVBox(
		container.NewHBox(
			syncBtn,
			mk(actPreview, "Preview", theme.VisibilityIcon(), func() { v.onPreview(c) }),
			mk(actMatching, fmt.Sprintf("Matching (%d to review)", unmatched), theme.ContentCopyIcon(), func() { v.env.shell.showMatching(c.ID) }),
			mk(actLogs, "Sync logs", theme.ListIcon(), func() { v.env.shell.showLogs(c.ID) }),
		),
		container.NewHBox(
			mk(actSettings, "Sync settings", theme.SettingsIcon(), func() { v.env.shell.showSyncSettings(c.ID) }),
			mk(actCredentials, "Edit credentials", theme.DocumentCreateIcon(), func() { v.env.shell.showConnect(c.ID) }),
			mk(actPause, pauseLabel, pauseIcon, func() { v.onPause(c) }),
			mk(actDisconnect, "Disconnect", theme.DeleteIcon(), func() { v.onDisconnect(c) }),
		),
	)
	btns[actDisconnect].Importance = widget.DangerImportance
	title := c.Name
	sub := modeText(c.Mode) + " · tenant " + c.TenantID + " · app " + c.ClientID
	return widget.NewCard(title, sub, container.NewVBox(status, detail, facts, consent, actions))
}

// secretText is when the connection's client secret ends.
func secretText(c store.Connection, now time.Time) string {
	if c.SecretExpires.IsZero() {
		return "unknown"
	}
	date := c.SecretExpires.Local().Format("2 Jan 2006")
	left := c.SecretExpires.Sub(now)
	text := "expires " + date + " (in " + plural(int(left.Hours()/24), "day") + ")"
	switch {
	case left <= 0:
		text = "expired on " + date + ": syncs fail until it is renewed"
	case left < 24*time.Hour:
		text = "expires " + date + " (today)"
	}
	if c.RetiringSecretKeyID != "" {
		text += " · the old secret is removed after the next successful sync"
	}
	return text
}

func secretImportance(c store.Connection, now time.Time) widget.Importance {
	switch level, _ := connections.SecretWarning(c, now); level {
	case connections.SecretSoon:
		return widget.WarningImportance
	case connections.SecretUrgent, connections.SecretExpired:
		return widget.DangerImportance
	}
	return widget.MediumImportance
}

// onRenewSecret adds a new client secret through the administrator's
// sign-in (the browser opens), step by step in a small dialog.
func (v *integrationsView) onRenewSecret(c store.Connection) {
	e := v.env
	ctx, cancel := context.WithCancel(e.ctx)
	btn := v.buttons[c.ID][actRenewSecret]
	btn.Disable()
	rows := map[connections.SetupStep]*setupStepRow{}
	list := container.NewVBox()
	for _, st := range []connections.SetupStep{connections.StepAdminSignIn, connections.StepSecret} {
		r := &setupStepRow{icon: widget.NewIcon(stepPending.icon()), title: widget.NewLabel(connections.StepText(st)), msg: note("")}
		r.msg.Importance = widget.LowImportance
		rows[st] = r
		list.Add(container.NewBorder(nil, nil, container.NewHBox(r.icon, r.title), nil, r.msg))
	}
	result := note("The browser opens: sign in as a Global Administrator (or Application Administrator) of the partner tenant.")
	var d dialog.Dialog
	closeBtn := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { cancel(); d.Hide() })
	d = dialog.NewCustomWithoutButtons("Renew the client secret of "+c.Name, container.NewVBox(result, list, container.NewHBox(closeBtn)), e.w)
	d.Resize(fyne.NewSize(600, 300))
	v.env.showDialog(d)
	e.goOwned(func() {
		defer cancel()
		err := e.core.Manager.RenewSecret(ctx, c.ID, func(p connections.SetupProgress) {
			e.do(func() {
				if r := rows[p.Step]; r != nil {
					st := stepRunning
					if p.Done {
						st = stepDone
					}
					r.set(st, p.Message)
				}
			})
		})
		e.do(func() {
			btn.Enable()
			closeBtn.SetText("Close")
			closeBtn.SetIcon(theme.ConfirmIcon())
			switch {
			case errors.Is(err, context.Canceled):
			case err != nil:
				e.logError(err, "renew the client secret", "connection", c.ID)
				text := setupErrorText(err)
				result.SetText(text)
				result.Importance = widget.DangerImportance
				result.Refresh()
			default:
				result.SetText("The new secret is in the keychain; the next sync uses it.")
				result.Importance = widget.SuccessImportance
				result.Refresh()
				v.env.shell.RefreshNow()
			}
		})
	})
}

func nextSyncText(c store.Connection) string {
	switch {
	case c.Paused:
		return "paused: resume to sync on schedule"
	case c.Schedule == 0:
		return "manual only"
	}
	return until(c.NextSync) + " (" + scheduleText(c.Schedule) + ")"
}

func modeText(mode string) string {
	switch mode {
	case store.ModeGDAP:
		return "GDAP partner"
	case store.ModeApp:
		return "Application per tenant"
	case store.ModeSingle:
		return "Single tenant"
	case store.ModeDemo:
		return "Demo (simulated)"
	}
	return mode
}

// onSyncNow queues a sync of the connection; its status comes back as an
// event and redraws the card.
func (v *integrationsView) onSyncNow(c store.Connection) {
	// Off at once: a second tap before the run starts would queue another.
	if b := v.buttons[c.ID][actSync]; b != nil {
		b.Disable()
	}
	eng := v.env.core.Engine
	v.env.run(func(ctx context.Context) error { eng.SyncNow(ctx, c.ID); return nil }, nil)
}

// onPreview runs a dry run: what a sync would create, update and flag,
// changing nothing.
func (v *integrationsView) onPreview(c store.Connection) {
	btn := v.buttons[c.ID][actPreview]
	btn.Disable()
	btn.SetText("Previewing…")
	eng := v.env.core.Engine
	var run store.SyncRun
	v.env.run(func(ctx context.Context) (err error) {
		run, err = eng.Sync(ctx, c.ID, store.TriggerManual, true)
		return err
	}, func(err error) {
		btn.Enable()
		btn.SetText("Preview")
		if err != nil {
			v.env.showError(err, "preview the sync", "connection", c.ID)
			return
		}
		v.env.showInfo("Preview of a sync of "+c.Name, previewReport(run))
	})
}

// previewReport says what a dry run found, tenant by tenant.
func previewReport(run store.SyncRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Nothing was changed. A sync now would:\n%s\n", countsText(run.Totals))
	for _, t := range run.Tenants {
		if len(t.Changes) == 0 && len(t.Findings) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s\n", t.DisplayName, countsText(t.Counts))
		for i, ch := range t.Changes {
			if i == 8 {
				fmt.Fprintf(&b, "  … and %d more\n", len(t.Changes)-i)
				break
			}
			line := "  " + ch.Kind + " " + ch.Contact
			if ch.Reason != "" {
				line += " (" + ch.Reason + ")"
			}
			b.WriteString(line + "\n")
		}
		for _, f := range t.Findings {
			fmt.Fprintf(&b, "  ▲ %s\n", f.Message)
		}
	}
	return b.String()
}

// onPause pauses or resumes the connection's schedule, then redraws its
// card.
func (v *integrationsView) onPause(c store.Connection) {
	eng, pause := v.env.core.Engine, !c.Paused
	v.env.run(func(ctx context.Context) error {
		return eng.SetPaused(ctx, c.ID, pause)
	}, func(err error) {
		if err != nil {
			v.env.showError(err, "change the schedule", "connection", c.ID)
			return
		}
		v.redrawCard(c.ID)
	})
}

func (v *integrationsView) onDisconnect(c store.Connection) {
	msg := note(fmt.Sprintf("Disconnect %q? tenantsync deletes its copy of the tenants, the synced Microsoft 365 data, the sync logs, "+
		"the client secret and the saved sign-in. Your organizations and contacts stay.\n\n"+
		"What stays on Microsoft's side: the app registration, its client secret, its admin consent in each customer tenant "+
		"and the GDAP relationships keep their privileges. Delete the client secret (or the app registration) in the Entra admin center, "+
		"and remove the app's consent from customer tenants you no longer manage.", c.Name))
	d := dialog.NewCustomConfirm("Disconnect "+c.Name, "Disconnect", "Keep", container.NewVScroll(msg), func(ok bool) {
		if !ok {
			return
		}
		v.env.core.Engine.Cancel(c.ID)
		mgr := v.env.core.Manager
		var remains string
		v.env.run(func(ctx context.Context) (err error) {
			remains, err = mgr.Disconnect(ctx, c.ID)
			return err
		}, func(err error) {
			if err != nil {
				v.env.showError(err, "disconnect", "connection", c.ID)
				return
			}
			v.env.shell.RefreshNow()
			v.env.showInfo("Disconnected "+c.Name, "Still to do on Microsoft's side:\n\n"+remains)
		})
	}, v.env.w)
	d.Resize(fyne.NewSize(560, 360))
	v.env.showDialog(d)
}

// formLayout lays out label/value pairs in two columns, the labels as wide
// as the widest.
type formLayout struct{}

func (formLayout) pairs(objs []fyne.CanvasObject) (labelW float32) {
	for i := 0; i+1 < len(objs); i += 2 {
		labelW = max(labelW, objs[i].MinSize().Width)
	}
	return labelW
}

func (l formLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	lw := l.pairs(objs)
	var w, h float32
	for i := 0; i+1 < len(objs); i += 2 {
		w = max(w, objs[i+1].MinSize().Width)
		h += max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
	}
	return fyne.NewSize(lw+theme.Padding()+w, h)
}

func (l formLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	lw := l.pairs(objs)
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(lw, h))
		objs[i+1].Move(fyne.NewPos(lw+theme.Padding(), y))
		objs[i+1].Resize(fyne.NewSize(size.Width-lw-theme.Padding(), h))
		y += h
	}
}
