// Package store keeps tenantsync's documentation base and its Microsoft 365
// mirrors in one embedded bbolt file.
//
// Schema (version 1). Keys are bytes; "id" is a uint64 in 8 bytes big-endian;
// "|" stands for a 0x00 separator; values are JSON unless noted.
//
//	meta/               "schema" -> decimal version; "created" -> RFC 3339
//	orgs/               id -> Organization
//	contacts/           id -> Contact
//	rows/               kind(1) id -> search row (see row.go): folded text and list columns
//	idx_org_name/       folded name | id -> nil
//	idx_contact_org/    org id | folded name | contact id -> nil
//	idx_contact_email/  lower(e-mail) | contact id -> nil
//	idx_contact_oid/    tenant id | object id -> contact id
//	history/            contact id, unix nanos, seq -> Change
//	connections/        connection id -> Connection
//	tenants/            connection id | tenant id -> Tenant (prefix scan = tenants by connection)
//	decisions/          connection id | tenant id -> Decision
//	mirror/             connection id | tenant id -> bucket:
//	    users/          object id -> DirectoryUser
//	    mailboxes/      lower(UPN) -> Mailbox
//	    licenses/       sku id -> License
//	    devices/        device id -> Device
//	    state/          "delta" -> users delta link; "synced" -> RFC 3339
//	runs/               run id -> SyncRun
//	idx_run_conn/       connection id | run id -> nil
//	blobs/              name -> opaque bytes (ciphertext only; see store/secrets)
//
// Every multi-record change (a contact and its indexes, a tenant's snapshot)
// happens in one bbolt transaction, so a killed process leaves either the old
// or the new state.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the schema this build reads and writes: len(migrations).
const SchemaVersion = 1

var (
	bucketMeta          = []byte("meta")
	bucketOrgs          = []byte("orgs")
	bucketContacts      = []byte("contacts")
	bucketRows          = []byte("rows")
	bucketOrgName       = []byte("idx_org_name")
	bucketContactOrg    = []byte("idx_contact_org")
	bucketContactEmail  = []byte("idx_contact_email")
	bucketContactOID    = []byte("idx_contact_oid")
	bucketHistory       = []byte("history")
	bucketConnections   = []byte("connections")
	bucketTenants       = []byte("tenants")
	bucketDecisions     = []byte("decisions")
	bucketMirror        = []byte("mirror")
	bucketRuns          = []byte("runs")
	bucketRunConn       = []byte("idx_run_conn")
	bucketBlobs         = []byte("blobs")
	bucketMirrorUsers   = []byte("users")
	bucketMirrorMailbox = []byte("mailboxes")
	bucketMirrorLicense = []byte("licenses")
	bucketMirrorDevices = []byte("devices")
	bucketMirrorState   = []byte("state")

	keySchema  = []byte("schema")
	keyCreated = []byte("created")
	keyDelta   = []byte("delta")
	keySynced  = []byte("synced")

	topBuckets = [][]byte{
		bucketMeta, bucketOrgs, bucketContacts, bucketRows, bucketOrgName,
		bucketContactOrg, bucketContactEmail, bucketContactOID, bucketHistory,
		bucketConnections, bucketTenants, bucketDecisions, bucketMirror,
		bucketRuns, bucketRunConn, bucketBlobs,
	}
)

var (
	// ErrLocked means another process has the database open.
	ErrLocked = errors.New("tenantsync is already running with this data directory")
	// ErrNewerSchema means the file was written by a newer tenantsync.
	ErrNewerSchema = errors.New("database was written by a newer version of tenantsync")
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDamaged means the file is not a readable tenantsync database: its
	// pages are damaged (a disk error, a copy cut short) or it is another
	// program's file. Open changes nothing in it.
	ErrDamaged = errors.New("the database file is damaged or is not a tenantsync database")
)

// DBFile is the database's file name inside the data directory.
const DBFile = "tenantsync.db"

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for another process to release the file.
	LockTimeout time.Duration
	// NoSync skips fsync; only for benchmarks and throwaway databases.
	NoSync bool
	// ReadOnly opens an existing database for reading only (status,
	// export, logs): nothing is created, migrated or written, and a
	// read-only disk or file is no obstacle. A missing database is
	// ErrNoDatabase; an older schema asks for a normal open first.
	ReadOnly bool
}

