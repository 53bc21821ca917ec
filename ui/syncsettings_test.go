package ui

import (
	"maps"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/tenantsync/tenantsync/store"
)

func TestSyncSettingsSelectFrom(t *testing.T) {
	t.Parallel()
	tenants := []store.Tenant{{TenantID: "t-a"}, {TenantID: "t-b"}}
	tests := []struct {
		name    string
		set     store.SyncSettings
		want    map[string]bool
		wantSub map[string]bool
	}{
		{"named tenants, any case", store.SyncSettings{Tenants: []string{"T-B"}, AutoInclude: true, SKUs: []string{"sku-1"}},
			map[string]bool{"t-b": true}, map[string]bool{"sku-1": true}},
		{"none named, new ones included", store.SyncSettings{AutoInclude: true},
			map[string]bool{"t-a": true, "t-b": true}, map[string]bool{}},
		{"none named, none included", store.SyncSettings{},
			map[string]bool{}, map[string]bool{}},
	}
	for _, tt := range tests {
		v := newSyncSettingsView(nil, "c1")
		v.tenants = tenants
		v.selectFrom(tt.set)
		if !maps.Equal(v.selected, tt.want) || !maps.Equal(v.subOn, tt.wantSub) {
			t.Errorf("%s: selectFrom() tenants %v, subscriptions %v; want %v, %v", tt.name, v.selected, v.subOn, tt.want, tt.wantSub)
		}
	}
}

func TestScheduleSelect(t *testing.T) {
	test.NewTempApp(t)
	for _, tt := range []struct {
		every time.Duration
		want  string
	}{
		{0, "Manual only"},
		{4 * time.Hour, "Every 4 hours"},
		{90 * time.Minute, "Every hour"}, // not offered
	} {
		if got := scheduleSelect(tt.every).Selected; got != tt.want {
			t.Errorf("scheduleSelect(%v) selects %q, want %q", tt.every, got, tt.want)
		}
	}
}
