package connections

import (
	"fmt"
	"strings"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/permissions"
)

// The manual path, for a technician who registers the app by hand: the
// connect view, `tenantsync connect --help` and the README show these
// steps, built from the same permission list setup and the simulator use.

// RegistrationSteps are the Entra admin center steps, in order.
func RegistrationSteps(port int, cloud auth.Cloud) []string {
	portal := cloud.EntraPortal
	if portal == "" {
		portal = auth.Global.EntraPortal
	}
	return []string{
		fmt.Sprintf("In the Microsoft Entra admin center (%s) of your partner tenant open App registrations > New registration. Name it \"tenantsync\" and choose \"Accounts in any organizational directory (Multitenant)\".", portal),
		fmt.Sprintf("Under Authentication > Add a platform choose Web (not \"Mobile and desktop applications\": Microsoft would then refuse the client secret) and add this redirect URI exactly: %s", auth.RedirectURI(port)),
		"Under API permissions > Add a permission add each permission below with the type shown (Microsoft Graph as Delegated and as Application; Microsoft Partner Center's user_impersonation under \"APIs my organization uses\"), then choose Grant admin consent.",
		"Under Certificates & secrets > New client secret copy its Value (not its Secret ID) into tenantsync, with the Application (client) ID from Overview.",
		"GDAP: give the security group of the service account that signs in a relationship with each customer holding at least Directory Readers, Reports Reader and Intune Administrator (or Global Reader); the service account must also be an admin agent in Partner Center so tenantsync can consent itself into customers.",
		"Connect: tenantsync opens the browser for the service account's sign-in, checks every customer, and offers to consent itself where it is not yet consented.",
	}
}

// PermissionKinds says how a permission is added ("Delegated, Application").
func PermissionKinds(p permissions.Permission) string {
	var k []string
	if p.Delegated {
		k = append(k, "Delegated")
	}
	if p.Application {
		k = append(k, "Application")
	}
	return strings.Join(k, ", ")
}

// PermissionUse says what a permission unlocks, for people.
func PermissionUse(p permissions.Permission) string {
	if len(p.Unlocks) == 0 {
		return p.Why
	}
	names := make([]string, len(p.Unlocks))
	for i, d := range p.Unlocks {
		names[i] = DataTypeTitle(d)
	}
	return strings.Join(names, ", ") + ": " + p.Why
}

// DataTypeTitle names a data type for people.
func DataTypeTitle(dt string) string {
	switch dt {
	case permissions.DataDirectory:
		return "Organization and domains"
	case permissions.DataContacts:
		return "Contacts"
	case permissions.DataLicenses:
		return "Licenses"
	case permissions.DataMailboxes:
		return "Mailboxes"
	case permissions.DataSignIns:
		return "Entra ID sign-in status"
	case permissions.DataDevices:
		return "Intune devices"
	}
	return dt
}

// PermissionsMarkdown is the README's permission table.
func PermissionsMarkdown() string {
	var b strings.Builder
	b.WriteString("| API | Permission | Type | What tenantsync reads with it |\n|---|---|---|---|\n")
	for _, p := range permissions.Required {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", p.Resource(), p.Name, PermissionKinds(p), PermissionUse(p))
	}
	return b.String()
}
