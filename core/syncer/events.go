package syncer

import (
	"sync"

	"github.com/tenantsync/tenantsync/store"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// RunStarted: a sync of a connection began (TenantsTotal may still be 0
	// while the tenants are listed).
	RunStarted EventKind = iota
	// TenantProgress: a tenant entered Phase.
	TenantProgress
	// TenantDone: a tenant finished (Counts, Status, Findings in Result).
	TenantDone
	// RunFinished: the run ended; Run holds its log.
	RunFinished
	// StatusChanged: a connection's status, schedule or pause changed.
	StatusChanged
	// DataChanged: organizations, contacts or tenants changed outside a run
	// (a matching decision), so views should reload.
	DataChanged
)

// Phases of a tenant's sync.
const (
	PhaseQueued   = "queued"
	PhaseReading  = "reading"
	PhaseUsers    = "users"
	PhaseMatching = "matching"
	PhaseSaving   = "saving"
	PhaseDone     = "done"
	PhaseFailed   = "failed"
)

// Event is progress and state the engine publishes for the UI and the CLI.
type Event struct {
	Kind         EventKind
	ConnectionID string
	RunID        uint64
	TenantID     string
	TenantName   string
	Phase        string
	TenantsDone  int
	TenantsTotal int
	Result       *store.TenantResult // TenantDone
	Run          *store.SyncRun      // RunFinished
	Status       store.Status        // StatusChanged: the connection's status
}

// hub fans events out to subscribers. Publishing never blocks the engine:
// a subscriber that falls behind loses progress events (RunStarted,
// TenantProgress, TenantDone), never a final one (RunFinished,
// StatusChanged and the others): to make room for one, the progress events
// waiting in its buffer are dropped, the final ones kept in order. Only a
// subscriber with a whole buffer of final events unread loses the oldest.
type hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func (h *hub) subscribe(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan Event]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
			close(ch)
		})
	}
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
			continue
		default:
		}
		if ev.progress() {
			continue // a final event will say where things ended
		}
		makeRoom(ch)
		select {
		case ch <- ev:
		default:
		}
	}
}

// progress reports whether a later event supersedes ev.
func (ev Event) progress() bool {
	return ev.Kind == TenantProgress || ev.Kind == TenantDone || ev.Kind == RunStarted
}

// makeRoom takes the events waiting in a full ch and puts back the final
// ones, in order, without the progress ones; with none of those, it drops
// the oldest. Only publish sends on ch, under the hub's lock, so nothing
// is sent meanwhile; the subscriber may read some, which is fine.
func makeRoom(ch chan Event) {
	var kept []Event
	dropped := false
	for {
		select {
		case ev := <-ch:
			if ev.progress() {
				dropped = true
				continue
			}
			kept = append(kept, ev)
			continue
		default:
		}
		break
	}
	if !dropped && len(kept) > 0 {
		kept = kept[1:]
	}
	for _, ev := range kept {
		ch <- ev // room: fewer than we took
	}
}
