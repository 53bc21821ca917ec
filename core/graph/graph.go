// Package graph reads a Microsoft 365 tenant through msgraph-sdk-go and turns
// what it finds into tenantsync's records (store.DirectoryUser, store.Mailbox,
// store.License, store.Device). It streams: a large tenant is never held in
// memory as SDK objects beyond a page at a time.
package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/permissions"
	"github.com/tenantsync/tenantsync/store"
)

// Data types a sync can read, as named in settings, findings and logs.
const (
	DataDirectory = permissions.DataDirectory
	DataContacts  = permissions.DataContacts
	DataLicenses  = permissions.DataLicenses
	DataMailboxes = permissions.DataMailboxes
	DataSignIns   = permissions.DataSignIns
	DataDevices   = permissions.DataDevices
)

// Stats counts one client's HTTP traffic, retries included.
type Stats struct {
	Requests  atomic.Int64
	Throttled atomic.Int64 // 429 answers
	Failed    atomic.Int64 // 5xx answers and transport errors
}

// Client reads one tenant.
type Client struct {
	TenantID string
	g        *msgraph.GraphServiceClient
	adapter  *msgraph.GraphRequestAdapter
	stats    *Stats
}

// Options build a Client.
type Options struct {
	GraphBase string            // Graph v1.0 root; "" means Microsoft's global cloud
	Transport http.RoundTripper // the network; nil means http.DefaultTransport
	Stats     *Stats            // where to count requests; nil allocates one
	// InFlight, when set, is a semaphore shared by clients: a request holds
	// a slot while it is on the network (not while it waits to retry).
	InFlight chan struct{}
	// MaxRetries bounds the SDK's retries of 429/503/504 per request
	// (it honours Retry-After); 0 means 5.
	MaxRetries int
}

// NewClient builds the real SDK client with its default middleware
// (redirect, user agent, ...; not request compression) for one tenant; retries honour Retry-After
// as the SDK's do, through the request context's wait (WithRetryWait).
func NewClient(tenantID string, tokens absauth.AccessTokenProvider, opt Options) (*Client, error) {
	if opt.Stats == nil {
		opt.Stats = &Stats{}
	}
	base := opt.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 5
	}
	gopts := msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"}
	var mw []khttp.Middleware
	for _, m := range msgraphcore.GetDefaultMiddlewaresWithOptions(&gopts) {
		switch m.(type) {
		case *khttp.RetryHandler:
			mw = append(mw, retryHandler{max: opt.MaxRetries, baseDelay: 2 * time.Second})
		case *khttp.CompressionHandler:
			// It gzips request bodies: only $batch has one, a few KB, and
			// a gzip writer per request cost 8% of a delta sync's CPU.
		default:
			mw = append(mw, m)
		}
	}
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(&counting{next: base, stats: opt.Stats, slots: opt.InFlight}, mw...), Timeout: 5 * time.Minute}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		absauth.NewBaseBearerTokenAuthenticationProvider(tokens), nil, nil, hc)
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	if opt.GraphBase != "" {
		adapter.SetBaseUrl(strings.TrimSuffix(opt.GraphBase, "/"))
	}
	return &Client{TenantID: tenantID, g: ServiceClient(adapter), adapter: adapter, stats: opt.Stats}, nil
}

var (
	registerOnce sync.Once
	template     *msgraph.GraphServiceClient
)

// ServiceClient wraps an adapter in the SDK's service client; every client
// of the SDK in this program (tests included) is built here.
// msgraph.NewGraphServiceClient registers the SDK's serializers in global
// registries and sets a global backing store factory, racing with requests
// of other tenants in flight; so only the first client is built that way and
// the others copy it with their own adapter.
func ServiceClient(adapter *msgraph.GraphRequestAdapter) *msgraph.GraphServiceClient {
	registerOnce.Do(func() { template = msgraph.NewGraphServiceClient(adapter) })
	c := *template
	c.BaseRequestBuilder.RequestAdapter = adapter
	c.BaseRequestBuilder.PathParameters = map[string]string{"baseurl": adapter.GetBaseUrl()}
	adapter.EnableBackingStore(nil)
	return &c
}

// Stats returns the client's traffic counters.
func (c *Client) Stats() *Stats { return c.stats }

// counting sits below the SDK's middleware, so it sees every request that
// reaches the network, retries included.
type counting struct {
	next  http.RoundTripper
	stats *Stats
	slots chan struct{}
}

func (c *counting) send(r *http.Request) (*http.Response, error) {
	if c.slots == nil {
		return c.next.RoundTrip(r)
	}
	select {
	case c.slots <- struct{}{}:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	defer func() { <-c.slots }()
	return c.next.RoundTrip(r)
}

// transportRetries bounds retries of requests that got no answer at all
// (connection reset, refused): the SDK's retry handler only retries answers.
const transportRetries = 3

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		c.stats.Requests.Add(1)
		resp, err := c.send(r)
		switch {
		case err != nil:
			c.stats.Failed.Add(1)
		case resp.StatusCode == http.StatusTooManyRequests:
			c.stats.Throttled.Add(1)
		case resp.StatusCode >= 500:
			c.stats.Failed.Add(1)
		}
		if err == nil || attempt == transportRetries || r.Context().Err() != nil {
			return resp, err
		}
		if r.Body != nil && r.Body != http.NoBody {
			if r.GetBody == nil {
				return resp, err
			}
			body, berr := r.GetBody()
			if berr != nil {
				return resp, err
			}
			r = r.Clone(r.Context())
			r.Body = body
		}
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
		}
	}
}

