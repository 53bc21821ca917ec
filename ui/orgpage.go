package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// orgPage is the right side of the Organizations view: every
// organization's contacts while "All organizations" is picked, one
// organization's page once one is: its contacts, licenses and spare seats,
// mailboxes near quota, devices, leavers still licensed and its Microsoft
// 365 side (GDAP, last sync, findings), with links into the admin centers.
// The page is read off the UI goroutine in one transaction
// (docbase.OrgPage) and read again when a change touches the organization
// or one of its tenants.
type orgPage struct {
	env      *env
	contacts fyne.CanvasObject // the orgs view's contact list, wrapped as is

	orgID uint64
	page  docbase.OrgPage
	gen   generation
	// shown is the generation whose page is drawn (tests and benchmarks
	// wait for it).
	shown uint64

	body  *fyne.Container // the contacts alone, or the tabs
	links *fyne.Container
	tabs  *container.AppTabs

	contactsTab, licensesTab, mailboxesTab, devicesTab, leaversTab, m365Tab *container.TabItem

	licenses, mailboxes, devices, leavers *pageList
	m365                                  *fyne.Container
}

func newOrgPage(e *env, contacts fyne.CanvasObject) *orgPage {
	return &orgPage{env: e, contacts: contacts}
}

// buildUI puts heading (the organization's name and summary) above the
// page.
func (p *orgPage) buildUI(heading fyne.CanvasObject) fyne.CanvasObject {
	p.licenses = newPageList(columns{3, 2, 1, 1, 1}, "Subscription", "Tenant", "Seats", "Assigned", "Spare")
	p.mailboxes = newPageList(columns{3, 2, 1.2, 1.2, 1.2, 0.8}, "Mailbox", "Tenant", "Used", "Warning at", "Stops at", "Full")
	p.devices = newPageList(columns{2, 2.4, 1.6, 1.2, 1, 1.6}, "Device", "User", "OS", "Compliance", "Encrypted", "Last check-in")
	p.leavers = newPageList(columns{2, 2.4, 2, 3}, "Name", "User", "Tenant", "Licenses still assigned")
	p.m365 = container.NewVBox()
	p.contactsTab = container.NewTabItem("Contacts", widget.NewLabel(""))
	p.licensesTab = container.NewTabItem("Licenses", p.licenses.content)
	p.mailboxesTab = container.NewTabItem("Mailboxes", p.mailboxes.content)
	p.devicesTab = container.NewTabItem("Devices", p.devices.content)
	p.leaversTab = container.NewTabItem("Leavers", p.leavers.content)
	p.m365Tab = container.NewTabItem("Microsoft 365", container.NewVScroll(p.m365))
	p.tabs = container.NewAppTabs(p.contactsTab, p.licensesTab, p.mailboxesTab, p.devicesTab, p.leaversTab, p.m365Tab)
	p.links = container.NewHBox()
	p.links.Hide()
	p.body = container.NewStack(p.contacts)
	return container.NewBorder(container.NewVBox(heading, p.links), nil, nil, nil, p.body)
}

// show turns the page to an organization, 0 for all of them.
func (p *orgPage) show(id uint64) {
	if p == nil || p.body == nil {
		return
	}
	if id == 0 {
		p.orgID = 0
		p.gen.next() // a page still being read is no longer wanted
		p.links.Hide()
		p.contactsTab.Content = widget.NewLabel("")
		p.body.Objects = []fyne.CanvasObject{p.contacts}
		p.body.Refresh()
		return
	}
	if id != p.orgID {
		p.orgID = id
		p.page = docbase.OrgPage{}
		p.contactsTab.Content = p.contacts
		p.tabs.SelectIndex(0)
		p.body.Objects = []fyne.CanvasObject{p.tabs}
		p.body.Refresh()
	}
	p.load()
}

func (p *orgPage) load() {
	id, docs := p.orgID, p.env.core.Docs
	n := p.gen.n + 1 // the generation load takes
	load(p.env, &p.gen, "read the organization's page", func(ctx context.Context) (docbase.OrgPage, error) {
		return docs.OrgPage(ctx, id)
	}, func(page docbase.OrgPage) {
		p.page = page
		p.draw()
		p.shown = n
	}, "org", id)
}

// documentationChanged reads the page again when a change touches the
// organization shown or one of its tenants (a sync, a matching decision).
func (p *orgPage) documentationChanged(c docbase.Changes) {
	if p == nil || p.orgID == 0 {
		return
	}
	touched := c.Orgs[p.orgID]
	for _, t := range p.page.Tenants {
		touched = touched || c.Tenants[docbase.TenantRef{ConnectionID: t.ConnectionID, TenantID: t.TenantID}]
	}
	if !touched && len(c.Contacts) > 0 {
		// A leaver's flag is a contact's change.
		for _, t := range p.page.Tenants {
			for _, l := range t.Leavers {
				touched = touched || c.Contacts[l.ContactID]
			}
		}
	}
	if touched {
		p.load()
	}
}

