package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

func TestClassifyLocalIOIsNotOffline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string // a word the message must have
	}{
		{"disk full", fmt.Errorf("commit: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), "disk is full"},
		{"quota", fmt.Errorf("commit: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}), "disk is full"},
		{"bare errno", fmt.Errorf("grow: %w", syscall.ENOSPC), "disk is full"},
		{"file too large", fmt.Errorf("grow: %w", &fs.PathError{Op: "truncate", Path: "x", Err: syscall.EFBIG}), "file too large"},
		{"database write", fmt.Errorf("commit tenant: %w", &store.WriteError{Path: "x", Err: errors.New("file sync error: bad disk")}), "could not save to its database"},
		{"read-only", fmt.Errorf("open store: %w", &fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}), "read-only"},
		{"I/O error", fmt.Errorf("commit: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.EIO}), "could not read or write"},
		{"permission", fmt.Errorf("commit: %w", &fs.PathError{Op: "open", Path: "x", Err: os.ErrPermission}), "may not write"},
	} {
		var ae *Error
		if !errors.As(Classify(tc.err), &ae) {
			t.Errorf("%s: Classify(%v) is not an *Error", tc.name, tc.err)
			continue
		}
		if ae.Code != CodeLocalIO {
			t.Errorf("%s: Classify(%v).Code = %q, want %q (message %q)", tc.name, tc.err, ae.Code, CodeLocalIO, ae.Message)
		}
		if !containsFold(ae.Message, tc.want) || ae.Fix == "" {
			t.Errorf("%s: Classify(%v) = %q, fix %q; want a message with %q and a fix", tc.name, tc.err, ae.Message, ae.Fix, tc.want)
		}
	}
}

func TestClassifyNetworkIsOffline(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, err := range []error{
		dial,
		&url.Error{Op: "Post", URL: "https://login.microsoftonline.com/x", Err: dial},
		&url.Error{Op: "Get", URL: "https://graph.microsoft.com", Err: &net.DNSError{Err: "no such host", Name: "graph.microsoft.com", IsNotFound: true}},
		// A firewall's refusal is a network problem even though it reads as permission denied.
		&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.EACCES}},
	} {
		var ae *Error
		if !errors.As(Classify(err), &ae) || ae.Code != CodeOffline {
			t.Errorf("Classify(%v) = %v, want code %q", err, Classify(err), CodeOffline)
		}
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
