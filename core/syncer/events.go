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

// hub fans events out to subscribers. Publishing never blocks the engine: a
// subscriber that falls behind loses progress events, never RunFinished,
// StatusChanged or DataChanged, which wait for room.
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
		if ev.Kind == TenantProgress || ev.Kind == TenantDone || ev.Kind == RunStarted {
			select {
			case ch <- ev:
			default:
			}
			continue
		}
		select {
		case ch <- ev:
		default:
			// Make room: drop the oldest event, which is progress that the
			// final event supersedes.
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- ev:
			default:
			}
		}
	}
}
