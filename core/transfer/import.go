// Package transfer imports and exports the technician's own documentation
// (organizations and contacts) as CSV and JSON, so an MSP can bring what it
// already keeps in IT Glue or a spreadsheet and take it out again.
package transfer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantsync/tenantsync/core/docbase"
	"github.com/tenantsync/tenantsync/store"
)

// ErrInvalidRows means the input had bad rows and nothing was written.
var ErrInvalidRows = errors.New("input has invalid rows; nothing was imported (fix them, or import the valid rows with --skip-invalid)")

// Problem is one bad row of an input file.
type Problem struct {
	File   string
	Line   int
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason) }

// Result says what an import did, or (dry run) would do.
type Result struct {
	Kind            string // "organizations" or "contacts"
	Rows            int    // data rows read
	Organizations   int    // organizations created
	Contacts        int    // contacts created
	AlreadyPresent  int    // rows skipped because the record exists
	Problems        []Problem
	SkippedProblems bool // rows with problems were left out on request
}

// Options control an import.
type Options struct {
	File        string   // name used in problem reports
	SkipInvalid bool     // import the valid rows even when some are bad
	DryRun      bool     // validate and count, write nothing
	Encoding    Encoding // how to read bytes that are not UTF-8; see EncodingAuto
}

// column aliases, compared after normalizeHeader.
var (
	orgColumns = map[string][]string{
		"name":       {"name", "organization", "organizationname", "company", "companyname", "customer", "client"},
		"short_name": {"shortname", "abbreviation", "code"},
		"type":       {"type", "organizationtype", "orgtype"},
		"status":     {"status", "organizationstatus"},
		"domains":    {"domains", "domain", "emaildomains", "website"},
		"notes":      {"notes", "description", "quicknotes"},
	}
	contactColumns = map[string][]string{
		"organization": {"organization", "organizationname", "company", "companyname", "customer", "client", "org"},
		"first_name":   {"firstname", "givenname", "first"},
		"last_name":    {"lastname", "surname", "familyname", "last"},
		"name":         {"name", "fullname", "contactname", "displayname"},
		"title":        {"title", "jobtitle", "position", "role"},
		"email":        {"email", "emailaddress", "primaryemail", "emails", "workemail", "mail", "contactemails", "emailaddresses"},
		"other_emails": {"otheremails", "secondaryemail", "alternateemail", "aliases", "homeemail"},
		"office_phone": {"phone", "officephone", "workphone", "phonework", "businessphone", "primaryphone", "telephone", "phones", "contactphones", "phonenumbers"},
		"mobile":       {"mobile", "mobilephone", "cell", "cellphone", "phonemobile"},
		"notes":        {"notes", "description"},
	}
)

func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimPrefix(h, "\ufeff")) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// duplicateColumn refuses a header that names a recognized column twice
// ("Email" and "E-mail"): one of the two would be dropped without a word.
// Unrecognized columns may repeat, and different names for one field
// ("Description" and "Quick Notes") are not duplicates.
func duplicateColumn(file string, header []string, aliases map[string][]string) error {
	first := map[string]int{}
	for i, h := range header {
		n := normalizeHeader(h)
		if !knownColumn(n, aliases) {
			continue
		}
		if j, dup := first[n]; dup {
			return fmt.Errorf("%s: the header names the same column twice: %q (column %d) and %q (column %d); rename or remove one",
				file, strings.TrimPrefix(header[j], "\ufeff"), j+1, h, i+1)
		}
		first[n] = i
	}
	return nil
}

func knownColumn(normalized string, aliases map[string][]string) bool {
	for _, names := range aliases {
		if slices.Contains(names, normalized) {
			return true
		}
	}
	return false
}

// cleanField cleans a cell or JSON value before it is checked and stored:
// control characters (Unicode Cc) go, with any ANSI escape sequence they
// start, and so do the bidi controls that make text display in another order
// than it is stored (a name or title shown reversed). Notes keep their tabs
// and line breaks. CSV and JSON import both clean through here.
func cleanField(field, v string) string {
	return strings.TrimSpace(cleanText(v, field == "notes"))
}

