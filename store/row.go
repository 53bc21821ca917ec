package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Row is what lists and search show of an organization or a contact: enough
// to draw a list row without decoding the record. Rows are immutable; a
// change replaces the row.
type Row struct {
	Kind  byte // KindOrg or KindContact
	ID    uint64
	OrgID uint64 // the contact's organization; 0 for organizations
	Name  string
	Email string
	Phone string
	Title string
	Flags RowFlags
	sort  string // folded name
	text  string // folded searchable text
}

// Row kinds.
const (
	KindOrg     byte = 'o'
	KindContact byte = 'c'
)

// RowFlags summarize a contact's sync state for list filters.
type RowFlags uint8

const (
	RowLinked     RowFlags = 1 << iota // linked to an Entra ID user
	RowLeaver                          // flagged as leaver
	RowAmbiguous                       // flagged as ambiguous
	RowFromTenant                      // created by sync
	RowArchived                        // archived: hidden unless asked for
)

const kindContact = KindContact

type rowChange struct {
	kind   byte
	id     uint64
	row    *Row // nil: deleted
	delete bool
}

func orgRow(o *Organization) *Row {
	r := &Row{Kind: KindOrg, ID: o.ID, Name: o.Name, Title: o.ShortName}
	if o.Archived {
		r.Flags |= RowArchived
	}
	if len(o.Domains) > 0 {
		r.Email = o.Domains[0]
	}
	r.sort = Fold(o.Name)
	r.text = searchText(o.Name, o.ShortName, strings.Join(o.Domains, " "))
	return r
}

func contactRow(c *Contact) *Row {
	r := &Row{Kind: KindContact, ID: c.ID, OrgID: c.OrgID, Name: c.Name(), Email: c.PrimaryEmail, Title: c.Title}
	r.Phone = c.OfficePhone
	if r.Phone == "" {
		r.Phone = c.Mobile
	}
	if c.Link != nil {
		r.Flags |= RowLinked
	}
	if c.HasFlag(FlagLeaver) {
		r.Flags |= RowLeaver
	}
	if c.HasFlag(FlagAmbiguous) {
		r.Flags |= RowAmbiguous
	}
	if c.Source == SourceTenant {
		r.Flags |= RowFromTenant
	}
	if c.Archived {
		r.Flags |= RowArchived
	}
	r.sort = Fold(r.Name)
	r.text = searchText(r.Name, c.Title, c.OfficePhone, digits(c.OfficePhone), c.Mobile, digits(c.Mobile), strings.Join(c.Emails(), " "))
	return r
}

func searchText(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		b.WriteString(Fold(p))
		b.WriteByte('\x1f') // no query spans two fields
	}
	return b.String()
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	if b.Len() == len(s) {
		return ""
	}
	return b.String()
}

func rowKey(kind byte, id uint64) []byte {
	return append([]byte{kind}, idKey(id)...)
}

func (t *Tx) putRow(r *Row) error {
	t.rows = append(t.rows, rowChange{kind: r.Kind, id: r.ID, row: r})
	return t.tx.Bucket(bucketRows).Put(rowKey(r.Kind, r.ID), encodeRow(r))
}

func (t *Tx) deleteRow(kind byte, id uint64) error {
	t.rows = append(t.rows, rowChange{kind: kind, id: id, delete: true})
	return t.tx.Bucket(bucketRows).Delete(rowKey(kind, id))
}

