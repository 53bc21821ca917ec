package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantsync/tenantsync/store"
)

// legalSuffixes are company-form words (folded, dots and slashes removed)
// that say nothing about which company a name means. They are stripped only
// from the end of a name, repeatedly, so "GmbH & Co. KG" and "Pty Ltd" go too.
var legalSuffixes = setOf(
	"inc", "incorporated", "llc", "ltd", "limited", "gmbh", "mbh", "gesmbh", "ag", "kg", "kgaa",
	"ohg", "gbr", "ug", "ev", "pty", "pte", "pvt", "sa", "sas", "sarl", "srl", "sl", "spa",
	"bv", "nv", "cv", "plc", "corp", "corporation", "co", "company", "ab", "as", "asa", "aps",
	"oy", "oyj", "lp", "llp", "pc", "pllc", "kft", "sro", "sdn", "bhd", "ltda", "lda", "se",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// name is a company name broken into comparable tokens.
type name struct {
	raw    string
	tokens []string // core tokens: folded, legal suffixes stripped, umlaut spellings collapsed
	plain  []string // the same tokens before umlaut collapsing, for explanations
	words  []string // the same tokens as written, for explanations
	key    string   // tokens concatenated without spaces: "A&B" and "A and B" give "aandb"
	// What normalization removed or rewrote, for the reason text.
	stripped []string // legal suffixes as written, e.g. "Inc."
	amp      bool     // an '&' was read as "and"
	and      bool     // the word "and" was written out
}

// rawToken is one word of a name as written, with its folded form.
type rawToken struct {
	text   string
	folded string
}

// parseName splits s into tokens. Punctuation separates words except '.',
// '/' and apostrophes inside a word: "L.L.C." and "A/S" become "llc" and
// "as", while "contoso.com" becomes "contoso com".
func parseName(s string) name {
	n := name{raw: s}
	var words []rawToken
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		words = append(words, splitWord(s[start:end])...)
		start = -1
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
			}
		case r == '.' || r == '/' || r == '\'' || r == '’':
			// joiner: stays inside the word, handled by splitWord
		case r == '&' || r == '+':
			flush(i)
			words = append(words, rawToken{text: string(r), folded: "and"})
			n.amp = true
		default:
			flush(i)
		}
	}
	flush(len(s))
	for i, w := range words {
		if w.folded == "und" {
			words[i].folded = "and" // German "Müller und Söhne" is "Müller & Söhne"
		}
		if words[i].folded == "and" && w.text != "&" && w.text != "+" {
			n.and = true
		}
	}

	core := words
	for len(core) > 1 {
		last := core[len(core)-1]
		if !legalSuffixes[last.folded] && last.folded != "and" {
			break
		}
		if last.folded != "and" {
			n.stripped = append(n.stripped, last.text)
		}
		core = core[:len(core)-1]
	}
	// Reverse so the reason lists suffixes in reading order.
	for i, j := 0, len(n.stripped)-1; i < j; i, j = i+1, j-1 {
		n.stripped[i], n.stripped[j] = n.stripped[j], n.stripped[i]
	}
	if len(core) > 1 && core[0].folded == "the" {
		n.stripped = append([]string{core[0].text}, n.stripped...)
		core = core[1:]
	}
	if len(core) == 0 || (len(core) == 1 && (core[0].folded == "and" || core[0].folded == "the")) {
		core, n.stripped = words, nil
	}
	n.tokens = make([]string, len(core))
	n.plain = make([]string, len(core))
	n.words = make([]string, len(core))
	var b strings.Builder
	for i, w := range core {
		n.plain[i] = w.folded
		n.words[i] = w.text
		n.tokens[i] = collapseUmlauts(w.folded)
		b.WriteString(n.tokens[i])
	}
	n.key = b.String()
	return n
}

// splitWord folds one word that may hold '.', '/' or apostrophes. Dotted
// initials ("L.L.C.", "S.A.", "A/S") join into one token; anything else
// ("contoso.com") splits at the dots and slashes. Apostrophes just vanish.
func splitWord(w string) []rawToken {
	text := strings.TrimRight(w, "'’")
	w = strings.NewReplacer("'", "", "’", "").Replace(w)
	parts := strings.FieldsFunc(w, func(r rune) bool { return r == '.' || r == '/' })
	if len(parts) == 0 {
		return nil
	}
	initials := len(parts) > 1
	for _, p := range parts {
		if utf8.RuneCountInString(p) != 1 {
			initials = false
			break
		}
	}
	if initials || len(parts) == 1 {
		return []rawToken{{text: text, folded: foldWord(strings.Join(parts, ""))}}
	}
	out := make([]rawToken, len(parts))
	for i, p := range parts {
		out[i] = rawToken{text: p, folded: foldWord(p)}
	}
	return out
}

