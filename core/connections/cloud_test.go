package connections_test

import (
	"context"
	"testing"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/m365sim"
	"github.com/tenantsync/tenantsync/core/testkit"
)

// TestConnectionNamesItsCloud: a form naming a national cloud makes a
// connection with that cloud's hosts; an unknown cloud is refused and
// nothing is saved.
func TestConnectionNamesItsCloud(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testkit.Sim(t, m365sim.Options{Seed: 13, Tenants: 1, CleanTenants: true, DisableThrottling: true}))
	ctx := context.Background()
	f := e.gdapForm()
	f.Cloud = auth.CloudUSGov
	c, err := e.mgr.Create(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cloud != auth.CloudUSGov || c.AuthorityHost != auth.USGov.AuthorityHost || c.GraphBase != auth.USGov.GraphBase {
		t.Errorf("connection in %q: %s %s %s; want the US Government hosts", f.Cloud, c.Cloud, c.AuthorityHost, c.GraphBase)
	}
	f.Cloud, f.Name = "mars", "Elsewhere"
	if _, err := e.mgr.Create(ctx, f); err == nil {
		t.Error("a connection in an unknown cloud was created")
	}
	sim := e.sim.Info()
	f.Cloud, f.Name = "", "Default"
	d, err := e.mgr.Create(ctx, f)
	if err != nil || d.AuthorityHost != sim.AuthorityHost {
		t.Errorf("no cloud named: %+v, %v; want the network's hosts", d, err)
	}
}
