package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/core/match"
	"github.com/tenantsync/tenantsync/store"
)

// contactOverlay shows one contact: its local values beside Microsoft's,
// differences marked and fields lockable, then the account, licenses,
// mailbox, devices and change history. It reads the contact again when the
// contact, or the organization it belongs to, changed.
type contactOverlay struct {
	env *env
	id  uint64

	contact  store.Contact
	org      string
	user     *store.DirectoryUser
	licenses []store.License
	mailbox  *store.Mailbox
	devices  []store.Device
	history  []store.Change
	tenant   string
	connName string
	conn     store.Connection // the link's connection: its mode and cloud make the admin-center links
	unknown  docbase.Unknown  // why values are missing, where the sync knows

	dialog  dialog.Dialog
	content *fyne.Container
	gen     generation
	// diffs are the fields whose local value differs from Microsoft's
	diffs []string
	locks map[string]*widget.Check
}

// fieldColumns are the widths of the overlay's field comparison.
var fieldColumns = columns{1.5, 3, 3, 2.2, 0.6}

// contactFields in the order the overlay shows them.
var contactFields = []struct{ key, title string }{
	{store.FieldFirstName, "First name"},
	{store.FieldLastName, "Last name"},
	{store.FieldTitle, "Title"},
	{store.FieldPrimaryEmail, "Primary e-mail"},
	{store.FieldOtherEmails, "Other e-mails"},
	{store.FieldOfficePhone, "Office phone"},
	{store.FieldMobile, "Mobile"},
}

func newContactOverlay(e *env, id uint64) *contactOverlay {
	return &contactOverlay{env: e, id: id, locks: map[string]*widget.Check{}}
}

// read reads the contact and, when linked, its user from the mirror.
func (o *contactOverlay) read(ctx context.Context) (docbase.ContactDetail, error) {
	return o.env.core.Docs.ContactDetail(ctx, o.id)
}

// use keeps what read returned for build.
func (o *contactOverlay) use(d docbase.ContactDetail) {
	o.contact, o.org, o.history = d.Contact, d.OrgName, d.History
	o.connName, o.tenant = d.ConnectionName, d.TenantName
	o.user, o.mailbox, o.licenses, o.devices = d.User, d.Mailbox, d.Licenses, d.Devices
	o.conn, o.unknown = d.Connection, d.Unknown
}

// show reads the contact and opens the overlay over the window.
func (o *contactOverlay) show() {
	load(o.env, &o.gen, "open the contact", o.read, func(d docbase.ContactDetail) {
		o.use(d)
		o.content = container.NewStack(o.build())
		o.dialog = dialog.NewCustom(o.contact.Name(), "Close", o.content, o.env.w)
		size := o.env.w.Canvas().Size()
		o.dialog.Resize(fyne.NewSize(min(960, size.Width-40), min(720, size.Height-40)))
		o.dialog.SetOnClosed(func() {
			if o.env.shell.overlay == o {
				o.env.shell.overlay = nil // a closed overlay follows no change
			}
		})
		o.env.showDialog(o.dialog)
	}, "contact", o.id)
}

// rebuild reads the contact again and redraws the open overlay.
func (o *contactOverlay) rebuild() {
	load(o.env, &o.gen, "reload the contact", o.read, func(d docbase.ContactDetail) {
		if o.content == nil {
			return // the overlay has not opened
		}
		o.use(d)
		o.content.Objects = []fyne.CanvasObject{o.build()}
		o.content.Refresh()
	}, "contact", o.id)
}

// documentationChanged redraws the overlay when its contact changed, alone
// or with its organization's contacts (a sync, a matching decision).
func (o *contactOverlay) documentationChanged(c docbase.Changes) {
	if c.Contacts[o.id] || c.Orgs[o.contact.OrgID] {
		o.rebuild()
	}
}

