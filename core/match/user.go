package match

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tenantsync/tenantsync/store"
)

// Rule is the user -> contact rule that decided an outcome, strongest first.
type Rule string

const (
	RuleNone     Rule = ""
	RuleObjectID Rule = "object id"           // the contact is linked to the user
	RuleAlias    Rule = "e-mail alias"        // mail, an smtp proxy address or an other mail
	RuleUPN      Rule = "username"            // the UPN, onmicrosoft.com included
	RuleName     Rule = "first and last name" // case- and diacritics-insensitive
)

// Action says what sync does for a user.
type Action string

const (
	ActionUpdate    Action = "update"    // the contact is already linked: refresh it
	ActionLink      Action = "link"      // link the matched contact, then refresh it
	ActionCreate    Action = "create"    // nothing matched: create a contact
	ActionAmbiguous Action = "ambiguous" // flag for review; create nothing, link nothing
)

// UserOutcome is what matching decided for one directory user.
type UserOutcome struct {
	ObjectID  string
	Action    Action
	ContactID uint64 // for ActionUpdate and ActionLink
	Rule      Rule   // the rule that decided; RuleNone for ActionCreate
	// Candidates are the contacts an ambiguous user could be, by id.
	Candidates []uint64
	// Rivals are the other users (object ids) claiming the same contact by
	// the same rule, when that made the user ambiguous.
	Rivals []string
	Reason string
}

// ContactIndex is one organization's contacts prepared for matching the
// users of one tenant. Read-only after NewContactIndex.
type ContactIndex struct {
	tenantID string
	contacts []store.Contact
	byObject map[string][]int // lower(object id) of contacts linked in this tenant
	// Only contacts not linked to any user are candidates for the rules
	// after the object id: a linked contact belongs to its user.
	byEmail map[string][]int // lower(e-mail)
	byName  map[string][]int // personKey(first, last)
}

// NewContactIndex prepares the contacts of the organization matched to
// tenantID. contacts is kept, not copied; do not change it while matching.
func NewContactIndex(tenantID string, contacts []store.Contact) *ContactIndex {
	ix := &ContactIndex{
		tenantID: tenantID,
		contacts: contacts,
		byObject: make(map[string][]int),
		byEmail:  make(map[string][]int, len(contacts)),
		byName:   make(map[string][]int, len(contacts)),
	}
	for i := range contacts {
		c := &contacts[i]
		if c.Link != nil && c.Link.ObjectID != "" {
			if c.Link.TenantID == "" || strings.EqualFold(c.Link.TenantID, tenantID) {
				oid := strings.ToLower(c.Link.ObjectID)
				ix.byObject[oid] = append(ix.byObject[oid], i)
			}
			continue
		}
		for _, e := range c.Emails() {
			e = normEmail(e)
			if e == "" {
				continue
			}
			if l := ix.byEmail[e]; len(l) == 0 || l[len(l)-1] != i {
				ix.byEmail[e] = append(l, i)
			}
		}
		if k := personKey(c.FirstName, c.LastName); k != "" {
			ix.byName[k] = append(ix.byName[k], i)
		}
	}
	return ix
}

// Contacts returns the indexed contacts.
func (ix *ContactIndex) Contacts() []store.Contact { return ix.contacts }

// Linked returns the contact linked to the user with objectID in this
// tenant, if exactly one is.
func (ix *ContactIndex) Linked(objectID string) (store.Contact, bool) {
	l := ix.byObject[strings.ToLower(objectID)]
	if len(l) != 1 {
		return store.Contact{}, false
	}
	return ix.contacts[l[0]], true
}

// MatchUser matches one user on its own. To match a tenant's users use
// MatchUsers, which also catches two users claiming one contact.
func (ix *ContactIndex) MatchUser(u *store.DirectoryUser) UserOutcome {
	return ix.MatchUsers([]store.DirectoryUser{*u})[0]
}

