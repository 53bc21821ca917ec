package graph

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/contracts"
	"github.com/microsoftgraph/msgraph-sdk-go/devicemanagement"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/tenantrelationships"

	"github.com/tenantsync/tenantsync/store"
)

// Customer is a tenant a partner can reach.
type Customer struct {
	TenantID      string
	DisplayName   string
	DefaultDomain string
}

// Customers lists the partner's customers: GDAP customers, or DAP contracts
// when the partner has no GDAP customers endpoint access.
func (c *Client) Customers(ctx context.Context) ([]Customer, error) {
	out, err := c.gdapCustomers(ctx)
	if err == nil {
		return out, nil
	}
	var ge *Error
	if !errors.As(err, &ge) || (ge.Status != http.StatusForbidden && ge.Status != http.StatusNotFound) {
		return nil, err
	}
	dap, derr := c.contracts(ctx)
	if derr != nil {
		return nil, err // the GDAP error explains more than the DAP one
	}
	return dap, nil
}

// partnerPageSize is the largest page Graph serves of GDAP customers and
// relationships (100 by default): 300 customers list in one round trip.
const partnerPageSize int32 = 300

func ptr[T any](v T) *T { return &v }

func (c *Client) gdapCustomers(ctx context.Context) ([]Customer, error) {
	resp, err := c.g.TenantRelationships().DelegatedAdminCustomers().Get(ctx, &tenantrelationships.DelegatedAdminCustomersRequestBuilderGetRequestConfiguration{
		QueryParameters: &tenantrelationships.DelegatedAdminCustomersRequestBuilderGetQueryParameters{Select: []string{"id", "tenantId", "displayName"}, Top: ptr(partnerPageSize)},
	})
	if err != nil {
		return nil, wrap(err, DataDirectory)
	}
	var out []Customer
	err = iterate[models.DelegatedAdminCustomerable](ctx, c, resp, models.CreateDelegatedAdminCustomerCollectionResponseFromDiscriminatorValue, func(x models.DelegatedAdminCustomerable) error {
		id := deref(x.GetTenantId())
		if id == "" {
			id = deref(x.GetId())
		}
		out = append(out, Customer{TenantID: strings.ToLower(id), DisplayName: deref(x.GetDisplayName())})
		return nil
	})
	return out, wrap(err, DataDirectory)
}

func (c *Client) contracts(ctx context.Context) ([]Customer, error) {
	resp, err := c.g.Contracts().Get(ctx, &contracts.ContractsRequestBuilderGetRequestConfiguration{})
	if err != nil {
		return nil, wrap(err, DataDirectory)
	}
	var out []Customer
	err = iterate[models.Contractable](ctx, c, resp, models.CreateContractCollectionResponseFromDiscriminatorValue, func(x models.Contractable) error {
		if id := x.GetCustomerId(); id != nil {
			out = append(out, Customer{TenantID: id.String(), DisplayName: deref(x.GetDisplayName()), DefaultDomain: deref(x.GetDefaultDomainName())})
		}
		return nil
	})
	return out, wrap(err, DataDirectory)
}

// Relationships lists the partner's GDAP relationships, keyed by customer
// tenant id. A customer with several relationships gets the one that ends
// last among the active ones.
func (c *Client) Relationships(ctx context.Context) (map[string]store.Relationship, error) {
	resp, err := c.g.TenantRelationships().DelegatedAdminRelationships().Get(ctx, &tenantrelationships.DelegatedAdminRelationshipsRequestBuilderGetRequestConfiguration{
		QueryParameters: &tenantrelationships.DelegatedAdminRelationshipsRequestBuilderGetQueryParameters{Top: ptr(partnerPageSize)},
	})
	if err != nil {
		return nil, wrap(err, DataDirectory)
	}
	out := map[string]store.Relationship{}
	err = iterate[models.DelegatedAdminRelationshipable](ctx, c, resp, models.CreateDelegatedAdminRelationshipCollectionResponseFromDiscriminatorValue, func(x models.DelegatedAdminRelationshipable) error {
		cust := x.GetCustomer()
		if cust == nil {
			return nil
		}
		r := store.Relationship{ID: deref(x.GetId())}
		if st := x.GetStatus(); st != nil {
			r.Status = st.String()
		}
		if end := x.GetEndDateTime(); end != nil {
			r.End = end.UTC()
		}
		if ad := x.GetAccessDetails(); ad != nil {
			for _, role := range ad.GetUnifiedRoles() {
				r.Roles = append(r.Roles, deref(role.GetRoleDefinitionId()))
			}
		}
		tid := strings.ToLower(deref(cust.GetTenantId()))
		prev, seen := out[tid]
		if !seen || better(r, prev) {
			out[tid] = r
		}
		return nil
	})
	return out, wrap(err, DataDirectory)
}

