// Package cli is tenantsync's command line: the subcommands a technician or
// the OS scheduler runs, and the wiring that opens the window. It holds no
// Fyne code, so it builds and tests without cgo.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/store"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitRuntime = 1
	ExitUsage   = 2
	// ExitDamaged: the database file is damaged or not tenantsync's.
	ExitDamaged = 3
)

// Version is set at build time with -ldflags "-X .../cli.Version=...".
var Version = "dev"

// Env is what a command needs from the outside world; tests fill it in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// OpenWindow runs the desktop app until its window closes. Nil means this
	// build has no window (tests).
	OpenWindow func(ctx context.Context, dataDir string, logger *slog.Logger) error
	// Network overrides how connections reach Microsoft (tests use the
	// simulated cloud); nil means NetworkFromEnv.
	Network *connections.Network

	// logDir is the data directory whose log a command opened, so that a
	// panic can be logged there after the command's own log is closed.
	logDir string
}

// DataDirEnv overrides the data directory, like --data-dir.
const DataDirEnv = "TENANTSYNC_DATA_DIR"

// CloudFileEnv names a JSON file whose authority_host, graph_base and
// partner_center_base replace the cloud's hosts, for tests and private
// endpoints. The simulator's ready line is such a file.
const CloudFileEnv = "TENANTSYNC_CLOUD_FILE"

// NetworkFromEnv is how new connections reach Microsoft when nothing
// overrides it: the global cloud, with the hosts in $TENANTSYNC_CLOUD_FILE
// over it. TLS trust stays the OS's (on Linux, SSL_CERT_FILE adds a CA);
// nothing here replaces the system pool.
func NetworkFromEnv(getenv func(string) string) (connections.Network, error) {
	cloud := auth.Global
	if path := getenv(CloudFileEnv); path != "" {
		var err error
		if cloud, err = auth.LoadCloudFile(path, cloud); err != nil {
			return connections.Network{}, fmt.Errorf("%s: %w", CloudFileEnv, err)
		}
	}
	return connections.Network{Cloud: cloud}, nil
}

type command struct {
	name    string
	summary string
	// maxArgs is how many arguments the command takes besides its flags;
	// anyArgs means no limit.
	maxArgs int
	run     func(ctx context.Context, env *Env, args []string) int
}

const anyArgs = -1

// testCommands are commands only tests add (one that panics, for instance).
var testCommands []command

func commands() map[string]command {
	cmds := []command{
		{"import", "import organizations or contacts from CSV or JSON", anyArgs, runImport},
		{"export", "export organizations or contacts as CSV or JSON", 1, runExport},
		{"status", "show the data directory, schema version and record counts", 0, runStatus},
		{"version", "print the version", 0, runVersion},
		{"sync", "sync now, headless (for the OS scheduler); --dry-run shows what would change", 0, runSync},
		{"connect", "connect to an app registration you made yourself, and sign in", 0, runConnect},
		{"setup", "register tenantsync in your partner tenant and connect (one click)", 0, runSetup},
		{"consent", "consent tenantsync into GDAP customer tenants through Partner Center", 0, runConsent},
		{"logs", "print recent sync runs, or one run in detail", 1, runLogs},
		{"demo", "sync a simulated partner with demo data, no Microsoft account needed", 0, runDemo},
		{"restore", "list the database's backups (--list) or put one back (BACKUP, or latest)", 1, runRestore},
	}
	out := map[string]command{}
	for _, c := range append(cmds, testCommands...) {
		out[c.name] = c
	}
	return out
}

