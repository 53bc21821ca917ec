package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
)

func TestNetworkFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	if err := os.WriteFile(ready, []byte(`{"authority_host":"127.0.0.1:8443","graph_base":"https://127.0.0.1:8443/v1.0","partner_center_base":"https://127.0.0.1:8443","client_id":"x"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := auth.Global
	sim.AuthorityHost, sim.GraphBase, sim.PartnerCenterBase = "127.0.0.1:8443", "https://127.0.0.1:8443/v1.0", "https://127.0.0.1:8443"

	tests := []struct {
		file    string
		want    auth.Cloud
		wantErr bool
	}{
		{"", auth.Global, false},
		{ready, sim, false},
		{filepath.Join(dir, "missing.json"), auth.Cloud{}, true},
	}
	for _, tt := range tests {
		got, err := NetworkFromEnv(func(k string) string {
			if k == CloudFileEnv {
				return tt.file
			}
			return ""
		})
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), CloudFileEnv) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("NetworkFromEnv(%s=%q) = %v; want an error naming the variable and the file", CloudFileEnv, tt.file, err)
			}
			continue
		}
		if err != nil || got.Cloud != tt.want || got.HTTP != nil || got.Transport != nil || got.OpenURL != nil {
			t.Errorf("NetworkFromEnv(%s=%q) = %+v, %v; want only the cloud %+v (OS trust, default browser)", CloudFileEnv, tt.file, got, err, tt.want)
		}
	}
}

// A bad TENANTSYNC_CLOUD_FILE stops a command before it touches the data;
// a test's Env.Network still wins over the environment.
func TestCloudFileEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(bad, []byte(`{"authority_host":"https://login.microsoftonline.us"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, override := range []*connections.Network{nil, {Cloud: auth.Global}} {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Network: override, Getenv: func(k string) string {
			switch k {
			case DataDirEnv:
				return dir
			case CloudFileEnv:
				return bad
			}
			return ""
		}}
		code := Run(context.Background(), env, []string{"sync"})
		named := strings.Contains(errb.String(), CloudFileEnv) && strings.Contains(errb.String(), "has a scheme")
		if override == nil && (code != ExitRuntime || !named) {
			t.Errorf("sync with a bad cloud file = exit %d, stderr %q; want exit %d naming %s", code, errb.String(), ExitRuntime, CloudFileEnv)
		}
		if override != nil && (named || !strings.Contains(errb.String(), "no connection yet")) {
			t.Errorf("sync with Env.Network set read the cloud file: exit %d, stderr %q", code, errb.String())
		}
	}
}
