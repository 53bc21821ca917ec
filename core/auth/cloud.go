package auth

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// CloudName names a Microsoft cloud; a connection records it
// (store.Connection.Cloud).
type CloudName = store.CloudName

// The clouds tenantsync knows, by the name a connection records.
const (
	CloudGlobal   CloudName = "global"
	CloudUSGov    CloudName = "usgov"    // Microsoft 365 GCC High
	CloudUSGovDoD CloudName = "usgovdod" // Microsoft 365 DoD
	CloudChina    CloudName = "china"    // operated by 21Vianet
)

// Cloud is where a connection signs in, reads Graph, asks Partner Center for
// consent and sends the technician to fix things.
//
// An empty PartnerCenterBase, AdminPortal or EntraPortal means the cloud has
// no such service (or Microsoft documents none): callers must treat "" as
// "not available here" and say so, never fall back to the global host.
type Cloud struct {
	Name              CloudName
	Label             string // what a technician calls it
	AuthorityHost     string // host[:port] of the identity platform
	GraphBase         string // Graph v1.0 root URL
	PartnerCenterBase string // Partner Center REST root URL, "" when none
	AdminPortal       string // Microsoft 365 admin center, "" when none
	EntraPortal       string // Microsoft Entra admin center, "" when none

	// The resource identifiers tokens are asked for (the audience). A
	// cloud file replaces hosts, never these: the simulator, reached at
	// 127.0.0.1, still issues tokens for https://graph.microsoft.com.
	GraphResource         string
	PartnerCenterResource string // "" when the cloud has no Partner Center
}

