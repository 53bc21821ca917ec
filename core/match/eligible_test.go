package match

import (
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

const (
	skuE3       = "05e9a617-0261-4cee-bb44-138d3ef5d965"
	skuBusiness = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"
)

func TestEligible(t *testing.T) {
	t.Parallel()
	member := store.DirectoryUser{UPN: "adele@contoso.com", UserType: "Member", AccountEnabled: true, SKUs: []string{skuE3}}
	with := func(f func(*store.DirectoryUser)) store.DirectoryUser {
		u := member
		f(&u)
		return u
	}
	guest := with(func(u *store.DirectoryUser) { u.UserType, u.SKUs = "Guest", nil })
	extGuest := with(func(u *store.DirectoryUser) {
		u.UPN, u.UserType, u.SKUs = "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com", "", nil
	})
	disabled := with(func(u *store.DirectoryUser) { u.AccountEnabled = false })
	unlicensed := with(func(u *store.DirectoryUser) { u.SKUs = nil })
	sharedBox := with(func(u *store.DirectoryUser) { u.AccountEnabled, u.SKUs = false, nil })
	def := store.DefaultSyncSettings()
	opt := func(f func(*store.SyncSettings)) store.SyncSettings {
		s := def
		f(&s)
		return s
	}
	tests := []struct {
		name     string
		user     store.DirectoryUser
		settings store.SyncSettings
		shared   bool
		ok       bool
		reason   string
	}{
		{"licensed enabled member", member, def, false, true, ""},
		{"guest excluded by default", guest, def, false, false, ReasonGuest},
		{"#EXT# guest excluded by default", extGuest, def, false, false, ReasonGuest},
		{"guest included", guest, opt(func(s *store.SyncSettings) { s.IncludeGuests = true }), false, true, ""},
		{"disabled excluded by default", disabled, def, false, false, ReasonDisabled},
		{"disabled included", disabled, opt(func(s *store.SyncSettings) { s.IncludeDisabled = true }), false, true, ""},
		{"unlicensed excluded by default", unlicensed, def, false, false, ReasonUnlicensed},
		{"unlicensed included", unlicensed, opt(func(s *store.SyncSettings) { s.IncludeUnlicensed = true }), false, true, ""},
		{"shared excluded by default", sharedBox, def, true, false, ReasonShared},
		{"shared included though disabled and unlicensed", sharedBox, opt(func(s *store.SyncSettings) { s.IncludeShared = true }), true, true, ""},
		{"license from a selected subscription", member, opt(func(s *store.SyncSettings) { s.SKUs = []string{skuBusiness, skuE3} }), false, true, ""},
		{"license outside the selected subscriptions", member, opt(func(s *store.SyncSettings) { s.SKUs = []string{skuBusiness} }), false, false, ReasonNotInSKUs},
		{"guest included but disabled", with(func(u *store.DirectoryUser) { u.UserType, u.AccountEnabled = "Guest", false }),
			opt(func(s *store.SyncSettings) { s.IncludeGuests = true }), false, false, ReasonDisabled},
	}
	for _, tt := range tests {
		ok, reason := Eligible(&tt.user, tt.settings, tt.shared)
		if ok != tt.ok || reason != tt.reason {
			t.Errorf("%s: Eligible(%s) = %v, %q, want %v, %q", tt.name, tt.user.UPN, ok, reason, tt.ok, tt.reason)
		}
	}
}

func TestLeaverReason(t *testing.T) {
	t.Parallel()
	def := store.DefaultSyncSettings()
	tests := []struct {
		name     string
		user     store.DirectoryUser
		settings store.SyncSettings
		shared   bool
		want     string
	}{
		{"active", store.DirectoryUser{AccountEnabled: true, SKUs: []string{skuE3}}, def, false, ""},
		{"disabled", store.DirectoryUser{SKUs: []string{skuE3}}, def, false, ReasonDisabled},
		{"lost every license", store.DirectoryUser{AccountEnabled: true}, def, false, ReasonUnlicensed},
		{"lost the selected license", store.DirectoryUser{AccountEnabled: true, SKUs: []string{skuE3}},
			store.SyncSettings{SKUs: []string{skuBusiness}}, false, ReasonNotInSKUs},
		{"unlicensed users synced", store.DirectoryUser{AccountEnabled: true}, store.SyncSettings{IncludeUnlicensed: true}, false, ""},
		{"shared mailbox", store.DirectoryUser{}, store.SyncSettings{IncludeShared: true}, true, ""},
		{"guest", store.DirectoryUser{AccountEnabled: true, UserType: "Guest"}, store.SyncSettings{IncludeGuests: true}, false, ""},
	}
	for _, tt := range tests {
		if got := LeaverReason(&tt.user, tt.settings, tt.shared); got != tt.want {
			t.Errorf("%s: LeaverReason() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
