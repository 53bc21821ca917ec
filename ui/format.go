package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tenantsync/tenantsync/store"
)

func itoa(n int) string { return strconv.Itoa(n) }

// plural is a count with its noun: "1 tenant", "3 tenants".
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

// span says a duration in minutes, in hours under two days, else in days.
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

// bytesText is a size in bytes in binary units: "1.5 GB".
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

// scheduleText names a sync interval as the schedule choices do.
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

// schedules are the intervals the sync settings offer, in the order shown.
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

// countsText is what a sync did to the contacts, in one line.
func countsText(c store.Counts) string {
	return fmt.Sprintf("%d created · %d updated · %d unchanged · %d flagged · %s", c.Created, c.Updated, c.Unchanged, c.Flagged, plural(c.Leavers, "leaver"))
}

// firstUpper starts a sentence made of an error or a value with a capital.
func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
