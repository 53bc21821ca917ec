package ui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/store"
)

// logsView lists a connection's sync runs and matching decisions and, for
// the chosen one, each tenant's counts and findings with the fix, as they
// were then. A run that starts or ends reloads the runs.
type logsView struct {
	env    *env
	connID string

	conns   []store.Connection
	connSel *widget.Select
	runs    []store.SyncRun
	runList *widget.List
	runAt   int
	detail  *fyne.Container
	copyBtn *widget.Button

	gen generation // the last read of the runs
}

func newLogsView(e *env, connID string) *logsView {
	return &logsView{env: e, connID: connID, runAt: -1}
}

func (v *logsView) buildUI() fyne.CanvasObject {
	v.connSel = widget.NewSelect(nil, func(string) {
		if i := v.connSel.SelectedIndex(); i >= 0 && v.conns[i].ID != v.connID {
			v.connID = v.conns[i].ID
			v.runAt = -1
			v.refresh()
		}
	})
	v.runList = widget.NewList(
		func() int { return len(v.runs) },
		func() fyne.CanvasObject {
			top := widget.NewLabelWithStyle("2 Jan 2006 15:04 · manual", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			sub := widget.NewLabel("ok · 12 tenants · 30 created")
			sub.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(top, sub)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			r := v.runs[id]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(runTitle(r))
			sub := box.Objects[1].(*widget.Label)
			sub.SetText(fmt.Sprintf("%s %s · %s · %d created · %d updated", statusDot(r.Status), r.Status, plural(len(r.Tenants), "tenant"), r.Totals.Created, r.Totals.Updated))
			sub.Importance = statusImportance(r.Status)
			sub.Refresh()
		})
	v.runList.OnSelected = func(id widget.ListItemID) {
		v.runAt = id
		v.showRun()
	}
	v.copyBtn = widget.NewButtonWithIcon("Copy log", theme.ContentCopyIcon(), v.onCopy)
	v.detail = container.NewStack()
	v.refresh()
	left := container.NewBorder(heading("Runs"), nil, nil, nil, v.runList)
	right := container.NewBorder(nil, nil, nil, nil, v.detail)
	split := container.NewHSplit(left, right)
	split.Offset = 0.28
	return container.NewBorder(container.NewBorder(nil, nil, heading("Sync logs"), container.NewHBox(v.connSel, v.copyBtn)), nil, nil, nil, split)
}

func runTitle(r store.SyncRun) string {
	t := r.Start.Local().Format("Mon 2 Jan 15:04") + " · " + string(r.Trigger)
	if r.DryRun {
		t += " (dry run)"
	}
	return t
}

// connectionRuns is what the logs view reads: the connections, the one it
// shows and that one's runs.
type connectionRuns struct {
	conns  []store.Connection
	connID string
	runs   []store.SyncRun
}

// refresh reads the connections, and the runs and tenants of the one shown.
func (v *logsView) refresh() {
	eng, mgr, want := v.env.core.Engine, v.env.core.Manager, v.connID
	load(v.env, &v.gen, "read the sync logs", func(ctx context.Context) (connectionRuns, error) {
		conns, err := mgr.Connections(ctx)
		if err != nil {
			return connectionRuns{}, err
		}
		d := connectionRuns{conns: conns, connID: chosenConnection(conns, want)}
		if d.connID == "" {
			return d, nil
		}
		d.runs, err = eng.Runs(ctx, d.connID, 100)
		return d, err
	}, v.showRuns, "connection", want)
}

// connectionChanged reloads the runs when the connection shown started or
// finished one.
func (v *logsView) connectionChanged(connID string) {
	if connID == v.connID {
		v.refresh()
	}
}

func (v *logsView) showRuns(d connectionRuns) {
	v.connID = d.connID
	showConnections(v.connSel, &v.conns, d.conns, d.connID)
	v.runs = d.runs
	v.runList.Refresh()
	if v.runAt < 0 && len(v.runs) > 0 {
		v.runList.Select(0)
		return
	}
	v.showRun()
}

func (v *logsView) showRun() {
	if v.runAt < 0 || v.runAt >= len(v.runs) {
		v.copyBtn.Disable()
		v.detail.Objects = []fyne.CanvasObject{note("No sync has run yet. Start one with Sync now.")}
		v.detail.Refresh()
		return
	}
	v.copyBtn.Enable()
	r := v.runs[v.runAt]
	// Problems first: that is what the technician opens the log for.
	r.Tenants = slices.Clone(r.Tenants)
	sort.SliceStable(r.Tenants, func(i, j int) bool { return severity(r.Tenants[i]) > severity(r.Tenants[j]) })
	dur := "still running"
	if !r.End.IsZero() {
		dur = r.End.Sub(r.Start).Round(100_000_000).String()
	}
	summary := widget.NewLabel(fmt.Sprintf("%s · %s · took %s\n%s · %d requests, %d retried",
		runTitle(r), r.Status, dur, countsText(r.Totals), r.Totals.Requests, r.Totals.Retries))
	status := widget.NewLabelWithStyle(statusDot(r.Status)+" "+firstUpper(string(r.Status)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	status.Importance = statusImportance(r.Status)

	tenants := widget.NewList(
		func() int { return len(r.Tenants) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("Tenant", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateClip
			counts := widget.NewLabel("counts")
			counts.Truncation = fyne.TextTruncateClip
			finding := widget.NewLabel("finding")
			finding.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(row(columns{2, 5}, name, counts), finding)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			t := r.Tenants[id]
			box := o.(*fyne.Container)
			cols := box.Objects[0].(*fyne.Container)
			cols.Objects[0].(*widget.Label).SetText(statusDot(t.Status) + " " + t.DisplayName)
			counts := cols.Objects[1].(*widget.Label)
			counts.SetText(countsText(t.Counts))
			counts.Importance = widget.MediumImportance
			// The match state the run saw, not today's: an old run reads as
			// it was.
			if t.MatchState != "" && t.MatchState != store.MatchMatched && t.Counts.Created+t.Counts.Updated+t.Counts.Unchanged == 0 {
				counts.SetText("not matched to an organization yet: no contacts synced (see Matching)")
				counts.Importance = widget.LowImportance
			}
			counts.Refresh()
			f := box.Objects[1].(*widget.Label)
			switch len(t.Findings) {
			case 0:
				f.SetText("no problems")
				f.Importance = widget.LowImportance
			default:
				showFindings(f, t.Findings, "more: select the tenant")
			}
			f.Refresh()
		})
	tenants.OnSelected = func(id widget.ListItemID) {
		tenants.Unselect(id)
		v.env.showInfo(r.Tenants[id].DisplayName, tenantReport(r.Tenants[id]))
	}
	var log strings.Builder
	for _, e := range r.Log {
		if e.Level != store.LevelInfo || r.Trigger == store.TriggerDecision {
			fmt.Fprintf(&log, "%s %s %s\n", e.At.Local().Format("15:04:05"), strings.ToUpper(string(e.Level)), e.Message)
		}
	}
	top := container.NewVBox(status, summary)
	if log.Len() > 0 {
		l := widget.NewLabel(strings.TrimSpace(log.String()))
		l.Wrapping = fyne.TextWrapWord
		top.Add(l)
	}
	top.Add(heading("Tenants"))
	v.detail.Objects = []fyne.CanvasObject{container.NewBorder(top, nil, nil, nil, tenants)}
	v.detail.Refresh()
}

// severity orders tenant results: errors, then warnings, then the rest.
func severity(t store.TenantResult) int {
	n := 0
	for _, f := range t.Findings {
		switch f.Severity {
		case "error":
			n = max(n, 2)
		default:
			n = max(n, 1)
		}
	}
	if t.Status == store.StatusError {
		n = 2
	}
	return n
}

func tenantReport(t store.TenantResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n%s\n%d requests, %d retried, %d errors\n", t.DisplayName, t.Status, countsText(t.Counts), t.Counts.Requests, t.Counts.Retries, t.Counts.Errors)
	for _, f := range t.Findings {
		fmt.Fprintf(&b, "\n%s: %s\n", strings.ToUpper(string(f.Severity)), f.Message)
		if f.Fix != "" {
			fmt.Fprintf(&b, "Fix: %s\n", f.Fix)
		}
	}
	for _, ch := range t.Changes {
		fmt.Fprintf(&b, "\n%s %s", ch.Kind, ch.Contact)
		if ch.Reason != "" {
			fmt.Fprintf(&b, " (%s)", ch.Reason)
		}
	}
	return b.String()
}

// runReport is the plain-text log of a run, for the clipboard (a ticket,
// an e-mail to the customer).
func runReport(connName string, r store.SyncRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenantsync sync log: %s\n%s · %s\n%s\n", connName, runTitle(r), r.Status, countsText(r.Totals))
	for _, t := range r.Tenants {
		b.WriteString("\n")
		b.WriteString(tenantReport(t))
	}
	if len(r.Log) > 0 {
		b.WriteString("\nLog:\n")
		for _, e := range r.Log {
			fmt.Fprintf(&b, "%s %s %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Level, e.Message)
		}
	}
	return b.String()
}

func (v *logsView) onCopy() {
	if v.runAt < 0 || v.runAt >= len(v.runs) {
		return
	}
	name := ""
	if i := v.connSel.SelectedIndex(); i >= 0 {
		name = v.conns[i].Name
	}
	v.env.app.Clipboard().SetContent(runReport(name, v.runs[v.runAt]))
}
