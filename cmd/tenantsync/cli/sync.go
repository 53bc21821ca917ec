package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// app is the composition of core that sync-related commands use.
type app struct {
	store  *store.Store
	mgr    *connections.Manager
	engine *syncer.Engine
	logger *slog.Logger
	close  func()
}

// openApp parses a command's arguments and opens its data directory with
// the keychain and the network: ok false means the command returns code
// (a usage error, or what failed, already said).
func (f *flags) openApp(args []string) (a *app, code int, ok bool) {
	if code, ok := f.parse(args); !ok {
		return nil, code, false
	}
	a, err := openApp(f.env, f.dataDir)
	if err != nil {
		return nil, fail(f.env, "%v", err), false
	}
	return a, ExitOK, true
}

func openApp(env *Env, dataDirFlag string) (*app, error) {
	var net connections.Network
	if env.Network != nil {
		net = *env.Network
	} else {
		var err error
		if net, err = NetworkFromEnv(env.Getenv); err != nil {
			return nil, err
		}
	}
	s, logger, closeAll, err := openStore(env, dataDirFlag)
	if err != nil {
		return nil, err
	}
	kc := secrets.NewKeychain("")
	vault := secrets.NewVault(kc, s)
	mgr := connections.NewManager(s, kc, vault, net)
	eng := syncer.New(s, mgr, syncer.Options{Logger: logger})
	return &app{store: s, mgr: mgr, engine: eng, logger: logger, close: closeAll}, nil
}

// findConnections returns the connection named (or with id) name, or every
// connection when name is empty.
func (a *app) findConnections(ctx context.Context, name string) ([]store.Connection, error) {
	var all []store.Connection
	if err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		all, err = tx.Connections()
		return err
	}); err != nil {
		return nil, err
	}
	if name == "" {
		if len(all) == 0 {
			return nil, errors.New("no connection yet: set one up with `tenantsync connect` or in the app")
		}
		return all, nil
	}
	var names []string
	for _, c := range all {
		if strings.EqualFold(c.Name, name) || c.ID == name {
			return []store.Connection{c}, nil
		}
		names = append(names, c.Name)
	}
	return nil, fmt.Errorf("no connection named %q (there are: %s)", name, strings.Join(names, ", "))
}

func runSync(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "sync", "")
	name := f.String("connection", "", "sync only this connection (name or id); default: every connection that is not paused")
	dry := f.Bool("dry-run", false, "show what the sync would create, update and flag, without writing")
	a, code, ok := f.openApp(args)
	if !ok {
		return code
	}
	defer a.close()
	conns, err := a.findConnections(ctx, *name)
	if err != nil {
		return fail(env, "%v", err)
	}
	events, stop := a.engine.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		printProgress(env.Stderr, events)
	}()
	code = ExitOK
	for _, c := range conns {
		if c.Paused && *name == "" {
			fmt.Fprintf(env.Stderr, "%s: paused, skipped\n", c.Name)
			continue
		}
		run, err := a.engine.Sync(ctx, c.ID, store.TriggerSchedule, *dry)
		if err != nil {
			fmt.Fprintf(env.Stderr, "tenantsync: %s: %v\n", c.Name, err)
			code = ExitRuntime
			if errors.Is(err, context.Canceled) {
				break
			}
			continue
		}
		// A run with failed tenants is a warning to the app (the others
		// synced), but a scheduler must learn that a tenant failed.
		if failed := printSummary(env.Stdout, c, run); failed > 0 || run.Status == store.StatusError {
			code = ExitRuntime
		}
	}
	stop()
	<-done
	return code
}

// printProgress writes one line per finished tenant.
func printProgress(w io.Writer, events <-chan syncer.Event) {
	for ev := range events {
		switch ev.Kind {
		case syncer.TenantDone:
			r := ev.Result
			line := fmt.Sprintf("[%d/%d] %s: %s", ev.TenantsDone, ev.TenantsTotal, r.DisplayName, r.Status)
			if c := r.Counts; c.Created+c.Updated+c.Flagged+c.Leavers > 0 {
				line += fmt.Sprintf(" (%d created, %d updated, %d flagged, %d leavers)", c.Created, c.Updated, c.Flagged, c.Leavers)
			}
			for _, f := range r.Findings {
				line += "\n    " + string(f.Severity) + ": " + f.Message
			}
			fmt.Fprintln(w, line)
		case syncer.RunStarted:
			if ev.TenantsTotal > 0 {
				fmt.Fprintf(w, "syncing %d tenant(s)\n", ev.TenantsTotal)
			}
		}
	}
}

