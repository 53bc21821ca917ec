package match

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tenantsync/tenantsync/store"
)

// Scoring thresholds. A suggestion's score is
//
//	score = name + (1-name) * DomainWeight * domain
//
// where name is 1 for the same folded name, 0.95 for the same name after
// normalization (legal suffixes, punctuation, '&'/'and', ü/ue), and otherwise
// 0.9 * (0.6*tokens + 0.4*chars): tokens is an IDF-weighted Jaccard over the
// name's words (typos and abbreviations count partly), chars the trigram Dice
// coefficient of the whole name. domain is 1 when a verified domain of the
// tenant is one of the organization's domains, else 0.9*(1-0.5^n) for n of its
// contacts using it (divided by 1+ln k when k organizations' contacts use it).
const (
	// SuggestFloor is the lowest score kept as a suggestion.
	SuggestFloor = 0.40
	// DuplicateFloor is the lowest score at which creating an organization
	// from a tenant warns about a likely duplicate.
	DuplicateFloor = 0.60
	// AmbiguityMargin: top suggestions closer than this are both marked
	// ambiguous, since a person has to tell them apart.
	AmbiguityMargin = 0.05
	// DomainWeight caps what domain evidence alone can score.
	DomainWeight = 0.80
	// MaxSuggestions is how many suggestions MatchTenant returns.
	MaxSuggestions = 5

	scoreSameName       = 1.0
	scoreNormalizedName = 0.95
	fuzzyNameCap        = 0.90
	softTokenMin        = 0.88 // Jaro-Winkler at which two words count as a typo of each other
)

// Basis says which rule produced a tenant's match state.
type Basis string

const (
	ByNothing   Basis = ""
	ByDecision  Basis = "decision"   // the technician decided
	ByExactName Basis = "exact name" // exactly one organization has the tenant's name
)

// TenantMatch is what matching decided for one tenant.
type TenantMatch struct {
	State  string // store.MatchMatched, store.MatchIgnored or store.MatchUnmatched
	OrgID  uint64 // the matched organization when State is store.MatchMatched
	By     Basis
	Reason string // why, in words the technician reads
	// Suggestions, best first, for an unmatched tenant. Never accepted
	// automatically; Ambiguous ones need a person to tell them apart.
	Suggestions []store.Suggestion
}

// orgEntry is one organization prepared for matching.
type orgEntry struct {
	id   uint64
	name name
	fold string
	tri  []uint64
}

// domainHit is the evidence one domain gives for one organization.
type domainHit struct {
	org      int // index into OrgIndex.orgs
	owned    bool
	contacts int
}

// OrgIndex is the organizations prepared for matching many tenants: built
// once per sync, then read-only and safe for concurrent use.
type OrgIndex struct {
	orgs     []orgEntry
	byID     map[uint64]int
	byFold   map[string][]int // store.Fold(name)
	byKey    map[string][]int // normalized name without spaces
	byToken  map[string][]int // each core token
	byPrefix map[string][]int // first three letters of core tokens of four letters or more
	byDomain map[string][]domainHit
	tokenCap int // posting lists longer than this are too common to find candidates with
}