// MatchUsers matches a tenant's users (those the sync settings include) to
// the contacts, one outcome per user in order. Rules run strongest first over
// all users together: a contact taken at one rule is no candidate at a weaker
// one, and a contact two users claim at the same rule goes to neither: both
// are ambiguous, and so is any later user whose match is that contact.
func (ix *ContactIndex) MatchUsers(users []store.DirectoryUser) []UserOutcome {
	out := make([]UserOutcome, len(users))
	taken := make(map[int]bool)     // contacts linked in this run
	contested := make(map[int]bool) // contacts two users claimed
	var pending []int
	for i := range users {
		u := &users[i]
		out[i].ObjectID = u.ObjectID
		switch l := ix.byObject[strings.ToLower(u.ObjectID)]; {
		case u.ObjectID == "" || len(l) == 0:
			pending = append(pending, i)
		case len(l) == 1:
			out[i].Action, out[i].ContactID, out[i].Rule = ActionUpdate, ix.contacts[l[0]].ID, RuleObjectID
			out[i].Reason = "linked by object id"
			taken[l[0]] = true
		default:
			ix.ambiguous(&out[i], RuleObjectID, l, fmt.Sprintf("%d contacts are linked to this user", len(l)))
		}
	}
	for _, rule := range []Rule{RuleAlias, RuleUPN, RuleName} {
		claims := make(map[int][]int) // contact -> users claiming it
		matchedBy := make(map[int]string)
		var next []int
		for _, i := range pending {
			cands, via := ix.candidates(&users[i], rule)
			var free []int
			blocked := false
			for _, c := range cands {
				switch {
				case contested[c]:
					blocked = true
				case !taken[c]:
					free = append(free, c)
				}
			}
			switch {
			case blocked:
				ix.ambiguous(&out[i], rule, append(free, contestedOf(cands, contested)...),
					fmt.Sprintf("its %s matches a contact other users also match", rule))
			case len(free) == 0:
				next = append(next, i)
			case len(free) == 1:
				claims[free[0]] = append(claims[free[0]], i)
				matchedBy[i] = via
			default:
				ix.ambiguous(&out[i], rule, free, fmt.Sprintf("%d contacts match by %s", len(free), rule))
			}
		}
		contacts := make([]int, 0, len(claims))
		for c := range claims {
			contacts = append(contacts, c)
		}
		sort.Ints(contacts)
		for _, c := range contacts {
			us := claims[c]
			if len(us) == 1 {
				i := us[0]
				out[i].Action, out[i].ContactID, out[i].Rule = ActionLink, ix.contacts[c].ID, rule
				out[i].Reason = linkReason(rule, matchedBy[i])
				taken[c] = true
				continue
			}
			contested[c] = true
			for _, i := range us {
				ix.ambiguous(&out[i], rule, []int{c},
					fmt.Sprintf("%d users match the contact %s by %s", len(us), ix.contacts[c].Name(), rule))
				for _, j := range us {
					if j != i {
						out[i].Rivals = append(out[i].Rivals, users[j].ObjectID)
					}
				}
			}
		}
		pending = next
	}
	for _, i := range pending {
		out[i].Action = ActionCreate
		out[i].Reason = "no contact matches by object id, e-mail, username or name"
	}
	return out
}

func contestedOf(cands []int, contested map[int]bool) []int {
	var out []int
	for _, c := range cands {
		if contested[c] {
			out = append(out, c)
		}
	}
	return out
}

func (ix *ContactIndex) ambiguous(o *UserOutcome, rule Rule, cands []int, reason string) {
	o.Action, o.Rule, o.Reason = ActionAmbiguous, rule, reason
	o.Candidates = o.Candidates[:0]
	for _, c := range cands {
		o.Candidates = append(o.Candidates, ix.contacts[c].ID)
	}
}

func linkReason(rule Rule, via string) string {
	switch rule {
	case RuleAlias:
		return "e-mail alias " + via + " is the contact's e-mail"
	case RuleUPN:
		return "username " + via + " is the contact's e-mail"
	default:
		return "same first and last name: " + via
	}
}

