package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantsync/tenantsync/core/transfer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/safefile"
)

func runImport(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "import", "FILE.csv|FILE.json ...")
	skip := f.Bool("skip-invalid", false, "import the valid rows even when some rows are bad (bad rows are still reported)")
	dry := f.Bool("dry-run", false, "check the files and say what would be imported, write nothing")
	encName := f.String("encoding", "utf-8", "encoding of files that are not UTF-8 and have no byte order mark: windows-1252 (also latin1, the ANSI CSV of Excel on Windows)")
	if code, ok := f.parse(args); !ok {
		return code
	}
	enc, err := transfer.ParseEncoding(*encName)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tenantsync import: %v\n", err)
		return ExitUsage
	}
	if f.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "tenantsync import: name at least one CSV or JSON file")
		f.Usage()
		return ExitUsage
	}
	dir, err := DataDir(f.dataDir, env.Getenv)
	if err != nil {
		return fail(env, "%v", err)
	}
	// Every file is checked first, in a transaction that is rolled back,
	// against the database when there is one and against an empty scratch
	// database otherwise: a dry run, or an import that fails, creates
	// nothing (no data directory, database or log) and imports nothing
	// from any file.
	check, existing, closeCheck, err := openImportCheck(dir)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer func() { closeCheck() }()
	do := func(s *store.Store, path string, dryRun bool) (transfer.Result, error) {
		return importFile(ctx, path, func(r io.Reader, opt transfer.Options) (transfer.Result, error) {
			opt.SkipInvalid, opt.DryRun, opt.Encoding = *skip, dryRun, enc
			if strings.EqualFold(filepath.Ext(path), ".json") {
				return transfer.ImportJSON(ctx, s, r, opt)
			}
			return transfer.ImportCSV(ctx, s, r, opt)
		})
	}
	cancelled := func() int {
		fmt.Fprintln(env.Stderr, "tenantsync: import cancelled: nothing was imported")
		return ExitRuntime
	}
	results := make([]transfer.Result, f.NArg())
	failed := 0
	for i, path := range f.Args() {
		res, err := do(check, path, true)
		results[i] = res
		for _, p := range res.Problems {
			fmt.Fprintln(env.Stderr, p)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return cancelled()
		case errors.Is(err, transfer.ErrInvalidRows):
			fmt.Fprintf(env.Stderr, "tenantsync: %s: %d invalid row(s). Fix them, or add --skip-invalid to import the %d valid row(s).\n",
				path, len(res.Problems), res.Rows-len(res.Problems))
			failed++
		case err != nil:
			fmt.Fprintf(env.Stderr, "tenantsync: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "tenantsync: import refused: %d of %d file(s) cannot be imported; nothing was imported\n", failed, f.NArg())
		return ExitRuntime
	}
	if *dry {
		for i, path := range f.Args() {
			printImported(env, path, "Would import", results[i])
		}
		return ExitOK
	}
	s := check
	if !existing {
		closeCheck()
		closeCheck = func() {}
		opened, err := store.Open(filepath.Join(dir, store.DBFile), store.Options{})
		if err != nil {
			return fail(env, "%v", err)
		}
		defer opened.Close()
		s = opened
	}
	logger, closeLog, err := OpenLog(dir)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer closeLog()
	env.logDir = dir
	for i, path := range f.Args() {
		res, err := do(s, path, false)
		if err != nil && ctx.Err() != nil {
			// Ctrl-C or SIGTERM: this file's transaction rolled back and
			// the files after it are not read.
			logger.Warn("import cancelled", "file", filepath.Base(path), "err", err)
			if i == 0 {
				return cancelled()
			}
			fmt.Fprintf(env.Stderr, "tenantsync: import cancelled: nothing was imported from %s or the files after it\n", path)
			return ExitRuntime
		}
		if err != nil {
			logger.Warn("import failed", "file", filepath.Base(path), "err", err)
			return fail(env, "%s: %v; nothing was imported from it or the files after it", path, err)
		}
		printImported(env, path, "Imported", res)
		logger.Info("import", "file", filepath.Base(path), "contacts", res.Contacts, "organizations", res.Organizations)
	}
	return ExitOK
}

// openImportCheck opens the database an import is checked against: the
// data directory's, when it has one, or an empty one in a scratch folder
// (removed by closeFn) so that nothing is created in the data directory.
func openImportCheck(dir string) (s *store.Store, existing bool, closeFn func(), err error) {
	path := filepath.Join(dir, store.DBFile)
	if _, err := os.Stat(path); err == nil {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			return nil, false, nil, err
		}
		return s, true, func() { s.Close() }, nil
	}
	scratch, err := os.MkdirTemp("", "tenantsync-import-check-")
	if err != nil {
		return nil, false, nil, err
	}
	s, err = store.Open(filepath.Join(scratch, store.DBFile), store.Options{NoSync: true})
	if err != nil {
		os.RemoveAll(scratch)
		return nil, false, nil, err
	}
	return s, false, func() { s.Close(); os.RemoveAll(scratch) }, nil
}