// printSummary writes a run's totals, its changes in a dry run, each failed
// tenant with its first error and fix, and the run's own errors. It returns
// how many tenants failed.
func printSummary(w io.Writer, c store.Connection, run store.SyncRun) (failed int) {
	t := run.Totals
	verb := "synced"
	if run.DryRun {
		verb = "would sync (dry run, nothing written)"
	}
	fmt.Fprintf(w, "%s: %s %d tenant(s) in %s: %d created, %d updated, %d unchanged, %d flagged, %d leavers; %d requests; status %s\n",
		c.Name, verb, len(run.Tenants), run.End.Sub(run.Start).Round(time.Millisecond), t.Created, t.Updated, t.Unchanged, t.Flagged, t.Leavers, t.Requests, run.Status)
	if run.DryRun {
		for _, tr := range run.Tenants {
			for _, ch := range tr.Changes {
				fmt.Fprintf(w, "  %s: %s %s %s\n", tr.DisplayName, ch.Kind, ch.Contact, describeFields(ch))
			}
		}
	}
	for _, tr := range run.Tenants {
		if tr.Status != store.StatusError {
			continue
		}
		failed++
		if len(tr.Findings) == 0 {
			fmt.Fprintf(w, "  %s: failed\n", tr.DisplayName)
			continue
		}
		fd := tr.Findings[0]
		for _, f := range tr.Findings {
			if f.Severity == store.SeverityError {
				fd = f
				break
			}
		}
		fmt.Fprintf(w, "  %s: failed: %s\n", tr.DisplayName, fd.Message)
		if fd.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", fd.Fix)
		}
	}
	// Tenants' errors are above; the log adds the run's own.
	for _, l := range run.Log {
		if l.Level == store.LevelError && l.TenantID == "" {
			fmt.Fprintf(w, "  error: %s\n", l.Message)
		}
	}
	return failed
}

func describeFields(ch store.Change) string {
	var parts []string
	for _, f := range ch.Fields {
		parts = append(parts, fmt.Sprintf("%s %q -> %q", f.Field, f.Old, f.New))
	}
	if ch.Reason != "" {
		parts = append(parts, "("+ch.Reason+")")
	}
	return strings.Join(parts, ", ")
}

func runLogs(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "logs", "[RUN-ID]")
	name := f.String("connection", "", "only this connection's runs")
	n := f.Int("n", 10, "how many runs")
	if code, ok := f.parse(args); !ok {
		return code
	}
	s, closeAll, err := openStoreRead(env, f.dataDir)
	if errors.Is(err, store.ErrNoDatabase) {
		fmt.Fprintln(env.Stdout, "No sync runs yet.")
		return ExitOK
	}
	if err != nil {
		return fail(env, "%v", err)
	}
	defer closeAll()
	a := &app{store: s}
	var runs []store.SyncRun
	err = s.View(ctx, func(tx *store.Tx) error {
		if f.NArg() == 1 {
			id, err := strconv.ParseUint(f.Arg(0), 10, 64)
			if err != nil {
				return fmt.Errorf("run id %q is not a number", f.Arg(0))
			}
			r, err := tx.Run(id)
			runs = []store.SyncRun{r}
			return err
		}
		connID := ""
		if *name != "" {
			conns, err := a.findConnections(ctx, *name)
			if err != nil {
				return err
			}
			connID = conns[0].ID
		}
		var err error
		runs, err = tx.Runs(connID, *n)
		return err
	})
	if err != nil {
		return fail(env, "%v", err)
	}
	if len(runs) == 0 {
		fmt.Fprintln(env.Stdout, "No sync runs yet.")
		return ExitOK
	}
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	for _, r := range runs {
		fmt.Fprintf(w, "run %d  %s  %s  %s  %d tenant(s): %d created, %d updated, %d flagged, %d leavers, %d requests\n",
			r.ID, r.Start.Local().Format("2006-01-02 15:04"), r.Trigger, r.Status, len(r.Tenants), r.Totals.Created, r.Totals.Updated, r.Totals.Flagged, r.Totals.Leavers, r.Totals.Requests)
		if f.NArg() == 1 || len(runs) == 1 {
			for _, t := range r.Tenants {
				fmt.Fprintf(w, "  %s: %s (%d created, %d updated, %d unchanged, %d flagged)\n", t.DisplayName, t.Status, t.Counts.Created, t.Counts.Updated, t.Counts.Unchanged, t.Counts.Flagged)
				for _, fd := range t.Findings {
					fmt.Fprintf(w, "    %s: %s\n      fix: %s\n", fd.Severity, fd.Message, fd.Fix)
				}
			}
			for _, l := range r.Log {
				fmt.Fprintf(w, "  %s %s %s\n", l.At.Local().Format("15:04:05"), l.Level, l.Message)
			}
		}
	}
	return ExitOK
}