func cleanText(s string, multiline bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1B: // ESC
			i += escapeLen(s[i:])
		case r == 0x9B: // CSI as one C1 character
			i += n + csiLen(s[i+n:])
		case multiline && (r == '\n' || r == '\t'),
			!unicode.IsControl(r) && !unicode.Is(unicode.Bidi_Control, r):
			b.WriteString(s[i : i+n])
			i += n
		default:
			i += n
		}
	}
	return b.String()
}

// escapeLen returns the length of the escape sequence at the start of s,
// which starts with ESC (ECMA-48): a control sequence (ESC [), a control
// string (ESC ] and the like, up to BEL or ESC \), or ESC, intermediate
// bytes and a final byte. A control string unterminated within
// maxControlString bytes loses only its introducer, so the text after it
// stays, and a cell full of introducers costs linear time.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		return 2 + csiLen(s[2:])
	case ']', 'P', 'X', '^', '_':
		for j := 2; j < len(s) && j < maxControlString; j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1B && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return 2
	}
	j := 1
	for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2F {
		j++
	}
	if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7E {
		j++
	}
	return j
}

// maxControlString bounds the search for the end of a control string; a
// terminal title or hyperlink is far shorter.
const maxControlString = 512

// csiLen returns the length of a control sequence's parameter, intermediate
// and final bytes at the start of s.
func csiLen(s string) int {
	j := 0
	for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3F {
		j++
	}
	for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2F {
		j++
	}
	if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7E {
		j++
	}
	return j
}

// mapHeader returns field -> column index for the columns it recognizes.
func mapHeader(header []string, aliases map[string][]string) map[string]int {
	out := map[string]int{}
	for i, h := range header {
		n := normalizeHeader(h)
		for field, names := range aliases {
			if _, taken := out[field]; taken {
				continue
			}
			for _, a := range names {
				if n == a {
					out[field] = i
				}
			}
		}
	}
	return out
}

// isContactsHeader tells a contacts file from an organizations file: contacts
// have person columns.
func isContactsHeader(cols map[string]int) bool {
	for _, f := range []string{"first_name", "last_name", "email", "title", "mobile"} {
		if _, ok := cols[f]; ok {
			return true
		}
	}
	return false
}

// ImportCSV reads organizations or contacts (told apart by the header) and
// writes them in one transaction: all valid rows, or nothing when any row is
// bad and opt.SkipInvalid is off.
//
// Cells are cleaned as cleanField says; a single quote that marks a formula
// as text (see neutralizeFormula) is taken off.
func ImportCSV(ctx context.Context, s *store.Store, r io.Reader, opt Options) (Result, error) {
	text, err := decodeInput(r, opt.Encoding, opt.File)
	if err != nil {
		return Result{}, err
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return Result{}, fmt.Errorf("%s: read header: %w", opt.File, err)
	}
	contactCols := mapHeader(header, contactColumns)
	var rows []record
	var problems []Problem
	kind, aliases := "organizations", orgColumns
	cols := mapHeader(header, orgColumns)
	if isContactsHeader(contactCols) {
		kind, aliases, cols = "contacts", contactColumns, contactCols
		if _, ok := cols["organization"]; !ok {
			return Result{}, fmt.Errorf("%s: no organization column (expected one of: organization, company)", opt.File)
		}
	} else if _, ok := cols["name"]; !ok {
		return Result{}, fmt.Errorf("%s: cannot tell what this file holds: no organization name column and no contact columns (first name, last name, e-mail)", opt.File)
	}
	if err := duplicateColumn(opt.File, header, aliases); err != nil {
		return Result{}, err
	}
	unparsable := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A row the reader cannot split is a bad row like any other. The
			// reader has consumed it, so reading goes on with the next one.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problems = append(problems, parseProblem(opt.File, pe))
				unparsable++
				continue
			}
			return Result{}, fmt.Errorf("%s: %w", opt.File, err)
		}
		if blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0) // rec has at least one field: Read succeeded
		get := func(f string) string {
			if i, ok := cols[f]; ok && i < len(rec) {
				return cleanField(f, unneutralizeFormula(strings.TrimSpace(rec[i])))
			}
			return ""
		}
		rows = append(rows, record{line: line, get: get})
	}
	var res Result
	if kind == "contacts" {
		res, err = importContacts(ctx, s, rows, problems, opt)
	} else {
		res, err = importOrgs(ctx, s, rows, problems, opt)
	}
	res.Rows += unparsable
	return res, err
}

