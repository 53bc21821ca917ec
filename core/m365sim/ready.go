package m365sim

import (
	"slices"
	"time"

	"github.com/tenantsync/tenantsync/core/permissions"
)

// setUpApp builds the ready state by the steps tenantsync's one-click setup
// takes, and its manual instructions ask of a technician:
//
//  1. register a multi-tenant application with a Web redirect
//     http://localhost and the required permissions (delegated and
//     application Graph permissions, Partner Center user_impersonation);
//  2. add a client secret;
//  3. grant admin consent in the partner tenant;
//  4. consent it into each customer (Partner Center's consent API for the
//     GDAP sign-in; a customer admin's consent for application access).
//
// Customers flagged NotConsented skip step 4; NoGrants lose its grants.
func (s *Server) setUpApp(appID, secret string) (string, string) {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	s.dir.backdate = true
	defer func() { s.dir.backdate = false }()
	app := s.createApplicationLocked(s.partner, &application{appID: appID, objectID: guid(uint64(s.opt.Seed), saltApp, 4),
		displayName: s.appName, audience: audienceMultipleOr, web: []string{"http://localhost"},
		required: requiredFor(s.opt.Permissions)})
	s.addPasswordLocked(app, s.appName, secret, time.Time{})
	s.readyApp = app
	s.adminConsentLocked(s.partner, app)
	for _, t := range s.tenants {
		// At start nothing else runs: the flags need no tenant lock.
		s.applyConsentFlagsLocked(t, app, t.flags)
	}
	return app.appID, secret
}

// requiredFor is requiredResourceAccess for a list of Graph permissions,
// asked for both as delegated and (where Graph has one) as application
// permissions, plus Partner Center's user_impersonation.
func requiredFor(graph []string) []resourceAccess {
	return requiredAccess(graph, graph, []string{permissions.PartnerCenterScopeName})
}

// applyConsentFlagsLocked makes customer t hold app as its flags say:
// NotConsented without a service principal, NoGrants with one but without
// grants, otherwise with its customer admin's consent to all it requires.
func (s *Server) applyConsentFlagsLocked(t *tenant, app *application, f TenantFlags) {
	if f.NotConsented {
		s.removeClientLocked(t, app.appID)
		return
	}
	sp := s.adminConsentLocked(t, app)
	if f.NoGrants {
		s.dir.grants = slices.DeleteFunc(s.dir.grants, func(g *permissionGrant) bool { return g.clientID == sp.objectID })
		s.dir.assignments = slices.DeleteFunc(s.dir.assignments, func(a *appRoleAssignment) bool { return a.principalID == sp.objectID })
	}
}

// registeredApps are the applications registered in the partner tenant.
func (s *Server) registeredAppsLocked() []*application {
	var out []*application
	for _, a := range s.dir.apps {
		if !a.firstParty {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *application) int { return a.created.Compare(b.created) })
	return out
}
