package connections

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// BrowserEnv names the browser to open sign-in pages with, as the Unix
// convention has it: a list of commands (separated by ':', ';' on
// Windows), tried in order until one starts. In each, "%s" stands for the
// address and "%%" for a percent sign; a command without "%s" gets the
// address as its last argument. Commands are split on spaces, not run
// through a shell.
const BrowserEnv = "BROWSER"

// OpenBrowser opens url with $BROWSER when it is set, else with the OS's
// default browser. It returns once the browser has started, without
// waiting for it to exit.
func OpenBrowser(url string) error {
	cmds := browserCommands(os.Getenv(BrowserEnv), url)
	if len(cmds) == 0 {
		cmds = [][]string{defaultBrowser(url)}
	}
	var errs []error
	for _, argv := range cmds {
		cmd := exec.Command(argv[0], argv[1:]...)
		if err := cmd.Start(); err != nil {
			errs = append(errs, err)
			continue
		}
		// Reaped so it leaves no zombie; how the browser exits is not ours
		// to judge (many hand the address to a running instance and quit).
		go func() { _ = cmd.Wait() }()
		return nil
	}
	return fmt.Errorf("open the browser: %w; open this address yourself: %s", errors.Join(errs...), url)
}

// browserCommands turns a $BROWSER value into the commands to try.
func browserCommands(list, url string) [][]string {
	expand := strings.NewReplacer("%%", "%", "%s", url)
	var cmds [][]string
	for _, entry := range strings.Split(list, string(os.PathListSeparator)) {
		argv := strings.Fields(entry)
		if len(argv) == 0 {
			continue
		}
		placed := false
		for i, arg := range argv {
			if hasAddressVerb(arg) {
				placed = true
			}
			argv[i] = expand.Replace(arg)
		}
		if !placed {
			argv = append(argv, url)
		}
		cmds = append(cmds, argv)
	}
	return cmds
}

// hasAddressVerb reports a "%s" in arg that is not an escaped "%%s".
func hasAddressVerb(arg string) bool {
	for i := 0; i+1 < len(arg); i++ {
		if arg[i] != '%' {
			continue
		}
		if arg[i+1] == 's' {
			return true
		}
		i++ // "%%" or another verb: skip the pair
	}
	return false
}

// defaultBrowser is the OS's own way to open an address.
func defaultBrowser(url string) []string {
	switch runtime.GOOS {
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", url}
	case "darwin":
		return []string{"open", url}
	default:
		return []string{"xdg-open", url}
	}
}
