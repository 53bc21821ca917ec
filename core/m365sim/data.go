package m365sim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Everything generated is a pure function of (seed, tenant, index): users are
// produced on demand, and only what the control API changes is kept in maps.
// A 1,000 x 1,000 simulation therefore costs a few bytes per user.

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func mix(vals ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, v := range vals {
		h = splitmix(h ^ v)
	}
	return h
}

func hstr(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func rngFor(vals ...uint64) *rand.Rand {
	h := mix(vals...)
	return rand.New(rand.NewPCG(h, splitmix(h)))
}

// guid formats a deterministic, version-4-shaped GUID.
func guid(vals ...uint64) string {
	a, b := mix(vals...), mix(append(vals, 0x5eed)...)
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], a)
	binary.BigEndian.PutUint64(buf[8:], b)
	buf[6] = buf[6]&0x0f | 0x40
	buf[8] = buf[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", buf[0:4], buf[4:6], buf[6:8], buf[8:10], buf[10:16])
}

// Salts separating the random streams.
const (
	saltTenant uint64 = iota + 1
	saltUser
	saltUserID
	saltDevice
	saltGroup
	saltSku
	saltPartner
	saltMailbox
	saltRel
	saltApp
)

// SKU is a real Microsoft 365 subscription as subscribedSkus reports it.
type SKU struct {
	ID          string // skuId
	PartNumber  string
	Name        string // product name as the admin center shows it
	EntraP1     bool   // includes Microsoft Entra ID P1 (signInActivity)
	Intune      bool
	Exchange    bool
	MailboxGB   int
	ServicePlan []string
}

// Real skuIds and part numbers (Microsoft's "Product names and service plan
// identifiers for licensing" list).
var skuCatalog = []SKU{
	{"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB", "Microsoft 365 Business Premium", true, true, true, 50, []string{"EXCHANGE_S_STANDARD", "AAD_PREMIUM", "INTUNE_A", "O365_BUSINESS"}},
	{"f245ecc8-75af-4f8e-b61f-27d8114de5f3", "O365_BUSINESS_PREMIUM", "Microsoft 365 Business Standard", false, false, true, 50, []string{"EXCHANGE_S_STANDARD", "O365_BUSINESS", "TEAMS1"}},
	{"3b555118-da6a-4418-894f-7df1e2096870", "O365_BUSINESS_ESSENTIALS", "Microsoft 365 Business Basic", false, false, true, 50, []string{"EXCHANGE_S_STANDARD", "TEAMS1"}},
	{"05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", "Microsoft 365 E3", true, true, true, 100, []string{"EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM", "INTUNE_A", "OFFICESUBSCRIPTION"}},
	{"6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK", "Office 365 E3", false, false, true, 100, []string{"EXCHANGE_S_ENTERPRISE", "OFFICESUBSCRIPTION", "TEAMS1"}},
	{"4b9405b0-7788-4568-add1-99614e613b69", "EXCHANGESTANDARD", "Exchange Online (Plan 1)", false, false, true, 50, []string{"EXCHANGE_S_STANDARD"}},
	{"06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5", "Microsoft 365 E5", true, true, true, 100, []string{"EXCHANGE_S_ENTERPRISE", "AAD_PREMIUM", "AAD_PREMIUM_P2", "INTUNE_A"}},
	{"cdd28e44-67e3-425e-be4c-737fab2899d3", "O365_BUSINESS", "Microsoft 365 Apps for business", false, false, false, 0, []string{"OFFICE_BUSINESS"}},
	{"f30db892-07e9-47e9-837c-80727f46fd3d", "FLOW_FREE", "Microsoft Power Automate Free", false, false, false, 0, []string{"FLOW_P2_VIRAL"}},
	{"a403ebcc-fae0-4ca2-8c8c-7a907fd6c235", "POWER_BI_STANDARD", "Microsoft Fabric (Free)", false, false, false, 0, []string{"BI_AZURE_P0"}},
	{"efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", "Enterprise Mobility + Security E3", true, true, false, 0, []string{"AAD_PREMIUM", "INTUNE_A"}},
	{"078d2b04-f1bd-4111-bbd4-b4b1b354cef4", "AAD_PREMIUM", "Microsoft Entra ID P1", true, false, false, 0, []string{"AAD_PREMIUM"}},
	{"ee02fd1b-340e-4a4b-b355-4a514e4c8943", "EXCHANGEARCHIVE_ADDON", "Exchange Online Archiving for Exchange Online", false, false, false, 0, []string{"EXCHANGE_S_ARCHIVE_ADDON"}},
	{"710779e8-3d4a-4c88-adb9-386c958d1fdf", "TEAMS_EXPLORATORY", "Microsoft Teams Exploratory", false, false, false, 0, []string{"TEAMS1"}},
	{"c5928f49-12ba-48f7-ada3-0d743a3601d5", "VISIOCLIENT", "Visio Plan 2", false, false, false, 0, []string{"VISIO_CLIENT_SUBSCRIPTION"}},
}

