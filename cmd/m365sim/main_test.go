package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/tenantsync/tenantsync/core/m365sim"
)

func TestRunPrintsInfoAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() {
		done <- run(ctx, []string{"--tenants", "3", "--users", "10", "--seed", "7", "--dir", dir, "--quiet",
			"--tenant-flags", "1=concealed+nop1"}, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadBytes('\n')
	if err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	var info m365sim.Info
	if err := json.Unmarshal(line, &info); err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	if info.AuthorityHost == "" || info.GraphBase == "" || info.PartnerTenantID == "" || info.ClientID == "" ||
		info.ClientSecret == "" || info.RedirectURI == "" || info.CAPEMPath == "" || info.ControlToken == "" ||
		info.PartnerCenterBase == "" || info.AdminAccount == "" || info.ServiceAccount == "" {
		t.Fatalf("ready line misses fields: %s", line)
	}
	pemBytes, err := os.ReadFile(info.CAPEMPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("ca_pem holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+info.AuthorityHost+"/_sim/tenants", nil)
	req.Header.Set("Authorization", "Bearer "+info.ControlToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("control API over the printed CA: %v", err)
	}
	var tenants []m365sim.TenantInfo
	json.NewDecoder(resp.Body).Decode(&tenants)
	resp.Body.Close()
	if len(tenants) != 3 || !tenants[1].Flags.ConcealedNames || !tenants[1].Flags.NoEntraP1 {
		t.Errorf("tenants = %+v", tenants)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}

func TestParseTenantFlags(t *testing.T) {
	t.Parallel()
	got, err := parseTenantFlags("0=concealed+nop1, 4=gdap-expired")
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].ConcealedNames || !got[0].NoEntraP1 || !got[4].GDAPExpired || len(got) != 2 {
		t.Errorf("parseTenantFlags = %+v", got)
	}
	if _, err := parseTenantFlags("x=concealed"); err == nil {
		t.Error("bad index accepted")
	}
	if _, err := parseTenantFlags("1=sparkly"); err == nil {
		t.Error("unknown flag accepted")
	}
}

// TestFreshPartnerReadyLine: --fresh-partner has no app to name, and
// --unconsented marks the last customers.
func TestFreshPartnerReadyLine(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--tenants", "4", "--fresh-partner", "--unconsented", "2", "--dir", t.TempDir(), "--quiet"}, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadBytes('\n')
	if err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["client_id"]; ok {
		t.Errorf("fresh partner ready line names a client id: %s", line)
	}
	if raw["admin_account"] == "" || raw["partner_center_base"] == "" {
		t.Errorf("fresh partner ready line lacks admin_account or partner_center_base: %s", line)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	go io.Copy(io.Discard, outR)
}