// foldWord folds like store.Fold and drops anything that is not a letter or
// digit (combining marks left behind by odd input).
func foldWord(w string) string {
	f := store.Fold(w)
	clean := true
	for _, r := range f {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			clean = false
			break
		}
	}
	if clean {
		return f
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, f)
}

// collapseUmlauts maps the German transliterations ae, oe, ue to the vowel
// store.Fold leaves for ä, ö, ü, so "Müller" and "Mueller" meet at "muller".
// Applied to both sides of a comparison it only ever merges spellings.
func collapseUmlauts(s string) string {
	if !strings.Contains(s, "ae") && !strings.Contains(s, "oe") && !strings.Contains(s, "ue") {
		return s
	}
	return umlautReplacer.Replace(s)
}

var umlautReplacer = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")

// personKey is the comparable form of a person's first + last name, or ""
// when either is missing: one name alone is too weak to match on.
func personKey(first, last string) string {
	f := collapseUmlauts(foldPersonName(first))
	l := collapseUmlauts(foldPersonName(last))
	if f == "" || l == "" {
		return ""
	}
	return f + "|" + l
}

// foldPersonName folds a name and reduces punctuation to single spaces, so
// "Jean-Luc" and "Jean Luc" compare equal.
func foldPersonName(s string) string {
	f := store.Fold(s)
	return strings.Join(strings.FieldsFunc(f, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// splitDisplayName guesses first and last name from a display name:
// "Smith, John" or "John Smith"; a parenthesized note is dropped
// ("John Smith (Contractor)"). A single word is a first name only.
func splitDisplayName(s string) (first, last string) {
	if i := strings.IndexByte(s, '('); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if l, f, ok := strings.Cut(s, ","); ok {
		return strings.TrimSpace(f), strings.TrimSpace(l)
	}
	fields := strings.Fields(s)
	switch len(fields) {
	case 0:
		return "", ""
	case 1:
		return fields[0], ""
	}
	return strings.Join(fields[:len(fields)-1], " "), fields[len(fields)-1]
}

// normDomain lowercases a domain and drops a leading '@' and trailing dot.
func normDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "@")
	return strings.TrimSuffix(d, ".")
}

// emailDomain returns the normalized domain of an e-mail address, or "".
func emailDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return normDomain(addr[i+1:])
}

// publicMailDomains are free mail providers: sharing one says nothing about
// which company a person works for.
var publicMailDomains = setOf(
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
	"yahoo.com", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
	"protonmail.com", "pm.me", "gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "web.de",
	"t-online.de", "freenet.de", "mail.com", "zoho.com", "yandex.com", "yandex.ru", "mail.ru",
	"comcast.net", "verizon.net", "att.net", "sbcglobal.net", "btinternet.com", "sky.com",
	"orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "libero.it", "bigpond.com",
	"shaw.ca", "rogers.com", "qq.com", "163.com", "naver.com", "fastmail.com", "hey.com",
)

// publicMailBrands are providers with a domain per country: hotmail.co.uk,
// outlook.de, yahoo.fr.
var publicMailBrands = setOf("gmail", "hotmail", "outlook", "live", "yahoo", "gmx", "msn", "windowslive")

// ignoredDomain reports whether d says nothing about a company: Microsoft's
// initial domains and public mail providers.
func ignoredDomain(d string) bool {
	switch {
	case d == "" || !strings.Contains(d, "."):
		return true
	case d == "onmicrosoft.com" || strings.HasSuffix(d, ".onmicrosoft.com"),
		strings.HasSuffix(d, ".onmicrosoft.de"), strings.HasSuffix(d, ".partner.onmschina.cn"):
		return true
	case publicMailDomains[d]:
		return true
	}
	label, rest, _ := strings.Cut(d, ".")
	return publicMailBrands[label] && strings.Count(rest, ".") <= 1 && len(rest) <= 6
}
