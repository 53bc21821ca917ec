package store

import "time"

// markInterrupted turns what a dead process left "syncing" (or queued)
// into "interrupted": the connections (due again at once) and their
// unfinished runs. The store is opened by one process at a time, so nothing
// found syncing at open is still running. Every connection's last runs are
// looked at, whatever its status: a process killed between saving its run
// and its connection's status leaves a run syncing under a connection that
// is not.
func (t *Tx) markInterrupted() error {
	conns, err := t.Connections()
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.interrupt(t.now) {
			if err := t.PutConnection(&c); err != nil {
				return err
			}
		}
		runs, err := t.Runs(c.ID, 3)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if r.interrupt(t.now) {
				if err := t.PutRun(&r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// interrupt makes a connection that a dead process left syncing or queued
// interrupted and due at once; it reports whether it changed c.
func (c *Connection) interrupt(now time.Time) bool {
	if c.Status != StatusSyncing && c.Status != StatusQueued {
		return false
	}
	c.Status = StatusInterrupted
	c.StatusDetail = "the last sync stopped before it finished (tenantsync was closed or crashed); it runs again"
	c.NextSync = now
	return true
}

// interrupt makes a run that a dead process left syncing interrupted; it
// reports whether it changed r.
func (r *SyncRun) interrupt(now time.Time) bool {
	if r.Status != StatusSyncing {
		return false
	}
	r.Status = StatusInterrupted
	r.Log = append(r.Log, LogEntry{At: now, Level: LevelWarning, Message: "interrupted: tenantsync stopped before this run finished; tenants committed before that are kept"})
	return true
}

// asFound makes a connection or run read as what a dead process left: in
// a read-only store (status, logs) one left syncing reads as interrupted,
// as the next writing open (markInterrupted) will mark it.
func (t *Tx) asFound(r interface{ interrupt(now time.Time) bool }) {
	if t.deadSyncs {
		r.interrupt(t.now)
	}
}