// NewOrgIndex prepares orgs for matching. contactDomains maps an organization
// id to the e-mail domains its contacts use and how many contacts use each
// (see ContactDomains); it may be nil.
func NewOrgIndex(orgs []store.Organization, contactDomains map[uint64]map[string]int) *OrgIndex {
	ix := &OrgIndex{
		orgs:     make([]orgEntry, 0, len(orgs)),
		byID:     make(map[uint64]int, len(orgs)),
		byFold:   make(map[string][]int, len(orgs)),
		byKey:    make(map[string][]int, len(orgs)),
		byToken:  make(map[string][]int, 2*len(orgs)),
		byPrefix: make(map[string][]int, len(orgs)),
		byDomain: make(map[string][]domainHit, len(orgs)),
		tokenCap: max(64, len(orgs)/10),
	}
	for i := range orgs {
		o := &orgs[i]
		if _, dup := ix.byID[o.ID]; dup {
			continue
		}
		n := parseName(o.Name)
		e := orgEntry{id: o.ID, name: n, fold: store.Fold(o.Name), tri: trigrams(n.key)}
		k := len(ix.orgs)
		ix.orgs = append(ix.orgs, e)
		ix.byID[o.ID] = k
		if e.fold != "" {
			ix.byFold[e.fold] = append(ix.byFold[e.fold], k)
		}
		if n.key != "" {
			ix.byKey[n.key] = append(ix.byKey[n.key], k)
		}
		for j, t := range n.tokens {
			if indexOf(n.tokens[:j], t) >= 0 {
				continue
			}
			ix.byToken[t] = append(ix.byToken[t], k)
			if p, ok := prefix3(t); ok {
				if l := ix.byPrefix[p]; len(l) == 0 || l[len(l)-1] != k {
					ix.byPrefix[p] = append(l, k)
				}
			}
		}
		owned := map[string]bool{}
		for _, d := range o.Domains {
			d = normDomain(d)
			if ignoredDomain(d) || owned[d] {
				continue
			}
			owned[d] = true
			ix.byDomain[d] = append(ix.byDomain[d], domainHit{org: k, owned: true, contacts: contactDomains[o.ID][d]})
		}
		for d, n := range contactDomains[o.ID] {
			d = normDomain(d)
			if n <= 0 || ignoredDomain(d) || owned[d] {
				continue
			}
			ix.byDomain[d] = append(ix.byDomain[d], domainHit{org: k, contacts: n})
		}
	}
	return ix
}

// ContactDomains counts, per organization, the contacts using each e-mail
// domain (primary or other e-mail; a contact counts once per domain), leaving
// out public mail providers and onmicrosoft.com, and contacts that are no
// evidence (see IsEvidence). It is NewOrgIndex's second argument.
func ContactDomains(contacts []store.Contact) map[uint64]map[string]int {
	out := make(map[uint64]map[string]int)
	var seen []string
	for i := range contacts {
		c := &contacts[i]
		if !IsEvidence(c.Source, c.Link != nil) {
			continue
		}
		seen = seen[:0]
		for _, e := range c.Emails() {
			d := emailDomain(e)
			if ignoredDomain(d) || indexOf(seen, d) >= 0 {
				continue
			}
			seen = append(seen, d)
			addDomain(out, c.OrgID, d)
		}
	}
	return out
}

// ContactRowDomains is ContactDomains over list rows, which carry the
// primary e-mail only: what a sync builds its index from without decoding
// every contact.
func ContactRowDomains(rows []*store.Row) map[uint64]map[string]int {
	out := make(map[uint64]map[string]int)
	for _, r := range rows {
		if r.Kind != store.KindContact || !IsEvidence(sourceOfRow(r), r.Flags&store.RowLinked != 0) {
			continue
		}
		if d := emailDomain(r.Email); d != "" && !ignoredDomain(d) {
			addDomain(out, r.OrgID, d)
		}
	}
	return out
}

func sourceOfRow(r *store.Row) store.Source {
	if r.Flags&store.RowFromTenant != 0 {
		return store.SourceTenant
	}
	return store.SourceManual
}

// IsEvidence reports whether a contact's e-mail domain may suggest an
// organization for a tenant. Contacts sync created, or linked to a user,
// came into the organization with (or were changed by) a tenant's match:
// counting them would let a match, even a wrong one since reverted, vouch
// for itself. A verified domain belongs to one tenant only, so the one
// tenant they could be evidence for is the one they came from.
func IsEvidence(source store.Source, linked bool) bool {
	return source != store.SourceTenant && !linked
}

func addDomain(out map[uint64]map[string]int, orgID uint64, d string) {
	m := out[orgID]
	if m == nil {
		m = make(map[string]int)
		out[orgID] = m
	}
	m[d]++
}