func better(a, b store.Relationship) bool {
	if (a.Status == "active") != (b.Status == "active") {
		return a.Status == "active"
	}
	return a.End.After(b.End)
}

// Directory is a tenant's organization record.
type Directory struct {
	DisplayName   string
	DefaultDomain string
	Domains       []string // verified, the initial onmicrosoft.com one included
}

// Organization reads the tenant's name and verified domains.
func (c *Client) Organization(ctx context.Context) (Directory, error) {
	resp, err := c.g.Organization().Get(ctx, nil)
	if err != nil {
		return Directory{}, wrap(err, DataDirectory)
	}
	return directoryFrom(resp)
}

func directoryFrom(resp models.OrganizationCollectionResponseable) (Directory, error) {
	vals := resp.GetValue()
	if len(vals) == 0 {
		return Directory{}, &Error{DataType: DataDirectory, Err: errors.New("organization: empty answer")}
	}
	var d Directory
	d.DisplayName = deref(vals[0].GetDisplayName())
	for _, vd := range vals[0].GetVerifiedDomains() {
		name := strings.ToLower(deref(vd.GetName()))
		if name == "" {
			continue
		}
		d.Domains = append(d.Domains, name)
		if deref(vd.GetIsDefault()) {
			d.DefaultDomain = name
		}
	}
	return d, nil
}

// Licenses reads the tenant's subscribed SKUs with friendly names.
func (c *Client) Licenses(ctx context.Context) ([]store.License, error) {
	resp, err := c.g.SubscribedSkus().Get(ctx, nil)
	if err != nil {
		return nil, wrap(err, DataLicenses)
	}
	return c.licensesFrom(ctx, resp)
}

func (c *Client) licensesFrom(ctx context.Context, resp models.SubscribedSkuCollectionResponseable) ([]store.License, error) {
	var out []store.License
	err := iterate[models.SubscribedSkuable](ctx, c, resp, models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue, func(x models.SubscribedSkuable) error {
		l := store.License{PartNumber: deref(x.GetSkuPartNumber()), Consumed: int(deref(x.GetConsumedUnits())), AppliesTo: deref(x.GetAppliesTo())}
		if id := x.GetSkuId(); id != nil {
			l.SKUID = id.String()
		}
		if p := x.GetPrepaidUnits(); p != nil {
			l.Enabled, l.Suspended = int(deref(p.GetEnabled())), int(deref(p.GetSuspended()))
			l.Warning, l.LockedOut = int(deref(p.GetWarning())), int(deref(p.GetLockedOut()))
		}
		l.FriendlyName = FriendlySKU(l.PartNumber)
		out = append(out, l)
		return nil
	})
	return out, wrap(err, DataLicenses)
}

// ConcealedNames reports whether the tenant's usage reports hide user names
// (admin/reportSettings displayConcealedNames).
func (c *Client) ConcealedNames(ctx context.Context) (bool, error) {
	rs, err := c.g.Admin().ReportSettings().Get(ctx, nil)
	if err != nil {
		return false, wrap(err, DataMailboxes)
	}
	return deref(rs.GetDisplayConcealedNames()), nil
}

// Mailboxes reads the mailbox usage report (last 7 days). The CSV is parsed
// by column name, not position, since Microsoft adds columns over time.
// concealed is true when the report hides user names (32-hex UPNs).
func (c *Client) Mailboxes(ctx context.Context) (rows []store.Mailbox, concealed bool, err error) {
	period := "D7"
	data, err := c.g.Reports().GetMailboxUsageDetailWithPeriod(&period).Get(ctx, nil)
	if err != nil {
		return nil, false, wrap(err, DataMailboxes)
	}
	rows, concealed, err = ParseMailboxCSV(bytes.NewReader(data))
	if err != nil {
		return nil, false, &Error{DataType: DataMailboxes, Err: fmt.Errorf("parse mailbox usage report: %w", err)}
	}
	return rows, concealed, nil
}