func skuByID(id string) (SKU, bool) {
	for _, s := range skuCatalog {
		if strings.EqualFold(s.ID, id) {
			return s, true
		}
	}
	return SKU{}, false
}

func skuByPart(part string) SKU {
	for _, s := range skuCatalog {
		if s.PartNumber == part {
			return s
		}
	}
	panic("m365sim: unknown sku " + part)
}

// Main productivity SKUs a tenant standardises on, and how often.
var mainSkus = []struct {
	part   string
	weight int
}{{"SPB", 30}, {"O365_BUSINESS_PREMIUM", 28}, {"O365_BUSINESS_ESSENTIALS", 12}, {"SPE_E3", 10}, {"ENTERPRISEPACK", 8}, {"EXCHANGESTANDARD", 8}, {"SPE_E5", 4}}

// GDAP role definition ids (Microsoft Entra built-in roles).
const (
	roleDirectoryReaders = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	roleGlobalReader     = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	roleUserAdmin        = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	roleReportsReader    = "4a5d8f65-41da-4de4-8968-e035b65339cf"
	roleIntuneAdmin      = "3a2c62db-5318-420d-8d74-23affee5d9d5"
	roleGlobalAdmin      = "62e90394-69f5-4237-9190-012177145e10"
)

// TenantFlags are the per-tenant conditions a sync must cope with.
type TenantFlags struct {
	ConcealedNames   bool `json:"concealed_names"`    // usage reports show 32-hex UPNs and names
	NoEntraP1        bool `json:"no_entra_p1"`        // signInActivity answers 403
	GDAPExpired      bool `json:"gdap_expired"`       // the partner's relationship ended
	GDAPMissingRoles bool `json:"gdap_missing_roles"` // relationship holds Directory Readers only
	// NotConsented: the tenant does not hold the app's service principal
	// (never consented): a GDAP sign-in answers AADSTS90099, the app's own
	// AADSTS700016, until Partner Center's consent API (or an admin of the
	// customer) adds it. Changing the flag adds or removes the principal.
	NotConsented bool `json:"not_consented"`
	// NoGrants: the service principal is there but its permission grants
	// were removed (AADSTS65001). Changing the flag removes or restores them.
	NoGrants bool `json:"no_grants"`
}

type domainInfo struct {
	Name      string
	IsDefault bool
	IsInitial bool
	Verified  bool
}

// tenant is one directory: a customer, or the partner's own.
type tenant struct {
	sim     *Server
	idx     int // customer index; -1 for the partner
	id      string
	name    string
	culture int
	domains []domainInfo
	created time.Time
	city    string
	street  string
	postal  string
	phone   string
	upnFmt  int // 0 first.last, 1 flast, 2 first
	skus    []tenantSku
	relID   string
	relEnd  time.Time
	size    int // generated users

	mu       sync.Mutex
	flags    TenantFlags
	mat      *materialized
	over     map[int]*User // users changed or added by the control API
	deleted  map[int]deletion
	added    int
	version  int64
	changes  []change
	deltaGen int
	consumed map[string]int
	// upns caches generated users' principal names, built on first use:
	// a large tenant's sign-in listing is filtered by UPN prefix many
	// times, and generating every user for each filter dominated.
	upns []string
}

type tenantSku struct {
	SKU
	enabled, suspended, warning, lockedOut int
	subscriptionID                         string
}

type deletion struct {
	at        time.Time
	permanent bool
}

type change struct {
	ver    int64
	idx    int
	fields uint64
}

// materialized holds what needs a pass over all users: UPN uniqueness and
// license consumption. It is built on first access to the tenant.
type materialized struct {
	dup []uint16
}

// userHead is the cheap part of a generated user: enough to decide names and
// licenses without building the whole record.
type userHead struct {
	kind     uint8
	culture  int
	given    int
	surname  int
	shared   int
	mono     int
	mainLic  bool
	extras   uint8 // bit 0 FLOW_FREE, bit 1 POWER_BI_STANDARD, bit 2 archive add-on, bit 3 visio
	dupOf    int   // -1, or the index whose name this user shares on purpose
	guestDom int
}

const (
	kindMember uint8 = iota
	kindAdmin
	kindGuest
	kindShared
	kindLeaver
	kindMononym
	kindService // partner's GDAP service account
)

