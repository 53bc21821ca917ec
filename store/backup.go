package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tenantsync/tenantsync/store/safefile"
)

// Rolling backups. A backup is a consistent copy of the open database,
// written by bbolt's Tx.WriteTo inside a read transaction (so a sync may go
// on meanwhile), to a temporary file that is synced and then renamed, into
// the data directory's backups folder. The newest KeepBackups are kept.

// KeepBackups is how many backups stay.
const KeepBackups = 7

// BackupDir is the backups folder of a database file.
func BackupDir(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), "backups") }

const backupExt = ".db"

// Backup is one backup file.
type Backup struct {
	Path  string
	Taken time.Time
	Size  int64
}

// Backup writes a backup of the database now and prunes old ones; reason
// ("daily", "restore") goes into the file name.
func (s *Store) Backup(ctx context.Context, reason string) (Backup, error) {
	if err := ctx.Err(); err != nil {
		return Backup{}, err
	}
	return s.backup(reason)
}

// backup is Backup for Open, which has no context: before a migration it
// keeps the file as it was, under the lock Open holds.
func (s *Store) backup(reason string) (Backup, error) {
	dir := BackupDir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Backup{}, fmt.Errorf("back up: %w", err)
	}
	now := time.Now().UTC()
	name := "tenantsync-" + now.Format("20060102T150405.000000000") + "-" + reason + backupExt
	dst := filepath.Join(dir, name)
	err := safefile.Write(dst, 0o600, ".backup-", func(f *os.File) error {
		return s.transact(false, func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(f)
			return err
		})
	})
	if err != nil {
		return Backup{}, fmt.Errorf("back up: %w", err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return Backup{}, fmt.Errorf("back up: %w", err)
	}
	if err := pruneBackups(dir); err != nil {
		return Backup{}, err
	}
	return Backup{Path: dst, Taken: now, Size: fi.Size()}, nil
}

// BackupDaily takes a backup unless one was taken in the last day.
func (s *Store) BackupDaily(ctx context.Context) (taken bool, err error) {
	list, err := Backups(s.path)
	if err != nil {
		return false, err
	}
	if len(list) > 0 && time.Since(list[0].Taken) < 24*time.Hour {
		return false, nil
	}
	_, err = s.Backup(ctx, "daily")
	return err == nil, err
}

// Backups lists the backups of a database file, newest first.
func Backups(dbPath string) ([]Backup, error) {
	dir := BackupDir(dbPath)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var out []Backup
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, "tenantsync-") || !strings.HasSuffix(name, backupExt) {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, "tenantsync-"), "-")
		taken, err := time.Parse("20060102T150405.000000000", stamp)
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, Backup{Path: filepath.Join(dir, name), Taken: taken, Size: fi.Size()})
	}
	slices.SortFunc(out, func(a, b Backup) int { return b.Taken.Compare(a.Taken) })
	return out, nil
}

func pruneBackups(dir string) error {
	list, err := Backups(filepath.Join(dir, "..", DBFile))
	if err != nil {
		return err
	}
	for _, b := range list[min(len(list), KeepBackups):] {
		if err := os.Remove(b.Path); err != nil {
			return fmt.Errorf("remove an old backup: %w", err)
		}
	}
	return nil
}

// Restore puts a backup back as the database at dbPath. The backup must
// open as a tenantsync database; the current file, if any, is kept beside
// as tenantsync.db.replaced-TIMESTAMP. It refuses while another process
// has the database open (ErrLocked).
func Restore(dbPath, backupPath string) (kept string, err error) {
	// Both files are opened read-only: checking them changes neither (a
	// backup taken before an upgrade is at the older schema, which the next
	// normal open upgrades).
	b, err := Open(backupPath, Options{LockTimeout: time.Second, ReadOnly: true})
	if err != nil && !errors.Is(err, ErrNeedsUpgrade) {
		return "", fmt.Errorf("restore: the backup %s cannot be used: %w", backupPath, err)
	}
	if b != nil {
		b.Close()
	}
	if _, err := os.Stat(dbPath); err == nil {
		// The current file must not be in use: opening it takes its lock
		// (a damaged file is named as such, which is why we are here).
		cur, err := Open(dbPath, Options{LockTimeout: time.Second, ReadOnly: true})
		switch {
		case errors.Is(err, ErrLocked):
			return "", fmt.Errorf("restore: %w: close it first", err)
		case err == nil:
			cur.Close()
		case errors.Is(err, ErrNeedsUpgrade) || errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrNoDatabase):
			// Not in use, and replaced all the same.
		case !errors.Is(err, ErrDamaged):
			return "", fmt.Errorf("restore: %w", err)
		}
		kept = dbPath + ".replaced-" + time.Now().UTC().Format("20060102T150405")
		if err := os.Rename(dbPath, kept); err != nil {
			return "", fmt.Errorf("restore: keep the current file: %w", err)
		}
	}
	if err := copyFile(backupPath, dbPath); err != nil {
		if kept != "" {
			os.Rename(kept, dbPath)
		}
		return "", fmt.Errorf("restore: %w", err)
	}
	return kept, nil
}

// copyFile copies src to dst so that dst is never half-written.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return safefile.Write(dst, 0o600, ".restore-", func(f *os.File) error {
		_, err := io.Copy(f, in)
		return err
	})
}
