package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantsync/tenantsync/store"
)

// userFields is exactly what tenantsync maps from a user: $select keeps
// answers small and costs one resource unit less per request.
var userFields = []string{
	"id", "userPrincipalName", "mail", "proxyAddresses", "otherMails", "displayName", "givenName", "surname",
	"jobTitle", "department", "officeLocation", "businessPhones", "mobilePhone", "accountEnabled", "userType",
	"createdDateTime", "lastPasswordChangeDateTime", "assignedLicenses", "usageLocation", "onPremisesSyncEnabled",
}

// UserPageSize is the largest page Graph serves for users.
const UserPageSize = 999

// ErrNoP1 means the tenant has no Entra ID P1, so sign-in activity cannot be read.
var ErrNoP1 = errors.New("sign-in activity needs Microsoft Entra ID P1")

// Users streams every user of the tenant to fn. withSignIns adds
// signInActivity, which needs Entra ID P1 (ErrNoP1 without it) and
// AuditLog.Read.All.
func (c *Client) Users(ctx context.Context, withSignIns bool, fn func(store.DirectoryUser) error) error {
	return c.users(ctx, "", withSignIns, fn)
}

// users streams the users whose principal name starts with prefix ("":
// every user) to fn.
func (c *Client) users(ctx context.Context, prefix string, withSignIns bool, fn func(store.DirectoryUser) error) error {
	fields := userFields
	if withSignIns {
		fields = append(append([]string{}, userFields...), "signInActivity")
	}
	top := int32(UserPageSize)
	q := &users.UsersRequestBuilderGetQueryParameters{Select: fields, Top: &top}
	if prefix != "" {
		q.Filter = upnStartsWith(prefix)
	}
	resp, err := c.g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q})
	if err != nil {
		return userError(err, withSignIns)
	}
	err = iterate[models.Userable](ctx, c, resp, models.CreateUserCollectionResponseFromDiscriminatorValue, func(u models.Userable) error {
		return fn(toDirectoryUser(u))
	})
	return userError(err, withSignIns)
}

// upnStartsWith is the $filter for principal names starting with prefix.
func upnStartsWith(prefix string) *string {
	f := "startswith(userPrincipalName,'" + strings.ReplaceAll(prefix, "'", "''") + "')"
	return &f
}

// userCount asks how many users the directory holds. $count is an advanced
// query: eventually consistent, so a user created a moment ago may not be
// counted yet.
func (c *Client) userCount(ctx context.Context) (int64, error) {
	headers := abs.NewRequestHeaders()
	headers.Add("ConsistencyLevel", "eventual")
	top, count := int32(1), true
	resp, err := c.g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		Headers:         headers,
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top, Count: &count},
	})
	if err != nil {
		return 0, wrap(err, DataContacts)
	}
	n := resp.GetOdataCount()
	if n == nil {
		return 0, &Error{DataType: DataContacts, Err: errors.New("the users count ($count) came without @odata.count")}
	}
	return *n, nil
}

func userError(err error, withSignIns bool) error {
	if err == nil {
		return nil
	}
	werr := wrap(err, DataContacts)
	var ge *Error
	if withSignIns && errors.As(werr, &ge) && ge.Code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant" {
		return errors.Join(ErrNoP1, werr)
	}
	return werr
}

// Change is one entry of a users delta page.
type Change struct {
	User    store.DirectoryUser
	Removed bool // deleted (or, with reason "changed", soft-deleted) since the last delta
	// Fields names the properties the entry carries (Graph's JSON names). A
	// changed user may come with only its changed properties: merge them
	// into the saved user with Apply.
	Fields map[string]bool
}

// Apply returns old updated with the properties this change carries.
func (ch Change) Apply(old store.DirectoryUser) store.DirectoryUser {
	u, has := ch.User, ch.Fields
	set := func(name string, dst, src any) {
		if !has[name] {
			return
		}
		switch d := dst.(type) {
		case *string:
			*d = *src.(*string)
		case *[]string:
			*d = *src.(*[]string)
		case *bool:
			*d = *src.(*bool)
		case *time.Time:
			*d = *src.(*time.Time)
		}
	}
	set("userPrincipalName", &old.UPN, &u.UPN)
	set("mail", &old.Mail, &u.Mail)
	set("proxyAddresses", &old.ProxyAddresses, &u.ProxyAddresses)
	set("otherMails", &old.OtherMails, &u.OtherMails)
	set("displayName", &old.DisplayName, &u.DisplayName)
	set("givenName", &old.GivenName, &u.GivenName)
	set("surname", &old.Surname, &u.Surname)
	set("jobTitle", &old.JobTitle, &u.JobTitle)
	set("department", &old.Department, &u.Department)
	set("officeLocation", &old.OfficeLocation, &u.OfficeLocation)
	set("businessPhones", &old.BusinessPhones, &u.BusinessPhones)
	set("mobilePhone", &old.MobilePhone, &u.MobilePhone)
	set("accountEnabled", &old.AccountEnabled, &u.AccountEnabled)
	set("userType", &old.UserType, &u.UserType)
	set("createdDateTime", &old.Created, &u.Created)
	set("lastPasswordChangeDateTime", &old.LastPasswordChange, &u.LastPasswordChange)
	set("assignedLicenses", &old.SKUs, &u.SKUs)
	set("usageLocation", &old.UsageLocation, &u.UsageLocation)
	set("onPremisesSyncEnabled", &old.OnPremisesSync, &u.OnPremisesSync)
	old.ObjectID = u.ObjectID
	return old
}