// ErrNoDatabase means a read-only open found no database file.
var ErrNoDatabase = errors.New("no tenantsync database here yet")

// Store is the open database. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string

	rowsMu sync.Mutex
	rows   *rowIndex // lazily loaded; see row.go
}

// Open opens or creates the database at path, upgrading an older schema after
// backing the file up. A database held by another process yields ErrLocked
// after opt.LockTimeout (one second when zero).
func Open(path string, opt Options) (s *Store, err error) {
	// bbolt trusts its pages: a damaged one can make it panic. Nothing
	// half-done remains (the write transaction is not committed), so a
	// panic while opening is the file's fault, said as such.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, damaged(path, fmt.Errorf("%v", r))
		}
	}()
	timeout := opt.LockTimeout
	if timeout == 0 {
		timeout = time.Second
	}
	if !opt.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	version, exists, err := peekVersion(path, timeout)
	if err != nil {
		return nil, err
	}
	current := len(migrations)
	if exists && version > current {
		return nil, fmt.Errorf("open %s: %w (schema %d, this version reads %d): update tenantsync", path, ErrNewerSchema, version, current)
	}
	if opt.ReadOnly {
		switch {
		case !exists:
			return nil, fmt.Errorf("open %s: %w", path, ErrNoDatabase)
		case version < current:
			return nil, fmt.Errorf("open %s: schema %d needs an upgrade to %d: open it once with tenantsync (the app, or any command that writes)", path, version, current)
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
		if err != nil {
			if errors.Is(err, bolt.ErrTimeout) {
				return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
			}
			if fileDamage(err) {
				return nil, damaged(path, err)
			}
			return nil, fmt.Errorf("open store: %w", err)
		}
		return &Store{db: db, path: path}, nil
	}
	if exists && version > 0 && version < current {
		if err := backup(path, version); err != nil {
			return nil, fmt.Errorf("back up before upgrade: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoSync: opt.NoSync, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		if fileDamage(err) {
			return nil, damaged(path, err)
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			db.Close()
			panic(r)
		}
	}()
	s = &Store{db: db, path: path}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := upgrade(tx, version, exists); err != nil {
			return err
		}
		return (&Tx{tx: tx, now: time.Now().UTC()}).markInterrupted()
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// peekVersion reads the schema version of an existing file without changing it.
func peekVersion(path string, timeout time.Duration) (version int, exists bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("open store: %w", err)
	}
	// An empty file is what a first run leaves when it dies (or the disk
	// fills) before its first write: nothing to keep, and a read-only open
	// would try to initialise it and fail. The read-write open below
	// initialises it, under the lock, as a new database.
	if fi.Size() == 0 {
		return 0, false, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return 0, true, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		if fileDamage(err) {
			return 0, true, damaged(path, err)
		}
		return 0, true, fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if err := checkFile(tx, fi.Size()); err != nil {
			return damaged(path, err)
		}
		version, err = readVersion(tx)
		return err
	})
	return version, true, err
}

// checkLimit bounds the size of a file whose every key Open reads (and
// looks up again): the walk costs about 300 ms at 100,000 contacts
// (BenchmarkOpenFirstPage100k: 430 ms with it, 123 ms without), too much
// for every start. Larger files get the structural checks bbolt does on
// open only; a full check belongs to the backup routine (issue 12).
const checkLimit = 32 << 20

// checkFile reads every page of a file small enough, and refuses a bbolt
// file that another program made (buckets, but no meta). It runs in the
// caller's goroutine so that a damaged page's panic, or a fault reading
// past the mapped file, is recovered as damage: bbolt's own Tx.Check reads
// in a goroutine of its own, where a damaged page crashes the process.
func checkFile(tx *bolt.Tx, size int64) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable page: %v", r)
		}
	}()
	if tx.Bucket(bucketMeta) == nil {
		foreign := false
		tx.ForEach(func(name []byte, _ *bolt.Bucket) error { foreign = true; return nil })
		if foreign {
			return errors.New("it is a bbolt database of another program")
		}
	}
	if size > checkLimit {
		return nil
	}
	// Every key takes at least a leaf element (16 bytes) of the file: more
	// keys than that means the walk is going round damaged pages.
	budget := size/16 + 1
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b, 0, &budget) })
}