// candidates returns the unlinked contacts u matches by rule, deduplicated,
// and what matched (the address or the name) for the reason.
func (ix *ContactIndex) candidates(u *store.DirectoryUser, rule Rule) ([]int, string) {
	var out []int
	via := ""
	add := func(l []int, what string) {
		for _, c := range l {
			if !containsInt(out, c) {
				out = append(out, c)
				if via == "" {
					via = what
				}
			}
		}
	}
	switch rule {
	case RuleAlias:
		for _, a := range userAliases(u) {
			add(ix.byEmail[a], a)
		}
	case RuleUPN:
		if upn := normEmail(u.UPN); upn != "" {
			add(ix.byEmail[upn], upn)
		}
	case RuleName:
		first, last := userName(u)
		if k := personKey(first, last); k != "" {
			add(ix.byName[k], strings.TrimSpace(first+" "+last))
		}
	}
	return out, via
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// rawAliases is the one alias rule: the user's e-mail addresses as
// Microsoft gives them, trimmed, in order: mail, the smtp proxy addresses
// (primary "SMTP:" and secondary "smtp:"; x500:, sip: and the like are not
// e-mail), other mails. Matching (userAliases) and the contact's other
// e-mails (UserFields) both read it.
func rawAliases(u *store.DirectoryUser) []string {
	out := make([]string, 0, 1+len(u.ProxyAddresses)+len(u.OtherMails))
	out = append(out, strings.TrimSpace(u.Mail))
	for _, p := range u.ProxyAddresses {
		if a, ok := smtpAddress(p); ok {
			out = append(out, a)
		}
	}
	for _, e := range u.OtherMails {
		out = append(out, strings.TrimSpace(e))
	}
	return out
}

// userAliases returns the user's e-mail addresses (rawAliases) lowercased,
// deduplicated, without what is not an address.
func userAliases(u *store.DirectoryUser) []string {
	var out []string
	for _, e := range rawAliases(u) {
		if e = normEmail(e); e != "" && indexOf(out, e) < 0 {
			out = append(out, e)
		}
	}
	return out
}

// smtpAddress returns the address of an "SMTP:" or "smtp:" proxy address.
func smtpAddress(p string) (string, bool) {
	if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") {
		return strings.TrimSpace(p[5:]), true
	}
	return "", false
}

// normEmail lowercases an address; "" when it is not one.
func normEmail(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	if strings.IndexByte(e, '@') <= 0 {
		return ""
	}
	return e
}

// userName returns the user's first and last name: given name and surname,
// or the display name split when both are missing.
func userName(u *store.DirectoryUser) (first, last string) {
	first, last = strings.TrimSpace(u.GivenName), strings.TrimSpace(u.Surname)
	if first == "" && last == "" {
		return splitDisplayName(u.DisplayName)
	}
	return first, last
}

// Candidate is a user a contact could be, and the rule that says so.
type Candidate struct {
	User store.DirectoryUser
	Rule Rule
	Via  string // the address or name that matched
}

// CandidateUsers returns the users the unlinked contact c matches by e-mail
// alias, username or name, each once at its strongest rule, strongest first:
// the users a technician chooses among to resolve an ambiguous contact.
// Users linked to another contact (linked reports it) are no candidates: a
// linked contact belongs to its user.
func CandidateUsers(c store.Contact, users []store.DirectoryUser, linked func(objectID string) bool) []Candidate {
	c.Link = nil
	ix := NewContactIndex("", []store.Contact{c})
	var out []Candidate
	for _, rule := range []Rule{RuleAlias, RuleUPN, RuleName} {
		for i := range users {
			u := &users[i]
			if linked(u.ObjectID) || slices.ContainsFunc(out, func(o Candidate) bool { return strings.EqualFold(o.User.ObjectID, u.ObjectID) }) {
				continue
			}
			if got, via := ix.candidates(u, rule); len(got) > 0 {
				out = append(out, Candidate{User: *u, Rule: rule, Via: via})
			}
		}
	}
	return out
}
