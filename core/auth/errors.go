package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"syscall"

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
	CodeLocalIO         = "local_io"
	CodeNotSignedIn     = "not_signed_in"
	CodeSignInFailed    = "sign_in_failed"
	CodePublicRedirect  = "redirect_registered_as_public"
	CodeWebNeedsSecret  = "web_redirect_needs_secret"
	CodeRedirectUnknown = "redirect_not_registered"
	CodeServiceMissing  = "service_not_in_tenant"
	CodeAdminConsent    = "admin_consent_required"
)

// consentFixText is how a missing consent in a customer is fixed.
const consentFixText = "Consent tenantsync in the customer: Integrations > Consent in customers, or `tenantsync consent`; it uses Partner Center's consent API with the GDAP service account. (Without Partner Center: an administrator of the customer grants admin consent to the app in its Entra admin center.)"

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
	// Local I/O first: syscall.Errno satisfies net.Error, so a full disk
	// would otherwise read as a network problem.
	if le := localIO(err); le != nil {
		return le
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
		e.Code, e.Message = CodeConsentMissing, "The app has no consent for its permissions in this tenant."
		e.Fix = "In the partner tenant: run setup again (Integrations > Set it up for me, or `tenantsync setup`), or grant admin consent to the app under Enterprise applications > Permissions. In a customer tenant: " + consentFixText
	case 700025:
		e.Code, e.Message = CodePublicRedirect, "The redirect URI is registered under \"Mobile and desktop applications\", so Microsoft treats tenantsync as a public client and refuses its client secret."
		e.Fix = "In the Entra admin center open App registrations > your app > Authentication: remove http://localhost:PORT from \"Mobile and desktop applications\" and add it under \"Web\" (or run `tenantsync setup`, which corrects it)."
	case 7000218:
		e.Code, e.Message = CodeWebNeedsSecret, "The app's redirect is registered under Web, which needs the client secret, and none was sent."
		e.Fix = "Enter the client secret's Value with Edit credentials."
	case 50011, 500113:
		e.Code, e.Message = CodeRedirectUnknown, "The redirect URI tenantsync uses is not registered on the app."
		e.Fix = "In the Entra admin center open App registrations > your app > Authentication > Add a platform > Web, and add the redirect URI the connect screen shows (http://localhost:PORT, exactly, no path)."
	case 650052:
		e.Code, e.Message = CodeServiceMissing, "The tenant has no service principal for an API the app asks for (Partner Center exists only in partner tenants)."
		e.Fix = "Partner Center is used in the partner tenant only; if this is the partner tenant, check that it is enrolled in the Cloud Solution Provider program."
	case 90094, 90008:
		e.Code, e.Message = CodeAdminConsent, "The permissions need an administrator's consent."
		e.Fix = "Sign in with a Global Administrator of the partner tenant."
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
		e.Code, e.Message = CodeAppNotPermitted, "tenantsync is not consented in this customer tenant, so the GDAP service account cannot use it there."
		e.Fix = consentFixText
	case 0:
		if isNetwork(err) {
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

// Windows reports a full disk with its own error numbers, not ENOSPC.
const (
	windowsErrorHandleDiskFull syscall.Errno = 39
	windowsErrorDiskFull       syscall.Errno = 112
)

// localIO returns the *Error for a failure to read or write tenantsync's own
// files, or nil when err is not one. A socket's error is never local, even
// when it reads as "permission denied" (a firewall).
func localIO(err error) *Error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return nil
	}
	var pe *fs.PathError
	isPath := errors.As(err, &pe)
	var errno syscall.Errno
	isErrno := errors.As(err, &errno)
	var we *store.WriteError
	e := &Error{Code: CodeLocalIO, Err: err}
	switch {
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		runtime.GOOS == "windows" && isErrno && (errno == windowsErrorDiskFull || errno == windowsErrorHandleDiskFull):
		e.Message = "The disk is full: tenantsync could not save what it read."
		e.Fix = "Free space on the drive that holds tenantsync's data, then sync again; what was saved before stays as it was."
	case errors.Is(err, syscall.EFBIG):
		e.Message = "The drive refused to let tenantsync's database grow (file too large)."
		e.Fix = "The drive may be formatted FAT32 (4 GB per file at most) or a size limit may apply: move tenantsync's data folder to an NTFS, APFS or ext4 drive (or lift the limit), then sync again."
	case errors.Is(err, syscall.EROFS):
		e.Message = "tenantsync's data folder is read-only, so nothing can be saved."
		e.Fix = "Make the folder that holds tenantsync's data writable (or remount the drive read-write), then sync again."
	case errors.Is(err, syscall.EIO):
		e.Message = "The drive that holds tenantsync's data could not read or write (I/O error)."
		e.Fix = "Check the drive (a removable or network drive may have gone away, or the disk may be failing), then sync again."
	case isPath && errors.Is(err, os.ErrPermission):
		e.Message = "tenantsync may not write its data folder (permission denied)."
		e.Fix = "Give your account write access to the folder that holds tenantsync's data, then sync again."
	case isPath:
		e.Message = "tenantsync could not read or write a local file."
		e.Fix = "Check that the file's folder exists and your account may write it, then sync again."
	case errors.As(err, &we):
		e.Message = "tenantsync could not save to its database (" + we.Err.Error() + ")."
		e.Fix = "Check that the drive that holds tenantsync's data has free space and works, then sync again; what was saved before stays as it was."
	default:
		return nil
	}
	if isPath {
		e.Message += " (" + pe.Op + " " + pe.Path + ")"
	}
	return e
}

// isNetwork reports whether err is a failure to reach a server: a dial,
// read or write on a socket, a name lookup, or a timeout. A bare
// syscall.Errno also satisfies net.Error, so the interface alone says
// nothing.
func isNetwork(err error) bool {
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Finding turns an error into a finding about tenant, for sync logs and preflight.
func Finding(err error, dataType string) store.Finding {
	var ae *Error
	if !errors.As(Classify(err), &ae) {
		return store.Finding{Severity: store.SeverityError, Code: "error", Message: err.Error(), DataType: dataType}
	}
	return store.Finding{Severity: store.SeverityError, Code: ae.Code, Message: ae.Error(), Fix: ae.Fix, DataType: dataType}
}