func (p *orgPage) draw() {
	pg := p.page
	p.drawLinks()
	var lic, mbx, dev, lvr [][]string
	var licWarn, mbxWarn, devWarn []bool
	var licNotes, mbxNotes, devNotes, lvrNotes []string
	for _, t := range pg.Tenants {
		name := t.DisplayName
		for _, l := range t.Licenses {
			lic = append(lic, []string{l.Name(), name, itoa(l.Enabled), itoa(l.Consumed), itoa(l.Spare)})
			licWarn = append(licWarn, l.Spare < 0)
		}
		if why := whyEmpty(t, t.Unknown.Licenses); why != "" {
			licNotes = append(licNotes, name+": "+why)
		} else if len(t.Licenses) == 0 {
			licNotes = append(licNotes, name+": no subscriptions")
		}
		for _, mb := range t.NearQuota {
			mbx = append(mbx, []string{mb.UPN, name, bytesText(mb.StorageUsed), quotaText(mb.WarningQuota), quotaText(mb.ProhibitSendRecv), fullText(mb)})
			mbxWarn = append(mbxWarn, true)
		}
		if why := whyEmpty(t, t.Unknown.Mailbox); why != "" {
			mbxNotes = append(mbxNotes, name+": "+why)
		} else {
			mbxNotes = append(mbxNotes, fmt.Sprintf("%s: %d of %d mailboxes near quota", name, len(t.NearQuota), t.Mailboxes))
		}
		for _, d := range t.Devices {
			enc := "no"
			if d.Encrypted {
				enc = "yes"
			}
			dev = append(dev, []string{d.Name, d.UserUPN, strings.TrimSpace(d.OS + " " + d.OSVersion), orDash(d.ComplianceState), enc, dayText(d.LastSync)})
			devWarn = append(devWarn, !d.Encrypted || !strings.EqualFold(d.ComplianceState, "compliant"))
		}
		if why := whyEmpty(t, t.Unknown.Devices); why != "" {
			devNotes = append(devNotes, name+": "+why)
		} else if len(t.Devices) == 0 {
			devNotes = append(devNotes, name+": no devices managed by Intune")
		}
		for _, l := range t.Leavers {
			lvr = append(lvr, []string{l.Name, l.UPN, name, strings.Join(l.Licenses, ", ")})
		}
		if why := whyEmpty(t, ""); why != "" {
			lvrNotes = append(lvrNotes, name+": "+why)
		}
	}
	if len(pg.Tenants) == 0 {
		const unmatched = "Not matched to a Microsoft 365 tenant: match one in Matching to see its licenses, mailboxes and devices here."
		licNotes, mbxNotes, devNotes, lvrNotes = []string{unmatched}, []string{unmatched}, []string{unmatched}, []string{unmatched}
	} else if len(lvr) == 0 && len(lvrNotes) == 0 {
		lvrNotes = []string{"No leaver holds a license."}
	} else if len(lvr) > 0 {
		lvrNotes = append(lvrNotes, "Contacts flagged leaver whose user still holds licenses: remove them in the admin center to free the seats.")
	}
	p.licenses.set(lic, licWarn, licNotes)
	p.mailboxes.set(mbx, mbxWarn, mbxNotes)
	p.devices.set(dev, devWarn, devNotes)
	p.leavers.set(lvr, nil, lvrNotes)
	p.licensesTab.Text = "Licenses (" + itoa(len(lic)) + ")"
	p.mailboxesTab.Text = "Near quota (" + itoa(len(mbx)) + ")"
	p.devicesTab.Text = "Devices (" + itoa(len(dev)) + ")"
	p.leaversTab.Text = "Leavers (" + itoa(len(lvr)) + ")"
	p.drawM365()
	p.tabs.Refresh()
}

// whyEmpty says why a tenant's section lacks data: the reason the sync
// knows, or that the tenant was never synced; "" when its data is real.
func whyEmpty(t docbase.TenantPage, why string) string {
	switch {
	case why != "":
		return why
	case t.Tenant.LastSync.IsZero():
		return "not synced yet"
	}
	return ""
}

func (p *orgPage) drawM365() {
	p.m365.RemoveAll()
	if len(p.page.Tenants) == 0 {
		p.m365.Add(note("Not matched to a Microsoft 365 tenant: match one in Matching."))
	}
	for _, t := range p.page.Tenants {
		p.m365.Add(heading(t.DisplayName + " (" + t.ConnectionName + ")"))
		p.m365.Add(widget.NewLabel("Tenant id: " + t.TenantID))
		p.m365.Add(widget.NewLabel(relationshipText(t)))
		p.m365.Add(widget.NewLabel("Last sync: " + when(t.Tenant.LastSync)))
		if len(t.Tenant.Findings) == 0 {
			if !t.Tenant.LastSync.IsZero() {
				p.m365.Add(widget.NewLabel("No findings in the last sync."))
			}
		}
		for _, f := range t.Tenant.Findings {
			l := note(firstUpper(string(f.Severity)) + ": " + f.Message)
			if f.Severity == store.SeverityError {
				l.Importance = widget.DangerImportance
			} else {
				l.Importance = widget.WarningImportance
			}
			p.m365.Add(l)
			if f.Fix != "" {
				p.m365.Add(note("Fix: " + f.Fix))
			}
		}
		p.m365.Add(widget.NewSeparator())
	}
	p.m365.Refresh()
}

