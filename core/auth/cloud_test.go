package auth

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCloudsAreComplete(t *testing.T) {
	t.Parallel()
	seen := map[CloudName]bool{}
	for _, c := range Clouds {
		if seen[c.Name] {
			t.Errorf("cloud %q listed twice", c.Name)
		}
		seen[c.Name] = true
		if got, ok := CloudByName(c.Name); !ok || got != c {
			t.Errorf("CloudByName(%q) = %+v, %v; want %+v, true", c.Name, got, ok, c)
		}
		if c.Label == "" {
			t.Errorf("cloud %q has no label", c.Name)
		}
		if c.GraphResource == "" {
			t.Errorf("cloud %q has no Graph resource", c.Name)
		}
		if (c.PartnerCenterBase == "") != (c.PartnerCenterResource == "") {
			t.Errorf("cloud %q: Partner Center base %q but resource %q", c.Name, c.PartnerCenterBase, c.PartnerCenterResource)
		}
		if _, err := checkAuthorityHost(c.AuthorityHost); err != nil {
			t.Errorf("cloud %q: %v", c.Name, err)
		}
		if _, err := checkHTTPSBase("graph_base", c.GraphBase); err != nil {
			t.Errorf("cloud %q: %v", c.Name, err)
		}
		for key, v := range map[string]string{"partner_center_base": c.PartnerCenterBase, "admin_portal": c.AdminPortal, "entra_portal": c.EntraPortal} {
			if v == "" {
				continue // not available in this cloud
			}
			if _, err := checkHTTPSBase(key, v); err != nil {
				t.Errorf("cloud %q: %v", c.Name, err)
			}
		}
	}
	if _, ok := CloudByName("germany"); ok {
		t.Error(`CloudByName("germany") found a cloud; Azure Germany closed in 2021`)
	}
	if Clouds[0] != Global {
		t.Errorf("Clouds[0] = %q, want global first", Clouds[0].Name)
	}
}

func TestCloudScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cloud          Cloud
		graph, pcenter string
	}{
		{Global, "https://graph.microsoft.com/.default", "https://api.partnercenter.microsoft.com/.default"},
		{USGov, "https://graph.microsoft.us/.default", ""},
		{USGovDoD, "https://dod-graph.microsoft.us/.default", ""},
		{China, "https://microsoftgraph.chinacloudapi.cn/.default", "https://partner.partnercenterapi.microsoftonline.cn/.default"},
		{Cloud{GraphBase: "https://127.0.0.1:8443/v1.0", PartnerCenterBase: "https://127.0.0.1:8443/pc"}, "https://127.0.0.1:8443/.default", "https://127.0.0.1:8443/.default"},
		{func() Cloud { c := Global; c.GraphBase = "https://127.0.0.1:8443/v1.0"; return c }(), "https://graph.microsoft.com/.default", "https://api.partnercenter.microsoft.com/.default"},
		{func() Cloud { c := Global; c.PartnerCenterBase = ""; return c }(), "https://graph.microsoft.com/.default", ""},
		{Cloud{}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.cloud.GraphScope(); got != tt.graph {
			t.Errorf("%q.GraphScope() = %q, want %q", tt.cloud.Name, got, tt.graph)
		}
		if got := tt.cloud.PartnerCenterScope(); got != tt.pcenter {
			t.Errorf("%q.PartnerCenterScope() = %q, want %q", tt.cloud.Name, got, tt.pcenter)
		}
	}
}

func writeCloudFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadCloudFile(t *testing.T) {
	t.Parallel()
	sim := Global
	sim.AuthorityHost = "127.0.0.1:8443"
	sim.GraphBase = "https://127.0.0.1:8443/v1.0"
	sim.PartnerCenterBase = "https://127.0.0.1:8443"

	tests := []struct {
		name    string
		body    string
		base    Cloud
		want    Cloud
		wantErr string // part of the error; "" for none
	}{
		{
			name: "simulator ready line with extra keys",
			body: `{"ready":true,"authority_host":"127.0.0.1:8443","graph_base":"https://127.0.0.1:8443/v1.0",` +
				`"partner_center_base":"https://127.0.0.1:8443","client_id":"0f1e","tenants":["a","b"],"n":3}` + "\n",
			base: Global, want: sim,
		},
		{
			name: "absent keys keep the base",
			body: `{"graph_base":"https://graph.example.test/v1.0/"}`,
			base: USGov,
			want: func() Cloud { c := USGov; c.GraphBase = "https://graph.example.test/v1.0"; return c }(),
		},
		{name: "empty object", body: `{}`, base: China, want: China},
		{
			name: "empty partner_center_base means none",
			body: `{"partner_center_base":""}`, base: Global,
			want: func() Cloud { c := Global; c.PartnerCenterBase = ""; return c }(),
		},
		{name: "IPv6 host with port", body: `{"authority_host":"[::1]:9443"}`, base: Global,
			want: func() Cloud { c := Global; c.AuthorityHost = "[::1]:9443"; return c }()},
		{name: "not JSON", body: `authority_host=x`, base: Global, wantErr: "want a JSON object"},
		{name: "JSON array", body: `["https://x"]`, base: Global, wantErr: "want a JSON object"},
		{name: "wrong type", body: `{"graph_base":42}`, base: Global, wantErr: "want a JSON object"},
		{name: "truncated", body: `{"graph_base":"https://x`, base: Global, wantErr: "want a JSON object"},
		{name: "authority with scheme", body: `{"authority_host":"https://login.microsoftonline.us"}`, base: Global, wantErr: "has a scheme"},
		{name: "authority with path", body: `{"authority_host":"login.microsoftonline.us/common"}`, base: Global, wantErr: "has a path"},
		{name: "authority empty", body: `{"authority_host":""}`, base: Global, wantErr: "empty"},
		{name: "authority bad port", body: `{"authority_host":"127.0.0.1:99999"}`, base: Global, wantErr: "bad port"},
		{name: "authority with user", body: `{"authority_host":"me@login.microsoftonline.com"}`, base: Global, wantErr: "not a host name"},
		{name: "authority bare IPv6", body: `{"authority_host":"::1"}`, base: Global, wantErr: "not host:port"},
		{name: "graph over http", body: `{"graph_base":"http://127.0.0.1:8443/v1.0"}`, base: Global, wantErr: "want an https URL"},
		{name: "graph without scheme", body: `{"graph_base":"graph.microsoft.us/v1.0"}`, base: Global, wantErr: "want an https URL"},
		{name: "graph empty", body: `{"graph_base":""}`, base: Global, wantErr: "want an https URL"},
		{name: "graph with query", body: `{"graph_base":"https://graph.microsoft.us/v1.0?x=1"}`, base: Global, wantErr: "without user, query or fragment"},
		{name: "partner center over http", body: `{"partner_center_base":"http://127.0.0.1:8443"}`, base: Global, wantErr: "partner_center_base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeCloudFile(t, tt.body)
			got, err := LoadCloudFile(path, tt.base)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("LoadCloudFile(%s) = %+v, %v; want an error naming the file and %q", tt.body, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("LoadCloudFile(%s) = %+v, %v; want %+v", tt.body, got, err, tt.want)
			}
		})
	}
}

func TestLoadCloudFileMissing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := LoadCloudFile(path, Global)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadCloudFile(missing) = %v; want a not-exist error naming %s", err, path)
	}
}

func FuzzLoadCloudFile(f *testing.F) {
	f.Add([]byte(`{"authority_host":"127.0.0.1:8443","graph_base":"https://127.0.0.1:8443/v1.0","partner_center_base":"https://127.0.0.1:8443","client_id":"x"}`))
	f.Add([]byte(`{"authority_host":"[::1]:1","graph_base":"https://[::1]:1/"}`))
	f.Add([]byte(`{"partner_center_base":""}`))
	f.Add([]byte(`{"authority_host":"https://h/p"}`))
	f.Add([]byte(`{"graph_base":"https://u@h?#"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseCloudFile(data, Global)
		if err != nil {
			return
		}
		// What was accepted is usable: MSAL gets https://HOST/tenant, Graph
		// paths join onto an https root, and a second pass changes nothing.
		if _, err := url.Parse("https://" + got.AuthorityHost + "/common"); err != nil {
			t.Fatalf("accepted authority_host %q does not make a URL: %v", got.AuthorityHost, err)
		}
		for _, base := range []string{got.GraphBase, got.PartnerCenterBase} {
			if base == "" {
				continue
			}
			u, err := url.Parse(base + "/users")
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Fatalf("accepted base %q: %v", base, err)
			}
		}
		if got.GraphScope() == "" {
			t.Fatalf("accepted graph_base %q has no scope", got.GraphBase)
		}
		again, err := parseCloudFile(data, got)
		if err != nil || again != got {
			t.Fatalf("second pass = %+v, %v; want %+v", again, err, got)
		}
	})
}
