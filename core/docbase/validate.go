package docbase

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"github.com/tenantsync/tenantsync/store"
)

// ErrInvalid is a record a technician typed or imported that cannot be
// saved as it is; the error's text lists every problem.
var ErrInvalid = errors.New("invalid")

// Invalid lists what is wrong with a record. It matches ErrInvalid.
type Invalid struct{ Problems []string }

func (e *Invalid) Error() string { return strings.Join(e.Problems, "; ") }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Invalid) Is(target error) bool { return target == ErrInvalid }

// NormalizeDomain turns what people paste for a domain ("https://www.x.com/")
// into the domain itself, lowercased.
func NormalizeDomain(d string) string {
	d = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "https://"), "http://")
	return strings.TrimPrefix(strings.TrimSuffix(d, "/"), "www.")
}

// ValidDomain reports whether d is a domain name.
func ValidDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return false
			}
		}
	}
	return true
}

// ParseEmail returns the address in s ("Ada <ada@x.com>" or "ada@x.com")
// when it is one with a valid domain.
func ParseEmail(s string) (string, bool) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", false
	}
	at := strings.LastIndex(a.Address, "@")
	if at <= 0 || !ValidDomain(strings.ToLower(a.Address[at+1:])) {
		return "", false
	}
	return a.Address, true
}

// CheckEmail says what is wrong with one e-mail a form holds; "" is fine.
func CheckEmail(s string) error {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	if _, ok := ParseEmail(s); !ok {
		return fmt.Errorf("%q is not an e-mail address", s)
	}
	return nil
}

// CheckEmails checks a comma-separated list of e-mails.
func CheckEmails(s string) error {
	for _, e := range SplitList(s) {
		if err := CheckEmail(e); err != nil {
			return err
		}
	}
	return nil
}

// CheckDomains checks a comma-separated list of domains.
func CheckDomains(s string) error {
	for _, d := range SplitList(s) {
		if d = NormalizeDomain(d); !ValidDomain(d) {
			return fmt.Errorf("%q is not a domain", d)
		}
	}
	return nil
}

// SplitList splits a list a person typed on commas, semicolons and line
// breaks.
func SplitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// CheckOrg normalizes an organization's domains and lists what keeps it
// from being saved. Import and the edit form both use it.
func CheckOrg(o *store.Organization) []string {
	var bad []string
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		bad = append(bad, "organization name is empty")
	}
	var domains []string
	for _, d := range o.Domains {
		d = NormalizeDomain(d)
		if !ValidDomain(d) {
			bad = append(bad, fmt.Sprintf("%q is not a domain", d))
			continue
		}
		domains = append(domains, d)
	}
	o.Domains = domains
	return bad
}

// CheckContact normalizes a contact's e-mails (an other e-mail that repeats
// one before it goes) and lists what keeps it from being saved.
// Import and the edit form both use it.
func CheckContact(c *store.Contact) []string {
	var bad []string
	if p := strings.TrimSpace(c.PrimaryEmail); p != "" {
		addr, ok := ParseEmail(p)
		if !ok {
			bad = append(bad, fmt.Sprintf("%q is not an e-mail address", p))
		}
		c.PrimaryEmail = addr
	}
	others := c.OtherEmails
	c.OtherEmails = nil
	for _, e := range others {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		addr, ok := ParseEmail(e)
		if !ok {
			bad = append(bad, fmt.Sprintf("%q is not an e-mail address", e))
			continue
		}
		dup := strings.EqualFold(c.PrimaryEmail, addr)
		for _, o := range c.OtherEmails {
			dup = dup || strings.EqualFold(o, addr)
		}
		if !dup {
			c.OtherEmails = append(c.OtherEmails, addr)
		}
	}
	if c.FirstName == "" && c.LastName == "" && c.PrimaryEmail == "" {
		bad = append(bad, "contact has neither a name nor an e-mail")
	}
	return bad
}