func (s *Server) newTenant(idx int, name, domain string, cult int, used map[string]bool) *tenant {
	seed := uint64(s.opt.Seed)
	r := rngFor(seed, saltTenant, uint64(idx+1))
	c := cultures[cult]
	t := &tenant{sim: s, idx: idx, name: name, culture: cult}
	if idx < 0 {
		t.id = guid(seed, saltPartner)
	} else {
		t.id = guid(seed, saltTenant, uint64(idx))
	}
	initial := slug(strings.TrimSuffix(domain, "."+strings.SplitN(domain, ".", 2)[1]), 24)
	if initial == "" {
		initial = "tenant"
	}
	for n := 1; used[initial]; n++ {
		initial = fmt.Sprintf("%s%d", strings.TrimRight(initial, "0123456789"), n)
	}
	used[initial] = true
	onms := initial + ".onmicrosoft.com"
	// Most customers send mail from their own domain; a few never added one.
	if r.Float64() < 0.08 && idx >= 0 {
		t.domains = []domainInfo{{Name: onms, IsDefault: true, IsInitial: true, Verified: true}}
	} else {
		t.domains = []domainInfo{{Name: domain, IsDefault: true, Verified: true}, {Name: onms, IsInitial: true, Verified: true}}
		if r.Float64() < 0.45 {
			base, tld, _ := strings.Cut(domain, ".")
			alt := base + ".com"
			if tld == "com" {
				alt = base + ".net"
			}
			t.domains = append(t.domains, domainInfo{Name: alt, Verified: true})
		}
		if r.Float64() < 0.12 {
			t.domains = append(t.domains, domainInfo{Name: "mail." + domain, Verified: false})
		}
	}
	t.created = s.epoch.AddDate(0, 0, -(200 + r.IntN(3000)))
	t.city = c.cities[r.IntN(len(c.cities))]
	t.street = fmt.Sprintf("%d %s", 1+r.IntN(200), []string{"High Street", "Hauptstraße", "Main Street", "Calle Mayor", "Rue de la Paix", "Storgata"}[r.IntN(6)])
	t.postal = fmt.Sprintf("%05d", r.IntN(99999))
	t.phone = fmt.Sprintf("%s %04d", c.phonePrefix, r.IntN(10000))
	t.upnFmt = []int{0, 0, 0, 1, 2}[r.IntN(5)]
	t.relID = guid(seed, saltRel, uint64(idx+1)) + "-" + guid(seed, saltRel, uint64(idx+1), 2)
	t.relEnd = s.epoch.AddDate(0, 0, 30+r.IntN(700))
	if r.Float64() < 0.06 {
		t.relEnd = s.epoch.AddDate(0, 0, 2+r.IntN(12)) // expiring soon: preflight should warn
	}

	// Licences: one main SKU plus the usual add-ons.
	total := 0
	for _, m := range mainSkus {
		total += m.weight
	}
	pick := r.IntN(total)
	main := mainSkus[0].part
	for _, m := range mainSkus {
		if pick < m.weight {
			main = m.part
			break
		}
		pick -= m.weight
	}
	if idx < 0 {
		main = "SPB"
	}
	parts := []string{main, "FLOW_FREE", "POWER_BI_STANDARD"}
	if r.Float64() < 0.2 {
		parts = append(parts, "EXCHANGEARCHIVE_ADDON")
	}
	if r.Float64() < 0.1 {
		parts = append(parts, "VISIOCLIENT")
	}
	if r.Float64() < 0.1 && !skuByPart(main).EntraP1 {
		parts = append(parts, "AAD_PREMIUM")
	}
	for _, p := range parts {
		t.skus = append(t.skus, tenantSku{SKU: skuByPart(p), subscriptionID: guid(seed, saltSku, uint64(idx+1), hstr(p))})
	}
	t.flags.NoEntraP1 = true
	for _, sk := range t.skus {
		if sk.EntraP1 {
			t.flags.NoEntraP1 = false
		}
	}
	if idx >= 0 && !s.opt.CleanTenants {
		t.flags.ConcealedNames = r.Float64() < 0.4
		x := r.Float64()
		t.flags.GDAPExpired = x < 0.02
		t.flags.GDAPMissingRoles = x >= 0.02 && x < 0.05
		t.flags.NotConsented = x >= 0.05 && x < 0.07
	}
	if f, ok := s.opt.TenantFlags[idx]; ok && idx >= 0 {
		t.flags = f
	}
	return t
}

func (t *tenant) defaultDomain() string {
	for _, d := range t.domains {
		if d.IsDefault {
			return d.Name
		}
	}
	return t.domains[0].Name
}

func (t *tenant) initialDomain() string {
	for _, d := range t.domains {
		if d.IsInitial {
			return d.Name
		}
	}
	return t.domains[0].Name
}

