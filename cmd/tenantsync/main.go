// Command tenantsync is the desktop app and its command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantsync/tenantsync/cmd/tenantsync/cli"
	"github.com/tenantsync/tenantsync/core/syncer"
)

func main() {
	syncer.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, OpenWindow: openWindow}, os.Args[1:])
	stop()
	os.Exit(code)
}
