package secrets

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

// TestNotFoundContract: the store's and the keychain's "nothing stored"
// errors, wrapped or not, report NotFound; other errors do not.
func TestNotFoundContract(t *testing.T) {
	t.Parallel()
	for _, err := range []error{ErrNotFound, store.ErrNotFound, fmt.Errorf("blob x: %w", store.ErrNotFound), fmt.Errorf("item: %w", ErrNotFound)} {
		if !IsNotFound(err) {
			t.Errorf("IsNotFound(%v) = false", err)
		}
	}
	for _, err := range []error{nil, errors.New("not found"), fmt.Errorf("read: %w", errors.New("disk"))} {
		if IsNotFound(err) {
			t.Errorf("IsNotFound(%v) = true", err)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", store.ErrNotFound), store.ErrNotFound) {
		t.Error("errors.Is no longer finds store.ErrNotFound")
	}
}