// Run runs tenantsync with args (without the program name) and returns the
// exit code: tenantsync [--data-dir DIR] [COMMAND [flags and arguments]].
// Without a command it opens the window.
func Run(ctx context.Context, env *Env, args []string) (code int) {
	defer recoverPanic(env, &code)
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	// The global flags end at the command's name, as git's and kubectl's do.
	global := flag.NewFlagSet("tenantsync", flag.ContinueOnError)
	global.SetOutput(env.Stderr)
	global.Usage = func() {}
	dataDir := global.String("data-dir", "", "data directory")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(env.Stdout)
			return ExitOK
		}
		usage(env.Stderr)
		return ExitUsage
	}
	if global.NArg() == 0 {
		return runWindow(ctx, env, *dataDir)
	}
	name := global.Arg(0)
	if name == "help" {
		usage(env.Stdout)
		return ExitOK
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "tenantsync: unknown command %q\n\n", name)
		usage(env.Stderr)
		return ExitUsage
	}
	cmdArgs := global.Args()[1:]
	if *dataDir != "" {
		// The command's own --data-dir, later on the line, still wins.
		cmdArgs = append([]string{"--data-dir", *dataDir}, cmdArgs...)
	}
	return cmd.run(ctx, env, cmdArgs)
}

// recoverPanic, deferred, turns a panic into exit 1 and one sentence, with
// the stack in the data directory's log when a command opened one, else on
// stderr: a bug must not look like a usage error (exit 2) to a scheduler.
// Panics in other goroutines still crash the process.
func recoverPanic(env *Env, code *int) {
	r := recover()
	if r == nil {
		return
	}
	stack := debug.Stack()
	*code = ExitRuntime
	if env.logDir != "" {
		// The command's deferred close has run by now; open the log again.
		if logger, closeLog, err := OpenLog(env.logDir); err == nil {
			logger.Error("internal error", "panic", fmt.Sprint(r), "stack", string(stack))
			closeLog()
			fmt.Fprintf(env.Stderr, "tenantsync: internal error: %v; details in %s\n", r, filepath.Join(env.logDir, LogFile))
			return
		}
	}
	fmt.Fprintf(env.Stderr, "tenantsync: internal error: %v\n%s", r, stack)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "tenantsync syncs Microsoft 365 customer tenants into a local documentation base.")
	fmt.Fprintln(w, "\nUsage:\n  tenantsync [--data-dir DIR]            open the window")
	fmt.Fprintln(w, "  tenantsync [--data-dir DIR] COMMAND [flags] [arguments]")
	fmt.Fprintln(w, "                                         run a command; COMMAND --help lists its flags")
	fmt.Fprintln(w, "\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nThe data directory is %s unless --data-dir or %s says otherwise.\n", describeDefaultDataDir(), DataDirEnv)
	fmt.Fprintf(w, "%s names a JSON file (authority_host, graph_base, partner_center_base) that replaces Microsoft's hosts.\n", CloudFileEnv)
	fmt.Fprintln(w, "Sign-in pages open with $BROWSER when it is set, else the system browser.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 error (or a tenant failed), 2 usage error, 3 damaged database.")
}

// flags is a subcommand's flag set with the flags every command shares.
type flags struct {
	*flag.FlagSet
	env     *Env
	dataDir string
	maxArgs int
}

// newFlags returns the flag set of the command name; how many arguments it
// takes comes from the command table.
func newFlags(env *Env, name, argsUsage string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: env, maxArgs: commands()[name].maxArgs}
	f.SetOutput(env.Stderr)
	f.StringVar(&f.dataDir, "data-dir", "", "data directory (default: $"+DataDirEnv+" or "+describeDefaultDataDir()+")")
	f.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: tenantsync %s [flags] %s\n\nFlags:\n", name, argsUsage)
		f.PrintDefaults()
	}
	return f
}

