package syncer

import (
	"slices"
	"testing"
)

// TestHubKeepsFinalEvents: a subscriber that falls behind loses progress
// events, never a final one, and sees the final ones in order.
func TestHubKeepsFinalEvents(t *testing.T) {
	t.Parallel()
	var h hub
	ch, stop := h.subscribe(4)
	defer stop()
	h.publish(Event{Kind: RunStarted, RunID: 1})
	h.publish(Event{Kind: StatusChanged, RunID: 2})
	h.publish(Event{Kind: TenantProgress, RunID: 3})
	h.publish(Event{Kind: TenantDone, RunID: 4})
	h.publish(Event{Kind: TenantProgress, RunID: 5}) // full: dropped
	h.publish(Event{Kind: RunFinished, RunID: 6})    // full: the progress makes room
	h.publish(Event{Kind: StatusChanged, RunID: 7})
	var got []uint64
	for len(ch) > 0 {
		got = append(got, (<-ch).RunID)
	}
	if want := []uint64{2, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("events read = %v, want the final ones %v in order", got, want)
	}

	// A buffer of final events only: the oldest gives way.
	for id := uint64(10); id < 15; id++ {
		h.publish(Event{Kind: StatusChanged, RunID: id})
	}
	got = got[:0]
	for len(ch) > 0 {
		got = append(got, (<-ch).RunID)
	}
	if want := []uint64{11, 12, 13, 14}; !slices.Equal(got, want) {
		t.Errorf("events read = %v, want %v", got, want)
	}
}
