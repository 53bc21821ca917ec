// Command tenantsync is the desktop app and its command line.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tenantsync/tenantsync/cmd/internal/gctune"
	"github.com/tenantsync/tenantsync/cmd/tenantsync/cli"
	"github.com/tenantsync/tenantsync/cmd/tenantsync/internal/clocale"
)

func main() {
	clocale.Restore()
	os.Exit(run())
}

// run is main without os.Exit, so its deferred calls run. cli.Run recovers
// a command's panic itself; this catches one in the wiring around it, so a
// bug is still exit 1 and never Go's exit 2, which means a usage error.
func run() (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "tenantsync: internal error: %v\n%s", r, debug.Stack())
			code = cli.ExitRuntime
		}
	}()
	gctune.Apply()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Run(ctx, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, OpenWindow: openWindow}, os.Args[1:])
}
