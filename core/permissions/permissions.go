// Package permissions is the one list of what tenantsync asks of Microsoft:
// the API permissions of its app registration, what each one unlocks, and
// the data types a sync reads. The app's setup and preflight, the connect
// view, the CLI's help, the README's table and the simulated cloud's ready
// state are all built from it, so they cannot disagree.
//
// It imports nothing: core/m365sim reads it as shared vocabulary.
package permissions

import "strings"

// Data types a sync can read, as named in settings, findings and logs.
const (
	DataDirectory = "directory"
	DataContacts  = "contacts"
	DataLicenses  = "licenses"
	DataMailboxes = "mailboxes"
	DataSignIns   = "sign_ins"
	DataDevices   = "devices"
)

// Resource applications (their appId, the same in every tenant) and the
// audiences their tokens carry.
const (
	GraphAppID             = "00000003-0000-0000-c000-000000000000"
	GraphResource          = "https://graph.microsoft.com"
	PartnerCenterAppID     = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"
	PartnerCenterResource  = "https://api.partnercenter.microsoft.com"
	PartnerCenterScopeName = "user_impersonation"
)

// GraphPowerShellClientID is Microsoft's first-party public client used by
// Microsoft Graph PowerShell ("Microsoft Graph Command Line Tools"). One-click
// setup signs the partner's admin in through it, as the Graph PowerShell
// script that sets up a partner app would, before tenantsync's own app exists.
const GraphPowerShellClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// Permission is one API permission on tenantsync's app registration.
type Permission struct {
	ResourceAppID string // GraphAppID or PartnerCenterAppID
	Name          string // e.g. "User.Read.All"
	// Delegated: requested as a delegated permission (the GDAP service
	// account's sign-in). Application: requested as an application
	// permission (connections that sign in as the app in each tenant).
	Delegated, Application bool
	Unlocks                []string // data types that need it; none for plumbing
	Why                    string   // what tenantsync reads with it, for people
}

// Resource names the API a permission belongs to, for people.
func (p Permission) Resource() string {
	if p.ResourceAppID == PartnerCenterAppID {
		return "Microsoft Partner Center"
	}
	return "Microsoft Graph"
}

// Required is everything tenantsync's app registration requests. Each Graph
// permission is the least privileged one Microsoft documents for the
// endpoints tenantsync calls.
var Required = []Permission{
	{GraphAppID, "User.Read.All", true, true, []string{DataContacts},
		"users, their aliases, licences and account status (GET /users, /users/delta)"},
	{GraphAppID, "Directory.Read.All", true, true, []string{DataDirectory, DataLicenses},
		"organization, domains and subscriptions (GET /organization, /domains, /subscribedSkus)"},
	{GraphAppID, "Reports.Read.All", true, true, []string{DataMailboxes},
		"mailbox usage (GET /reports/getMailboxUsageDetail)"},
	{GraphAppID, "ReportSettings.Read.All", true, true, nil,
		"whether usage reports conceal names (GET /admin/reportSettings)"},
	{GraphAppID, "AuditLog.Read.All", true, true, []string{DataSignIns},
		"last sign-in of each user (signInActivity)"},
	{GraphAppID, "DeviceManagementManagedDevices.Read.All", true, true, []string{DataDevices},
		"Intune devices (GET /deviceManagement/managedDevices)"},
	{GraphAppID, "DelegatedAdminRelationship.Read.All", true, true, nil,
		"GDAP customers and relationships (GET /tenantRelationships/delegatedAdmin*)"},
	{PartnerCenterAppID, PartnerCenterScopeName, true, false, nil,
		"consent tenantsync into GDAP customer tenants (Partner Center applicationconsents)"},
}

// Names returns the names of the required permissions of one resource,
// delegated or application.
func Names(resourceAppID string, delegated bool) []string {
	var out []string
	for _, p := range Required {
		if p.ResourceAppID == resourceAppID && ((delegated && p.Delegated) || (!delegated && p.Application)) {
			out = append(out, p.Name)
		}
	}
	return out
}

// CustomerGraphScopes are the delegated Graph permissions a customer tenant
// must grant tenantsync for the GDAP service account to read it, as the
// comma-separated list Partner Center's consent API takes.
func CustomerGraphScopes() string {
	return strings.Join(Names(GraphAppID, true), ",")
}

// For returns the required permissions that unlock a data type.
func For(dataType string) []Permission {
	var out []Permission
	for _, p := range Required {
		for _, d := range p.Unlocks {
			if d == dataType {
				out = append(out, p)
			}
		}
	}
	return out
}
