package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// ago says how long ago t was, in the words a status line uses.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "in " + span(-d)
	case d < time.Minute:
		return "just now"
	}
	return span(d) + " ago"
}

// until says when t comes.
func until(t time.Time) string {
	if t.IsZero() {
		return "not scheduled"
	}
	d := time.Until(t)
	if d <= time.Minute {
		return "due now"
	}
	return "in " + span(d)
}

func span(d time.Duration) string {
	switch {
	case d < time.Hour:
		return plural(max(int(d.Minutes()), 1), "minute")
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	}
	return plural(int(d.Hours()/24), "day")
}

// when formats a timestamp for detail panes.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2 Jan 2006 15:04") + " (" + ago(t) + ")"
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTPE"[exp])
}

func scheduleText(d time.Duration) string {
	for _, s := range schedules {
		if s.every == d {
			return s.label
		}
	}
	if d == 0 {
		return "manual only"
	}
	return "every " + d.String()
}

var schedules = []struct {
	label string
	every time.Duration
}{
	{"Manual only", 0},
	{"Every 15 minutes", 15 * time.Minute},
	{"Every hour", time.Hour},
	{"Every 4 hours", 4 * time.Hour},
	{"Every day", 24 * time.Hour},
}

func statusDot(status store.Status) string {
	switch status {
	case store.StatusOK:
		return "●"
	case store.StatusSyncing, store.StatusQueued:
		return "↻"
	case store.StatusWarning:
		return "▲"
	case store.StatusError:
		return "✖"
	case store.StatusPaused:
		return "❚❚"
	}
	return "○"
}

func statusImportance(status store.Status) widget.Importance {
	switch status {
	case store.StatusOK:
		return widget.SuccessImportance
	case store.StatusWarning, store.StatusPaused:
		return widget.WarningImportance
	case store.StatusError:
		return widget.DangerImportance
	case store.StatusSyncing, store.StatusQueued:
		return widget.HighImportance
	}
	return widget.MediumImportance
}

// statusLine is a connection's state in a few words.
func statusLine(c store.Connection) string {
	switch {
	case c.Paused:
		return "paused · last sync " + ago(c.LastSync)
	case c.Status == store.StatusSyncing:
		return "syncing now"
	case c.Status == store.StatusQueued:
		return "queued"
	case c.LastSync.IsZero():
		return "never synced"
	}
	return string(c.Status) + " · " + ago(c.LastSync) + " · next " + until(c.NextSync)
}

func phaseText(phase string) string {
	switch phase {
	case syncer.PhaseQueued:
		return "waiting"
	case syncer.PhaseReading:
		return "reading licenses, mailboxes and devices"
	case syncer.PhaseUsers:
		return "reading users"
	case syncer.PhaseMatching:
		return "matching users to contacts"
	case syncer.PhaseSaving:
		return "saving"
	case syncer.PhaseDone:
		return "done"
	case syncer.PhaseFailed:
		return "failed"
	}
	return phase
}

func countsText(c store.Counts) string {
	return fmt.Sprintf("%d created · %d updated · %d unchanged · %d flagged · %s", c.Created, c.Updated, c.Unchanged, c.Flagged, plural(c.Leavers, "leaver"))
}

// explain turns an error into what happened and what to do, in the
// technician's words; never a stack.
func explain(err error, what string) (title, message string) {
	title = "Could not " + what
	var ae *auth.Error
	var fe connections.FieldErrors
	var dup *syncer.DuplicateError
	switch {
	case errors.As(err, &ae):
		message = ae.Message
		if ae.Fix != "" {
			message += "\n\nWhat to do: " + ae.Fix
		}
	case errors.As(err, &fe):
		var b strings.Builder
		b.WriteString("Some fields need attention:\n")
		for k, v := range fe {
			fmt.Fprintf(&b, "\n• %s: %s", fieldTitle(k), v)
		}
		message = b.String()
	case errors.As(err, &dup):
		message = dup.Error()
	case errors.Is(err, secrets.ErrUnavailable):
		message = "tenantsync keeps client secrets in the OS keychain and cannot reach it.\n\nWhat to do: " + secrets.Hint()
	case errors.Is(err, store.ErrLocked):
		message = "Another tenantsync window (or a scheduled sync) has the database open.\n\nWhat to do: close the other window or wait for the sync to finish, then try again."
	case errors.Is(err, syncer.ErrBusy):
		message = "A sync of this connection is already running.\n\nWhat to do: wait for it to finish or cancel it."
	case errors.Is(err, context.DeadlineExceeded):
		message = "Microsoft did not answer in time.\n\nWhat to do: check the internet connection and try again."
	default:
		message = firstUpper(err.Error()) + ".\n\nWhat to do: try again; if it keeps happening, the sync logs and tenantsync.log in the data folder have the details."
	}
	return title, message
}

func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func fieldTitle(k string) string {
	switch k {
	case connections.FieldName:
		return "Name"
	case connections.FieldMode:
		return "Connection type"
	case connections.FieldTenantID:
		return "Tenant ID"
	case connections.FieldClientID:
		return "Application (client) ID"
	case connections.FieldSecret:
		return "Client secret"
	case connections.FieldRedirectPort:
		return "Redirect port"
	}
	return k
}

// showError shows err in a dialog that says what to do and logs it with
// its cause and attrs (connection, tenant, contact...). A cancelled context
// is the technician's own doing and shows nothing.
func (e *env) showError(err error, what string, attrs ...any) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	e.logError(err, what, attrs...)
	title, msg := explain(err, what)
	e.showInfo(title, msg)
}

func (e *env) showInfo(title, msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, "OK", container.NewVScroll(l), e.w)
	d.Resize(fyne.NewSize(520, 300))
	d.Show()
}

// heading is a view's title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// note is wrapped explanatory text.
func note(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// columns lays out objects side by side with widths in proportion to
// weights, whatever their content: the columns of a list row and its
// header line up.
type columns []float32

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(len(objs))*20, h)
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var total float32
	for i := range objs {
		total += c.weight(i)
	}
	pad := theme.Padding()
	avail := size.Width - pad*float32(max(len(objs)-1, 0))
	x := float32(0)
	for i, o := range objs {
		w := avail * c.weight(i) / total
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (c columns) weight(i int) float32 {
	if i < len(c) {
		return c[i]
	}
	return 1
}

// row lays objs out in columns of the given weights.
func row(weights columns, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(weights, objs...)
}

// showFindings sets a one-line label to the first finding and its fix,
// coloured by severity, saying how many more there are ("+2 more…").
func showFindings(l *widget.Label, fs []store.Finding, more string) {
	fd := fs[0]
	text := "▲ " + fd.Message
	if fd.Fix != "" {
		text += " — Fix: " + fd.Fix
	}
	if len(fs) > 1 {
		text += fmt.Sprintf(" (+%d %s)", len(fs)-1, more)
	}
	l.SetText(text)
	l.Importance = widget.WarningImportance
	if fd.Severity == store.SeverityError {
		l.Importance = widget.DangerImportance
	}
}
