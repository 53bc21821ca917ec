package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme choices, as stored in preferences.
const (
	themeSystem = "system"
	themeLight  = "light"
	themeDark   = "dark"

	prefTheme = "ui.theme"
)

// appTheme is Fyne's theme in the variant the technician chose (or the
// system's), with the colours that were too faint to read made stronger:
// the focus ring, secondary ("local", reasons) text and check box borders
// in the light variant.
type appTheme struct {
	base   fyne.Theme
	choice string
}

var _ fyne.Theme = (*appTheme)(nil)

func newAppTheme(choice string) *appTheme {
	return &appTheme{base: theme.DefaultTheme(), choice: choice}
}

func (t *appTheme) variant(v fyne.ThemeVariant) fyne.ThemeVariant {
	switch t.choice {
	case themeLight:
		return theme.VariantLight
	case themeDark:
		return theme.VariantDark
	}
	return v
}

func (t *appTheme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	v = t.variant(v)
	light := v == theme.VariantLight
	switch name {
	case theme.ColorNameFocus:
		// Fyne's focus is the primary colour at a quarter opacity: too
		// faint to find the focused control by.
		if light {
			return color.NRGBA{R: 0x00, G: 0x5f, B: 0xd1, A: 0xa0}
		}
		return color.NRGBA{R: 0x6c, G: 0xb4, B: 0xff, A: 0xb0}
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		// Secondary text (domains, "Demo data: …", "local") is drawn in
		// the disabled colour, which Fyne makes nearly invisible in both
		// variants; still dimmer than the foreground.
		if light {
			return color.NRGBA{R: 0x5f, G: 0x63, B: 0x68, A: 0xff}
		}
		return color.NRGBA{R: 0x8c, G: 0x8f, B: 0x94, A: 0xff}
	case theme.ColorNameInputBorder:
		if light {
			return color.NRGBA{R: 0x70, G: 0x75, B: 0x7a, A: 0xff}
		}
	}
	return t.base.Color(name, v)
}

func (t *appTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.base.Font(s) }
func (t *appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }
func (t *appTheme) Size(n fyne.ThemeSizeName) float32       { return t.base.Size(n) }

// applyTheme sets the app's theme to the technician's choice.
func (e *env) applyTheme() {
	e.app.Settings().SetTheme(newAppTheme(e.app.Preferences().StringWithFallback(prefTheme, themeSystem)))
}
