package match

import (
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Reasons a user is not synced as a contact, or its contact is a leaver.
const (
	ReasonShared     = "shared or room mailbox"
	ReasonGuest      = "guest user"
	ReasonDisabled   = "account disabled"
	ReasonUnlicensed = "no license"
	ReasonNotInSKUs  = "no license from the selected subscriptions"
	ReasonDeleted    = "deleted from the tenant"
)

// IsGuest reports whether u is a guest: userType Guest, or an invited
// account whose UPN carries #EXT#.
func IsGuest(u *store.DirectoryUser) bool {
	return strings.EqualFold(u.UserType, "Guest") || strings.Contains(u.UPN, "#EXT#") || strings.Contains(u.UPN, "#ext#")
}

// Licensed reports whether u holds a license from skus; an empty skus means
// any license.
func Licensed(u *store.DirectoryUser, skus []string) bool {
	if len(skus) == 0 {
		return len(u.SKUs) > 0
	}
	for _, have := range u.SKUs {
		for _, want := range skus {
			if strings.EqualFold(have, want) {
				return true
			}
		}
	}
	return false
}

// Eligible reports whether u becomes a contact under s, and if not, why.
// shared says the user is a shared or room mailbox (the mailbox report's
// recipient type), which only the caller knows.
//
// By default only enabled members holding a license from s.SKUs are synced.
// Each Include option lifts one condition. Shared mailboxes and guests are
// unlicensed by design, so once included they need no license; shared
// mailboxes are also disabled by design and need not be enabled.
func Eligible(u *store.DirectoryUser, s store.SyncSettings, shared bool) (bool, string) {
	if shared {
		if !s.IncludeShared {
			return false, ReasonShared
		}
		return true, ""
	}
	guest := IsGuest(u)
	if guest && !s.IncludeGuests {
		return false, ReasonGuest
	}
	if !u.AccountEnabled && !s.IncludeDisabled {
		return false, ReasonDisabled
	}
	if !guest && !s.IncludeUnlicensed && !Licensed(u, s.SKUs) {
		return false, unlicensedReason(s)
	}
	return true, ""
}

func unlicensedReason(s store.SyncSettings) string {
	if len(s.SKUs) == 0 {
		return ReasonUnlicensed
	}
	return ReasonNotInSKUs
}

// LeaverReason says why the contact linked to u is a leaver, or "" when it
// is not: the account is disabled, or (unless unlicensed users are synced)
// it holds no license from the selected subscriptions. Shared mailboxes are
// disabled and unlicensed by design and never leavers while they exist;
// guests need no license. A deleted user is a leaver with ReasonDeleted.
func LeaverReason(u *store.DirectoryUser, s store.SyncSettings, shared bool) string {
	switch {
	case shared:
		return ""
	case !u.AccountEnabled:
		return ReasonDisabled
	case !IsGuest(u) && !s.IncludeUnlicensed && !Licensed(u, s.SKUs):
		return unlicensedReason(s)
	}
	return ""
}