// head draws the first, cheap decisions about user i.
func (t *tenant) head(i int) userHead {
	r := rngFor(uint64(t.sim.opt.Seed), saltUser, uint64(t.idx+1), uint64(i))
	h := userHead{dupOf: -1}
	// The home culture dominates; the rest of the world shows up too.
	if r.Float64() < 0.65 {
		h.culture = t.culture
	} else {
		h.culture = r.IntN(len(cultures))
	}
	c := cultures[h.culture]
	h.given = r.IntN(len(c.given))
	h.surname = r.IntN(len(c.surnames))
	h.shared = r.IntN(len(sharedMailboxNames))
	h.guestDom = r.IntN(len(guestDomains))
	x := r.Float64()
	switch {
	case i == 0:
		h.kind = kindAdmin
	case t.idx < 0 && i == 1:
		h.kind = kindService
	case x < 0.04:
		h.kind = kindGuest
	case x < 0.09:
		h.kind = kindShared
	case x < 0.16:
		h.kind = kindLeaver
	case x < 0.18:
		h.kind = kindMononym
		h.mono = r.IntN(len(mononyms))
	default:
		h.kind = kindMember
	}
	// Two people with the same name in one company, on purpose.
	if t.size >= 12 && (i == 7 || (i > 7 && i%211 == 7)) {
		p := t.head(i - 1)
		h.culture, h.given, h.surname, h.kind, h.dupOf = p.culture, p.given, p.surname, kindMember, i-1
		if p.kind != kindMember && p.kind != kindLeaver {
			h.dupOf = -1
			h.kind = kindMember
		}
	}
	switch h.kind {
	case kindMember, kindService:
		h.mainLic = r.Float64() < 0.93
	case kindLeaver:
		h.mainLic = r.Float64() < 0.5 // forgotten licences on leavers are common
	}
	if h.kind == kindMember || h.kind == kindLeaver {
		if r.Float64() < 0.25 {
			h.extras |= 1
		}
		if r.Float64() < 0.15 {
			h.extras |= 2
		}
		if h.mainLic && r.Float64() < 0.3 {
			h.extras |= 4
		}
		if h.mainLic && r.Float64() < 0.05 {
			h.extras |= 8
		}
	}
	return h
}

func (t *tenant) upnLocal(h userHead) string {
	c := cultures[h.culture]
	switch h.kind {
	case kindAdmin:
		return "admin"
	case kindService:
		return "gdap.sync"
	case kindShared:
		return mailLocal(sharedMailboxNames[h.shared])
	case kindMononym:
		return mailLocal(mononyms[h.mono].ascii)
	case kindGuest:
		return mailLocal(c.given[h.given].ascii, c.surnames[h.surname].ascii) + "_" + strings.ReplaceAll(guestDomains[h.guestDom], ".", "_") // unique enough
	}
	g, s := c.given[h.given].ascii, c.surnames[h.surname].ascii
	switch t.upnFmt {
	case 1:
		return mailLocal(g[:1] + s)
	case 2:
		return mailLocal(g)
	}
	return mailLocal(g, s)
}

// materialize builds the per-tenant tables that need every user once.
// Callers hold t.mu.
func (t *tenant) materialize() *materialized {
	if t.mat != nil {
		return t.mat
	}
	m := &materialized{dup: make([]uint16, t.size)}
	seen := make(map[string]uint16, t.size)
	consumed := map[string]int{}
	for i := 0; i < t.size; i++ {
		h := t.head(i)
		local := t.upnLocal(h)
		if n, ok := seen[local]; ok {
			m.dup[i] = n + 1
			seen[local] = n + 1
		} else {
			seen[local] = 0
		}
		for _, id := range t.licensesFor(h) {
			consumed[id]++
		}
	}
	t.mat = m
	t.consumed = consumed
	r := rngFor(uint64(t.sim.opt.Seed), saltSku, uint64(t.idx+1))
	for i := range t.skus {
		sk := &t.skus[i]
		used := consumed[sk.ID]
		switch sk.PartNumber {
		case "FLOW_FREE", "POWER_BI_STANDARD":
			sk.enabled = 10000
		default:
			sk.enabled = used + r.IntN(4)
			if sk.enabled == 0 {
				sk.enabled = 1 + r.IntN(3)
			}
			switch y := r.Float64(); {
			case y < 0.06:
				sk.warning = 1 + r.IntN(5) // trial or lapsed renewal
			case y < 0.09:
				sk.suspended = 1 + r.IntN(3)
			case y < 0.1:
				sk.lockedOut = 1
			}
		}
	}
	return m
}

func (t *tenant) licensesFor(h userHead) []string {
	var out []string
	if h.mainLic {
		out = append(out, t.skus[0].ID)
	}
	for bit, part := range []string{"FLOW_FREE", "POWER_BI_STANDARD", "EXCHANGEARCHIVE_ADDON", "VISIOCLIENT"} {
		if h.extras&(1<<bit) == 0 {
			continue
		}
		for _, sk := range t.skus {
			if sk.PartNumber == part {
				out = append(out, sk.ID)
			}
		}
	}
	return out
}

// SignInActivity mirrors Graph's signInActivity.
type SignInActivity struct {
	LastSignIn            *time.Time `json:"lastSignInDateTime"`
	LastNonInteractive    *time.Time `json:"lastNonInteractiveSignInDateTime"`
	LastSuccessfulSignIn  *time.Time `json:"lastSuccessfulSignInDateTime"`
	LastSignInRequestID   string     `json:"lastSignInRequestId,omitempty"`
	LastNonInteractiveReq string     `json:"lastNonInteractiveSignInRequestId,omitempty"`
}

