package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
)

func runSetup(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "setup", "")
	f.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: tenantsync setup [flags]

Registers tenantsync in your partner tenant and connects to it, in one go:
  1. you sign in as a Global Administrator of the partner tenant (browser);
  2. tenantsync creates its multi-tenant app registration (Web redirect
     http://localhost:PORT, the permissions below), a client secret that goes
     straight into the OS keychain, its enterprise application, and admin
     consent in the partner tenant;
  3. you sign in as the GDAP service account (browser);
  4. tenantsync consents itself into every customer that lacks it, through
     Partner Center (unless --no-consent).
Running it again reuses what exists and corrects what differs.

Flags:`)
		f.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nPermissions tenantsync's app registration holds:")
		fmt.Fprint(env.Stderr, permissionList())
	}
	name := f.String("name", "Microsoft 365 partner", "a name for the connection")
	port := f.Int("port", connections.DefaultRedirectPort, "loopback port for the sign-ins (registered as http://localhost:PORT under Web)")
	existing := f.String("connection", "", "set up an existing connection again (name or id)")
	noConsent := f.Bool("no-consent", false, "do not consent tenantsync into customer tenants")
	cloud := cloudFlag(f)
	a, code, ok := f.openApp(args)
	if !ok {
		return code
	}
	defer a.close()
	opt := connections.SetupOptions{Name: *name, RedirectPort: *port, Cloud: auth.CloudName(*cloud), Progress: func(p connections.SetupProgress) {
		mark := "…"
		if p.Done {
			mark = "✓"
		}
		fmt.Fprintf(env.Stdout, "%s %s: %s\n", mark, connections.StepText(p.Step), p.Message)
	}}
	if *existing != "" {
		conns, err := a.findConnections(ctx, *existing)
		if err != nil {
			return fail(env, "%v", err)
		}
		opt.ConnectionID = conns[0].ID
	} else if conns, err := a.findConnections(ctx, *name); err == nil {
		opt.ConnectionID = conns[0].ID // same name: set that one up again
	}
	res, err := a.mgr.Setup(ctx, opt)
	if err != nil {
		var se *connections.SetupError
		if errors.As(err, &se) && se.Fix != "" {
			return fail(env, "%v\n  fix: %s", err, se.Fix)
		}
		return fail(env, "%v", err)
	}
	if opt.ConnectionID == "" {
		// A new connection syncs hourly, as one saved in the app does.
		if err := a.engine.SetSchedule(ctx, res.Connection.ID, syncer.DefaultSchedule); err != nil {
			return fail(env, "set the schedule: %v", err)
		}
	}
	if len(res.Created) == 0 && len(res.Updated) == 0 {
		fmt.Fprintln(env.Stdout, "Everything was already set up; nothing was created.")
	} else {
		for _, c := range res.Created {
			fmt.Fprintf(env.Stdout, "created: %s\n", c)
		}
		for _, u := range res.Updated {
			fmt.Fprintf(env.Stdout, "updated: %s\n", u)
		}
	}
	if *noConsent {
		return ExitOK
	}
	return consentMissing(ctx, env, a, res.Connection)
}

// consentMissing finds the customers without tenantsync and consents it there.
func consentMissing(ctx context.Context, env *Env, a *app, c store.Connection) int {
	need, err := a.mgr.NeedsConsent(ctx, c.ID)
	if err != nil {
		return fail(env, "check consent in customers: %v", err)
	}
	if len(need) == 0 {
		fmt.Fprintln(env.Stdout, "tenantsync is consented in every customer tenant.")
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "Consenting tenantsync in %d customer tenant(s) through Partner Center...\n", len(need))
	results, err := a.mgr.Consent(ctx, c.ID, need, func(done, total int, r connections.ConsentResult) {
		fmt.Fprintf(env.Stderr, "[%d/%d] %s: %s\n", done, total, r.DisplayName, r.Outcome)
	})
	if err != nil {
		return fail(env, "consent: %v", err)
	}
	failed := 0
	for _, r := range results {
		if r.Outcome == connections.ConsentFailed {
			failed++
			fmt.Fprintf(env.Stdout, "%s: %v\n  fix: %s\n", r.DisplayName, r.Err, r.Fix)
		}
	}
	fmt.Fprintf(env.Stdout, "Consented in %d of %d customer tenant(s).\n", len(results)-failed, len(results))
	if failed > 0 {
		return ExitRuntime
	}
	return ExitOK
}

func runConsent(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "consent", "")
	name := f.String("connection", "", "the GDAP connection (name or id); default: every GDAP connection")
	a, code, ok := f.openApp(args)
	if !ok {
		return code
	}
	defer a.close()
	conns, err := a.findConnections(ctx, *name)
	if err != nil {
		return fail(env, "%v", err)
	}
	code, any := ExitOK, false
	for _, c := range conns {
		if c.Mode != store.ModeGDAP {
			continue
		}
		any = true
		fmt.Fprintf(env.Stdout, "%s:\n", c.Name)
		if rc := consentMissing(ctx, env, a, c); rc != ExitOK {
			code = rc
		}
	}
	if !any {
		return fail(env, "no GDAP connection: consent is for partners (set one up with `tenantsync setup`)")
	}
	return code
}

// offerConsent asks on stdin whether to consent where tenantsync is missing.
func offerConsent(ctx context.Context, env *Env, in *bufio.Reader, a *app, c store.Connection, yes bool) int {
	need, err := a.mgr.NeedsConsent(ctx, c.ID)
	if err != nil || len(need) == 0 {
		return ExitOK
	}
	if !yes {
		fmt.Fprintf(env.Stdout, "tenantsync is not consented in %d customer tenant(s). Consent it there through Partner Center now? [Y/n] ", len(need))
		line, err := in.ReadString('\n')
		answer := strings.ToLower(strings.TrimSpace(line))
		if (err != nil && err != io.EOF) || (err == io.EOF && line == "") || (answer != "" && answer != "y" && answer != "yes") {
			fmt.Fprintf(env.Stdout, "\nNot now. Run `tenantsync consent --connection %q` when ready.\n", c.Name)
			return ExitOK
		}
	}
	return consentMissing(ctx, env, a, c)
}

// permissionList is the permission table for help texts.
func permissionList() string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(connections.PermissionsMarkdown()), "\n")[2:] {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) == 4 {
			fmt.Fprintf(&b, "  %-24s %-40s %-22s %s\n", cells[0], strings.Trim(cells[1], "`"), cells[2], cells[3])
		}
	}
	return b.String()
}

// cloudFlag adds --cloud, naming the clouds auth.Clouds knows.
func cloudFlag(f *flags) *string {
	var names []string
	for _, c := range auth.Clouds {
		names = append(names, string(c.Name)+" ("+c.Label+")")
	}
	return f.String("cloud", "", "Microsoft cloud: "+strings.Join(names, ", ")+"; default global")
}
