package ui

import (
	"fmt"

	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

// statusDot is the symbol beside a connection or run of that status.
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

// statusImportance colours a label showing that status.
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

// phaseText is what a running sync is doing, for the status bar.
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