// User is a directory user as the simulation holds it.
type User struct {
	Index          int             `json:"-"`
	ID             string          `json:"id"`
	UPN            string          `json:"userPrincipalName"`
	Mail           string          `json:"mail,omitempty"`
	DisplayName    string          `json:"displayName"`
	GivenName      string          `json:"givenName,omitempty"`
	Surname        string          `json:"surname,omitempty"`
	JobTitle       string          `json:"jobTitle,omitempty"`
	Department     string          `json:"department,omitempty"`
	OfficeLocation string          `json:"officeLocation,omitempty"`
	CompanyName    string          `json:"companyName,omitempty"`
	BusinessPhones []string        `json:"businessPhones"`
	MobilePhone    string          `json:"mobilePhone,omitempty"`
	ProxyAddresses []string        `json:"proxyAddresses"`
	OtherMails     []string        `json:"otherMails"`
	AccountEnabled bool            `json:"accountEnabled"`
	UserType       string          `json:"userType"`
	Created        time.Time       `json:"createdDateTime"`
	LastPwdChange  *time.Time      `json:"lastPasswordChangeDateTime,omitempty"`
	SignIn         *SignInActivity `json:"signInActivity,omitempty"`
	Licenses       []string        `json:"assignedLicenses"` // skuIds
	UsageLocation  string          `json:"usageLocation,omitempty"`
	OnPremSync     bool            `json:"onPremisesSyncEnabled"`
	PreferredLang  string          `json:"preferredLanguage,omitempty"`
	Kind           string          `json:"kind"` // member, admin, guest, shared, leaver, service
}

var kindNames = map[uint8]string{kindMember: "member", kindAdmin: "admin", kindGuest: "guest", kindShared: "shared",
	kindLeaver: "leaver", kindMononym: "member", kindService: "service"}

func ptime(t time.Time) *time.Time { return &t }

