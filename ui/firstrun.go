package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// firstRunView is the choice shown while there is no connection: connect a
// real Microsoft 365 or look around with demo data.
type firstRunView struct {
	env     *env
	connect *widget.Button
	demo    *widget.Button
	status  *widget.Label
}

func newFirstRunView(e *env) *firstRunView { return &firstRunView{env: e} }

func (v *firstRunView) buildUI() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Welcome to tenantsync", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	intro := widget.NewLabelWithStyle("tenantsync keeps your customers' Microsoft 365 users, licenses, mailboxes and devices\n"+
		"in your local documentation, matched to your organizations and contacts, readable offline.", fyne.TextAlignCenter, fyne.TextStyle{})
	v.connect = widget.NewButtonWithIcon("Connect to Microsoft 365", theme.LoginIcon(), v.onConnect)
	v.connect.Importance = widget.HighImportance
	connectNote := widget.NewLabelWithStyle("Sign in with your GDAP partner account or one tenant's admin.\nYou need an app registration: the next screen shows every step.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.demo = widget.NewButtonWithIcon("Explore with demo data", theme.MediaPlayIcon(), v.onDemo)
	demoNote := widget.NewLabelWithStyle("A dozen simulated customer tenants on this computer; nothing reaches Microsoft.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.status = widget.NewLabel("")
	v.status.Alignment = fyne.TextAlignCenter
	box := container.NewVBox(title, intro, widget.NewSeparator(), v.connect, connectNote)
	if v.env.opt.StartDemo != nil {
		box.Add(widget.NewSeparator())
		box.Add(v.demo)
		box.Add(demoNote)
	}
	box.Add(v.status)
	return container.NewCenter(box)
}

func (v *firstRunView) onConnect() {
	v.env.shell.showMain(ViewIntegrations)
	v.env.shell.showConnect("")
}

func (v *firstRunView) onDemo() {
	v.demo.Disable()
	v.connect.Disable()
	v.status.SetText("Starting the simulated Microsoft cloud…")
	v.env.goOwned(func() {
		core, err := v.env.opt.StartDemo(v.env.ctx)
		v.env.do(func() {
			if err != nil {
				v.demo.Enable()
				v.connect.Enable()
				v.status.SetText("")
				v.env.showError(err, "start the demo")
				return
			}
			v.env.shell.useCore(core)
		})
	})
}
