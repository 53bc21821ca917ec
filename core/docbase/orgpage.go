package docbase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// OrgPage is what an organization's page shows: the organization and, per
// Microsoft 365 tenant matched to it, the figures its mirror holds. It is
// plain data read in one transaction, so the page draws it without reading
// more.
type OrgPage struct {
	Summary OrgSummary
	Tenants []TenantPage // in Summary.Tenants' order
}

// TenantPage is one matched tenant's part of an organization's page.
type TenantPage struct {
	MatchedTenant
	// Connection makes the admin-center links (its mode and cloud); zero
	// when the connection is gone.
	Connection store.Connection
	// Tenant holds the GDAP relationship, the findings and the last sync.
	Tenant    store.Tenant
	Licenses  []LicenseSeats
	Mailboxes int             // mailbox report rows the mirror holds
	NearQuota []store.Mailbox // the mailboxes near quota, fullest first
	Devices   []store.Device  // ordered by name
	Leavers   []Leaver
	// Unknown says why a list above is empty for want of data rather than
	// because there is nothing (e.g. mailboxes not synced).
	Unknown Unknown
}

// LicenseSeats is a subscription with its seats.
type LicenseSeats struct {
	store.License
	Spare int // enabled (prepaid) seats no user consumes; negative when overused
}

// Name is the subscription's friendly name, else its part number.
func (l LicenseSeats) Name() string {
	if l.FriendlyName != "" {
		return l.FriendlyName
	}
	return l.PartNumber
}

// Leaver is a contact flagged leaver whose user still holds licenses: seats
// the customer pays for someone who left.
type Leaver struct {
	ContactID uint64
	Name      string
	UPN       string
	Licenses  []string // names of the SKUs the user holds
}

// NearQuota reports whether a mailbox is at or above its warning quota, or
// above 90% of the quota at which it can neither send nor receive. A quota
// of zero is unknown (the report left it out) and never counts.
func NearQuota(mb store.Mailbox) bool {
	if mb.WarningQuota > 0 && mb.StorageUsed >= mb.WarningQuota {
		return true
	}
	return mb.ProhibitSendRecv > 0 && mb.StorageUsed*10 > mb.ProhibitSendRecv*9
}

// OrgPage reads an organization's page: its matched tenants with their
// licenses and spare seats, mailboxes near quota, devices, leavers still
// licensed, GDAP relationship, findings and last sync.
func (s *Service) OrgPage(ctx context.Context, id uint64) (OrgPage, error) {
	// The leavers come from the row index in memory, so the transaction
	// decodes only their contacts, not every contact of a large customer.
	leaverRows, err := s.store.Rows(ctx, store.RowQuery{Kind: store.KindContact, OrgID: id, With: store.RowLeaver})
	if err != nil {
		return OrgPage{}, fmt.Errorf("read organization %d: %w", id, err)
	}
	var p OrgPage
	err = s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if p.Summary, err = readOrgSummary(tx, id); err != nil {
			return err
		}
		var leavers []store.Contact
		for _, r := range leaverRows {
			c, err := tx.Contact(r.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if c.Link != nil && c.HasFlag(store.FlagLeaver) {
				leavers = append(leavers, c)
			}
		}
		for _, mt := range p.Summary.Tenants {
			tp, err := readTenantPage(tx, mt, leavers)
			if err != nil {
				return fmt.Errorf("tenant %s: %w", mt.TenantID, err)
			}
			p.Tenants = append(p.Tenants, tp)
		}
		return nil
	})
	if err != nil {
		return OrgPage{}, fmt.Errorf("read organization %d: %w", id, err)
	}
	return p, nil
}

func readTenantPage(tx *store.Tx, mt MatchedTenant, leavers []store.Contact) (TenantPage, error) {
	tp := TenantPage{MatchedTenant: mt}
	switch conn, err := tx.Connection(mt.ConnectionID); {
	case err == nil:
		tp.Connection = conn
	case !errors.Is(err, store.ErrNotFound):
		return tp, err
	}
	t, err := tx.Tenant(mt.ConnectionID, mt.TenantID)
	if err != nil {
		return tp, err
	}
	tp.Tenant = t
	if tp.Connection.ID != "" {
		tp.Unknown = WhyUnknown(tp.Connection.Settings, t)
	}
	m, err := tx.Mirror(mt.ConnectionID, mt.TenantID)
	if err != nil {
		return tp, err
	}
	licenses, err := m.Licenses()
	if err != nil {
		return tp, fmt.Errorf("licenses: %w", err)
	}
	names := map[string]string{}
	for _, l := range licenses {
		ls := LicenseSeats{License: l, Spare: l.Enabled - l.Consumed}
		names[l.SKUID] = ls.Name()
		tp.Licenses = append(tp.Licenses, ls)
	}
	slices.SortFunc(tp.Licenses, func(a, b LicenseSeats) int { return strings.Compare(a.Name(), b.Name()) })
	mailboxes, err := m.Mailboxes()
	if err != nil {
		return tp, fmt.Errorf("mailboxes: %w", err)
	}
	tp.Mailboxes = len(mailboxes)
	for _, mb := range mailboxes {
		if NearQuota(mb) {
			tp.NearQuota = append(tp.NearQuota, mb)
		}
	}
	slices.SortFunc(tp.NearQuota, func(a, b store.Mailbox) int { return compareFill(b, a) })
	if tp.Devices, err = m.Devices(); err != nil {
		return tp, fmt.Errorf("devices: %w", err)
	}
	slices.SortFunc(tp.Devices, func(a, b store.Device) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	for _, c := range leavers {
		if c.Link.ConnectionID != mt.ConnectionID || !strings.EqualFold(c.Link.TenantID, mt.TenantID) {
			continue
		}
		u, ok, err := m.User(c.Link.ObjectID)
		if err != nil {
			return tp, fmt.Errorf("user of contact %d: %w", c.ID, err)
		}
		if !ok || len(u.SKUs) == 0 {
			continue
		}
		l := Leaver{ContactID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName), UPN: u.UPN}
		for _, sku := range u.SKUs {
			// A SKU the tenant no longer lists has no name left; its id
			// still says which it was.
			l.Licenses = append(l.Licenses, orIfEmpty(names[sku], sku))
		}
		tp.Leavers = append(tp.Leavers, l)
	}
	return tp, nil
}

// compareFill orders mailboxes by how full they are against the quota
// that stops them.
func compareFill(a, b store.Mailbox) int {
	fa, fb := fill(a), fill(b)
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return strings.Compare(a.UPN, b.UPN)
}

// fill is the share of the prohibit-send-receive quota (else the warning
// quota) a mailbox uses; 0 when neither is known.
func fill(mb store.Mailbox) float64 {
	q := mb.ProhibitSendRecv
	if q <= 0 {
		q = mb.WarningQuota
	}
	if q <= 0 {
		return 0
	}
	return float64(mb.StorageUsed) / float64(q)
}
