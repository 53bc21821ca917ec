package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// runRestore lists the rolling backups or puts one back. It never opens the
// database for work: a damaged file is exactly when it is needed.
func runRestore(ctx context.Context, env *Env, args []string) int {
	f := newFlags(env, "restore", "[BACKUP|latest]")
	list := f.Bool("list", false, "list the backups, newest first")
	if code, ok := f.parse(args); !ok {
		return code
	}
	dir, err := DataDir(f.dataDir, env.Getenv)
	if err != nil {
		return fail(env, "%v", err)
	}
	dbPath := filepath.Join(dir, store.DBFile)
	backups, err := store.Backups(dbPath)
	if err != nil {
		return fail(env, "%v", err)
	}
	if *list || f.NArg() == 0 {
		if len(backups) == 0 {
			fmt.Fprintf(env.Stdout, "No backups in %s yet: tenantsync takes one a day after a successful sync.\n", store.BackupDir(dbPath))
			return ExitOK
		}
		for _, b := range backups {
			fmt.Fprintf(env.Stdout, "%s  %s  %s\n", b.Taken.Local().Format("2006-01-02 15:04"), humanBytes(b.Size), filepath.Base(b.Path))
		}
		if !*list {
			fmt.Fprintln(env.Stdout, "\nPut one back with `tenantsync restore NAME` (or `latest`).")
		}
		return ExitOK
	}
	want := f.Arg(0)
	var pick string
	switch {
	case want == "latest" && len(backups) > 0:
		pick = backups[0].Path
	case want == "latest":
		return fail(env, "no backups in %s", store.BackupDir(dbPath))
	default:
		for _, b := range backups {
			if filepath.Base(b.Path) == want || b.Path == want {
				pick = b.Path
			}
		}
		if pick == "" {
			if _, err := os.Stat(want); err == nil {
				pick = want // a backup kept elsewhere
			} else {
				var names []string
				for _, b := range backups {
					names = append(names, filepath.Base(b.Path))
				}
				fmt.Fprintf(env.Stderr, "tenantsync restore: no backup %q (there are: %s)\n", want, strings.Join(names, ", "))
				return ExitUsage
			}
		}
	}
	kept, err := store.Restore(dbPath, pick)
	if err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "Restored %s from %s.\n", dbPath, filepath.Base(pick))
	if kept != "" {
		fmt.Fprintf(env.Stdout, "The database it replaced is kept as %s.\n", kept)
	}
	return ExitOK
}