// parse parses args, with flags before, between and after the arguments
// (`import a.csv --dry-run` is a dry run) and everything after "--" an
// argument. It reports the exit code to return when parsing failed, help was
// asked for or there were more arguments than the command takes.
func (f *flags) parse(args []string) (int, bool) {
	flagArgs, positional, complete := f.split(args)
	if complete {
		// Parse stops at "--", leaving the arguments to Args.
		flagArgs = append(append(flagArgs, "--"), positional...)
	}
	if err := f.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	if f.maxArgs != anyArgs && f.NArg() > f.maxArgs {
		fmt.Fprintf(f.Output(), "tenantsync %s: unexpected argument %q\n", f.Name(), f.Arg(f.maxArgs))
		f.Usage()
		return ExitUsage, false
	}
	return 0, true
}

// split separates the flags (each with its value) from the arguments. It
// reports !complete when the last flag lacks its value, which Parse of
// flagArgs alone then reports.
func (f *flags) split(args []string) (flagArgs, positional []string, complete bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flagArgs, append(positional, args[i+1:]...), true
		case a == "-" || !strings.HasPrefix(a, "-"):
			positional = append(positional, a)
		default:
			flagArgs = append(flagArgs, a)
			if f.takesValue(a) {
				if i+1 == len(args) {
					return flagArgs, positional, false
				}
				i++
				flagArgs = append(flagArgs, args[i])
			}
		}
	}
	return flagArgs, positional, true
}