func runConnect(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "connect", "")
	form := connections.Form{RedirectPort: connections.DefaultRedirectPort}
	f.StringVar(&form.Name, "name", "", "a name for this connection (required)")
	f.StringVar(&form.Mode, "mode", store.ModeGDAP, "gdap (partner, sign in once for every customer), app (application permissions per tenant) or single (one tenant)")
	f.StringVar(&form.TenantID, "tenant", "", "partner tenant (gdap) or the tenant: id or domain (required)")
	f.StringVar(&form.ClientID, "client-id", "", "application (client) id of the app registration (required)")
	secretStdin := f.Bool("secret-stdin", false, "read the client secret from standard input (keeps it out of shell history)")
	f.StringVar(&form.Secret, "secret", "", "the client secret's value (prefer --secret-stdin)")
	f.IntVar(&form.RedirectPort, "port", connections.DefaultRedirectPort, "loopback port for the sign-in; register http://localhost:PORT under the Web platform")
	consent := f.Bool("consent", false, "consent tenantsync into customers that lack it without asking")
	cloud := cloudFlag(f)
	f.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: tenantsync connect [flags]\n\nConnects to an app registration you made yourself (`tenantsync setup` makes it for you):")
		cloud := auth.Global
		if nw, err := NetworkFromEnv(env.Getenv); err == nil {
			cloud = nw.Cloud
		}
		for i, st := range connections.RegistrationSteps(form.RedirectPort, cloud) {
			fmt.Fprintf(env.Stderr, "  %d. %s\n", i+1, st)
		}
		fmt.Fprintln(env.Stderr, "\nPermissions:")
		fmt.Fprint(env.Stderr, permissionList())
		fmt.Fprintln(env.Stderr, "\nFlags:")
		f.PrintDefaults()
	}
	if code, ok := f.parse(args); !ok {
		return code
	}
	form.Cloud = auth.CloudName(*cloud)
	in := bufio.NewReader(env.Stdin)
	if *secretStdin {
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return fail(env, "read the secret from standard input: %v", err)
		}
		form.Secret = strings.TrimSpace(line)
	}
	if fe := form.Check(false); fe != nil {
		fmt.Fprintf(env.Stderr, "tenantsync connect: %v\n", fe)
		return ExitUsage
	}
	a, err := openApp(env, f.dataDir)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.close()
	var existing []store.Connection
	if err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		existing, err = tx.Connections()
		return err
	}); err != nil {
		return fail(env, "%v", err)
	}
	for _, c := range existing {
		if strings.EqualFold(c.Name, strings.TrimSpace(form.Name)) {
			return fail(env, "a connection named %q already exists: to set it up again run `tenantsync setup --connection %q`, or choose a different --name", c.Name, c.Name)
		}
	}
	conn, err := a.mgr.Create(ctx, form)
	if err != nil {
		return fail(env, "%v", err)
	}
	// Until the sign-in and the first check succeed the connection is only
	// half made: a failure removes it with its keychain item, so a try that
	// failed leaves nothing behind and trying again makes no second one.
	undo := func(err error) int {
		code := fail(env, "%v", err)
		// Ctrl-C may be why the sign-in failed; the removal must still run.
		rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, rmErr := a.mgr.Disconnect(rmCtx, conn.ID); rmErr != nil {
			a.logger.Error("connect failed; could not remove the connection", "connection", conn.Name, "id", conn.ID, "err", err, "remove_err", rmErr)
			fmt.Fprintf(env.Stderr, "tenantsync: could not remove the connection %q again (%v): remove it in the app before connecting again.\n", conn.Name, rmErr)
			return code
		}
		a.logger.Error("connect failed; removed connection", "connection", conn.Name, "id", conn.ID, "err", err)
		fmt.Fprintf(env.Stderr, "tenantsync: removed the connection %q again, with its secret: nothing is saved. Fix the above and run connect again.\n", conn.Name)
		return code
	}
	if err := a.engine.SetSchedule(ctx, conn.ID, syncer.DefaultSchedule); err != nil {
		return undo(fmt.Errorf("set the schedule: %w", err))
	}
	fmt.Fprintf(env.Stdout, "Saved connection %q; the secret is in the OS keychain. It syncs every hour while tenantsync runs (or from the OS scheduler with `tenantsync sync`).\n", conn.Name)
	if conn.Mode != store.ModeApp {
		fmt.Fprintf(env.Stdout, "Opening the browser to sign in as the GDAP service account (redirect URI http://localhost:%d)...\n", conn.RedirectPort)
		acc, err := a.mgr.SignIn(ctx, conn.ID)
		if err != nil {
			return undo(err)
		}
		fmt.Fprintf(env.Stdout, "Signed in as %s.\n", acc.Username)
	}
	checks, err := a.mgr.Preflight(ctx, conn.ID, nil)
	if err != nil {
		return undo(fmt.Errorf("preflight: %w", err))
	}
	ok := 0
	for _, c := range checks {
		if c.OK() {
			ok++
			continue
		}
		fmt.Fprintf(env.Stdout, "%s:\n", c.DisplayName)
		for _, fd := range c.Findings {
			fmt.Fprintf(env.Stdout, "  %s: %s\n    fix: %s\n", fd.Severity, fd.Message, fd.Fix)
		}
	}
	fmt.Fprintf(env.Stdout, "%d of %d tenant(s) ready for every data type. Run `tenantsync sync --connection %q` or open the app.\n", ok, len(checks), conn.Name)
	if conn.Mode == store.ModeGDAP {
		return offerConsent(ctx, env, in, a, conn, *consent)
	}
	return ExitOK
}