// parseProblem reports a row the CSV reader could not split, at the line the
// row starts on, with a hint for the usual cause (a quote inside a cell).
func parseProblem(file string, pe *csv.ParseError) Problem {
	reason := pe.Err.Error()
	if pe.Line != pe.StartLine {
		reason += fmt.Sprintf(" (at line %d)", pe.Line)
	}
	if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) {
		reason += `: a cell holding a quote must be put in quotes with the quote doubled, as in "Bob ""The Builder"" Org"`
	}
	return Problem{file, pe.StartLine, reason}
}

type record struct {
	line int
	get  func(field string) string
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func importOrgs(ctx context.Context, s *store.Store, rows []record, problems []Problem, opt Options) (Result, error) {
	res := Result{Kind: "organizations", Rows: len(rows)}
	var orgs []store.Organization
	seen := map[string]int{}
	for _, r := range rows {
		o, bad := orgFromRecord(r.get)
		if prev, dup := seen[store.Fold(o.Name)]; dup && o.Name != "" {
			bad = append(bad, fmt.Sprintf("organization %q is already on line %d", o.Name, prev))
		}
		if len(bad) > 0 {
			problems = append(problems, Problem{opt.File, r.line, strings.Join(bad, "; ")})
			continue
		}
		seen[store.Fold(o.Name)] = r.line
		orgs = append(orgs, o)
	}
	res.Problems = problems
	if len(problems) > 0 && !opt.SkipInvalid {
		return res, ErrInvalidRows
	}
	res.SkippedProblems = len(problems) > 0
	err := write(ctx, s, opt.DryRun, func(tx *store.Tx) error {
		res.Organizations, res.AlreadyPresent = 0, 0
		for i := range orgs {
			if err := ctx.Err(); err != nil {
				return err
			}
			existing, err := tx.OrgsByName(orgs[i].Name)
			if err != nil {
				return err
			}
			if len(existing) > 0 {
				res.AlreadyPresent++
				continue
			}
			if err := tx.PutOrg(&orgs[i]); err != nil {
				return err
			}
			res.Organizations++
		}
		return nil
	})
	return res, err
}

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// write runs fn in one transaction. fn checks ctx between rows and returns
// its error when it is done (Ctrl-C), which rolls everything back: an
// import is written whole or not at all.
func write(ctx context.Context, s *store.Store, dryRun bool, fn func(tx *store.Tx) error) error {
	err := s.Update(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// orgFromRecord makes an organization of a CSV row or JSON record and says
// what is wrong with it.
func orgFromRecord(get func(string) string) (store.Organization, []string) {
	o := store.Organization{
		Name: get("name"), ShortName: get("short_name"), Type: get("type"), Status: get("status"),
		Notes: get("notes"), Source: store.SourceImported,
	}
	o.Domains = splitList(get("domains"))
	bad := docbase.CheckOrg(&o)
	return o, bad
}

type contactRow struct {
	line    int
	org     string
	contact store.Contact
}

func importContacts(ctx context.Context, s *store.Store, rows []record, problems []Problem, opt Options) (Result, error) {
	res := Result{Kind: "contacts", Rows: len(rows)}
	var valid []contactRow
	for _, r := range rows {
		c, org, bad := contactFromRecord(r.get)
		if len(bad) > 0 {
			problems = append(problems, Problem{opt.File, r.line, strings.Join(bad, "; ")})
			continue
		}
		valid = append(valid, contactRow{line: r.line, org: org, contact: c})
	}
	res.Problems = problems
	if len(problems) > 0 && !opt.SkipInvalid {
		return res, ErrInvalidRows
	}
	res.SkippedProblems = len(problems) > 0
	err := write(ctx, s, opt.DryRun, func(tx *store.Tx) error {
		res.Organizations, res.Contacts, res.AlreadyPresent = 0, 0, 0
		return putContacts(ctx, tx, valid, &res)
	})
	return res, err
}

func contactFromRecord(get func(string) string) (store.Contact, string, []string) {
	c := store.Contact{
		FirstName: get("first_name"), LastName: get("last_name"), Title: get("title"),
		OfficePhone: firstOf(splitList(get("office_phone"))), Mobile: firstOf(splitList(get("mobile"))),
		Notes: get("notes"), Source: store.SourceImported,
	}
	if c.FirstName == "" && c.LastName == "" {
		c.FirstName, c.LastName = splitName(get("name"))
	}
	org := get("organization")
	var bad []string
	if org == "" {
		bad = append(bad, "organization is empty")
	}
	// The first e-mail is the primary; CheckContact checks them all.
	emails := append(splitList(get("email")), splitList(get("other_emails"))...)
	if len(emails) > 0 {
		c.PrimaryEmail, c.OtherEmails = emails[0], emails[1:]
	}
	bad = append(bad, docbase.CheckContact(&c)...)
	return c, org, bad
}

// putContacts writes contacts, creating organizations they name that do not
// exist yet and skipping contacts already present in their organization (same
// e-mail, or same name when neither has an e-mail). It stops when ctx is
// done, so the caller's transaction rolls back.
func putContacts(ctx context.Context, tx *store.Tx, rows []contactRow, res *Result) error {
	orgIDs := map[string]uint64{}
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := store.Fold(r.org)
		id, ok := orgIDs[key]
		if !ok {
			found, err := tx.OrgsByName(r.org)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				id = found[0].ID
			} else {
				o := store.Organization{Name: r.org, Source: store.SourceImported}
				if err := tx.PutOrg(&o); err != nil {
					return err
				}
				id = o.ID
				res.Organizations++
			}
			orgIDs[key] = id
		}
		c := r.contact
		c.OrgID = id
		present, err := alreadyPresent(tx, &c)
		if err != nil {
			return err
		}
		if present {
			res.AlreadyPresent++
			continue
		}
		if err := tx.PutContact(&c); err != nil {
			return fmt.Errorf("line %d: %w", r.line, err)
		}
		res.Contacts++
	}
	return nil
}

func alreadyPresent(tx *store.Tx, c *store.Contact) (bool, error) {
	if c.PrimaryEmail != "" {
		for _, id := range tx.ContactsByEmail(c.PrimaryEmail) {
			other, err := tx.Contact(id)
			if err != nil {
				return false, err
			}
			if other.OrgID == c.OrgID {
				return true, nil
			}
		}
		return false, nil
	}
	existing, err := tx.OrgContacts(c.OrgID)
	if err != nil {
		return false, err
	}
	for _, o := range existing {
		if o.PrimaryEmail == "" && store.Fold(o.Name()) == store.Fold(c.Name()) {
			return true, nil
		}
	}
	return false, nil
}

// splitList splits a cell holding several values ("a@x.com; b@x.com",
// "Work: a@x.com, Home: b@y.com", one per line) and drops labels.
func splitList(cell string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '|' }) {
		part = strings.TrimSpace(part)
		if i := strings.Index(part, ":"); i > 0 && !strings.HasPrefix(part[i:], "://") && !strings.Contains(part[:i], "@") && !strings.ContainsAny(part[:i], "0123456789+") {
			part = strings.TrimSpace(part[i+1:]) // "Work: a@x.com"
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

func firstOf(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

func splitName(full string) (first, last string) {
	full = strings.Join(strings.Fields(full), " ")
	if i := strings.Index(full, ", "); i > 0 { // "Smith, John"
		return full[i+2:], full[:i]
	}
	if i := strings.LastIndex(full, " "); i > 0 {
		return full[:i], full[i+1:]
	}
	return full, ""
}

// Document is the JSON form of the documentation base, as Export writes it.
type Document struct {
	Organizations []OrgJSON     `json:"organizations"`
	Contacts      []ContactJSON `json:"contacts"`
}

// OrgJSON is an organization in JSON import and export.
type OrgJSON struct {
	Name      string   `json:"name"`
	ShortName string   `json:"short_name,omitempty"`
	Type      string   `json:"type,omitempty"`
	Status    string   `json:"status,omitempty"`
	Domains   []string `json:"domains,omitempty"`
	Notes     string   `json:"notes,omitempty"`
}

// ContactJSON is a contact in JSON import and export; it names its organization.
type ContactJSON struct {
	Organization string   `json:"organization"`
	FirstName    string   `json:"first_name,omitempty"`
	LastName     string   `json:"last_name,omitempty"`
	Title        string   `json:"title,omitempty"`
	Email        string   `json:"email,omitempty"`
	OtherEmails  []string `json:"other_emails,omitempty"`
	OfficePhone  string   `json:"office_phone,omitempty"`
	Mobile       string   `json:"mobile,omitempty"`
	Notes        string   `json:"notes,omitempty"`
}

// ImportJSON reads one Document and nothing after it. Problems name the
// record by its position ("organizations[3]") and give its 1-based number in
// Line's place. Records are cleaned and checked as CSV rows are.
func ImportJSON(ctx context.Context, s *store.Store, r io.Reader, opt Options) (Result, error) {
	text, err := decodeInput(r, opt.Encoding, opt.File)
	if err != nil {
		return Result{}, err
	}
	doc, line, err := decodeDocument(text)
	if err != nil {
		at := opt.File
		if line > 0 {
			at = fmt.Sprintf("%s:%d", opt.File, line)
		}
		return Result{}, fmt.Errorf("%s: not a tenantsync JSON document: %w", at, err)
	}
	res := Result{Kind: "organizations and contacts", Rows: len(doc.Organizations) + len(doc.Contacts)}
	var orgs []store.Organization
	for i, oj := range doc.Organizations {
		fields := map[string]string{
			"name": oj.Name, "short_name": oj.ShortName, "type": oj.Type, "status": oj.Status,
			"domains": strings.Join(oj.Domains, ";"), "notes": oj.Notes,
		}
		o, bad := orgFromRecord(func(f string) string { return cleanField(f, fields[f]) })
		if len(bad) > 0 {
			res.Problems = append(res.Problems, Problem{opt.File, i + 1, fmt.Sprintf("organizations[%d]: %s", i, strings.Join(bad, "; "))})
			continue
		}
		orgs = append(orgs, o)
	}
	var contacts []contactRow
	for i, c := range doc.Contacts {
		fields := map[string]string{
			"organization": c.Organization, "first_name": c.FirstName, "last_name": c.LastName, "title": c.Title,
			"email": c.Email, "other_emails": strings.Join(c.OtherEmails, ";"), "office_phone": c.OfficePhone,
			"mobile": c.Mobile, "notes": c.Notes,
		}
		ct, org, bad := contactFromRecord(func(f string) string { return cleanField(f, fields[f]) })
		if len(bad) > 0 {
			res.Problems = append(res.Problems, Problem{opt.File, i + 1, fmt.Sprintf("contacts[%d]: %s", i, strings.Join(bad, "; "))})
			continue
		}
		contacts = append(contacts, contactRow{line: i + 1, org: org, contact: ct})
	}
	if len(res.Problems) > 0 && !opt.SkipInvalid {
		return res, ErrInvalidRows
	}
	res.SkippedProblems = len(res.Problems) > 0
	err = write(ctx, s, opt.DryRun, func(tx *store.Tx) error {
		res.Organizations, res.Contacts, res.AlreadyPresent = 0, 0, 0
		for i := range orgs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if found, err := tx.OrgsByName(orgs[i].Name); err != nil {
				return err
			} else if len(found) > 0 {
				res.AlreadyPresent++
				continue
			}
			if err := tx.PutOrg(&orgs[i]); err != nil {
				return err
			}
			res.Organizations++
		}
		return putContacts(ctx, tx, contacts, &res)
	})
	return res, err
}

// decodeDocument decodes text as exactly one JSON object: not null, and
// nothing but white space after it. With an error it returns the line the
// error is on, or 0 when the error is not on one line.
func decodeDocument(text string) (*Document, int, error) {
	var doc *Document
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, 0, errors.New("the file is empty")
		}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, lineAt(text, se.Offset), err
		case errors.As(err, &te):
			return nil, lineAt(text, te.Offset), err
		}
		return nil, 0, err
	}
	if doc == nil {
		return nil, 0, errors.New(`null, want an object with "organizations" and "contacts"`)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := text[end:]
		at := end + int64(len(rest)-len(strings.TrimLeft(rest, " \t\r\n")))
		return nil, lineAt(text, at), errors.New("more data after the document")
	}
	return doc, 0, nil
}

// lineAt returns the 1-based line of byte offset off in text.
func lineAt(text string, off int64) int {
	off = min(max(off, 0), int64(len(text)))
	return 1 + strings.Count(text[:off], "\n")
}