// takesValue reports whether the flag argument a (-name or --name) reads
// the next argument as its value: a known flag that is not boolean, without
// "=value".
func (f *flags) takesValue(a string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	if strings.Contains(name, "=") {
		return false
	}
	fl := f.Lookup(name)
	if fl == nil {
		return false // Parse reports the unknown flag
	}
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// DataDir resolves the data directory: the flag, then the environment, then
// the OS user config directory.
func DataDir(flagValue string, getenv func(string) string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if v := getenv(DataDirEnv); v != "" {
		return filepath.Abs(v)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory: %w (set --data-dir or %s)", err, DataDirEnv)
	}
	return filepath.Join(base, "tenantsync"), nil
}

func describeDefaultDataDir() string {
	if base, err := os.UserConfigDir(); err == nil {
		return filepath.Join(base, "tenantsync")
	}
	return "the OS user config directory + /tenantsync"
}

// openStore opens the database in dataDir and a logger writing to the data
// directory's log file.
func openStore(env *Env, dataDirFlag string) (*store.Store, *slog.Logger, func(), error) {
	dir, err := DataDir(dataDirFlag, env.Getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	logger, closeLog, err := OpenLog(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	env.logDir = dir
	s, err := store.Open(filepath.Join(dir, store.DBFile), store.Options{})
	if err != nil {
		closeLog()
		return nil, nil, nil, err
	}
	return s, logger, func() { s.Close(); closeLog() }, nil
}

// openStoreRead opens the database for reading only (status, logs, export):
// it creates, migrates and writes nothing, not even the log, so it works on
// a read-only disk and leaves the file as it was.
func openStoreRead(env *Env, dataDirFlag string) (*store.Store, func(), error) {
	dir, err := DataDir(dataDirFlag, env.Getenv)
	if err != nil {
		return nil, nil, err
	}
	s, err := store.Open(filepath.Join(dir, store.DBFile), store.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// LogFile is the log's name inside the data directory.
const LogFile = "tenantsync.log"

// maxLogBytes is where the log is rotated to LogFile.1 at the next start.
const maxLogBytes = 10 << 20

// OpenLog opens the data directory's log file for structured logging.
func OpenLog(dataDir string) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, LogFile)
	if st, err := os.Stat(path); err == nil && st.Size() > maxLogBytes {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { f.Close() }, nil
}

func fail(env *Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "tenantsync: "+format+"\n", args...)
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, store.ErrDamaged) {
			return ExitDamaged
		}
	}
	return ExitRuntime
}

func runWindow(ctx context.Context, env *Env, dataDirFlag string) int {
	if env.OpenWindow == nil {
		return fail(env, "this build has no window; run a command instead (tenantsync help)")
	}
	dir, err := DataDir(dataDirFlag, env.Getenv)
	if err != nil {
		return fail(env, "%v", err)
	}
	logger, closeLog, err := OpenLog(dir)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer closeLog()
	env.logDir = dir
	if err := env.OpenWindow(ctx, dir, logger); err != nil {
		logger.Error("window", "err", err)
		return fail(env, "%v", err)
	}
	return ExitOK
}

func runVersion(_ context.Context, env *Env, args []string) int {
	f := newFlags(env, "version", "")
	if code, ok := f.parse(args); !ok {
		return code
	}
	fmt.Fprintf(env.Stdout, "tenantsync %s (schema %d)\n", Version, store.SchemaVersion)
	return ExitOK
}

func runStatus(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "status", "")
	if code, ok := f.parse(args); !ok {
		return code
	}
	s, closeAll, err := openStoreRead(env, f.dataDir)
	if errors.Is(err, store.ErrNoDatabase) {
		dir, _ := DataDir(f.dataDir, env.Getenv)
		fmt.Fprintf(env.Stdout, "Data directory:  %s\nNo database yet: nothing has been imported, connected or synced here.\n", dir)
		return ExitOK
	}
	if err != nil {
		return fail(env, "%v", err)
	}
	defer closeAll()
	info, err := s.Info(ctx)
	if err != nil {
		return fail(env, "%v", err)
	}
	w := env.Stdout
	fmt.Fprintf(w, "Data directory:  %s\n", filepath.Dir(info.Path))
	fmt.Fprintf(w, "Database:        %s (%s, schema %d)\n", info.Path, humanBytes(info.SizeBytes), info.SchemaVersion)
	fmt.Fprintf(w, "Organizations:   %d\n", info.Organizations)
	fmt.Fprintf(w, "Contacts:        %d\n", info.Contacts)
	fmt.Fprintf(w, "Connections:     %d\n", info.Connections)
	fmt.Fprintf(w, "Tenants:         %d\n", info.Tenants)
	fmt.Fprintf(w, "Sync runs:       %d\n", info.Runs)
	var (
		conns []store.Connection
		runs  = map[string]store.SyncRun{}
	)
	err = s.View(ctx, func(tx *store.Tx) error {
		if conns, err = tx.Connections(); err != nil {
			return err
		}
		for _, c := range conns {
			if c.LastRunID == 0 {
				continue
			}
			r, err := tx.Run(c.LastRunID)
			if err != nil {
				return fmt.Errorf("last run of %q: %w", c.Name, err)
			}
			runs[c.ID] = r
		}
		return nil
	})
	if err != nil {
		return fail(env, "%v", err)
	}
	for _, c := range conns {
		fmt.Fprintf(w, "\nConnection %q (%s): %s", c.Name, c.Mode, c.Status)
		if c.StatusDetail != "" {
			fmt.Fprintf(w, " (%s)", c.StatusDetail)
		}
		fmt.Fprintf(w, "\n  last sync: %s, next sync: %s\n", when(c.LastSync), when(c.NextSync))
		if r, ok := runs[c.ID]; ok {
			synced := 0
			for _, t := range r.Tenants {
				if t.Status != store.StatusError {
					synced++
				}
			}
			fmt.Fprintf(w, "  last run: %d of %d tenant(s) synced\n", synced, len(r.Tenants))
			for _, t := range r.Tenants {
				if t.Status == store.StatusError && len(t.Findings) > 0 {
					fmt.Fprintf(w, "    %s: %s\n      fix: %s\n", t.DisplayName, t.Findings[0].Message, t.Findings[0].Fix)
				}
			}
		}
		if !c.SecretExpires.IsZero() {
			fmt.Fprintf(w, "  client secret: expires %s\n", c.SecretExpires.Local().Format("2006-01-02"))
			if _, text := connections.SecretWarning(c, time.Now()); text != "" {
				fmt.Fprintf(w, "    %s\n", text)
			}
		}
	}
	return ExitOK
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