// ParseMailboxCSV parses the getMailboxUsageDetail CSV.
func ParseMailboxCSV(r io.Reader) (rows []store.Mailbox, concealed bool, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, false, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	upnCol, ok := col["user principal name"]
	if !ok {
		return nil, false, errors.New(`no "User Principal Name" column`)
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	num := func(rec []string, name string) int64 {
		n, _ := strconv.ParseInt(get(rec, name), 10, 64)
		return n
	}
	date := func(rec []string, name string) time.Time {
		t, _ := time.Parse("2006-01-02", get(rec, name))
		return t
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
		if upnCol >= len(rec) || strings.EqualFold(get(rec, "is deleted"), "true") {
			continue
		}
		m := store.Mailbox{
			UPN: rec[upnCol], DisplayName: get(rec, "display name"),
			ItemCount: num(rec, "item count"), StorageUsed: num(rec, "storage used (byte)"),
			WarningQuota: num(rec, "issue warning quota (byte)"), ProhibitSendQuota: num(rec, "prohibit send quota (byte)"),
			ProhibitSendRecv: num(rec, "prohibit send/receive quota (byte)"),
			LastActivity:     date(rec, "last activity date"), HasArchive: strings.EqualFold(get(rec, "has archive"), "true"),
			RecipientType: get(rec, "recipient type"), RefreshDate: date(rec, "report refresh date"),
		}
		if isConcealed(m.UPN) {
			concealed = true
		}
		rows = append(rows, m)
	}
	return rows, concealed, nil
}

// isConcealed recognizes the 32-hex-digit stand-in that replaces a user
// principal name when a tenant conceals names in reports.
func isConcealed(upn string) bool {
	if len(upn) != 32 || strings.Contains(upn, "@") {
		return false
	}
	for _, r := range upn {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

var deviceFields = []string{"id", "deviceName", "serialNumber", "manufacturer", "model", "operatingSystem", "osVersion",
	"complianceState", "managedDeviceOwnerType", "userPrincipalName", "lastSyncDateTime", "enrolledDateTime", "isEncrypted"}

// Devices streams the tenant's Intune managed devices to fn.
func (c *Client) Devices(ctx context.Context, fn func(store.Device) error) error {
	resp, err := c.g.DeviceManagement().ManagedDevices().Get(ctx, devicesQuery)
	if err != nil {
		return wrap(err, DataDevices)
	}
	return c.devicesFrom(ctx, resp, fn)
}

var devicesQuery = &devicemanagement.ManagedDevicesRequestBuilderGetRequestConfiguration{
	QueryParameters: &devicemanagement.ManagedDevicesRequestBuilderGetQueryParameters{Select: deviceFields},
}

func (c *Client) devicesFrom(ctx context.Context, resp models.ManagedDeviceCollectionResponseable, fn func(store.Device) error) error {
	err := iterate[models.ManagedDeviceable](ctx, c, resp, models.CreateManagedDeviceCollectionResponseFromDiscriminatorValue, func(x models.ManagedDeviceable) error {
		d := store.Device{
			ID: deref(x.GetId()), Name: deref(x.GetDeviceName()), Serial: deref(x.GetSerialNumber()),
			Manufacturer: deref(x.GetManufacturer()), Model: deref(x.GetModel()), OS: deref(x.GetOperatingSystem()),
			OSVersion: deref(x.GetOsVersion()), UserUPN: deref(x.GetUserPrincipalName()), Encrypted: deref(x.GetIsEncrypted()),
		}
		if cs := x.GetComplianceState(); cs != nil {
			d.ComplianceState = cs.String()
		}
		if ot := x.GetManagedDeviceOwnerType(); ot != nil {
			d.OwnerType = ot.String()
		}
		if t := x.GetLastSyncDateTime(); t != nil {
			d.LastSync = t.UTC()
		}
		if t := x.GetEnrolledDateTime(); t != nil {
			d.Enrolled = t.UTC()
		}
		return fn(d)
	})
	return wrap(err, DataDevices)
}

// iterate pages through a collection with the SDK's PageIterator, handing
// each item to fn; an error from fn stops the iteration and is returned. It
// returns the last page's delta link, if any.
func iterate[T any](ctx context.Context, c *Client, first any, factory serialization.ParsableFactory, fn func(T) error) error {
	_, err := iterateDelta(ctx, c, first, factory, fn)
	return err
}

func iterateDelta[T any](ctx context.Context, c *Client, first any, factory serialization.ParsableFactory, fn func(T) error) (string, error) {
	return iterateDeltaWith(ctx, c, first, factory, nil, fn)
}

// iterateDeltaWith sends headers (e.g. Prefer) with every next page.
func iterateDeltaWith[T any](ctx context.Context, c *Client, first any, factory serialization.ParsableFactory, headers *abs.RequestHeaders, fn func(T) error) (string, error) {
	it, err := msgraphcore.NewPageIterator[T](first, c.adapter, factory)
	if err != nil {
		return "", err
	}
	if headers != nil {
		it.SetHeaders(headers)
	}
	var ferr error
	err = it.Iterate(ctx, func(item T) bool {
		if ferr = fn(item); ferr != nil {
			return false
		}
		return ctx.Err() == nil
	})
	switch {
	case ferr != nil:
		return "", ferr
	case err != nil:
		return "", err
	case ctx.Err() != nil:
		return "", ctx.Err()
	}
	return deref(it.GetOdataDeltaLink()), nil
}

// ProbeDevices asks for one managed device: nil when Intune data is readable.
func (c *Client) ProbeDevices(ctx context.Context) error {
	top := int32(1)
	_, err := c.g.DeviceManagement().ManagedDevices().Get(ctx, &devicemanagement.ManagedDevicesRequestBuilderGetRequestConfiguration{
		QueryParameters: &devicemanagement.ManagedDevicesRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top},
	})
	return wrap(err, DataDevices)
}
