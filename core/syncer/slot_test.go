package syncer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// A tenant waiting out Retry-After gives its place to another tenant, and
// takes a place again before its request goes on.
func TestSlotFreedWhileWaiting(t *testing.T) {
	t.Parallel()
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

// Two requests of a tenant that wake while every place is taken both go on
// once one of them holds a place again: neither waits for a second place.
func TestSlotSiblingsWakeTogether(t *testing.T) {
	t.Parallel()
	sem := make(chan struct{}, 1)
	sem <- struct{}{}
	a := &slot{sem: sem, held: true}
	a.release()
	sem <- struct{}{} // another tenant takes the only place

	var blocked sync.WaitGroup
	blocked.Add(2)
	a.blocked = blocked.Done
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- a.wait(t.Context(), 0) }()
	}
	blocked.Wait() // both woke and wait for a place
	<-sem          // the other tenant finishes
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a woken request still waits for a place its tenant already holds")
		}
	}
	if len(sem) != 1 || !a.held {
		t.Fatalf("%d places taken, held %v; want 1, true", len(sem), a.held)
	}
}
