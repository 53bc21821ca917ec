// Command vulncheck is the Makefile's govulncheck gate on a closed network,
// where vuln.go.dev cannot be reached but the Go module proxy can.
//
//	go mod download -json golang.org/x/vulndb@VERSION | go run ./.ci/vulncheck db -out DIR
//
// turns the Go vulnerability database's own OSV files (data/osv in the
// golang.org/x/vulndb module, at a pinned version) into the v1 layout that
// `govulncheck -db file:///DIR` reads: index/db.json, index/modules.json
// and ID/<id>.json.
//
//	govulncheck -format json -db file:///DIR ./... | go run ./.ci/vulncheck gate
//
// lists the vulnerabilities the code calls and fails on those in a module:
// a dependency bump in go.mod fixes them. Those in the standard library are
// listed but do not fail the gate: their fix is a newer Go toolchain, and
// the one the machines have (go1.26.8 when this was written, with the fixes
// in 1.26.9 and 1.26.10, which cannot be installed here) is not this gate's
// to change. govulncheck itself has no way to leave them out.
//
// Only the standard library is imported, so the project's go.mod is not
// touched and `go run` builds this in a moment.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vulncheck db -out DIR < (go mod download -json output) | vulncheck gate < (govulncheck -format json output)")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "db":
		fs := flag.NewFlagSet("db", flag.ExitOnError)
		out := fs.String("out", "", "directory to write the database to (replaced)")
		fs.Parse(args)
		if *out == "" {
			fmt.Fprintln(os.Stderr, "vulncheck db: -out is required")
			os.Exit(2)
		}
		err = writeDB(os.Stdin, *out)
	case "gate":
		var failed bool
		failed, err = gate(os.Stdin, os.Stdout)
		if err == nil && failed {
			os.Exit(1)
		}
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
}

// download is what `go mod download -json` prints for one module.
type download struct {
	Path, Version, Error string
	Info                 string // the .info file: {"Version", "Time"}
	Dir                  string
}

// entry is the part of an OSV entry the index needs.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Affected []struct {
		Package struct {
			Name string `json:"name"` // module path, or "stdlib" / "toolchain"
		} `json:"package"`
	} `json:"affected"`
}

// The v1 index (golang.org/x/vuln/internal/client/schema.go). A module's
// "fixed" field is left out: it only lets the client skip entries, and
// without it the client checks every entry's ranges itself.
type (
	dbMeta struct {
		Modified time.Time `json:"modified"`
	}
	moduleMeta struct {
		Path  string       `json:"path"`
		Vulns []moduleVuln `json:"vulns"`
	}
	moduleVuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
	}
)

// writeDB builds the database from the module that `go mod download -json`
// describes on r, in a temporary directory renamed to out when complete.
func writeDB(r io.Reader, out string) error {
	var dl download
	if err := json.NewDecoder(r).Decode(&dl); err != nil {
		return fmt.Errorf("read go mod download output: %w", err)
	}
	if dl.Error != "" {
		return fmt.Errorf("download %s@%s: %s", dl.Path, dl.Version, dl.Error)
	}
	// The OSV files of a module zip say "modified": 0001-01-01 (the real
	// dates come from git history); the snapshot's commit time is the
	// truthful "last modified" of the database.
	var info struct{ Time time.Time }
	if b, err := os.ReadFile(dl.Info); err != nil {
		return fmt.Errorf("read module info: %w", err)
	} else if err := json.Unmarshal(b, &info); err != nil {
		return fmt.Errorf("read module info %s: %w", dl.Info, err)
	}

	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	for _, d := range []string{"ID", "index"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	osvDir := filepath.Join(dl.Dir, "data", "osv")
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no OSV files in %s", osvDir)
	}
	db := dbMeta{Modified: info.Time}
	modules := map[string]*moduleMeta{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if filepath.Base(f) != e.ID+".json" {
			return fmt.Errorf("%s holds entry %q: the v1 layout names a file by its entry's id", f, e.ID)
		}
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
	}
	index := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		index = append(index, m)
	}
	sort.Slice(index, func(i, j int) bool { return index[i].Path < index[j].Path })
	if err := writeJSON(filepath.Join(tmp, "index", "db.json"), db); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(tmp, "index", "modules.json"), index); err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Printf("vulncheck: %s@%s: %d entries, %d modules, last modified %s\n",
		dl.Path, dl.Version, len(files), len(index), db.Modified.Format(time.DateOnly))
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// message is one value of govulncheck's JSON stream
// (golang.org/x/vuln/internal/govulncheck/govulncheck.go).
type message struct {
	Config *struct {
		ScannerVersion string     `json:"scanner_version"`
		DB             string     `json:"db"`
		DBLastModified *time.Time `json:"db_last_modified"`
		GoVersion      string     `json:"go_version"`
		ScanLevel      string     `json:"scan_level"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *finding `json:"finding"`
}

type finding struct {
	OSV          string  `json:"osv"`
	FixedVersion string  `json:"fixed_version"`
	Trace        []frame `json:"trace"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename     string `json:"filename"`
		Line, Column int
	} `json:"position"`
}

