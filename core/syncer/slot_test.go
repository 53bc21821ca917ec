package syncer

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A tenant waiting out Retry-After gives its place to another tenant, and
// takes a place again before its request goes on.
func TestSlotFreedWhileWaiting(t *testing.T) {
	sem := make(chan struct{}, 1)
	sem <- struct{}{}
	waiting := &slot{sem: sem, held: true}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- waiting.wait(ctx, time.Hour) }()
	select {
	case sem <- struct{}{}: // another tenant starts while the first waits
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting tenant kept its place")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("wait after cancel = %v, want context.Canceled", err)
	}
	<-sem // the other tenant finishes

	// Woken, a request takes a place again; a second request of the same
	// tenant waking after it does not take another.
	if err := waiting.wait(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if err := waiting.wait(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if len(sem) != 1 || !waiting.held {
		t.Fatalf("after waking: %d places taken, held %v; want 1, true", len(sem), waiting.held)
	}
	waiting.release()
	if len(sem) != 0 {
		t.Fatalf("after release: %d places taken, want 0", len(sem))
	}
}
