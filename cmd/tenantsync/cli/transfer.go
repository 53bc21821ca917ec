package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantsync/tenantsync/core/docs"
)

func runImport(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "import", "FILE.csv|FILE.json ...")
	skip := f.Bool("skip-invalid", false, "import the valid rows even when some rows are bad (bad rows are still reported)")
	dry := f.Bool("dry-run", false, "check the files and say what would be imported, write nothing")
	encName := f.String("encoding", "utf-8", "encoding of files that are not UTF-8 and have no byte order mark: windows-1252 (also latin1, the ANSI CSV of Excel on Windows)")
	if code, ok := f.parse(args); !ok {
		return code
	}
	enc, err := docs.ParseEncoding(*encName)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tenantsync import: %v\n", err)
		return ExitUsage
	}
	if f.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "tenantsync import: name at least one CSV or JSON file")
		f.Usage()
		return ExitUsage
	}
	s, logger, closeAll, err := openStore(env, f.dataDir)
	if err != nil {
		return fail(env, "%v", err)
	}
	defer closeAll()
	code := ExitOK
	for i, path := range f.Args() {
		res, err := importFile(ctx, path, func(r io.Reader, opt docs.Options) (docs.Result, error) {
			opt.SkipInvalid, opt.DryRun, opt.Encoding = *skip, *dry, enc
			if strings.EqualFold(filepath.Ext(path), ".json") {
				return docs.ImportJSON(ctx, s, r, opt)
			}
			return docs.ImportCSV(ctx, s, r, opt)
		})
		for _, p := range res.Problems {
			fmt.Fprintln(env.Stderr, p)
		}
		if err != nil && ctx.Err() != nil {
			// Ctrl-C or SIGTERM: this file's transaction rolled back and
			// the files after it are not read.
			logger.Warn("import cancelled", "file", filepath.Base(path), "err", err)
			if i == 0 {
				fmt.Fprintln(env.Stderr, "tenantsync: import cancelled: nothing was imported")
			} else {
				fmt.Fprintf(env.Stderr, "tenantsync: import cancelled: nothing was imported from %s or the files after it\n", path)
			}
			return ExitRuntime
		}
		if err != nil {
			logger.Warn("import refused", "file", filepath.Base(path), "problems", len(res.Problems), "err", err)
			if errors.Is(err, docs.ErrInvalidRows) {
				fmt.Fprintf(env.Stderr, "tenantsync: %s: %d invalid row(s); nothing was imported. Fix them, or add --skip-invalid to import the %d valid row(s).\n",
					path, len(res.Problems), res.Rows-len(res.Problems))
			} else {
				fmt.Fprintf(env.Stderr, "tenantsync: %v\n", err)
			}
			code = ExitRuntime
			continue
		}
		verb := "Imported"
		if *dry {
			verb = "Would import"
		}
		fmt.Fprintf(env.Stdout, "%s: %s %d contact(s) and %d organization(s)", path, verb, res.Contacts, res.Organizations)
		if res.AlreadyPresent > 0 {
			fmt.Fprintf(env.Stdout, "; %d already present", res.AlreadyPresent)
		}
		if res.SkippedProblems {
			fmt.Fprintf(env.Stdout, "; %d invalid row(s) skipped", len(res.Problems))
		}
		fmt.Fprintln(env.Stdout)
		logger.Info("import", "file", filepath.Base(path), "contacts", res.Contacts, "organizations", res.Organizations, "dry_run", *dry)
	}
	return code
}

func importFile(ctx context.Context, path string, fn func(io.Reader, docs.Options) (docs.Result, error)) (docs.Result, error) {
	file, err := os.Open(path)
	if err != nil {
		return docs.Result{}, err
	}
	defer file.Close()
	return fn(file, docs.Options{File: filepath.Base(path)})
}

func runExport(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "export", "organizations|contacts|all")
	format := f.String("format", "csv", "csv or json (json always holds organizations and contacts)")
	out := f.String("o", "-", "output file; - for standard output")
	if code, ok := f.parse(args); !ok {
		return code
	}
	kind := f.Arg(0)
	if f.NArg() != 1 || (kind != docs.KindOrganizations && kind != docs.KindContacts && kind != "all") {
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
			return docs.ExportJSON(ctx, s, w, skip)
		}
		return docs.ExportCSV(ctx, s, w, kind, skip)
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
	tmp, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	// Chmod after CreateTemp's 0600, not in its place: the umask must not
	// narrow the mode of the file being replaced.
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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