// genUser builds generated user i in full. Callers hold t.mu (for dup).
func (t *tenant) genUser(i int) *User {
	m := t.materialize()
	h := t.head(i)
	seed := uint64(t.sim.opt.Seed)
	r := rngFor(seed, saltUser, uint64(t.idx+1), uint64(i), 2)
	c := cultures[h.culture]
	home := cultures[t.culture]
	u := &User{Index: i, ID: guid(seed, saltUserID, uint64(t.idx+1), uint64(i)), UserType: "Member", AccountEnabled: true,
		Kind: kindNames[h.kind], BusinessPhones: []string{}, ProxyAddresses: []string{}, OtherMails: []string{}}
	local := t.upnLocal(h)
	if m.dup[i] > 0 {
		local += fmt.Sprint(m.dup[i] + 1)
	}
	dom := t.defaultDomain()
	given, sur := c.given[h.given].native, c.surnames[h.surname].native
	display := given + " " + sur
	if c.surnameFirst {
		display = sur + " " + given
		if c.noSpace {
			display = sur + given
		}
	}
	u.Created = t.created.Add(time.Duration(r.Int64N(int64(t.sim.epoch.Sub(t.created)))))
	u.UsageLocation = home.country
	u.PreferredLang = map[string]string{"de": "de-DE", "fr": "fr-FR", "es": "es-ES", "no": "nb-NO", "se": "sv-SE", "ja": "ja-JP", "zh": "zh-CN"}[home.code]
	u.Licenses = t.licensesFor(h)
	u.OnPremSync = t.idx >= 0 && t.idx%5 == 1 && h.kind != kindGuest && h.kind != kindAdmin
	day := 24 * time.Hour
	recent := func(maxDays int) *time.Time {
		return ptime(t.sim.epoch.Add(-time.Duration(r.Int64N(int64(maxDays) * int64(day)))).Truncate(time.Second))
	}
	switch h.kind {
	case kindAdmin:
		u.DisplayName = "Admin"
		if t.idx < 0 {
			u.DisplayName = "Partner Admin"
		}
		u.UPN = local + "@" + t.initialDomain()
		u.SignIn = &SignInActivity{LastSignIn: recent(40), LastSuccessfulSignIn: recent(40)}
	case kindService:
		u.DisplayName, u.GivenName, u.Surname = "GDAP Sync Service", "GDAP", "Sync Service"
		u.UPN = local + "@" + dom
		u.Mail = u.UPN
		u.SignIn = &SignInActivity{LastSignIn: recent(2), LastSuccessfulSignIn: recent(2), LastNonInteractive: recent(1)}
	case kindShared:
		u.DisplayName = sharedMailboxNames[h.shared]
		u.UPN = local + "@" + dom
		u.Mail = u.UPN
		u.AccountEnabled = false
		u.Licenses = []string{}
		u.SignIn = &SignInActivity{}
	case kindGuest:
		ext := mailLocal(c.given[h.given].ascii, c.surnames[h.surname].ascii) + "@" + guestDomains[h.guestDom]
		u.DisplayName, u.GivenName, u.Surname = display, given, sur
		u.UserType = "Guest"
		u.UPN = strings.ReplaceAll(ext, "@", "_") + "#EXT#@" + t.initialDomain()
		if m.dup[i] > 0 {
			u.UPN = fmt.Sprintf("%s%d#EXT#@%s", strings.ReplaceAll(ext, "@", "_"), m.dup[i]+1, t.initialDomain())
		}
		u.Mail = ext
		u.OtherMails = []string{ext}
		u.Licenses = []string{}
		u.UsageLocation = ""
		u.SignIn = &SignInActivity{LastSignIn: recent(200), LastSuccessfulSignIn: recent(200)}
	case kindMononym:
		u.DisplayName, u.GivenName = mononyms[h.mono].native, mononyms[h.mono].native
		u.UPN = local + "@" + dom
		u.Mail = u.UPN
		u.SignIn = &SignInActivity{LastSignIn: recent(10), LastSuccessfulSignIn: recent(10)}
	default: // member, leaver
		u.DisplayName, u.GivenName, u.Surname = display, given, sur
		u.UPN = local + "@" + dom
		if len(u.Licenses) > 0 && t.skus[0].Exchange || h.kind == kindLeaver {
			u.Mail = u.UPN
		}
		u.JobTitle = jobTitles[r.IntN(len(jobTitles))]
		u.Department = departments[r.IntN(len(departments))]
		u.OfficeLocation = t.city
		if r.Float64() < 0.3 {
			u.OfficeLocation = fmt.Sprintf("%s, Floor %d", t.city, 1+r.IntN(5))
		}
		if r.Float64() < 0.7 {
			u.BusinessPhones = []string{fmt.Sprintf("%s %04d", home.phonePrefix, r.IntN(10000))}
		}
		if r.Float64() < 0.5 {
			u.MobilePhone = fmt.Sprintf("+%d %03d %06d", []int{44, 49, 1, 47, 33}[r.IntN(5)], 100+r.IntN(900), r.IntN(1000000))
		}
		if r.Float64() < 0.15 {
			u.OtherMails = []string{mailLocal(c.given[h.given].ascii, c.surnames[h.surname].ascii) + fmt.Sprint(r.IntN(99)) + "@" + guestDomains[r.IntN(5)]}
		}
		if h.kind == kindLeaver {
			u.AccountEnabled = false
			u.SignIn = &SignInActivity{LastSignIn: ptime(t.sim.epoch.AddDate(0, 0, -(60 + r.IntN(400)))), LastSuccessfulSignIn: nil}
			u.SignIn.LastSuccessfulSignIn = u.SignIn.LastSignIn
		} else {
			u.SignIn = &SignInActivity{LastSignIn: recent(14), LastSuccessfulSignIn: recent(14), LastNonInteractive: recent(2)}
			if r.Float64() < 0.05 {
				u.SignIn = &SignInActivity{} // never signed in
			}
		}
	}
	if u.Mail != "" && h.kind != kindGuest {
		u.ProxyAddresses = append(u.ProxyAddresses, "SMTP:"+u.Mail)
		if h.kind == kindMember && r.Float64() < 0.06 {
			// Primary address differs from the sign-in name.
			alt := mailLocal(c.given[h.given].ascii[:1]+c.surnames[h.surname].ascii) + "@" + dom
			if alt != u.UPN {
				u.Mail = alt
				u.ProxyAddresses = []string{"SMTP:" + alt, "smtp:" + u.UPN}
			}
		}
		u.ProxyAddresses = append(u.ProxyAddresses, "smtp:"+strings.SplitN(u.UPN, "@", 2)[0]+"@"+t.initialDomain())
		for _, d := range t.domains[1:] {
			if d.Verified && !d.IsInitial && r.Float64() < 0.5 {
				u.ProxyAddresses = append(u.ProxyAddresses, "smtp:"+strings.SplitN(u.UPN, "@", 2)[0]+"@"+d.Name)
			}
		}
		if h.kind == kindMember && u.Surname != "" && r.Float64() < 0.2 {
			u.ProxyAddresses = append(u.ProxyAddresses, "smtp:"+mailLocal(c.surnames[h.surname].ascii)+"@"+dom)
		}
	}
	if u.Created.After(t.sim.epoch) {
		u.Created = t.sim.epoch.Add(-time.Hour)
	}
	u.Created = u.Created.Truncate(time.Second)
	if h.kind != kindGuest && h.kind != kindShared {
		pw := u.Created.Add(time.Duration(r.Int64N(int64(t.sim.epoch.Sub(u.Created)) + 1))).Truncate(time.Second)
		u.LastPwdChange = &pw
	}
	return u
}

// mailboxStats derives Exchange usage for a user with a mailbox.
type mailboxStats struct {
	items, deletedItems                 int64
	storage, deletedSize                int64
	warnQuota, sendQuota, sendRecvQuota int64
	deletedQuota                        int64
	hasArchive                          bool
	lastActivity                        time.Time
	recipientType                       string
	created                             time.Time
}

