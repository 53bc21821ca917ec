// Package clocale keeps Fyne quiet under the C locale with a codeset
// (LANG=C.UTF-8, what cron, containers and CI give): Fyne's lang package
// reads the locale in its init and logs "Error parsing user locale C" to
// stderr, on every command, because it knows "C" but not "C.UTF-8".
//
// This package's init runs before Fyne's: Go initialises, at each step,
// the first package by import path whose imports are initialised, and this
// one needs only os and strings, while fyne.io/fyne/v2/lang waits for
// golang.org/x/text and text/template, which sort after this path. It sets
// the variable in effect to plain "C" for the time of the inits; Restore,
// first thing in main, puts it back, so programs tenantsync starts (the
// browser) get the locale the user has. The binary test in
// .ci/first-contact.sh checks that nothing is printed.
package clocale

import (
	"os"
	"strings"
)

var saved struct {
	name, value string
}

func init() { saved.name, saved.value = plainC() }

// plainC sets the locale variable in effect (the first of LC_ALL,
// LC_MESSAGES and LANG that is set, as gettext reads them) to "C" or
// "POSIX" when it is that with a codeset, and returns what it changed.
func plainC() (name, value string) {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		base, _, hasCodeset := strings.Cut(v, ".")
		if !hasCodeset || base != "C" && base != "POSIX" {
			return "", ""
		}
		os.Setenv(name, base)
		return name, v
	}
	return "", ""
}

// Restore puts back the locale variable init changed, if any.
func Restore() {
	if saved.name != "" {
		os.Setenv(saved.name, saved.value)
	}
}
