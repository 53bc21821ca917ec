package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/tenantsync/tenantsync/store"
)

// Problem codes, stable keys of findings about signing in.
const (
	CodeBadSecret       = "bad_secret"
	CodeSecretExpired   = "secret_expired"
	CodeConsentMissing  = "consent_missing"
	CodeTenantNotFound  = "tenant_not_found"
	CodeAppNotFound     = "app_not_found"
	CodeSignInExpired   = "sign_in_expired"
	CodeGDAPNoAccess    = "gdap_no_access"
	CodeAppNotPermitted = "app_not_authorized_for_partner"
	CodeOffline         = "offline"
	CodeNotSignedIn     = "not_signed_in"
	CodeSignInFailed    = "sign_in_failed"
)

// Error is a sign-in failure said in plain words, with the fix.
type Error struct {
	Code    string // Code* constant
	AADSTS  int    // Microsoft's error number, 0 when none
	Message string
	Fix     string
	Err     error
}

func (e *Error) Error() string {
	if e.AADSTS != 0 {
		return fmt.Sprintf("%s (AADSTS%d)", e.Message, e.AADSTS)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

var aadsts = regexp.MustCompile(`AADSTS(\d+)`)

// Classify turns an MSAL or network error into an *Error. Secrets are never
// part of MSAL's error texts, and Classify keeps only its own words plus the
// AADSTS number.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, ErrNotSignedIn) {
		return &Error{Code: CodeNotSignedIn, Message: "This connection is not signed in.", Fix: "Open Integrations, choose Edit credentials and sign in again.", Err: err}
	}
	e := &Error{Code: CodeSignInFailed, Err: err}
	if m := aadsts.FindStringSubmatch(err.Error()); m != nil {
		e.AADSTS, _ = strconv.Atoi(m[1])
	}
	switch e.AADSTS {
	case 7000215:
		e.Code, e.Message = CodeBadSecret, "The client secret is wrong."
		e.Fix = "In the Entra admin center open App registrations > your app > Certificates & secrets, copy the secret's Value (not its Secret ID), then use Edit credentials to enter it."
	case 7000222:
		e.Code, e.Message = CodeSecretExpired, "The client secret has expired."
		e.Fix = "In the Entra admin center open App registrations > your app > Certificates & secrets, add a new client secret, then use Edit credentials to enter it."
	case 65001:
		e.Code, e.Message = CodeConsentMissing, "The app has not been granted consent in this tenant."
		e.Fix = "Grant admin consent for the app in this tenant (Entra admin center > Enterprise applications > your app > Permissions > Grant admin consent), then sync again."
	case 90002:
		e.Code, e.Message = CodeTenantNotFound, "This tenant does not exist or has no active subscriptions."
		e.Fix = "Check the tenant id or domain; a deleted customer tenant can be removed from the sync settings."
	case 700016:
		e.Code, e.Message = CodeAppNotFound, "The application id is not known in this tenant."
		e.Fix = "Check the application (client) id, and that the app registration is multi-tenant (Supported account types: accounts in any organizational directory)."
	case 50173, 700082, 700084, 50133:
		e.Code, e.Message = CodeSignInExpired, "The saved sign-in has expired or was revoked."
		e.Fix = "Open Integrations, choose Edit credentials and sign in again as the GDAP service account."
	case 50020, 50177, 500011:
		e.Code, e.Message = CodeGDAPNoAccess, "The GDAP service account has no access to this customer tenant."
		e.Fix = "In Partner Center check the customer's GDAP relationship: it must be active and grant the service account's security group a role such as Global Reader."
	case 90099:
		e.Code, e.Message = CodeAppNotPermitted, "The app is not authorized for partner delegated administration in this customer tenant."
		e.Fix = "Consent the app in the customer tenant for GDAP (for example with the Partner Center application consent API), then sync again."
	case 0:
		var ne net.Error
		var oe *net.OpError
		var de *net.DNSError
		if errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &de) {
			e.Code, e.Message = CodeOffline, "Cannot reach Microsoft."
			e.Fix = "Check the network connection (and proxy or firewall); everything already synced stays readable offline."
			return e
		}
		e.Message = "Sign-in failed."
		e.Fix = "Try again; if it keeps failing, check the connection's tenant id and application id with Edit credentials."
	default:
		e.Message = fmt.Sprintf("Sign-in failed with Microsoft error AADSTS%d.", e.AADSTS)
		e.Fix = "Look the error number up at login.microsoftonline.com/error, fix what it says, then sync again."
	}
	return e
}

// Finding turns an error into a finding about tenant, for sync logs and preflight.
func Finding(err error, dataType string) store.Finding {
	var ae *Error
	if !errors.As(Classify(err), &ae) {
		return store.Finding{Severity: "error", Code: "error", Message: err.Error(), DataType: dataType}
	}
	return store.Finding{Severity: "error", Code: ae.Code, Message: ae.Error(), Fix: ae.Fix, DataType: dataType}
}