// presentFields lists the properties the answer carried for u.
func presentFields(u models.Userable) map[string]bool {
	out := map[string]bool{}
	if bs := u.GetBackingStore(); bs != nil {
		for k := range bs.Enumerate() {
			out[k] = true
		}
		for _, k := range bs.EnumerateKeysForValuesChangedToNil() {
			out[k] = true
		}
	}
	return out
}

// LatestDeltaLink returns a delta link for the tenant's users as they are
// now, without listing them ($deltaToken=latest): after a full read it makes
// the next sync a delta sync.
func (c *Client) LatestDeltaLink(ctx context.Context) (string, error) {
	raw := c.adapter.GetBaseUrl() + "/users/delta?$deltaToken=latest&$select=" + strings.Join(userFields, ",")
	resp, err := users.NewDeltaRequestBuilder(raw, c.adapter).GetAsDeltaGetResponse(ctx, nil)
	if err != nil {
		return "", deltaError(err)
	}
	link, err := iterateDelta[models.Userable](ctx, c, resp, users.CreateDeltaGetResponseFromDiscriminatorValue, func(models.Userable) error { return nil })
	if err != nil {
		return "", deltaError(err)
	}
	if link == "" {
		return "", &Error{DataType: DataContacts, Err: errors.New("users delta answered without a delta link")}
	}
	return link, nil
}

// Delta follows a saved delta link and streams the changes since to fn. It
// returns the next delta link. An expired link yields ErrDeltaExpired: the
// caller then reads all users again.
func (c *Client) Delta(ctx context.Context, link string, fn func(Change) error) (string, error) {
	resp, err := users.NewDeltaRequestBuilder(link, c.adapter).GetAsDeltaGetResponse(ctx, nil)
	if err != nil {
		return "", deltaError(err)
	}
	return c.deltaFrom(ctx, resp, fn)
}

func (c *Client) deltaFrom(ctx context.Context, resp users.DeltaGetResponseable, fn func(Change) error) (string, error) {
	next, err := iterateDelta[models.Userable](ctx, c, resp, users.CreateDeltaGetResponseFromDiscriminatorValue, func(u models.Userable) error {
		ch := Change{User: toDirectoryUser(u), Fields: presentFields(u)}
		if _, removed := u.GetAdditionalData()["@removed"]; removed {
			ch.Removed = true
		}
		return fn(ch)
	})
	if err != nil {
		return "", deltaError(err)
	}
	if next == "" {
		return "", &Error{DataType: DataContacts, Err: errors.New("users delta answered without a delta link")}
	}
	return next, nil
}

func deltaError(err error) error {
	werr := wrap(err, DataContacts)
	var ge *Error
	if errors.As(werr, &ge) && (ge.Status == http.StatusGone ||
		strings.EqualFold(ge.Code, "SyncStateNotFound") || strings.EqualFold(ge.Code, "resyncRequired") ||
		strings.EqualFold(ge.Code, "syncStateInvalid")) {
		return errors.Join(ErrDeltaExpired, werr)
	}
	return werr
}

func toDirectoryUser(u models.Userable) store.DirectoryUser {
	d := store.DirectoryUser{
		ObjectID: deref(u.GetId()), UPN: deref(u.GetUserPrincipalName()), Mail: deref(u.GetMail()),
		ProxyAddresses: u.GetProxyAddresses(), OtherMails: u.GetOtherMails(), DisplayName: deref(u.GetDisplayName()),
		GivenName: deref(u.GetGivenName()), Surname: deref(u.GetSurname()), JobTitle: deref(u.GetJobTitle()),
		Department: deref(u.GetDepartment()), OfficeLocation: deref(u.GetOfficeLocation()),
		BusinessPhones: u.GetBusinessPhones(), MobilePhone: deref(u.GetMobilePhone()),
		AccountEnabled: deref(u.GetAccountEnabled()), UserType: deref(u.GetUserType()),
		UsageLocation: deref(u.GetUsageLocation()), OnPremisesSync: deref(u.GetOnPremisesSyncEnabled()),
	}
	if t := u.GetCreatedDateTime(); t != nil {
		d.Created = t.UTC()
	}
	if t := u.GetLastPasswordChangeDateTime(); t != nil {
		d.LastPasswordChange = t.UTC()
	}
	for _, l := range u.GetAssignedLicenses() {
		if id := l.GetSkuId(); id != nil {
			d.SKUs = append(d.SKUs, id.String())
		}
	}
	if sa := u.GetSignInActivity(); sa != nil {
		if t := sa.GetLastSignInDateTime(); t != nil {
			d.LastSignIn = t.UTC()
		}
		if t := sa.GetLastSuccessfulSignInDateTime(); t != nil {
			d.LastSuccessSignIn = t.UTC()
		}
		if t := sa.GetLastNonInteractiveSignInDateTime(); t != nil {
			d.LastNonInteractive = t.UTC()
		}
	}
	return d
}

// ProbeSignIns asks for one user's sign-in activity: nil when the tenant
// shares it, ErrNoP1 (joined with the Graph error) without Entra ID P1.
func (c *Client) ProbeSignIns(ctx context.Context) error {
	top := int32(1)
	_, err := c.g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: []string{"id", "signInActivity"}, Top: &top},
	})
	if err != nil {
		err = userError(err, true)
		var ge *Error
		if errors.As(err, &ge) {
			ge.DataType = DataSignIns
		}
	}
	return err
}
