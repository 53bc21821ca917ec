package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/store"
)

// TestHistoryLineSaysWho: a change a technician's decision made says who
// made it; a sync's change, which has nobody, says nothing of it.
func TestHistoryLineSaysWho(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	byTech := historyLine(store.Change{At: at, Kind: store.ChangeUnlinked, Reason: "the match was reverted", By: "alex"})
	if !strings.Contains(byTech, "unlinked") || !strings.Contains(byTech, "the match was reverted") || !strings.HasSuffix(byTech, " · by alex") {
		t.Errorf("a technician's change reads %q, want its kind, reason and \" · by alex\"", byTech)
	}
	bySync := historyLine(store.Change{At: at, Kind: store.ChangeUpdated, Fields: []store.FieldChange{{Field: "title", Old: "a", New: "b"}}})
	if strings.Contains(bySync, " by ") || !strings.Contains(bySync, `title: "a" → "b"`) {
		t.Errorf("a sync's change reads %q, want its fields and no author", bySync)
	}
}