// localValue is a contact field as the documentation holds it.
func localValue(c *store.Contact, key string) string {
	return msValue(match.Fields{FirstName: c.FirstName, LastName: c.LastName, Title: c.Title, PrimaryEmail: c.PrimaryEmail,
		OtherEmails: c.OtherEmails, OfficePhone: c.OfficePhone, Mobile: c.Mobile}, key)
}

// msValue is a contact field as Microsoft's user gives it.
func msValue(f match.Fields, key string) string {
	switch key {
	case store.FieldFirstName:
		return f.FirstName
	case store.FieldLastName:
		return f.LastName
	case store.FieldTitle:
		return f.Title
	case store.FieldPrimaryEmail:
		return f.PrimaryEmail
	case store.FieldOtherEmails:
		return strings.Join(f.OtherEmails, ", ")
	case store.FieldOfficePhone:
		return f.OfficePhone
	case store.FieldMobile:
		return f.Mobile
	}
	return ""
}

func (o *contactOverlay) build() fyne.CanvasObject {
	c := &o.contact
	o.diffs = nil
	var badges []string
	if c.Link != nil {
		badges = append(badges, "synced from "+o.tenant)
	} else {
		badges = append(badges, "local only")
	}
	if c.HasFlag(store.FlagLeaver) {
		badges = append(badges, "⚠ leaver: the account was disabled, unlicensed or deleted")
	}
	if c.HasFlag(store.FlagAmbiguous) {
		badges = append(badges, "⚠ ambiguous: several users could be this contact")
	}
	head := container.NewVBox(
		widget.NewLabelWithStyle(o.org, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(strings.Join(badges, " · ")),
	)
	if o.user != nil && c.Link != nil {
		head = container.NewVBox(container.NewBorder(nil, nil, nil, o.adminLinks(c.Link.TenantID), head))
	}

	// Fields side by side.
	grid := container.NewVBox(row(fieldColumns,
		heading("Field"), heading("In tenantsync"), heading("In Microsoft 365"), heading("Difference"), heading("Lock")))
	var ms match.Fields
	if o.user != nil {
		ms = match.UserFields(o.user)
	}
	for _, f := range contactFields {
		local := localValue(c, f.key)
		theirs := "—"
		mark := widget.NewLabel("")
		if o.user != nil {
			theirs = msValue(ms, f.key)
			differs := !strings.EqualFold(strings.TrimSpace(local), strings.TrimSpace(theirs)) && theirs != ""
			if differs {
				o.diffs = append(o.diffs, f.key)
				mark.SetText("≠ differs")
				mark.Importance = widget.WarningImportance
				if c.IsLocked(f.key) {
					mark.SetText("≠ locked: yours is kept")
				}
			} else if theirs != "" {
				mark.SetText("=")
				mark.Importance = widget.LowImportance
			}
			if theirs == "" {
				theirs = "(empty)"
			}
		}
		localL := widget.NewLabel(local)
		localL.Truncation = fyne.TextTruncateEllipsis
		theirsL := widget.NewLabel(theirs)
		theirsL.Truncation = fyne.TextTruncateEllipsis
		mark.Truncation = fyne.TextTruncateEllipsis
		if mark.Importance == widget.WarningImportance {
			localL.TextStyle.Bold = true
			theirsL.Importance = widget.WarningImportance
		}
		key := f.key
		lock := widget.NewCheck("", nil)
		lock.SetChecked(c.IsLocked(key))
		lock.OnChanged = func(on bool) { o.onLock(key, on) }
		o.locks[key] = lock
		grid.Add(row(fieldColumns, widget.NewLabel(f.title), localL, theirsL, mark, lock))
	}
	fieldsHelp := "A locked field keeps your value: sync never overwrites it and shows Microsoft's value here instead."
	if o.user == nil {
		fieldsHelp = "This contact is not linked to a Microsoft 365 user, so there is nothing to compare."
	}
	sections := container.NewVBox(head, widget.NewSeparator(), heading("Contact details"), note(fieldsHelp), grid)
	if o.user != nil {
		sections.Add(widget.NewSeparator())
		sections.Add(o.accountSection())
		sections.Add(o.mailboxSection())
		sections.Add(o.licenseSection())
		sections.Add(o.deviceSection())
	}
	sections.Add(o.historySection())
	return container.NewVScroll(sections)
}

// adminLinks are the buttons that open the user in the admin centers of
// the connection's cloud, in this customer's tenant; in demo mode a note
// instead, since the demo's tenants exist only on this computer.
func (o *contactOverlay) adminLinks(tenantID string) fyne.CanvasObject {
	if o.env.core.Demo || o.conn.Mode == store.ModeDemo {
		l := widget.NewLabel("Demo data: no admin center to open")
		l.Importance = widget.LowImportance
		return l
	}
	box := container.NewVBox()
	for _, link := range auth.UserAdminLinks(o.conn, tenantID, o.user.ObjectID) {
		box.Add(widget.NewButtonWithIcon(link.Title, theme.ComputerIcon(), func() {
			u, err := url.Parse(link.URL)
			if err == nil {
				err = o.env.openURL(u)
			}
			if err != nil {
				o.env.showError(err, "open the admin center", "contact", o.id)
			}
		}))
	}
	return box
}

// unknownOr is a value the overlay shows, or why it is unknown when the
// sync knows.
func unknownOr(value, why string) string {
	if why != "" {
		return why
	}
	return value
}

func (o *contactOverlay) accountSection() fyne.CanvasObject {
	u := o.user
	status := "✓ enabled"
	imp := widget.SuccessImportance
	if !u.AccountEnabled {
		status, imp = "✗ disabled (sign-in blocked)", widget.DangerImportance
	}
	statusL := widget.NewLabel(status)
	statusL.Importance = imp
	kind := u.UserType
	if u.OnPremisesSync {
		kind += ", synced from on-premises AD"
	}
	return widget.NewCard("Account", u.UPN, container.New(&formLayout{},
		widget.NewLabel("Status"), statusL,
		widget.NewLabel("Type"), widget.NewLabel(kind),
		widget.NewLabel("Last sign-in"), widget.NewLabel(unknownOr(when(u.LastSignIn), o.unknown.SignIns)),
		widget.NewLabel("Last successful sign-in"), widget.NewLabel(unknownOr(when(u.LastSuccessSignIn), o.unknown.SignIns)),
		widget.NewLabel("Last password change"), widget.NewLabel(when(u.LastPasswordChange)),
		widget.NewLabel("Created"), widget.NewLabel(when(u.Created)),
		widget.NewLabel("Department · office"), widget.NewLabel(strings.Trim(u.Department+" · "+u.OfficeLocation, " ·")),
	))
}

// mailboxSection draws the mailbox's use against its quota.
func (o *contactOverlay) mailboxSection() fyne.CanvasObject {
	mb := o.mailbox
	if mb == nil {
		text := "No mailbox in the usage report (the user has no Exchange mailbox)."
		if o.unknown.Mailbox != "" {
			text = "Unknown: " + o.unknown.Mailbox + "."
		}
		return widget.NewCard("Mailbox", "", note(text))
	}
	quota := mb.ProhibitSendRecv
	if quota == 0 {
		quota = mb.ProhibitSendQuota
	}
	bar := widget.NewProgressBar()
	if quota > 0 {
		bar.Max = float64(quota)
		bar.SetValue(float64(mb.StorageUsed))
	}
	used, q := mb.StorageUsed, quota
	bar.TextFormatter = func() string {
		if q == 0 {
			return bytesText(used) + " used"
		}
		return fmt.Sprintf("%s of %s (%.0f%%)", bytesText(used), bytesText(q), 100*float64(used)/float64(q))
	}
	bar.Refresh()
	warn := widget.NewLabel("")
	if mb.WarningQuota > 0 && mb.StorageUsed >= mb.WarningQuota {
		warn.SetText("⚠ above the warning quota (" + bytesText(mb.WarningQuota) + ")")
		warn.Importance = widget.WarningImportance
	}
	archive := "no archive"
	if mb.HasArchive {
		archive = "archive enabled"
	}
	return widget.NewCard("Mailbox", fmt.Sprintf("%d items · %s · last activity %s · report of %s", mb.ItemCount, archive, when(mb.LastActivity), mb.RefreshDate.Format("2 Jan 2006")),
		container.NewVBox(bar, warn))
}

func (o *contactOverlay) licenseSection() fyne.CanvasObject {
	box := container.NewVBox()
	for _, l := range o.licenses {
		name := l.FriendlyName
		if name == "" {
			name = l.PartNumber
		}
		box.Add(widget.NewLabel("• " + name + "  (" + l.PartNumber + ")"))
	}
	switch {
	case len(o.licenses) == 0 && len(o.user.SKUs) > 0 && o.unknown.Licenses != "":
		box.Add(note(fmt.Sprintf("%d assigned; %s.", len(o.user.SKUs), o.unknown.Licenses)))
	case len(o.licenses) == 0 && len(o.user.SKUs) > 0:
		box.Add(note(fmt.Sprintf("%d assigned, not among the tenant's subscriptions synced last.", len(o.user.SKUs))))
	case len(o.licenses) == 0:
		box.Add(widget.NewLabel("No license assigned."))
	}
	return widget.NewCard("Licenses", "", box)
}

func (o *contactOverlay) deviceSection() fyne.CanvasObject {
	box := container.NewVBox()
	for _, d := range o.devices {
		enc := "not encrypted"
		if d.Encrypted {
			enc = "encrypted"
		}
		l := widget.NewLabel(fmt.Sprintf("• %s — %s %s · %s %s · %s · %s · serial %s · last check-in %s",
			d.Name, d.Manufacturer, d.Model, d.OS, d.OSVersion, d.ComplianceState, enc, orDash(d.Serial), ago(d.LastSync)))
		l.Truncation = fyne.TextTruncateEllipsis
		if d.ComplianceState == "noncompliant" {
			l.Importance = widget.WarningImportance
		}
		box.Add(l)
	}
	if len(o.devices) == 0 {
		text := "No Intune managed device."
		if o.unknown.Devices != "" {
			text = "Unknown: " + o.unknown.Devices + "."
		}
		box.Add(note(text))
	}
	return widget.NewCard("Devices", "", box)
}

func (o *contactOverlay) historySection() fyne.CanvasObject {
	box := container.NewVBox()
	for i := len(o.history) - 1; i >= 0 && i >= len(o.history)-10; i-- {
		l := widget.NewLabel(historyLine(o.history[i]))
		l.Truncation = fyne.TextTruncateEllipsis
		box.Add(l)
	}
	if len(o.history) == 0 {
		box.Add(widget.NewLabel("No changes yet."))
	}
	return widget.NewCard("History", "What sync and technicians changed", box)
}

// historyLine says one change: when, what, the fields, why and who.
func historyLine(ch store.Change) string {
	var fields []string
	for _, f := range ch.Fields {
		fields = append(fields, fmt.Sprintf("%s: %q → %q", f.Field, f.Old, f.New))
	}
	text := fmt.Sprintf("%s · %s", ch.At.Local().Format("2 Jan 2006 15:04"), ch.Kind)
	if len(fields) > 0 {
		text += " · " + strings.Join(fields, "; ")
	}
	if ch.Reason != "" {
		text += " · " + ch.Reason
	}
	if ch.By != "" {
		text += " · by " + ch.By
	}
	return text
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// onLock pins or releases a field. The overlay redraws when the change
// comes back as an event, or at once when it failed, to show the lock as
// it is.
func (o *contactOverlay) onLock(field string, on bool) {
	docs, id := o.env.core.Docs, o.id
	o.env.run(func(ctx context.Context) error {
		_, err := docs.SetFieldLock(ctx, id, field, on)
		return err
	}, func(err error) {
		if err != nil {
			o.env.showError(err, "lock the field", "contact", id, "field", field)
			o.rebuild()
		}
	})
}
