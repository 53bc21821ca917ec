// Command m365sim serves the simulated Microsoft cloud (identity platform
// and Graph v1.0) over HTTPS until interrupted. When ready it prints one JSON
// line on stdout with what a client needs (authority host, Graph base URL,
// partner tenant, Partner Center base URL, client id and secret unless
// --fresh-partner, redirect URI, CA certificate path, control token, the
// partner's admin and GDAP service accounts); logs go to stderr.
//
//	go run ./cmd/m365sim --tenants 300 --users 200 --latency 100ms
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tenantsync/tenantsync/core/m365sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "m365sim:", err)
		os.Exit(1)
	}
}

// run starts the simulation, prints the ready line and serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("m365sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opt      m365sim.Options
		sizes    string
		flagsArg string
		quiet    bool
	)
	fs.StringVar(&opt.Addr, "addr", "127.0.0.1:0", "listen address")
	fs.Int64Var(&opt.Seed, "seed", 1, "seed for all generated data and random faults")
	fs.IntVar(&opt.Tenants, "tenants", 5, "number of customer tenants")
	fs.IntVar(&opt.UsersPerTenant, "users", 25, "mean users per tenant (sizes vary log-normally around it)")
	fs.StringVar(&sizes, "tenant-sizes", "", "explicit users per tenant, comma separated (e.g. 20000,50,50)")
	fs.BoolVar(&opt.CleanTenants, "clean", false, "no randomly assigned tenant problems (concealed names, expired GDAP, ...)")
	fs.StringVar(&flagsArg, "tenant-flags", "", "per-tenant flags, e.g. 0=concealed+nop1,3=gdap-expired (concealed, nop1, gdap-expired, gdap-roles, not-consented, no-grants)")
	fs.DurationVar(&opt.Latency, "latency", 0, "latency added to every request (simulated round trip)")
	fs.Float64Var(&opt.Rate429, "rate-429", 0, "fraction of Graph requests answered 429 at random")
	fs.Float64Var(&opt.Rate503, "rate-503", 0, "fraction of Graph requests answered 503 at random")
	fs.Float64Var(&opt.RateReset, "rate-reset", 0, "fraction of Graph requests whose connection is reset")
	fs.DurationVar(&opt.RetryAfterMin, "retry-after-min", time.Second, "smallest Retry-After of random 429/503")
	fs.DurationVar(&opt.RetryAfterMax, "retry-after-max", 2*time.Second, "largest Retry-After of random 429/503")
	throttle := fs.Bool("throttle", true, "enforce the documented Graph throttling budgets")
	fs.Float64Var(&opt.ThrottleScale, "throttle-scale", 1, "multiply every throttling budget")
	fs.DurationVar(&opt.TokenLifetime, "token-lifetime", time.Hour, "access token lifetime (MSAL caches only tokens living > 5 min)")
	fs.DurationVar(&opt.RefreshTokenLifetime, "refresh-token-lifetime", 90*24*time.Hour, "refresh token inactivity lifetime")
	fs.DurationVar(&opt.DeltaTokenLifetime, "delta-token-lifetime", 7*24*time.Hour, "delta link lifetime")
	fs.IntVar(&opt.DeltaExpiredStatus, "delta-expired-status", 410, "status for an expired delta link (410 or 400)")
	perms := fs.String("permissions", strings.Join(m365sim.DefaultPermissions, ","), "Graph permissions the ready state's app registration requires and is granted, comma separated")
	fs.BoolVar(&opt.FreshPartner, "fresh-partner", false, "no tenantsync app registered yet: the ready line names admin_account and has no client id or secret")
	fs.DurationVar(&opt.ReplicationDelay, "replication-delay", 2*time.Second, "how long an object written through Graph or Partner Center stays invisible to reads and sign-in (Entra's eventual consistency)")
	fs.IntVar(&opt.Unconsented, "unconsented", 0, "the last N customers do not hold the app's service principal (Partner Center consent adds it)")
	fs.StringVar(&opt.Dir, "dir", "", "directory for ca.pem (default: a temporary directory removed on exit)")
	fs.BoolVar(&quiet, "quiet", false, "log nothing but errors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	opt.DisableThrottling = !*throttle
	opt.Permissions = []string{}
	for _, p := range strings.Split(*perms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			opt.Permissions = append(opt.Permissions, p)
		}
	}
	for _, f := range strings.Split(sizes, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return fmt.Errorf("--tenant-sizes: bad size %q", f)
		}
		opt.TenantSizes = append(opt.TenantSizes, n)
	}
	tf, err := parseTenantFlags(flagsArg)
	if err != nil {
		return err
	}
	opt.TenantFlags = tf
	logger := log.New(stderr, "", log.LstdFlags)
	opt.Logf = logger.Printf
	if quiet {
		opt.Logf = func(string, ...any) {}
	}

	srv, err := m365sim.Start(ctx, opt)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := json.NewEncoder(stdout).Encode(srv.Info()); err != nil {
		return err
	}
	<-ctx.Done()
	opt.Logf("m365sim: shutting down")
	return srv.Close()
}

// parseTenantFlags reads "0=concealed+nop1,3=gdap-expired".
func parseTenantFlags(s string) (map[int]m365sim.TenantFlags, error) {
	out := map[int]m365sim.TenantFlags{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		idx, list, ok := strings.Cut(part, "=")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 {
			return nil, fmt.Errorf("--tenant-flags: bad entry %q (want INDEX=flag+flag)", part)
		}
		var f m365sim.TenantFlags
		for _, name := range strings.Split(list, "+") {
			switch strings.TrimSpace(name) {
			case "concealed":
				f.ConcealedNames = true
			case "nop1":
				f.NoEntraP1 = true
			case "gdap-expired":
				f.GDAPExpired = true
			case "gdap-roles":
				f.GDAPMissingRoles = true
			case "not-consented":
				f.NotConsented = true
			case "no-grants":
				f.NoGrants = true
			case "", "none":
			default:
				return nil, fmt.Errorf("--tenant-flags: unknown flag %q", name)
			}
		}
		out[i] = f
	}
	return out, nil
}
