// Package gctune sets the garbage collector of the programs that sync: a
// process-wide setting, so it belongs to the programs (cmd), never to the
// library packages they import.
package gctune

import (
	"os"
	"runtime/debug"
)

// GC settings the sync engine is measured with (cmd/syncbench): a sync
// makes much short-lived garbage while it decodes Graph pages, so
// collecting at 200% heap growth instead of Go's 100% spends about a fifth
// less CPU per user, and the soft limit keeps the heap of a 300-tenant sync
// near where it was.
const (
	gcPercent   = 200
	memoryLimit = 320 << 20
)

// Apply sets the garbage collector for syncing, unless GOGC or GOMEMLIMIT
// in the environment say otherwise. It changes the whole process: the
// composition root calls it once at start.
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