func (t *tenant) mailbox(u *User) mailboxStats {
	r := rngFor(uint64(t.sim.opt.Seed), saltMailbox, hstr(u.ID))
	gb := int64(1) << 30
	st := mailboxStats{warnQuota: 49 * gb, sendQuota: 49*gb + gb/2, sendRecvQuota: 50 * gb, deletedQuota: 30 * gb, recipientType: "User", created: u.Created}
	for _, id := range u.Licenses {
		if sk, ok := skuByID(id); ok && sk.MailboxGB == 100 {
			st.warnQuota, st.sendQuota, st.sendRecvQuota, st.deletedQuota = 98*gb, 99*gb, 100*gb, 100*gb
		}
		if sk, ok := skuByID(id); ok && sk.PartNumber == "EXCHANGEARCHIVE_ADDON" {
			st.hasArchive = true
		}
	}
	if u.Kind == "shared" {
		st.recipientType = "Shared"
	}
	// Log-normal sizes around 3 GB with a long tail up to the quota.
	frac := math.Min(math.Exp(r.NormFloat64()*1.1-2.8), 1.02)
	if r.Float64() < 0.03 {
		frac = 0.92 + r.Float64()*0.1 // a few mailboxes about to fill up
	}
	st.storage = int64(frac * float64(st.sendRecvQuota))
	st.items = st.storage/int64(40000+r.IntN(80000)) + int64(r.IntN(50))
	st.deletedItems = int64(r.IntN(4000))
	st.deletedSize = st.deletedItems * int64(20000+r.IntN(60000))
	st.lastActivity = t.sim.epoch.AddDate(0, 0, -r.IntN(6))
	if !u.AccountEnabled && u.Kind != "shared" {
		st.lastActivity = t.sim.epoch.AddDate(0, 0, -(60 + r.IntN(300)))
	}
	return st
}

// Device is an Intune managed device.
type Device struct {
	ID, Name, Serial, Manufacturer, Model, OS, OSVersion string
	Compliance, OwnerType, UserPrincipalName, UserID     string
	UserDisplayName, EnrollmentType                      string
	LastSync, Enrolled                                   time.Time
	Encrypted                                            bool
	ownerIdx                                             int
}

func (t *tenant) hasIntune() bool {
	for _, sk := range t.skus {
		if sk.Intune {
			return true
		}
	}
	return false
}

func (t *tenant) deviceCount() int {
	if !t.hasIntune() {
		return 0
	}
	return t.size * 7 / 10
}

var deviceModels = []struct{ maker, model, os, ver, serial string }{
	{"Dell Inc.", "Latitude 5440", "Windows", "10.0.22631.4317", "dell"},
	{"Dell Inc.", "OptiPlex 7010", "Windows", "10.0.19045.5011", "dell"},
	{"HP", "HP EliteBook 840 G9", "Windows", "10.0.22631.4460", "hp"},
	{"LENOVO", "21HD003UGE", "Windows", "10.0.26100.2314", "lenovo"},
	{"Microsoft Corporation", "Surface Laptop 5", "Windows", "10.0.22631.4317", "surface"},
	{"Apple", "iPhone 15", "iOS", "17.6.1", "apple"},
	{"Apple", "iPad Air (5th generation)", "iPadOS", "17.5.1", "apple"},
	{"Apple", "MacBookAir10,1", "macOS", "14.6.1 (23G93)", "apple"},
	{"samsung", "SM-S918B", "Android", "14", "samsung"},
	{"System manufacturer", "System Product Name", "Windows", "10.0.19045.4894", "generic"},
	{"To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "Windows", "10.0.19045.4894", "generic"},
}

var genericSerials = []string{"To be filled by O.E.M.", "System Serial Number", "Default string", "0", "123456789", "Not Specified"}

func serialFor(kind string, r *rand.Rand) string {
	const up = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	pick := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = up[r.IntN(len(up))]
		}
		return string(b)
	}
	switch kind {
	case "dell":
		return pick(7)
	case "hp":
		return "5CG" + pick(7)
	case "lenovo":
		return "PF" + pick(6)
	case "surface":
		return fmt.Sprintf("0%011d", r.Int64N(1e11))
	case "apple":
		return "C02" + pick(9)
	case "samsung":
		return "R5C" + pick(8)
	}
	return genericSerials[r.IntN(len(genericSerials))]
}