// MatchTenant decides which organization t belongs to. d is the technician's
// decision for t, or nil. A matched or ignored decision wins; a reverted one
// (store.MatchUnmatched) keeps the tenant unmatched even when an organization
// has its exact name, with suggestions to pick from.
func (ix *OrgIndex) MatchTenant(t store.Tenant, d *store.Decision) TenantMatch {
	reverted := false
	gone := ""
	if d != nil {
		switch d.State {
		case store.MatchIgnored:
			return TenantMatch{State: store.MatchIgnored, By: ByDecision, Reason: "ignored by the technician"}
		case store.MatchMatched:
			if _, ok := ix.byID[d.OrgID]; ok {
				return TenantMatch{State: store.MatchMatched, OrgID: d.OrgID, By: ByDecision, Reason: "matched by the technician"}
			}
			// The organization was deleted since; matching it would dangle.
			reverted = true
			gone = "the organization the technician matched no longer exists"
		case store.MatchUnmatched:
			reverted = true
		}
	}
	domains := tenantDomains(t)
	if !reverted {
		if exact := ix.byFold[store.Fold(t.DisplayName)]; len(exact) == 1 && store.Fold(t.DisplayName) != "" {
			return TenantMatch{
				State:  store.MatchMatched,
				OrgID:  ix.orgs[exact[0]].id,
				By:     ByExactName,
				Reason: fmt.Sprintf("same name as the organization %q", ix.orgs[exact[0]].name.raw),
			}
		}
	}
	m := TenantMatch{State: store.MatchUnmatched, Suggestions: ix.suggest(t.DisplayName, domains, SuggestFloor, MaxSuggestions)}
	switch {
	case gone != "":
		m.Reason = gone
	case reverted:
		m.Reason = "match reverted by the technician"
	case len(m.Suggestions) == 0:
		m.Reason = "no organization looks like this tenant"
	case m.Suggestions[0].Ambiguous:
		m.Reason = "several organizations look like this tenant"
	default:
		m.Reason = "suggestion waiting for the technician"
	}
	return m
}

// LikelyDuplicates returns the organizations that look like the same company
// as name with the given e-mail domains, best first: the warning shown before
// an organization is created from a tenant.
func (ix *OrgIndex) LikelyDuplicates(name string, domains []string) []store.Suggestion {
	ds := make([]string, 0, len(domains))
	for _, d := range domains {
		if d = normDomain(d); !ignoredDomain(d) && indexOf(ds, d) < 0 {
			ds = append(ds, d)
		}
	}
	return ix.suggest(name, ds, DuplicateFloor, 0)
}

// tenantDomains returns the tenant's domains that can be evidence.
func tenantDomains(t store.Tenant) []string {
	out := make([]string, 0, len(t.Domains)+1)
	for _, d := range append([]string{t.DefaultDomain}, t.Domains...) {
		if d = normDomain(d); !ignoredDomain(d) && indexOf(out, d) < 0 {
			out = append(out, d)
		}
	}
	return out
}

// candidate is one organization being scored against a tenant.
type candidate struct {
	org       int
	score     float64
	nameScore float64
	domain    float64
	reason    string
}

