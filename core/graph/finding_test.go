package graph

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/tenantsync/tenantsync/core/auth"
)

func TestFindingLocalIOIsNotOffline(t *testing.T) {
	t.Parallel()
	full := &fs.PathError{Op: "write", Path: "tenantsync.db", Err: syscall.ENOSPC}
	dial := &url.Error{Op: "Get", URL: "https://graph.microsoft.com/v1.0/users",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"commit on a full disk", fmt.Errorf("commit tenant: %w", full), auth.CodeLocalIO},
		{"read wrapped as a Graph error", wrap(fmt.Errorf("save page: %w", full), DataContacts), auth.CodeLocalIO},
		{"no network", wrap(dial, DataContacts), auth.CodeOffline},
	} {
		if f := Finding(tc.err, DataContacts); f.Code != tc.want {
			t.Errorf("%s: Finding(%v).Code = %q (%s), want %q", tc.name, tc.err, f.Code, f.Message, tc.want)
		}
	}
}
