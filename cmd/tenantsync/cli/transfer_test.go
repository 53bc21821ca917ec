package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A Windows-1252 (Latin-1) file is refused with the way out, and imported
// with --encoding.
func TestImportEncodingFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	latin1 := []byte("Organization,First Name,Last Name,Email\nGood Org,Hans,Maier,hans@good.example\nGood Org,J\xf6rg,M\xfcller,j@good.example\n")
	path := writeFile(t, "latin1.csv", latin1)

	code, _, stderr := run(t, dir, "import", path)
	if code != ExitRuntime || !strings.Contains(stderr, "latin1.csv:3: not UTF-8") || !strings.Contains(stderr, "--encoding windows-1252") {
		t.Errorf("import of a Latin-1 file without --encoding (exit %d):\n%s", code, stderr)
	}
	for _, name := range []string{"windows-1252", "latin1"} {
		code, stdout, stderr := run(t, dir, "import", "--encoding", name, path)
		if code != ExitOK {
			t.Fatalf("import --encoding %s (exit %d): %s", name, code, stderr)
		}
		if name == "windows-1252" && !strings.Contains(stdout, "Imported 2 contact(s)") {
			t.Errorf("import --encoding %s: %s", name, stdout)
		}
	}
	if code, stdout, stderr := run(t, dir, "export", "contacts"); code != ExitOK || !strings.Contains(stdout, "Jörg,Müller") {
		t.Errorf("export after import --encoding (exit %d): %s %s", code, stdout, stderr)
	}
	if code, _, stderr := run(t, dir, "import", "--encoding", "ebcdic", path); code != ExitUsage || !strings.Contains(stderr, `unknown encoding "ebcdic"`) {
		t.Errorf("import --encoding ebcdic (exit %d): %s", code, stderr)
	}
}

func TestImportStrayQuoteReportsRow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, "q.csv", []byte("Organization,First Name,Last Name,Email\nGood Org,A,B,a@b.example.com\nBob \"The Builder\" Org,C,D,c@d.example.com\n"))
	code, _, stderr := run(t, dir, "import", path)
	if code != ExitRuntime || !strings.Contains(stderr, `q.csv:3: bare "`) || !strings.Contains(stderr, "add --skip-invalid to import the 1 valid row(s)") {
		t.Errorf("import (exit %d):\n%s", code, stderr)
	}
	code, stdout, stderr := run(t, dir, "import", "--skip-invalid", path)
	if code != ExitOK || !strings.Contains(stdout, "Imported 1 contact(s) and 1 organization(s); 1 invalid row(s) skipped") {
		t.Errorf("import --skip-invalid (exit %d): %s %s", code, stdout, stderr)
	}
}
