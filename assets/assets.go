// Package assets holds tenantsync's bundled resources.
package assets

import _ "embed"

// Icon is the application icon (512x512 PNG).
//
//go:embed icon.png
var Icon []byte
