package store

import (
	"errors"
	"strings"
	"syscall"
)

// WriteError is a write transaction that could not be saved to the file:
// the disk is full, the file may not grow, the drive failed. What the
// transaction changed was rolled back.
type WriteError struct {
	Path string
	Err  error
	// errno is the system error bbolt reported only as text (see
	// writeError), so that errors.Is(err, syscall.ENOSPC) still holds.
	errno syscall.Errno
}

func (e *WriteError) Error() string {
	return "save to " + e.Path + ": " + e.Err.Error()
}

func (e *WriteError) Unwrap() []error {
	if e.errno != 0 {
		return []error{e.Err, e.errno}
	}
	return []error{e.Err}
}

// textErrnos are the system errors a full or failing drive gives.
var textErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS, syscall.EIO}

// writeError wraps the error of a write transaction whose fn succeeded: the
// commit failed, so the cause is the file, not the caller. bbolt formats
// the error of growing the file with %s ("file resize error: truncate …:
// file too large"), losing its type: the system error is recovered from
// the text so that callers can tell a full disk from other failures.
func writeError(path string, err error) error {
	we := &WriteError{Path: path, Err: err}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		msg := err.Error()
		for _, e := range textErrnos {
			if strings.HasSuffix(msg, ": "+e.Error()) {
				we.errno = e
				break
			}
		}
	}
	return we
}