// suggest scores the organizations that share a word, a spelling or a domain
// with the tenant and returns those at or above floor, best first; limit <= 0
// means all.
func (ix *OrgIndex) suggest(display string, domains []string, floor float64, limit int) []store.Suggestion {
	tn := parseName(display)
	tfold := store.Fold(display)
	cands := ix.candidates(tn, tfold, domains)
	if len(cands) == 0 {
		return nil
	}
	ttri := trigrams(tn.key)
	weights := ix.weights(tn.tokens)
	var scored []candidate
	for _, k := range cands {
		c := ix.score(tn, tfold, ttri, weights, domains, k)
		if c.score >= floor {
			scored = append(scored, c)
		}
	}
	sort.Slice(scored, func(i, j int) bool {
		a, b := scored[i], scored[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.domain != b.domain {
			return a.domain > b.domain
		}
		return ix.orgs[a.org].id < ix.orgs[b.org].id
	})
	if len(scored) == 0 {
		return nil
	}
	out := make([]store.Suggestion, 0, len(scored))
	for _, c := range scored {
		out = append(out, store.Suggestion{OrgID: ix.orgs[c.org].id, Score: round3(c.score), Reason: c.reason})
	}
	// Ambiguous: several organizations carry the tenant's exact name, or the
	// best ones score too close to tell apart.
	if len(scored) > 1 && scored[0].score-scored[1].score < AmbiguityMargin {
		for i := range scored {
			if scored[0].score-scored[i].score < AmbiguityMargin {
				out[i].Ambiguous = true
			}
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// candidates returns the organizations worth scoring: same folded or
// normalized name, a shared word or word beginning, or a shared domain.
// Words that half the organizations use ("and", "services") find nothing.
func (ix *OrgIndex) candidates(tn name, tfold string, domains []string) []int {
	seen := make(map[int]bool)
	var out []int
	add := func(l []int) {
		for _, k := range l {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	add(ix.byFold[tfold])
	add(ix.byKey[tn.key])
	for _, t := range tn.tokens {
		if l := ix.byToken[t]; len(l) <= ix.tokenCap {
			add(l)
		}
		if p, ok := prefix3(t); ok {
			if l := ix.byPrefix[p]; len(l) <= ix.tokenCap {
				add(l)
			}
		}
	}
	for _, d := range domains {
		for _, h := range ix.byDomain[d] {
			add([]int{h.org})
		}
	}
	return out
}

// weights returns each tenant token's inverse document frequency among the
// organizations' names: a shared "Contoso" says more than a shared "Services".
func (ix *OrgIndex) weights(tokens []string) []float64 {
	w := make([]float64, len(tokens))
	for i, t := range tokens {
		w[i] = ix.idf(t)
	}
	return w
}

func (ix *OrgIndex) idf(t string) float64 {
	return math.Log(float64(len(ix.orgs)+1)/float64(len(ix.byToken[t])+1)) + 1
}

// score rates organization k against the tenant name and domains.
func (ix *OrgIndex) score(tn name, tfold string, ttri []uint64, tw []float64, domains []string, k int) candidate {
	o := &ix.orgs[k]
	c := candidate{org: k}
	var nameReason string
	switch {
	case tfold != "" && tfold == o.fold:
		c.nameScore = scoreSameName
		if n := len(ix.byFold[tfold]); n > 1 {
			nameReason = fmt.Sprintf("same name; %d organizations are named %q", n, o.name.raw)
		} else {
			nameReason = "same name"
		}
	case tn.key != "" && tn.key == o.name.key:
		c.nameScore = scoreNormalizedName
		nameReason = "same name once " + sameNameOnce(tn, o.name)
	default:
		tok, shared := ix.tokenSimilarity(tn, tw, o.name)
		chars := dice(ttri, o.tri)
		c.nameScore = fuzzyNameCap * (0.6*tok + 0.4*chars)
		if c.nameScore >= 0.2 {
			if len(shared) > 0 {
				nameReason = "similar name, both contain " + quoteList(shared)
			} else {
				nameReason = "similar spelling of the name"
			}
		}
	}
	var domainReason string
	c.domain, domainReason = ix.domainEvidence(domains, k, nameReason != "")
	c.score = c.nameScore + (1-c.nameScore)*DomainWeight*c.domain
	switch {
	case nameReason != "" && domainReason != "":
		c.reason = nameReason + "; " + domainReason
	case nameReason != "":
		c.reason = nameReason
	default:
		c.reason = domainReason
	}
	return c
}

// tokenSimilarity is a soft, IDF-weighted Jaccard of the two names' words:
// equal words count fully, typos and abbreviations ("Pharma",
// "Pharmaceuticals") partly. It also returns the tenant's words found in the
// organization's name, as written.
func (ix *OrgIndex) tokenSimilarity(tn name, tw []float64, on name) (float64, []string) {
	if len(tn.tokens) == 0 || len(on.tokens) == 0 {
		return 0, nil
	}
	used := make([]bool, len(on.tokens))
	var matched, union float64
	var shared []string
	for i, t := range tn.tokens {
		union += tw[i]
		best, bestJ := 0.0, -1
		for j, u := range on.tokens {
			if used[j] {
				continue
			}
			s := wordSimilarity(t, u)
			if s > best {
				best, bestJ = s, j
			}
		}
		if bestJ < 0 || best == 0 {
			continue
		}
		used[bestJ] = true
		matched += best * (tw[i] + ix.idf(on.tokens[bestJ])) / 2
		if best == 1 {
			shared = append(shared, tn.words[i])
		}
	}
	for _, u := range on.tokens {
		union += ix.idf(u)
	}
	union -= matched
	if union <= 0 {
		return 1, shared
	}
	return matched / union, shared
}

// wordSimilarity: 1 for the same word, partial credit for a typo or for one
// word abbreviating the other, else 0.
func wordSimilarity(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if min(la, lb) >= 4 && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a)) {
		return 0.8
	}
	if min(la, lb) < 4 {
		return 0 // short words: a typo is a different word
	}
	if s := jaroWinkler(a, b); s >= softTokenMin {
		return s * 0.9
	}
	return 0
}

// domainEvidence returns the strongest evidence the tenant's domains give
// for organization k, in 0..1, and the reason in words.
func (ix *OrgIndex) domainEvidence(domains []string, k int, also bool) (float64, string) {
	best, reason := 0.0, ""
	for _, d := range domains {
		hits := ix.byDomain[d]
		users := 0
		for _, h := range hits {
			if h.contacts > 0 {
				users++
			}
		}
		for _, h := range hits {
			if h.org != k {
				continue
			}
			var e float64
			var r string
			switch {
			case h.owned && h.contacts > 0:
				e = 1
				r = fmt.Sprintf("domain %s is one of its domains and used by %s", d, contactsPhrase(h.contacts))
			case h.owned:
				e = 1
				r = fmt.Sprintf("domain %s is one of its domains", d)
			default:
				e = 0.9 * (1 - math.Pow(0.5, float64(h.contacts)))
				if users > 1 {
					e /= 1 + math.Log(float64(users))
				}
				verb := "is used by"
				if also {
					verb = "is also used by"
				}
				r = fmt.Sprintf("domain %s %s %s", d, verb, contactsPhrase(h.contacts))
				switch users {
				case 1:
				case 2:
					r += " (and by contacts of one other organization)"
				default:
					r += fmt.Sprintf(" (and by contacts of %d other organizations)", users-1)
				}
			}
			if e > best {
				best, reason = e, r
			}
		}
	}
	return best, reason
}

func contactsPhrase(n int) string {
	if n == 1 {
		return "one of its contacts' e-mail addresses"
	}
	return fmt.Sprintf("%d of its contacts' e-mail addresses", n)
}

// sameNameOnce explains what normalization made two names equal, completing
// "same name once ...".
func sameNameOnce(a, b name) string {
	var parts []string
	if (a.amp && b.and) || (a.and && b.amp) {
		parts = append(parts, "'&' is read as 'and'")
	}
	if strings.Join(a.plain, "") != strings.Join(b.plain, "") {
		parts = append(parts, umlautPhrase(a.raw+b.raw))
	}
	var suffixes, seen []string
	for _, s := range append(append([]string(nil), a.stripped...), b.stripped...) {
		if f := foldWord(s); indexOf(seen, f) < 0 {
			seen = append(seen, f)
			suffixes = append(suffixes, s)
		}
	}
	switch len(suffixes) {
	case 0:
	case 1:
		parts = append(parts, quoteList(suffixes)+" is ignored")
	default:
		parts = append(parts, quoteList(suffixes)+" are ignored")
	}
	switch len(parts) {
	case 0:
		return "punctuation and spacing are ignored"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + ", and " + parts[len(parts)-1]
}

// umlautPhrase names the German spellings that made two names meet.
func umlautPhrase(raw string) string {
	raw = strings.ToLower(raw)
	var from, to []string
	for _, p := range [][2]string{{"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}} {
		if strings.Contains(raw, p[0]) {
			from, to = append(from, p[0]), append(to, p[1])
		}
	}
	switch len(from) {
	case 0:
		return "'ae', 'oe' and 'ue' are read as 'a', 'o' and 'u'"
	case 1:
		return quoteList(from) + " is read as " + quoteList(to)
	}
	return quoteList(from) + " are read as " + quoteList(to)
}

// quoteList renders "'Ltd' and 'Limited'".
func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "'"
	}
	return joinAnd(q, ", ")
}

// joinAnd joins with sep and a final " and ".
func joinAnd(parts []string, sep string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], sep) + " and " + parts[len(parts)-1]
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// prefix3 returns the first three letters of a word of four letters or more.
func prefix3(t string) (string, bool) {
	n, i := 0, 0
	for i < len(t) && n < 3 {
		_, size := utf8.DecodeRuneInString(t[i:])
		i += size
		n++
	}
	if n < 3 || i >= len(t) {
		return "", false
	}
	return t[:i], true
}