// symbol names a frame as govulncheck's text output does: pkg.Type.Method.
func (f frame) symbol() string {
	name := f.Function
	if f.Receiver != "" {
		name = strings.TrimPrefix(f.Receiver, "*") + "." + name
	}
	return path.Base(f.Package) + "." + name
}

// gate reads govulncheck's JSON on r and writes one paragraph per called
// vulnerability to w; failed is true when one of them is in a module.
func gate(r io.Reader, w io.Writer) (failed bool, err error) {
	dec := json.NewDecoder(r)
	summaries := map[string]string{}
	type key struct{ osv, module string }
	called := map[key]finding{}
	var scanned bool
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return false, fmt.Errorf("read govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			scanned = true
			c := m.Config
			if c.ScanLevel != "symbol" {
				return false, fmt.Errorf("govulncheck scanned at %q level: only a symbol scan tells what the code calls", c.ScanLevel)
			}
			last := "unknown"
			if c.DBLastModified != nil {
				last = c.DBLastModified.Format(time.DateOnly)
			}
			fmt.Fprintf(w, "govulncheck %s, %s, data %s (last modified %s)\n", c.ScannerVersion, c.GoVersion, c.DB, last)
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil:
			f := *m.Finding
			// A finding without a function in its first frame is a module
			// or package the code imports without calling the vulnerable
			// symbol: govulncheck's text output does not fail on it either.
			if len(f.Trace) == 0 || f.Trace[0].Function == "" {
				continue
			}
			k := key{f.OSV, f.Trace[0].Module}
			if _, ok := called[k]; !ok {
				called[k] = f
			}
		}
	}
	if !scanned {
		return false, errors.New("no govulncheck output (it printed no config)")
	}
	keys := make([]key, 0, len(called))
	for k := range called {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i].module == "stdlib") != (keys[j].module == "stdlib") {
			return keys[j].module == "stdlib"
		}
		if keys[i].osv != keys[j].osv {
			return keys[i].osv < keys[j].osv
		}
		return keys[i].module < keys[j].module
	})
	var modules, stdlib int
	for _, k := range keys {
		f := called[k]
		top := f.Trace[0]
		verdict := "FAIL"
		if k.module == "stdlib" {
			verdict = "note"
			stdlib++
		} else {
			modules++
		}
		fixed := f.FixedVersion
		if fixed == "" {
			fixed = "no fix yet"
		}
		fmt.Fprintf(w, "%s %s: %s\n     %s@%s, fixed in %s; calls %s", verdict, k.osv, summaries[k.osv], top.Module, top.Version, fixed, top.symbol())
		if last := f.Trace[len(f.Trace)-1]; last.Position != nil && len(f.Trace) > 1 {
			fmt.Fprintf(w, " from %s:%d (%s)", last.Position.Filename, last.Position.Line, last.symbol())
		}
		fmt.Fprintf(w, "\n     https://pkg.go.dev/vuln/%s\n", k.osv)
	}
	switch {
	case modules > 0:
		fmt.Fprintf(w, "vulncheck: the code calls %d vulnerabilities in modules: bump them (go get MODULE@FIXED, go mod tidy)\n", modules)
	case stdlib > 0:
		fmt.Fprintf(w, "vulncheck: no vulnerability in a module; %d in the standard library of this Go, fixed by a newer Go\n", stdlib)
	default:
		fmt.Fprintln(w, "vulncheck: the code calls no known vulnerability")
	}
	return modules > 0, nil
}