func printImported(env *Env, path, verb string, res transfer.Result) {
	fmt.Fprintf(env.Stdout, "%s: %s %d contact(s) and %d organization(s)", path, verb, res.Contacts, res.Organizations)
	if res.AlreadyPresent > 0 {
		fmt.Fprintf(env.Stdout, "; %d already present", res.AlreadyPresent)
	}
	if res.SkippedProblems {
		fmt.Fprintf(env.Stdout, "; %d invalid row(s) skipped", len(res.Problems))
	}
	fmt.Fprintln(env.Stdout)
}

func importFile(ctx context.Context, path string, fn func(io.Reader, transfer.Options) (transfer.Result, error)) (transfer.Result, error) {
	file, err := os.Open(path)
	if err != nil {
		return transfer.Result{}, err
	}
	defer file.Close()
	return fn(file, transfer.Options{File: filepath.Base(path)})
}

func runExport(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "export", "organizations|contacts|all")
	format := f.String("format", "csv", "csv or json (json always holds organizations and contacts)")
	out := f.String("o", "-", "output file; - for standard output")
	if code, ok := f.parse(args); !ok {
		return code
	}
	kind := f.Arg(0)
	if f.NArg() != 1 || (kind != transfer.KindOrganizations && kind != transfer.KindContacts && kind != "all") {
		fmt.Fprintln(env.Stderr, "tenantsync export: say what to export: organizations, contacts or all")
		f.Usage()
		return ExitUsage
	}
	if *format != "csv" && *format != "json" {
		fmt.Fprintf(env.Stderr, "tenantsync export: unknown format %q (csv or json)\n", *format)
		return ExitUsage
	}
	if *format == "csv" && kind == "all" {
		fmt.Fprintln(env.Stderr, "tenantsync export: CSV holds one kind: export organizations and contacts separately, or use --format json")
		return ExitUsage
	}
	s, closeAll, err := openStoreRead(env, f.dataDir)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer closeAll()
	skipped := 0
	skip := func(what string, err error) {
		skipped++
		fmt.Fprintf(env.Stderr, "tenantsync export: skipped %s: it cannot be read (%v)\n", what, err)
	}
	write := func(w io.Writer) error {
		if *format == "json" {
			return transfer.ExportJSON(ctx, s, w, skip)
		}
		return transfer.ExportCSV(ctx, s, w, kind, skip)
	}
	defer func() {
		if skipped > 0 {
			fmt.Fprintf(env.Stderr, "tenantsync export: %d unreadable record(s) left out; the database is damaged: see `tenantsync restore --list`\n", skipped)
		}
	}()
	if *out == "-" {
		if err := write(env.Stdout); err != nil {
			return fail(env, "export: %v", err)
		}
		return ExitOK
	}
	if err := writeFileAtomic(*out, write); err != nil {
		return fail(env, "export: %v", err)
	}
	return ExitOK
}

// exportTempInfix names the temporary files of an export to PATH:
// .PATH.tenantsync-export-RANDOM, in PATH's directory, so that the next
// export to PATH recognises what a killed one left behind.
const exportTempInfix = ".tenantsync-export-"

// writeFileAtomic writes through a temporary file in the same directory and
// renames it into place, so a failed export never leaves half a file. A file
// it replaces keeps its permissions; a new file is readable by its owner
// only, because an export holds people's names, e-mail addresses and phone
// numbers (as the database does).
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	prefix := "." + base + exportTempInfix
	if err := removeLeftovers(dir, prefix); err != nil {
		return err
	}
	perm := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return safefile.Write(path, perm, prefix, func(f *os.File) error { return write(f) })
}

// removeLeftovers removes the temporary files an export to the same target
// left when it was killed. An export of the same target running at this
// moment loses its temporary file and fails; its target is left as it was.
func removeLeftovers(dir, prefix string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove what an earlier export left: %w", err)
		}
	}
	return nil
}
