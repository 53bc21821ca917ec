package auth

import (
	"net/url"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// AdminLink is a page of a Microsoft admin center that opens one customer's
// tenant.
type AdminLink struct {
	Title string
	URL   string
}

// UserAdminLinks returns the admin-center pages for the user objectID of
// tenantID, reached through conn in the cloud conn names: pages that open
// that customer's tenant, not the technician's own. Demo connections get
// none: their tenants exist only on this computer.
//
// How each page picks the tenant:
//
//   - Microsoft 365 admin center, for a partner reaching a customer (GDAP, or
//     an app consented in customers): the partner's client session,
//     https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID={customer}&CSDEST={service},
//     as Partner Center's own "Get the managed services for a customer"
//     answers it (learn.microsoft.com/partner-center/developer/get-the-managed-services-for-a-customer-by-id,
//     adminService links on portal.office.com, which now redirects to
//     admin.microsoft.com). CSDEST=o365admincenter is the admin center's home;
//     a client session cannot open one user, so the title says so. Only the
//     global cloud documents client sessions; elsewhere there is no such link.
//   - Microsoft 365 admin center, for the technician's own tenant (single
//     tenant, or the partner tenant itself): the user's page,
//     {admin center}/#/users/:/UserDetails/{user}.
//   - Microsoft Entra admin center: the tenant as the first path segment,
//     {entra}/{tenant}/#view/..., which signs a GDAP technician into the
//     customer's directory with the roles the relationship grants; the user's
//     profile blade, UserProfileMenuBlade/~/overview/userId/{user}.
func UserAdminLinks(conn store.Connection, tenantID, objectID string) []AdminLink {
	if conn.Mode == store.ModeDemo || tenantID == "" || objectID == "" {
		return nil
	}
	c, ok := CloudByName(conn.Cloud)
	if !ok {
		c = Global // connections saved before clouds were recorded
	}
	tenant, user := url.PathEscape(tenantID), url.PathEscape(objectID)
	var out []AdminLink
	own := conn.Mode == store.ModeSingle || strings.EqualFold(conn.TenantID, tenantID)
	switch {
	case c.AdminPortal == "":
	case own:
		out = append(out, AdminLink{Title: "Manage in Microsoft 365 admin center",
			URL: c.AdminPortal + "/#/users/:/UserDetails/" + user})
	case c.Name == CloudGlobal:
		q := url.Values{"CTID": {tenantID}, "CSDEST": {"o365admincenter"}}
		out = append(out, AdminLink{Title: "Open this customer's Microsoft 365 admin center",
			URL: c.AdminPortal + "/Partner/BeginClientSession.aspx?" + q.Encode()})
	}
	if c.EntraPortal != "" {
		out = append(out, AdminLink{Title: "Manage in Microsoft Entra admin center",
			URL: c.EntraPortal + "/" + tenant + "/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/" + user})
	}
	return out
}

// OrgAdminLinks returns the admin centers' home pages of one customer's
// tenant, reached through conn in the cloud conn names: the Microsoft 365,
// Microsoft Entra and Microsoft Intune admin centers, each opening that
// customer, not the technician's own tenant. Demo connections get none:
// their tenants exist only on this computer.
//
// The Microsoft 365 admin center opens as UserAdminLinks says: a partner's
// client session (global cloud only), the admin center's home for the
// technician's own tenant. Entra and Intune are both Azure portal
// extensions that take the tenant as the first path segment,
// {host}/{tenant}/#home, which signs a GDAP technician into the customer's
// directory with the roles the relationship grants. That path form is the
// Azure portal's convention; Microsoft documents no deep-link format for
// either admin center, so a wrong form fails visibly (the portal's own
// tenant picker) rather than opening the partner's tenant silently.
func OrgAdminLinks(conn store.Connection, tenantID string) []AdminLink {
	if conn.Mode == store.ModeDemo || tenantID == "" {
		return nil
	}
	c, ok := CloudByName(conn.Cloud)
	if !ok {
		c = Global // connections saved before clouds were recorded
	}
	tenant := url.PathEscape(tenantID)
	var out []AdminLink
	own := conn.Mode == store.ModeSingle || strings.EqualFold(conn.TenantID, tenantID)
	switch {
	case c.AdminPortal == "":
	case own:
		out = append(out, AdminLink{Title: "Microsoft 365 admin center", URL: c.AdminPortal + "/"})
	case c.Name == CloudGlobal:
		q := url.Values{"CTID": {tenantID}, "CSDEST": {"o365admincenter"}}
		out = append(out, AdminLink{Title: "Microsoft 365 admin center",
			URL: c.AdminPortal + "/Partner/BeginClientSession.aspx?" + q.Encode()})
	}
	if c.EntraPortal != "" {
		out = append(out, AdminLink{Title: "Entra admin center", URL: c.EntraPortal + "/" + tenant + "/#home"})
	}
	if host := intunePortal(c.Name); host != "" {
		out = append(out, AdminLink{Title: "Intune admin center", URL: host + "/" + tenant + "/#home"})
	}
	return out
}

// intunePortal is the Microsoft Intune admin center of a cloud, "" where
// Microsoft documents none.
func intunePortal(name CloudName) string {
	switch name {
	case CloudGlobal:
		// learn.microsoft.com/mem/intune/fundamentals/whats-new, week of
		// March 6, 2023: the admin center moved to intune.microsoft.com.
		return "https://intune.microsoft.com"
	case CloudUSGov, CloudUSGovDoD:
		// learn.microsoft.com/mem/intune/fundamentals/intune-us-government-endpoints,
		// "US government customer designated endpoints": Microsoft Intune
		// admin center https://intune.microsoft.us/ (GCC High and DoD).
		return "https://intune.microsoft.us"
	case CloudChina:
		// learn.microsoft.com/mem/intune/fundamentals/china-endpoints,
		// "Microsoft Intune admin center" of Intune operated by 21Vianet.
		return "https://intune.microsoftonline.cn"
	}
	return ""
}
