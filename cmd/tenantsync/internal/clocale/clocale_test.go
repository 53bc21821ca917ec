package clocale

import (
	"os"
	"testing"
)

func TestPlainC(t *testing.T) {
	for _, tc := range []struct {
		env              map[string]string
		changed, restore string // the variable changed and its old value
		want             string // its value while Fyne initialises
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "LANG", "C.UTF-8", "C"},
		{map[string]string{"LC_ALL": "POSIX.utf8", "LANG": "de_DE.UTF-8"}, "LC_ALL", "POSIX.utf8", "POSIX"},
		{map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "C.UTF-8"}, "LC_MESSAGES", "C.UTF-8", "C"},
		{map[string]string{"LANG": "de_DE.UTF-8"}, "", "", ""},
		{map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "C.UTF-8"}, "", "", ""},
		{map[string]string{"LANG": "C"}, "", "", ""},
		{map[string]string{}, "", "", ""},
	} {
		for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			t.Setenv(name, tc.env[name])
		}
		name, value := plainC()
		if name != tc.changed || value != tc.restore {
			t.Errorf("%v: plainC() = %q, %q; want %q, %q", tc.env, name, value, tc.changed, tc.restore)
		}
		if name != "" && os.Getenv(name) != tc.want {
			t.Errorf("%v: %s = %q while Fyne initialises, want %q", tc.env, name, os.Getenv(name), tc.want)
		}
	}
}
