// Package m365sim simulates the Microsoft identity platform and the parts of
// Microsoft Graph v1.0 tenantsync reads, over HTTPS on loopback with its own
// CA, faithfully enough that the real MSAL Go (v1.10.1) and msgraph-sdk-go
// (v1.89.0) run against it unchanged. Demo mode, integration tests and
// benchmarks use it; cmd/m365sim serves it standalone.
//
// # Starting
//
//	srv, err := m365sim.Start(ctx, m365sim.Options{Seed: 1, Tenants: 300, UsersPerTenant: 200})
//	info := srv.Info() // authority host, Graph base, partner tenant, client id/secret, CA path
//	cca, _ := confidential.New("https://"+info.AuthorityHost+"/"+info.PartnerTenantID, info.ClientID, cred,
//		confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
//	adapter.SetBaseUrl(info.GraphBase)
//
// Interactive sign-in completes without a browser: pass
// func(u string) error { return srv.CompleteSignIn(ctx, u) } as MSAL's
// WithOpenURL. It signs in the partner's GDAP service account
// (Info.ServiceAccount), the partner's administrator (Info.AdminAccount)
// through Microsoft Graph PowerShell's client, or the user named by
// login_hint.
//
// # What is served
//
// One listener serves everything:
//
//	/{tenant}/v2.0/.well-known/openid-configuration    tenant = GUID, verified domain, organizations, common
//	/{tenant}/oauth2/v2.0/authorize                     form_post page (MSAL interactive) or 302 (query)
//	/{tenant}/oauth2/v2.0/token                         authorization_code (+PKCE S256), refresh_token
//	                                                    (cross-tenant for GDAP customers), client_credentials
//	/v1.0/...                                           Graph; the tenant is the access token's tid
//	/_download/reports?token=...                        usage report CSV (target of the reports 302)
//	/_sim/...                                           control API, Authorization: Bearer <control token>
//
// Graph: users (with $select, $top 1..999, a $filter subset, $count with
// ConsistencyLevel: eventual), users/{id|upn}, me, users/delta (and delta(),
// microsoft.graph.delta), organization, domains, subscribedSkus, groups,
// groups/{id}/members, deviceManagement/managedDevices,
// reports/getMailboxUsageDetail(period='D7'), admin/reportSettings,
// tenantRelationships/delegatedAdminCustomers and delegatedAdminRelationships,
// contracts and $batch (max 20, gzip bodies, per-item status).
//
// Errors have the shapes of the real services: the token endpoint answers
// {"error","error_description":"AADSTSnnnn: ...","error_codes",...} with the
// real codes (7000215 wrong secret, 7000222 expired secret, 700025 secret
// from a public client, 7000218 no secret for a Web redirect, 50011 redirect
// not registered, 700016 app not in tenant, 65001 consent missing, 90094
// admin consent required, 650052 resource not in tenant, 90002 tenant not
// found, 50020 no GDAP relationship, 90099 app not in the GDAP customer,
// 50173 revoked and 700082 expired refresh tokens, 501481 PKCE mismatch,
// 54005 code reused);
// Graph answers {"error":{"code","message","innerError":{"date",
// "request-id","client-request-id"}}}.
//
// # Access
//
// Nothing is implicit (directory.go): applications registered in the
// partner tenant, service principals, app role assignments and delegated
// grants per tenant decide every token. The ready state registers
// tenantsync's app by the steps its setup takes (ready.go); FreshPartner
// leaves that to the client, through Graph's application endpoints
// (graph_apps.go) as the partner's administrator, and Partner Center's
// consent API (partnercenter.go, under /partnercenter). A delegated token
// of the partner's service account works in a customer tenant only while
// the GDAP relationship is active and the customer holds the app, and
// each endpoint needs one of the relationship's roles
// (TenantFlags.GDAPMissingRoles leaves Directory Readers only). Tokens
// carry what was granted; Graph checks each endpoint's permissions.
// signInActivity needs AuditLog.Read.All and Entra ID P1 (else 403
// Authentication_RequestFromNonPremiumTenantOrB2CTenant).
//
// # Throttling and faults
//
// The documented budgets (see Limits) are enforced per app+tenant, per app
// and globally, answering 429 TooManyRequests with Retry-After and
// x-ms-throttle-scope. Random 429/503/connection resets (Options.Rate429,
// Rate503, RateReset) are decided by a hash of seed, tenant, URL and attempt,
// so reruns see the same faults. Control.Counters reports requests, batch
// items, 429s, 5xx and resets per endpoint and tenant.
//
// # Data
//
// Everything generated is a pure function of Options.Seed (and
// Options.Epoch, default today): tenants, users, licences, devices. Users
// are generated on demand from (seed, tenant, index); only control-API
// changes are stored, so 1,000 tenants of 1,000 users start in well under a
// second and take a few megabytes.
package m365sim