func (t *tenant) device(i int, userByIdx func(int) *User) Device {
	seed := uint64(t.sim.opt.Seed)
	r := rngFor(seed, saltDevice, uint64(t.idx+1), uint64(i))
	m := deviceModels[r.IntN(len(deviceModels))]
	d := Device{ID: guid(seed, saltDevice, uint64(t.idx+1), uint64(i)), Manufacturer: m.maker, Model: m.model, OS: m.os,
		OSVersion: m.ver, Serial: serialFor(m.serial, r), OwnerType: "company", Encrypted: r.Float64() < 0.85}
	d.Compliance = []string{"compliant", "compliant", "compliant", "compliant", "noncompliant", "inGracePeriod", "unknown"}[r.IntN(7)]
	d.ownerIdx = r.IntN(max(t.size, 1))
	d.Enrolled = t.sim.epoch.AddDate(0, 0, -r.IntN(900)).Truncate(time.Second)
	d.LastSync = t.sim.epoch.Add(-time.Duration(r.Int64N(int64(20 * 24 * time.Hour)))).Truncate(time.Second)
	owner := userByIdx(d.ownerIdx)
	switch m.os {
	case "Windows":
		d.Name = "DESKTOP-" + serialFor("dell", r)
		if r.Float64() < 0.5 {
			d.Name = strings.ToUpper(slug(t.name, 4)) + "-LT-" + fmt.Sprintf("%03d", i)
		}
	case "iOS", "iPadOS", "Android":
		if owner != nil {
			first := owner.GivenName
			if first == "" {
				first = owner.DisplayName
			}
			d.Name = first + "'s " + strings.Fields(m.model)[0]
		} else {
			d.Name = m.model
		}
		if r.Float64() < 0.4 {
			d.OwnerType = "personal"
		}
	default:
		d.Name = strings.ReplaceAll(m.model, ",", "") + "-" + fmt.Sprint(i)
	}
	if owner != nil && owner.AccountEnabled && owner.UserType == "Member" {
		d.UserPrincipalName, d.UserID, d.UserDisplayName = owner.UPN, owner.ID, owner.DisplayName
	}
	return d
}

// Group is a security or Microsoft 365 group.
type group struct {
	id, name, mail string
	dept           string // members: users in this department; "" = all enabled members
}

func (t *tenant) groups() []group {
	seed := uint64(t.sim.opt.Seed)
	gs := []group{{id: guid(seed, saltGroup, uint64(t.idx+1), 0), name: "All Staff", mail: "allstaff@" + t.defaultDomain()}}
	for k, d := range departments[:5] {
		gs = append(gs, group{id: guid(seed, saltGroup, uint64(t.idx+1), uint64(k+1)), name: d + " Team", mail: mailLocal(d) + "@" + t.defaultDomain(), dept: d})
	}
	return gs
}

// companyNames returns n unique, real-looking customer names with a domain
// and home culture each.
func companyNames(seed int64, n int) []struct {
	name, domain string
	culture      int
} {
	out := make([]struct {
		name, domain string
		culture      int
	}, 0, n)
	cultureIdx := map[string]int{}
	for i, c := range cultures {
		cultureIdx[c.code] = i
	}
	usedName := map[string]bool{}
	usedDomain := map[string]bool{}
	r := rngFor(uint64(seed), saltTenant, 0xc0)
	// The fixed names come first so small simulations look familiar.
	for _, f := range fixedCompanies {
		if len(out) == n {
			return out
		}
		out = append(out, struct {
			name, domain string
			culture      int
		}{f.name, f.domain, cultureIdx[f.culture]})
		usedName[strings.ToLower(f.name)] = true
		usedDomain[f.domain] = true
	}
	totalW := 0
	for _, w := range cultureWeights {
		totalW += w
	}
	combos := r.Perm(len(companyPrefixes) * len(companyTrades))
	for k := 0; len(out) < n; k++ {
		combo := combos[k%len(combos)]
		pre, trade := companyPrefixes[combo/len(companyTrades)], companyTrades[combo%len(companyTrades)]
		w := r.IntN(totalW)
		cult := 0
		for i, cw := range cultureWeights {
			if w < cw {
				cult = i
				break
			}
			w -= cw
		}
		c := cultures[cult]
		base := pre + " " + trade
		if k >= len(combos) {
			base = pre + " " + trade + " " + foldASCII(c.cities[k%len(c.cities)])
		}
		name := base + " " + c.companySuffix[r.IntN(len(c.companySuffix))]
		if r.Float64() < 0.2 {
			name = base // many small businesses trade without the suffix
		}
		if usedName[strings.ToLower(base)] {
			continue
		}
		domain := slug(base, 40) + c.tlds[r.IntN(len(c.tlds))]
		if usedDomain[domain] {
			domain = slug(base, 40) + "-" + c.code + c.tlds[0]
		}
		if usedDomain[domain] {
			continue
		}
		usedName[strings.ToLower(base)] = true
		usedDomain[domain] = true
		out = append(out, struct {
			name, domain string
			culture      int
		}{name, domain, cult})
	}
	return out
}

// sizeFor spreads tenant sizes log-normally around the mean (sigma 0.8), the
// way an MSP's book of customers looks: many small, a few large.
func sizeFor(seed int64, idx, mean int) int {
	if mean <= 0 {
		return 0
	}
	r := rngFor(uint64(seed), saltTenant, uint64(idx+1), 0x512e)
	const sigma = 0.8
	f := math.Exp(r.NormFloat64()*sigma - sigma*sigma/2)
	n := int(math.Round(float64(mean) * f))
	return max(n, 3)
}
