package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// heading is a view's title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// note is wrapped explanatory text.
func note(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// columns lays out objects side by side with widths in proportion to
// weights, whatever their content: the columns of a list row and its
// header line up.
type columns []float32

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(len(objs))*20, h)
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var total float32
	for i := range objs {
		total += c.weight(i)
	}
	pad := theme.Padding()
	avail := size.Width - pad*float32(max(len(objs)-1, 0))
	x := float32(0)
	for i, o := range objs {
		w := avail * c.weight(i) / total
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (c columns) weight(i int) float32 {
	if i < len(c) {
		return c[i]
	}
	return 1
}

// row lays objs out in columns of the given weights.
func row(weights columns, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(weights, objs...)
}
