package connections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/permissions"
	"github.com/tenantsync/tenantsync/store"
)

// Consent into customers. A GDAP service account's token works in a
// customer tenant only once tenantsync's app holds a service principal and
// delegated grants there (else AADSTS90099, or 65001 when its grants were
// removed). Partner Center's control-panel-vendor API does that for a
// partner, per customer, with the service account's own sign-in:
//
//	POST {partner_center_base}/v1/customers/{tenant}/applicationconsents
//	{"applicationId": …, "applicationGrants": [{"enterpriseApplicationId":
//	 "00000003-…" (Graph), "scope": "User.Read.All,Directory.Read.All,…"}]}
//
// at most 50 requests per second per application.

// ConsentOutcome is what consent did in one customer.
type ConsentOutcome string

const (
	ConsentGranted ConsentOutcome = "consented"
	ConsentRenewed ConsentOutcome = "consent renewed" // an existing consent was replaced
	ConsentFailed  ConsentOutcome = "failed"
)

// ConsentResult is one customer's outcome.
type ConsentResult struct {
	TenantID    string
	DisplayName string
	Outcome     ConsentOutcome
	Err         error  // why it failed, in plain words
	Fix         string // what to do
}

// needsConsent reports whether a token error means the app lacks consent.
func needsConsent(err error) bool {
	var ae *auth.Error
	return errors.As(err, &ae) && (ae.Code == auth.CodeAppNotPermitted || ae.Code == auth.CodeConsentMissing)
}

// NeedsConsent lists the customers of a GDAP connection where tenantsync's
// app is not consented: asking for a token there fails with AADSTS90099 or
// AADSTS65001. It asks each customer for a token, nothing more.
func (m *Manager) NeedsConsent(ctx context.Context, id string) ([]store.Tenant, error) {
	c, err := m.Connection(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Mode != store.ModeGDAP {
		return nil, nil
	}
	sess, err := m.Session(c)
	if err != nil {
		return nil, err
	}
	tenants, err := m.Discover(ctx, c, sess, nil)
	if err != nil {
		return nil, err
	}
	var (
		mu  sync.Mutex
		out []store.Tenant
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	for _, t := range tenants {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := sess.Token(ctx, t.TenantID); needsConsent(err) {
				mu.Lock()
				out = append(out, t)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortTenants(out)
	return out, nil
}

// PartnerCenterError is Partner Center's error answer.
type PartnerCenterError struct {
	Status      int
	Code        string `json:"code"`
	Description string `json:"description"`
}

func (e *PartnerCenterError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("Partner Center answered %d", e.Status)
	}
	return fmt.Sprintf("Partner Center answered %d: %s", e.Status, e.Description)
}

// consentPace spaces Partner Center requests under its 50 per second.
const consentPace = time.Second / 45

// Consent asks Partner Center to consent tenantsync's app in each of the
// given customers of a GDAP connection, then checks each with a token.
// progress, when set, hears of every customer as it finishes.
func (m *Manager) Consent(ctx context.Context, id string, tenants []store.Tenant, progress func(done, total int, r ConsentResult)) ([]ConsentResult, error) {
	c, err := m.Connection(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Mode != store.ModeGDAP {
		return nil, fmt.Errorf("%q is not a GDAP connection: consent the app in the tenant itself", c.Name)
	}
	base := m.cloudOf(c).PartnerCenterBase
	if base == "" {
		return nil, auth.ErrNoPartnerCenter
	}
	sess, err := m.Session(c)
	if err != nil {
		return nil, err
	}
	if _, err := sess.PartnerCenterToken(ctx); err != nil {
		return nil, fmt.Errorf("sign in to Partner Center: %w", err)
	}
	pc := &partnerCenter{base: base, client: m.httpClient(), token: sess.PartnerCenterToken, pace: time.NewTicker(consentPace)}
	defer pc.pace.Stop()

	results := make([]ConsentResult, len(tenants))
	// Four consent requests at a time (Partner Center's pace bounds them
	// anyway); the checks that wait for replication overlap, up to 32.
	var (
		mu     sync.Mutex
		done   int
		wg     sync.WaitGroup
		posts  = make(chan struct{}, 4)
		checks = make(chan struct{}, 32)
	)
	for i, t := range tenants {
		wg.Add(1)
		posts <- struct{}{}
		go func() {
			defer wg.Done()
			r := ConsentResult{TenantID: t.TenantID, DisplayName: t.DisplayName}
			renewed, err := pc.consent(ctx, t.TenantID, c.ClientID)
			<-posts
			checks <- struct{}{}
			defer func() { <-checks }()
			switch {
			case err != nil:
				r.Outcome, r.Err, r.Fix = ConsentFailed, err, consentFix(err)
			default:
				r.Outcome = ConsentGranted
				if renewed {
					r.Outcome = ConsentRenewed
				}
				// The new principal must replicate before a token works there.
				err := eventually(ctx, needsConsent, func() error {
					_, err := sess.Token(ctx, t.TenantID)
					return err
				})
				if err != nil {
					r.Outcome, r.Err, r.Fix = ConsentFailed, err, consentFix(err)
				}
			}
			results[i] = r
			mu.Lock()
			done++
			if progress != nil {
				progress(done, len(tenants), r)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, err
	}
	return results, nil
}

func consentFix(err error) string {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Fix
	}
	var pe *PartnerCenterError
	if errors.As(err, &pe) {
		switch pe.Status {
		case http.StatusForbidden:
			return "The GDAP service account must be an admin agent in Partner Center, and the customer's GDAP relationship must be active."
		case http.StatusNotFound:
			return "The tenant is not a customer of this partner in Partner Center: check the customer list."
		}
	}
	return "Try again; if it keeps failing, consent the app in that customer's Entra admin center (Enterprise applications > Grant admin consent)."
}

// partnerCenter sends consent requests, paced and honouring Retry-After.
type partnerCenter struct {
	base   string
	client *http.Client
	token  func(context.Context) (string, error)
	pace   *time.Ticker
}

const consentRetries = 5

// consent creates the app's consent in a customer; an existing one is
// deleted and created again (its grants may be stale), which reports renewed.
func (p *partnerCenter) consent(ctx context.Context, tenantID, appID string) (renewed bool, err error) {
	body := map[string]any{
		"applicationId": appID,
		"applicationGrants": []map[string]string{
			{"enterpriseApplicationId": permissions.GraphAppID, "scope": permissions.CustomerGraphScopes()},
		},
		"displayName": "tenantsync",
	}
	url := p.base + "/v1/customers/" + tenantID + "/applicationconsents"
	err = p.send(ctx, http.MethodPost, url, body)
	var pe *PartnerCenterError
	if errors.As(err, &pe) && pe.Status == http.StatusConflict {
		if err := p.send(ctx, http.MethodDelete, url+"/"+appID, nil); err != nil {
			return false, err
		}
		return true, p.send(ctx, http.MethodPost, url, body)
	}
	return false, err
}

func (p *partnerCenter) send(ctx context.Context, method, url string, body any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		select {
		case <-p.pace.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		tok, err := p.token(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return err
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode < 300 {
			return nil
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < consentRetries {
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = min(time.Duration(s)*time.Second, time.Minute)
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		pe := &PartnerCenterError{Status: resp.StatusCode}
		json.Unmarshal(data, pe)
		return pe
	}
}

func sortTenants(ts []store.Tenant) {
	slices.SortFunc(ts, func(a, b store.Tenant) int {
		return strings.Compare(store.Fold(a.DisplayName), store.Fold(b.DisplayName))
	})
}