// Error is a Graph failure said in plain words with the fix.
type Error struct {
	Status   int    // HTTP status, 0 when the request never got an answer
	Code     string // Graph's error code, e.g. Authorization_RequestDenied
	Message  string // Graph's message
	DataType string
	Err      error
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: %s (%d %s)", e.DataType, e.Message, e.Status, e.Code)
	}
	return fmt.Sprintf("%s: %v", e.DataType, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrDeltaExpired means a saved delta link is no longer accepted; the
// tenant's users need a full read.
var ErrDeltaExpired = errors.New("delta link expired")

// wrap classifies err from reading dataType.
func wrap(err error, dataType string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ae *auth.Error
	var ge *Error
	if errors.As(err, &ae) || errors.As(err, &ge) {
		return err // classified already (a $batch item's error is one)
	}
	e := &Error{DataType: dataType, Err: err}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		e.Status = oe.ResponseStatusCode
		if me := oe.GetErrorEscaped(); me != nil {
			e.Code, e.Message = deref(me.GetCode()), deref(me.GetMessage())
		}
	}
	return e
}

// permissionFor names the permission a data type needs.
func permissionFor(dataType string) string {
	if ps := permissions.For(dataType); len(ps) > 0 {
		return ps[0].Name
	}
	return "the Microsoft Graph permission " + dataType + " needs"
}

// Finding codes for Graph problems.
const (
	CodePermissionMissing = "permission_missing"
	CodeNoP1              = "no_entra_p1"
	CodeThrottled         = "throttled"
	CodeConcealedNames    = "concealed_names"
	CodeGDAPExpired       = "gdap_expired"
	CodeGDAPExpiring      = "gdap_expiring"
	CodeGDAPRoles         = "gdap_missing_roles"
	CodeGDAPMissing       = "gdap_missing"
	CodeBadAnswer         = "bad_answer"
	CodeUnavailable       = "service_unavailable"
)

// Finding says what went wrong reading dataType and how to fix it.
func Finding(err error, dataType string) store.Finding {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return auth.Finding(err, dataType)
	}
	f := store.Finding{Severity: store.SeverityError, DataType: dataType, Code: "error", Message: err.Error()}
	var ge *Error
	if !errors.As(err, &ge) {
		return auth.Finding(err, dataType) // network errors read as "cannot reach Microsoft"
	}
	perm := permissionFor(dataType)
	switch {
	case ge.Code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
		f.Severity, f.Code = "warning", CodeNoP1
		f.Message = "Sign-in activity needs Microsoft Entra ID P1 or P2, which this tenant does not have."
		f.Fix = "Nothing to fix: contacts sync without last sign-in dates. A P1 licence (included in Microsoft 365 Business Premium and E3/E5) brings them."
	case ge.Status == http.StatusForbidden || ge.Code == "Authorization_RequestDenied":
		f.Code = CodePermissionMissing
		f.Message = fmt.Sprintf("Microsoft refused to share %s: the app lacks the %s permission here.", describe(dataType), perm)
		f.Fix = fmt.Sprintf("In the Entra admin center add the Microsoft Graph application and delegated permission %s to the app registration, grant admin consent, and for GDAP make sure the relationship includes a role that can read it.", perm)
	case ge.Status == http.StatusTooManyRequests:
		f.Severity, f.Code = "warning", CodeThrottled
		f.Message = fmt.Sprintf("Microsoft kept throttling requests for %s after several retries.", describe(dataType))
		f.Fix = "Nothing was lost; the next sync picks up where this one stopped. Fewer tenants per run or a later schedule avoids the limit."
	case ge.Status >= 500:
		f.Severity, f.Code = "warning", CodeUnavailable
		f.Message = fmt.Sprintf("Microsoft Graph was unavailable while reading %s (HTTP %d).", describe(dataType), ge.Status)
		f.Fix = "Usually temporary: the next sync tries again."
	case ge.Status == 0 && ge.Code == "":
		var ue *Error
		if errors.As(ge.Err, &ue) {
			return Finding(ue, dataType)
		}
		if strings.Contains(ge.Err.Error(), "parse") || strings.Contains(ge.Err.Error(), "unmarshal") || strings.Contains(ge.Err.Error(), "invalid character") {
			f.Code = CodeBadAnswer
			f.Message = fmt.Sprintf("Microsoft sent an answer for %s that tenantsync cannot read.", describe(dataType))
			f.Fix = "The other tenants are not affected; if it persists, send the sync log to support."
			return f
		}
		return auth.Finding(ge.Err, dataType)
	default:
		f.Message = fmt.Sprintf("Reading %s failed: %s", describe(dataType), ge.Message)
		f.Fix = "Try again; if it keeps failing, send the sync log to support."
	}
	return f
}

func describe(dataType string) string {
	switch dataType {
	case DataDirectory:
		return "the directory (organization and domains)"
	case DataContacts:
		return "users"
	case DataLicenses:
		return "licenses"
	case DataMailboxes:
		return "mailbox usage"
	case DataSignIns:
		return "sign-in activity"
	case DataDevices:
		return "Intune devices"
	}
	return dataType
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
