package syncer

import (
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/store"
)

func TestNextSync(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	last := now.Add(-30 * time.Minute)
	for _, tc := range []struct {
		name string
		c    store.Connection
		want time.Time
	}{
		{"manual only", store.Connection{LastSync: last}, time.Time{}},
		{"paused", store.Connection{Schedule: time.Hour, Paused: true, LastSync: last}, time.Time{}},
		{"never synced", store.Connection{Schedule: time.Hour}, now},
		{"a schedule after the last good sync", store.Connection{Schedule: time.Hour, LastSync: last}, last.Add(time.Hour)},
		{"slept through hours: due once, now", store.Connection{Schedule: time.Hour, LastSync: now.Add(-5 * time.Hour)}, now.Add(-4 * time.Hour)},
		{"first failure", store.Connection{Schedule: time.Hour, LastSync: last, LastAttempt: now, Failures: 1}, now.Add(time.Minute)},
		{"third failure", store.Connection{Schedule: time.Hour, LastSync: last, LastAttempt: now, Failures: 3}, now.Add(4 * time.Minute)},
		{"capped at the schedule", store.Connection{Schedule: time.Hour, LastAttempt: now, Failures: 9}, now.Add(time.Hour)},
		{"many failures", store.Connection{Schedule: 15 * time.Minute, LastAttempt: now, Failures: 500}, now.Add(15 * time.Minute)},
	} {
		if got := nextSync(tc.c, now); !got.Equal(tc.want) {
			t.Errorf("%s: nextSync = %v, want %v", tc.name, got, tc.want)
		}
	}
}
