// Package safefile writes a file so that it is never seen half-written:
// through a temporary file in the same folder, synced, then renamed over
// the target. A process killed on the way leaves the target as it was (and,
// at the worst, a temporary file whose name starts with the prefix given).
package safefile

import (
	"os"
	"path/filepath"
)

// Write writes path through a temporary file named prefix+RANDOM in path's
// folder, with mode perm (set after creation, so the umask does not narrow
// the mode of a file being replaced), and renames it into place.
func Write(path string, perm os.FileMode, prefix string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), prefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
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