// touched keeps the bytes walkBucket reads from being optimised away.
var touched byte

func walkBucket(b *bolt.Bucket, depth int, budget *int64) error {
	if depth > 4 {
		return errors.New("buckets nested deeper than tenantsync makes them")
	}
	c := b.Cursor()
	var prev []byte
	var sum byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if *budget--; *budget < 0 {
			return errors.New("more keys than the file can hold: its pages loop")
		}
		// Touch every byte (a damaged element points outside the file:
		// that faults here, where it is recovered) and keep keys in order
		// (a flipped key breaks every later lookup).
		for _, x := range k {
			sum ^= x
		}
		for _, x := range v {
			sum ^= x
		}
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return fmt.Errorf("keys out of order in a bucket (%x after %x)", k, prev)
		}
		prev = k
		touched ^= sum
		if v != nil {
			// A lookup goes through the branch pages a cursor walk skips:
			// it must find the same value (a flipped branch key faults or
			// misroutes).
			if got := b.Get(k); !bytes.Equal(got, v) {
				return fmt.Errorf("a lookup of key %x does not find its value", k)
			}
			continue
		}
		if sub := b.Bucket(k); sub != nil {
			if err := walkBucket(sub, depth+1, budget); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileDamage reports whether bbolt refused a file for its contents.
func fileDamage(err error) bool {
	return errors.Is(err, bolt.ErrInvalid) || errors.Is(err, bolt.ErrVersionMismatch) || errors.Is(err, bolt.ErrChecksum)
}

// damaged names a damaged database and what to do, once.
func damaged(path string, cause error) error {
	return fmt.Errorf("%w: %s (%v). Nothing was changed in it. Move it aside (tenantsync then starts with an empty database) or put back a copy, for example a backup next to it (%s.*.bak)",
		ErrDamaged, path, cause, filepath.Base(path))
}

func readVersion(tx *bolt.Tx) (int, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, nil
	}
	v := b.Get(keySchema)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w", v, err)
	}
	return n, nil
}

// migrations[i] upgrades a database from schema i to i+1. Version 0 is an
// empty file.
var migrations = []func(tx *bolt.Tx) error{
	createBuckets,
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range topBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

func upgrade(tx *bolt.Tx, from int, existed bool) error {
	if !existed {
		from = 0
	}
	for v := from; v < len(migrations); v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keyCreated) == nil {
		if err := meta.Put(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
	}
	return meta.Put(keySchema, []byte(strconv.Itoa(len(migrations))))
}

// backup copies the database next to itself before a migration changes it.
func backup(path string, version int) error {
	dst := fmt.Sprintf("%s.schema%d.%s.bak", path, version, time.Now().UTC().Format("20060102T150405"))
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Info describes the database for `tenantsync status`.
type Info struct {
	Path          string
	SchemaVersion int
	Organizations int
	Contacts      int
	Connections   int
	Tenants       int
	Runs          int
	SizeBytes     int64
}

// Info counts the records.
func (s *Store) Info(ctx context.Context) (Info, error) {
	info := Info{Path: s.path}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		if info.SchemaVersion, err = readVersion(tx); err != nil {
			return err
		}
		info.Organizations = tx.Bucket(bucketOrgs).Stats().KeyN
		info.Contacts = tx.Bucket(bucketContacts).Stats().KeyN
		info.Connections = tx.Bucket(bucketConnections).Stats().KeyN
		info.Tenants = tx.Bucket(bucketTenants).Stats().KeyN
		info.Runs = tx.Bucket(bucketRuns).Stats().KeyN
		info.SizeBytes = tx.Size()
		return nil
	})
	return info, err
}

// view runs fn in a read transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// update runs fn in a write transaction unless ctx is already done.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}
