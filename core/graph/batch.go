package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantsync/tenantsync/store"
)

// Want says which reads a Bundle includes besides the users delta.
type Want struct {
	Directory, Licenses, Devices bool
}

// Bundle is what one round trip brings for a tenant that was synced before:
// the users delta and the small reads, sent together as one $batch. Each
// part has its own error; a part that failed inside the batch (429, 5xx) is
// retried on its own through the SDK's retry handler.
type Bundle struct {
	DeltaLink    string
	Directory    Directory
	DirectoryErr error
	Licenses     []store.License
	LicensesErr  error
	Devices      []store.Device
	DevicesErr   error
}

// ReadBundle follows a saved users delta link and reads the wanted data
// types in one $batch request. Changes go to fn. An expired delta link
// yields ErrDeltaExpired (and nothing else is read).
func (c *Client) ReadBundle(ctx context.Context, deltaLink string, want Want, fn func(Change) error) (Bundle, error) {
	var b Bundle
	batch := msgraphcore.NewBatchRequest(c.adapter)
	add := func(info *abs.RequestInformation, err error) (string, error) {
		if err != nil {
			return "", err
		}
		item, err := batch.AddBatchRequestStep(*info)
		if err != nil {
			return "", err
		}
		return *item.GetId(), nil
	}
	deltaID, err := add(users.NewDeltaRequestBuilder(deltaLink, c.adapter).ToGetRequestInformation(ctx, nil))
	if err != nil {
		return b, err
	}
	var orgID, skuID, devID string
	if want.Directory {
		if orgID, err = add(c.g.Organization().ToGetRequestInformation(ctx, nil)); err != nil {
			return b, err
		}
	}
	if want.Licenses {
		if skuID, err = add(c.g.SubscribedSkus().ToGetRequestInformation(ctx, nil)); err != nil {
			return b, err
		}
	}
	if want.Devices {
		if devID, err = add(c.g.DeviceManagement().ManagedDevices().ToGetRequestInformation(ctx, devicesQuery)); err != nil {
			return b, err
		}
	}
	resp, err := batch.Send(ctx, c.adapter)
	if err != nil {
		return b, wrap(err, DataContacts)
	}
	codes := resp.GetStatusCodes()
	// Parts that failed are sent again on their own, after the longest
	// Retry-After among them; they count as retries, as whole requests do.
	for _, status := range codes {
		switch {
		case status == http.StatusTooManyRequests:
			c.stats.Throttled.Add(1)
		case retryable(status):
			c.stats.Failed.Add(1)
		}
	}
	if d := partsRetryAfter(resp, codes); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return b, err
		}
	}

	// The delta decides whether the rest matters.
	if item, ok := batchItem[users.DeltaGetResponseable](resp, codes, deltaID, users.CreateDeltaGetResponseFromDiscriminatorValue); ok {
		b.DeltaLink, err = c.deltaFrom(ctx, item, fn)
	} else {
		err = itemError(resp, codes, deltaID, DataContacts)
		if retryable(codes[deltaID]) {
			b.DeltaLink, err = c.Delta(ctx, deltaLink, fn)
		}
	}
	if err != nil {
		return b, deltaError(err)
	}
	if orgID != "" {
		if item, ok := batchItem[models.OrganizationCollectionResponseable](resp, codes, orgID, models.CreateOrganizationCollectionResponseFromDiscriminatorValue); ok {
			b.Directory, b.DirectoryErr = directoryFrom(item)
		} else if retryable(codes[orgID]) {
			b.Directory, b.DirectoryErr = c.Organization(ctx)
		} else {
			b.DirectoryErr = itemError(resp, codes, orgID, DataDirectory)
		}
	}
	if skuID != "" {
		if item, ok := batchItem[models.SubscribedSkuCollectionResponseable](resp, codes, skuID, models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue); ok {
			b.Licenses, b.LicensesErr = c.licensesFrom(ctx, item)
		} else if retryable(codes[skuID]) {
			b.Licenses, b.LicensesErr = c.Licenses(ctx)
		} else {
			b.LicensesErr = itemError(resp, codes, skuID, DataLicenses)
		}
	}
	if devID != "" {
		collect := func(d store.Device) error { b.Devices = append(b.Devices, d); return nil }
		if item, ok := batchItem[models.ManagedDeviceCollectionResponseable](resp, codes, devID, models.CreateManagedDeviceCollectionResponseFromDiscriminatorValue); ok {
			b.DevicesErr = c.devicesFrom(ctx, item, collect)
		} else if retryable(codes[devID]) {
			b.Devices = nil
			b.DevicesErr = c.Devices(ctx, collect)
		} else {
			b.DevicesErr = itemError(resp, codes, devID, DataDevices)
		}
	}
	return b, ctx.Err()
}

// partsRetryAfter is the longest Retry-After of the retryable parts.
func partsRetryAfter(resp msgraphcore.BatchResponse, codes map[string]int32) time.Duration {
	var longest time.Duration
	for id, status := range codes {
		item := resp.GetResponseById(id)
		if !retryable(status) || item == nil {
			continue
		}
		for k, v := range item.GetHeaders() {
			if d, ok := parseRetryAfter(v); ok && strings.EqualFold(k, "Retry-After") {
				longest = max(longest, d)
			}
		}
	}
	return longest
}

func retryable(status int32) bool {
	return status == http.StatusTooManyRequests || status >= 500 || status == 0
}

// batchItem decodes a successful batch item.
func batchItem[T serialization.Parsable](resp msgraphcore.BatchResponse, codes map[string]int32, id string, ctor serialization.ParsableFactory) (T, bool) {
	var zero T
	if codes[id] < 200 || codes[id] > 299 {
		return zero, false
	}
	v, err := msgraphcore.GetBatchResponseById[T](resp, id, ctor)
	if err != nil {
		return zero, false
	}
	return v, true
}

// itemError turns a failed batch item into an *Error with Graph's code and
// message, as a direct request would have.
func itemError(resp msgraphcore.BatchResponse, codes map[string]int32, id, dataType string) error {
	status := codes[id]
	e := &Error{Status: int(status), DataType: dataType, Err: fmt.Errorf("batch item answered %d", status)}
	if item := resp.GetResponseById(id); item != nil {
		if body, ok := item.GetBody()["error"].(map[string]any); ok {
			e.Code, e.Message = bodyString(body["code"]), bodyString(body["message"])
		}
	}
	if status == 0 {
		e.Err = errors.New("batch answer lacks this item")
	}
	return e
}

// bodyString reads a string of a $batch item's body, which the SDK's parse
// nodes decode as *string.
func bodyString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case *string:
		if s != nil {
			return *s
		}
	}
	return ""
}
