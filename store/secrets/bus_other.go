//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package secrets

// sessionBus: Windows and macOS keychains need no session bus.
func sessionBus() error { return nil }