// relationshipText is a tenant's GDAP relationship in one line.
func relationshipText(t docbase.TenantPage) string {
	r := t.Tenant.Relationship
	switch {
	case r != nil:
		s := "GDAP relationship: " + orDash(r.Status)
		if !r.End.IsZero() {
			s += ", ends " + r.End.Local().Format("2 Jan 2006") + " (" + until(r.End) + ")"
		}
		return s + " · " + plural(len(r.Roles), "role")
	case t.Connection.Mode == store.ModeGDAP:
		return "GDAP relationship: none found in the last sync"
	}
	return "GDAP relationship: none (this connection reaches the tenant through its own app, not as a partner)"
}

// drawLinks shows the buttons that open this customer in the admin centers
// of each tenant's cloud; in demo mode a note, since the demo's tenants
// exist only on this computer.
func (p *orgPage) drawLinks() {
	p.links.RemoveAll()
	for _, t := range p.page.Tenants {
		if p.env.core.Demo || t.Connection.Mode == store.ModeDemo {
			l := widget.NewLabel("Demo data: no admin center to open")
			l.Importance = widget.LowImportance
			p.links.Add(l)
			break
		}
		for _, link := range auth.OrgAdminLinks(t.Connection, t.TenantID) {
			title := link.Title
			if len(p.page.Tenants) > 1 {
				title += " (" + t.DisplayName + ")"
			}
			p.links.Add(widget.NewButtonWithIcon(title, theme.ComputerIcon(), func() {
				u, err := url.Parse(link.URL)
				if err == nil {
					err = p.env.openURL(u)
				}
				if err != nil {
					p.env.showError(err, "open the admin center", "org", p.orgID, "tenant", t.TenantID)
				}
			}))
		}
	}
	if len(p.links.Objects) == 0 {
		p.links.Hide()
	} else {
		p.links.Show()
	}
	p.links.Refresh()
}

func quotaText(n int64) string {
	if n <= 0 {
		return "—"
	}
	return bytesText(n)
}

// fullText is how much of the quota that stops a mailbox it uses.
func fullText(mb store.Mailbox) string {
	q := mb.ProhibitSendRecv
	if q <= 0 {
		q = mb.WarningQuota
	}
	if q <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(mb.StorageUsed)/float64(q))
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2 Jan 2006")
}

// pageList is one section of the page: notes on what it lacks and why,
// then a list of fixed-height rows of text columns.
type pageList struct {
	cols    columns
	rows    [][]string
	warn    []bool // rows whose last column is a warning
	notes   *widget.Label
	list    *widget.List
	content fyne.CanvasObject
}

func newPageList(cols columns, headings ...string) *pageList {
	pl := &pageList{cols: cols}
	heads := make([]fyne.CanvasObject, len(headings))
	for i, h := range headings {
		heads[i] = heading(h)
	}
	pl.notes = note("")
	pl.notes.Importance = widget.LowImportance
	pl.list = widget.NewList(
		func() int { return len(pl.rows) },
		func() fyne.CanvasObject {
			r := row(cols)
			for range cols {
				l := widget.NewLabel("")
				l.Truncation = fyne.TextTruncateClip
				r.Add(l)
			}
			return r
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(pl.rows) {
				return
			}
			cells := o.(*fyne.Container).Objects
			for i, text := range pl.rows[id] {
				if i < len(cells) {
					cells[i].(*widget.Label).SetText(text)
				}
			}
			last := cells[len(cells)-1].(*widget.Label)
			want := widget.MediumImportance
			if id < len(pl.warn) && pl.warn[id] {
				want = widget.WarningImportance
			}
			if last.Importance != want {
				last.Importance = want
				last.Refresh()
			}
		})
	pl.content = container.NewBorder(container.NewVBox(pl.notes, row(cols, heads...)), nil, nil, nil, pl.list)
	return pl
}

func (pl *pageList) set(rows [][]string, warn []bool, notes []string) {
	pl.rows, pl.warn = rows, warn
	pl.notes.SetText(strings.Join(notes, "\n"))
	if len(notes) == 0 {
		pl.notes.Hide()
	} else {
		pl.notes.Show()
	}
	pl.list.Refresh()
}

// OrgTab is a tab of an organization's page.
type OrgTab int

// The tabs of an organization's page, in the order shown.
const (
	OrgTabContacts OrgTab = iota
	OrgTabLicenses
	OrgTabMailboxes
	OrgTabDevices
	OrgTabLeavers
	OrgTabMicrosoft365
)

// ShowOrganizationTab shows one organization's page at one of its tabs.
func (s *Shell) ShowOrganizationTab(orgID uint64, tab OrgTab) {
	s.ShowOrganization(orgID)
	if s.orgs != nil && s.orgs.page != nil && s.orgs.page.orgID == orgID {
		s.orgs.page.tabs.SelectIndex(int(tab))
	}
}