// Sources of the hosts below; each cloud's comments say which row of which
// page they come from.
//
//	[graph]   https://learn.microsoft.com/graph/deployments
//	[entra]   https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
//	[graphsdk] https://learn.microsoft.com/graph/sdks/national-clouds (scopes use the cloud's Graph host)
//	[pc]      https://learn.microsoft.com/partner-center/developer/partner-center-rest-urls
//	[pcauth]  https://learn.microsoft.com/partner-center/developer/partner-center-authentication
//	[m365gov] https://learn.microsoft.com/entra/fundamentals/whats-new-microsoft-365-government
//	          ("Endpoint mapping": portals, authority and Graph for GCC High and DoD)
//	[m365cn]  https://learn.microsoft.com/microsoft-365/admin/get-help-with-domains/remove-a-domain?view=o365-21vianet
//	          (the 21Vianet admin center link)
//	[entrafaq] https://learn.microsoft.com/entra/fundamentals/active-directory-faq
//	          ("How can I allow Microsoft Entra admin center URLs": *.entra.microsoft.com,
//	          *.entra.microsoft.us, *.entra.microsoftonline.cn)
var (
	// Global is Microsoft's worldwide cloud (also Microsoft 365 GCC, which
	// [graph] says keeps the worldwide endpoints).
	Global = Cloud{
		Name:              CloudGlobal,
		Label:             "Global",
		AuthorityHost:     "login.microsoftonline.com",               // [entra], [graph]
		GraphBase:         "https://graph.microsoft.com/v1.0",        // [graph]
		PartnerCenterBase: "https://api.partnercenter.microsoft.com", // [pc]
		AdminPortal:       "https://admin.microsoft.com",             // https://learn.microsoft.com/microsoft-365/admin/admin-overview/admin-center-overview
		EntraPortal:       "https://entra.microsoft.com",             // [entrafaq]

		GraphResource:         "https://graph.microsoft.com",             // [graph]
		PartnerCenterResource: "https://api.partnercenter.microsoft.com", // [pcauth]
	}

	// USGov is Microsoft 365 GCC High on Azure Government.
	USGov = Cloud{
		Name:          CloudUSGov,
		Label:         "US Government (GCC High)",
		AuthorityHost: "login.microsoftonline.us",        // [entra], [graph], [m365gov]
		GraphBase:     "https://graph.microsoft.us/v1.0", // [graph] "US Government L4", [m365gov]
		// [pc] lists "Partner Center for Microsoft Cloud for US Government"
		// at the worldwide host api.partnercenter.microsoft.com, whose tokens
		// come from login.microsoftonline.com; no page documents Partner
		// Center (or its applicationconsents API) for a tenant that signs in
		// at login.microsoftonline.us. Stricter choice: none.
		PartnerCenterBase: "",
		AdminPortal:       "https://portal.office365.us", // [m365gov] "Microsoft 365 Government – GCC High"
		EntraPortal:       "https://entra.microsoft.us",  // [entrafaq]

		GraphResource: "https://graph.microsoft.us", // [graph], [graphsdk]
	}

	// USGovDoD is Microsoft 365 DoD on Azure Government.
	USGovDoD = Cloud{
		Name:          CloudUSGovDoD,
		Label:         "US Government DoD",
		AuthorityHost: "login.microsoftonline.us",            // [entra], [m365gov]
		GraphBase:     "https://dod-graph.microsoft.us/v1.0", // [graph] "US Government L5 (DOD)", [m365gov]
		// Not documented at all for DoD ([pc] has no DoD row): none.
		PartnerCenterBase: "",
		AdminPortal:       "https://portal.apps.mil",    // [m365gov] "Microsoft 365 Government – DoD"
		EntraPortal:       "https://entra.microsoft.us", // [entrafaq] (one Entra admin center for Azure Government)

		GraphResource: "https://dod-graph.microsoft.us", // [graph]
	}

	// China is Microsoft 365 and Azure operated by 21Vianet.
	China = Cloud{
		Name:  CloudChina,
		Label: "China (21Vianet)",
		// [entra] gives login.partner.microsoftonline.cn; [graph] names the
		// older alias login.chinacloudapi.cn. The identity platform's own
		// page wins.
		AuthorityHost:     "login.partner.microsoftonline.cn",
		GraphBase:         "https://microsoftgraph.chinacloudapi.cn/v1.0",        // [graph]
		PartnerCenterBase: "https://partner.partnercenterapi.microsoftonline.cn", // [pc] "Partner Center operated by 21Vianet"
		AdminPortal:       "https://portal.partner.microsoftonline.cn",           // [m365cn]
		EntraPortal:       "https://entra.microsoftonline.cn",                    // [entrafaq]; app registration also at https://portal.azure.cn ([graph], [entra])

		GraphResource: "https://microsoftgraph.chinacloudapi.cn", // [graph]
		// No page names the 21Vianet Partner Center's token audience
		// ([pcauth] shows only the worldwide one); its REST host is the
		// best guess and a wrong one fails at sign-in, not silently.
		PartnerCenterResource: "https://partner.partnercenterapi.microsoftonline.cn",
	}
)

// Clouds lists every cloud in the order a technician should see them.
var Clouds = []Cloud{Global, USGov, USGovDoD, China}

// CloudByName returns the cloud a connection names.
func CloudByName(name CloudName) (Cloud, bool) {
	for _, c := range Clouds {
		if c.Name == name {
			return c, true
		}
	}
	return Cloud{}, false
}

// GraphScope is the ".default" scope of the cloud's Graph resource: every
// Graph permission the app was granted there. A national cloud's scope
// names its own Graph host ([graphsdk]).
func (c Cloud) GraphScope() string {
	if c.GraphResource != "" {
		return strings.TrimSuffix(c.GraphResource, "/") + "/.default"
	}
	return originScope(c.GraphBase)
}

// PartnerCenterScope is the ".default" scope of the cloud's Partner Center
// resource, or "" when the cloud has no Partner Center.
func (c Cloud) PartnerCenterScope() string {
	switch {
	case c.PartnerCenterBase == "":
		return ""
	case c.PartnerCenterResource != "":
		return strings.TrimSuffix(c.PartnerCenterResource, "/") + "/.default"
	}
	return originScope(c.PartnerCenterBase)
}