// encodeRow writes the row as uvarint org id and flags followed by
// length-prefixed strings: decoding 100k rows this way takes milliseconds,
// where JSON records would take hundreds.
func encodeRow(r *Row) []byte {
	fields := [...]string{r.Name, r.Email, r.Phone, r.Title, r.sort, r.text}
	n := 2 * binary.MaxVarintLen64
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	buf := make([]byte, 0, n)
	buf = binary.AppendUvarint(buf, r.OrgID)
	buf = binary.AppendUvarint(buf, uint64(r.Flags))
	for _, f := range fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

var errBadRow = errors.New("corrupt search row")

func decodeRow(key, v []byte) (*Row, error) {
	if len(key) != 9 {
		return nil, errBadRow
	}
	r := &Row{Kind: key[0], ID: binary.BigEndian.Uint64(key[1:])}
	var n int
	r.OrgID, n = binary.Uvarint(v)
	if n <= 0 {
		return nil, errBadRow
	}
	v = v[n:]
	flags, n := binary.Uvarint(v)
	if n <= 0 {
		return nil, errBadRow
	}
	r.Flags = RowFlags(flags)
	v = v[n:]
	for _, dst := range [...]*string{&r.Name, &r.Email, &r.Phone, &r.Title, &r.sort, &r.text} {
		l, n := binary.Uvarint(v)
		if n <= 0 || uint64(len(v)-n) < l {
			return nil, errBadRow
		}
		*dst = string(v[n : n+int(l)])
		v = v[n+int(l):]
	}
	return r, nil
}

// rowIndex is the in-memory copy of the rows bucket: lists and searches scan
// it instead of the database. It is loaded on first use and updated after
// each commit. Scans touch only contiguous memory: meta holds what filters
// need, and the folded texts of all rows are joined into one arena that
// strings.Index runs over, so 100k rows take a few milliseconds.
type rowIndex struct {
	rows   []*Row    // orgs first, then contacts, each by folded name, when !dirty
	meta   []rowMeta // meta[i] describes rows[i]
	arena  string    // rows' texts joined, each ended by '\x00'
	starts []int     // starts[i] is where rows[i]'s text begins in arena
	pos    map[uint64]int
	orgSet map[uint64]*Row
	dirty  bool
}

type rowMeta struct {
	orgID uint64
	kind  byte
	flags RowFlags
}

func posKey(kind byte, id uint64) uint64 {
	if kind == KindOrg {
		return id | 1<<63
	}
	return id
}

func (s *Store) loadRows() (*rowIndex, error) {
	if s.rows != nil {
		return s.rows, nil
	}
	idx := &rowIndex{pos: map[uint64]int{}, orgSet: map[uint64]*Row{}}
	err := s.transact(false, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRows)
		idx.rows = make([]*Row, 0, b.Stats().KeyN)
		return b.ForEach(func(k, v []byte) error {
			r, err := decodeRow(k, v)
			if err != nil {
				return err
			}
			idx.rows = append(idx.rows, r)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	idx.dirty = true
	s.rows = idx
	return idx, nil
}

func (idx *rowIndex) sortIfDirty() {
	if !idx.dirty {
		return
	}
	kept := idx.rows[:0]
	for _, r := range idx.rows {
		if r != nil {
			kept = append(kept, r)
		}
	}
	clear(idx.rows[len(kept):])
	idx.rows = kept
	slices.SortFunc(idx.rows, func(a, b *Row) int {
		if a.Kind != b.Kind {
			if a.Kind == KindOrg {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.sort, b.sort); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	clear(idx.pos)
	clear(idx.orgSet)
	idx.meta = slices.Grow(idx.meta[:0], len(idx.rows))
	idx.starts = slices.Grow(idx.starts[:0], len(idx.rows))
	n := 0
	for _, r := range idx.rows {
		n += len(r.text) + 1
	}
	var arena strings.Builder
	arena.Grow(n)
	for i, r := range idx.rows {
		idx.pos[posKey(r.Kind, r.ID)] = i
		if r.Kind == KindOrg {
			idx.orgSet[r.ID] = r
		}
		idx.meta = append(idx.meta, rowMeta{orgID: r.OrgID, kind: r.Kind, flags: r.Flags})
		idx.starts = append(idx.starts, arena.Len())
		arena.WriteString(r.text)
		arena.WriteByte(0)
	}
	idx.arena = arena.String()
	idx.dirty = false
}

// applyRows brings a loaded index up to date after a commit. Any change
// marks it dirty; the next query re-sorts and rebuilds the arena once, however
// many commits came in between.
func (s *Store) applyRows(changes []rowChange) {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	idx := s.rows
	if idx == nil {
		return // loaded from the database on first use
	}
	for _, ch := range changes {
		k := posKey(ch.kind, ch.id)
		i, ok := idx.pos[k]
		switch {
		case ch.delete && ok:
			idx.rows[i] = nil
			delete(idx.pos, k)
		case ok:
			idx.rows[i] = ch.row
		case !ch.delete:
			idx.pos[k] = len(idx.rows)
			idx.rows = append(idx.rows, ch.row)
		}
		idx.dirty = true
	}
}

// RowQuery selects rows. Zero values select everything.
type RowQuery struct {
	Kind  byte     // KindOrg, KindContact or 0 for both
	OrgID uint64   // only this organization's contacts
	Text  string   // substring of name, e-mail, phone or title; case- and diacritics-insensitive
	With  RowFlags // every one of these flags set
	// LocalOnly keeps contacts not linked to Microsoft.
	LocalOnly bool
	// Archived selects the archived rows, which every other query leaves
	// out.
	Archived bool
	Limit    int // 0: no limit
}

// Rows returns the rows matching q: organizations first, then contacts, each
// ordered by name. The rows are shared and must not be modified.
func (s *Store) Rows(ctx context.Context, q RowQuery) ([]*Row, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	idx, err := s.loadRows()
	if err != nil {
		return nil, err
	}
	idx.sortIfDirty()
	keep := func(i int) bool {
		m := idx.meta[i]
		switch {
		case q.Kind != 0 && m.kind != q.Kind,
			q.OrgID != 0 && m.orgID != q.OrgID,
			m.flags&q.With != q.With,
			(m.flags&RowArchived != 0) != q.Archived,
			q.LocalOnly && (m.kind != KindContact || m.flags&RowLinked != 0):
			return false
		}
		return true
	}
	var out []*Row
	needle := Fold(q.Text)
	if needle == "" {
		for i := range idx.meta {
			if keep(i) {
				out = append(out, idx.rows[i])
				if q.Limit > 0 && len(out) == q.Limit {
					break
				}
			}
		}
		return out, nil
	}
	for at := 0; at < len(idx.arena); {
		j := strings.Index(idx.arena[at:], needle)
		if j < 0 {
			break
		}
		// The row holding the match: the last start at or before it.
		i := sort.SearchInts(idx.starts, at+j+1) - 1
		if keep(i) {
			out = append(out, idx.rows[i])
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
		if i+1 < len(idx.starts) {
			at = idx.starts[i+1]
		} else {
			break
		}
	}
	return out, nil
}

// Search finds organizations and contacts whose name, e-mail, phone or title
// contains text, ignoring case and diacritics ("muller" finds "Müller").
func (s *Store) Search(ctx context.Context, text string, limit int) ([]*Row, error) {
	return s.Rows(ctx, RowQuery{Text: text, Limit: limit})
}

// OrgName returns an organization's name from the row index, for list rows
// that show a contact's organization.
func (s *Store) OrgName(id uint64) string {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	idx, err := s.loadRows()
	if err != nil {
		return ""
	}
	idx.sortIfDirty()
	if r := idx.orgSet[id]; r != nil {
		return r.Name
	}
	return ""
}
