package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestClassifyAADSTS: every error number the identity platform documents
// for what tenantsync does maps to its code, keeps the number, and says
// what to do; unknown numbers keep the number with a way to look it up.
func TestClassifyAADSTS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		aadsts int
		code   string
	}{
		{7000215, CodeBadSecret},
		{7000222, CodeSecretExpired},
		{65001, CodeConsentMissing},
		{700025, CodePublicRedirect},
		{7000218, CodeWebNeedsSecret},
		{50011, CodeRedirectUnknown},
		{500113, CodeRedirectUnknown},
		{650052, CodeServiceMissing},
		{90094, CodeAdminConsent},
		{90008, CodeAdminConsent},
		{90002, CodeTenantNotFound},
		{700016, CodeAppNotFound},
		{50173, CodeSignInExpired},
		{700082, CodeSignInExpired},
		{700084, CodeSignInExpired},
		{50133, CodeSignInExpired},
		{50020, CodeGDAPNoAccess},
		{50177, CodeGDAPNoAccess},
		{500011, CodeGDAPNoAccess},
		{90099, CodeAppNotPermitted},
		{53003, CodeSignInFailed}, // not one tenantsync knows: looked up by number
	} {
		raw := fmt.Errorf("token: invalid_client: AADSTS%d: something Microsoft said. Trace ID: x", tc.aadsts)
		var e *Error
		if !errors.As(Classify(raw), &e) {
			t.Errorf("AADSTS%d: Classify is not an *Error", tc.aadsts)
			continue
		}
		if e.Code != tc.code || e.AADSTS != tc.aadsts {
			t.Errorf("AADSTS%d: code %q, number %d; want %q", tc.aadsts, e.Code, e.AADSTS, tc.code)
		}
		if e.Message == "" || e.Fix == "" {
			t.Errorf("AADSTS%d: message %q, fix %q: both must say something", tc.aadsts, e.Message, e.Fix)
		}
		if !strings.Contains(e.Error(), fmt.Sprint(tc.aadsts)) || !errors.Is(e, raw) {
			t.Errorf("AADSTS%d: %q loses the number or the cause", tc.aadsts, e.Error())
		}
	}
}

// TestClassifyPassesThrough: cancellation stays cancellation, an *Error is
// kept, nil is nil.
func TestClassifyPassesThrough(t *testing.T) {
	t.Parallel()
	if Classify(nil) != nil {
		t.Error("Classify(nil) is not nil")
	}
	if err := Classify(fmt.Errorf("sign-in: %w", context.Canceled)); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled sign-in became %v", err)
	}
	known := &Error{Code: CodeBadSecret, Message: "m"}
	if Classify(known) != error(known) {
		t.Error("an *Error was classified again")
	}
	var e *Error
	if !errors.As(Classify(ErrNotSignedIn), &e) || e.Code != CodeNotSignedIn {
		t.Errorf("ErrNotSignedIn = %v, want %s", Classify(ErrNotSignedIn), CodeNotSignedIn)
	}
}