// originScope is the ".default" scope of a root URL's origin, for a cloud
// built by hand without resource identifiers.
func originScope(base string) string {
	u, err := url.Parse(base)
	if base == "" || err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/.default"
}

// cloudFile is the JSON LoadCloudFile reads: the keys the simulator's ready
// line prints. A nil field was absent and keeps the base cloud's value.
type cloudFile struct {
	AuthorityHost     *string `json:"authority_host"`
	GraphBase         *string `json:"graph_base"`
	PartnerCenterBase *string `json:"partner_center_base"`
}

// LoadCloudFile returns base with the hosts in the JSON file at path
// (TENANTSYNC_CLOUD_FILE): authority_host, graph_base and
// partner_center_base. A key that is absent keeps base's value; other keys
// are ignored, so the simulator's ready line can be the file. An empty
// partner_center_base means "no Partner Center".
func LoadCloudFile(path string, base Cloud) (Cloud, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Cloud{}, fmt.Errorf("read cloud file: %w", err)
	}
	c, err := parseCloudFile(data, base)
	if err != nil {
		return Cloud{}, fmt.Errorf("cloud file %s: %w", path, err)
	}
	return c, nil
}

func parseCloudFile(data []byte, base Cloud) (Cloud, error) {
	var f cloudFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Cloud{}, fmt.Errorf("want a JSON object with authority_host, graph_base and partner_center_base: %w", err)
	}
	c := base
	if f.AuthorityHost != nil {
		h, err := checkAuthorityHost(*f.AuthorityHost)
		if err != nil {
			return Cloud{}, err
		}
		c.AuthorityHost = h
	}
	if f.GraphBase != nil {
		u, err := checkHTTPSBase("graph_base", *f.GraphBase)
		if err != nil {
			return Cloud{}, err
		}
		c.GraphBase = u
	}
	if f.PartnerCenterBase != nil {
		c.PartnerCenterBase = ""
		if *f.PartnerCenterBase != "" {
			u, err := checkHTTPSBase("partner_center_base", *f.PartnerCenterBase)
			if err != nil {
				return Cloud{}, err
			}
			c.PartnerCenterBase = u
		}
	}
	return c, nil
}

// checkAuthorityHost accepts host or host:port, the form MSAL is given
// (https://HOST/{tenant} is built from it).
func checkAuthorityHost(h string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("authority_host %q: %s; want host or host:port, e.g. login.microsoftonline.com", h, why)
	}
	switch {
	case h == "":
		return bad("empty")
	case strings.Contains(h, "://"):
		return bad("has a scheme")
	case strings.ContainsAny(h, "/?#"):
		return bad("has a path")
	case strings.IndexFunc(h, notHostRune) >= 0:
		return bad("not a host name")
	}
	// MSAL is given https://HOST/{tenant}: HOST must come back whole.
	u, err := url.Parse("https://" + h + "/")
	if err != nil || u.Host != h || u.Hostname() == "" {
		return bad("not host:port")
	}
	if strings.HasSuffix(h, ":") {
		return bad("bad port")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("bad port")
		}
	}
	if host := u.Hostname(); strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return bad("not host:port")
	}
	return h, nil
}

// notHostRune reports a rune that cannot appear in host[:port], IPv6
// brackets included.
func notHostRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune(".-:[]", r)
}

// checkHTTPSBase accepts an absolute https URL without query or fragment
// and drops a trailing slash, so paths join as base + "/users".
func checkHTTPSBase(key, s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s %q: %w", key, s, err)
	case u.Scheme != "https" || u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%s %q: want an https URL, e.g. https://graph.microsoft.com/v1.0", key, s)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("%s %q: want a root URL without user, query or fragment", key, s)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// At returns the cloud with its service hosts replaced (a simulator, a
// private endpoint): tokens still name the cloud's own resources.
func (c Cloud) At(authorityHost, graphBase, partnerCenterBase string) Cloud {
	c.AuthorityHost, c.GraphBase, c.PartnerCenterBase = authorityHost, graphBase, partnerCenterBase
	return c
}
