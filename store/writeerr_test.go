package store

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

// TestWriteErrorKeepsTheSystemError: bbolt reports a failure to grow the
// file as text; the system error in it must still be found by errors.Is,
// so that a full disk is named as such.
func TestWriteErrorKeepsTheSystemError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want syscall.Errno
	}{
		{"grow as text", errors.New("file resize error: truncate /d/tenantsync.db: file too large"), syscall.EFBIG},
		{"sync as text", errors.New("file sync error: sync /d/tenantsync.db: no space left on device"), syscall.ENOSPC},
		{"write wrapped", &fs.PathError{Op: "write", Path: "/d/tenantsync.db", Err: syscall.EIO}, syscall.EIO},
	} {
		err := writeError("/d/tenantsync.db", tc.err)
		var we *WriteError
		if !errors.As(err, &we) || !errors.Is(err, tc.want) {
			t.Errorf("%s: writeError(%v) = %v: want a *WriteError that is %v", tc.name, tc.err, err, tc.want)
		}
	}
	if err := writeError("/d/tenantsync.db", errors.New("something else")); errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EIO) {
		t.Errorf("an unknown text became a system error: %v", err)
	}
}
