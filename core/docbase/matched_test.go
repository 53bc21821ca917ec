package docbase_test

import (
	"testing"

	"github.com/tenantsync/tenantsync/store"
)

func TestMatchedOrgs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var other uint64
	err := f.store.Update(f.ctx, func(tx *store.Tx) error {
		o := store.Organization{Name: "Fabrikam"}
		if err := tx.PutOrg(&o); err != nil {
			return err
		}
		other = o.ID
		// An ignored tenant that names an organization marks nothing.
		return tx.PutTenant(&store.Tenant{ConnectionID: "c1", TenantID: "t2", DisplayName: "Fabrikam Inc", MatchState: store.MatchIgnored, OrgID: o.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.docs.MatchedOrgs(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[f.org]) != 1 || got[f.org][0].DisplayName != "Contoso Ltd" || got[f.org][0].ConnectionName != "Partner" {
		t.Errorf("MatchedOrgs() = %+v, want Contoso Ltd (Partner) for organization %d only", got, f.org)
	}
	if _, ok := got[other]; ok {
		t.Errorf("MatchedOrgs() marks organization %d, whose tenant is ignored", other)
	}
}
